"""The README's main command, end to end: `bash scripts/demo` against its own emulator.

It must exit 0, its second playbook run must report no change, and its table must list the five
volumes of the naming document's example (after the demo's rename of vol to vol2). The playbook's
check mode, on a pool that does not exist yet, must predict without failing or writing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PREFIX = "incus-volume-"
EXPECTED_VOLUMES = {
    PREFIX + "c1": ("filesystem", "containers"),
    PREFIX + "v1": ("block", "virtual-machines"),
    PREFIX + "default_vol2": ("block", "custom"),
    PREFIX + "d21a26af7d5a95c3aa6e923257a1cb5cd765b102796b92ab111fb29ebfb86137": ("block", "images"),
    PREFIX + "e3b67bf05e20c6c977f161a425733b00efe88834914e7fc8dd910c4b51cd5804": ("filesystem", "images"),
}
TABLE_ROW = re.compile(  # a data row of the table, as the default callback prints the debug msg's lines
    r'^\s*"\| (' + PREFIX + r'[0-9a-f]{32}) +' + r'\| (\S+) +' * 4 + r'\|",?$')


def table_rows(output: str) -> list[tuple[str, ...]]:
    return [match.groups() for line in output.splitlines() if (match := TABLE_ROW.match(line))]


def test_demo(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "LS_CONTROLLERS"}
    env["DEMO_STATE_DIR"] = str(tmp_path / "demo")
    env["ANSIBLE_LOCAL_TEMP"] = str(tmp_path / "ansible-tmp")
    env["ANSIBLE_HOME"] = str(tmp_path / "ansible-home")
    result = subprocess.run(["bash", str(REPO / "scripts" / "demo")], env=env, capture_output=True, text=True,
                            timeout=600, cwd=tmp_path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]

    recaps = re.findall(r"^localhost\s*:.*\bchanged=(\d+)", result.stdout, re.MULTILINE)
    assert len(recaps) == 2, output[-20000:]
    assert int(recaps[0]) > 0, "the first run on an empty emulator must create the volumes"
    assert recaps[1] == "0", "the second run must change nothing"
    assert "the second run changed nothing" in result.stdout
    assert "emulator stopped" in result.stdout

    rows = table_rows(result.stdout)
    assert len(rows) == 2 * len(EXPECTED_VOLUMES), "one table per playbook run"
    second_table = rows[len(EXPECTED_VOLUMES):]
    assert second_table == rows[:len(EXPECTED_VOLUMES)], "the second run shows the same table"
    assert [row[0] for row in second_table] == sorted(row[0] for row in second_table), "sorted by RD name"
    assert {row[2]: (row[3], row[4]) for row in second_table} == EXPECTED_VOLUMES
    assert {row[1] for row in second_table} == {"incus-demo"}


def test_demo_in_check_mode_on_a_new_pool(controller, tmp_path: Path) -> None:
    """`--check` of the demo playbook on a resource group that does not exist yet predicts every step and
    writes nothing: the volume tasks warn that the group does not exist yet (an earlier task of the check run,
    the group's, would create it) instead of failing."""
    group = f"demo-check-{os.getpid()}"
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    env = dict(os.environ, LS_CONTROLLERS=controller.controllers, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
         str(REPO / "playbooks" / "demo.yml"), "--check", "--diff", "-e", f"demo_resource_group={group}"],
        env=env, capture_output=True, text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    recap = re.search(r"^localhost\s*:.*\bchanged=(\d+).*\bfailed=(\d+)", result.stdout, re.MULTILINE)
    assert recap and int(recap.group(1)) >= 6 and recap.group(2) == "0", output[-20000:]
    assert "does not exist in LINSTOR" in output and "In check mode this is a warning" in output
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{controller.api_url}/v1/resource-groups/{group}", timeout=10)
    assert missing.value.code == 404, "check mode created the group"
