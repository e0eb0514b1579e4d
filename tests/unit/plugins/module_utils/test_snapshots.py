# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the pure parts of the snapshot operations: reading LINSTOR's snapshot list, creation order,
what a restore must remove, how twins settle, and option checks. No HTTP here: the integration target
``linstor_incus_snapshot`` and tests/reliability run every request against the emulator; where twins
settle on creation times no emulator can set (a leftover 15 minutes old), a stand-in answers the
snapshot view."""

from __future__ import annotations

import pytest
from ansible_collections.linstor.incus.plugins.module_utils import _snapshots as snapshots
from ansible_collections.linstor.incus.plugins.module_utils._naming import NamingError, unmapped_snapshots
from hypothesis import given
from hypothesis import strategies as st

RD = "incus-volume-4df9f0598bd14d73953151614428d298"
SNAP0 = "incus-volume-19dd0b015d22445f8097ba5e740948de"
SNAP1 = "incus-volume-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
SNAP2 = "incus-volume-ffeeddccbbaa99887766554433221100"


def linstor_snapshot(name: str, created_ms: int | None, sequence: int | None = None, rd: str = RD,
                     sizes: tuple[int, ...] = (10485760, 512000), nodes: tuple[str, ...] = ("server02", "server01"),
                     ) -> dict:
    """A snapshot as ``/v1/view/snapshots`` returns it (the fields the spec defines)."""
    props = {} if sequence is None else {"SequenceNumber": str(sequence)}
    return {
        "name": name,
        "resource_name": rd,
        "nodes": list(nodes),
        "props": props,
        "flags": ["SUCCESSFUL"],
        "volume_definitions": [{"volume_number": number, "size_kib": size} for number, size in
                               reversed(list(enumerate(sizes)))],
        "snapshots": [{"snapshot_name": name, "node_name": node,
                       "create_timestamp": None if created_ms is None else created_ms + index}
                      for index, node in enumerate(nodes)],
    }


PROPS = {
    "Aux/Incus/name": "incus-volume-v1",
    "Aux/Incus/snapshot-name/snap0": SNAP0,
    "Aux/Incus/SnapshotName/snap1": SNAP1,
    "Aux/Incus/snapshot-name/gone": "incus-volume-00000000000000000000000000000000",
}


def test_describe_snapshot_reads_nodes_sizes_and_the_earliest_node_time():
    described = snapshots.describe_snapshot(linstor_snapshot(SNAP0, 1_764_083_045_123, sequence=3))
    assert described == {
        "linstor_name": SNAP0,
        "resource_definition": RD,
        "nodes": ["server01", "server02"],
        "volume_definitions": [{"number": 0, "size_kib": 10485760}, {"number": 1, "size_kib": 512000}],
        "created_on": "2025-11-25T15:04:05.123Z",
        "created_timestamp": 1_764_083_045_123,
        "sequence": 3,
        "successful": True,
    }


def test_describe_snapshot_without_times_or_sequence():
    described = snapshots.describe_snapshot(linstor_snapshot(SNAP0, None))
    assert described["created_on"] is None
    assert described["sequence"] is None


def test_snapshot_details_groups_by_resource_definition():
    reply = [linstor_snapshot(SNAP0, 1000), linstor_snapshot(SNAP1, 2000, rd="other")]
    details = snapshots.snapshot_details(reply)
    assert set(details) == {RD, "other"}
    assert set(details[RD]) == {SNAP0}
    assert snapshots._for_rd(details, RD.upper()) == details[RD]
    assert snapshots._for_rd(details, "missing") == {}


def test_dangling_targets_name_the_mappings_whose_snapshot_is_missing():
    rd = {"name": RD, "props": {"Aux/Incus/snapshot-name/snap0": SNAP0, "Aux/Incus/snapshot-name/snap1": SNAP1}}
    rd_snapshots = snapshots.snapshot_details([linstor_snapshot(SNAP0, 1000)])[RD]
    assert snapshots.dangling_targets(rd, rd_snapshots) == {"snap1": SNAP1}
    assert snapshots.dangling_targets(rd, {}) == {"snap0": SNAP0, "snap1": SNAP1}


def test_volume_snapshots_joins_mappings_of_both_forms_oldest_first():
    details = snapshots.snapshot_details([linstor_snapshot(SNAP1, 1000), linstor_snapshot(SNAP0, 2000)])[RD]
    listed = snapshots.volume_snapshots(PROPS, details)
    expected = [("snap1", True), ("snap0", True), ("gone", False)]
    assert [(entry["name"], entry["exists"]) for entry in listed] == expected
    assert listed[0]["created_on"] is not None
    assert listed[2]["nodes"] is None


def test_volume_snapshots_unread_are_sorted_by_name_with_unknown_existence():
    listed = snapshots.volume_snapshots(PROPS, None)
    assert [entry["name"] for entry in listed] == ["gone", "snap0", "snap1"]
    assert {entry["exists"] for entry in listed} == {None}


def test_dangling_and_unmapped():
    details = snapshots.snapshot_details([linstor_snapshot(SNAP0, 1), linstor_snapshot(SNAP2, 2)])[RD]
    assert snapshots.dangling_mappings(PROPS, details) == ["gone", "snap1"]
    assert unmapped_snapshots(PROPS, details) == [SNAP2]


def test_newer_snapshots_by_created_on_time_not_by_name():
    details = snapshots.snapshot_details([
        linstor_snapshot(SNAP2, 1000, sequence=1),
        linstor_snapshot(SNAP0, 2000, sequence=2),
        linstor_snapshot(SNAP1, 3000, sequence=3),
    ])[RD]
    assert snapshots.newer_snapshots(SNAP2, details) == [SNAP0, SNAP1]
    assert snapshots.newer_snapshots(SNAP0, details) == [SNAP1]
    assert snapshots.newer_snapshots(SNAP1, details) == []


def test_newer_snapshots_same_millisecond_falls_back_to_sequence():
    details = snapshots.snapshot_details([
        linstor_snapshot(SNAP0, 5000, sequence=2, nodes=("n1",)),
        linstor_snapshot(SNAP2, 5000, sequence=1, nodes=("n1",)),
    ])[RD]
    assert snapshots.newer_snapshots(SNAP2, details) == [SNAP0]
    assert snapshots.newer_snapshots(SNAP0, details) == []


@given(st.lists(st.integers(min_value=0, max_value=10**13), min_size=1, max_size=8, unique=True))
def test_newer_snapshots_are_exactly_those_created_later(stamps):
    reply = [linstor_snapshot(f"s{index:02d}", stamp, nodes=("n1",)) for index, stamp in enumerate(stamps)]
    details = snapshots.snapshot_details(reply)[RD]
    for index, stamp in enumerate(stamps):
        newer = snapshots.newer_snapshots(f"s{index:02d}", details)
        assert set(newer) == {f"s{other:02d}" for other, later in enumerate(stamps) if later > stamp}
        assert [details[name]["created_timestamp"] for name in newer] == sorted(s for s in stamps if s > stamp)


def test_a_mapping_read_back_is_kept_whoever_wrote_it():
    props = {"Aux/Incus/snapshot-name/snap0": SNAP1, f"Aux/linstor-incus/snapshot-claim/{SNAP0}": "snap0"}
    assert snapshots.settle_twins(None, RD, "snap0", SNAP0, props) == SNAP1
    assert snapshots.settle_twins(None, RD, "snap0", SNAP1.upper(), props) == SNAP1.upper()


def test_a_run_that_sees_only_its_own_claim_keeps_its_snapshot():
    props = {f"Aux/linstor-incus/snapshot-claim/{SNAP0}": "snap0", f"Aux/linstor-incus/snapshot-claim/{SNAP1}": "other"}
    assert snapshots.settle_twins(None, RD, "snap0", SNAP0, props) == SNAP0


def test_a_run_whose_claim_and_mapping_are_gone_keeps_nothing():
    props = {f"Aux/linstor-incus/snapshot-claim/{SNAP1}": "snap0"}
    assert snapshots.settle_twins(None, RD, "snap0", SNAP0, props) is None


class SnapshotView:
    """Stands in for the client in the one request settle_twins sends with twins: the snapshot view."""

    def __init__(self, reply: list[dict]):
        self.reply = reply

    def view_snapshots(self, resources: list[str]) -> list[dict]:
        assert resources == [RD]
        return self.reply


def test_twins_settle_on_the_claimed_snapshot_created_first():
    claim = "Aux/linstor-incus/snapshot-claim/"
    props = {claim + SNAP0: "snap0", claim + SNAP1: "snap0", claim + SNAP2: "snap0"}
    view = SnapshotView([linstor_snapshot(SNAP0, 50_000), linstor_snapshot(SNAP1, 40_000)])  # SNAP2 never made
    assert snapshots.settle_twins(view, RD, "snap0", SNAP0, props) == SNAP1
    assert snapshots.settle_twins(view, RD, "snap0", SNAP1, props) == SNAP1


def test_a_claimed_snapshot_made_long_before_is_a_leftover_not_a_twin():
    claim = "Aux/linstor-incus/snapshot-claim/"
    props = {claim + SNAP0: "snap0", claim + SNAP1: "snap0"}
    own_ms = 10**12
    for age_ms, survivor in ((snapshots.STALE_CLAIM_MS - 1, SNAP1), (snapshots.STALE_CLAIM_MS, SNAP0)):
        warnings: list[str] = []
        view = SnapshotView([linstor_snapshot(SNAP0, own_ms), linstor_snapshot(SNAP1, own_ms - age_ms)])
        assert snapshots.settle_twins(view, RD, "snap0", SNAP0, props, warnings) == survivor
        assert len(warnings) == (survivor == SNAP0)
    assert SNAP1 in warnings[0] and "never mapped" in warnings[0]
    # without creation times nothing is judged a leftover: LINSTOR's sequence orders them
    view = SnapshotView([linstor_snapshot(SNAP0, None, sequence=9), linstor_snapshot(SNAP1, None, sequence=1)])
    assert snapshots.settle_twins(view, RD, "snap0", SNAP0, props) == SNAP1


def test_a_claimed_snapshot_another_name_maps_is_not_a_twin():
    """A restore of the RD's properties (LINSTOR 1.31.x rollback) brings back the claim a snapshot was taken under;
    once that snapshot is renamed, its old name's next create must not take it as a twin."""
    claim = "Aux/linstor-incus/snapshot-claim/"
    props = {claim + SNAP0: "snap0", claim + SNAP1: "snap0", "Aux/Incus/snapshot-name/renamed": SNAP1.upper()}
    view = SnapshotView([linstor_snapshot(SNAP0, 50_000), linstor_snapshot(SNAP1, 40_000)])
    assert snapshots.settle_twins(view, RD, "snap0", SNAP0, props) == SNAP0


def test_restore_refusal_uses_incus_message_and_names_the_snapshots():
    message = snapshots.restore_refusal("snap0", ["snap1", "snap2"])
    assert message.startswith("Snapshot 'snap0' cannot be restored due to subsequent snapshot(s). "
                              "Set linstor.remove_snapshots to override")
    assert message.endswith("snap1, snap2")


BASE = {"volume": "c1", "type": "container", "name": "snap0", "resource_group": "rg", "prefix": "incus-volume-",
        "project": "default", "state": "present"}


def test_parse_snapshot_request():
    request = snapshots.parse_snapshot_request(BASE)
    assert request.volume_type == "containers"
    assert request.incus_name == "incus-volume-c1"
    assert snapshots.parse_snapshot_request({**BASE, "type": "custom", "volume": "vol"}).incus_name == \
        "incus-volume-default_vol"


@pytest.mark.parametrize(("change", "parameter"), [
    ({"name": "has space"}, "name"),
    ({"name": "a/b"}, "name"),
    ({"volume": "bad_name"}, "volume"),
    ({"type": "image", "volume": "nope"}, "volume"),
    ({"type": "image", "volume": "d21a26af7d5a95c3aa6e923257a1cb5cd765b102796b92ab111fb29ebfb86137",
      "project": "web"}, "project"),
    ({"project": "a_b"}, "project"),
    ({"prefix": "x" * 17}, "prefix"),
    ({"resource_group": ""}, "resource_group"),
    ({"type": "vm"}, "type"),
    ({"state": "gone"}, "state"),
    ({"rename_from": "old", "state": "absent"}, "rename_from"),
    ({"rename_from": "snap0"}, "rename_from"),
    ({"rename_from": "a b"}, "rename_from"),
])
def test_parse_snapshot_request_names_the_option(change, parameter):
    with pytest.raises(NamingError) as error:
        snapshots.parse_snapshot_request({**BASE, **change})
    assert error.value.parameter == parameter


def _resource(node: str, provider: str = "LVM_THIN", flags: tuple[str, ...] = ()) -> dict:
    """A resource as ``/v1/view/resources`` lists it (the fields the refusal reads)."""
    return {"node_name": node, "flags": list(flags),
            "volumes": [{"volume_number": 0, "provider_kind": "DISKLESS" if flags else provider}]}


TARGET = {"linstor_name": SNAP0, "nodes": ["server01", "server02"]}
RD_ENTRY = {"name": RD, "props": {}}


@pytest.mark.parametrize(("release", "providers", "props", "refused"), [
    ((1, 31, 1), ("LVM_THIN",), {}, True),            # every diskful node needs the snapshot before 1.31.2
    ((1, 31, 2), ("ZFS_THIN",), {}, False),           # 1.31.2 restores on its nodes and recreates the others
    ((1, 31, 3), ("LVM_THIN",), {}, False),
    ((1, 32, 0), ("ZFS_THIN",), {}, True),            # from 1.32, all-ZFS disks roll back in place again
    ((1, 32, 0), ("ZFS",), {"StorDriver/Zfs/RollbackStrategy": "rollback"}, True),
    ((1, 32, 0), ("ZFS",), {"StorDriver/Zfs/RollbackStrategy": "Clone"}, False),  # unless told to restore
    ((1, 32, 0), ("ZFS_THIN", "LVM_THIN"), {}, False),  # mixed storage is restored, not rolled back in place
    ((1, 34, 0), ("LVM",), {}, False),
])
def test_a_disk_the_snapshot_lacks_refuses_a_rollback_that_needs_every_disk(release, providers, props, refused) -> None:
    kinds = list(providers) * 3
    resources = [_resource("server01", kinds[0]), _resource("Server02", kinds[1]), _resource("server03", kinds[2]),
                 _resource("server04", flags=("DRBD_DISKLESS", "TIE_BREAKER"))]
    rd = {"name": RD, "props": props}
    if not refused:
        snapshots.refuse_uncovered_replicas("restore", rd, TARGET, resources, release)
        return
    with pytest.raises(snapshots.ModuleFailure) as failure:
        snapshots.refuse_uncovered_replicas("restore", rd, TARGET, resources, release)
    assert failure.value.parameter == "name"
    assert failure.value.result["uncovered_nodes"] == ["server03"]  # not the diskless tie-breaker, any case


@pytest.mark.parametrize(("release", "warned"), [((1, 30, 4), False), ((1, 31, 0), True), ((1, 31, 1), True),
                                                 ((1, 31, 2), False)])
def test_a_rollback_that_drops_diskless_resources_warns_of_all_but_the_tie_breaker(release, warned) -> None:
    """LINSTOR's restore makes the tie-breaker again (its auto-tiebreaker), not a diskless resource Incus made."""
    resources = [_resource("server01"), _resource("server02"), _resource("server03", flags=("DISKLESS",)),
                 _resource("server04", flags=("DISKLESS", "DRBD_DISKLESS", "TIE_BREAKER"))]
    warnings = snapshots.dropped_diskless_warnings(RD, resources, release)
    assert len(warnings) == (1 if warned else 0)
    if warned:
        assert f"diskless resources of resource definition {RD} on server03 are not made again" in warnings[0]
    assert snapshots.dropped_diskless_warnings(RD, [resources[0], resources[3]], release) == []


def test_every_disk_on_a_snapshot_node_is_no_refusal() -> None:
    resources = [_resource("server01", "ZFS_THIN"), _resource("server02", "ZFS_THIN")]
    snapshots.refuse_uncovered_replicas("restore", RD_ENTRY, TARGET, resources, (1, 28, 0))


def test_a_name_is_checked_against_incus_s_rule_only_where_a_snapshot_is_made() -> None:
    """A snapshot an older Incus named -pre may exist: declaring it present parses; making one so is refused."""
    request = snapshots.parse_snapshot_request({"volume": "c1", "type": "container", "name": "-pre",
                                                "prefix": "incus-volume-", "resource_group": "rg"})
    assert request.name == "-pre"
    with pytest.raises(NamingError, match="is not a valid Incus snapshot name") as caught:
        snapshots.validate_snapshot_name(request.name)
    assert caught.value.parameter == "name"


def test_an_rd_being_deleted_is_left_for_the_one_linstor_keeps():
    """A real controller lists an RD it is deleting with flag DELETE until its resources are gone (the emulator
    deletes at once): a snapshot create that read its RD back so goes on with the other claimant, or fails
    naming ``volume`` when there is none. No request is needed while at most one claimant is not being deleted."""
    own = {"name": RD, "flags": ["DELETE"], "props": {}}
    other = {"name": SNAP2, "flags": [], "props": {}}
    move = snapshots._giving_way(None, own, [own, other])
    assert move == snapshots._Move(other, "is being deleted")
    with pytest.raises(snapshots.ModuleFailure) as failure:
        snapshots._giving_way(None, own, [own])
    assert failure.value.parameter == "volume"
    assert f"{RD}, the volume's only one, is being deleted" in str(failure.value)
    kept = {"name": RD, "flags": [], "props": {}}
    assert snapshots._giving_way(None, kept, [kept, {"name": SNAP2, "flags": ["DELETE"]}]) is None
