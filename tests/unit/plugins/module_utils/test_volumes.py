"""Pure logic of the volume operations: option checks, planning, sizes, undo.

What goes over the wire (lookups, spawn, clone, delete) is covered by the linstor_incus_volume
integration target against the emulator, never by mocked HTTP.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from ansible_collections.linstor.incus.plugins.module_utils import _reconcile as reconcile
from ansible_collections.linstor.incus.plugins.module_utils import _volumes as volumes
from ansible_collections.linstor.incus.plugins.module_utils._client import (
    CHECK_THE_CONTROLLER,
    LinstorConnectionError,
    LinstorError,
)
from ansible_collections.linstor.incus.plugins.module_utils._module import ModuleFailure
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    EXACT_SIZE_KEY,
    MIB,
    NamingError,
    creation_properties,
    volume_view,
)
from ansible_collections.linstor.incus.plugins.module_utils._volumes import (
    Outcome,
    Plan,
    Reverter,
    _reraise_after_revert,
    apply_plan_to_view,
    copy_volume,
    create_volume,
    deleting_warnings,
    duplicated,
    filesystem_grow_warnings,
    foreign_snapshots,
    has_filesystem_volume,
    live,
    new_volume_view,
    other_prefix_warnings,
    parse_request,
    plan_changes,
    planned_sizes_kib,
    read_until_settled,
    refuse_filesystem_keys,
    refuse_unmapped_snapshots,
    resize_target_kib,
    single,
    snapshots_to_remove,
)

PREFIX = "incus-volume-"
GIB = 1024 * MIB


def params(**overrides: Any) -> dict[str, Any]:
    base = {"name": "c1", "type": "container", "project": "default", "resource_group": "rg", "prefix": PREFIX,
            "state": "present"}
    base.update(overrides)
    return base


def rd(name: str = "incus-volume-" + "a" * 32, volume_type: str = "containers", incus: str = "incus-volume-c1",
       content: str = "filesystem", sizes: tuple[int, ...] = (1048576,), **props: str) -> dict[str, Any]:
    return {
        "name": name,
        "resource_group_name": "rg",
        "props": {"Aux/Incus/name": incus, "Aux/Incus/type": volume_type, "Aux/Incus/content-type": content,
                  EXACT_SIZE_KEY: "true", **props},
        "volume_definitions": [{"volume_number": n, "size_kib": s} for n, s in enumerate(sizes)],
    }


def test_parse_request_normalises() -> None:
    request = parse_request(params(type="virtual-machines", size="10GiB", project="web"))
    assert request.volume_type == "virtual-machines"
    assert request.content_type == "block"
    assert not request.content_type_given
    assert request.incus_name == "incus-volume-web_c1"
    assert request.size_bytes == 10 * GIB
    custom = parse_request(params(type="custom", name="vol"))
    assert custom.incus_name == "incus-volume-default_vol"
    assert custom.content_type == "filesystem"


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"name": "bad_name!"}, "name"),
        ({"prefix": "x" * 17}, "prefix"),
        ({"project": "a_b"}, "project"),
        ({"type": "image", "name": "f" * 64, "project": "web"}, "project"),
        ({"size": "ten"}, "size"),
        ({"filesystem_size": "1GiB"}, "filesystem_size"),
        ({"content_type": "block"}, "content_type"),
        ({"properties": {"Aux/Incus/x": "1"}}, "properties"),
        ({"drbd_options": {"auto_diskful": "30s"}}, "drbd_options.auto_diskful"),
        ({"rename_from": "c0", "state": "absent"}, "rename_from"),
        ({"rename_from": "c1"}, "rename_from"),
        ({"source": {"volume": "c2"}, "state": "absent"}, "source"),
        ({"source": {"volume": "c2"}, "rename_from": "c0"}, "source"),
        ({"source": {"volume": "c1"}}, "source"),
        ({"source": {"volume": "c2", "project": "a_b"}}, "source.project"),
        ({"source": {"volume": "bad!"}}, "source.volume"),
        ({"source": {"volume": "c2", "type": "nope"}}, "source.type"),
        ({"delete_retries": -1}, "delete_retries"),
        ({"resource_group": ""}, "resource_group"),
    ],
)
def test_parse_request_names_the_parameter(overrides: dict[str, Any], parameter: str) -> None:
    with pytest.raises(NamingError) as caught:
        parse_request(params(**overrides))
    assert caught.value.parameter == parameter


def test_source_defaults_to_the_new_volume_type_and_project() -> None:
    request = parse_request(params(project="web", source={"volume": "c2"}))
    assert request.source is not None
    assert (request.source.volume_type, request.source.project) == ("containers", "web")
    assert request.source.incus_name == "incus-volume-web_c2"


def test_a_source_identity_error_names_the_source_option_in_its_message() -> None:
    with pytest.raises(NamingError) as caught:
        parse_request(params(type="virtual-machine", source={"volume": "f" * 64, "type": "image", "project": "web"}))
    assert caught.value.parameter == "source.project"
    assert caught.value.message.startswith("source.project must be 'default' for images")


def test_filesystem_volume_follows_incus_is_vm_block() -> None:
    assert has_filesystem_volume("virtual-machines", "block")
    assert has_filesystem_volume("images", "block")
    assert not has_filesystem_volume("images", "filesystem")
    assert not has_filesystem_volume("custom", "block")
    vm = parse_request(params(type="virtual-machine", size="10GiB"))
    assert planned_sizes_kib(vm, vm.size_bytes) == [10485760, 512000]
    image = parse_request(params(type="image", name="f" * 64, size="1GiB", filesystem_size="600MiB"))
    assert planned_sizes_kib(image, image.size_bytes) == [1048576, 614400]


@pytest.mark.parametrize(
    ("current_kib", "wanted", "expected"),
    [
        (1048576, GIB, None),
        (1048576, GIB + 100, 1048576 + 8),  # rounded up before the 512-byte tolerance, as Incus does
        (1048576, GIB - 300, None),  # rounds up to the current size
        (1048576, GIB - 4096, None),  # rounds up to the current size
        (1048576, 2 * GIB, 2097152),
        (1048576, GIB + 4096, 1048576 + 8),  # rounded up to 8 KiB
        (4096, 1000, None),  # raised to 4 MiB, which it has
    ],
)
def test_resize_target(current_kib: int, wanted: int, expected: int | None) -> None:
    assert resize_target_kib(current_kib, wanted, "size", "block") == expected


@pytest.mark.parametrize("content", ["block", "filesystem"])
def test_shrinking_is_refused(content: str) -> None:
    with pytest.raises(NamingError) as caught:
        resize_target_kib(2097152, GIB, "size", content)
    assert caught.value.parameter == "size"
    assert ("cannot be shrunk" in caught.value.message) == (content == "block")


def test_plan_no_change() -> None:
    request = parse_request(params(size="1GiB"))
    assert plan_changes(request, rd()).empty


def test_plan_grow_drops_exact_size_and_sets_properties() -> None:
    request = parse_request(params(size="2GiB", properties={"FileSystem/Type": "xfs"},
                                   drbd_options={"on_no_quorum": "io-error"}))
    plan = plan_changes(request, rd())
    assert plan.resize_kib == {0: 2097152}
    assert plan.delete_props == [EXACT_SIZE_KEY]
    assert plan.override_props == {"FileSystem/Type": "xfs", "DrbdOptions/Resource/on-no-quorum": "io-error"}


def test_plan_grow_of_a_filesystem_warns_that_the_filesystem_keeps_its_size() -> None:
    """Incus grows a filesystem only in a resize it makes itself: after a grow made here it never will."""
    container = rd()
    container["volume_definitions"][0]["layer_data"] = [{"type": "DRBD", "data": {"minor_number": 1007}},
                                                        {"type": "STORAGE"}]
    [warning] = filesystem_grow_warnings("incus-volume-c1", container,
                                         plan_changes(parse_request(params(size="2GiB")), container))
    assert "volume incus-volume-c1: LINSTOR grows volume 0 to 2GiB" in warning
    assert "`resize2fs /dev/drbd1007`" in warning
    vm = rd(volume_type="virtual-machines", content="block", sizes=(1048576, 512000))
    plan = plan_changes(parse_request(params(type="virtual-machine", size="2GiB", filesystem_size="1GiB")), vm)
    assert plan.grown_filesystems == [1]
    [warning] = filesystem_grow_warnings("incus-volume-v1", vm, plan)
    assert "LINSTOR grows volume 1 to 1GiB" in warning
    assert f"`linstor volume list -r {vm['name']}` shows the minor" in warning  # read without its layer data
    assert "`resize2fs /dev/drbd<minor>` (ext4)" in warning  # not a command quoted inside another's quotes
    [warning] = filesystem_grow_warnings("incus-volume-v1", {}, plan)  # a copy not made yet
    assert "`resize2fs /dev/drbd<minor>`" in warning
    assert plan_changes(parse_request(params(type="virtual-machine", size="2GiB")), vm).grown_filesystems == []
    custom_block = rd(volume_type="custom", incus="incus-volume-default_c1", content="block")
    assert plan_changes(parse_request(params(type="custom", size="2GiB")), custom_block).grown_filesystems == []


def test_plan_rename_changes_only_the_name() -> None:
    request = parse_request(params(name="c2", rename_from="c1"))
    plan = plan_changes(request, rd(), rename=True)
    assert plan == Plan(override_props={"Aux/Incus/name": "incus-volume-c2"})


def test_plan_refuses_content_type_conversion_only_when_asked() -> None:
    image = rd(volume_type="images", incus="incus-volume-" + "f" * 64)
    assert plan_changes(parse_request(params(type="image", name="f" * 64)), image).empty
    with pytest.raises(NamingError) as caught:
        plan_changes(parse_request(params(type="image", name="f" * 64, content_type="block")), image)
    assert caught.value.parameter == "content_type"


def test_plan_vm_filesystem_volume() -> None:
    vm = rd(volume_type="virtual-machines", incus="incus-volume-v1", content="block", sizes=(10485760, 512000))
    request = parse_request(params(name="v1", type="virtual-machine", filesystem_size="1GiB"))
    assert plan_changes(request, vm).resize_kib == {1: 1048576}
    with pytest.raises(NamingError) as caught:
        plan_changes(parse_request(params(name="v1", type="virtual-machine", filesystem_size="100MiB")), vm)
    assert caught.value.parameter == "filesystem_size"


def test_apply_plan_to_view() -> None:
    request = parse_request(params(name="c2", rename_from="c1", size="2GiB"))
    before = volume_view(rd(), PREFIX)
    after = apply_plan_to_view(before, plan_changes(request, rd(), rename=True), PREFIX)
    assert after["name"] == "c2"
    assert after["volume_definitions"] == [{"number": 0, "size_kib": 2097152}]
    assert EXACT_SIZE_KEY not in after["properties"]
    assert before["name"] == "c1"


def test_new_volume_view_in_check_mode() -> None:
    request = parse_request(params(type="virtual-machine", size="10GiB"))
    props = creation_properties(PREFIX, "virtual-machines", "default", "c1", "block")
    view = new_volume_view(request, props, [10485760, 512000])
    assert view["resource_definition"] is None
    assert view["content_type"] == "block"
    assert [vd["size_kib"] for vd in view["volume_definitions"]] == [10485760, 512000]


def test_single_names_every_duplicate() -> None:
    with pytest.raises(ModuleFailure) as caught:
        single([rd(name="incus-volume-" + "b" * 32), rd()], "incus-volume-c1", "name", PREFIX)
    assert caught.value.parameter == "name"
    assert caught.value.result["duplicates"] == ["incus-volume-" + "a" * 32, "incus-volume-" + "b" * 32]
    assert single([], "incus-volume-c1", "name", PREFIX) is None
    broken = rd(content="floppy")
    with pytest.raises(ModuleFailure):
        single([broken], "incus-volume-c1", "name", PREFIX)


def test_single_does_not_count_an_rd_linstor_is_deleting() -> None:
    going = {**rd(name="incus-volume-" + "b" * 32), "flags": ["DELETE"]}
    assert single([going, rd()], "incus-volume-c1", "name", PREFIX) == rd()
    assert single([going], "incus-volume-c1", "name", PREFIX) is None
    assert not duplicated([going, rd()]) and duplicated([rd(name="incus-volume-" + "b" * 32), rd()])
    [warning] = deleting_warnings([going, rd()], "incus-volume-c1")
    assert warning.startswith(f"LINSTOR is deleting resource definition {going['name']} of volume incus-volume-c1 "
                              "(flag DELETE): it is gone once the satellites have removed its resources")
    assert f"linstor resource-definition delete {going['name']}" in warning and "duplicate Incus refuses" in warning
    assert deleting_warnings([rd()], "incus-volume-c1") == []


class Deletes:
    """Answers the requests of a volume delete (no snapshots); the deletes of ``refused`` RDs fail, and ``gone`` RDs
    are not found (LINSTOR finished their delete)."""

    stop_pending = False

    def __init__(self, refused: tuple[str, ...] = (), gone: tuple[str, ...] = (),
                 snapshots: dict[str, list[str]] | None = None, in_use: tuple[str, ...] = ()) -> None:
        self.refused, self.gone, self.snapshots, self.in_use = refused, gone, snapshots or {}, in_use
        self.deleted: list[str] = []

    def list_snapshots(self, rd_name: str) -> list[dict[str, Any]]:
        if rd_name in self.gone:
            raise LinstorError(f"Resource definition '{rd_name}' not found.", status=404,
                               entries=[{"ret_code": -4611686018427387904 | 0x2000000 | 0x19, "message": "not found"}])
        return [{"name": name} for name in self.snapshots.get(rd_name, [])]

    def delete_snapshot(self, rd_name: str, snapshot: str) -> list[dict[str, Any]]:
        if snapshot in self.refused:
            raise LinstorError(f"Snapshot '{snapshot}' cannot be deleted", ret_code=-4611686018427387904)
        self.deleted.append(snapshot)
        return []

    def view_resources(self, rd_names: list[str]) -> list[dict[str, Any]]:
        return [{"name": name, "node_name": "node1", "state": {"in_use": True}} for name in rd_names
                if name in self.in_use]

    @contextlib.contextmanager
    def run_to_the_end(self, step: str):
        yield

    def delete_resource_definition(self, rd_name: str) -> list[dict[str, Any]]:
        if rd_name in self.refused:
            raise LinstorError(f"Resource definition '{rd_name}' cannot be deleted", ret_code=-4611686018427387904)
        self.deleted.append(rd_name)
        return []


def test_absent_sends_the_stalled_deletes_again_then_deletes_the_volume() -> None:
    volume = rd()
    stalled = [{**rd(name="incus-volume-" + letter * 32), "flags": ["DELETE"], volumes.DELETE_STALLED: True}
               for letter in "bc"]
    under_way = {**rd(name="incus-volume-" + "d" * 32), "flags": ["DELETE"]}
    request = parse_request(params(state="absent"))
    assert volumes.stalled_deletes(request, [volume, under_way, *stalled]) == stalled
    # a content type the task did not describe: not that volume's, left alone
    block = parse_request(params(type="custom", state="absent", content_type="block"))
    assert volumes.stalled_deletes(block, stalled) == []

    client, outcome = Deletes(), Outcome(None)
    volumes.delete_volume_rds(client, request, volume, stalled, outcome, False)
    assert client.deleted == [stalled[0]["name"], stalled[1]["name"], volume["name"]] and outcome.changed
    assert outcome.extra == {"resource_definitions_deleted": client.deleted, "snapshots_removed": []}

    checked, check_outcome = Deletes(), Outcome(None)
    volumes.delete_volume_rds(checked, request, None, stalled, check_outcome, True)
    assert checked.deleted == [] and check_outcome.changed
    assert check_outcome.extra["resource_definitions_deleted"] == [stalled[0]["name"], stalled[1]["name"]]

    nothing = Outcome(None)
    volumes.delete_volume_rds(Deletes(), request, None, [], nothing, False)
    assert not nothing.changed and nothing.extra == {"resource_definitions_deleted": [], "snapshots_removed": []}

    # a stalled RD gone meanwhile (LINSTOR finished it): skipped, no change for it
    finished, finished_outcome = Deletes(gone=(stalled[0]["name"],)), Outcome(None)
    volumes.delete_volume_rds(finished, request, None, stalled[:1], finished_outcome, False)
    assert not finished_outcome.changed and finished_outcome.extra["resource_definitions_deleted"] == []

    # a stalled RD deleted, the volume's delete refused: the failure says what went
    with pytest.raises(ModuleFailure) as failure:
        volumes.delete_volume_rds(Deletes(refused=(volume["name"],)), request, volume, stalled, Outcome(None), False)
    assert failure.value.result["changed"] is True
    assert failure.value.result["resource_definitions_deleted"] == [stalled[0]["name"], stalled[1]["name"]]
    # nothing deleted: LINSTOR's own error
    with pytest.raises(LinstorError):
        volumes.delete_volume_rds(Deletes(refused=(stalled[0]["name"],)), request, None, stalled, Outcome(None), False)
    # a stalled RD deleted, then the volume's first snapshot delete refused: only what went is reported
    unmapped = parse_request(params(state="absent", remove_unmapped_snapshots=True))
    snapshotted = Deletes(refused=("incus-volume-s1",), snapshots={volume["name"]: ["incus-volume-s1"]})
    with pytest.raises(ModuleFailure) as failure:
        volumes.delete_volume_rds(snapshotted, unmapped, volume, stalled[:1], Outcome(None), False)
    assert failure.value.result["changed"] is True and failure.value.result["snapshots_removed"] == []
    assert failure.value.result["resource_definitions_deleted"] == [stalled[0]["name"]]


def test_a_stalled_rd_refused_at_its_turn_is_reported_under_its_own_name() -> None:
    """linstor_incus_volumes, state=absent: a stalled RD's delete refused at its turn (a snapshot made on it after
    the plan, or in use since) is reported in unmapped_snapshots / in_use_nodes under that RD, not the volume's."""
    volume = rd()
    stalled = {**rd(name="incus-volume-" + "b" * 32), "flags": ["DELETE"], volumes.DELETE_STALLED: True}

    def failure_of(client: Deletes, deleted: tuple[str, ...] = (), **options: Any) -> ModuleFailure:
        item = reconcile.Item(index=2, request=parse_request(params(state="absent", delete_retries=0, **options)),
                              rd=volume, action="delete", stalled=[stalled],
                              doomed_snapshots={volume["name"]: [], stalled["name"]: []})
        with pytest.raises(reconcile.ItemFailure) as caught:
            reconcile.apply_item(client, item, reconcile._new_entry(item), [], [])
        assert client.deleted == list(deleted)
        return reconcile._run_failure(item, caught.value, [], [])

    unmapped = failure_of(Deletes(snapshots={stalled["name"]: ["backup-1"]}))
    assert unmapped.result["unmapped_snapshots"] == [
        {"index": 2, "resource_definition": stalled["name"], "linstor_name": "backup-1"}]
    in_use = failure_of(Deletes(snapshots={stalled["name"]: ["backup-1"]}, in_use=(stalled["name"],)),
                        remove_unmapped_snapshots=True)
    assert in_use.result["in_use_nodes"] == [{"index": 2, "resource_definition": stalled["name"], "nodes": ["node1"]}]
    # the stalled RD went, then the volume's own RD refused: reported under it, as before
    own = failure_of(Deletes(snapshots={volume["name"]: ["backup-1"]}), (stalled["name"],))
    assert own.result["resource_definitions_deleted"] == [stalled["name"]]
    assert own.result["unmapped_snapshots"] == [
        {"index": 2, "resource_definition": volume["name"], "linstor_name": "backup-1"}]


class ResourceView:
    """Answers view_resources with the given resources (name, flags, in use), and counts the requests."""

    def __init__(self, *resources: tuple[str, list[str], bool]) -> None:
        self.resources = [{"name": name, "node_name": f"node{index}", "flags": flags, "state": {"in_use": in_use}}
                          for index, (name, flags, in_use) in enumerate(resources)]
        self.requests: list[list[str]] = []

    def view_resources(self, names: list[str]) -> list[dict[str, Any]]:
        self.requests.append(list(names))
        wanted = {name.lower() for name in names}
        return [resource for resource in self.resources if resource["name"].lower() in wanted]


def test_rds_flagged_delete_are_told_apart_by_their_resources() -> None:
    """LINSTOR 1.31.0 to 1.33.1 keep flag DELETE on an RD whose delete they refused because a resource was in use:
    that resource is in use and not flagged (refused: still the volume). Once none is in use and none flagged, the
    delete is stalled (or in its first moments): state=absent sends it again. A delete under way has flagged its
    resources (or removed them all... then the RD goes at once)."""
    refused = {**rd(), "flags": ["DELETE"]}
    under_way = {**rd(name="incus-volume-" + "b" * 32), "flags": ["DELETE"]}
    unplaced = {**rd(name="incus-volume-" + "c" * 32), "flags": ["DELETE"]}
    stalled = {**rd(name="incus-volume-" + "e" * 32), "flags": ["DELETE"]}
    view = ResourceView((refused["name"], [], True), (refused["name"], ["DISKLESS", "DELETE"], False),
                        (under_way["name"], ["DISKLESS", "DELETE"], False), (under_way["name"], [], False),
                        (stalled["name"], [], False), (stalled["name"], ["DISKLESS"], False))
    claims = {"c1": [refused], "c2": [under_way, unplaced], "c3": [rd(name="incus-volume-" + "d" * 32)],
              "c4": [stalled]}
    told = volumes.tell_flagged_deletes_apart(view, claims)
    assert view.requests == [[refused["name"], under_way["name"], unplaced["name"], stalled["name"]]]
    assert told["c1"] == [{**refused, "flags": [], volumes.DELETE_REFUSED: True}]
    assert single(told["c1"], "incus-volume-c1", "name", PREFIX) == told["c1"][0]
    assert "data and all" in volumes.refused_delete_warnings(told["c1"][0], "incus-volume-c1")[0]
    assert told["c2"] == [under_way, {**unplaced, volumes.DELETE_STALLED: True}] and live(told["c2"]) == []
    assert told["c4"] == [{**stalled, volumes.DELETE_STALLED: True}] and live(told["c4"]) == []
    assert told["c3"] == claims["c3"] and volumes.refused_delete_warnings(told["c3"][0], "incus-volume-c3") == []
    nothing_flagged = ResourceView()
    assert volumes.tell_flagged_deletes_apart(nothing_flagged, {"c3": claims["c3"]}) == {"c3": claims["c3"]}
    assert nothing_flagged.requests == [], "no request without an RD flagged DELETE"


@pytest.mark.parametrize("reads_until_settled, pauses", [
    (1, []),
    (3, [0.5, 1.0]),
    (None, [0.5, 1.0, 2.0, 4.0, 2.5]),  # never: ten seconds in all, then the duplicate is failed on
])
def test_a_lookup_finding_twins_reads_again_with_doubling_pauses_for_ten_seconds(
        reads_until_settled: int | None, pauses: list[float]) -> None:
    slept: list[float] = []

    class Pausing:
        def pause(self, seconds: float) -> None:
            slept.append(seconds)

    reads: list[int] = []

    def read() -> dict[str, list[dict[str, Any]]]:
        reads.append(1)
        settled = reads_until_settled is not None and len(reads) >= reads_until_settled
        return {"c1": [rd()] if settled else [rd(), rd(name="incus-volume-" + "b" * 32)]}

    found = read_until_settled(Pausing(), read, lambda found: duplicated(found["c1"]))
    assert slept == pauses and len(reads) == len(pauses) + 1
    assert sum(slept) <= volumes.DUPLICATE_SETTLE_WAIT
    assert len(found["c1"]) == (2 if reads_until_settled is None else 1)


def test_snapshots_to_remove() -> None:
    props = {"Aux/Incus/snapshot-name/snap0": "incus-volume-s0", "Aux/Incus/SnapshotName/old": "incus-volume-s1"}
    assert snapshots_to_remove(props, ["incus-volume-s0", "incus-volume-s1", "incus-volume-s2"]) == [
        {"name": "snap0", "linstor_name": "incus-volume-s0"},
        {"name": "old", "linstor_name": "incus-volume-s1"},
        {"name": None, "linstor_name": "incus-volume-s2"},
    ]
    assert snapshots_to_remove(props, ["INCUS-VOLUME-S0"]) == [{"name": "snap0", "linstor_name": "INCUS-VOLUME-S0"}]


def test_foreign_snapshots_are_neither_mapped_nor_claimed() -> None:
    props = {"Aux/Incus/snapshot-name/snap0": "incus-volume-s0", "Aux/Incus/SnapshotName/old": "incus-volume-s1",
             "Aux/linstor-incus/snapshot-claim/incus-volume-s2": "snap2"}
    names = ["incus-volume-s0", "INCUS-VOLUME-S1", "incus-volume-s2", "backup-1", "incus-volume-s3"]
    assert foreign_snapshots(props, names) == ["backup-1", "incus-volume-s3"]
    # a claim on a mapped name holds nothing: the snapshot a losing twin left is unmapped, not the volume's
    props["Aux/linstor-incus/snapshot-claim/incus-volume-s3"] = "snap0"
    assert foreign_snapshots(props, names) == ["backup-1", "incus-volume-s3"]


def test_unmapped_snapshots_refuse_a_delete_unless_asked_to_go() -> None:
    volume = rd(**{"Aux/Incus/snapshot-name/snap0": "incus-volume-s0"})
    request = parse_request(params(state="absent"))
    refuse_unmapped_snapshots(request, volume, ["incus-volume-s0"])  # only the volume's own: fine
    with pytest.raises(ModuleFailure) as caught:
        refuse_unmapped_snapshots(request, volume, ["incus-volume-s0", "backup-1"])
    assert caught.value.parameter == "remove_unmapped_snapshots"
    assert caught.value.result == {"unmapped_snapshots": ["backup-1"], "resource_definition": volume["name"]}
    assert "backup-1" in caught.value.message and "Nothing was deleted" in caught.value.message
    refuse_unmapped_snapshots(parse_request(params(state="absent", remove_unmapped_snapshots=True)), volume,
                              ["incus-volume-s0", "backup-1"])


class UndoBlocks:
    """Stands in for LinstorClient.unstoppable(): records whether undo steps run inside it."""

    def __init__(self) -> None:
        self.inside = False

    @contextlib.contextmanager
    def unstoppable(self):
        self.inside = True
        try:
            yield
        finally:
            self.inside = False


def test_reverter_runs_every_step_in_reverse_and_reports_failures() -> None:
    done: list[str] = []
    client = UndoBlocks()
    reverter = Reverter(client)
    reverter.add("inside", lambda: done.append(f"inside={client.inside}"))
    reverter.add("first", lambda: done.append("first"))

    def broken() -> None:
        raise RuntimeError("boom")

    reverter.add("second", broken)
    reverter.add("third", lambda: done.append("third"))
    assert reverter.fail() == ["second (boom)"]
    assert done == ["third", "first", "inside=True"]
    assert not client.inside
    reverter.add("again", lambda: done.append("again"))
    reverter.success()
    assert reverter.fail() == []


def test_a_failed_undo_keeps_linstors_error_and_says_what_is_left() -> None:
    reverter = Reverter(UndoBlocks())

    def unreachable() -> None:
        raise LinstorConnectionError("could not reach any LINSTOR controller.")

    reverter.add("resource definition incus-volume-aa", unreachable)
    error = LinstorError("Not enough available nodes", ret_code=-4611686018407201820, status=500,
                         entries=[{"ret_code": -4611686018407201820, "message": "Not enough available nodes"}])
    with pytest.raises(ModuleFailure) as caught:
        _reraise_after_revert(error, reverter)
    assert caught.value.result["changed"] is True
    assert caught.value.result["left_behind"] == ["resource definition incus-volume-aa (could not reach any LINSTOR "
                                                  "controller)"]
    assert caught.value.result["linstor_error"]["errors"][0]["message"] == "Not enough available nodes"
    assert caught.value.message.startswith("Not enough available nodes. Undoing the steps already made also failed")
    assert "Remove what is left behind by hand before running the task again (a resource definition" in \
        caught.value.message


def test_a_lost_reply_undone_says_so_instead_of_asking_to_check() -> None:
    reverter = Reverter(UndoBlocks())
    reverter.add("resource definition incus-volume-aa", lambda: None)
    lost = LinstorConnectionError(f"POST /v1/x was sent to http://c:3370; it may have been applied (timed out); not "
                                  f"repeated because it is not safe to repeat. {CHECK_THE_CONTROLLER}")
    with pytest.raises(LinstorConnectionError) as caught:
        _reraise_after_revert(lost, reverter)
    assert str(caught.value) == ("POST /v1/x was sent to http://c:3370; it may have been applied (timed out); not "
                                 "repeated because it is not safe to repeat. This run then removed what it may have "
                                 "made (resource definition incus-volume-aa), so nothing of it is left.")


class CloneStandIn(UndoBlocks):
    """An in-process stand-in for the few LinstorClient methods a copy calls (no HTTP): the emulator
    always completes clones at once, so LINSTOR's CLONING and FAILED states are played here."""

    def __init__(self, statuses: list[str]) -> None:
        super().__init__()
        self.statuses = statuses
        self.calls: list[tuple[str, ...]] = []

    def list_resource_definitions(self, props=(), names=(), with_volume_definitions=True):
        self.calls.append(("list",))
        return [rd(name="incus-volume-" + "5" * 32, incus="incus-volume-c2")]

    def rest_api_version(self):
        return (1, 28, 0)

    def clone(self, source, target, resource_group=None, override_props=None, delete_namespaces=()):
        self.calls.append(("clone", source, target))
        return []

    def clone_status(self, source, target):
        self.calls.append(("status",))
        return {"status": self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]}

    def delete_resource_definition(self, name):
        self.calls.append(("delete", name))
        return []


@pytest.mark.parametrize(("statuses", "timeout", "parameter"),
                         [(["CLONING", "FAILED"], 60, None), (["CLONING"], 0.05, "wait_timeout")])
def test_a_failed_or_late_clone_is_deleted(statuses: list[str], timeout: float, parameter: str | None) -> None:
    client = CloneStandIn(statuses)
    request = parse_request(params(name="c5", source={"volume": "c2"}, wait_timeout=timeout))
    with pytest.raises(ModuleFailure) as caught:
        copy_volume(client, request, Outcome(None), check_mode=False)
    assert caught.value.parameter == parameter
    target = next(call[2] for call in client.calls if call[0] == "clone")
    assert client.calls[-1] == ("delete", target)
    assert target.startswith(PREFIX) and target != "incus-volume-" + "5" * 32


class SpawnStandIn(UndoBlocks):
    """Stand-in whose spawn or autoplace fails as a controller would (no HTTP)."""

    def __init__(self, failing: str, error: Exception) -> None:
        super().__init__()
        self.failing = failing
        self.error = error
        self.calls: list[tuple[str, ...]] = []

    def spawn(self, resource_group, resource_definition, volume_sizes_kib, props, partial=False):
        self.calls.append(("spawn", resource_definition))
        if self.failing == "spawn":
            raise self.error
        return []

    def autoplace(self, name, place_count=None):
        self.calls.append(("autoplace", name))
        if self.failing == "autoplace":
            raise self.error
        return []

    def delete_resource_definition(self, name):
        self.calls.append(("delete", name))
        return []


@pytest.mark.parametrize(("failing", "error", "deleted"), [
    ("autoplace", LinstorError("Not enough available nodes"), True),
    ("spawn", LinstorConnectionError("POST may have been applied"), True),
    ("spawn", LinstorError("Resource group 'rg' not found"), False),
])
def test_create_undoes_what_it_made(failing: str, error: Exception, deleted: bool) -> None:
    client = SpawnStandIn(failing, error)
    with pytest.raises(LinstorError) as caught:
        create_volume(client, parse_request(params(size="1GiB")), Outcome(None), check_mode=False)
    rd_name = client.calls[0][1]
    assert (("delete", rd_name) in client.calls) == deleted
    if isinstance(error, LinstorConnectionError):  # the lost reply's message says the RD is gone again
        assert caught.value.__cause__ is error and "nothing of it is left" in str(caught.value)
        assert rd_name in str(caught.value)
    else:
        assert caught.value is error


@pytest.mark.parametrize(("volume_type", "content"), [
    ("virtual-machines", "block"), ("custom", "block"), ("custom", "iso"), ("images", "block")])
def test_filesystem_keys_refused_on_raw_disks(volume_type: str, content: str) -> None:
    with pytest.raises(NamingError) as caught:
        refuse_filesystem_keys({"FileSystem/Type": "ext4", "Aux/x": "1"}, volume_type, content)
    assert caught.value.parameter == "properties"
    assert "FileSystem/Type" in caught.value.message and "raw disk" in caught.value.message
    refuse_filesystem_keys({"Aux/x": "1"}, volume_type, content)  # other keys: fine


def test_filesystem_keys_taken_by_filesystem_volumes_and_checked_on_the_rd_content() -> None:
    refuse_filesystem_keys({"FileSystem/Type": "xfs"}, "custom", "filesystem")
    request = parse_request(params(type="custom", properties={"FileSystem/Type": "ext4"}))  # default: filesystem
    plan_changes(request, rd(volume_type="custom"))  # an existing filesystem volume takes them
    with pytest.raises(NamingError):  # the RD's content type counts, not the option's default
        plan_changes(request, rd(volume_type="custom", content="block"))


def test_properties_given_as_null_are_removed_when_the_rd_has_them() -> None:
    request = parse_request(params(properties={"Aux/a": None, "Aux/b": None, "Aux/c": "1"}))
    assert request.user_properties == {"Aux/c": "1"}
    assert request.removed_properties == ("Aux/a", "Aux/b")
    plan = plan_changes(request, rd(**{"Aux/a": "x", "Aux/c": "1"}))
    assert plan.delete_props == ["Aux/a"] and plan.override_props == {}
    assert plan_changes(request, rd(**{"Aux/c": "1"})).empty
    with pytest.raises(NamingError) as caught:  # keys that cannot be set cannot be removed either
        parse_request(params(properties={"Aux/Incus/name": None}))
    assert caught.value.parameter == "properties"


def test_a_drbd_option_is_removed_through_properties_but_not_set_there() -> None:
    request = parse_request(params(properties={"DrbdOptions/Resource/on-no-quorum": None}))
    assert request.removed_properties == ("DrbdOptions/Resource/on-no-quorum",)
    plan = plan_changes(request, rd(**{"DrbdOptions/Resource/on-no-quorum": "io-error"}))
    assert plan.delete_props == ["DrbdOptions/Resource/on-no-quorum"]
    for given in ({"properties": {"DrbdOptions/Resource/on-no-quorum": "io-error"}},
                  {"properties": {"DrbdOptions/Resource/on-no-quorum": None},
                   "drbd_options": {"on_no_quorum": "io-error"}}):
        with pytest.raises(NamingError) as caught:
            parse_request(params(**given))
        assert caught.value.parameter == "properties"


def test_volumes_named_with_another_prefix_are_told() -> None:
    """A prefix option that is not the pool's hides every volume of it: the listing shows them, so say so."""
    ours = rd()
    theirs = [rd(name="lx-" + "b" * 32, incus="lx-c1"), rd(name="lx-" + "c" * 32, incus="lx-default_d1"),
              rd(name="handmade", incus="hand-c2")]
    elsewhere = {**rd(name="lx-" + "d" * 32, incus="lx-c3"), "resource_group_name": "other"}
    [warning] = other_prefix_warnings([ours, *theirs, elsewhere], "RG", PREFIX)
    assert warning.startswith("resource group RG holds 3 Incus volume(s) whose Aux/Incus/name does not start with "
                              "prefix 'incus-volume-'")
    assert "named with 'lx-' (2), another prefix (1)" in warning
    assert other_prefix_warnings([ours, elsewhere], "rg", PREFIX) == []
