"""HTTP requests per operation, read from the emulator's request log (deterministic, unlike times).

Each operation runs the module as its own process (``benchlib.run_module``) with the log cleared
before it. ``tests/bench/test_request_counts.py`` asserts the goals with the same function.

    .venv/bin/python bench/request_counts.py [--many N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import PREFIX, VOLUME_SIZE_KIB, Goal, RequestLog, Table, describe, goal, run_module  # noqa: E402

GENERATED = re.compile(re.escape(PREFIX) + "[0-9a-f]{32}")
"""An RD or snapshot name the modules generate (shown as <generated> in the table)."""


@dataclass
class OpCount:
    operation: str
    count: int
    goal: Goal | None
    requests: str


def _post(url: str, path: str, body: dict) -> None:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=60).close()


def spawn_volumes(url: str, group: str, names: list[str]) -> None:
    """Create Incus containers in ``group`` over the REST API (definitions only, as Incus names them);
    fast set-up for the "many volumes" rows, and it works against any controller."""
    from ansible_collections.linstor.incus.plugins.module_utils import _naming

    for name in names:
        _post(url, f"/v1/resource-groups/{group}/spawn", {
            "resource_definition_name": _naming.generate_name(PREFIX), "volume_sizes": [VOLUME_SIZE_KIB],
            "definitions_only": True,
            "resource_definition_props": _naming.creation_properties(PREFIX, "containers", "default", name, None)})


def measure(url: str, log: RequestLog, many: int = 50, tag: str | None = None) -> list[OpCount]:
    """Run each operation once against the controller at ``url``; count its requests in ``log``.

    Makes two resource groups named after ``tag`` (random when not given): one with a single
    volume (created, changed, snapshotted, deleted by the modules), one with ``many`` volumes.
    """
    tag = tag or uuid.uuid4().hex[:8]
    one, big = f"bench-one-{tag}", f"bench-many-{tag}"
    rows: list[OpCount] = []

    def module(operation: str, name: str, args: dict, op: str | None = None, target: float | None = None) -> dict:
        count, entries, run = log.count(lambda: run_module(name, {"controllers": url, **args}))
        sent = GENERATED.sub("<generated>", describe(entries)).replace(one, "<group>").replace(big, "<group>")
        rows.append(OpCount(operation, count, goal(operation, count, op, target) if op else None, sent))
        return run.result

    for group in (one, big):
        run_module("linstor_incus_resource_group", {"controllers": url, "name": group, "place_count": 2})
    volume = {"resource_group": one, "type": "container", "size": "1GiB"}
    module("volume: create", "linstor_incus_volume", {**volume, "name": "v1"}, "<=", 4)
    module("volume: no change", "linstor_incus_volume", {**volume, "name": "v1"}, "==", 1)
    module("volume: no change, check mode", "linstor_incus_volume",
           {**volume, "name": "v1", "_ansible_check_mode": True}, "==", 1)
    module("volume: grow", "linstor_incus_volume", {**volume, "name": "v1", "size": "2GiB"})
    module("volume: rename", "linstor_incus_volume", {**volume, "name": "v2", "rename_from": "v1", "size": "2GiB"},
           "==", 2)
    snapshot = {"resource_group": one, "type": "container", "volume": "v2", "name": "s1"}
    module("snapshot: create", "linstor_incus_snapshot", snapshot, "<=", 3)
    module("snapshot: no change", "linstor_incus_snapshot", snapshot)
    info = {"resource_group": one}
    module("volume_info: 1 volume", "linstor_incus_volume_info", info, "==", 1)
    module("volume_info: 1 volume, include_resources", "linstor_incus_volume_info",
           {**info, "include_resources": True}, "==", 2)
    module("volume_info: 1 volume, include_snapshots", "linstor_incus_volume_info",
           {**info, "include_snapshots": True}, "==", 2)
    module("volume_info: lookup by name", "linstor_incus_volume_info",
           {**info, "name": "v2", "type": "container", "project": "default"}, "==", 1)
    module("snapshot: delete", "linstor_incus_snapshot", {**snapshot, "state": "absent"})
    module("volume: delete", "linstor_incus_volume", {**volume, "name": "v2", "state": "absent"})

    names = [f"m{index}" for index in range(many)]
    spawn_volumes(url, big, names)
    info = {"resource_group": big}
    module(f"volume_info: {many} volumes", "linstor_incus_volume_info", info, "==", 1)
    module(f"volume_info: {many} volumes, include_resources", "linstor_incus_volume_info",
           {**info, "include_resources": True}, "==", 2)
    if (benchlib.REPO / "plugins/modules/linstor_incus_volumes.py").exists():
        declared = [{"name": name, "type": "container", "size": "1GiB"} for name in names]
        module(f"volumes (one call): {many} volumes, no change", "linstor_incus_volumes",
               {"resource_group": big, "volumes": declared}, "==", 1)
    return rows


def table(rows: list[OpCount]) -> Table:
    result = Table("HTTP requests per operation (from the emulator's request log)",
                   ["operation", "requests", "goal", "verdict", "what was sent"])
    for row in rows:
        result.add(row.operation, row.count, row.goal.text if row.goal else "-",
                   row.goal.verdict if row.goal else "-", row.requests)
        if row.goal:
            result.goals.append(row.goal)
    result.notes.append("Counts are deterministic: tests/bench/test_request_counts.py asserts the goals.")
    result.notes.append("Snapshot create: 5 is the least a create that settles concurrent twins can send on LINSTOR "
                        "1.28 to 1.31 (claim, snapshot, read-back, mapping after the lookup); docs/reliability.md, "
                        "\"Why a snapshot create sends five requests\", weighs the ways to 3 and why each was refused.")
    return result


def run(directory: Path, many: int = 50) -> list[Table]:
    emulator = benchlib.Emulator(directory, "counts")
    with emulator:
        rows = measure(emulator.url, emulator.log, many)
    return [table(rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--many", type=int, default=50)
    options = parser.parse_args()
    directory = benchlib.workdir("counts")
    try:
        for section in run(directory, options.many):
            print(section.markdown())
    finally:
        benchlib.remove(directory)


if __name__ == "__main__":
    main()
