"""Gates: ansible-lint (production profile), the collection's docs, the changelog fragments.

- ansible-lint reads .ansible-lint at the repository root (profile production, offline) and lints
  roles/, playbooks/, meta/, galaxy.yml, changelogs/ and the workflow files.
- `antsibull-docs lint-collection-docs --plugin-docs` checks the docs of every module, plugin and
  role (schema, markup, references) and the extra docs, as the Ansible docsite would build them.
- `antsibull-changelog lint` checks every fragment in changelogs/fragments and the config.
"""

from __future__ import annotations

from qualitylib import REPO, run, tool


def test_ansible_lint_production_profile() -> None:
    result = run([tool("ansible-lint"), "--nocolor", "-c", REPO / ".ansible-lint"])
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


def test_antsibull_docs_lint_collection_docs() -> None:
    run([tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", "--check-extra-docs-refs",
         "--validate-collection-refs", "all", REPO])


def test_antsibull_changelog_lint() -> None:
    run([tool("antsibull-changelog"), "lint"])
    run([tool("antsibull-changelog"), "lint-changelog-yaml", REPO / "changelogs" / "changelog.yaml"])
