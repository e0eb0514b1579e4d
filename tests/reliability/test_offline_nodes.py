"""A satellite that is not connected, played by the emulator's debug switch (``PUT /_emulator/nodes/{node}``).

LINSTOR's autoplacer leaves such a node out, its storage pools report it (WARN_NOT_CONNECTED, no capacity), and a
snapshot is taken without its disk (a warning). What the modules make of that: the placement check counts online
nodes only and names the others, the real run fails with LINSTOR's refusal and leaves nothing, a snapshot passes
LINSTOR's warning on, and a restore from a snapshot that lacks a disk is refused the way any such restore is.
A real controller's satellites cannot be switched off from a test, so these run on the emulator only.
"""

from __future__ import annotations

import json

import requests
from reliability_harness import Env, connection, rds_claiming, run_module, scan

GROUP_OF_THREE = "offline-rg"


def _node_holding(env: Env, rd_name: str) -> list[str]:
    return sorted(resource["node_name"] for resource in env.get("/v1/view/resources", resources=rd_name)
                  if "DISKLESS" not in (resource.get("flags") or []))


def test_the_placement_check_counts_online_nodes_only(env: Env) -> None:
    """Three nodes hold the pool, one is offline: a group of place_count 3 is made with a warning naming that node
    (check mode too); a volume of it is refused in check mode by a warning and by LINSTOR in the real run, which
    leaves no RD behind. With the node back, the same volume is made."""
    env.debug.set_connection("node3", False)
    args = {**connection(env.url), "name": GROUP_OF_THREE, "place_count": 3}
    predicted = run_module("linstor_incus_resource_group", args, check_mode=True)
    made = run_module("linstor_incus_resource_group", args)
    for outcome in (predicted, made):
        assert not outcome.failed and outcome.changed, outcome.result
        assert "3 is more than the 2 online node(s) with a diskful storage pool" in json.dumps(
            outcome.result.get("warnings")), outcome.result
        assert "not connected: node3" in json.dumps(outcome.result.get("warnings")), outcome.result

    volume = {"name": "v3", "type": "container", "size": "64MiB", "resource_group": GROUP_OF_THREE}
    foreseen = env.run("linstor_incus_volume", check_mode=True, **volume)
    assert not foreseen.failed and "not connected: node3" in json.dumps(foreseen.result.get("warnings"))
    refused = env.run("linstor_incus_volume", **volume)
    assert refused.failed and "Not enough available nodes" in refused.msg, refused.result
    state = scan(env)
    assert not state.rds and not state.problems, state.summary()

    env.debug.set_connection("node3", True)
    assert not env.run("linstor_incus_volume", check_mode=True, **volume).result.get("warnings")
    placed = env.must("linstor_incus_volume", **volume)
    assert _node_holding(env, placed.result["volume"]["resource_definition"]) == ["node1", "node2", "node3"]


def test_a_snapshot_taken_while_a_disk_is_offline_lacks_it_and_cannot_roll_it_back(env: Env) -> None:
    """The snapshot is made without the offline node's disk, LINSTOR's warning reaching the user; once the node is
    back, restoring that snapshot is foreseen as refused in check mode, naming the node and why the snapshot may lack
    it, and refused by LINSTOR (its rollback needs the snapshot on every disk); the volume and its snapshot stay as
    they were."""
    env.must("linstor_incus_volume", name="half", type="container", size="64MiB")
    [rd] = rds_claiming(env, "half")
    disks = _node_holding(env, rd)
    env.debug.set_connection(disks[0], False)
    made = env.must("linstor_incus_snapshot", volume="half", type="container", name="s1")
    assert f"will not be created on node '{disks[0]}'" in json.dumps(made.result.get("warnings")), made.result
    [snapshot] = env.get(f"/v1/resource-definitions/{rd}/snapshots")
    assert snapshot["nodes"] == disks[1:], snapshot
    env.debug.set_connection(disks[0], True)

    restore = {"volume": "half", "type": "container", "name": "s1", "state": "restored"}
    foreseen = env.run("linstor_incus_snapshot", check_mode=True, **restore)
    assert (f"has disks on {disks[0]}, where LINSTOR snapshot {snapshot['name']} was not taken (a replica added after "
            "it, or a node offline when it was taken)") in json.dumps(foreseen.result.get("warnings")), foreseen.result
    refused = env.run("linstor_incus_snapshot", **restore)
    assert refused.failed and f"on node '{disks[0]}' not found" in refused.msg, refused.result
    assert scan(env).snapshots[rd] == [snapshot["name"]]
    assert _node_holding(env, rd) == disks


def _snapshot_holders(env: Env, rd_name: str) -> dict[str, list[str]]:
    return {snap["name"]: snap["nodes"] for snap in env.get(f"/v1/resource-definitions/{rd_name}/snapshots")}


def test_a_volume_deleted_while_a_node_is_offline_goes_once_it_is_back(env: Env) -> None:
    """The delete goes ahead: LINSTOR deletes the snapshot at once (its data on the offline node may stay there) and
    marks the RD for deletion, keeping it (flag DELETE) until the node is back; the run says both, naming the node,
    and a second run changes nothing, telling that LINSTOR is deleting it. Back online, the RD is gone."""
    env.must("linstor_incus_volume", name="late", type="container", size="64MiB")
    env.must("linstor_incus_snapshot", volume="late", type="container", name="s1")
    [rd] = rds_claiming(env, "late")
    [(linstor_snapshot, holders)] = _snapshot_holders(env, rd).items()
    down = holders[0]
    env.debug.set_connection(down, False)
    deleted = env.must("linstor_incus_volume", name="late", type="container", state="absent")
    assert deleted.changed and deleted.result["resource_definitions_deleted"] == [rd], deleted.result
    assert [entry["linstor_name"] for entry in deleted.result["snapshots_removed"]] == [linstor_snapshot]
    assert deleted.warnings == [
        f"the satellite of node {down} is not connected: LINSTOR deleted LINSTOR snapshot {linstor_snapshot} all the "
        "same, and does not send that delete again when the satellite reconnects: the snapshot's data may stay on "
        "that node's storage",
        f"the satellite of node {down} is not connected: LINSTOR marked resource definition {rd} for deletion, and "
        "deletes it once connected (it is listed with flag DELETE until then, and Incus's lookup still finds it)",
    ], deleted.result
    assert [found["flags"] for found in env.get("/v1/resource-definitions") if found["name"] == rd] == [["DELETE"]]
    again = env.must("linstor_incus_volume", name="late", type="container", state="absent")
    assert not again.changed, again.result
    assert f"LINSTOR is deleting resource definition {rd}" in json.dumps(again.warnings), again.result
    env.debug.set_connection(down, True)
    assert rds_claiming(env, "late") == []


def test_a_snapshot_deleted_while_its_node_is_offline(env: Env) -> None:
    """LINSTOR deletes the snapshot at once; the mapping goes with it, and the run says what the offline node
    keeps; nothing is left for the next run or for volume_info's anomalies."""
    env.must("linstor_incus_volume", name="snapped", type="container", size="64MiB")
    env.must("linstor_incus_snapshot", volume="snapped", type="container", name="s1")
    [rd] = rds_claiming(env, "snapped")
    [(linstor_snapshot, holders)] = _snapshot_holders(env, rd).items()
    env.debug.set_connection(holders[0], False)
    snapshot = {"volume": "snapped", "type": "container", "name": "s1", "state": "absent"}
    deleted = env.must("linstor_incus_snapshot", **snapshot)
    assert deleted.changed and deleted.warnings == [
        f"the satellite of node {holders[0]} is not connected: LINSTOR deleted LINSTOR snapshot {linstor_snapshot} "
        "all the same, and does not send that delete again when the satellite reconnects: the snapshot's data may "
        "stay on that node's storage"], deleted.result
    assert _snapshot_holders(env, rd) == {} and scan(env).problems == 0
    assert not env.must("linstor_incus_snapshot", **snapshot).changed
    anomalies = env.must("linstor_incus_volume_info", include_snapshots=True).result["anomalies"]
    assert not any(anomalies.values()), anomalies


def test_a_restore_with_a_satellite_of_the_volume_offline_is_refused(env: Env) -> None:
    """LINSTOR refuses a rollback while the satellite of any node with a resource of the volume is offline, but
    only at the rollback: a restore that would first delete newer snapshots refuses before that, naming the node (a
    warning in check mode); one whose rollback is the only write is foreseen in check mode and refused by LINSTOR.
    Nothing changes either way; back online, the restore goes through."""
    env.must("linstor_incus_volume", name="back", type="container", size="64MiB")
    env.must("linstor_incus_snapshot", volume="back", type="container", name="s1")
    env.must("linstor_incus_snapshot", volume="back", type="container", name="s2")
    [rd] = rds_claiming(env, "back")
    down = sorted(resource["node_name"] for resource in env.get("/v1/view/resources", resources=rd))[-1]
    env.debug.set_connection(down, False)
    before = scan(env)
    for name, remove in (("s1", True), ("s2", False)):
        restore = {"volume": "back", "type": "container", "name": name, "state": "restored",
                   "remove_newer_snapshots": remove}
        foreseen = env.run("linstor_incus_snapshot", check_mode=True, **restore)
        marker = "In check mode this is a warning" if remove else "Check mode foresees LINSTOR's refusal"
        assert not foreseen.failed and any(f"the satellite of node {down} is not connected" in warning and marker
                                           in warning for warning in foreseen.warnings), foreseen.result
        env.debug.clear_requests()
        refused = env.run("linstor_incus_snapshot", **restore)
        assert refused.failed and not refused.changed, refused.result
        if remove:
            assert refused.result["offline_nodes"] == [down] and "Nothing was deleted" in refused.msg, refused.result
            assert env.writes() == [], env.writes()
        else:
            assert f"No active connection to satellite '{down}'" in refused.msg, refused.msg
        assert scan(env).snapshots == before.snapshots and scan(env).volumes == before.volumes
    env.debug.set_connection(down, True)
    restored = env.must("linstor_incus_snapshot", volume="back", type="container", name="s1", state="restored",
                        remove_newer_snapshots=True)
    assert restored.changed and [entry["name"] for entry in restored.result["removed_snapshots"]] == ["s2"]


def test_a_rename_while_a_node_is_offline_says_when_that_node_gets_it(env: Env) -> None:
    """LINSTOR stores a property change and hands it to an offline satellite once it connects, naming that node in
    a warning: the run passes it on in words (once, for the one node); the second run changes nothing."""
    env.must("linstor_incus_volume", name="old", type="container", size="64MiB")
    [rd] = rds_claiming(env, "old")
    down = _node_holding(env, rd)[0]
    env.debug.set_connection(down, False)
    renamed = env.must("linstor_incus_volume", name="new", rename_from="old", type="container")
    assert renamed.changed and rds_claiming(env, "new") == [rd], renamed.result
    assert renamed.warnings == [
        f"the satellite of node {down} is not connected: LINSTOR stored the change, and hands it on once connected"
    ], renamed.result
    again = env.must("linstor_incus_volume", name="new", rename_from="old", type="container")
    assert not again.changed and not again.warnings, again.result


def test_a_grow_while_a_disk_is_offline_is_refused_by_linstor(env: Env) -> None:
    """From LINSTOR 1.30.4 a resize needs every disk UpToDate, which one on an offline node is not known to be: the
    run fails with LINSTOR's refusal and the size stays; once the node is back, the same task grows the volume."""
    env.must("linstor_incus_volume", name="grow", type="container", size="64MiB")
    [rd] = rds_claiming(env, "grow")
    env.debug.set_connection(_node_holding(env, rd)[0], False)
    grow = {"name": "grow", "type": "container", "size": "128MiB"}
    refused = env.run("linstor_incus_volume", **grow)
    assert refused.failed and "Cannot resize volume, because we have a non-UpToDate DRBD device" in refused.msg, (
        refused.result)
    [definition] = env.get(f"/v1/resource-definitions/{rd}/volume-definitions")
    assert definition["size_kib"] == 64 * 1024
    env.debug.set_connection(_node_holding(env, rd)[0], True)
    assert env.must("linstor_incus_volume", **grow).changed
    [definition] = env.get(f"/v1/resource-definitions/{rd}/volume-definitions")
    assert definition["size_kib"] == 128 * 1024


def test_a_restore_deleting_a_newer_snapshot_held_on_an_offline_node(env: Env) -> None:
    """The newer snapshot's only other copy is on a node that no longer holds a resource of the volume and is
    offline: the rollback does not need that node, so the restore goes through, and the run says that the
    snapshot's data there may stay."""
    env.must("linstor_incus_volume", name="moved", type="container", size="64MiB")
    env.must("linstor_incus_snapshot", volume="moved", type="container", name="s1")
    env.must("linstor_incus_snapshot", volume="moved", type="container", name="s2")
    [rd] = rds_claiming(env, "moved")
    kept, dropped = _node_holding(env, rd)
    requests.delete(f"{env.url}/v1/resource-definitions/{rd}/resources/{dropped}", timeout=30).raise_for_status()
    assert sorted(resource["node_name"] for resource in env.get("/v1/view/resources", resources=rd)) == [kept]
    newer = env.get(f"/v1/resource-definitions/{rd}")["props"]["Aux/Incus/snapshot-name/s2"]
    env.debug.set_connection(dropped, False)
    restored = env.must("linstor_incus_snapshot", volume="moved", type="container", name="s1", state="restored",
                        remove_newer_snapshots=True)
    assert restored.changed and [entry["name"] for entry in restored.result["removed_snapshots"]] == ["s2"]
    assert (f"the satellite of node {dropped} is not connected: LINSTOR deleted LINSTOR snapshot {newer} all the "
            "same") in json.dumps(restored.warnings), restored.result
