"""Races: 8 processes run the same create at the same moment; exactly one object must remain.

Each racer is its own process running the module as Ansible runs a module file (race_worker.py):
all 8 import everything first, report ready, then wait on one file's existence; the test creates
the file when all are ready, so their requests start within a millisecond or so of each other.
Rounds and waits are bounded. Each test has an emulator of its own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    AUX_CONTENT_TYPE,
    AUX_NAME,
    AUX_TYPE,
    SNAPSHOT_CLAIM_PREFIX,
    aux_name,
    snapshot_mappings,
)
from reliability_harness import PREFIX, Env, rds_claiming, record, scan

RD = "/v1/resource-definitions/[^/]+"
LATE_DELAY = 3.0
LARGEST_UUID = uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff")

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
    while not all(ready.exists() for ready, _process in processes) and time.monotonic() < deadline:
        time.sleep(0.02)
    go.touch()
    return [finish(process) for _ready, process in processes]


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
        rds = rds_claiming(env, name)
        again = env.run("linstor_incus_volume", name=name, type="container", size="64MiB")
        survivors = {(r.get("volume") or {}).get("resource_definition") for r in results if not r.get("failed")}
        yielded = {r["concurrent_create"]["deleted"] for r in results if "concurrent_create" in r}
        created = [(r.get("volume") or {}).get("resource_definition") for r in results if r.get("changed")]
        row = {"target": "volume", "round": number, "logical_name": name, "rds_left": len(rds),
               "rerun_failed": again.failed, "rerun_changed": again.changed,
               "races_lost": sum("concurrent_create" in r for r in results),
               "all_report_survivor": survivors == set(rds), "created_survivor": created == rds,
               "reports_explained": survivors <= set(rds) | yielded, **_summary(results)}
        record("races", **row)
        rounds.append(row)
    for row in rounds:
        assert row["rds_left"] == 1, row
        assert row["tracebacks"] == 0 and row["failed"] == 0, row
        # Exactly one run reports creating the RD that is left. Every run that made a twin reports the
        # survivor; a run whose lookup found a twin that yielded since reports that twin
        # (concurrent_create.deleted of the run that made it).
        assert row["created_survivor"] and row["reports_explained"], row
        assert not row["rerun_failed"] and not row["rerun_changed"], row


def test_concurrent_list_creates_leave_one_rd_per_volume(env: Env, tmp_path: Path) -> None:
    """The same linstor_incus_volumes run on every host of a play at once (no run_once): each new volume exists
    once, as with the single-volume module (a run whose RD yielded names it in concurrent_creates), and each
    declared snapshot once, mapped: on an existing volume, and on a new one (a late run whose listing found a
    twin's RD before that RD gave way takes back its snapshot there and makes it on the survivor)."""
    env.must("linstor_incus_volumes", volumes=[{"name": "list-base", "type": "container", "size": "32MiB"}])
    rounds = []
    for number in range(ROUNDS):
        names = [f"list-{number}-a", f"list-{number}-b"]
        volumes = [{"name": names[0], "type": "container", "size": "64MiB", "snapshots": [{"name": "first"}]},
                   {"name": names[1], "type": "container", "size": "32MiB"},
                   {"name": "list-base", "type": "container", "snapshots": [{"name": f"s{number}"}]}]
        results = race(env, tmp_path / f"list-{number}", "linstor_incus_volumes", {"volumes": volumes})
        state = scan(env)
        left = {name: rds_claiming(env, name) for name in names}
        survivors = {name: rds[0] for name, rds in left.items() if len(rds) == 1}
        creators = {name: sum(entry["name"] == name and "created" in entry["actions"]
                              for r in results for entry in r.get("changes") or []) for name in names}
        reported = {(view["name"], view["resource_definition"]) for r in results if not r.get("failed")
                    for view in r.get("volumes") or [] if view["name"] in names}
        yielded = [entry for r in results for entry in r.get("concurrent_creates") or []]
        base = state.volumes["containers:incus-volume-list-base"]
        again = env.run("linstor_incus_volumes", volumes=volumes)
        row = {"target": "volume list", "round": number, "logical_name": ", ".join(names),
               "rds_left": sorted(len(rds) for rds in left.values()), "creators": sorted(creators.values()),
               # a run whose listing found a twin that yielded since reports that twin (docs/reliability.md, limits)
               "reports_explained": {rd for _name, rd in reported}
               <= set(survivors.values()) | {entry["deleted"] for entry in yielded},
               "yielded_to_survivor": all(entry["survivor"] == survivors.get(names[entry["index"]])
                                          for entry in yielded),
               "unmapped": len(state.unmapped), "dangling": len(state.dangling), "duplicates": len(state.duplicates),
               "orphans": len(state.orphans),
               "snapshots_left": len(state.snapshots.get(base, [])) - number,  # earlier rounds left one each
               "new_volume_snapshots": len(state.snapshots.get(survivors.get(names[0], ""), [])),
               "races_lost": len(yielded),
               "snapshots_moved": sum("went on with" in json.dumps(r.get("warnings")) for r in results),
               "rerun_failed": again.failed, "rerun_changed": again.changed,
               **_summary(results)}
        record("races", **row)
        rounds.append((row, [r.get("msg") for r in results if r.get("failed")]))
    for row, failures in rounds:
        assert row["tracebacks"] == 0 and row["failed"] == 0, (row, failures)
        assert row["rds_left"] == [1, 1] and row["creators"] == [1, 1], row
        assert row["reports_explained"] and row["yielded_to_survivor"], row
        assert row["unmapped"] == 0 and row["dangling"] == 0 and row["duplicates"] == 0 and row["orphans"] == 0, row
        assert row["snapshots_left"] == 1 and row["new_volume_snapshots"] == 1, row
        assert not row["rerun_failed"] and not row["rerun_changed"], row


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
               "claims_left": sum(key.startswith(SNAPSHOT_CLAIM_PREFIX) for key in rd.get("props") or {}),
               "wrote_mapping": sum(bool((r.get("race") or {}).get("wrote_mapping")) for r in results),
               **_summary(results)}
        record("races", **row)
        rounds.append(row)
    for row in rounds:
        assert row["mapped"] and row["mapped_exists"], row
        assert row["snapshots_left"] == 1 and row["unmapped"] == 0 and row["dangling"] == 0, row
        assert row["tracebacks"] == 0 and row["failed"] == 0 and row["all_report_survivor"], row
        # changed: the run that made the survivor, and each run that wrote its mapping before that run did
        assert row["claims_left"] == 0 and row["changed"] == 1 + row["wrote_mapping"], row


# --- The windows, made deterministic with a delayed reply ------------------------------------------------


def start_racer(env: Env, directory: Path, module: str, args: dict[str, Any],
                **popen: Any) -> subprocess.Popen:
    """One racer process, started at once (its start signal exists already); ``popen``: more Popen options."""
    directory.mkdir(parents=True)
    args_file = directory / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": env.args(**args)}))
    (directory / "go").touch()
    return subprocess.Popen([sys.executable, str(WORKER), module, str(args_file), str(directory / "ready"),
                             str(directory / "go"), str(READY_TIMEOUT)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=directory, **popen)


def finish(process: subprocess.Popen) -> dict[str, Any]:
    """A racer's module result (its last line of output), or a failed one naming its exit status."""
    try:
        out, err = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"failed": True, "msg": f"no result (exit {process.returncode}): {err[-500:]}"}


def wait_until_seen(env: Env, fault_id: int, timeout: float = 60.0) -> None:
    """Wait (bounded) until the fault has caught its request, then a moment for the write to be applied."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(fault["id"] == fault_id and fault["fired"] for fault in env.debug.faults()):
            time.sleep(0.3)
            return
        time.sleep(0.02)
    raise AssertionError("the delayed request never arrived")


def test_volume_create_twin_with_a_late_lookup(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fault = env.debug.add_fault("delay", "/v1/resource-definitions", "GET", delay_seconds=LATE_DELAY)
    late = start_racer(env, tmp_path / "a", "linstor_incus_volume", {"name": "late", "type": "container",
                                                                     "size": "64MiB"})
    wait_until_seen(env, fault["id"])
    monkeypatch.setattr(uuid, "uuid4", lambda: LARGEST_UUID)  # B's RD name sorts after any A draws
    early = env.run("linstor_incus_volume", name="late", type="container", size="64MiB")
    monkeypatch.undo()
    late_result = finish(late)
    env.debug.clear_faults()
    rds = rds_claiming(env, "late")
    reported = {(early.result.get("volume") or {}).get("resource_definition"),
                (late_result.get("volume") or {}).get("resource_definition")}
    record("races", target="volume, one lookup answered late", round=0, logical_name="late", rds_left=len(rds),
           runs=2, failed=int(early.failed) + int(bool(late_result.get("failed"))),
           changed=int(early.changed) + int(bool(late_result.get("changed"))), tracebacks=0,
           races_lost=int("concurrent_create" in late_result) + int("concurrent_create" in early.result),
           all_report_survivor=len(rds) == 1 and reported == set(rds), unmapped=0)
    assert not early.failed and not late_result.get("failed"), (early.result, late_result)
    # Run A looked up (empty, answered late); run B spawned incus-volume-ffff..., confirmed alone and kept it;
    # then A spawned a smaller name and its confirm saw both: B's RD was placed first, so A yields to it.
    assert len(rds) == 1, f"{len(rds)} RDs claim volume late: {rds}; runs reported {reported}"
    assert reported == set(rds), (reported, rds)
    assert early.changed and not late_result["changed"], (early.result, late_result)
    assert late_result["concurrent_create"]["survivor"] == rds[0], late_result
    assert rds[0] in json.dumps(late_result.get("warnings")), late_result
    again = env.run("linstor_incus_volume", name="late", type="container", size="64MiB")
    assert not again.failed and not again.changed and again.result["volume"]["resource_definition"] == rds[0]


def test_snapshot_create_twin_with_a_late_snapshot(env: Env, tmp_path: Path) -> None:
    env.must("linstor_incus_volume", name="sv", type="container", size="64MiB")
    fault = env.debug.add_fault("delay", RD + "/snapshots", "POST", delay_seconds=LATE_DELAY)
    late = start_racer(env, tmp_path / "a", "linstor_incus_snapshot", {"volume": "sv", "type": "container",
                                                                       "name": "s1"})
    wait_until_seen(env, fault["id"])
    early = env.run("linstor_incus_snapshot", volume="sv", type="container", name="s1")
    late_result = finish(late)
    env.debug.clear_faults()
    state = scan(env)
    rd_name = state.volumes["containers:incus-volume-sv"]
    mapped = snapshot_mappings(next(rd for rd in state.rds if rd["name"] == rd_name).get("props") or {}).get("s1")
    reported = {(early.result.get("snapshot") or {}).get("linstor_name"),
                (late_result.get("snapshot") or {}).get("linstor_name")}
    record("races", target="snapshot, one create answered late", round=0, logical_name="s1",
           snapshots_left=len(state.snapshots[rd_name]), unmapped=len(state.unmapped), runs=2,
           failed=int(early.failed) + int(bool(late_result.get("failed"))),
           changed=int(early.changed) + int(bool(late_result.get("changed"))), tracebacks=0,
           races_lost=int("race" in late_result) + int("race" in early.result),
           all_report_survivor=reported == {mapped})
    assert not early.failed and not late_result.get("failed"), (early.result, late_result)
    assert len(state.snapshots[rd_name]) == 1 and not state.unmapped, (state.snapshots, state.unmapped)
    assert reported == {mapped}, (reported, mapped)
    # A claimed, and its POST was applied first but answered late; B claimed, created, read both claims back
    # and mapped A's snapshot (created first), deleting its own. A's read-back then finds its own mapped.
    # Both changed: A made the survivor, B's write made it Incus's snapshot (A's mapping came after).
    assert late_result["changed"] and "race" not in late_result, late_result
    assert early.changed and early.result["race"]["wrote_mapping"], early.result
    props = next(rd for rd in state.rds if rd["name"] == rd_name).get("props") or {}
    assert not [key for key in props if key.startswith(SNAPSHOT_CLAIM_PREFIX)], props


@pytest.mark.parametrize("source", [{"volume": "src"}, {"volume": "src", "snapshot": "s1"}],
                         ids=["copy", "copy from a snapshot"])
def test_copy_twin_with_a_late_lookup(request: pytest.FixtureRequest, env: Env, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, source: dict[str, str]) -> None:
    env.must("linstor_incus_volume", name="src", type="container", size="64MiB")
    env.must("linstor_incus_snapshot", volume="src", type="container", name="s1")
    fault = env.debug.add_fault("delay", "/v1/resource-definitions", "GET", delay_seconds=LATE_DELAY)
    args = {"name": "dup", "type": "container", "source": source, "size": "128MiB"}  # larger: grown after the copy
    late = start_racer(env, tmp_path / "a", "linstor_incus_volume", args)
    wait_until_seen(env, fault["id"])
    monkeypatch.setattr(uuid, "uuid4", lambda: LARGEST_UUID)  # B's RD name sorts after any A draws
    early = env.run("linstor_incus_volume", **args)
    monkeypatch.undo()
    late_result = finish(late)
    env.debug.clear_faults()
    rds = rds_claiming(env, "dup")
    record("races", target=f"{request.node.callspec.id}, one lookup answered late", round=0, logical_name="dup",
           rds_left=len(rds), runs=2, failed=int(early.failed) + int(bool(late_result.get("failed"))),
           changed=int(early.changed) + int(bool(late_result.get("changed"))), tracebacks=0,
           races_lost=int("concurrent_create" in late_result) + int("concurrent_create" in early.result),
           all_report_survivor=len(rds) == 1, unmapped=0)
    assert len(rds) == 1, f"{len(rds)} RDs claim volume dup: {rds}"
    assert not early.failed and not late_result.get("failed"), (early.result, late_result)
    assert early.result["volume"]["resource_definition"] == rds[0], (early.result, rds)
    assert late_result["concurrent_create"]["survivor"] == rds[0] and not late_result["changed"], late_result
    # the grow's filesystem warning is the survivor's maker's, naming its device; the run that gave way has none
    assert [warning for warning in early.warnings if "keeps its size" in warning and "/dev/drbd<" not in warning
            and re.search(r"resize2fs /dev/drbd\d+", warning)], early.warnings
    assert "keeps its size" not in json.dumps(late_result), late_result


# --- A snapshot made while runs create its volume --------------------------------------------------------


def twin_by_hand(env: Env, volume: str, place: bool) -> str:
    """An RD claiming container ``volume``, spawned over REST as a run creating it spawns its own (placed if
    ``place``); its name."""
    rd_name = f"{PREFIX}{uuid.uuid4().hex}"
    props = {AUX_NAME: aux_name(PREFIX, "containers", "default", volume), AUX_TYPE: "containers",
             AUX_CONTENT_TYPE: "filesystem"}
    requests.post(f"{env.url}/v1/resource-groups/{env.group}/spawn", timeout=30, json={
        "resource_definition_name": rd_name, "volume_sizes": [65536], "definitions_only": True,
        "resource_definition_props": props}).raise_for_status()
    if place:
        place_by_hand(env, rd_name)
    return rd_name


def place_by_hand(env: Env, rd_name: str) -> None:
    requests.post(f"{env.url}/v1/resource-definitions/{rd_name}/autoplace", json={}, timeout=30).raise_for_status()


def rd_props(env: Env, rd_name: str) -> dict[str, str]:
    return next(rd for rd in scan(env).rds if rd["name"] == rd_name).get("props") or {}


def claims_on(env: Env, rd_name: str) -> list[str]:
    return [key for key in rd_props(env, rd_name) if key.startswith(SNAPSHOT_CLAIM_PREFIX)]


def test_list_snapshot_on_a_twin_of_a_volume_being_created_moves_to_the_survivor(env: Env, tmp_path: Path) -> None:
    """As below, through linstor_incus_volumes (a late racer of the same list): its listing found the twin; the
    item reports the survivor."""
    twin = twin_by_hand(env, "lt", place=False)
    fault = env.debug.add_fault("delay", RD, "PUT", delay_seconds=LATE_DELAY)  # the claim on the twin, answered late
    volumes = [{"name": "lt", "type": "container", "size": "64MiB", "snapshots": [{"name": "s1"}]}]
    listing = start_racer(env, tmp_path / "z", "linstor_incus_volumes", {"volumes": volumes})
    wait_until_seen(env, fault["id"])
    survivor = twin_by_hand(env, "lt", place=True)
    place_by_hand(env, twin)
    result = finish(listing)
    env.debug.clear_faults()
    state = scan(env)
    assert not result.get("failed") and result["changed"], result
    assert result["changes"] == [{"index": 0, "name": "lt", "type": "containers", "project": "default",
                                  "incus_name": "incus-volume-lt",
                                  "resource_definition": survivor, "actions": ["snapshot_created"],
                                  "snapshots_created": ["s1"], "snapshots_deleted": []}], result["changes"]
    assert result["volumes"][0]["resource_definition"] == survivor, result["volumes"]
    assert state.snapshots[survivor] == [snapshot_mappings(rd_props(env, survivor))["s1"]], state
    assert state.snapshots[twin] == [] and claims_on(env, twin) == [], state
    assert f"gave way to {survivor}" in json.dumps(result.get("warnings")), result.get("warnings")


@pytest.mark.parametrize("twin_fate", ["gives way", "is deleted"])
def test_snapshot_on_a_twin_of_a_volume_being_created_moves_to_the_survivor(
        env: Env, tmp_path: Path, twin_fate: str) -> None:
    """A run's lookup found the RD of a run creating the volume, not placed yet, and claimed the snapshot on it;
    then another run's RD was placed first, so that RD is the volume. Whether the twin is still there when the
    snapshot is made (its read-back sees both RDs) or already deleted by its maker (the snapshot's create finds no
    RD), the run takes back what it wrote on the twin and makes the snapshot on the survivor."""
    twin = twin_by_hand(env, "tw", place=False)
    fault = env.debug.add_fault("delay", RD, "PUT", delay_seconds=LATE_DELAY)  # the claim on the twin, answered late
    snapshotting = start_racer(env, tmp_path / "z", "linstor_incus_snapshot",
                               {"volume": "tw", "type": "container", "name": "s1"})
    wait_until_seen(env, fault["id"])
    survivor = twin_by_hand(env, "tw", place=True)
    place_by_hand(env, twin)  # placed after the survivor: the twin gives way
    if twin_fate == "is deleted":  # its maker's delete, before the snapshot
        requests.delete(f"{env.url}/v1/resource-definitions/{twin}", timeout=30).raise_for_status()
    result = finish(snapshotting)
    env.debug.clear_faults()
    state = scan(env)
    mapped = snapshot_mappings(rd_props(env, survivor)).get("s1")
    record("races", target=f"snapshot on a twin that {twin_fate}", round=0, logical_name="tw/s1",
           runs=1, failed=int(bool(result.get("failed"))), changed=int(bool(result.get("changed"))), tracebacks=0,
           snapshots_left=len(state.snapshots[survivor]), unmapped=len(state.unmapped),
           all_report_survivor=(result.get("volume") or {}).get("resource_definition") == survivor)
    assert not result.get("failed") and result["changed"], result
    assert result["volume"]["resource_definition"] == survivor, (result, survivor, twin)
    assert result["snapshot"]["linstor_name"] == mapped and state.snapshots[survivor] == [mapped], (result, state)
    assert not state.unmapped and not state.dangling and not claims_on(env, survivor), state
    warned = json.dumps(result.get("warnings"))
    why = f"gave way to {survivor}" if twin_fate == "gives way" else "could not be snapshotted (Resource definition"
    assert f"{twin}, found as volume" in warned and why in warned and f"went on with {survivor}" in warned, warned
    if twin_fate == "gives way":
        assert state.snapshots[twin] == [] and claims_on(env, twin) == [], state
        # what its maker does next: the delete goes through, nothing of this run's is on it
        requests.delete(f"{env.url}/v1/resource-definitions/{twin}", timeout=30).raise_for_status()
    assert rds_claiming(env, "tw") == [survivor]
    again = env.run("linstor_incus_snapshot", volume="tw", type="container", name="s1")
    assert not again.failed and not again.changed, again.result


def test_snapshot_on_a_volume_not_placed_yet_waits_for_its_placement(env: Env, tmp_path: Path) -> None:
    """The only RD of the volume, being created by another run, has no resource yet when the snapshot is made:
    LINSTOR answers that it found no resources; the run takes back its claim, looks the volume up again and
    makes the snapshot once the RD is placed (the same RD: no warning)."""
    rd_name = twin_by_hand(env, "np", place=False)
    # the lookup after the refused snapshot, answered late: the RD is placed meanwhile
    fault = env.debug.add_fault("delay", "/v1/resource-definitions", "GET", nth=2, delay_seconds=1.0)
    snapshotting = start_racer(env, tmp_path / "z", "linstor_incus_snapshot",
                               {"volume": "np", "type": "container", "name": "s1"})
    wait_until_seen(env, fault["id"])
    place_by_hand(env, rd_name)
    result = finish(snapshotting)
    env.debug.clear_faults()
    state = scan(env)
    refused = [entry for entry in env.debug.requests()
               if entry["method"] == "POST" and entry["path"].endswith("/snapshots") and entry["status"] >= 400]
    assert not result.get("failed") and result["changed"], result
    assert [entry["status"] for entry in refused] == [500], refused  # FAIL_NOT_CONNECTED: no diskful resource
    assert state.snapshots[rd_name] == [snapshot_mappings(rd_props(env, rd_name))["s1"]], state
    assert not state.unmapped and not claims_on(env, rd_name), state
    assert "went on with" not in json.dumps(result.get("warnings")), result


def rd_deletes(env: Env, rd_name: str) -> list[int]:
    """The HTTP statuses of every DELETE of the RD, in the emulator's request log."""
    return [entry["status"] for entry in env.debug.requests()
            if entry["method"] == "DELETE" and entry["path"] == f"/v1/resource-definitions/{rd_name}"]


def maker_whose_rd_gives_way(env: Env, directory: Path, volume: str) -> tuple[subprocess.Popen, str, str]:
    """A linstor_incus_volume run creating ``volume`` whose lookup (answered late) found nothing and whose RD is
    placed after one spawned and placed over REST meanwhile: it will give way. Returns the run, still at its
    autoplace (answered late), the survivor and the run's own RD (the twin)."""
    lookup = env.debug.add_fault("delay", "/v1/resource-definitions", "GET", delay_seconds=LATE_DELAY)
    # the second autoplace is the maker's (the first places the survivor, by hand): answered late
    placed = env.debug.add_fault("delay", RD + "/autoplace", "POST", nth=2, delay_seconds=LATE_DELAY)
    maker = start_racer(env, directory, "linstor_incus_volume", {"name": volume, "type": "container",
                                                                 "size": "64MiB"})
    wait_until_seen(env, lookup["id"])  # its lookup found nothing
    survivor = twin_by_hand(env, volume, place=True)
    wait_until_seen(env, placed["id"])  # its RD is placed after the survivor
    return maker, survivor, next(name for name in rds_claiming(env, volume) if name != survivor)


@pytest.mark.parametrize("claimed", [True, False], ids=["claimed: a run takes it back", "not claimed"])
def test_a_run_whose_twin_gave_way_waits_only_for_a_snapshot_a_run_takes_back(env: Env, tmp_path: Path,
                                                                              claimed: bool) -> None:
    """The maker of an RD that gives way deletes it; LINSTOR refuses while the RD has a snapshot. One made by a run
    that took the RD for the volume comes with that run's claim, and goes again once its read-back sees the
    survivor: the maker tries again meanwhile, and one RD is left. A snapshot with no claim (Incus's, or one mapped)
    stays: the maker tries once more, then fails, naming the RD it leaves behind, as before."""
    maker, survivor, twin = maker_whose_rd_gives_way(env, tmp_path / "m", "wt")
    snapshot = f"{PREFIX}{uuid.uuid4().hex}"
    rd_url = f"{env.url}/v1/resource-definitions/{twin}"
    claim = {SNAPSHOT_CLAIM_PREFIX + snapshot: "s1"} if claimed else {}
    requests.put(rd_url, json={"override_props": claim}, timeout=30).raise_for_status()
    requests.post(f"{rd_url}/snapshots", json={"name": snapshot}, timeout=30).raise_for_status()

    def take_back() -> None:  # as the snapshotting run undoes its writes: the snapshot, then the claim
        requests.delete(f"{rd_url}/snapshots/{snapshot}", timeout=30).raise_for_status()
        requests.put(rd_url, json={"delete_props": list(claim)}, timeout=30).raise_for_status()

    taken_back = threading.Timer(LATE_DELAY + 1.0, take_back)
    if claimed:
        taken_back.start()
    result = finish(maker)
    if claimed:
        taken_back.join()
    env.debug.clear_faults()
    deletes = rd_deletes(env, twin)
    if claimed:
        assert not result.get("failed") and not result["changed"], result
        assert result["concurrent_create"] == {"deleted": twin, "survivor": survivor}, result
        assert len(deletes) >= 2 and deletes[0] != 200 and deletes[-1] == 200, deletes
        assert rds_claiming(env, "wt") == [survivor]
    else:
        [left] = result["left_behind"]
        assert result.get("failed") and left.startswith(
            f"resource definition {twin} (Cannot delete resource definition '{twin}' because it has snapshots."), result
        assert deletes == [500, 500], deletes  # refused; no claim on it: tried once more, then reported
        assert sorted(rds_claiming(env, "wt")) == sorted([survivor, twin])


def test_a_maker_tries_once_more_when_the_snapshot_went_between_its_refusal_and_its_read(
        env: Env, tmp_path: Path) -> None:
    """The snapshot run takes its snapshot and claim back while the maker's refused delete is being answered: the
    maker's read of the RD shows no claim, and it sends the delete once more (it goes through) instead of leaving
    the RD behind."""
    maker, survivor, twin = maker_whose_rd_gives_way(env, tmp_path / "m", "wr")
    snapshot = f"{PREFIX}{uuid.uuid4().hex}"
    rd_url = f"{env.url}/v1/resource-definitions/{twin}"
    claim = SNAPSHOT_CLAIM_PREFIX + snapshot
    requests.put(rd_url, json={"override_props": {claim: "s1"}}, timeout=30).raise_for_status()
    requests.post(f"{rd_url}/snapshots", json={"name": snapshot}, timeout=30).raise_for_status()
    refused = env.debug.add_fault("delay", f"/v1/resource-definitions/{twin}", "DELETE", delay_seconds=LATE_DELAY)
    wait_until_seen(env, refused["id"])  # refused (the snapshot is there); the refusal answered late
    requests.delete(f"{rd_url}/snapshots/{snapshot}", timeout=30).raise_for_status()
    requests.put(rd_url, json={"delete_props": [claim]}, timeout=30).raise_for_status()
    result = finish(maker)
    env.debug.clear_faults()
    deletes = rd_deletes(env, twin)
    assert not result.get("failed") and result["concurrent_create"]["deleted"] == twin, result
    assert deletes == [500, 200], deletes
    assert rds_claiming(env, "wr") == [survivor]


@pytest.mark.parametrize("read_back_delay", [LATE_DELAY, 12.0], ids=["read-back late", "read-back later than 10 s"])
def test_a_maker_and_a_run_snapshotting_its_rd_leave_one_rd(env: Env, tmp_path: Path, read_back_delay: float) -> None:
    """Both sides real: a volume create (the maker) whose RD gives way, and a snapshot run whose lookup found that
    RD before it was placed. The maker's delete is refused while the snapshot is on its RD; the snapshot run's
    read-back (answered late) sees the survivor, takes its claim and snapshot back and makes the snapshot there;
    the maker's next delete goes through. Each step is held open by a delayed reply, added once the step before
    it was seen, so the order is the same every time. The maker waits as long as the snapshot run's requests may
    take (four of its timeout, 10 s here): a read-back answered after 12 s is still waited for."""
    spawned = env.debug.add_fault("delay", "/v1/resource-groups/[^/]+/spawn", "POST", delay_seconds=LATE_DELAY)
    maker = start_racer(env, tmp_path / "m", "linstor_incus_volume", {"name": "mx", "type": "container",
                                                                      "size": "64MiB"})
    wait_until_seen(env, spawned["id"])  # the maker's RD exists, not placed yet; its reply comes later
    claimed = env.debug.add_fault("delay", RD, "PUT", delay_seconds=LATE_DELAY)
    snapshotting = start_racer(env, tmp_path / "s", "linstor_incus_snapshot",
                               {"volume": "mx", "type": "container", "name": "s1", "timeout": 30})
    wait_until_seen(env, claimed["id"])  # its lookup found the maker's RD alone, and claimed s1 on it
    confirm = env.debug.add_fault("delay", "/v1/resource-definitions", "GET", delay_seconds=LATE_DELAY)
    survivor = twin_by_hand(env, "mx", place=True)  # placed before the maker's RD (placed once its reply comes)
    wait_until_seen(env, confirm["id"])  # the maker's confirming lookup: both RDs; answered late
    read_back = env.debug.add_fault("delay", "/v1/resource-definitions", "GET", delay_seconds=read_back_delay)
    wait_until_seen(env, read_back["id"])  # the snapshot on the maker's RD is made; the read-back answered late
    made = finish(maker)
    moved = finish(snapshotting)
    env.debug.clear_faults()
    state = scan(env)
    twin = made.get("concurrent_create", {}).get("deleted")
    deletes = rd_deletes(env, twin)
    record("races", target=f"snapshot on a twin, its maker real too, {read_back_delay:g} s", round=0,
           logical_name="mx/s1", runs=2,
           failed=int(bool(made.get("failed"))) + int(bool(moved.get("failed"))),
           changed=int(bool(made.get("changed"))) + int(bool(moved.get("changed"))), tracebacks=0,
           snapshots_left=len(state.snapshots.get(survivor, [])), unmapped=len(state.unmapped),
           races_lost=1, all_report_survivor=(moved.get("volume") or {}).get("resource_definition") == survivor)
    assert not made.get("failed") and not moved.get("failed"), (made, moved)
    assert made["concurrent_create"]["survivor"] == survivor and not made["changed"], made
    assert deletes[0] == 500 and deletes[-1] == 200, deletes  # refused while the snapshot was on it
    assert moved["changed"] and moved["volume"]["resource_definition"] == survivor, moved
    assert rds_claiming(env, "mx") == [survivor]
    assert state.snapshots[survivor] == [snapshot_mappings(rd_props(env, survivor))["s1"]], state
    assert not state.unmapped and not state.dangling and not claims_on(env, survivor), state


def test_a_snapshot_run_whose_lookup_finds_twins_waits_for_them_to_settle(env: Env) -> None:
    """The lookup of linstor_incus_snapshot finds two RDs claiming the volume, as while runs create it; the one that
    gives way is deleted by its maker moments later. The lookup is read again meanwhile (as linstor_incus_volume's
    is), and the snapshot is made on the RD left, instead of failing on the duplicate."""
    survivor = twin_by_hand(env, "st", place=True)
    twin = twin_by_hand(env, "st", place=True)
    env.debug.clear_requests()
    maker_deletes = threading.Timer(0.7, lambda: requests.delete(f"{env.url}/v1/resource-definitions/{twin}",
                                                                 timeout=30).raise_for_status())
    maker_deletes.start()
    outcome = env.run("linstor_incus_snapshot", volume="st", type="container", name="s1")
    maker_deletes.join()
    lookups = [entry for entry in env.debug.requests()
               if entry["method"] == "GET" and entry["path"] == "/v1/resource-definitions"]
    assert not outcome.failed and outcome.changed, outcome.result
    assert outcome.result["volume"]["resource_definition"] == survivor, outcome.result
    assert len(lookups) >= 3, lookups  # read again while both claimed it, then the read-back
    assert rds_claiming(env, "st") == [survivor]


# --- Resource definitions LINSTOR is deleting (flag DELETE) ----------------------------------------------------
# A controller lists an RD it is deleting, flagged DELETE, until its satellites have removed the resources (seconds;
# for as long as a satellite is offline). The emulator's 'deleting' fault plays that.

BEING_DELETED_FOR = 6.0


class SlowDelete:
    """A DELETE of an RD over REST, as a controller carries it out (listed flagged DELETE for BEING_DELETED_FOR
    seconds), in a thread; started once the RD is flagged."""

    def __init__(self, env: Env, rd_name: str) -> None:
        env.debug.add_fault("deleting", RD, "DELETE", delay_seconds=BEING_DELETED_FOR)
        self.statuses: list[int] = []
        self.thread = threading.Thread(target=lambda: self.statuses.append(
            requests.delete(f"{env.url}/v1/resource-definitions/{rd_name}", timeout=60).status_code))
        self.thread.start()
        deadline = time.monotonic() + 30
        while "DELETE" not in (next((rd for rd in scan(env).rds if rd["name"] == rd_name), {}).get("flags") or []):
            assert time.monotonic() < deadline and self.thread.is_alive(), f"{rd_name} was never flagged DELETE"
            time.sleep(0.05)

    def under_way(self) -> bool:
        return self.thread.is_alive()

    def finish(self) -> None:
        """Wait for the reply, which must be the delete's success."""
        self.thread.join(timeout=60)
        assert self.statuses == [200], self.statuses


def test_a_volume_created_while_its_old_rd_is_being_deleted_gets_an_rd_of_its_own(env: Env) -> None:
    """A volume deleted and created again at once (a playbook that replaces it): its old RD is still listed, flagged
    DELETE. It is not the volume: the create makes a new RD, keeps it when it confirms (the old one, placed earlier,
    is no twin to give way to), and the volume exists once the old RD is gone."""
    env.must("linstor_incus_volume", name="again", type="container", size="64MiB")
    [old] = rds_claiming(env, "again")
    deleter = SlowDelete(env, old)
    created = env.run("linstor_incus_volume", name="again", type="container", size="64MiB")
    assert deleter.under_way(), "the create ran while the old RD was being deleted"
    deleter.finish()
    assert not created.failed and created.changed, created.result
    assert old in json.dumps(created.result.get("warnings")), created.result  # Incus sees both until it is gone
    new = created.result["volume"]["resource_definition"]
    assert new != old and rds_claiming(env, "again") == [new], (old, created.result)
    assert "concurrent_create" not in created.result, created.result
    again = env.run("linstor_incus_volume", name="again", type="container", size="64MiB")
    assert not again.failed and not again.changed and again.result["volume"]["resource_definition"] == new


def test_a_failure_beside_an_rd_being_deleted_still_names_it(env: Env) -> None:
    """A run that fails after its lookup (here: no size for a volume to create) keeps the lookup's warning about the
    RD LINSTOR is still deleting: that RD is why the volume looks gone."""
    env.must("linstor_incus_volume", name="going", type="container", size="64MiB")
    [old] = rds_claiming(env, "going")
    deleter = SlowDelete(env, old)
    failed = env.run("linstor_incus_volume", name="going", type="container")
    assert deleter.under_way(), "the run ended while the old RD was being deleted"
    deleter.finish()
    assert failed.failed and failed.result.get("parameter") == "size", failed.result
    assert old in json.dumps(failed.result.get("warnings")), failed.result


def test_a_list_refused_before_its_writes_beside_an_rd_being_deleted_still_names_it(env: Env) -> None:
    """linstor_incus_volumes refuses an unknown property key before any write, after its read found the volume's old
    RD flagged DELETE: the failure names the option and keeps the warning that names that RD."""
    env.must("linstor_incus_volume", name="going2", type="container", size="64MiB")
    [old] = rds_claiming(env, "going2")
    deleter = SlowDelete(env, old)
    failed = env.run("linstor_incus_volumes", volumes=[
        {"name": "going2", "type": "container", "size": "64MiB", "properties": {"NoSuch/Key": "x"}}])
    assert deleter.under_way(), "the run ended while the old RD was being deleted"
    deleter.finish()
    assert failed.failed and failed.result.get("parameter") == "volumes[0].properties", failed.result
    assert old in json.dumps(failed.result.get("warnings")), failed.result


def test_a_twin_being_deleted_is_no_duplicate(env: Env) -> None:
    """A twin that gave way is listed, flagged DELETE, while LINSTOR deletes it: a lookup meanwhile takes the other
    RD for the volume at once (no reading again, no failure naming both)."""
    survivor = twin_by_hand(env, "gw", place=True)
    twin = twin_by_hand(env, "gw", place=True)
    deleter = SlowDelete(env, twin)
    env.debug.clear_requests()
    started = time.monotonic()
    outcome = env.run("linstor_incus_volume", name="gw", type="container", size="64MiB")
    took = time.monotonic() - started
    listings = [entry for entry in env.debug.requests()
                if entry["method"] == "GET" and entry["path"] == "/v1/resource-definitions"]
    assert deleter.under_way()
    deleter.finish()
    assert not outcome.failed and not outcome.changed, outcome.result
    assert outcome.result["volume"]["resource_definition"] == survivor, outcome.result
    assert len(listings) == 1 and took < BEING_DELETED_FOR, (listings, took)
    listed = env.run("linstor_incus_volumes", volumes=[{"name": "gw", "type": "container", "size": "64MiB"}])
    assert not listed.failed and not listed.changed, listed.result


def writes(env: Env) -> list[dict]:
    return [entry for entry in env.debug.requests() if entry["method"] != "GET"]


@pytest.mark.parametrize("module", ["linstor_incus_volume", "linstor_incus_volumes"])
def test_absent_while_linstor_deletes_the_volume_leaves_it_to_linstor(env: Env, module: str) -> None:
    """state=absent while LINSTOR is deleting the volume's RD (its resources flagged DELETE too: a delete under way,
    or stuck while a satellite is offline, which a delete sent again would not move): nothing for the run to do,
    in check mode too, and a warning names the RD LINSTOR has yet to remove. (A stalled delete, no resource flagged,
    is sent again: test_older_linstor.py.)"""
    volume = {"name": "going", "type": "container"}
    task = {**volume, "state": "absent"} if module == "linstor_incus_volume" else {
        "volumes": [{**volume, "state": "absent"}]}
    env.must("linstor_incus_volume", **volume, size="64MiB")
    [rd] = rds_claiming(env, "going")
    deleter = SlowDelete(env, rd)
    audit = env.run("linstor_incus_volume_info", **volume)
    env.debug.clear_requests()
    checked = env.run(module, check_mode=True, **task)
    absent = env.run(module, **task)
    sent = writes(env)
    assert deleter.under_way(), "the runs met the delete under way"
    deleter.finish()
    for outcome in (checked, absent):
        assert not outcome.failed and not outcome.changed, outcome.result
        assert rd in json.dumps(outcome.result.get("warnings")) and "DELETE" in json.dumps(
            outcome.result.get("warnings")), outcome.result
    assert sent == [], sent
    assert [(v["resource_definition"], v["flags"]) for v in audit.result["volumes"]] == [(rd, ["DELETE"])], audit.result
    assert rds_claiming(env, "going") == []


def test_a_lookup_waits_for_a_twin_whose_placement_takes_seconds(env: Env) -> None:
    """Runs creating a volume at once each spawn an RD: until the slower one is placed and its maker has seen the
    survivor, both are listed, live. A controller may take seconds to place it: a lookup meanwhile reads again (pauses
    doubling from half a second, for ten seconds) and goes on with the survivor once the twin's maker deletes it."""
    survivor = twin_by_hand(env, "slow", place=True)
    twin = twin_by_hand(env, "slow", place=False)
    maker_deletes = threading.Timer(4.0, lambda: requests.delete(f"{env.url}/v1/resource-definitions/{twin}",
                                                                 timeout=30).raise_for_status())
    env.debug.clear_requests()
    maker_deletes.start()
    outcome = env.run("linstor_incus_volume", name="slow", type="container", size="64MiB")
    maker_deletes.join()
    lookups = [entry for entry in env.debug.requests()
               if entry["method"] == "GET" and entry["path"] == "/v1/resource-definitions"]
    assert not outcome.failed and not outcome.changed, outcome.result
    assert outcome.result["volume"]["resource_definition"] == survivor, outcome.result
    assert 4 <= len(lookups) <= 5, lookups  # read at 0, 0.5, 1.5, 3.5 s (both listed), then at 7.5 s
