"""Gate: `ansible-test sanity` on a copy of the collection, with the virtualenv's Python 3.12.

ansible-test wants the collection at a path ending in ansible_collections/<namespace>/<name>, so the
files of the checkout (git-tracked plus untracked-but-not-ignored, without the emulator and the
benchmarks) are copied under a temporary ansible_collections/linstor/incus. The copy is not a git
repository, so ansible-test checks every file in it.

`--local` runs the tests with this Python; sanity tests that need extra packages (pylint, yamllint,
validate-modules, import, runtime-metadata, ...) get their own virtualenvs, which ansible-test makes
and fills from PyPI at pinned versions. They are kept under .venv/ansible-test-home (given to
ansible-test as HOME), so only the first run pays for them.

ansible-test bootstraps pip into those virtualenvs with a get-pip script it downloads from a host of
its own (ci-files.testing.ansible.com), which is not reachable where only PyPI is. It looks for that
script in its cache first, so a stand-in is put there: it installs the pip that ships with Python
(ensurepip) and then the exact pip version ansible-test asked for, from PyPI.

Every sanity test runs. Those with nothing to check here report "No tests applicable" and pass:
pslint (no PowerShell), shellcheck (no *.sh files), action-plugin-docs (no action plugins). A test
that has files to check but skips itself (its tool or Python missing) fails the gate.
compile and import run for Python 3.12 only (the --python given).
"""

from __future__ import annotations

import shutil
import types
from pathlib import Path

import pytest
from qualitylib import REPO, copy_collection, run, tool, tool_env

# Lines of pip's progress while ansible-test fills its virtualenvs, left out of a failure's report.
PIP_NOISE = ("Collecting ", "Downloading ", "  Downloading ", "     ", "Installing ", "Successfully ",
             "Processing ", "Looking in ", "  Attempting ", "    Found ", "    Uninstalling ",
             "    Successfully ", "Using cached ")

SKIP_WARNINGS = ("WARNING: Skipping sanity test", 'WARNING: Required program "')

ANSIBLE_TEST_HOME = REPO / ".venv" / "ansible-test-home"

GET_PIP_STAND_IN = '''\
"""Stand-in for get-pip.py, written by tests/quality/test_sanity.py: ensurepip, then pip install <args>."""
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip"])
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args]))
'''


def pip_bootstrap_version() -> str:
    """The pip version ansible-test bootstraps into its sanity virtualenvs (names its get-pip cache file)."""
    from ansible_test._internal.python_requirements import get_venv_packages

    return get_venv_packages(types.SimpleNamespace(version="3.12"))["pip"]


def prepare_ansible_test_home() -> Path:
    cache = ANSIBLE_TEST_HOME / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    script = cache / f"get_pip_{pip_bootstrap_version().replace('.', '_')}.py"
    if not script.exists() or script.read_text() != GET_PIP_STAND_IN:
        script.write_text(GET_PIP_STAND_IN)
    # pip in those virtualenvs reads its user configuration (an index mirror, a proxy's CA) from HOME.
    for config in (".config/pip/pip.conf", ".pip/pip.conf"):
        source = Path.home() / config
        if source.is_file():
            target = ANSIBLE_TEST_HOME / config
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return ANSIBLE_TEST_HOME


def test_no_sanity_ignore_entries() -> None:
    """Sanity findings are fixed, not ignored: tests/sanity/ignore-*.txt must hold no entries."""
    entries = []
    for path in sorted((REPO / "tests" / "sanity").glob("ignore-*.txt")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                entries.append(f"{path.relative_to(REPO)}:{number}: {line}")
    assert not entries, "sanity ignore entries (fix the findings instead):\n" + "\n".join(entries)


def test_ansible_test_sanity(tmp_path: Path) -> None:
    collection = copy_collection(tmp_path)
    home = prepare_ansible_test_home()
    result = run([tool("ansible-test"), "sanity", "--python", "3.12", "--local", "--color", "no"],
                 cwd=collection, env=tool_env(HOME=str(home)), timeout=1800, check=False)
    output = (result.stdout + result.stderr).splitlines()
    findings = [line for line in output if not line.startswith(PIP_NOISE)]
    if result.returncode != 0:
        pytest.fail("ansible-test sanity failed:\n" + "\n".join(findings), pytrace=False)
    # A sanity test that has files to check but cannot run (its tool missing, its Python not found)
    # only warns and counts as passed; here it fails the gate.
    skipped = [line for line in findings if line.startswith(SKIP_WARNINGS)]
    if skipped:
        pytest.fail("ansible-test skipped sanity tests that had files to check:\n" + "\n".join(skipped),
                    pytrace=False)
