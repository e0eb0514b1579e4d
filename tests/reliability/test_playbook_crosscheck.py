"""The in-process harness against the real thing: one fault point run through ansible-playbook.

The other reliability tests run modules in-process (reliability_harness.run_module) for speed. This
test runs the same kind of case as a generated one-task playbook: ``register`` with
``ignore_errors`` (which keeps ``failed`` in the result, where ``failed_when: false`` would reset
it), then ``copy content="{{ result | to_json }}"`` to read the result. The module behaves the same
there: it fails with LINSTOR's message, leaves nothing behind, and the same task converges.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from reliability_harness import Env, info_anomalies, record, scan

PLAYBOOK_TIMEOUT = 180


def run_playbook(env: Env, directory: Path, module_args: dict[str, Any]) -> dict[str, Any]:
    """Run linstor.incus.linstor_incus_volume as one task of a playbook; return its registered result."""
    directory.mkdir(parents=True, exist_ok=True)
    result_file = directory / "result.json"
    play = [{
        "hosts": "localhost", "gather_facts": False, "connection": "local",
        "tasks": [
            {"name": "the task under test", "linstor.incus.linstor_incus_volume": module_args,
             "register": "result", "ignore_errors": True},
            {"name": "keep the result",
             "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(result_file)}},
        ],
    }]
    playbook = directory / "play.yml"
    playbook.write_text(json.dumps(play))
    inventory = directory / "hosts"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, cwd=directory, check=False,
                          env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
                               "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": str(directory / "tmp"),
                               "ANSIBLE_REMOTE_TEMP": str(directory / "tmp"), "HOME": str(directory)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(result_file.read_text())


def test_spawn_error_through_ansible_playbook(env: Env, tmp_path: Path) -> None:
    task = env.args(name="pb1", type="container", size="64MiB")
    message = "Injected failure at create:spawn (playbook)"
    env.debug.add_fault("error", "/v1/resource-groups/[^/]+/spawn", "POST", message=message, cause="cross-check")
    failed = run_playbook(env, tmp_path / "failed", task)
    env.debug.clear_faults()
    after = scan(env)
    anomalies = info_anomalies(env)
    rerun = run_playbook(env, tmp_path / "rerun", task)
    second = run_playbook(env, tmp_path / "second", task)
    record("playbook_crosscheck", failed=bool(failed.get("failed")), message_ok=message in failed.get("msg", ""),
           problems=after.problems + sum(anomalies.values()), rerun_changed=bool(rerun.get("changed")),
           second_changed=bool(second.get("changed")))
    assert failed.get("failed") and message in failed.get("msg", ""), failed
    assert after.problems == 0 and sum(anomalies.values()) == 0 and not after.rds, (after.summary(), anomalies)
    assert not rerun.get("failed") and rerun.get("changed"), rerun
    assert not second.get("failed") and not second.get("changed"), second
