"""The action group ``linstor.incus.linstor_incus`` (meta/runtime.yml) that docs/guide.md tells users to set their
connection options on once, with ``module_defaults``: it lists every module, and every module takes its options
from it.

The playbook runs with LS_CONTROLLERS naming a port nothing listens on, so a module that did not take
``controllers`` from the group's defaults would fail to connect.
"""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

import pytest
import yaml
from test_examples import MODULES, REPO, delete_made
from test_targets import run_playbook

NOBODY = "http://127.0.0.1:9"  # the discard port: nothing answers there


def test_the_action_group_lists_every_module() -> None:
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert sorted(runtime["action_groups"]["linstor_incus"]) == MODULES


def test_every_module_takes_its_connection_from_the_group_defaults(controller, tmp_path: Path) -> None:
    if controller.controllers == NOBODY:
        pytest.skip("the controller under test is the one this test makes unreachable")
    group = "ag" + secrets.token_hex(4)
    prefix = group + "-"
    reading = {"resource_group": group, "prefix": prefix}
    tasks = [
        {"linstor.incus.linstor_incus_resource_group": {"name": group}, "register": "made"},
        {"linstor.incus.linstor_incus_volume_info": reading, "register": "read"},
        {"linstor.incus.linstor_incus_volume": {"name": "c1", "type": "container", "state": "absent", **reading},
         "register": "volume"},
        {"linstor.incus.linstor_incus_snapshot": {"volume": "c1", "type": "container", "name": "s0",
                                                  "state": "absent", **reading}, "register": "snapshot"},
        {"linstor.incus.linstor_incus_volumes": {"volumes": [], **reading}, "register": "volumes"},
        {"linstor.incus.linstor_incus_resource_group": {"name": group, "state": "absent"}, "register": "deleted"},
        {"ansible.builtin.assert": {"that": [
            "made is changed", "read.volumes == []", "volume is not changed", "snapshot is not changed",
            "volumes is not changed", "deleted is changed"]}},
    ]
    assert {next(iter(task)).removeprefix("linstor.incus.") for task in tasks[:-1]} == set(MODULES), \
        "a module of the collection is not run here"
    play = {"hosts": "localhost", "gather_facts": False,
            "module_defaults": {"group/linstor.incus.linstor_incus": {"controllers": controller.controllers}},
            "tasks": tasks}
    unreachable = dataclasses.replace(controller, controllers=NOBODY)  # the same API URL for the checks
    try:
        result = run_playbook(yaml.safe_dump([play], sort_keys=False), unreachable, tmp_path)
    finally:  # a run that failed half-way leaves the group
        delete_made(controller, [group])
    assert result.returncode == 0, (result.stdout + result.stderr)[-20000:]
    assert "failed=0" in result.stdout
