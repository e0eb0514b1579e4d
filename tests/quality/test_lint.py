"""Gates: ansible-lint (production profile), the collection's docs, the changelog fragments.

- ansible-lint reads .ansible-lint at the repository root (profile production, offline) and lints
  roles/, playbooks/, meta/, galaxy.yml, changelogs/ and the workflow files.
- `antsibull-docs lint-collection-docs --plugin-docs` checks the docs of every module, plugin and
  role (schema, markup, references) and the extra docs, as the Ansible docsite would build them.
- `antsibull-changelog lint` checks every fragment in changelogs/fragments and the config.
- scripts/docs builds the documentation site (antsibull-docs, Sphinx) into docs/build/html.
- shellcheck (severity warning and above) on the repository's shell scripts.
"""

from __future__ import annotations

import re
from pathlib import Path

from qualitylib import NOT_COLLECTION, REPO, modules, repository_files, roles, run, tool


def test_ansible_lint_production_profile() -> None:
    result = run([tool("ansible-lint"), "--nocolor", "-c", REPO / ".ansible-lint"])
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


def test_antsibull_docs_lint_collection_docs() -> None:
    run([tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", "--check-extra-docs-refs",
         "--validate-collection-refs", "all", REPO])


def test_antsibull_changelog_lint() -> None:
    run([tool("antsibull-changelog"), "lint"])
    run([tool("antsibull-changelog"), "lint-changelog-yaml", REPO / "changelogs" / "changelog.yaml"])


def test_docs_site_builds() -> None:
    """scripts/docs (antsibull-docs + Sphinx) builds docs/build/html with a page per module and role."""
    run(["bash", REPO / "scripts" / "docs"])
    html = REPO / "docs" / "build" / "html"
    assert (html / "index.html").is_file()
    pages = [f"{m}_module.html" for m in modules()] + [f"{r}_role.html" for r in roles()]
    missing = [page for page in pages if not (html / page).is_file()]
    assert not missing, f"missing from the docs site: {missing}"


def shell_scripts() -> list[Path]:
    """scripts/*, .ci/run and any *.sh: files whose first line is a bash or sh shebang."""
    found = []
    for name in repository_files():
        path = REPO / name
        if name.startswith(NOT_COLLECTION):
            continue
        with path.open("rb") as handle:
            first = handle.readline()
        if name.endswith(".sh") or re.match(rb"#!\s*(/usr/bin/env\s+)?(/bin/|/usr/bin/)?(ba)?sh\b", first):
            found.append(path)
    return found


def test_shellcheck_scripts() -> None:
    scripts = shell_scripts()
    assert scripts, "no shell scripts found (scripts/setup should be one)"
    run([tool("shellcheck"), "--severity=warning", *scripts])
