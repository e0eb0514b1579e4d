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
