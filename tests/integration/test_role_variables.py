"""The roles warn about a variable set under a misspelt name, which Ansible would otherwise ignore.

Both roles run in check mode (nothing is written) on a host where the play sets misspelt role variables, a correct
one, and variables of other roles that share the prefix. Warnings are what ansible-playbook prints, so the test
reads its output: an integration target cannot see a role task's warnings (and Ansible shows a warning once
per run, however many tasks raise it).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from test_targets import run_playbook

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  vars:
    pool_place_cont: 3
    pool_volume_prefx: other-
    pool_members: [a, b]
    volumes_timout: 5
    volumes_controller: ["http://127.0.0.1:9"]
    volumes_backup_dir: /srv/backup
    volume_list: []
    volumes_list_host: []
    pool_names: [p1, p2]
  tasks:
    - name: The pool role, twice (the second run sees the facts of the first)
      ansible.builtin.include_role:
        name: linstor.incus.pool
      vars:
        pool_name: "{{ group }}"
        pool_place_count: 2
      loop: [1, 2]
    - name: The volumes role, twice
      ansible.builtin.include_role:
        name: linstor.incus.volumes
      vars:
        volumes_resource_group: "{{ group }}"
        volumes_list: []
      loop: [1, 2]
"""


def test_roles_warn_about_misspelt_variables(controller, tmp_path: Path) -> None:
    group = f"itmisspelt{uuid.uuid4().hex[:8]}"
    result = run_playbook(PLAYBOOK, controller, tmp_path, {"group": group}, "--check")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    warned = sorted(set(re.findall(
        r"\[WARNING\]: (\w+) is set, but the (\S+) role has no such variable and ignores it: did you mean (\w+)\?",
        output)))
    assert warned == [
        ("pool_place_cont", "linstor.incus.pool", "pool_place_count"),
        ("pool_volume_prefx", "linstor.incus.pool", "pool_volume_prefix"),
        ("volume_list", "linstor.incus.volumes", "volumes_list"),
        ("volumes_controller", "linstor.incus.volumes", "volumes_controllers"),
        ("volumes_timout", "linstor.incus.volumes", "volumes_timeout"),
    ], output[-20000:]
    # the roles' own variables (a second run sees the first's facts), other roles' and names built on an option are
    # not named
    assert not re.search(r"(pool_members|volumes_backup_dir|volumes_list_host|pool_names|pool_place_count|_effective"
                         r"|_result)\b is set", output)


def test_the_warning_can_be_turned_off(controller, tmp_path: Path) -> None:
    group = f"itmisspelt{uuid.uuid4().hex[:8]}"
    switched_off = "    pool_warn_misspelt_variables: false\n    volumes_warn_misspelt_variables: false\n"
    playbook = PLAYBOOK.replace("    volume_list: []\n", "    volume_list: []\n" + switched_off)
    assert playbook != PLAYBOOK
    result = run_playbook(playbook, controller, tmp_path, {"group": group}, "--check")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "volumes_timout" not in output and "is set, but the" not in output, output[-20000:]
