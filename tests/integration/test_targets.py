"""Runs every integration target under targets/ with ansible-playbook, as a test each.

A target is laid out as ansible-test expects (``targets/<name>/tasks/main.yml``) and is run here
as a role on localhost, with the venv's Python as the module interpreter. Targets get:

- ``LS_CONTROLLERS`` in the environment: the session's controller (emulator or real);
- ``linstor_api_url``: that controller's HTTP base URL, for asserting state with ansible.builtin.uri;
- ``emulator_debug_url``: the emulator's debug API (request log), or '' on a real controller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TARGETS_DIR = HERE / "targets"
TARGETS = sorted(p.name for p in TARGETS_DIR.iterdir() if (p / "tasks" / "main.yml").is_file())
VENV_BIN = Path(sys.executable).parent


def run_playbook(playbook_text: str, controller, tmp_path: Path, extra_vars: dict | None = None,
                 *options: str) -> subprocess.CompletedProcess:
    """Run a playbook on localhost (the venv's Python as module interpreter) against ``controller``."""
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(playbook_text)
    extra_vars = {
        "linstor_api_url": controller.api_url,
        "emulator_debug_url": controller.debug_url or "",
        **(extra_vars or {}),
    }
    env = dict(os.environ)
    env.update({
        "LS_CONTROLLERS": controller.controllers,
        "ANSIBLE_ROLES_PATH": str(TARGETS_DIR),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
    })
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(playbook), "-e", json.dumps(extra_vars),
         *options],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )


def run_target(target: str, controller, tmp_path: Path) -> subprocess.CompletedProcess:
    return run_playbook(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: \"{{ integration_target }}\"\n",
        controller, tmp_path, {"integration_target": target})


@pytest.mark.parametrize("target", TARGETS)
def test_integration_target(target: str, controller, tmp_path: Path) -> None:
    result = run_target(target, controller, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"target {target} failed:\n{output[-20000:]}"
    assert "failed=0" in result.stdout
