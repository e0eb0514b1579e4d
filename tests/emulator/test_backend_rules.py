"""LINSTOR's rules, tested on the backend directly (no HTTP)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from linstor_emulator import errors as rc
from linstor_emulator.backend import DEFAULT_RSC_GRP, KEY_CLONED_FROM, TCP_PORT_MIN, Backend
from linstor_emulator.errors import LinstorError, http_status, to_signed64
from linstor_emulator.names import InvalidName, check_resource_name

GIB = 1024 * 1024


def codes(entries) -> list[int]:
    return [e.ret_code for e in entries]


def refused(call, *args) -> LinstorError:
    with pytest.raises(LinstorError) as info:
        call(*args)
    return info.value


DRBD_STACK = [{"type": "DRBD"}, {"type": "STORAGE"}]


def disks(backend: Backend, name: str) -> list[str]:
    """The nodes of the RD's diskful resources."""
    return [r["node_name"] for r in backend.list_resources([name]) if "DISKLESS" not in r["flags"]]


def tie_breakers(backend: Backend, name: str) -> list[str]:
    """The nodes of the RD's tie-breaker resources (LINSTOR's auto-tiebreaker adds one to an even number of disks)."""
    return [r["node_name"] for r in backend.list_resources([name]) if "TIE_BREAKER" in r["flags"]]


def make_rd(backend: Backend, name: str, props: dict | None = None, size: int = GIB, rg: str | None = None,
            layers: list | None = None) -> None:
    backend.create_resource_definition({"resource_definition": {"name": name, "props": props or {},
                                                                **({"resource_group_name": rg} if rg else {}),
                                                                **({"layer_data": layers} if layers else {})}})
    backend.create_volume_definition(name, {"volume_definition": {"size_kib": size}})


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("name", ["ab", "_a", "a" * 48, "incus-volume-4df9f0598bd14d73953151614428d298", "A_b-9",
                                  "_1a", "x-"])
def test_valid_resource_names(name):
    check_resource_name(name)


@pytest.mark.parametrize(("name", "cause"), [
    ("a", "Name length 1 is less than minimum length 2"),
    ("a" * 49, "Name length 49 is greater than maximum length 48"),
    ("12", "Name must contain at least one character that matches [a-zA-Z]"),
    ("__", "Name must contain at least one character that matches [a-zA-Z]"),
    ("-ab", "Cannot begin with character '-'"),
    ("1ab", "Cannot begin with character '1'"),
    ("a.b", "Cannot contain character '.'"),
    ("a b", "Cannot contain character ' '"),
    ("all", "reserved for DRBD"),
    ("ALL", "reserved for DRBD"),
    ("Proxy", "reserved for DRBD"),
])
def test_invalid_resource_names(name, cause):
    with pytest.raises(InvalidName, match=cause.replace("[", r"\[").replace("]", r"\]")):
        check_resource_name(name)


def test_non_ascii_names_are_measured_in_bytes():
    # 24 two-byte characters are 48 bytes, but not letters LINSTOR accepts
    with pytest.raises(InvalidName, match="Cannot contain character"):
        check_resource_name("a" + "é" * 23)
    with pytest.raises(InvalidName, match="greater than maximum length 48"):
        check_resource_name("a" + "é" * 24)


def test_invalid_rd_name_is_refused_with_linstor_code(backend):
    error = refused(backend.create_resource_definition, {"resource_definition": {"name": "1bad"}})
    entry = error.entries[0]
    assert entry.ret_code == rc.FAIL_INVLD_RSC_NAME | rc.MASK_CRT | rc.MASK_RSC_DFN
    assert entry.message == "The specified resource name '1bad' is invalid."
    assert entry.cause == "Invalid name: Cannot begin with character '1'"
    assert entry.obj_refs == {"RscDfn": "1bad"}
    assert to_signed64(entry.ret_code) < 0


def test_names_are_unique_ignoring_case(backend):
    make_rd(backend, "MyRes")
    error = refused(backend.create_resource_definition, {"resource_definition": {"name": "myres"}})
    assert error.ret_code == rc.FAIL_EXISTS_RSC_DFN | rc.MASK_CRT | rc.MASK_RSC_DFN
    assert error.entries[0].message == "A resource definition with the name 'myres' already exists"
    # lookups ignore case too, and keep the name as created
    assert backend.get_resource_definition("MYRES")["name"] == "MyRes"


def test_default_resource_group_exists_and_is_used(backend):
    assert [g["name"] for g in backend.list_resource_groups()] == [DEFAULT_RSC_GRP]
    make_rd(backend, "rd1")
    assert backend.get_resource_definition("rd1")["resource_group_name"] == DEFAULT_RSC_GRP


def test_default_resource_group_comes_back_when_needed(backend):
    backend.delete_resource_group(DEFAULT_RSC_GRP)
    assert backend.list_resource_groups() == []
    make_rd(backend, "rd1")
    [group] = backend.list_resource_groups()
    assert (group["name"], group["description"]) == (DEFAULT_RSC_GRP, "Default resource group")


def test_resource_group_rules(backend):
    backend.create_resource_group({"name": "rg1"})
    error = refused(backend.create_resource_group, {"name": "RG1"})
    assert error.ret_code == rc.FAIL_EXISTS_RSC_GRP | rc.MASK_CRT | rc.MASK_RSC_GRP
    assert error.entries[0].message == "A Resource group: RG1 already exists."
    error = refused(backend.create_resource_group, {"name": "rg2", "select_filter": {"place_count": 0}})
    assert error.entries[0].message == "Resource group: rg2, place-count must be positive."
    make_rd(backend, "rd1", rg="rg1")
    error = refused(backend.delete_resource_group, "rg1")
    assert error.entries[0].message == "Cannot delete resource group 'rg1' because it has existing resource " \
        "definitions."
    assert refused(backend.get_resource_group, "a b").ret_code == rc.FAIL_INVLD_RSC_GRP_NAME
    assert refused(backend.list_resource_groups, ["-x"]).ret_code == rc.FAIL_INVLD_RSC_GRP_NAME
    assert refused(backend.delete_resource_group, "x").ret_code & rc.MASK_BITS_CODE == 237
    warning = refused(backend.delete_resource_group, "ghost")
    assert warning.ret_code == rc.WARN_NOT_FOUND | rc.MASK_CRT | rc.MASK_RSC_GRP  # makeCreateOperation()


def test_layer_and_provider_names_are_parsed_as_linstor_parses_them(backend_with_rd_ports):
    backend = backend_with_rd_ports
    backend.create_resource_group({"name": "rg1", "select_filter": {"layer_stack": ["drbd", "zfs"],
                                                                   "provider_list": ["zfsthin", "Diskless"]}})
    shown = backend.get_resource_group("rg1")["select_filter"]
    assert shown["layer_stack"] == ["DRBD", "STORAGE"] and shown["provider_list"] == ["ZFS_THIN", "DISKLESS"]
    backend.create_resource_definition({"resource_definition": {"name": "rd1", "layer_data": [
        {"type": "drbd"}, {"type": "storage"}]}})
    [rd] = backend.list_resource_definitions(["rd1"])
    assert [layer["type"] for layer in rd["layer_data"]] == ["DRBD", "STORAGE"]
    assert rd["layer_data"][0]["data"]["port"] >= 7000
    for call, *args in (
            (backend.create_resource_group, {"name": "rg2", "select_filter": {"layer_stack": ["bogus"]}}),
            (backend.modify_resource_group, "rg1", {"select_filter": {"provider_list": ["NOPE"]}}),
            (backend.create_resource_definition, {"resource_definition": {"name": "rd2",
                                                                          "layer_data": [{"type": "raid"}]}}),
            (backend.spawn, "rg1", {"resource_definition_name": "rd3", "volume_sizes": [GIB],
                                    "select_filter": {"layer_stack": ["DRBD", "x"]}})):
        error = refused(call, *args)
        assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_LAYER_KIND & rc.MASK_BITS_CODE
        assert error.entries[0].message.startswith("Given ") and error.entries[0].message.endswith("is invalid")
    assert backend.get_resource_group("rg1")["select_filter"]["provider_list"] == ["ZFS_THIN", "DISKLESS"]
    assert [rd["name"] for rd in backend.list_resource_definitions()] == ["rd1"]


def test_an_external_name_without_a_name_is_refused_saying_why(backend):
    backend.create_resource_group({"name": "rg1"})
    for call, *args in ((backend.create_resource_definition, {"resource_definition": {"external_name": "My Vol"}}),
                        (backend.spawn, "rg1", {"resource_definition_external_name": "My Vol", "volume_sizes": []}),
                        (backend.clone, "rd0", {"external_name": "My Vol"})):
        error = refused(call, *args)
        assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_RSC_NAME & rc.MASK_BITS_CODE
        assert "external name 'My Vol'" in error.entries[0].message


def test_unknown_resource_group_is_not_found(backend):
    error = refused(backend.create_resource_definition,
                    {"resource_definition": {"name": "rd1", "resource_group_name": "nope"}})
    assert error.ret_code & ~rc.MASK_BITS_OP & ~rc.MASK_BITS_OBJ == rc.FAIL_NOT_FOUND_RSC_GRP
    assert not backend.list_resource_definitions()


def test_properties_outside_the_whitelist_are_refused(backend):
    error = refused(backend.create_resource_definition,
                    {"resource_definition": {"name": "rd1", "props": {"NoSuchKey": "1"}}})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_PROP & rc.MASK_BITS_CODE
    assert error.entries[0].cause == "The key 'NoSuchKey' is not whitelisted."


# ---------------------------------------------------------------- props filters and paging

def test_props_filters_equality_presence_and_all_must_match(backend):
    make_rd(backend, "rd-a", {"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/type": "containers"})
    make_rd(backend, "rd-b", {"Aux/Incus/name": "incus-volume-c2", "Aux/Incus/type": "containers"})
    make_rd(backend, "rd-c", {"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/type": "custom"})
    make_rd(backend, "rd-d", {"Aux/other": "x"})

    def names(**kwargs):
        return [rd["name"] for rd in backend.list_resource_definitions(**kwargs)]

    assert names(props=["Aux/Incus/name=incus-volume-c1"]) == ["rd-a", "rd-c"]
    assert names(props=["Aux/Incus/name=incus-volume-c1", "Aux/Incus/type=containers"]) == ["rd-a"]
    assert names(props=["Aux/Incus/type"]) == ["rd-a", "rd-b", "rd-c"]
    assert names(props=["Aux/Incus/type", "Aux/other"]) == []
    assert names(props=["Aux/Incus/name=incus-volume-none"]) == []
    assert names(props=["Aux/Incus/name="]) == []  # an empty value is an equality filter
    assert names(names=["RD-B", "rd-d"]) == ["rd-b", "rd-d"]
    assert names(props=["Aux/Incus/type=containers"], names=["rd-b"]) == ["rd-b"]


def test_name_filter_with_an_invalid_name_is_refused(backend):
    error = refused(backend.list_resource_definitions, ["ok-name", "no good"])
    assert error.ret_code == rc.FAIL_INVLD_RSC_NAME
    assert error.entries[0].cause == "Invalid name: Cannot contain character ' '"


def test_look_ups_parse_the_name_first(backend):
    assert refused(backend.get_resource_definition, "x y").ret_code == rc.FAIL_INVLD_RSC_NAME
    error = refused(backend.delete_resource_definition, "all")
    assert error.ret_code == rc.FAIL_INVLD_RSC_NAME | rc.MASK_DEL | rc.MASK_RSC_DFN
    error = refused(backend.modify_resource_definition, "-x", {})
    assert error.ret_code == rc.FAIL_INVLD_RSC_NAME | rc.MASK_MOD | rc.MASK_RSC_DFN


def test_paging_limit_zero_means_all(backend):
    for index in range(5):
        make_rd(backend, f"rd{index}")
    all_names = [rd["name"] for rd in backend.list_resource_definitions(limit=0)]
    assert all_names == ["rd0", "rd1", "rd2", "rd3", "rd4"]
    assert [rd["name"] for rd in backend.list_resource_definitions(limit=2, offset=1)] == ["rd1", "rd2"]
    assert [rd["name"] for rd in backend.list_resource_definitions(limit=0, offset=3)] == all_names


def test_list_order_is_linstors_upper_case_order(backend):
    for name in ("a_b", "aab", "Abc", "a-b"):
        make_rd(backend, name)
    # LINSTOR sorts by the upper-cased name: '-' < letters < '_'
    assert [rd["name"] for rd in backend.list_resource_definitions()] == ["a-b", "aab", "Abc", "a_b"]


def test_with_volume_definitions(backend):
    make_rd(backend, "rd1", size=4096)
    assert "volume_definitions" not in backend.list_resource_definitions()[0]
    [rd] = backend.list_resource_definitions(with_volume_definitions=True)
    assert [(v["volume_number"], v["size_kib"]) for v in rd["volume_definitions"]] == [(0, 4096)]


def test_modify_override_delete_props_and_namespaces(backend):
    make_rd(backend, "rd1", {"Aux/a": "1", "Aux/ns/x": "2", "Aux/ns/y": "3", "Aux/keep": "4"})
    entries = backend.modify_resource_definition("rd1", {"override_props": {"Aux/a": "10", "Aux/new": "5"},
                                                         "delete_props": ["Aux/keep"],
                                                         "delete_namespaces": ["Aux/ns"]})
    # CtrlPropsHelper.fillProperties / .remove report the keys set and deleted before the modified entry
    assert codes(entries) == [rc.CREATED | rc.MASK_CRT | rc.MASK_RSC_DFN, rc.DELETED | rc.MASK_DEL | rc.MASK_RSC_DFN,
                              rc.MODIFIED | rc.MASK_MOD | rc.MASK_RSC_DFN]
    assert backend.get_resource_definition("rd1")["props"] == {"Aux/a": "10", "Aux/new": "5"}


# ---------------------------------------------------------------- delete

def test_delete_refused_while_snapshots_exist(backend):
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("rd1", {"name": "snap1"})
    error = refused(backend.delete_resource_definition, "rd1")
    assert error.ret_code == rc.FAIL_EXISTS_SNAPSHOT_DFN | rc.MASK_DEL | rc.MASK_RSC_DFN
    assert error.entries[0].message == "Cannot delete resource definition 'rd1' because it has snapshots."
    backend.delete_snapshot("rd1", "snap1")
    assert codes(backend.delete_resource_definition("rd1")) == [rc.DELETED | rc.MASK_DEL | rc.MASK_RSC_DFN]


def test_delete_missing_rd_is_a_warning(backend):
    error = refused(backend.delete_resource_definition, "ghost")
    [entry] = error.entries
    assert entry.ret_code == rc.WARN_NOT_FOUND | rc.MASK_DEL | rc.MASK_RSC_DFN
    assert not entry.is_error
    assert entry.message == "Resource definition: ghost not found."


def test_delete_rd_takes_its_resources_and_volume_definitions(backend):
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 3}})
    backend.delete_resource_definition("rd1")
    assert backend.list_resources() == []
    make_rd(backend, "rd1")  # the name is free again, with fresh volume definitions
    assert len(backend.list_volume_definitions("rd1")) == 1


def test_delete_in_use_is_refused(backend):
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 1}})
    node = backend.list_resources(["rd1"])[0]["node_name"]
    backend.modify_resource("rd1", node, {"override_props": {"Emulator/InUse": "true"}})
    error = refused(backend.delete_resource_definition, "rd1")
    assert error.ret_code == rc.FAIL_IN_USE | rc.MASK_DEL | rc.MASK_RSC_DFN
    assert error.entries[0].message == f"Resource 'rd1' on node '{node}' is still in use."


# ---------------------------------------------------------------- autoplace and spawn

def test_autoplace_place_count_request_then_group_then_two(backend):
    backend.create_resource_group({"name": "rg3", "select_filter": {"place_count": 3}})
    make_rd(backend, "from-request")
    make_rd(backend, "from-group", rg="rg3")
    make_rd(backend, "default")
    backend.autoplace("from-request", {"select_filter": {"place_count": 1}})
    backend.autoplace("from-group", {"select_filter": {}})
    backend.autoplace("default", {})
    count = {name: len(disks(backend, name)) for name in ("from-request", "from-group", "default")}
    assert count == {"from-request": 1, "from-group": 3, "default": 2}
    assert {name: len(tie_breakers(backend, name)) for name in count} == {"from-request": 0, "from-group": 0,
                                                                          "default": 1}


def test_setting_a_group_place_count_places_its_short_rds_as_linstor(backend):
    backend.create_resource_group({"name": "rg", "select_filter": {"place_count": 1}})
    for name in ("short", "unplaced", "full"):
        make_rd(backend, name, rg="rg")
    backend.autoplace("short", {})
    backend.autoplace("full", {"select_filter": {"place_count": 3}})
    make_rd(backend, "elsewhere")
    entries = backend.modify_resource_group("rg", {"select_filter": {"place_count": 2}})
    assert not any(e.is_error for e in entries)
    count = {name: len(disks(backend, name)) for name in ("short", "unplaced", "full", "elsewhere")}
    assert count == {"short": 2, "unplaced": 2, "full": 3, "elsewhere": 0}
    # more than the nodes: the modify stays, each RD's error is in the reply
    entries = backend.modify_resource_group("rg", {"select_filter": {"place_count": 4}})
    assert entries[0].ret_code == rc.MODIFIED | rc.MASK_CRT | rc.MASK_RSC_GRP
    errors = [e.ret_code & rc.MASK_BITS_CODE for e in entries if e.is_error]
    assert errors == [rc.FAIL_NOT_ENOUGH_NODES & rc.MASK_BITS_CODE] * 3
    assert backend.get_resource_group("rg")["select_filter"]["place_count"] == 4
    # a modify without place_count places nothing; one disk left wants no tie-breaker
    backend.delete_resource("short", disks(backend, "short")[0])
    backend.modify_resource_group("rg", {"description": "d"})
    assert len(backend.list_resources(["short"])) == 1


def test_group_filter_keeps_one_pool_list_as_linstor(backend):
    backend.create_resource_group({"name": "rg", "select_filter": {"place_count": 2, "storage_pool": "pool1"}})
    [group] = backend.list_resource_groups(["rg"])
    assert group["select_filter"] == {"place_count": 2, "storage_pool": "pool1", "storage_pool_list": ["pool1"]}
    backend.modify_resource_group("rg", {"select_filter": {"place_count": 3}})
    assert backend.get_resource_group("rg")["select_filter"]["storage_pool_list"] == ["pool1"]
    backend.modify_resource_group("rg", {"select_filter": {"storage_pool": "DfltDisklessStorPool"}})
    assert backend.get_resource_group("rg")["select_filter"] == {
        "place_count": 3, "storage_pool": "DfltDisklessStorPool", "storage_pool_list": ["DfltDisklessStorPool"]}
    make_rd(backend, "rd1", rg="rg")
    # the request's pool replaces the group's
    backend.autoplace("rd1", {"select_filter": {"storage_pool": "pool1", "place_count": 1}})
    assert [v["storage_pool_name"] for r in backend.list_resources(["rd1"]) for v in r["volumes"]] == ["pool1"]


def test_group_modify_without_a_node_list_clears_it_as_linstor(backend):
    """LINSTOR's request class defaults node_name_list to [] and a modify applies any list not null: a select
    filter that does not name it clears it (and no reply shows it)."""
    backend.create_resource_group({"name": "rg", "select_filter": {"place_count": 1, "node_name_list": ["node3"]}})

    def placed_on(rd: str) -> list[str]:
        make_rd(backend, rd, rg="rg")
        backend.autoplace(rd, {})
        return [resource["node_name"] for resource in backend.list_resources([rd])]

    assert placed_on("rd1") == ["node3"]
    backend.modify_resource_group("rg", {"select_filter": {"place_count": 1, "node_name_list": ["node3"]}})
    assert placed_on("rd2") == ["node3"]
    backend.modify_resource_group("rg", {"select_filter": {"place_count": 1}})
    assert "node_name_list" not in backend.get_resource_group("rg")["select_filter"]
    assert placed_on("rd3") != ["node3"]


def test_autoplace_too_few_nodes(backend):
    make_rd(backend, "rd1")
    error = refused(backend.autoplace, "rd1", {"select_filter": {"place_count": 4}})
    entry = error.entries[0]
    assert entry.ret_code == rc.FAIL_NOT_ENOUGH_NODES | rc.MASK_CRT | rc.MASK_RSC
    assert entry.message == "Not enough available nodes"
    assert entry.details.startswith("Not enough nodes fulfilling the following auto-place criteria:")
    assert backend.list_resources(["rd1"]) == []  # nothing placed


def test_autoplace_again_is_a_warning(backend):
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    entries = backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    assert codes(entries) == [rc.WARN_RSC_ALREADY_DEPLOYED | rc.MASK_CRT | rc.MASK_RSC]


def test_spawn_definitions_only_with_props_in_one_transaction(backend):
    backend.create_resource_group({"name": "incus", "select_filter": {"place_count": 2}})
    backend.create_volume_group("incus", {})
    entries = backend.spawn("incus", {"resource_definition_name": "vol1", "volume_sizes": [GIB],
                                      "definitions_only": True,
                                      "resource_definition_props": {"Aux/Incus/name": "incus-volume-c1"}})
    assert entries[-1].ret_code == rc.INFO_NO_RSC_SPAWNED | rc.MASK_CRT | rc.MASK_RSC_GRP
    rd = backend.get_resource_definition("vol1")
    assert rd["props"] == {"Aux/Incus/name": "incus-volume-c1"}
    assert rd["resource_group_name"] == "incus"
    assert backend.list_resources(["vol1"]) == []


def test_spawn_autoplaces_per_group_filter(backend):
    backend.create_resource_group({"name": "incus", "select_filter": {"place_count": 3, "storage_pool": "pool1"}})
    backend.spawn("incus", {"resource_definition_name": "vol1", "volume_sizes": [GIB], "partial": True})
    assert sorted(r["node_name"] for r in backend.list_resources(["vol1"])) == ["node1", "node2", "node3"]


def test_spawn_that_cannot_place_leaves_nothing(backend):
    backend.create_resource_group({"name": "big", "select_filter": {"place_count": 5}})
    error = refused(backend.spawn, "big", {"resource_definition_name": "vol1", "volume_sizes": [GIB]})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_NOT_ENOUGH_NODES & rc.MASK_BITS_CODE
    assert backend.list_resource_definitions() == []


def test_spawn_volume_size_count_must_match_groups_unless_partial(backend):
    backend.create_resource_group({"name": "vm"})
    backend.create_volume_group("vm", {"volume_number": 0})
    backend.create_volume_group("vm", {"volume_number": 1})
    error = refused(backend.spawn, "vm", {"resource_definition_name": "v1", "volume_sizes": [GIB]})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_VLM_SIZES & rc.MASK_BITS_CODE
    backend.spawn("vm", {"resource_definition_name": "v1", "volume_sizes": [GIB, 500 * 1024]})
    assert [v["size_kib"] for v in backend.list_volume_definitions("v1")] == [GIB, 500 * 1024]


# ---------------------------------------------------------------- auto-tiebreaker

TIE_BREAKER_FLAGS = ["DISKLESS", "DRBD_DISKLESS", "TIE_BREAKER"]


def code_of(entries, code: int) -> list:
    """The entries of ``entries`` with the ret_code's low bits of ``code``."""
    return [e for e in entries if e.ret_code & rc.MASK_BITS_CODE == code & rc.MASK_BITS_CODE]


def test_two_disks_get_a_diskless_tie_breaker_on_the_free_node(backend):
    """CtrlRscAutoTieBreakerHelper: the controller's DrbdOptions/auto-add-quorum-tiebreaker is True, DRBD quorum
    majority by default; an even number of disks and no other diskless resource get a tie-breaker."""
    make_rd(backend, "rd1")
    entries = backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    [spare] = {"node1", "node2", "node3"} - set(disks(backend, "rd1"))
    [created] = code_of(entries, rc.INFO_TIE_BREAKER_CREATED)
    assert created.ret_code == rc.INFO_TIE_BREAKER_CREATED | rc.MASK_CRT | rc.MASK_RSC
    assert created.message == f"Tie breaker resource 'rd1' created on {spare}"
    [tie_breaker] = [r for r in backend.list_resources(["rd1"]) if r["node_name"] == spare]
    assert tie_breaker["flags"] == TIE_BREAKER_FLAGS
    assert tie_breaker["props"]["StorPoolName"] == "DfltDisklessStorPool"
    make_rd(backend, "one")
    make_rd(backend, "three")
    assert not code_of(backend.autoplace("one", {"select_filter": {"place_count": 1}}), rc.INFO_TIE_BREAKER_CREATED)
    backend.autoplace("three", {"select_filter": {"place_count": 3}})
    assert tie_breakers(backend, "one") == tie_breakers(backend, "three") == []


def test_no_tie_breaker_without_a_free_node_warns(tmp_path):
    backend = Backend(tmp_path / "state.sqlite3", nodes=2)
    make_rd(backend, "rd1")
    entries = backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    [warning] = code_of(entries, rc.WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER)
    assert warning.message == "Could not find suitable node to automatically create a tie breaking resource for 'rd1'."
    assert len(backend.list_resources(["rd1"])) == 2
    backend.close()


@pytest.mark.parametrize(("props", "group_props", "layers"), [
    ({"DrbdOptions/auto-add-quorum-tiebreaker": "false"}, {}, None),
    ({}, {"DrbdOptions/auto-add-quorum-tiebreaker": "False"}, None),
    ({"DrbdOptions/Resource/quorum": "off"}, {}, None),
    ({}, {}, [{"type": "STORAGE"}]),
])
def test_no_tie_breaker_when_turned_off_without_quorum_or_without_drbd(backend, props, group_props, layers):
    backend.create_resource_group({"name": "rg"})
    backend.modify_resource_group("rg", {"override_props": group_props})
    make_rd(backend, "rd1", props=props, rg="rg", layers=layers)
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    assert len(disks(backend, "rd1")) == 2 and tie_breakers(backend, "rd1") == []


def test_the_property_set_on_the_rd_removes_the_tie_breaker_and_deleting_it_brings_one_back(backend):
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    entries = backend.modify_resource_definition("rd1", {"override_props": {
        "DrbdOptions/auto-add-quorum-tiebreaker": "false"}})
    [deleting] = code_of(entries, rc.INFO_TIE_BREAKER_DELETING)
    assert deleting.message == "Tie breaker marked for deletion"
    assert len(backend.list_resources(["rd1"])) == 2
    backend.modify_resource_definition("rd1", {"delete_props": ["DrbdOptions/auto-add-quorum-tiebreaker"]})
    assert len(tie_breakers(backend, "rd1")) == 1
    backend.modify_resource_group("DfltRscGrp", {"override_props": {"DrbdOptions/Resource/quorum": "off"}})
    assert tie_breakers(backend, "rd1") == [], "the group's quorum reaches its RDs"


def test_a_tie_breaker_deleted_by_hand_turns_the_feature_off_for_the_rd(backend):
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    [spare] = tie_breakers(backend, "rd1")
    entries = backend.delete_resource("rd1", spare)
    [prop_set] = code_of(entries, rc.INFO_PROP_SET)
    assert prop_set.message == ("Disabling auto-tiebreaker on resource-definition 'rd1' as tiebreaker resource was "
                                "manually deleted")
    assert code_of(entries, rc.DELETED)
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/auto-add-quorum-tiebreaker"] == "false"
    assert len(backend.list_resources(["rd1"])) == 2


def test_a_resource_deleted_where_a_tie_breaker_is_wanted_is_taken_over_as_one(backend):
    """A disk of three, or the one diskless resource beside two disks: deleted, it would leave two disks without a
    tie-breaker, so LINSTOR keeps it as the tie-breaker (CtrlRscAutoTieBreakerHelper.takeover)."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 3}})
    entries = backend.delete_resource("rd1", "node3")
    [takeover] = code_of(entries, rc.INFO_TIE_BREAKER_TAKEOVER)
    assert takeover.message == ("The given resource will not be deleted but will be taken over as a linstor managed "
                                "tiebreaker resource.")
    assert not code_of(entries, rc.DELETED)
    [tie_breaker] = [r for r in backend.list_resources(["rd1"]) if r["node_name"] == "node3"]
    assert tie_breaker["flags"] == TIE_BREAKER_FLAGS
    assert tie_breaker["volumes"][0]["storage_pool_name"] == "DfltDisklessStorPool"
    make_rd(backend, "rd2")
    backend.create_resources("rd2", [{"resource": {"node_name": "node1"}}, {"resource": {"node_name": "node2"}},
                                     {"resource": {"node_name": "node3", "flags": ["DISKLESS"]}}])
    assert tie_breakers(backend, "rd2") == [], "a diskless resource stands in for the tie-breaker"
    assert code_of(backend.delete_resource("rd2", "node3"), rc.INFO_TIE_BREAKER_TAKEOVER)
    assert tie_breakers(backend, "rd2") == ["node3"]


def test_deleting_a_disk_of_two_removes_the_tie_breaker(backend):
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    entries = backend.delete_resource("rd1", disks(backend, "rd1")[0])
    assert code_of(entries, rc.DELETED) and code_of(entries, rc.INFO_TIE_BREAKER_DELETING)
    assert [r["flags"] for r in backend.list_resources(["rd1"])] == [[]]


@pytest.mark.parametrize("how", ["autoplace", "create"])
def test_a_disk_placed_on_the_tie_breakers_node_takes_it_over(backend, how):
    """The autoplacer may pick a node with a diskless resource (skipAlreadyPlacedOnNodeNamesCheck) and a create
    on it toggles the disk in (CtrlRscCrtApiHelper); three disks want no tie-breaker."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    [spare] = tie_breakers(backend, "rd1")
    if how == "autoplace":
        entries = backend.autoplace("rd1", {"select_filter": {"place_count": 3}})
    else:
        entries = backend.create_resource("rd1", spare, {})
    [added] = code_of(entries, rc.MODIFIED)
    assert added.message == f"Addition of disk to resource 'rd1' on node '{spare}' registered"
    assert sorted(disks(backend, "rd1")) == ["node1", "node2", "node3"] and tie_breakers(backend, "rd1") == []
    [resource] = [r for r in backend.list_resources(["rd1"]) if r["node_name"] == spare]
    assert resource["props"]["StorPoolName"] == "pool1"


def test_a_clone_keeps_the_tie_breaker_flag(backend):
    make_rd(backend, "src")
    backend.autoplace("src", {"select_filter": {"place_count": 2}})
    backend.clone("src", {"name": "copy"})
    assert tie_breakers(backend, "copy") == tie_breakers(backend, "src") != []
    assert sorted(disks(backend, "copy")) == sorted(disks(backend, "src"))


def test_auto_quorum_sets_majority_when_feasible_and_off_otherwise(tmp_path):
    """From 1.31 CtrlRscAutoQuorumHelper, run after the tie-breaker, writes the RD's DRBD quorum: majority with two
    disks and a diskless resource (the tie-breaker) or three disks, else off (no entry when it was not set)."""
    backend = Backend(tmp_path / "state.sqlite3")
    make_rd(backend, "rd1")
    entries = backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    [quorum] = code_of(entries, rc.INFO_PROP_SET)
    assert quorum.message == ("Resource-definition property 'DrbdOptions/Resource/quorum' updated from undefined to "
                              "'majority' by AutoQuorum")
    assert code_of(entries, rc.INFO_TIE_BREAKER_CREATED), "the tie-breaker first: it makes quorum feasible"
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/Resource/quorum"] == "majority"
    make_rd(backend, "one")
    assert not code_of(backend.autoplace("one", {"select_filter": {"place_count": 1}}), rc.INFO_PROP_SET)
    assert backend.get_resource_definition("one")["props"]["DrbdOptions/Resource/quorum"] == "off"
    backend.close()


def test_auto_quorum_before_1_31_writes_on_no_quorum_too(tmp_path):
    """Before 1.31 DrbdOptions/auto-quorum (controller default io-error) rules: feasible, the RD gets quorum majority
    and on-no-quorum the auto-quorum's value, over the one it had; not feasible, quorum off and no on-no-quorum;
    disabled, no tie-breaker and nothing written. A modify runs the helpers for auto-quorum, not for quorum."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version="1.30.4")
    make_rd(backend, "rd1", {"DrbdOptions/Resource/on-no-quorum": "suspend-io"})
    entries = backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    assert code_of(entries, rc.INFO_TIE_BREAKER_CREATED)
    assert [entry.message for entry in code_of(entries, rc.INFO_PROP_SET)] == [
        "Resource-definition property 'DrbdOptions/Resource/quorum' updated from undefined to 'majority' by "
        "auto-quorum",
        # LINSTOR's message shows the old quorum, not the old on-no-quorum (suspend-io here)
        "Resource-definition property 'DrbdOptions/Resource/on-no-quorum' updated from undefined to 'io-error' by "
        "auto-quorum"]
    props = backend.get_resource_definition("rd1")["props"]
    assert (props["DrbdOptions/Resource/quorum"], props["DrbdOptions/Resource/on-no-quorum"]) == (
        "majority", "io-error")
    assert "Internal/Drbd/QuorumSetBy" not in props
    backend.modify_resource_definition("rd1", {"override_props": {"DrbdOptions/Resource/quorum": "off"}})
    assert tie_breakers(backend, "rd1") != [], "a quorum set by hand runs no helper before 1.31"
    entries = backend.modify_resource_group("DfltRscGrp", {"override_props": {"DrbdOptions/auto-quorum": "suspend-io"}})
    assert [entry.message for entry in code_of(entries, rc.INFO_PROP_SET)] == [
        "Resource-definition property 'DrbdOptions/Resource/quorum' updated from 'off' to 'majority' by auto-quorum",
        "Resource-definition property 'DrbdOptions/Resource/on-no-quorum' updated from 'off' to 'suspend-io' by "
        "auto-quorum"]
    entries = backend.modify_resource_definition("rd1", {"override_props": {"DrbdOptions/auto-quorum": "disabled"}})
    assert code_of(entries, rc.INFO_TIE_BREAKER_DELETING) and not code_of(entries, rc.INFO_PROP_SET)
    assert tie_breakers(backend, "rd1") == []
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/Resource/on-no-quorum"] == "suspend-io"
    make_rd(backend, "one", {"DrbdOptions/Resource/on-no-quorum": "suspend-io"})
    entries = backend.autoplace("one", {"select_filter": {"place_count": 1}})
    assert [entry.message for entry in code_of(entries, rc.INFO_PROP_REMOVED)] == [
        "Resource-definition property 'DrbdOptions/Resource/on-no-quorum' was removed as there are not enough "
        "resources for quorum"]
    props = backend.get_resource_definition("one")["props"]
    assert props["DrbdOptions/Resource/quorum"] == "off" and "DrbdOptions/Resource/on-no-quorum" not in props
    backend.close()


@pytest.mark.parametrize(("version", "quorum_default"), [
    ("1.30.4", {"DrbdOptions/auto-quorum": "io-error"}),
    ("1.34.0", {"DrbdOptions/Resource/on-no-quorum": "io-error"}),  # Migration_2025_02_19_AutoQuorumInheritRework
])
def test_controller_properties_start_as_linstor_s_migrations_leave_them(tmp_path, version, quorum_default):
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    assert backend.controller_props() == {"DrbdOptions/auto-add-quorum-tiebreaker": "True", **quorum_default}
    backend.close()


def test_controller_properties_set_and_delete_as_linstor_answers(backend):
    """One entry per key (CtrlConfApiCallHandler): set, deleted (set or not), a namespace's keys deleted one by one;
    a key off the whitelist or a value its rule refuses undoes the whole request."""
    entries = backend.modify_controller_props({"override_props": {"DrbdOptions/Net/protocol": "A", "Aux/site": "x"},
                                               "delete_props": ["DrbdOptions/Net/max-buffers"]})
    set_code, deleted_code = rc.MASK_CTRL_CONF | rc.MASK_CRT | rc.CREATED, rc.MASK_CTRL_CONF | rc.MASK_DEL | rc.DELETED
    assert sorted((entry.ret_code, entry.message) for entry in entries) == sorted([
        (set_code, "Successfully set property 'DrbdOptions/Net/protocol' to value 'A'"),
        (set_code, "Successfully set property 'Aux/site' to value 'x'"),
        (deleted_code, "Successfully deleted property 'DrbdOptions/Net/max-buffers'")])
    assert backend.controller_props()["DrbdOptions/Net/protocol"] == "A"
    before = backend.controller_props()
    error = refused(backend.modify_controller_props, {"override_props": {"Aux/other": "y", "No/such-key": "1"}})
    assert (error.ret_code, error.entries[0].message) == (
        rc.FAIL_INVLD_PROP | rc.MASK_CTRL_CONF | rc.MASK_CRT, "The key 'No/such-key' is not whitelisted")
    error = refused(backend.modify_controller_props, {"override_props": {"DrbdOptions/auto-quorum": "sometimes"}})
    assert error.entries[0].message == "The value 'sometimes' is not valid."
    assert http_status(error.entries, 201) == 500
    assert backend.controller_props() == before, "a refused request changes nothing"
    entries = backend.modify_controller_props({"delete_namespaces": ["DrbdOptions/Net"]})
    assert [entry.message for entry in entries] == ["Successfully deleted property 'DrbdOptions/Net/protocol'"]
    [entry] = backend.delete_controller_prop("Aux/site")
    assert entry.ret_code == rc.MASK_CTRL_CONF | rc.MASK_DEL | rc.DELETED
    assert "Aux/site" not in backend.controller_props()
    error = refused(backend.delete_controller_prop, "No/such-key")
    assert error.ret_code == rc.FAIL_INVLD_PROP | rc.MASK_CTRL_CONF | rc.MASK_DEL


def test_the_auto_helpers_read_the_controller_properties_last(tmp_path):
    """PriorityProps(RD, group, controller): the controller's DrbdOptions/auto-quorum and tie-breaker rule an RD
    that does not set them, and without them (deleted) both helpers are off."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version="1.30.4")
    backend.modify_controller_props({"override_props": {"DrbdOptions/auto-quorum": "suspend-io"}})
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/Resource/on-no-quorum"] == "suspend-io"
    backend.modify_controller_props({"delete_props": ["DrbdOptions/auto-quorum",
                                                      "DrbdOptions/auto-add-quorum-tiebreaker"]})
    make_rd(backend, "rd2")
    entries = backend.autoplace("rd2", {"select_filter": {"place_count": 2}})
    assert not code_of(entries, rc.INFO_PROP_SET) and not code_of(entries, rc.INFO_TIE_BREAKER_CREATED)
    assert tie_breakers(backend, "rd2") == []
    assert "DrbdOptions/Resource/quorum" not in backend.get_resource_definition("rd2")["props"]
    backend.close()


def test_from_1_31_the_controller_s_quorum_reaches_every_rd_at_once(backend):
    """CtrlConfApiCallHandler.handleAutoQuorum: a controller quorum is a user's (QuorumSetBy beside it) and runs the
    helpers on every RD, each taking it unless its own or its group's rules; DrbdOptions/auto-quorum is deprecated and
    not stored; deleting the quorum drops the mark and gives the RDs back to the auto-quorum."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/Resource/quorum"] == "majority"
    entries = backend.modify_controller_props({"override_props": {"DrbdOptions/Resource/quorum": "off",
                                                                  "DrbdOptions/auto-quorum": "disabled"}})
    assert backend.controller_props()["Internal/Drbd/QuorumSetBy"] == "user"
    assert "DrbdOptions/auto-quorum" not in backend.controller_props()
    [deprecated] = code_of(entries, rc.WARN_DEPRECATED)
    assert deprecated.message == ("DrbdOptions/auto-quorum is deprecated, please use DrbdOptions/Resource/quorum")
    assert [entry.message for entry in code_of(entries, rc.INFO_PROP_SET)] == [
        "Resource-definition property 'DrbdOptions/Resource/quorum' updated from undefined to 'off' by User"]
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/Resource/quorum"] == "off"
    assert code_of(entries, rc.INFO_TIE_BREAKER_DELETING), "quorum off wants no tie-breaker"
    entries = backend.modify_controller_props({"delete_props": ["DrbdOptions/Resource/quorum"]})
    assert "Internal/Drbd/QuorumSetBy" not in backend.controller_props()
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/Resource/quorum"] == "majority"
    assert code_of(entries, rc.INFO_TIE_BREAKER_CREATED)


def test_before_1_31_a_controller_change_waits_for_the_rds_next_change(tmp_path):
    backend = Backend(tmp_path / "state.sqlite3", linstor_version="1.30.4")
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    entries = backend.modify_controller_props({"override_props": {"DrbdOptions/auto-quorum": "suspend-io"}})
    assert [entry.message for entry in entries] == [
        "Successfully set property 'DrbdOptions/auto-quorum' to value 'suspend-io'"]
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/Resource/on-no-quorum"] == "io-error"
    backend.close()


def test_a_namespace_is_deleted_key_by_key_as_linstor_walks_it(backend):
    backend.modify_controller_props({"override_props": {"Aux/ns/z": "1", "Aux/ns/a/b": "2", "Aux/ns/b": "3"}})
    entries = backend.modify_controller_props({"delete_namespaces": ["Aux/ns"]})
    assert [entry.message for entry in entries] == [
        "Successfully deleted property 'Aux/ns/b'", "Successfully deleted property 'Aux/ns/z'",
        "Successfully deleted property 'Aux/ns/a/b'"]


@pytest.mark.parametrize(("version", "free"), [("1.31.3", True), ("1.32.0", False)])
def test_exos_keys_skip_the_controller_whitelist_until_1_32(tmp_path, version, free):
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    change = {"override_props": {"StorDriver/Exos/enc1/ctrl-a/IP": "10.0.0.9"}}
    if free:
        backend.modify_controller_props(change)
    else:
        assert refused(backend.modify_controller_props, change).ret_code & rc.MASK_BITS_CODE == 213
    backend.close()


def test_a_state_file_from_before_the_controller_properties_gets_them(tmp_path):
    backend = Backend(tmp_path / "state.sqlite3", linstor_version="1.30.4")
    with backend._tx() as db:
        db.execute("DELETE FROM ctrl_props")
        db.execute("DELETE FROM meta WHERE key = 'controller_props_seeded'")
    backend.close()
    backend = Backend(tmp_path / "state.sqlite3", linstor_version="1.30.4")
    assert backend.controller_props()["DrbdOptions/auto-quorum"] == "io-error"
    backend.close()


def test_a_quorum_a_user_sets_is_marked_and_left_alone(backend):
    """A quorum set on the RD carries Internal/Drbd/QuorumSetBy=user (deleted with it); auto-quorum leaves it, and a
    quorum that is not majority set by a user wants no tie-breaker. One set on the group reaches its RDs."""
    make_rd(backend, "rd1", props={"DrbdOptions/Resource/quorum": "off"})
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    props = backend.get_resource_definition("rd1")["props"]
    assert (props["DrbdOptions/Resource/quorum"], props["Internal/Drbd/QuorumSetBy"]) == ("off", "user")
    assert tie_breakers(backend, "rd1") == []
    entries = backend.modify_resource_definition("rd1", {"delete_props": ["DrbdOptions/Resource/quorum"]})
    assert "Internal/Drbd/QuorumSetBy" not in backend.get_resource_definition("rd1")["props"]
    assert code_of(entries, rc.INFO_TIE_BREAKER_CREATED), "left to LINSTOR again, the quorum wants a tie-breaker"
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/Resource/quorum"] == "majority"
    entries = backend.modify_resource_group("DfltRscGrp", {"override_props": {"DrbdOptions/Resource/quorum": "2"}})
    [from_user] = code_of(entries, rc.INFO_PROP_SET)
    assert from_user.message == ("Resource-definition property 'DrbdOptions/Resource/quorum' updated from undefined "
                                 "to '2' by User")
    assert backend.get_resource_definition("rd1")["props"]["DrbdOptions/Resource/quorum"] == "2"


# ---------------------------------------------------------------- clone

def test_clone_copies_all_props_adds_cloned_from_then_applies_overrides(backend):
    make_rd(backend, "src", {"Aux/Incus/name": "incus-volume-a", "Aux/Incus/snapshot-name/s0": "incus-volume-x",
                             "Aux/Incus/type": "custom", "DrbdOptions/Net/allow-two-primaries": "yes"})
    backend.autoplace("src", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("src", {"name": "snap1"})
    _, name = backend.clone("src", {"name": "copy", "override_props": {"Aux/Incus/name": "incus-volume-b"},
                                    "delete_namespaces": ["Aux/Incus/snapshot-name"],
                                    "delete_props": ["Aux/Incus/type"]})
    assert name == "copy"
    copy = backend.get_resource_definition("copy")
    assert copy["props"] == {"Aux/Incus/name": "incus-volume-b", KEY_CLONED_FROM: "src",
                             "DrbdOptions/Net/allow-two-primaries": "yes",
                             "DrbdOptions/Resource/quorum": "majority"}  # the source's, from its auto-quorum
    assert [v["size_kib"] for v in backend.list_volume_definitions("copy")] == [GIB]
    assert sorted(r["node_name"] for r in backend.list_resources(["copy"])) == \
        sorted(r["node_name"] for r in backend.list_resources(["src"]))
    assert backend.list_snapshots("copy") == []  # snapshots are not copied
    assert backend.clone_status("src", "copy") == {"status": "COMPLETE"}


def test_clone_without_overrides_copies_everything(backend):
    make_rd(backend, "src", {"Aux/Incus/name": "incus-volume-a"})
    backend.clone("src", {"name": "copy"})
    assert backend.get_resource_definition("copy")["props"] == {"Aux/Incus/name": "incus-volume-a",
                                                                 KEY_CLONED_FROM: "src"}


def test_clone_onto_existing_name_fails(backend):
    make_rd(backend, "src")
    make_rd(backend, "dst")
    error = refused(backend.clone, "src", {"name": "dst"})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_EXISTS_RSC_DFN & rc.MASK_BITS_CODE


def test_clone_status_of_unknown_clone_is_not_found(backend):
    error = refused(backend.clone_status, "src", "ghost")
    assert error.ret_code == rc.FAIL_NOT_FOUND_RSC_DFN
    assert error.entries[0].message == "Cloned resource not found."


def test_clone_status_of_an_invalid_name_is_refused_as_linstor_parses_it(backend):
    error = refused(backend.clone_status, "src", "9bad")
    assert error.ret_code == rc.FAIL_INVLD_RSC_NAME
    assert error.entries[0].message == "The specified resource name '9bad' is invalid."


def test_clone_status_of_an_rd_that_is_not_a_clone_is_not_found(backend):
    make_rd(backend, "plain")
    error = refused(backend.clone_status, "src", "plain")
    assert error.ret_code == rc.FAIL_NOT_FOUND_RSC_DFN
    assert error.entries[0].message == "Cloned resource not found."


# ---------------------------------------------------------------- snapshots, rollback, restore

def test_rollback_resets_sizes_and_only_to_the_most_recent(backend):
    make_rd(backend, "rd1", size=GIB)
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("rd1", {"name": "s1"})
    backend.modify_volume_definition("rd1", 0, {"size_kib": 2 * GIB})
    backend.create_snapshot("rd1", {"name": "s2"})
    backend.modify_volume_definition("rd1", 0, {"size_kib": 3 * GIB})
    error = refused(backend.rollback, "rd1", "s1")
    assert error.ret_code == rc.FAIL_EXISTS_SNAPSHOT_DFN | rc.MASK_MOD | rc.MASK_SNAPSHOT
    assert error.entries[0].message == "Rollback is only allowed with the most recent snapshot"
    backend.rollback("rd1", "s2")
    assert backend.list_volume_definitions("rd1")[0]["size_kib"] == 2 * GIB
    backend.delete_snapshot("rd1", "s2")
    backend.rollback("rd1", "s1")
    assert backend.list_volume_definitions("rd1")[0]["size_kib"] == GIB


@pytest.mark.parametrize(("version", "in_place"), [("1.31.0", True), ("1.31.3", False), ("1.32.0", True),
                                                 ("1.34.0", True)])
def test_rollback_with_a_disk_the_snapshot_lacks(tmp_path, version, in_place):
    """Before 1.31.2 a rollback needs the snapshot on every diskful node; 1.31.2 and 1.31.3 restore it on its
    nodes and recreate the others; from 1.32 ZFS (the emulator's storage) rolls back in place again."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("rd1", {"name": "s1"})
    backend.autoplace("rd1", {"select_filter": {"additional_place_count": 1}})
    if not in_place:
        backend.rollback("rd1", "s1")
        return
    error = refused(backend.rollback, "rd1", "s1")
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_NOT_FOUND_SNAPSHOT & rc.MASK_BITS_CODE
    assert "not found" in error.entries[0].message


@pytest.mark.parametrize(("version", "via_restore"), [("1.30.4", False), ("1.31.0", True), ("1.31.3", True),
                                                     ("1.32.0", False), ("1.34.0", False)])
def test_a_rollback_by_restore_copies_the_captured_rd_properties(tmp_path, version, via_restore):
    """From 1.31 to before 1.32 every rollback restores the snapshot into the RD, and the restore copies the RD
    properties the snapshot captured over the RD's own (keys added since stay); in place, they stay as they are."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    backend.modify_resource_definition("rd1", {"override_props": {"Aux/name": "old", "Aux/gone": "x"}})
    backend.create_snapshot("rd1", {"name": "s1"})
    backend.modify_resource_definition("rd1", {"override_props": {"Aux/name": "new", "Aux/added": "y"},
                                               "delete_props": ["Aux/gone"]})
    backend.rollback("rd1", "s1")
    props = backend.get_resource_definition("rd1")["props"]
    expected = {"Aux/name": "old", "Aux/gone": "x"} if via_restore else {"Aux/name": "new"}
    assert {key: props.get(key) for key in ("Aux/name", "Aux/gone")} == {"Aux/gone": None} | expected
    assert props["Aux/added"] == "y"


@pytest.mark.parametrize("version", ["1.30.4", "1.31.0", "1.31.1", "1.31.2", "1.31.3", "1.34.0"])
def test_a_rollback_after_a_grow(tmp_path, version):
    """Before 1.31.3 the volume definitions keep their grown size. In place (before 1.31, and ZFS from 1.32) that is
    all; from 1.31.0 to before 1.31.3 the rollback by restore deletes the resources, then the restore refuses the
    sizes and only reports it, so the reply fails and the RD is left with no resource (fixed in 1.31.3)."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "rd1", size=GIB, props={"Aux/name": "old"})
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("rd1", {"name": "s1"})
    backend.modify_resource_definition("rd1", {"override_props": {"Aux/name": "new"}})
    backend.modify_volume_definition("rd1", 0, {"size_kib": 2 * GIB})
    entries = backend.rollback("rd1", "s1")
    sizes = [vd["size_kib"] for vd in backend.list_volume_definitions("rd1")]
    placed = [r["node_name"] for r in backend.list_resources(["rd1"])]
    if version not in ("1.31.0", "1.31.1", "1.31.2"):
        assert not [entry for entry in entries if entry.is_error]
        assert sizes == ([GIB] if version in ("1.31.3", "1.34.0") else [2 * GIB]) and len(placed) == 3
        assert len(disks(backend, "rd1")) == 2
        return
    [error] = [entry for entry in entries if entry.is_error]
    assert error.ret_code == rc.FAIL_INVLD_VLM_SIZE | rc.MASK_CRT | rc.MASK_RSC
    assert error.message == (f"Snapshot size does not match for volume number 0; snapshot size: {GIB}KiB, "
                             f"required size: {2 * GIB}KiB")
    assert http_status(entries, 200) == 500
    assert sizes == [2 * GIB] and placed == []
    assert backend.get_resource_definition("rd1")["props"]["Aux/name"] == "new", "the failed restore copied nothing"


@pytest.mark.parametrize(("version", "kept"), [("1.30.4", True), ("1.31.0", False), ("1.31.1", False),
                                              ("1.31.2", True), ("1.31.3", True), ("1.34.0", True)])
def test_a_rollback_by_restore_before_1_31_2_drops_the_diskless_resources(tmp_path, version, kept):
    """1.31.0 and 1.31.1 delete every resource and restore the snapshot on its (diskful) nodes only; from 1.31.2
    the other resources are made again; in place, nothing is deleted."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    [spare] = tie_breakers(backend, "rd1")
    assert backend.create_resource("rd1", spare, {"resource": {"flags": ["DISKLESS"]}}) == []
    assert tie_breakers(backend, "rd1") == [], "a diskless create on the tie-breaker's node makes it the user's"
    backend.create_snapshot("rd1", {"name": "s1"})
    backend.rollback("rd1", "s1")
    flags = {r["node_name"]: r["flags"] for r in backend.list_resources(["rd1"])}
    assert len(flags) == 3 and len(disks(backend, "rd1")) == 2
    # dropped, the user's diskless resource gives way to a new tie-breaker, which the restore's auto-tiebreaker adds
    assert ("TIE_BREAKER" not in flags[spare]) is kept


def test_rollback_to_unknown_snapshot_is_not_found(backend):
    make_rd(backend, "rd1")
    error = refused(backend.rollback, "rd1", "nope")
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_NOT_FOUND_SNAPSHOT_DFN & rc.MASK_BITS_CODE


def test_snapshot_needs_resources_and_unique_names(backend):
    make_rd(backend, "rd1")
    error = refused(backend.create_snapshot, "rd1", {"name": "s1"})
    # CtrlSnapshotCrtHelper.ensureSnapshotsViable: no diskful resource on a connected node (HTTP 500)
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_NOT_CONNECTED & rc.MASK_BITS_CODE
    assert error.entries[0].message == "No diskful connected satellite for snapshot or no resources."
    assert http_status(error.entries, 201) == 500
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("rd1", {"name": "s1"})
    error = refused(backend.create_snapshot, "rd1", {"name": "S1"})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_EXISTS_SNAPSHOT_DFN & rc.MASK_BITS_CODE
    error = refused(backend.create_snapshot, "rd1", {"name": "9bad"})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_SNAPSHOT_NAME & rc.MASK_BITS_CODE


def test_snapshot_sequence_number_is_the_highest_in_use_plus_one(backend):
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    for name in ("s1", "s2"):
        backend.create_snapshot("rd1", {"name": name})
    backend.delete_snapshot("rd1", "s2")
    backend.create_snapshot("rd1", {"name": "s3"})
    backend.delete_snapshot("rd1", "s1")
    backend.create_snapshot("rd1", {"name": "s4"})
    numbers = {snap["name"]: snap["props"]["SequenceNumber"] for snap in backend.list_snapshots("rd1")}
    assert numbers == {"s3": "2", "s4": "3"}  # s2's number again for s3; s1's freed below the highest


def test_snapshot_view_has_sizes_nodes_and_timestamps(backend):
    make_rd(backend, "rd1", {"Aux/x": "1"}, size=4096)
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("rd1", {"name": "s1", "nodes": []})
    [snap] = backend.list_snapshots()
    assert snap["name"] == "s1" and snap["resource_name"] == "rd1"
    assert snap["volume_definitions"][0]["size_kib"] == 4096
    assert len(snap["snapshots"]) == 2 and all(n["create_timestamp"] > 0 for n in snap["snapshots"])
    assert snap["flags"] == ["SUCCESSFUL"]
    uuids = [snap["uuid"]] + [u for node in snap["snapshots"] for u in
                              [node["uuid"]] + [volume["uuid"] for volume in node["snapshot_volumes"]]]
    assert len(set(uuids)) == len(uuids) == 5, "every object has a UUID of its own"
    assert snap["resource_definition_props"] == {"Aux/x": "1", "DrbdOptions/Resource/quorum": "majority"}
    assert snap["snapshot_definition_props"] == {"SequenceNumber": "1"}


@pytest.mark.parametrize(("version", "split"), [("1.29.0", False), ("1.30.4", True), ("1.34.0", True)])
def test_a_snapshots_props_hold_the_captured_rd_properties_too(tmp_path, version, split):
    """The deprecated props is the captured RD properties with the snapshot's own over them; from 1.30 each set is
    also listed on its own (Json.apiToSnapshot), before it is the one set LINSTOR kept."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "rd1", {"Aux/x": "1"})
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("rd1", {"name": "s1"})
    [snap] = backend.list_snapshots("rd1")
    quorum = {"DrbdOptions/Resource/quorum": "majority"}  # the RD's, from auto-quorum
    if version < "1.31":
        quorum["DrbdOptions/Resource/on-no-quorum"] = "io-error"
    assert snap["props"] == {"Aux/x": "1", "SequenceNumber": "1"} | quorum
    assert ("resource_definition_props" in snap) is split and ("snapshot_definition_props" in snap) is split


def test_restore_volume_definitions_then_resources_into_another_rd(backend):
    make_rd(backend, "src", size=8192)
    backend.create_volume_definition("src", {"volume_definition": {"size_kib": 4096}})
    backend.autoplace("src", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("src", {"name": "s1"})
    backend.create_resource_definition({"resource_definition": {"name": "dst"}})
    backend.restore_volume_definitions("src", "s1", {"to_resource": "dst"})
    assert [(v["volume_number"], v["size_kib"]) for v in backend.list_volume_definitions("dst")] == \
        [(0, 8192), (1, 4096)]
    backend.restore_resources("src", "s1", {"to_resource": "dst"})
    assert sorted(r["node_name"] for r in backend.list_resources(["dst"])) == \
        sorted(r["node_name"] for r in backend.list_resources(["src"]))
    error = refused(backend.restore_resources, "src", "s1", {"to_resource": "dst"})
    assert error.entries[0].message == "Cannot restore to resource definition which already has resources"


@pytest.mark.parametrize(("version", "sequence_copied"), [("1.29.0", True), ("1.30.4", False), ("1.34.0", False)])
def test_a_restore_copies_what_the_snapshot_captured(tmp_path, version, sequence_copied):
    """The RD properties the snapshot captured go onto the target; before 1.30 the snapshot definition kept one set,
    its own SequenceNumber in it, and all of it is copied."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "src", {"Aux/x": "1"})
    backend.autoplace("src", {"select_filter": {"place_count": 2}})
    backend.create_snapshot("src", {"name": "s1"})
    backend.create_resource_definition({"resource_definition": {"name": "dst"}})
    backend.restore_volume_definitions("src", "s1", {"to_resource": "dst"})
    backend.restore_resources("src", "s1", {"to_resource": "dst"})
    [dst] = backend.list_resource_definitions(["dst"])
    assert dst["props"]["Aux/x"] == "1"
    assert ("SequenceNumber" in dst["props"]) is sequence_copied


# ---------------------------------------------------------------- ports, volumes

def test_port_allocation_unique_from_7000_and_reused(backend_with_rd_ports):
    backend = backend_with_rd_ports
    for index in range(4):
        make_rd(backend, f"rd{index}", layers=DRBD_STACK)
    ports = [rd["layer_data"][0]["data"]["port"] for rd in backend.list_resource_definitions()]
    assert ports == [TCP_PORT_MIN, TCP_PORT_MIN + 1, TCP_PORT_MIN + 2, TCP_PORT_MIN + 3]
    backend.delete_resource_definition("rd1")
    make_rd(backend, "rd9", layers=DRBD_STACK)
    assert backend.get_resource_definition("rd9")["layer_data"][0]["data"]["port"] == TCP_PORT_MIN + 1


def test_volume_definition_resize_and_limits(backend):
    make_rd(backend, "rd1", size=GIB)
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    backend.modify_volume_definition("rd1", 0, {"size_kib": 2 * GIB})
    assert backend.list_volume_definitions("rd1")[0]["size_kib"] == 2 * GIB
    error = refused(backend.modify_volume_definition, "rd1", 0, {"size_kib": GIB})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_VLM_SIZE & rc.MASK_BITS_CODE
    error = refused(backend.create_volume_definition, "rd1", {"volume_definition": {"size_kib": 0}})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_VLM_SIZE & rc.MASK_BITS_CODE
    error = refused(backend.modify_volume_definition, "rd1", 7, {"size_kib": GIB})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_NOT_FOUND_VLM_DFN & rc.MASK_BITS_CODE


def test_autoplace_without_any_place_count_places_nothing(backend):
    """As CtrlRscAutoPlaceApiCallHandler: no place count in the request or the group means 0 ("already deployed
    on 0 nodes"); DfltRscGrp has place_count 2, as LINSTOR's migration gives it."""
    assert backend.get_resource_group("DfltRscGrp")["select_filter"]["place_count"] == 2
    backend.create_resource_group({"name": "nocount"})
    backend.spawn("nocount", {"resource_definition_name": "rd1", "volume_sizes": [GIB], "definitions_only": True})
    [entry] = backend.autoplace("rd1", {})
    assert entry.ret_code & rc.MASK_BITS_CODE == rc.WARN_RSC_ALREADY_DEPLOYED & rc.MASK_BITS_CODE
    assert "already deployed on 0 nodes" in entry.message
    assert backend.list_resources(["rd1"]) == []
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    assert len(disks(backend, "rd1")) == 2


def test_a_volume_definition_does_not_grow_while_exact_size_is_set(backend):
    """As CtrlVlmDfnModifyApiCallHandler.ensureExactSizeIsUnset: Incus removes ExactSize before a resize."""
    make_rd(backend, "rd1", size=GIB)
    backend.modify_resource_definition("rd1", {"override_props": {"DrbdOptions/ExactSize": "True"}})
    error = refused(backend.modify_volume_definition, "rd1", 0, {"size_kib": 2 * GIB})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_PROP & rc.MASK_BITS_CODE
    assert "must not be resized" in str(error)
    assert backend.list_volume_definitions("rd1")[0]["size_kib"] == GIB
    backend.modify_resource_definition("rd1", {"delete_props": ["DrbdOptions/ExactSize"]})
    backend.modify_volume_definition("rd1", 0, {"size_kib": 2 * GIB})
    assert backend.list_volume_definitions("rd1")[0]["size_kib"] == 2 * GIB


def test_resource_create_delete_on_node(backend):
    make_rd(backend, "rd1")
    backend.create_resource("rd1", "node2", {})
    backend.create_resource("rd1", "node3", {"resource": {"flags": ["DISKLESS"]}})
    [disk, diskless] = backend.list_resources(["rd1"])
    assert disk["volumes"][0]["state"]["disk_state"] == "UpToDate"
    assert diskless["volumes"][0]["storage_pool_name"] == "DfltDisklessStorPool"
    error = refused(backend.create_resource, "rd1", "node2", {})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_EXISTS_RSC & rc.MASK_BITS_CODE
    error = refused(backend.create_resource, "rd1", "node9", {})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_NOT_FOUND_NODE & rc.MASK_BITS_CODE
    backend.delete_resource("rd1", "node3")  # the diskless one first: LINSTOR keeps the last disk it uses
    assert [r["node_name"] for r in backend.list_resources(["rd1"])] == ["node2"]


# ---------------------------------------------------------------- durability

def test_state_survives_reopen(tmp_path):
    path = tmp_path / "state.sqlite3"
    first = Backend(path)
    make_rd(first, "rd1", {"Aux/k": "v"})
    first.autoplace("rd1", {"select_filter": {"place_count": 2}})
    first.create_snapshot("rd1", {"name": "s1"})
    first.close()
    second = Backend(path, nodes=5)  # --nodes only seeds a new file
    assert second.get_resource_definition("rd1")["props"] == {"Aux/k": "v", "DrbdOptions/Resource/quorum": "majority"}
    assert len(disks(second, "rd1")) == 2 and len(tie_breakers(second, "rd1")) == 1
    assert [s["name"] for s in second.list_snapshots("rd1")] == ["s1"]
    assert len(second.list_nodes()) == 3
    second.close()


def test_failed_write_leaves_no_trace(backend):
    backend.create_resource_group({"name": "rg", "select_filter": {"place_count": 9,
                                                                   "layer_stack": ["DRBD", "STORAGE"]}})
    refused(backend.spawn, "rg", {"resource_definition_name": "rd1", "volume_sizes": [GIB],
                                  "resource_definition_props": {"Aux/a": "b"}})
    assert backend.list_resource_definitions(props=["Aux/a"]) == []
    make_rd(backend, "rd2", layers=DRBD_STACK)  # the port that the failed spawn took is free again
    backend.autoplace("rd2", {"select_filter": {"place_count": 1}})
    [resource] = backend.list_resources(["rd2"])
    assert resource["layer_object"]["drbd"]["tcp_ports"] == [TCP_PORT_MIN]


@pytest.mark.parametrize("version", ["1.31.3", "1.32.0", "1.34.0"])
def test_drbd_ports_are_the_rds_before_1_32_and_the_resources_after(tmp_path, version):
    """From 1.32 an RD's DRBD layer data reports port -1 (Json.COMPAT_RD_PORT) in every listing and the resources
    report the ports in tcp_ports; before, both report the RD's."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "rd1", layers=DRBD_STACK)
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    expected = TCP_PORT_MIN if version == "1.31.3" else -1
    listed = json.loads(backend.list_resource_definitions_json(names=["rd1"], with_volume_definitions=True))
    for rd in (backend.get_resource_definition("rd1"), backend.list_resource_definitions(["rd1"])[0], listed[0]):
        assert rd["layer_data"][0]["data"]["port"] == expected, rd
    for resource in backend.list_resources(["rd1"]):
        drbd = resource["layer_object"]["drbd"]
        assert drbd["tcp_ports"] == [TCP_PORT_MIN] and drbd["drbd_resource_definition"]["port"] == expected
    # a port given is kept on the RD (RscDrbdLayerHelper) and reported at every release
    backend.create_resource_definition({"resource_definition": {"name": "given"}, "drbd_port": 7100})
    make_rd(backend, "moved", layers=DRBD_STACK)
    backend.modify_resource_definition("moved", {"drbd_port": 7200})
    listed = json.loads(backend.list_resource_definitions_json(names=["given", "moved"]))
    assert [rd["layer_data"][0]["data"]["port"] for rd in listed] == [7100, 7200]
    assert backend.get_resource_definition("given")["layer_data"][0]["data"]["port"] == 7100
    backend.close()


def test_a_state_file_from_before_the_given_port_column_loads(tmp_path):
    """A state file whose rsc_dfns lacks port_given (written before it existed) gets the column, every port
    counting as not given."""
    path = tmp_path / "state.sqlite3"
    backend = Backend(path)
    make_rd(backend, "rd1", layers=DRBD_STACK)
    backend.close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE rsc_dfns DROP COLUMN port_given")
    again = Backend(path)
    assert again.get_resource_definition("rd1")["layer_data"][0]["data"]["port"] == -1
    again.create_resource_definition({"resource_definition": {"name": "given"}, "drbd_port": 7100})
    assert again.get_resource_definition("given")["layer_data"][0]["data"]["port"] == 7100
    again.close()


@pytest.mark.parametrize(("version", "message"), [
    ("1.31.1", "No diskful connected satellite for snapshot."),
    ("1.31.2", "No diskful connected satellite for snapshot or no resources."),
])
def test_a_snapshot_without_a_diskful_resource_is_refused_as_the_release_words_it(tmp_path, version, message):
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "rd1")
    error = refused(backend.create_snapshot, "rd1", {"name": "s1"})
    assert error.entries[0].message == message
    assert error.entries[0].details.startswith("Snapshots need at least one diskful online satellite.")


@pytest.mark.parametrize(("version", "flag_kept"), [("1.30.4", False), ("1.31.0", True), ("1.33.0", True),
                                                    ("1.34.0", False)])
def test_a_delete_refused_in_use_keeps_the_delete_flag_from_1_31_to_1_33_1(tmp_path, version, flag_kept):
    """LINSTOR 1.31.0 to 1.33.1 flag the RD DELETE and commit before the in-use check: refused, the RD keeps the
    flag and its resources have none; a delete once the resource is no longer in use goes through."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    node = backend.list_resources(["rd1"])[0]["node_name"]
    backend.modify_resource("rd1", node, {"override_props": {"Emulator/InUse": "true"}})
    for attempt in (backend.delete_resource_definition, backend.mark_resource_definition_deleting):
        error = refused(attempt, "rd1")
        assert error.ret_code == rc.FAIL_IN_USE | rc.MASK_DEL | rc.MASK_RSC_DFN
        assert backend.get_resource_definition("rd1")["flags"] == (["DELETE"] if flag_kept else [])
        assert [resource["flags"] for resource in backend.list_resources(["rd1"])] == [
            [], [], ["DISKLESS", "DRBD_DISKLESS", "TIE_BREAKER"]]
    assert backend.resume_deletes() == [], "still in use: refused again, the flag kept"
    backend.modify_resource("rd1", node, {"override_props": {"Emulator/InUse": "false"}})
    backend.delete_resource_definition("rd1")
    assert backend.list_resources(["rd1"]) == []
    backend.close()


def test_a_delete_cut_short_is_resumed_when_the_emulator_starts_again(tmp_path):
    """A 'deleting' fault cut short by a stop leaves the RD flagged; the controller goes on with the delete once its
    satellites connect, the emulator when it starts again."""
    backend = Backend(tmp_path / "state.sqlite3")
    make_rd(backend, "going")
    make_rd(backend, "staying")
    backend.autoplace("going", {"select_filter": {"place_count": 2}})
    backend.mark_resource_definition_deleting("going")
    backend.close()
    again = Backend(tmp_path / "state.sqlite3")
    assert again.get_resource_definition("going")["flags"] == ["DELETE"], "the state survives the restart"
    assert again.resume_deletes() == ["going"]
    assert [rd["name"] for rd in again.list_resource_definitions()] == ["staying"]
    again.close()


# --- Satellites going offline (the debug API's switch) -------------------------------------------------------------


def test_an_offline_satellite_shows_in_nodes_and_storage_pools(backend):
    """CtrlStorPoolListApiCallHandler: a pool on a node whose satellite is not connected has no capacity (left out)
    and one WARN_NOT_CONNECTED report; the node lists OFFLINE. Back online, both are as before."""
    backend.set_connection("NODE2", False)
    assert [node["connection_status"] for node in backend.list_nodes()] == ["ONLINE", "OFFLINE", "ONLINE"]
    for pool in backend.list_storage_pools(nodes=["node2"]):
        assert "free_capacity" not in pool and "total_capacity" not in pool, pool
        [report] = pool["reports"]
        assert report["ret_code"] == to_signed64(rc.WARN_NOT_CONNECTED)
        assert report["message"] == "No active connection to satellite 'node2'"
    assert all(not pool["reports"] and "free_capacity" in pool for pool in backend.list_storage_pools(nodes=["node1"]))
    backend.set_connection("node2", True)
    assert {node["connection_status"] for node in backend.list_nodes()} == {"ONLINE"}
    assert all("free_capacity" in pool for pool in backend.list_storage_pools())
    with pytest.raises(KeyError):
        backend.set_connection("node9", False)


def test_the_autoplacer_leaves_offline_nodes_out(backend):
    """StorPoolFilter.listAvailableStorPools takes storage pools of online nodes only."""
    backend.set_connection("node1", False)
    make_rd(backend, "rd1")
    error = refused(backend.autoplace, "rd1", {"select_filter": {"place_count": 3}})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_NOT_ENOUGH_NODES & rc.MASK_BITS_CODE
    assert "the node is online" in error.entries[0].details
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    assert sorted(disks(backend, "rd1")) == ["node2", "node3"]


def test_a_snapshot_leaves_out_a_disk_whose_node_is_offline(backend):
    """CtrlSnapshotCrtHelper: a diskful resource on an offline node gets no snapshot, with a warning first in the
    reply; with no diskful resource on a connected node the create fails (ensureSnapshotsViable)."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2}})
    placed = sorted(disks(backend, "rd1"))
    backend.set_connection(placed[0], False)
    entries = backend.create_snapshot("rd1", {"name": "s1"})
    assert entries[0].ret_code == rc.MASK_WARN | rc.MASK_CRT | rc.MASK_SNAPSHOT  # the request's context added
    assert entries[0].message == (f"Snapshot for resource 'rd1' will not be created on node '{placed[0]}' because "
                                  "that node is currently offline.")
    [snapshot] = [snap for snap in backend.list_snapshots("rd1") if snap["name"] == "s1"]
    assert snapshot["nodes"] == [placed[1]]
    backend.set_connection(placed[1], False)
    error = refused(backend.create_snapshot, "rd1", {"name": "s2"})
    assert error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_NOT_CONNECTED & rc.MASK_BITS_CODE


def test_no_tie_breaker_goes_to_or_leaves_an_offline_node(backend):
    """CtrlRscAutoTieBreakerHelper: the tie-breaker is autoplaced (online nodes only), so with the one free node
    offline the RD gets none and LINSTOR's warning; a tie-breaker no longer wanted is removed only while its node is
    online."""
    backend.set_connection("node3", False)
    make_rd(backend, "rd1")
    entries = backend.autoplace("rd1", {"select_filter": {"place_count": 2, "node_name_list": ["node1", "node2"]}})
    assert rc.WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER & rc.MASK_BITS_CODE in [
        entry.ret_code & rc.MASK_BITS_CODE for entry in entries if entry.ret_code & rc.MASK_WARN]
    assert tie_breakers(backend, "rd1") == []

    backend.set_connection("node3", True)
    make_rd(backend, "rd2")
    backend.autoplace("rd2", {"select_filter": {"place_count": 2, "node_name_list": ["node1", "node2"]}})
    assert tie_breakers(backend, "rd2") == ["node3"]
    backend.set_connection("node3", False)
    backend.modify_resource_definition("rd2", {"override_props": {"DrbdOptions/auto-add-quorum-tiebreaker": "false"}})
    assert tie_breakers(backend, "rd2") == ["node3"], "kept while its node is offline"
    backend.set_connection("node3", True)
    backend.modify_resource_definition("rd2", {"override_props": {"DrbdOptions/auto-add-quorum-tiebreaker": "false"}})
    assert tie_breakers(backend, "rd2") == []


def test_a_resource_on_an_offline_node_reports_no_state(backend):
    """Json.apiToResourceWithVolumes: the resource's and its volumes' states come from the satellite, so one on an
    offline node has none (in use or not: the controller cannot tell); its peers see the connection down."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 3}})
    backend.modify_resource("rd1", "node2", {"override_props": {"Emulator/InUse": "true"}})
    backend.set_connection("node2", False)
    by_node = {rsc["node_name"]: rsc for rsc in backend.view_resources(["rd1"])}
    assert "state" not in by_node["node2"] and all("state" not in vlm for vlm in by_node["node2"]["volumes"])
    assert by_node["node1"]["state"] == {"in_use": False}
    assert by_node["node1"]["layer_object"]["drbd"]["connections"]["node2"] == {"connected": False,
                                                                                "message": "Connecting"}
    backend.set_connection("node2", True)
    by_node = {rsc["node_name"]: rsc for rsc in backend.view_resources(["rd1"])}
    assert by_node["node2"]["state"] == {"in_use": True}


def test_a_change_the_satellites_get_names_the_offline_ones(backend):
    """CtrlSatelliteUpdateCaller's default notConnectedWarn: an RD modify that changes something ends with
    WARN_NOT_CONNECTED for each offline node with a resource (HTTP 200); a modify that changes nothing updates no
    satellite."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2, "node_name_list": ["node1", "node2"]}})
    backend.set_connection("node2", False)
    entries = backend.modify_resource_definition("rd1", {"override_props": {"Aux/x": "1"}})
    assert [entry.message for entry in entries if entry.ret_code & rc.MASK_BITS_CODE
            == rc.WARN_NOT_CONNECTED & rc.MASK_BITS_CODE] == ["No active connection to satellite 'node2'"]
    assert entries[-1].ret_code == rc.WARN_NOT_CONNECTED | rc.MASK_MOD | rc.MASK_RSC_DFN
    assert http_status(entries, 200) == 200
    for same in ({"override_props": {"Aux/x": "1"}}, {"resource_group": DEFAULT_RSC_GRP.lower()}):
        assert not any(entry.ret_code & rc.MASK_WARN for entry in backend.modify_resource_definition("rd1", same))
    backend.set_connection("node2", True)
    assert not any(entry.ret_code & rc.MASK_WARN
                   for entry in backend.modify_resource_definition("rd1", {"override_props": {"Aux/x": "2"}}))


@pytest.mark.parametrize(("release", "refused_at_once"), [("1.29.0", False), ("1.30.4", True), (None, True)])
def test_a_resize_with_a_disk_offline(tmp_path, release, refused_at_once):
    """CtrlVlmDfnModifyApiCallHandler: from 1.30.4 a resize needs every diskful DRBD resource UpToDate, which one
    on an offline node is not known to be (FAIL_NOT_ALL_UPTODATE, HTTP 500, nothing changed); before, the resize
    is stored and the offline node named in a warning. An offline node with a diskless resource only is named."""
    backend = Backend(tmp_path / "state.sqlite3", **({"linstor_version": release} if release else {}))
    try:
        make_rd(backend, "rd1")
        backend.autoplace("rd1", {"select_filter": {"place_count": 2, "node_name_list": ["node1", "node2"]}})
        assert tie_breakers(backend, "rd1") == ["node3"]
        backend.set_connection("node3", False)
        resized = backend.modify_volume_definition("rd1", 0, {"size_kib": 2 * GIB})
        assert resized[-1].message == "No active connection to satellite 'node3'", "a diskless one: only named"
        backend.set_connection("node2", False)
        if refused_at_once:
            error = refused(backend.modify_volume_definition, "rd1", 0, {"size_kib": 3 * GIB})
            assert error.ret_code == rc.FAIL_NOT_ALL_UPTODATE | rc.MASK_MOD | rc.MASK_VLM_DFN
            assert error.entries[0].message == "Cannot resize volume, because we have a non-UpToDate DRBD device."
            assert backend.list_volume_definitions("rd1")[0]["size_kib"] == 2 * GIB
        else:
            entries = backend.modify_volume_definition("rd1", 0, {"size_kib": 3 * GIB})
            assert [entry.message for entry in entries if entry.ret_code & rc.MASK_WARN] == [
                "No active connection to satellite 'node2'", "No active connection to satellite 'node3'"]
            assert backend.list_volume_definitions("rd1")[0]["size_kib"] == 3 * GIB
    finally:
        backend.close()


def test_an_rd_delete_waits_for_an_offline_satellite(backend):
    """CtrlRscDfnTruncateApiCallHandler: with a resource on an offline node the RD and its resources are flagged
    DELETE, the reply ends with LINSTOR's not-connected warning (HTTP 200), and the RD stays until the satellite is
    connected again; then the delete goes on. The in-use check cannot see the offline node's resource."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 3}})
    backend.modify_resource("rd1", "node3", {"override_props": {"Emulator/InUse": "true"}})
    backend.set_connection("node3", False)
    entries = backend.delete_resource_definition("rd1")
    assert [(entry.ret_code, entry.message) for entry in entries] == [
        (rc.DELETED | rc.MASK_DEL | rc.MASK_RSC_DFN, "Resource definition 'rd1' marked for deletion."),
        (rc.WARN_NOT_CONNECTED | rc.MASK_DEL | rc.MASK_RSC_DFN, "No active connection to satellite 'node3'"),
        (rc.MODIFIED | rc.MASK_DEL | rc.MASK_RSC_DFN, "Resource 'rd1' on 'node1' marked for deletion"),
        (rc.MODIFIED | rc.MASK_DEL | rc.MASK_RSC_DFN, "Resource 'rd1' on 'node2' marked for deletion")]
    assert http_status(entries, 200) == 200
    [rd] = backend.list_resource_definitions(["rd1"])
    assert rd["flags"] == ["DELETE"]
    assert all("DELETE" in rsc["flags"] for rsc in backend.list_resources(["rd1"]))
    assert backend.delete_resource_definition("rd1")[1].ret_code & rc.MASK_BITS_CODE == rc.WARN_NOT_CONNECTED & \
        rc.MASK_BITS_CODE, "sent again, it waits again"
    backend.set_connection("node3", True)
    [rd] = backend.list_resource_definitions(["rd1"])
    assert rd["flags"] == ["DELETE"], "connected again, the resource there reports in use: refused, flag kept"
    backend.modify_resource("rd1", "node3", {"override_props": {"Emulator/InUse": "false"}})
    backend.delete_resource_definition("rd1")
    assert backend.list_resource_definitions(["rd1"]) == []


def test_an_rd_delete_resumes_when_the_satellite_connects(backend):
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 3}})
    backend.set_connection("node2", False)
    backend.set_connection("node3", False)
    backend.delete_resource_definition("rd1")
    backend.set_connection("node2", True)
    assert [rd["flags"] for rd in backend.list_resource_definitions(["rd1"])] == [["DELETE"]], "node3 still offline"
    backend.set_connection("node3", True)
    assert backend.list_resource_definitions(["rd1"]) == []


def test_an_rd_delete_with_an_offline_node_flags_the_diskless_resources_first(backend):
    """CtrlRscDfnTruncateApiCallHandler deletes diskless resources first: when the satellites' update of that step
    ends with the not-connected warning, the diskful ones are not flagged yet."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2, "node_name_list": ["node1", "node2"]}})
    assert tie_breakers(backend, "rd1") == ["node3"]
    backend.set_connection("node1", False)
    backend.delete_resource_definition("rd1")
    assert {rsc["node_name"]: rsc["flags"] for rsc in backend.list_resources(["rd1"])} == {
        "node1": [], "node2": [], "node3": ["DISKLESS", "DRBD_DISKLESS", "TIE_BREAKER", "DELETE"]}
    backend.set_connection("node1", True)
    assert backend.list_resource_definitions(["rd1"]) == []


def test_a_snapshot_delete_does_not_wait_for_an_offline_satellite(backend):
    """CtrlSnapshotDeleteApiCallHandler tells the satellites with notConnectedWarn, which only warns: the snapshot
    is marked on every node, the offline one's warning comes first, each node is reported deleted, and the snapshot
    is gone from the controller at once (its copy on the offline node is not removed); the RD can be deleted."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2, "node_name_list": ["node1", "node2"]}})
    backend.create_snapshot("rd1", {"name": "s1"})
    backend.set_connection("node2", False)
    entries = backend.delete_snapshot("rd1", "s1")
    ctx_mask = rc.MASK_DEL | rc.MASK_SNAPSHOT
    assert [(entry.ret_code, entry.message) for entry in entries][:-1] == [
        (rc.DELETED | ctx_mask, "Marked snapshot for deletion snapshot 's1' of resource 'rd1' on nodes 'node1'"),
        (rc.DELETED | ctx_mask, "Marked snapshot for deletion snapshot 's1' of resource 'rd1' on nodes 'node2'"),
        (rc.WARN_NOT_CONNECTED | ctx_mask, "No active connection to satellite 'node2'"),
        (rc.MODIFIED | ctx_mask, "Deleted snapshot 's1' of 'rd1' on 'node2'"),
        (rc.MODIFIED | ctx_mask, "Deleted snapshot 's1' of 'rd1' on 'node1'"),
        (rc.DELETED | ctx_mask, "Snapshot 's1' of resource 'rd1' on nodes 'node1, node2' deleted.")]
    assert entries[-1].message == "Snapshot 's1' of resource 'rd1' deleted."
    assert http_status(entries, 200) == 200
    assert backend.list_snapshots("rd1") == []
    assert backend.delete_resource_definition("rd1")[0].message == "Resource definition 'rd1' marked for deletion."


def test_a_rollback_needs_every_satellite_connected(backend):
    """CtrlSnapshotRollbackApiCallHandler.ensureAllSatellitesConnected: any resource's node offline, diskless too,
    refuses the rollback (FAIL_NOT_CONNECTED, HTTP 500) before anything changes."""
    make_rd(backend, "rd1")
    backend.autoplace("rd1", {"select_filter": {"place_count": 2, "node_name_list": ["node1", "node2"]}})
    backend.create_snapshot("rd1", {"name": "s1"})
    backend.set_connection("node3", False)  # the tie-breaker's node
    error = refused(backend.rollback, "rd1", "s1")
    assert error.ret_code == rc.FAIL_NOT_CONNECTED | rc.MASK_MOD | rc.MASK_SNAPSHOT
    assert error.entries[0].message == "No active connection to satellite 'node3'."
    assert "satellites are not connected" in error.entries[0].details
    assert http_status(error.entries, 200) == 500
    backend.set_connection("node3", True)
    backend.rollback("rd1", "s1")
