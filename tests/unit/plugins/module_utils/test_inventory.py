"""The inventory's pure part: build_inventory on LINSTOR-shaped replies, filters, anomalies, query."""

from __future__ import annotations

import subprocess
import sys

import pytest
from ansible_collections.linstor.incus.plugins.module_utils._inventory import (
    QueryError,
    Selection,
    apply_query,
    build_inventory,
    compile_query,
)
from ansible_collections.linstor.incus.plugins.module_utils._naming import NamingError

PREFIX = "incus-volume-"
FINGERPRINT = "d21a26af7d5a95c3aa6e923257a1cb5cd765b102796b92ab111fb29ebfb86137"


def rd(name: str, props: dict[str, str], group: str = "linstor", sizes: tuple[int, ...] = (10240,)) -> dict:
    return {"name": name, "resource_group_name": group, "props": props,
            "volume_definitions": [{"volume_number": n, "size_kib": s} for n, s in enumerate(sizes)]}


def aux(name: str, volume_type: str, content_type: str) -> dict[str, str]:
    return {"Aux/Incus/name": PREFIX + name, "Aux/Incus/type": volume_type, "Aux/Incus/content-type": content_type}


C1 = rd("incus-volume-61be43e12fed4845ab3f2443cccbe50c", aux("c1", "containers", "filesystem"))
V1 = rd("incus-volume-4df9f0598bd14d73953151614428d298", aux("v1", "virtual-machines", "block"),
        sizes=(10485760, 512000))
VOL = rd("incus-volume-e3e682324ff54fa3a3cf3203d5029366", aux("default_vol", "custom", "block"))
WEB = rd("incus-volume-00000000000000000000000000000001", aux("web_c1", "containers", "filesystem"))
IMAGE = rd("incus-volume-d0531e21ce6b4218b9b8996582b9bf31", aux(FINGERPRINT, "images", "block"))
OTHER_GROUP = rd("incus-volume-11111111111111111111111111111111", aux("c9", "containers", "filesystem"), group="x")
NOT_OURS = rd("someone-elses-rd", {"Aux/other": "1"})
ORPHAN = rd("incus-volume-22222222222222222222222222222222", {"Aux/Incus/type": "containers"})
TWIN = rd("incus-volume-33333333333333333333333333333333", aux("c1", "containers", "filesystem"))
ALL = [C1, V1, VOL, WEB, IMAGE, OTHER_GROUP, NOT_OURS, ORPHAN]


def names(result: dict) -> list[tuple[str, str, str]]:
    return [(v["type"], v["project"], v["name"]) for v in result["volumes"]]


def test_lists_the_groups_incus_volumes_sorted() -> None:
    result = build_inventory(ALL, "linstor", PREFIX)
    assert names(result) == [
        ("containers", "default", "c1"), ("containers", "web", "c1"), ("custom", "default", "vol"),
        ("images", "default", FINGERPRINT), ("virtual-machines", "default", "v1")]
    assert result["anomalies"]["duplicates"] == []
    assert [o["resource_definition"] for o in result["anomalies"]["orphans"]] == [ORPHAN["name"]]
    assert "missing Aux/Incus/name" in result["anomalies"]["orphans"][0]["reason"]


def test_each_volume_carries_its_rds_flags() -> None:
    """An RD LINSTOR is deleting is listed with flag DELETE until its resources are gone: an audit sees it."""
    going = {**WEB, "flags": ["DELETE"]}
    result = build_inventory([C1, going], "linstor", PREFIX)
    assert [(v["project"], v["flags"]) for v in result["volumes"]] == [("default", []), ("web", ["DELETE"])]


@pytest.mark.parametrize(("selection", "expected"), [
    (Selection.from_options(volume_type="container"), [("containers", "default", "c1"), ("containers", "web", "c1")]),
    (Selection.from_options(project="web"), [("containers", "web", "c1")]),
    (Selection.from_options(content_type="block"),
     [("custom", "default", "vol"), ("images", "default", FINGERPRINT), ("virtual-machines", "default", "v1")]),
    (Selection.from_options(name="vol", volume_type="custom", project="default"), [("custom", "default", "vol")]),
])
def test_filters(selection: Selection, expected: list) -> None:
    assert names(build_inventory(ALL, "linstor", PREFIX, selection)) == expected


def test_exact_lookup_uses_incus_filters_on_the_server() -> None:
    selection = Selection.from_options(name="c1", volume_type="containers", project="web")
    assert selection.server_filters(PREFIX) == ["Aux/Incus/name=incus-volume-web_c1", "Aux/Incus/type=containers"]
    # the content type is never filtered on the server (Incus does not): a twin of the other content type is read
    block = Selection.from_options(name="c1", volume_type="custom", project="web", content_type="block")
    assert block.server_filters(PREFIX) == ["Aux/Incus/name=incus-volume-web_c1", "Aux/Incus/type=custom"]
    assert Selection.from_options(content_type="block").server_filters(PREFIX) == ["Aux/Incus/name", "Aux/Incus/type"]


def test_duplicates_name_every_rd() -> None:
    result = build_inventory([C1, TWIN], "linstor", PREFIX)
    assert result["anomalies"]["duplicates"] == [{
        "name": "c1", "project": "default", "type": "containers", "incus_name": "incus-volume-c1", "snapshot": None,
        "resource_definitions": sorted([C1["name"], TWIN["name"]])}]


def test_a_twin_incus_finds_is_a_duplicate_whatever_else_it_lacks_or_its_content_type() -> None:
    """Incus looks a volume up by name and type only: an RD lacking its content type (even one not named with
    the prefix), or carrying the other content type, makes the volume one Incus refuses to use."""
    no_content = {key: value for key, value in C1["props"].items() if key != "Aux/Incus/content-type"}
    restored = rd("restored-c1", no_content)
    result = build_inventory([C1, restored, V1], "linstor", PREFIX)
    assert names(result) == [("containers", "default", "c1"), ("virtual-machines", "default", "v1")]
    assert result["anomalies"]["duplicates"] == [{
        "name": "c1", "project": "default", "type": "containers", "incus_name": "incus-volume-c1", "snapshot": None,
        "resource_definitions": sorted([C1["name"], "restored-c1"])}]
    filesystem_twin = rd("incus-volume-44444444444444444444444444444444", aux("default_vol", "custom", "filesystem"))
    only_block = Selection.from_options(content_type="block")
    result = build_inventory([VOL, filesystem_twin], "linstor", PREFIX, only_block)
    assert names(result) == [("custom", "default", "vol")]
    assert result["anomalies"]["duplicates"] == [{
        "name": "vol", "project": "default", "type": "custom", "incus_name": "incus-volume-default_vol",
        "snapshot": None, "resource_definitions": sorted([VOL["name"], filesystem_twin["name"]])}]
    # a twin in another group is not Incus's concern, nor one of two volumes the selection does not list
    assert build_inventory([C1, rd("incus-volume-55555555555555555555555555555555", C1["props"], group="other")],
                           "linstor", PREFIX)["anomalies"]["duplicates"] == []
    assert build_inventory([C1, TWIN], "linstor", PREFIX,
                           Selection.from_options(volume_type="custom"))["anomalies"]["duplicates"] == []


def test_the_rds_incus_mounts_snapshots_through_are_listed_apart() -> None:
    """Incus's MountVolumeSnapshot makes an RD restored from the snapshot (a VM's with its filesystem volume) and
    deletes it at unmount: not a volume, not an orphan, and the claim its snapshot captured holds nothing."""
    mount = rd("incus-volume-66666666666666666666666666666666", {
        "Aux/Incus/name": "incus-volume-c1/snap0", "Aux/Incus/type": "containers",
        "Aux/Incus/content-type": "filesystem", "Aux/linstor-incus/snapshot-claim/incus-volume-aa": "snap0"})
    vm_mount = rd("incus-volume-77777777777777777777777777777777", {
        "Aux/Incus/name": "incus-volume-web_v1/before", "Aux/Incus/type": "virtual-machines",
        "Aux/Incus/content-type": "filesystem"})
    custom_mount = rd("incus-volume-88888888888888888888888888888888", {
        "Aux/Incus/name": "incus-volume-default_vol/s1", "Aux/Incus/type": "custom",
        "Aux/Incus/content-type": "block"})
    broken = rd("incus-volume-99999999999999999999999999999999", {  # no snapshot name: an orphan
        "Aux/Incus/name": "incus-volume-c1/", "Aux/Incus/type": "containers", "Aux/Incus/content-type": "filesystem"})
    # nothing Incus makes: a snapshot name Incus refuses, a content type not the volume's, an RD not named by Incus
    for props, name in (({"Aux/Incus/name": "incus-volume-c1/a b", "Aux/Incus/type": "containers",
                          "Aux/Incus/content-type": "filesystem"}, "incus-volume-" + "a1" * 16),
                        ({"Aux/Incus/name": "incus-volume-c1/s1", "Aux/Incus/type": "containers",
                          "Aux/Incus/content-type": "block"}, "incus-volume-" + "b1" * 16),
                        ({"Aux/Incus/name": "incus-volume-c1/s1", "Aux/Incus/type": "containers",
                          "Aux/Incus/content-type": "filesystem"}, "manual-rd")):
        assert build_inventory([rd(name, props)], "linstor", PREFIX)["snapshot_mounts"] == [], props
    resources = [{"name": mount["name"], "node_name": "n1", "flags": [], "state": {"in_use": True}, "volumes": []}]
    result = build_inventory([C1, mount, vm_mount, custom_mount, broken], "linstor", PREFIX, resources=resources)
    assert [orphan["resource_definition"] for orphan in result["anomalies"]["orphans"]] == [broken["name"]]
    assert result["anomalies"]["snapshot_claims"] == []
    assert names(result) == [("containers", "default", "c1")]
    assert [(m["type"], m["project"], m["name"], m["snapshot"]) for m in result["snapshot_mounts"]] == [
        ("containers", "default", "c1", "snap0"), ("custom", "default", "vol", "s1"),
        ("virtual-machines", "web", "v1", "before")]
    first = result["snapshot_mounts"][0]
    assert {key: value for key, value in first.items() if key != "resources"} == {
        "name": "c1", "project": "default", "type": "containers", "content_type": "filesystem",
        "incus_name": "incus-volume-c1", "snapshot": "snap0", "resource_definition": mount["name"],
        "resource_group": "linstor"}
    assert [(r["node"], r["in_use"]) for r in first["resources"]] == [("n1", True)]
    assert result["snapshot_mounts"][1]["resources"] == []
    # selected as volumes are
    web = build_inventory([C1, mount, vm_mount], "linstor", PREFIX, Selection.from_options(project="web"))
    assert [m["resource_definition"] for m in web["snapshot_mounts"]] == [vm_mount["name"]]
    assert "resources" not in web["snapshot_mounts"][0]  # not read


def test_two_rds_mounting_one_snapshot_are_a_duplicate() -> None:
    """Incus's lookup of a mount (Aux/Incus/name and type) fails when it finds two: named among the duplicates, with
    the snapshot; one mount per snapshot, or mounts of other snapshots, are not."""
    props = {"Aux/Incus/name": "incus-volume-c1/snap0", "Aux/Incus/type": "containers",
             "Aux/Incus/content-type": "filesystem"}
    first, second = (rd("incus-volume-" + digit * 32, props) for digit in "67")
    other = rd("incus-volume-" + "8" * 32, {**props, "Aux/Incus/name": "incus-volume-c1/snap1"})
    result = build_inventory([C1, first, second, other], "linstor", PREFIX)
    assert len(result["snapshot_mounts"]) == 3
    assert result["anomalies"]["duplicates"] == [{
        "name": "c1", "project": "default", "type": "containers", "incus_name": "incus-volume-c1",
        "snapshot": "snap0", "resource_definitions": [first["name"], second["name"]]}]
    assert build_inventory([C1, first, other], "linstor", PREFIX)["anomalies"]["duplicates"] == []
    assert build_inventory([C1, first, second], "linstor", PREFIX,
                           Selection.from_options(project="web"))["anomalies"]["duplicates"] == []


def test_snapshot_claims_left_on_an_rd_are_listed_unless_the_name_is_mapped() -> None:
    """A claim on a mapped name holds nothing (a twin yielding, or one a copy or restore brought back from a
    snapshot's captured properties): listing it would send users to delete the name's real snapshot."""
    claim = "Aux/linstor-incus/snapshot-claim/"
    claimed = rd(C1["name"], {**C1["props"], claim + "incus-volume-bb": "snap0", claim + "incus-volume-aa": "snap1",
                              claim + "incus-volume-cc": "snap2", "Aux/Incus/snapshot-name/snap1": "incus-volume-aa",
                              "Aux/Incus/snapshot-name/snap2": "incus-volume-dd", claim: "no LINSTOR name"})
    result = build_inventory([claimed, V1], "linstor", PREFIX)
    identity = {"name": "c1", "project": "default", "type": "containers", "incus_name": "incus-volume-c1",
                "resource_definition": C1["name"]}
    assert result["anomalies"]["snapshot_claims"] == [
        {**identity, "snapshot": "snap0", "linstor_snapshot": "incus-volume-bb"}]
    assert build_inventory(ALL, "linstor", PREFIX)["anomalies"]["snapshot_claims"] == []


def test_bad_filters_name_the_parameter() -> None:
    with pytest.raises(NamingError) as caught:
        Selection.from_options(volume_type="vm")
    assert caught.value.parameter == "type"
    with pytest.raises(NamingError) as caught:
        Selection.from_options(project="a_b")
    assert caught.value.parameter == "project"


@pytest.mark.parametrize(("name", "volume_type"), [
    ("", None), ("c1/snap0", None), ("two words", None), (7, None),
    ("vol.1", "containers"), ("c1", "images"), ("-c1", "virtual-machines"),
])
def test_a_name_no_volume_of_the_type_can_have_is_refused(name: object, volume_type: str | None) -> None:
    with pytest.raises(NamingError) as caught:
        Selection.from_options(name=name, volume_type=volume_type)
    assert caught.value.parameter == "name"


@pytest.mark.parametrize(("name", "volume_type"), [
    ("c1", None), ("vol.1", None), ("123", None), ("vol.1", "custom"), ("c1", "containers"), ("a" * 64, "image"),
])
def test_a_name_a_volume_of_the_type_can_have_is_kept(name: str, volume_type: str | None) -> None:
    assert Selection.from_options(name=name, volume_type=volume_type).name == name


def test_query() -> None:
    result = build_inventory(ALL, "linstor", PREFIX)
    compiled = compile_query("volumes[?type=='custom'].incus_name")
    assert apply_query(compiled, result) == ["incus-volume-default_vol"]
    with pytest.raises(QueryError) as caught:
        compile_query("volumes[?")
    assert caught.value.parameter == "query"


def test_jmespath_is_imported_only_for_a_query() -> None:
    code = ("import sys\n"
            "from ansible_collections.linstor.incus.plugins.module_utils import _inventory\n"
            "assert 'jmespath' not in sys.modules, 'imported without a query'\n"
            "_inventory.compile_query('volumes')\n"
            "assert 'jmespath' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_volumes_without_a_diskful_resource_are_unplaced() -> None:
    """Read only with the resources: a volume with no replica, or only diskless ones, holds no data."""
    def resource(rd_name: str, node: str, flags: list[str]) -> dict:
        return {"name": rd_name.upper(), "node_name": node, "flags": flags, "volumes": []}

    resources = [resource(C1["name"], "n1", []), resource(C1["name"], "n3", ["DISKLESS", "TIE_BREAKER"]),
                 resource(V1["name"], "n2", ["DISKLESS", "DRBD_DISKLESS"])]
    result = build_inventory([C1, V1, VOL], "linstor", PREFIX, resources=resources)
    assert [(item["name"], item["nodes"]) for item in result["anomalies"]["unplaced"]] == [("vol", []), ("v1", ["n2"])]
    assert [len(volume["resources"]) for volume in result["volumes"]] == [2, 0, 1]  # names compare without case
    assert build_inventory([C1, V1, VOL], "linstor", PREFIX)["anomalies"]["unplaced"] == []  # not read
