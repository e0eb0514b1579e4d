"""Replies the emulator once gave otherwise than the controller: each test asserts what linstor-server answers,
naming the class and method that answers it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from linstor_emulator import errors as rc
from linstor_emulator.backend import MINOR_MIN, TCP_PORT_MIN, Backend, java_hash_set_order
from linstor_emulator.errors import LinstorError

GIB = 1024 * 1024


def refused(call, *args) -> LinstorError:
    with pytest.raises(LinstorError) as info:
        call(*args)
    return info.value


def make_rd(backend: Backend, name: str, props: dict | None = None, size: int = GIB) -> None:
    backend.create_resource_definition({"resource_definition": {"name": name, "props": props or {}}})
    backend.create_volume_definition(name, {"volume_definition": {"size_kib": size}})


# ---------------------------------------------------------------- 1. unknown storage pools of a group

def test_a_group_naming_a_pool_no_node_has_is_created_with_a_warning(backend):
    """CtrlRscGrpApiCallHandler.create -> addUnknownStoragePoolWarning (every release the emulator plays): one
    WARN_NOT_FOUND entry without masks or object references (ApiCallRcImpl.singleApiCallRc), before the created
    entry."""
    entries = backend.create_resource_group({"name": "rg1", "select_filter": {"storage_pool_list": ["nope", "pool1"],
                                                                              "storage_pool_diskless_list": ["gone"]}})
    assert [e.ret_code for e in entries] == [rc.WARN_NOT_FOUND, rc.CREATED | rc.MASK_CRT | rc.MASK_RSC_GRP]
    assert entries[0].message == "The following configured storage pools do not exist on any node:\n\tnope\n\tgone"
    assert entries[0].obj_refs == {}
    assert [e.ret_code for e in backend.create_resource_group({"name": "rg2", "select_filter": {
        "storage_pool": "POOL1"}})] == [rc.CREATED | rc.MASK_CRT | rc.MASK_RSC_GRP], "names match without case"


def test_a_pool_of_the_wrong_kind_is_named_in_the_warning(backend):
    """addUnknownStoragePoolWarning: a diskless pool where diskful ones are wanted, and the other way round."""
    entries = backend.create_resource_group({"name": "rg1", "select_filter": {
        "storage_pool": "DfltDisklessStorPool", "storage_pool_diskless_list": ["pool1"]}})
    assert entries[0].ret_code == rc.WARN_NOT_FOUND
    assert entries[0].message == (
        "The following configured storage pools are diskful, but are wrongly configured to be used for diskless "
        "autoplacements:\n\tpool1\nThe following configured storage pools are diskless, but are wrongly configured "
        "to be used for diskful autoplacements:\n\tDfltDisklessStorPool")


def test_a_group_modify_warns_only_when_it_names_a_select_filter(backend):
    """CtrlRscGrpApiCallHandler.modify calls addUnknownStoragePoolWarning when the request has a select filter
    (ResourceGroups.selectFilterToApi gives null without one), on the group's whole filter after the change;
    spawn does not warn."""
    backend.create_resource_group({"name": "rg1", "select_filter": {"storage_pool": "nope"}})
    entries = backend.modify_resource_group("rg1", {"description": "d"})
    assert [e.ret_code for e in entries] == [rc.MODIFIED | rc.MASK_CRT | rc.MASK_RSC_GRP]
    entries = backend.modify_resource_group("rg1", {"select_filter": {"replicas_on_same": ["a"]}})
    assert [e.ret_code for e in entries] == [rc.WARN_NOT_FOUND, rc.MODIFIED | rc.MASK_CRT | rc.MASK_RSC_GRP]
    assert entries[0].message == "The following configured storage pools do not exist on any node:\n\tnope"
    entries = backend.modify_resource_group("rg1", {"select_filter": {"storage_pool": "pool1"}})
    assert [e.ret_code for e in entries] == [rc.MODIFIED | rc.MASK_CRT | rc.MASK_RSC_GRP]


# ---------------------------------------------------------------- 2. ExactSize, layer stack on a deployed RD

@pytest.mark.parametrize(("version", "message"), [
    ("1.29.0", "The property 'DrbdOptions/ExactSize' must not be set to True when resources are deployed in the "
               "given resource-definition."),
    ("1.34.0", "The property 'DrbdOptions/ExactSize' cannot be set to True while there are currently deployed "
               "resources(2)."),
])
def test_exact_size_true_is_refused_while_resources_are_deployed(tmp_path, version, message):
    """CtrlRscDfnApiCallHandler.checkProps: Boolean.parseBoolean(value) and getResourceCount() > 0 (diskless ones
    count) -> FAIL_INVLD_PROP (reworded in 1.29.1, commit 85fe6320f); setting it false or deleting it is not
    checked; without resources it is set."""
    backend = Backend(tmp_path / "state.sqlite3", linstor_version=version)
    make_rd(backend, "rd1")
    backend.create_resource("rd1", "node1", {"resource": {}})
    backend.create_resource("rd1", "node2", {"resource": {"flags": ["DISKLESS"]}})
    error = refused(backend.modify_resource_definition, "rd1", {"override_props": {"DrbdOptions/ExactSize": "TRUE"}})
    assert error.ret_code == rc.FAIL_INVLD_PROP | rc.MASK_MOD | rc.MASK_RSC_DFN
    assert error.entries[0].message == message
    assert "DrbdOptions/ExactSize" not in backend.get_resource_definition("rd1")["props"]
    backend.modify_resource_definition("rd1", {"override_props": {"DrbdOptions/ExactSize": "false"}})
    backend.modify_resource_definition("rd1", {"delete_props": ["DrbdOptions/ExactSize"]})
    make_rd(backend, "rd2")
    backend.modify_resource_definition("rd2", {"override_props": {"DrbdOptions/ExactSize": "true"}})
    assert backend.get_resource_definition("rd2")["props"]["DrbdOptions/ExactSize"] == "true"
    backend.close()


def test_the_layer_stack_of_a_deployed_rd_does_not_change(backend):
    """CtrlRscDfnApiCallHandler.modify: a different layer stack while getResourceCount() > 0 -> FAIL_EXISTS_RSC
    "Changing the layer stack with already deployed resource is not supported"; the same one, or any on an RD
    without resources, is accepted (and set)."""
    make_rd(backend, "rd1")
    backend.create_resource("rd1", "node1", {"resource": {}})
    error = refused(backend.modify_resource_definition, "rd1", {"layer_stack": ["storage"]})
    assert error.ret_code == rc.FAIL_EXISTS_RSC | rc.MASK_MOD | rc.MASK_RSC_DFN
    assert error.entries[0].message == "Changing the layer stack with already deployed resource is not supported"
    backend.modify_resource_definition("rd1", {"layer_stack": ["drbd", "storage"]})
    make_rd(backend, "rd2")
    backend.modify_resource_definition("rd2", {"layer_stack": ["STORAGE"]})
    assert [layer["type"] for layer in backend.get_resource_definition("rd2")["layer_data"]] == ["STORAGE"]


# ---------------------------------------------------------------- 3. deletes on a missing RD

def test_a_snapshot_delete_on_a_missing_rd_is_a_warning(backend):
    """CtrlSnapshotDeleteApiCallHandler.deleteSnapshotInTransaction loads the snapshot definition with
    failIfNull=false (CtrlApiDataLoader.loadSnapshotDfn: a missing RD gives null too): WARN_NOT_FOUND
    "Snapshot definition <snap> of resource <rd> not found.", masks added by reportingExceptions (HTTP 200)."""
    warning = refused(backend.delete_snapshot, "ghost", "s1")
    assert [e.ret_code for e in warning.entries] == [rc.WARN_NOT_FOUND | rc.MASK_DEL | rc.MASK_SNAPSHOT]
    assert warning.entries[0].message == "Snapshot definition s1 of resource ghost not found."
    assert rc.http_status(warning.entries, 200) == 200
    assert refused(backend.delete_snapshot, "1bad", "s1").ret_code & rc.MASK_BITS_CODE == 202, "the name is parsed"


def test_a_resource_delete_on_a_missing_rd_is_a_warning(backend):
    """CtrlRscDeleteApiCallHandler.activateRscIfLastInTransaction: loadRsc(node, rd, failIfNull=false) gives null
    for a missing RD or node -> WARN_NOT_FOUND "Node: <node>, Resource: <rd> not found." (HTTP 200)."""
    warning = refused(backend.delete_resource, "ghost", "node1")
    assert [e.ret_code for e in warning.entries] == [rc.WARN_NOT_FOUND | rc.MASK_DEL | rc.MASK_RSC]
    assert warning.entries[0].message == "Node: node1, Resource: ghost not found."
    assert rc.http_status(warning.entries, 200) == 200


def test_deletes_on_a_missing_rd_over_http(client):
    """The same over HTTP: 200 with the warning, where the emulator answered 404."""
    reply = client.delete("/v1/resource-definitions/ghost/snapshots/s1")
    assert reply.status == 200
    assert [e["ret_code"] for e in reply.body] == [rc.to_signed64(rc.WARN_NOT_FOUND | rc.MASK_DEL | rc.MASK_SNAPSHOT)]
    reply = client.delete("/v1/resource-definitions/ghost/resources/node1")
    assert reply.status == 200
    assert [e["ret_code"] for e in reply.body] == [rc.to_signed64(rc.WARN_NOT_FOUND | rc.MASK_DEL | rc.MASK_RSC)]


# ---------------------------------------------------------------- 5. the last diskful resource

def test_the_last_diskful_resource_is_not_deleted_while_diskless_ones_remain(backend):
    """CtrlRscDeleteApiHelper.ensureNotLastDisk (after ensureNotInUse): FAIL_IN_USE with LINSTOR's cause and
    correction; with another diskful resource, or once the diskless one is gone, the delete goes through."""
    make_rd(backend, "rd1")
    backend.create_resource("rd1", "node1", {"resource": {}})
    backend.create_resource("rd1", "node2", {"resource": {}})
    backend.create_resource("rd1", "node3", {"resource": {"flags": ["DISKLESS"]}})
    backend.delete_resource("rd1", "node2")
    error = refused(backend.delete_resource, "rd1", "node1")
    entry = error.entries[0]
    assert entry.ret_code == rc.FAIL_IN_USE | rc.MASK_DEL | rc.MASK_RSC
    assert entry.message == "Last resource of 'rd1' with disk still has diskless resources attached."
    assert entry.cause == "Resource still has diskless users."
    assert entry.correction == "Before deleting this resource, delete the diskless resources attached to it."
    assert rc.http_status(error.entries, 200) == 500
    backend.delete_resource("rd1", "node3")
    backend.delete_resource("rd1", "node1")
    assert backend.list_resources(["rd1"]) == []


# ---------------------------------------------------------------- 4. /v1/view/resources and /v1/view/snapshots filters

def test_view_resources_filters_as_the_volume_list_does(backend):
    """CtrlVlmListApiCallHandler.listVlms: pool names compared as StorPoolName (without case); a resource without a
    volume is left out (assembleList adds a resource only with volumes), but not from the RD's resource list
    (CtrlRscApiCallHandler.listResources)."""
    make_rd(backend, "rd1")
    backend.create_resource("rd1", "node1", {"resource": {}})
    backend.create_resource_definition({"resource_definition": {"name": "empty"}})
    backend.create_resource("empty", "node1", {"resource": {}})
    assert [r["name"] for r in backend.view_resources()] == ["rd1"]
    assert [r["name"] for r in backend.view_resources(pools=["POOL1"])] == ["rd1"]
    assert [r["name"] for r in backend.list_rd_resources("empty")] == ["empty"], "the RD's own list keeps it"


@pytest.mark.parametrize(("query", "code", "message"), [
    ({"nodes": ["bad_node"]}, rc.FAIL_INVLD_NODE_NAME, "The given node name 'bad_node' is invalid."),
    ({"pools": ["p"]}, rc.FAIL_INVLD_STOR_POOL_NAME, "The given storage pool name 'p' is invalid."),
    ({"rd_names": ["1bad"]}, rc.FAIL_INVLD_RSC_NAME, "The specified resource name '1bad' is invalid."),
])
def test_view_resources_parses_the_filter_names(backend, query, code, message):
    """CtrlVlmListApiCallHandler.listVlms parses node, pool, then resource names (LinstorParsingUtils.asNodeName,
    asStorPoolName, asRscName): an ApiRcException that RequestHelper.safeAsyncResponse answers with HTTP 500,
    the bare code and message."""
    error = refused(lambda: backend.view_resources(**query))
    assert [(e.ret_code, e.message) for e in error.entries] == [(code, message)]
    assert rc.http_status(error.entries, 200) == 500


def test_view_snapshots_parses_the_lower_cased_resource_names(backend):
    """View.listSnapshots lower-cases the resource names, CtrlSnapshotApiCallHandler.listSnapshotDefinitions parses
    them (asRscName): FAIL_INVLD_RSC_NAME naming the lower-cased name, HTTP 500."""
    error = refused(backend.list_snapshots, None, None, ["A.B"])
    assert [(e.ret_code, e.message) for e in error.entries] == [
        (rc.FAIL_INVLD_RSC_NAME, "The specified resource name 'a.b' is invalid.")]


def test_view_filters_over_http(client):
    reply = client.get("/v1/view/resources", nodes="-x")
    assert reply.status == 500
    assert reply.body[0]["ret_code"] == rc.to_signed64(rc.FAIL_INVLD_NODE_NAME)
    reply = client.get("/v1/view/snapshots", resources="1x")
    assert reply.status == 500
    assert reply.body[0]["message"] == "The specified resource name '1x' is invalid."



# ---------------------------------------------------------------- 6. small look-up differences

def test_rest_sub_lists_do_not_parse_the_rd_name(backend):
    """VolumeDefinitions.listVolumeDefinition and Snapshots.listSnapshots look the RD up among all RDs by name, so an
    invalid name is a missing RD: 404 FAIL_NOT_FOUND_RSC_DFN "Resource definition '<rd>' not found."; a missing
    snapshot is FAIL_NOT_FOUND_SNAPSHOT (315) "Snapshot '<snap>' not found." (RequestHelper.queryRequestResponse)."""
    for call in (lambda: backend.list_volume_definitions("1bad"), lambda: backend.list_snapshots("1bad"),
                 lambda: backend.get_snapshot("1bad", "s1")):
        error = refused(call)
        assert [(e.ret_code, e.message) for e in error.entries] == [
            (rc.FAIL_NOT_FOUND_RSC_DFN, "Resource definition '1bad' not found.")]
        assert rc.http_status(error.entries, 200) == 404
    make_rd(backend, "rd1")
    error = refused(backend.get_snapshot, "rd1", "nope")
    assert [(e.ret_code, e.message) for e in error.entries] == [
        (rc.FAIL_NOT_FOUND_SNAPSHOT, "Snapshot 'nope' not found.")]
    assert rc.http_status(error.entries, 200) == 404


def test_a_missing_resource_is_named_as_resources_list_names_it(backend):
    """Resources.listResources: queryRequestResponse(FAIL_NOT_FOUND_RSC, "Resource '<rd>' on", node)."""
    make_rd(backend, "rd1")
    error = refused(backend.get_resource, "rd1", "node2")
    assert [(e.ret_code, e.message) for e in error.entries] == [
        (rc.FAIL_NOT_FOUND_RSC, "Resource 'rd1' on 'node2' not found.")]


@pytest.mark.parametrize(("value", "with_vds"), [("true", True), ("TRUE", True), ("1", False), ("yes", False),
                                                 ("", False)])
def test_with_volume_definitions_is_read_as_java_reads_a_boolean(client, value, with_vds):
    """ResourceDefinitions.listResourceDefinitions: @QueryParam boolean, Boolean.valueOf: only "true", any case."""
    client.post("/v1/resource-definitions", {"resource_definition": {"name": "wvd"}})
    client.post("/v1/resource-definitions/wvd/volume-definitions", {"volume_definition": {"size_kib": GIB}})
    reply = client.get("/v1/resource-definitions", resource_definitions="wvd", with_volume_definitions=value)
    assert reply.status == 200
    assert ("volume_definitions" in reply.body[0]) is with_vds


# ---------------------------------------------------------------- 7. unknown paths and methods

def _error_reply(url: str, method: str) -> tuple[int, list[dict]]:
    request = urllib.request.Request(url, method=method)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    body = json.loads(info.value.read())
    info.value.close()
    return info.value.code, body


def test_an_unknown_path_and_a_wrong_method_are_answered_as_grizzly_does(emulator):
    """GrizzlyHttpService.LinstorMapper: NotFoundException -> 404 FAIL_UNKNOWN_ERROR "Path '/<path>' not found on
    server.", NotAllowedException -> 405 "Method '<M>' not allowed on path '/<path>'.", the exception's message
    as details (all releases the emulator plays)."""
    status, body = _error_reply(emulator.url + "/v1/x", "GET")
    assert status == 404
    assert [(e["ret_code"], e["message"], e.get("details")) for e in body] == [
        (rc.to_signed64(rc.FAIL_UNKNOWN_ERROR), "Path '/v1/x' not found on server.", "HTTP 404 Not Found")]
    status, body = _error_reply(emulator.url + "/v1/resource-definitions", "PATCH")
    assert status == 405
    assert [(e["ret_code"], e["message"], e.get("details")) for e in body] == [
        (rc.to_signed64(rc.FAIL_UNKNOWN_ERROR), "Method 'PATCH' not allowed on path '/v1/resource-definitions'.",
         "HTTP 405 Method Not Allowed")]


# ---------------------------------------------------------------- 8. property change entries

def test_java_hash_set_order():
    """The order of ``new HashSet<>(List.of(...))`` in Java (String.hashCode, HashMap buckets of a 16-slot table)."""
    assert java_hash_set_order(["b", "a"]) == ["a", "b"]
    assert java_hash_set_order(["Aux/b", "Aux/a", "Aux/b"]) == ["Aux/a", "Aux/b"]
    # "Aa" and "BB" share String.hashCode 2112: one bucket, kept in the order added
    assert java_hash_set_order(["BB", "Aa"]) == ["BB", "Aa"]


def test_modifies_report_the_property_keys_set_and_deleted(backend):
    """CtrlPropsHelper.fillProperties adds "Successfully set property key(s): k1,k2" (LinStorObject mask | MASK_CRT |
    CREATED) and .remove "Successfully deleted property key(s): ..." (mask | MASK_DEL | DELETED) before the modified
    entry; a group's props are checked as LinStorObject.RSC_DFN (CtrlRscGrpApiCallHandler.modify), a volume
    group's as VLM_DFN."""
    make_rd(backend, "rd1")
    entries = backend.modify_resource_definition("rd1", {"override_props": {"Aux/b": "1", "Aux/a": "2"},
                                                         "delete_props": ["Aux/z"]})
    assert [(e.ret_code, e.message) for e in entries[:2]] == [
        (rc.MASK_RSC_DFN | rc.MASK_CRT | rc.CREATED, "Successfully set property key(s): Aux/b,Aux/a"),
        (rc.MASK_RSC_DFN | rc.MASK_DEL | rc.DELETED, "Successfully deleted property key(s): Aux/z")]
    assert entries[0].obj_refs == {}
    assert len(entries) == 3 and entries[2].message == "Resource definition 'rd1' modified."
    assert len(backend.modify_resource_definition("rd1", {"drbd_peer_slots": 7})) == 1
    backend.create_resource_group({"name": "rg1"})
    entries = backend.modify_resource_group("rg1", {"delete_props": ["Aux/a"]})
    assert [e.ret_code for e in entries[:1]] == [rc.MASK_RSC_DFN | rc.MASK_DEL | rc.DELETED]
    entries = backend.modify_volume_definition("rd1", 0, {"override_props": {"Aux/x": "1"}})
    assert [e.ret_code for e in entries[:1]] == [rc.MASK_VLM_DFN | rc.MASK_CRT | rc.CREATED]
    backend.create_resource("rd1", "node1", {"resource": {}})
    entries = backend.modify_resource("rd1", "node1", {"override_props": {"Aux/x": "1"}})
    assert [(e.ret_code, e.message) for e in entries[:1]] == [
        (rc.MASK_RSC | rc.MASK_CRT | rc.CREATED, "Successfully set property key(s): Aux/x")]



def test_creates_report_the_property_keys_set_in_the_request_s_order(backend):
    """An RD created with properties (also by a spawn) reports them as a modify does, in the request's order and
    without object references (CtrlRscDfnApiCallHandler.createResourceDefinition calls fillProperties); a clone
    reports the keys its request sets and deletes (cloneRscDfnInTransaction)."""
    set_b_a = (rc.MASK_RSC_DFN | rc.MASK_CRT | rc.CREATED, "Successfully set property key(s): Aux/b,Aux/a")
    entries = backend.create_resource_definition({"resource_definition": {"name": "rd1",
                                                                          "props": {"Aux/b": "1", "Aux/a": "2"}}})
    assert [(e.ret_code, e.message) for e in entries[:1]] == [set_b_a] and entries[0].obj_refs == {}
    assert entries[1].message == "New resource definition 'rd1' created."
    assert len(backend.create_resource_definition({"resource_definition": {"name": "rd2"}})) == 1
    backend.create_resource_group({"name": "rg1"})
    entries = backend.spawn("rg1", {"resource_definition_name": "rd3", "resource_definition_props": {"Aux/b": "1",
                                                                                                     "Aux/a": "2"}})
    assert set_b_a in [(e.ret_code, e.message) for e in entries]
    entries, _ = backend.clone("rd1", {"name": "copy", "override_props": {"Aux/b": "3", "Aux/a": "4"},
                                       "delete_props": ["Aux/z"]})
    assert [(e.ret_code, e.message) for e in entries[:2]] == [
        set_b_a, (rc.MASK_RSC_DFN | rc.MASK_DEL | rc.DELETED, "Successfully deleted property key(s): Aux/z")]



# ---------------------------------------------------------------- 9. resource group operation bits

def test_group_modify_and_delete_carry_the_create_operation_bit(backend):
    """CtrlRscGrpApiCallHandler.modify builds its context with ApiOperation.makeRegisterOperation() and .delete with
    makeCreateOperation(): both MASK_CRT, which ResponseConverter.addContext ORs into every entry (all releases the
    emulator plays)."""
    backend.create_resource_group({"name": "rg1"})
    entries = backend.modify_resource_group("rg1", {"description": "d"})
    assert [e.ret_code for e in entries] == [rc.MODIFIED | rc.MASK_CRT | rc.MASK_RSC_GRP]
    assert refused(backend.modify_resource_group, "ghost", {}).ret_code == (
        rc.FAIL_NOT_FOUND_RSC_GRP | rc.MASK_CRT | rc.MASK_RSC_GRP)
    entries = backend.delete_resource_group("rg1")
    assert [e.ret_code for e in entries] == [rc.DELETED | rc.MASK_CRT | rc.MASK_RSC_GRP]
    assert refused(backend.delete_resource_group, "rg1").ret_code == rc.WARN_NOT_FOUND | rc.MASK_CRT | rc.MASK_RSC_GRP


# ---------------------------------------------------------------- 10. snapshot delete on nodes, paging, props filters

def test_a_snapshot_delete_names_the_given_nodes_without_it(backend):
    """CtrlSnapshotDeleteApiCallHandler.deleteSnapshotInTransaction: WARN_NOT_FOUND "Snapshot definition <snap> of
    resource <rd> was not found on given nodes: <nodes>" (the request's masks and object references, added by
    ResponseConverter.reportingExceptions)."""
    make_rd(backend, "rd1")
    backend.create_resource("rd1", "node1", {"resource": {}})
    backend.create_resource("rd1", "node2", {"resource": {}})
    backend.create_snapshot("rd1", {"name": "s1"})
    entries = backend.delete_snapshot("rd1", "s1", ["NODE1", "node3"])
    assert [e.ret_code for e in entries] == [rc.DELETED | rc.MASK_DEL | rc.MASK_SNAPSHOT,
                                             rc.WARN_NOT_FOUND | rc.MASK_DEL | rc.MASK_SNAPSHOT]
    assert entries[1].message == "Snapshot definition s1 of resource rd1 was not found on given nodes: node3"
    assert entries[1].obj_refs == {"RscDfn": "rd1", "Snapshot": "s1"}
    assert backend.get_snapshot("rd1", "s1")["nodes"] == ["node2"]


def test_lists_page_and_filter_by_props_as_the_rest_classes_do(client):
    """ResourceGroups, Nodes, View (storage pools), Resources and Snapshots lists: stream.skip(offset).limit(limit)
    when limit > 0; /v1/nodes and /v1/view/storage-pools filter by ``props`` (Props.contains)."""
    assert [n["name"] for n in client.get("/v1/nodes", limit="1", offset="1").body] == ["node2"]
    assert [n["name"] for n in client.get("/v1/nodes", props="CurStltConnName=default").body] == [
        "node1", "node2", "node3"]
    assert client.get("/v1/nodes", props="CurStltConnName=other").body == []
    pools = client.get("/v1/view/storage-pools", limit="2", offset="1").body
    assert [(p["node_name"], p["storage_pool_name"]) for p in pools] == [("node1", "pool1"),
                                                                          ("node2", "DfltDisklessStorPool")]
    pools = client.get("/v1/view/storage-pools", props="StorDriver/StorPoolName").body
    assert {p["storage_pool_name"] for p in pools} == {"pool1"}
    client.post("/v1/resource-groups", {"name": "pg1"})
    assert len(client.get("/v1/resource-groups", limit="1").body) == 1
    client.post("/v1/resource-definitions", {"resource_definition": {"name": "paged"}})
    client.post("/v1/resource-definitions/paged/volume-definitions", {"volume_definition": {"size_kib": GIB}})
    for node in ("node1", "node2"):
        client.post(f"/v1/resource-definitions/paged/resources/{node}", {"resource": {}})
    assert [r["node_name"] for r in client.get("/v1/resource-definitions/paged/resources", limit="1",
                                               offset="1").body] == ["node2"]
    for snap in ("sa", "sb"):
        client.post("/v1/resource-definitions/paged/snapshots", {"name": snap})
    assert [s["name"] for s in client.get("/v1/resource-definitions/paged/snapshots", limit="1",
                                          offset="1").body] == ["sb"]


# ---------------------------------------------------------------- 11. DRBD layer data of definitions

def _vd_layers(backend: Backend, name: str) -> list[dict]:
    return backend.list_resource_definitions(names=[name], with_volume_definitions=True)[0]["volume_definitions"][0][
        "layer_data"]


def test_drbd_layer_data_comes_with_a_drbd_layer_stack(backend_with_rd_ports):
    """CtrlRscLayerDataFactory.ensureRequiredRscDfnLayerDataExits / ensureVlmDfnLayerDataExits: an RD whose layer stack
    is empty (none given, as a spawn from a group without one) has no DRBD layer data, so neither port nor minors,
    until its first resource sets the default stack DRBD, STORAGE (ResourceControllerFactory.create) and
    RscDrbdLayerHelper makes the data; an RD created with a DRBD stack has it at once. ResourceDefinition.getApiData /
    VolumeDefinition.getApiData list the stack's layers and those with data, in DeviceLayerKind order."""
    backend = backend_with_rd_ports
    backend.create_resource_group({"name": "rg"})
    backend.create_volume_group("rg", {})
    backend.spawn("rg", {"resource_definition_name": "plain", "volume_sizes": [GIB], "definitions_only": True})
    rd = backend.list_resource_definitions(names=["plain"], with_volume_definitions=True)[0]
    assert rd["layer_data"] == [] and rd["volume_definitions"][0]["layer_data"] == []
    listed = json.loads(backend.list_resource_definitions_json(names=["plain"], with_volume_definitions=True))
    assert listed[0]["layer_data"] == [] and listed[0]["volume_definitions"][0]["layer_data"] == []
    backend.autoplace("plain", {"select_filter": {"place_count": 2}})
    rd = backend.get_resource_definition("plain")
    assert [layer["type"] for layer in rd["layer_data"]] == ["DRBD", "STORAGE"]
    assert rd["layer_data"][0]["data"]["port"] == TCP_PORT_MIN
    assert _vd_layers(backend, "plain") == [{"type": "DRBD", "data": {"resource_name_suffix": "", "volume_number": 0,
                                                                      "minor_number": MINOR_MIN}}, {"type": "STORAGE"}]

    backend.create_resource_definition({"resource_definition": {"name": "drbd", "layer_data": [
        {"type": "DRBD"}, {"type": "STORAGE"}]}})
    backend.create_volume_definition("drbd", {"volume_definition": {"size_kib": GIB}})
    assert backend.get_resource_definition("drbd")["layer_data"][0]["data"]["port"] == TCP_PORT_MIN + 1
    assert _vd_layers(backend, "drbd")[0]["data"]["minor_number"] == MINOR_MIN + 1

    backend.create_resource_definition({"resource_definition": {"name": "storage", "layer_data": [
        {"type": "STORAGE"}]}})
    backend.create_volume_definition("storage", {"volume_definition": {"size_kib": GIB}})
    backend.create_resource("storage", "node1", {"resource": {}})
    assert backend.get_resource_definition("storage")["layer_data"] == [{"type": "STORAGE"}]
    assert _vd_layers(backend, "storage") == [{"type": "STORAGE"}]
    resource = backend.list_resources(["storage"])[0]
    assert resource["layer_object"]["type"] == "STORAGE"
    assert [layer["type"] for layer in resource["volumes"][0]["layer_data_list"]] == ["STORAGE"]

    # a DRBD value given makes the RD's DRBD data without the layer (listed although not in the stack)
    backend.create_resource_definition({"resource_definition": {"name": "slots"}, "drbd_peer_slots": 5})
    rd = backend.get_resource_definition("slots")
    assert rd["layer_data"][0]["type"] == "DRBD" and rd["layer_data"][0]["data"]["peer_slots"] == 5
