"""A satellite that is not connected, played by the emulator's debug switch (``PUT /_emulator/nodes/{node}``).

LINSTOR's autoplacer leaves such a node out, its storage pools report it (WARN_NOT_CONNECTED, no capacity), and a
snapshot is taken without its disk (a warning). What the modules make of that: the placement check counts online
nodes only and names the others, the real run fails with LINSTOR's refusal and leaves nothing, a snapshot passes
LINSTOR's warning on, and a restore from a snapshot that lacks a disk is refused the way any such restore is.
A real controller's satellites cannot be switched off from a test, so these run on the emulator only.
"""

from __future__ import annotations

import json

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
    """Without snapshots the delete goes ahead: LINSTOR marks the RD for deletion and keeps it (flag DELETE) until
    the node is back; the run says so, and a second run changes nothing, telling LINSTOR is deleting it."""
    env.must("linstor_incus_volume", name="late", type="container", size="64MiB")
    [rd] = rds_claiming(env, "late")
    down = _node_holding(env, rd)[0]
    env.debug.set_connection(down, False)
    deleted = env.must("linstor_incus_volume", name="late", type="container", state="absent")
    assert deleted.changed and deleted.result["resource_definitions_deleted"] == [rd], deleted.result
    assert (f"LINSTOR marked resource definition {rd} for deletion, but the satellite of node {down} is not "
            "connected") in json.dumps(deleted.result.get("warnings")), deleted.result
    assert [found["flags"] for found in env.get("/v1/resource-definitions") if found["name"] == rd] == [["DELETE"]]
    again = env.must("linstor_incus_volume", name="late", type="container", state="absent")
    assert not again.changed, again.result
    assert f"LINSTOR is deleting resource definition {rd}" in json.dumps(again.result.get("warnings")), again.result
    env.debug.set_connection(down, True)
    assert rds_claiming(env, "late") == []


def test_a_volume_with_a_snapshot_on_an_offline_node_is_not_deleted(env: Env) -> None:
    """LINSTOR would mark the snapshot for deletion, keep it until the node is back, and refuse the RD's delete
    meanwhile: both modules refuse before any write, naming the node (a warning in check mode); once the node is
    back, the delete goes through."""
    env.must("linstor_incus_volume", name="held", type="container", size="64MiB")
    env.must("linstor_incus_snapshot", volume="held", type="container", name="s1")
    [rd] = rds_claiming(env, "held")
    [(linstor_snapshot, holders)] = _snapshot_holders(env, rd).items()
    env.debug.set_connection(holders[0], False)
    before = scan(env)
    absent = {"name": "held", "type": "container", "state": "absent"}
    listed = {"volumes": [absent]}
    for module, args in (("linstor_incus_volume", absent), ("linstor_incus_volumes", listed)):
        foreseen = env.run(module, check_mode=True, **args)
        assert not foreseen.failed and "In check mode this is a warning" in json.dumps(
            foreseen.result.get("warnings")), foreseen.result
        env.debug.clear_requests()
        refused = env.run(module, **args)
        assert refused.failed and not refused.changed, refused.result
        assert (f"the satellite of node {holders[0]} is not connected ({holders[0]} holds {linstor_snapshot})"
                in refused.msg), refused.msg
        assert refused.result["offline_nodes"] == (
            [holders[0]] if module == "linstor_incus_volume" else [{"index": 0, "nodes": [holders[0]]}])
        assert env.writes() == [], env.writes()
        assert scan(env).snapshots == before.snapshots and scan(env).volumes == before.volumes
    env.debug.set_connection(holders[0], True)
    gone = env.must("linstor_incus_volume", **absent)
    assert gone.changed and rds_claiming(env, "held") == []


def test_a_snapshot_deleted_while_its_node_is_offline(env: Env) -> None:
    """The snapshot's delete goes ahead: its mapping goes, LINSTOR keeps the snapshot flagged DELETE until the node
    is back, and the run says so. Meanwhile it is no unmapped snapshot (volume_info's anomalies, the volume's
    delete), and the volume's delete is refused naming the node; once the node is back, the snapshot is gone and the
    volume is deleted."""
    env.must("linstor_incus_volume", name="snapped", type="container", size="64MiB")
    env.must("linstor_incus_snapshot", volume="snapped", type="container", name="s1")
    [rd] = rds_claiming(env, "snapped")
    [(linstor_snapshot, holders)] = _snapshot_holders(env, rd).items()
    env.debug.set_connection(holders[0], False)
    snapshot = {"volume": "snapped", "type": "container", "name": "s1", "state": "absent"}
    deleted = env.must("linstor_incus_snapshot", **snapshot)
    assert deleted.changed, deleted.result
    assert (f"LINSTOR marked LINSTOR snapshot {linstor_snapshot} for deletion, but the satellite of node {holders[0]} "
            "is not connected") in json.dumps(deleted.result.get("warnings")), deleted.result
    assert not env.must("linstor_incus_snapshot", **snapshot).changed
    [pending] = env.get(f"/v1/resource-definitions/{rd}/snapshots")
    assert "DELETE" in pending["flags"], pending
    info = env.must("linstor_incus_volume_info", include_snapshots=True)
    assert info.result["anomalies"]["unmapped_snapshots"] == [], info.result["anomalies"]
    refused = env.run("linstor_incus_volume", name="snapped", type="container", state="absent")
    assert refused.failed and refused.result["offline_nodes"] == [holders[0]], refused.result
    assert "no Incus snapshot maps" not in refused.msg, refused.msg
    env.debug.set_connection(holders[0], True)
    assert env.get(f"/v1/resource-definitions/{rd}/snapshots") == []
    assert env.must("linstor_incus_volume", name="snapped", type="container", state="absent").changed


def test_a_restore_removing_a_snapshot_on_an_offline_node_is_refused(env: Env) -> None:
    """LINSTOR rolls back only to the most recent snapshot, and would keep a newer one (flag DELETE) while a node
    holding it is offline: the restore refuses before deleting anything, naming the node."""
    env.must("linstor_incus_volume", name="back", type="container", size="64MiB")
    env.must("linstor_incus_snapshot", volume="back", type="container", name="s1")
    env.must("linstor_incus_snapshot", volume="back", type="container", name="s2")
    [rd] = rds_claiming(env, "back")
    before = scan(env)
    newer = env.get(f"/v1/resource-definitions/{rd}")["props"]["Aux/Incus/snapshot-name/s2"]
    down = _snapshot_holders(env, rd)[newer][0]
    env.debug.set_connection(down, False)
    restore = {"volume": "back", "type": "container", "name": "s1", "state": "restored",
               "remove_newer_snapshots": True}
    foreseen = env.run("linstor_incus_snapshot", check_mode=True, **restore)
    assert not foreseen.failed and f"the satellite of node {down} is not connected" in json.dumps(
        foreseen.result.get("warnings")), foreseen.result
    refused = env.run("linstor_incus_snapshot", **restore)
    assert refused.failed and refused.result["offline_nodes"] == [down], refused.result
    assert scan(env).snapshots == before.snapshots
