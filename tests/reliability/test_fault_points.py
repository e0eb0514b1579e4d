"""Fault points: every write step of create, copy, copy from a snapshot, snapshot create and restore
with removal fails once, in each of three ways; the module fails with LINSTOR's message (or a clear
connection message), leaves nothing half-made, and the same task run again converges.

The three ways (docs/emulator.md, fault injection): ``error`` (LINSTOR refuses, nothing applied),
``drop_before`` (the connection breaks before the controller acts), ``drop_after`` (the controller
applies and commits the write, then the connection breaks: the client cannot tell it from
``drop_before``). Each case gets an emulator of its own.

After the failed run the state is read over REST, not through the modules (``reliability_harness.scan``),
and through ``linstor_incus_volume_info`` (``scan_all``, ``include_snapshots``): no RD without its aux
keys, no two RDs for one volume, no generated snapshot that no mapping names, no mapping naming a
missing snapshot. Then the faults are removed and the task runs twice more: the first re-run
succeeds, the second changes nothing (a restore is an action, so for it: succeeds and removes
nothing more).

The linstor_incus_snapshot integration target (tasks/tests/faults.yml, copy_fault_once.yml) already
fails the snapshot-create and copy-from-snapshot writes with ``error`` and ``drop_after`` through
ansible-playbook; these cases add ``drop_before``, the other operations, and the figures for all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from ansible_collections.linstor.incus.plugins.module_utils._client import LinstorError, client_from_params
from ansible_collections.linstor.incus.plugins.module_utils._module import ModuleFailure
from ansible_collections.linstor.incus.plugins.module_utils._naming import NamingError
from ansible_collections.linstor.incus.plugins.modules import linstor_incus_volume
from reliability_harness import Env, ModuleRun, info_anomalies, record, scan

VOLUME = "linstor_incus_volume"
SNAPSHOT = "linstor_incus_snapshot"
RD = "/v1/resource-definitions/[^/]+"
ACTIONS = ("error", "drop_before", "drop_after")
CONNECTION_MESSAGE = re.compile(r"remote end closed|may have been applied|could not reach any LINSTOR controller",
                                re.IGNORECASE)

MODULE_COPIES_FROM_SNAPSHOT = "snapshot" in (linstor_incus_volume.MODULE_OPTIONS["source"].get("options") or {})


@dataclass(frozen=True)
class Point:
    operation: str
    step: str
    method: str
    path: str
    nth: int = 1

    @property
    def id(self) -> str:
        return f"{self.operation}:{self.step}"


POINTS = [
    Point("create", "spawn", "POST", "/v1/resource-groups/[^/]+/spawn"),
    Point("create", "autoplace", "POST", RD + "/autoplace"),
    Point("copy", "clone", "POST", RD + "/clone"),
    Point("copy", "drop ExactSize (grow)", "PUT", RD),
    Point("copy", "resize (grow)", "PUT", RD + "/volume-definitions/0"),
    Point("copy_from_snapshot", "create RD", "POST", "/v1/resource-definitions"),
    Point("copy_from_snapshot", "restore volume definitions", "POST", RD + "/snapshot-restore-volume-definition/[^/]+"),
    Point("copy_from_snapshot", "restore resources", "POST", RD + "/snapshot-restore-resource/[^/]+"),
    Point("copy_from_snapshot", "own identity (after the restore)", "PUT", RD),
    Point("snapshot_create", "claim", "PUT", RD),
    Point("snapshot_create", "snapshot", "POST", RD + "/snapshots"),
    Point("snapshot_create", "mapping (drops the claim)", "PUT", RD, nth=2),
    Point("restore_with_removal", "delete 1st newer snapshot", "DELETE", RD + "/snapshots/[^/]+"),
    Point("restore_with_removal", "delete 2nd newer snapshot", "DELETE", RD + "/snapshots/[^/]+", nth=2),
    Point("restore_with_removal", "drop the newer mappings", "PUT", RD),
    Point("restore_with_removal", "rollback", "POST", RD + "/snapshot-rollback/[^/]+"),
]

# --- The operations ---------------------------------------------------------------------------------


def copy_from_snapshot_direct(env: Env, name: str, source: str, snapshot: str, size: str) -> ModuleRun:
    """Copy from a snapshot through ``_snapshots.copy_from_snapshot`` while the module does not offer it.

    The same flow as the module's run (look the volume up; copy only when it does not exist) and
    the same mapping of errors to a failed result as ``_module.run_module``.
    """
    from ansible_collections.linstor.incus.plugins.module_utils._snapshots import copy_from_snapshot
    from ansible_collections.linstor.incus.plugins.module_utils._volumes import (
        Outcome,
        find_volumes,
        parse_request,
        single,
    )

    params = env.args(name=name, type="containers", project="default", size=size, state="present",
                      prefix="incus-volume-", source={"volume": source, "type": None, "project": None},
                      wait_timeout=60.0, delete_retries=0, delete_retry_delay=0.1)
    try:
        client = client_from_params({**params, "validate_certs": True})
        request = parse_request(params)
        found = find_volumes(client, request.prefix, request.volume_type, request.project, [name],
                             request.resource_group)
        if single(found[name], request.incus_name, "name", request.prefix) is not None:
            return ModuleRun({"changed": False}, 0)
        outcome = Outcome(None)
        copy_from_snapshot(client, request, outcome, False, snapshot=snapshot)
        return ModuleRun(outcome.result(False), 0)
    except (NamingError, ModuleFailure, LinstorError) as error:
        return ModuleRun({"failed": True, "msg": str(error)}, 1)
    except Exception as error:  # noqa: BLE001 - measured as a traceback
        return ModuleRun({"failed": True, "msg": repr(error)}, 1, traceback=repr(error))


def prepare(env: Env, operation: str) -> dict[str, Any]:
    """Make what the operation needs; return the task as (callable, target description)."""
    if operation != "create":
        env.must(VOLUME, name="src", type="container", size="1GiB")
    if operation == "create":
        return {"run": lambda: env.run(VOLUME, name="c-new", type="container", size="1GiB"), "via": "module"}
    if operation == "copy":
        return {"run": lambda: env.run(VOLUME, name="c-copy", type="container", size="2GiB",
                                       source={"volume": "src"}), "via": "module"}
    if operation == "copy_from_snapshot":
        env.must(SNAPSHOT, volume="src", type="container", name="s1")
        if MODULE_COPIES_FROM_SNAPSHOT:
            return {"run": lambda: env.run(VOLUME, name="c-restored", type="container", size="1GiB",
                                           source={"volume": "src", "snapshot": "s1"}), "via": "module"}
        return {"run": lambda: copy_from_snapshot_direct(env, "c-restored", "src", "s1", "1GiB"),
                "via": "module_utils (source.snapshot is not a module option yet)"}
    if operation == "snapshot_create":
        return {"run": lambda: env.run(SNAPSHOT, volume="src", type="container", name="s1"), "via": "module"}
    if operation == "restore_with_removal":
        for name in ("s1", "s2", "s3"):
            env.must(SNAPSHOT, volume="src", type="container", name=name)
        return {"run": lambda: env.run(SNAPSHOT, volume="src", type="container", name="s1", state="restored",
                                       remove_newer_snapshots=True), "via": "module"}
    raise AssertionError(operation)


def counts(env: Env) -> tuple[int, int]:
    found = scan(env)
    return len(found.rds), sum(len(snaps) for snaps in found.snapshots.values())


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("point", POINTS, ids=[point.id for point in POINTS])
def test_fault_point(env: Env, point: Point, action: str) -> None:
    task = prepare(env, point.operation)
    rds_before, snapshots_before = counts(env)
    message = f"Injected failure at {point.id}"
    env.debug.clear_faults()
    env.debug.add_fault(action, point.path, point.method, nth=point.nth, message=message, cause="reliability test")

    failed = task["run"]()
    fired = sum(fault["fired"] for fault in env.debug.faults())
    env.debug.clear_faults()
    after = scan(env)
    anomalies = info_anomalies(env)
    rds_after, snapshots_after = counts(env)
    if point.operation == "restore_with_removal":
        left_behind = 0  # a restore removes snapshots by design; what it removed is reported, see below
    elif point.operation == "snapshot_create":
        left_behind = (rds_after - rds_before) + (snapshots_after - snapshots_before)
    else:
        left_behind = rds_after - rds_before

    # error: LINSTOR's own message reaches the user; drops: a message saying the connection broke
    message_ok = message in failed.msg if action == "error" else bool(CONNECTION_MESSAGE.search(failed.msg))

    rerun = task["run"]()
    second = task["run"]()
    final = scan(env)
    final_anomalies = info_anomalies(env)
    if point.operation == "restore_with_removal":
        second_ok = not second.failed and not second.result.get("removed_snapshots")
        src = final.volumes["containers:incus-volume-src"]
        mapped = sorted((rerun.result.get("volume") or {}).get("snapshots") or {})
        shape_ok = mapped == ["s1"] and len(final.snapshots[src]) == 1
    else:
        second_ok = not second.failed and not second.changed
        shape_ok = True
    converged = not rerun.failed and second_ok and final.problems == 0 and shape_ok

    row = {
        "operation": point.operation, "step": point.step, "action": action, "via": task["via"],
        "fault_fired": fired, "failed": failed.failed, "message_ok": message_ok,
        "traceback": failed.traceback is not None or rerun.traceback is not None,
        "orphans": len(after.orphans), "duplicates": len(after.duplicates), "unmapped": len(after.unmapped),
        "dangling": len(after.dangling), "info_anomalies": sum(anomalies.values()), "left_behind": left_behind,
        "rerun_ok": not rerun.failed, "second_rerun_changed": second.changed, "converged": converged,
        "final_problems": final.problems + sum(final_anomalies.values()),
    }
    record("faults", **row)

    assert fired == 1, f"the fault at {point.id} never fired: the step was not reached ({failed.result})"
    assert failed.failed, f"the run did not fail although {point.id} failed ({action}): {failed.result}"
    assert failed.traceback is None, failed.traceback
    assert message_ok, f"{action} at {point.id}: message does not say what happened: {failed.msg!r}"
    assert after.problems == 0 and sum(anomalies.values()) == 0, (after.summary(), anomalies)
    assert left_behind == 0, f"{left_behind} objects left behind by the failed {point.operation}"
    assert not rerun.failed, f"re-run failed: {rerun.result}"
    assert second_ok, f"second re-run: {second.result}"
    assert shape_ok, (final.snapshots, rerun.result.get("volume"))
    assert final.problems == 0 and sum(final_anomalies.values()) == 0, (final.summary(), final_anomalies)
    if point.operation == "restore_with_removal" and failed.result.get("changed"):
        # a restore that failed after deleting newer snapshots says which went
        assert failed.result.get("removed_snapshots"), failed.result


OPERATIONS = sorted({point.operation for point in POINTS})


@pytest.mark.parametrize("operation", OPERATIONS)
def test_points_cover_every_write_step(env: Env, operation: str) -> None:
    """A successful run of each operation sends only writes listed in POINTS (no untested step)."""
    task = prepare(env, operation)
    env.debug.clear_requests()
    outcome = task["run"]()
    assert not outcome.failed, outcome.result
    writes = [entry for entry in env.debug.requests() if entry["method"] != "GET"]
    untested = [f"{entry['method']} {entry['path']}" for entry in writes
                if not any(point.operation == operation and point.method == entry["method"]
                           and re.fullmatch(point.path, entry["path"]) for point in POINTS)]
    record("fault_coverage", operation=operation, writes=len(writes), untested=untested)
    assert not untested, f"{operation}: writes without a fault point: {untested}"


def failed_with_one_error(env: Env, path: str, method: str, nth: int, module: str, **args: Any) -> ModuleRun:
    """Run ``module`` with the ``nth`` ``method`` request to ``path`` answered by an error (once): the run must hit
    that fault and fail as a change, without a traceback."""
    fault = env.debug.add_fault("error", path, method, nth=nth, times=1)
    outcome = env.run(module, **args)
    env.debug.clear_faults()
    assert fault["id"] in [entry["fault"]["id"] for entry in env.debug.requests() if entry.get("fault")]
    assert outcome.failed and outcome.changed and outcome.traceback is None, outcome.result
    return outcome


def test_a_failed_confirming_lookup_keeps_the_placed_volume(env: Env) -> None:
    """The lookup after autoplace is a read: its failure undoes nothing, because the placed RD may
    already be a concurrent run's survivor. The run says so (changed) and the RD is a whole volume."""
    outcome = failed_with_one_error(env, "/v1/resource-definitions", "GET", 2, VOLUME, name="unconfirmed",
                                    type="container", size="64MiB")
    assert "is kept" in outcome.msg and outcome.result["linstor_error"]["message"], outcome.result
    state = scan(env)
    assert not state.problems and "containers:incus-volume-unconfirmed" in state.volumes, state.summary()
    again = env.run(VOLUME, name="unconfirmed", type="container", size="64MiB")
    assert not again.failed and not again.changed, again.result
    assert again.result["volume"]["resource_definition"] == state.volumes["containers:incus-volume-unconfirmed"]


def test_list_a_failed_confirming_lookup_keeps_the_placed_volume(env: Env) -> None:
    """linstor_incus_volumes as linstor_incus_volume: the new volume whose confirming lookup fails is kept, reported
    in changes as created (with its RD) and in the message; the re-run finds it and finishes the list."""
    env.must("linstor_incus_volumes", volumes=[{"name": "first", "type": "container", "size": "64MiB"}])
    volumes = [{"name": "first", "type": "container", "size": "64MiB"},
               {"name": "unconfirmed-list", "type": "container", "size": "64MiB"},
               {"name": "after", "type": "container", "size": "64MiB"}]
    outcome = failed_with_one_error(env, "/v1/resource-definitions", "GET", 2, "linstor_incus_volumes", volumes=volumes)
    state = scan(env)
    kept = state.volumes.get("containers:incus-volume-unconfirmed-list")
    assert kept and not state.problems and "containers:incus-volume-after" not in state.volumes, state.summary()
    assert [(entry["name"], entry["actions"], entry["resource_definition"]) for entry in outcome.result["changes"]] \
        == [("unconfirmed-list", ["created"], kept)], outcome.result
    assert f"is kept (resource definition {kept})" in outcome.msg and "removed again" not in outcome.msg
    again = env.run("linstor_incus_volumes", volumes=volumes)
    assert not again.failed and [entry["name"] for entry in again.result["changes"]] == ["after"], again.result


def test_list_a_snapshot_failing_on_a_new_volume_keeps_the_volume_and_earlier_snapshots(env: Env) -> None:
    """Once placed and confirmed, a new volume may be a concurrent run's survivor: a later failure of its item
    (its second snapshot's create refused) keeps it with its first snapshot, whole; the re-run makes the second."""
    volumes = [{"name": "kept-new", "type": "container", "size": "64MiB",
                "snapshots": [{"name": "s1"}, {"name": "s2"}]}]
    outcome = failed_with_one_error(env, "/v1/resource-definitions/[^/]+/snapshots", "POST", 2, "linstor_incus_volumes",
                                    volumes=volumes)
    state = scan(env)
    rd = state.volumes.get("containers:incus-volume-kept-new")
    assert rd and not state.problems, state.summary()
    assert len(state.snapshots[rd]) == 1, state.snapshots[rd]
    [entry] = outcome.result["changes"]
    assert entry["actions"] == ["created", "snapshot_created"] and entry["snapshots_created"] == ["s1"], entry
    assert "is kept" in outcome.msg, outcome.msg
    again = env.run("linstor_incus_volumes", volumes=volumes)
    assert not again.failed and again.result["changes"][0]["snapshots_created"] == ["s2"], again.result


def test_list_a_snapshot_delete_whose_mapping_stays_is_reported_done(env: Env) -> None:
    """The LINSTOR snapshot is deleted, then removing its mapping is refused: the item's changes entry records the
    delete (the next run removes the dangling mapping), the message does not say nothing was changed, and no key
    outside the documented ones is returned."""
    volumes = [{"name": "snapdel", "type": "container", "size": "64MiB", "snapshots": [{"name": "a"}]}]
    env.must("linstor_incus_volumes", volumes=volumes)
    volumes[0]["snapshots"] = [{"name": "a", "state": "absent"}]
    outcome = failed_with_one_error(env, RD, "PUT", 1, "linstor_incus_volumes", volumes=volumes)
    [entry] = outcome.result["changes"]
    assert entry["actions"] == ["snapshot_deleted"] and entry["snapshots_deleted"] == ["a"], outcome.result
    assert "Nothing was changed" not in outcome.msg and "removed_snapshots" not in outcome.result, outcome.result
    rd = scan(env).volumes["containers:incus-volume-snapdel"]
    assert scan(env).snapshots[rd] == [], "the LINSTOR snapshot is gone"
    again = env.run("linstor_incus_volumes", volumes=volumes)
    assert not again.failed and again.changed, again.result
    assert "Aux/Incus/snapshot-name/a" not in again.result["volumes"][0]["properties"]
    assert not env.run("linstor_incus_volumes", volumes=volumes).changed


def test_a_failed_snapshot_create_still_says_which_dangling_mapping_it_found(env: Env) -> None:
    """The run found the snapshot's mapping naming a LINSTOR snapshot the RD lacks (warned), then LINSTOR refused the
    snapshot: the failure keeps that warning, which tells why the snapshot looked missing."""
    env.must("linstor_incus_volume", name="dangle", type="container", size="64MiB")
    made = env.must(SNAPSHOT, volume="dangle", type="container", name="s1")
    rd, linstor_name = made.result["volume"]["resource_definition"], made.result["snapshot"]["linstor_name"]
    assert requests.delete(f"{env.url}/v1/resource-definitions/{rd}/snapshots/{linstor_name}", timeout=30).ok
    env.debug.add_fault("error", RD + "/snapshots", "POST", times=1)
    outcome = env.run(SNAPSHOT, volume="dangle", type="container", name="s1")
    assert outcome.failed and outcome.traceback is None, outcome.result
    assert f"named LINSTOR snapshot {linstor_name}" in json.dumps(outcome.result.get("warnings")), outcome.result
    assert not scan(env).unmapped, "the refused create left nothing behind"
