"""Races: 8 processes run the same create at the same moment; exactly one object must remain.

Each racer is its own process running the module as Ansible runs a module file (race_worker.py):
all 8 import everything first, report ready, then wait on one file's existence; the test creates
the file when all are ready, so their requests start within a millisecond or so of each other.
Rounds and waits are bounded. Each test has an emulator of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ansible_collections.linstor.incus.plugins.module_utils._naming import AUX_NAME, snapshot_mappings
from reliability_harness import Env, record, scan

RACERS = 8
ROUNDS = 3
WORKER = Path(__file__).resolve().parent / "race_worker.py"
READY_TIMEOUT = 90.0
RUN_TIMEOUT = 120.0


def race(env: Env, directory: Path, module: str, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Run ``RACERS`` processes of ``module`` with the same arguments, released together; their results."""
    directory.mkdir(parents=True)
    args_file = directory / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": env.args(**args)}))
    go = directory / "go"
    processes = []
    for index in range(RACERS):
        ready = directory / f"ready-{index}"
        processes.append((ready, subprocess.Popen(
            [sys.executable, str(WORKER), module, str(args_file), str(ready), str(go), str(READY_TIMEOUT)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=directory)))
    deadline = time.monotonic() + READY_TIMEOUT
    while not all(ready.exists() for ready, _ in processes) and time.monotonic() < deadline:
        time.sleep(0.02)
    go.touch()
    results = []
    for _, process in processes:
        try:
            out, err = process.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        try:
            results.append(json.loads(out.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            results.append({"failed": True, "msg": f"no result (exit {process.returncode}): {err[-500:]}"})
    return results


def _summary(results: list[dict[str, Any]]) -> dict[str, int]:
    return {"runs": len(results), "failed": sum(bool(r.get("failed")) for r in results),
            "changed": sum(bool(r.get("changed")) for r in results),
            "tracebacks": sum("exception" in r or str(r.get("msg", "")).startswith("unexpected") for r in results)}


def test_concurrent_volume_creates_leave_one_rd(env: Env, tmp_path: Path) -> None:
    rounds = []
    for number in range(ROUNDS):
        name = f"race-{number}"
        results = race(env, tmp_path / name, "linstor_incus_volume",
                       {"name": name, "type": "container", "size": "64MiB"})
        rds = [rd["name"] for rd in scan(env).rds
               if (rd.get("props") or {}).get(AUX_NAME) == f"incus-volume-{name}"]
        again = env.run("linstor_incus_volume", name=name, type="container", size="64MiB")
        survivors = {(r.get("volume") or {}).get("resource_definition") for r in results if not r.get("failed")}
        row = {"target": "volume", "round": number, "logical_name": name, "rds_left": len(rds),
               "rerun_failed": again.failed, "rerun_changed": again.changed,
               "races_lost": sum("concurrent_create" in r for r in results),
               "all_report_survivor": survivors == set(rds), **_summary(results)}
        record("races", **row)
        rounds.append(row)
    for row in rounds:
        assert row["rds_left"] == 1, row
        assert row["tracebacks"] == 0 and row["failed"] == 0 and row["changed"] == 1, row
        assert row["all_report_survivor"] and not row["rerun_failed"] and not row["rerun_changed"], row


def test_concurrent_snapshot_creates_leave_one_mapped_snapshot(env: Env, tmp_path: Path) -> None:
    env.must("linstor_incus_volume", name="racevol", type="container", size="64MiB")
    rounds = []
    for number in range(ROUNDS):
        name = f"snap-{number}"
        results = race(env, tmp_path / name, "linstor_incus_snapshot",
                       {"volume": "racevol", "type": "container", "name": name})
        state = scan(env)
        rd_name = state.volumes["containers:incus-volume-racevol"]
        rd = next(rd for rd in state.rds if rd["name"] == rd_name)
        mapped = snapshot_mappings(rd.get("props") or {}).get(name)
        reported = {(r.get("snapshot") or {}).get("linstor_name") for r in results if not r.get("failed")}
        row = {"target": "snapshot", "round": number, "logical_name": name,
               "mapped": mapped is not None, "mapped_exists": mapped in state.snapshots[rd_name],
               "snapshots_left": len(state.snapshots[rd_name]) - number,  # earlier rounds left one each
               "unmapped": len(state.unmapped), "dangling": len(state.dangling),
               "all_report_survivor": reported == {mapped}, "races_lost": sum("race" in r for r in results),
               **_summary(results)}
        record("races", **row)
        rounds.append(row)
    for row in rounds:
        assert row["mapped"] and row["mapped_exists"], row
        assert row["snapshots_left"] == 1 and row["unmapped"] == 0 and row["dangling"] == 0, row
        assert row["tracebacks"] == 0 and row["failed"] == 0 and row["all_report_survivor"], row
