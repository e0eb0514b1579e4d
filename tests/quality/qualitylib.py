"""Shared helpers of the quality gates (tests/quality/test_*.py): the repository, its tools, running one.

The gates run the tools of the repository's virtualenv (the interpreter running pytest), with that
virtualenv's bin/ first on PATH, since several tools (antsibull-docs, ansible-lint, ansible-test)
call further ansible-* commands by name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

# Parts of the repository that are not the Ansible collection: the LINSTOR emulator (a separate
# Python package, linted by ruff) and the benchmarks. They are left out of the collection copy
# that ansible-test checks, as galaxy.yml's build_ignore leaves them out of the released tarball.
NOT_COLLECTION = ("emulator/", "bench/", "tests/emulator/", "tests/output/")


def tool(name: str) -> str:
    """The path of a command installed in the virtualenv; fails loudly when it is missing."""
    path = VENV_BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in {VENV_BIN}: run `bash scripts/setup` (requirements-test.txt)")
    return str(path)


def tool_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', os.defpath)}"
    env["ANSIBLE_NOCOLOR"] = "1"
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run(args: Iterable[str], *, cwd: Path = REPO, env: dict[str, str] | None = None,
        timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
    """Run a gate's command; with check, fail the test with the command's output when it fails."""
    args = [str(a) for a in args]
    result = subprocess.run(args, cwd=cwd, env=env or tool_env(), capture_output=True, text=True,
                            timeout=timeout, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` exited with {result.returncode} in {cwd}:\n"
                    f"{result.stdout[-30000:]}\n{result.stderr[-30000:]}", pytrace=False)
    return result


def repository_files() -> list[str]:
    """Files of the checkout as git sees them: tracked ones plus untracked ones that are not ignored."""
    listing = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout
    return sorted({name for name in listing.split("\0") if name and (REPO / name).is_file()})


def copy_collection(dest_root: Path) -> Path:
    """Copy the collection's files to dest_root/ansible_collections/linstor/incus and return that path."""
    dest = dest_root / "ansible_collections" / "linstor" / "incus"
    for name in repository_files():
        if name.startswith(NOT_COLLECTION):
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target, follow_symlinks=False)
    return dest


def modules() -> list[str]:
    """The modules of the collection as they are in plugins/modules, whatever has been written so far."""
    return sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))


def roles() -> list[str]:
    """The roles of the collection as they are in roles/, whatever has been written so far."""
    return sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks").is_dir())
