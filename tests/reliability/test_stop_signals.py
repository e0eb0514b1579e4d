"""A run stopped by a signal (Ctrl-C, a cancelled job, a closed terminal) ends cleanly.

Each test holds one write's reply with the emulator's ``delay`` fault (the write is applied, the
reply waits), signals the module process while it waits, and checks what is left and which
requests followed. The next request of the run fails unsent and its undo steps run; a step that
cannot be undone once begun (a delete, settling a placed volume) is finished first. A second signal
ends the process at once. SIGKILL cannot be caught; what it leaves is what
``linstor_incus_volume_info`` reports as anomalies.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from ansible_collections.linstor.incus.plugins.module_utils._module import STOP_SIGNALS
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    AUX_NAME,
    SNAPSHOT_CLAIM_PREFIX,
    snapshot_mappings,
)
from reliability_harness import Env, rds_claiming, record, scan
from test_races import RD, finish, start_racer, wait_until_seen

HELD = 3.0


def signals_as_in_a_terminal() -> None:
    """In the module process: the stop signals' default actions, as under an interactive shell. A test
    run started in the background (``nohup``, ``&`` without job control) would hand them down ignored,
    and a module leaves an inherited ignore alone (tests/unit/plugins/module_utils/test_module.py)."""
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_DFL)


def stop_while_held(env: Env, tmp_path: Path, fault_path: str, method: str, module: str, args: dict,
                    number: signal.Signals, signals: int = 1) -> dict:
    """Run ``module`` in its own process and send it ``signals`` signals while the reply to
    ``method fault_path`` is held; its result. Keeps the requests sent after the signal and the
    emulator's state right after the run in ``env.notes``."""
    fault = env.debug.add_fault("delay", fault_path, method, delay_seconds=HELD)
    process = start_racer(env, tmp_path / "run", module, args, preexec_fn=signals_as_in_a_terminal)
    wait_until_seen(env, fault["id"])
    env.debug.clear_requests()
    for _sent in range(signals):
        process.send_signal(number)
        time.sleep(0.2)
    result = finish(process)
    env.debug.clear_faults()
    env.notes.update(
        returncode=process.returncode,
        sent_after_signal=[f"{entry['method']} {entry['path']}" for entry in env.debug.requests()],
        stopped_state=scan(env),
        stop={"signal": number.name if signals == 1 else f"{number.name} x{signals}",
              "held": f"{method} {fault_path.replace('[^/]+', '<name>')}",
              "ended": "failed, naming the signal" if result.get("failed")
              and f"stopped by {number.name}" in result.get("msg", "") else
              "finished the step" if not result.get("failed") and process.returncode == 0 else
              "killed by the signal" if process.returncode == -number else "other",
              "traceback": "exception" in result, "changed": bool(result.get("changed"))})
    assert "exception" not in result, result
    return result


def stopped_with_message(env: Env, result: dict, number: signal.Signals) -> None:
    assert env.notes["returncode"] == 1, (env.notes["returncode"], result)
    assert result.get("failed") and f"stopped by {number.name}" in result.get("msg", ""), result


def left(env: Env, operation: str, kept: str, converged: bool) -> None:
    """Record what the stopped run left (the emulator read right after it) and whether the task then converged."""
    state = env.notes["stopped_state"]
    claims = sum(key.startswith(SNAPSHOT_CLAIM_PREFIX) for rd in state.rds for key in (rd.get("props") or {}))
    record("stops", operation=operation, kept=kept, orphans=len(state.orphans), duplicates=len(state.duplicates),
           unmapped=len(state.unmapped), dangling=len(state.dangling), claims=claims, converged=converged,
           **env.notes["stop"])


def methods_after_the_signal(env: Env) -> list[str]:
    return [line.split(" ")[0] for line in env.notes["sent_after_signal"]]


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda n: n.name)
def test_snapshot_create_stopped_leaves_no_claim_and_no_snapshot(env: Env, tmp_path: Path,
                                                                 number: signal.Signals) -> None:
    env.must("linstor_incus_volume", name="sv", type="container", size="64MiB")
    result = stop_while_held(env, tmp_path, RD + "/snapshots", "POST", "linstor_incus_snapshot",
                             {"volume": "sv", "type": "container", "name": "s1"}, number)
    again = env.run("linstor_incus_snapshot", volume="sv", type="container", name="s1")
    left(env, "snapshot create", "nothing", not again.failed)
    stopped_with_message(env, result, number)
    # no read-back, no mapping: the undo steps only (the snapshot, then the claim)
    assert methods_after_the_signal(env) == ["DELETE", "PUT"], env.notes["sent_after_signal"]
    state = env.notes["stopped_state"]
    rd_name = state.volumes["containers:incus-volume-sv"]
    props = next(rd for rd in state.rds if rd["name"] == rd_name).get("props") or {}
    assert state.snapshots[rd_name] == [] and not state.unmapped, state.summary()
    assert not [key for key in props if key.startswith(SNAPSHOT_CLAIM_PREFIX)], props
    assert snapshot_mappings(props) == {}, props
    assert not again.failed and again.changed, again.result


def test_a_second_signal_ends_the_process_at_once(env: Env, tmp_path: Path) -> None:
    """Pressing Ctrl-C again means now: the signal's default action, without the undo."""
    env.must("linstor_incus_volume", name="sv", type="container", size="64MiB")
    stop_while_held(env, tmp_path, RD + "/snapshots", "POST", "linstor_incus_snapshot",
                    {"volume": "sv", "type": "container", "name": "s1"}, signal.SIGTERM, signals=2)
    again = env.run("linstor_incus_snapshot", volume="sv", type="container", name="s1")
    state = env.notes["stopped_state"]
    left(env, "snapshot create", "the claim and the snapshot (the undo never ran)", not again.failed)
    assert env.notes["returncode"] == -signal.SIGTERM, env.notes
    assert methods_after_the_signal(env) == [], env.notes["sent_after_signal"]
    assert len(state.unmapped) == 1, state.summary()
    # the next create of the name drops the claim and takes the snapshot the killed run made: its mapping
    # write makes the snapshot Incus's, a change
    assert not again.failed and again.changed and again.result["race"]["wrote_mapping"], again.result
    after = scan(env)
    assert not after.unmapped and not [key for rd in after.rds for key in (rd.get("props") or {})
                                       if key.startswith(SNAPSHOT_CLAIM_PREFIX)], after.summary()


def test_volume_create_stopped_before_placing_leaves_no_rd(env: Env, tmp_path: Path) -> None:
    result = stop_while_held(env, tmp_path, "/v1/resource-groups/[^/]+/spawn", "POST", "linstor_incus_volume",
                             {"name": "stopped", "type": "container", "size": "64MiB"}, signal.SIGINT)
    state = env.notes["stopped_state"]
    again = env.run("linstor_incus_volume", name="stopped", type="container", size="64MiB")
    left(env, "volume create, before placing", "nothing", not again.failed and again.changed)
    stopped_with_message(env, result, signal.SIGINT)
    assert methods_after_the_signal(env) == ["DELETE"], env.notes["sent_after_signal"]
    assert "containers:incus-volume-stopped" not in state.volumes and not state.orphans, state.summary()
    assert not again.failed and again.changed, again.result


def test_volume_create_stopped_once_placed_settles_first(env: Env, tmp_path: Path) -> None:
    """Once placed, the RD may be a twin's survivor already: the run confirms it (Incus's lookup)
    before it stops, so no twin is left without its survivor. Nothing was left to stop."""
    result = stop_while_held(env, tmp_path, RD + "/autoplace", "POST", "linstor_incus_volume",
                             {"name": "placed", "type": "container", "size": "64MiB"}, signal.SIGINT)
    rds = rds_claiming(env, "placed")
    again = env.run("linstor_incus_volume", name="placed", type="container", size="64MiB")
    left(env, "volume create, once placed", "the volume (confirmed)",
         not again.failed and not again.changed and again.result["volume"]["resource_definition"] == rds[0])
    assert not result.get("failed") and result["changed"], result
    assert methods_after_the_signal(env) == ["GET"], env.notes["sent_after_signal"]
    assert len(rds) == 1 and result["volume"]["resource_definition"] == rds[0], (rds, result)
    assert not again.failed and not again.changed and again.result["volume"]["resource_definition"] == rds[0]


def test_volume_update_stopped_after_its_properties_reports_what_was_written(env: Env, tmp_path: Path) -> None:
    env.must("linstor_incus_volume", name="uv", type="container", size="64MiB")
    result = stop_while_held(env, tmp_path, RD, "PUT", "linstor_incus_volume",
                             {"name": "uv", "type": "container", "size": "128MiB",
                              "properties": {"Aux/owner": "ops"}}, signal.SIGTERM)
    volume = env.notes["stopped_state"].rds
    again = env.run("linstor_incus_volume", name="uv", type="container", size="128MiB",
                    properties={"Aux/owner": "ops"})
    left(env, "volume update (properties, then size)", "the properties (reported)",
         not again.failed and again.changed)
    stopped_with_message(env, result, signal.SIGTERM)
    assert result["changed"] and result["written"] == ["properties"], result
    assert methods_after_the_signal(env) == [], env.notes["sent_after_signal"]
    rd = next(rd for rd in volume if (rd.get("props") or {}).get(AUX_NAME) == "incus-volume-uv")
    assert rd["props"]["Aux/owner"] == "ops", rd["props"]
    assert not again.failed and again.changed, again.result
    assert again.result["volume"]["volume_definitions"][0]["size_kib"] >= 128 * 1024, again.result


def test_snapshot_delete_stopped_finishes_the_delete(env: Env, tmp_path: Path) -> None:
    env.must("linstor_incus_volume", name="dv", type="container", size="64MiB")
    env.must("linstor_incus_snapshot", volume="dv", type="container", name="s1")
    result = stop_while_held(env, tmp_path, RD + "/snapshots/[^/]+", "DELETE", "linstor_incus_snapshot",
                             {"volume": "dv", "type": "container", "name": "s1", "state": "absent"},
                             signal.SIGTERM)
    again = env.run("linstor_incus_snapshot", volume="dv", type="container", name="s1", state="absent")
    left(env, "snapshot delete", "nothing (the delete was finished)", not again.failed and not again.changed)
    assert not result.get("failed") and result["changed"], result
    assert methods_after_the_signal(env) == ["PUT"], env.notes["sent_after_signal"]
    assert not env.notes["stopped_state"].dangling, env.notes["stopped_state"].summary()
    assert not again.failed and not again.changed, again.result


def test_volume_delete_stopped_finishes_the_delete(env: Env, tmp_path: Path) -> None:
    env.must("linstor_incus_volume", name="xv", type="container", size="64MiB")
    for name in ("s1", "s2"):
        env.must("linstor_incus_snapshot", volume="xv", type="container", name=name)
    result = stop_while_held(env, tmp_path, RD + "/snapshots/[^/]+", "DELETE", "linstor_incus_volume",
                             {"name": "xv", "type": "container", "state": "absent"}, signal.SIGINT)
    again = env.run("linstor_incus_volume", name="xv", type="container", state="absent")
    left(env, "volume delete with snapshots", "nothing (the delete was finished)",
         not again.failed and not again.changed)
    assert not result.get("failed") and result["changed"], result
    assert methods_after_the_signal(env) == ["DELETE", "PUT", "DELETE"], env.notes["sent_after_signal"]
    assert "containers:incus-volume-xv" not in env.notes["stopped_state"].volumes
    assert not again.failed and not again.changed, again.result


def test_restore_stopped_after_a_delete_leaves_no_dangling_mapping(env: Env, tmp_path: Path) -> None:
    env.must("linstor_incus_volume", name="rv", type="container", size="64MiB")
    for name in ("s1", "s2", "s3"):
        env.must("linstor_incus_snapshot", volume="rv", type="container", name=name)
    result = stop_while_held(env, tmp_path, RD + "/snapshots/[^/]+", "DELETE", "linstor_incus_snapshot",
                             {"volume": "rv", "type": "container", "name": "s1", "state": "restored",
                              "remove_newer_snapshots": True}, signal.SIGTERM)
    state = env.notes["stopped_state"]
    # the run asked to be repeated: the repeat finishes the restore
    again = env.run("linstor_incus_snapshot", volume="rv", type="container", name="s1", state="restored",
                    remove_newer_snapshots=True)
    left(env, "restore removing newer snapshots", "the deletes made (reported)",
         not again.failed and [entry["name"] for entry in again.result.get("removed_snapshots", [])] == ["s3"])
    stopped_with_message(env, result, signal.SIGTERM)
    assert not state.dangling and not state.unmapped, state.summary()
    rd_name = state.volumes["containers:incus-volume-rv"]
    mappings = snapshot_mappings(next(rd for rd in state.rds if rd["name"] == rd_name).get("props") or {})
    # the first newer snapshot went (its reply was held), the second was never asked for, no rollback
    assert result["changed"] and [entry["name"] for entry in result["removed_snapshots"]] == ["s2"], result
    assert sorted(mappings) == ["s1", "s3"], mappings
    sent = env.notes["sent_after_signal"]
    assert not [line for line in sent if "rollback" in line or line.startswith("DELETE")], sent
    assert not again.failed and [entry["name"] for entry in again.result["removed_snapshots"]] == ["s3"], \
        again.result


def test_volumes_stopped_between_items_reports_what_was_done(env: Env, tmp_path: Path) -> None:
    """Stopped while m1 is being placed: m1 is confirmed first (Incus's lookup, as one volume's create is), then
    the run stops before m2, reporting m1."""
    volumes = [{"name": name, "type": "container", "size": "64MiB"} for name in ("m1", "m2")]
    result = stop_while_held(env, tmp_path, RD + "/autoplace", "POST", "linstor_incus_volumes",
                             {"volumes": volumes}, signal.SIGTERM)
    state = env.notes["stopped_state"]
    again = env.run("linstor_incus_volumes", volumes=volumes)
    left(env, "volumes (one call), between items", "the items done (reported)",
         not again.failed and [entry["name"] for entry in again.result["changes"]] == ["m2"])
    stopped_with_message(env, result, signal.SIGTERM)
    assert result["changed"] and [(entry["name"], entry["actions"]) for entry in result["changes"]] == [
        ("m1", ["created"])], result
    assert methods_after_the_signal(env) == ["GET"], env.notes["sent_after_signal"]
    assert "containers:incus-volume-m1" in state.volumes and "containers:incus-volume-m2" not in state.volumes
    assert not state.orphans, state.summary()
    assert not again.failed and [entry["name"] for entry in again.result["changes"]] == ["m2"], again.result
