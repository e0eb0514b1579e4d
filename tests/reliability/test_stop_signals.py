"""A run stopped by a signal (Ctrl-C, a cancelled job, a closed terminal) undoes what it made.

Each test holds one write's reply with the emulator's ``delay`` fault (the write is applied, the
reply waits), signals the module process while it waits, and checks what is left: the run fails
naming the signal, its next request is never sent, and its undo steps run. SIGKILL cannot be
caught; what it leaves is what ``linstor_incus_volume_info`` reports as anomalies.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    AUX_NAME,
    SNAPSHOT_CLAIM_PREFIX,
    snapshot_mappings,
)
from reliability_harness import Env, record, scan
from test_races import RD, finish, start_racer, wait_until_seen

HELD = 3.0


def stop_while_held(env: Env, tmp_path: Path, fault_path: str, method: str, module: str, args: dict,
                    number: signal.Signals) -> dict:
    """Run ``module`` in its own process, signal it while the reply to ``method fault_path`` is held.

    The figures (README's reliability block) are recorded before the assertions, so a failing case
    shows in them too; the test records what was left once it has looked (:func:`left`).
    """
    fault = env.debug.add_fault("delay", fault_path, method, delay_seconds=HELD)
    process = start_racer(env, tmp_path / "run", module, args)
    wait_until_seen(env, fault["id"])
    env.debug.clear_requests()
    process.send_signal(number)
    result = finish(process)
    env.debug.clear_faults()
    env.notes["sent_after_signal"] = [f"{entry['method']} {entry['path']}" for entry in env.debug.requests()]
    env.notes["stopped_state"] = scan(env)
    env.notes["stop"] = {"signal": number.name, "held": f"{method} {fault_path.replace('[^/]+', '<name>')}",
                         "failed_with_message": bool(result.get("failed"))
                         and f"stopped by {number.name}" in result.get("msg", ""),
                         "traceback": "exception" in result, "changed": bool(result.get("changed"))}
    assert process.returncode == 1, (process.returncode, result)
    assert result.get("failed") and f"stopped by {number.name}" in result.get("msg", ""), result
    assert "exception" not in result, result
    return result


def left(env: Env, operation: str, kept: str, converged: bool) -> None:
    """Record what the stopped run left (the emulator read right after it) and whether the task then converged."""
    state = env.notes["stopped_state"]
    claims = sum(key.startswith(SNAPSHOT_CLAIM_PREFIX) for rd in state.rds for key in (rd.get("props") or {}))
    record("stops", operation=operation, kept=kept, orphans=len(state.orphans), duplicates=len(state.duplicates),
           unmapped=len(state.unmapped), dangling=len(state.dangling), claims=claims, converged=converged,
           **env.notes["stop"])


def requests_after_the_signal(env: Env) -> list[str]:
    return env.notes["sent_after_signal"]


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda n: n.name)
def test_snapshot_create_stopped_leaves_no_claim_and_no_snapshot(env: Env, tmp_path: Path,
                                                                 number: signal.Signals) -> None:
    env.must("linstor_incus_volume", name="sv", type="container", size="64MiB")
    stop_while_held(env, tmp_path, RD + "/snapshots", "POST", "linstor_incus_snapshot",
                    {"volume": "sv", "type": "container", "name": "s1"}, number)
    sent = requests_after_the_signal(env)
    # no read-back, no mapping: the undo steps only (the snapshot, then the claim)
    assert [line.split(" ")[0] for line in sent] == ["DELETE", "PUT"], sent
    state = scan(env)
    rd_name = state.volumes["containers:incus-volume-sv"]
    props = next(rd for rd in state.rds if rd["name"] == rd_name).get("props") or {}
    assert state.snapshots[rd_name] == [] and not state.unmapped, state.summary()
    assert not [key for key in props if key.startswith(SNAPSHOT_CLAIM_PREFIX)], props
    assert snapshot_mappings(props) == {}, props
    again = env.run("linstor_incus_snapshot", volume="sv", type="container", name="s1")
    left(env, "snapshot create", "nothing", not again.failed)
    assert not again.failed and again.changed, again.result


def claimants(env: Env, name: str) -> list[str]:
    return [rd["name"] for rd in scan(env).rds if (rd.get("props") or {}).get(AUX_NAME) == f"incus-volume-{name}"]


def test_volume_create_stopped_before_placing_leaves_no_rd(env: Env, tmp_path: Path) -> None:
    stop_while_held(env, tmp_path, "/v1/resource-groups/[^/]+/spawn", "POST", "linstor_incus_volume",
                    {"name": "stopped", "type": "container", "size": "64MiB"}, signal.SIGINT)
    assert [line.split(" ")[0] for line in requests_after_the_signal(env)] == ["DELETE"]
    assert claimants(env, "stopped") == [] and not scan(env).orphans, scan(env).summary()
    again = env.run("linstor_incus_volume", name="stopped", type="container", size="64MiB")
    left(env, "volume create, before placing", "nothing", not again.failed and again.changed)
    assert not again.failed and again.changed, again.result


def test_volume_create_stopped_once_placed_leaves_the_volume_whole(env: Env, tmp_path: Path) -> None:
    """Once placed, the RD is no longer only this run's: a twin may already have yielded to it, so it
    is not deleted (as after any failure of the confirming lookup). It is a whole volume: every aux
    key came with the spawn."""
    result = stop_while_held(env, tmp_path, RD + "/autoplace", "POST", "linstor_incus_volume",
                             {"name": "placed", "type": "container", "size": "64MiB"}, signal.SIGINT)
    assert requests_after_the_signal(env) == []
    assert result["changed"] and "is kept" in result["msg"], result
    rds = claimants(env, "placed")
    assert len(rds) == 1 and not scan(env).orphans, scan(env).summary()
    again = env.run("linstor_incus_volume", name="placed", type="container", size="64MiB")
    left(env, "volume create, once placed", "the volume, whole",
         not again.failed and not again.changed and again.result["volume"]["resource_definition"] == rds[0])
    assert not again.failed and not again.changed and again.result["volume"]["resource_definition"] == rds[0]


def test_restore_stopped_after_a_delete_leaves_no_dangling_mapping(env: Env, tmp_path: Path) -> None:
    env.must("linstor_incus_volume", name="rv", type="container", size="64MiB")
    for name in ("s1", "s2", "s3"):
        env.must("linstor_incus_snapshot", volume="rv", type="container", name=name)
    result = stop_while_held(env, tmp_path, RD + "/snapshots/[^/]+", "DELETE", "linstor_incus_snapshot",
                             {"volume": "rv", "type": "container", "name": "s1", "state": "restored",
                              "remove_newer_snapshots": True}, signal.SIGTERM)
    state = scan(env)
    assert not state.dangling and not state.unmapped, state.summary()
    rd_name = state.volumes["containers:incus-volume-rv"]
    mappings = snapshot_mappings(next(rd for rd in state.rds if rd["name"] == rd_name).get("props") or {})
    # the first newer snapshot went (its reply was held), the second was never asked for, no rollback
    assert result["changed"] and [entry["name"] for entry in result["removed_snapshots"]] == ["s2"], result
    assert sorted(mappings) == ["s1", "s3"], mappings
    sent = requests_after_the_signal(env)
    assert not [line for line in sent if "rollback" in line or line.startswith("DELETE")], sent
    # the run asked to be repeated: the repeat finishes the restore
    again = env.run("linstor_incus_snapshot", volume="rv", type="container", name="s1", state="restored",
                    remove_newer_snapshots=True)
    left(env, "restore removing newer snapshots", "the deletes made (reported)",
         not again.failed and [entry["name"] for entry in again.result.get("removed_snapshots", [])] == ["s3"])
    assert not again.failed and [entry["name"] for entry in again.result["removed_snapshots"]] == ["s3"], \
        again.result
