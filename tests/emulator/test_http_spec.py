"""The HTTP layer: every reply checked against the OpenAPI spec (the ``client`` fixture does it),
plus the status codes and ApiCallRc bodies a controller sends."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from linstor_emulator.testing import EmulatorProcess
from openapi_check import SpecChecker, SpecViolation

GIB = 1024 * 1024
MASK_ERROR = 0xC000000000000000
MASK_WARN = 0x8000000000000000
TIE_BREAKER_FLAGS = ["DISKLESS", "DRBD_DISKLESS", "TIE_BREAKER"]


def code(entry: dict) -> int:
    return entry["ret_code"] & 0xFFFFFFFFFFFFFFFF


def kinds(body: list[dict]) -> list[str]:
    names = {MASK_ERROR: "error", MASK_WARN: "warning", 0x4000000000000000: "info", 0: "success"}
    return [names[code(e) & MASK_ERROR] for e in body]


@pytest.fixture(scope="module")
def group(client) -> str:
    reply = client.post("/v1/resource-groups", {"name": "incus", "description": "Resource group managed by Incus",
                                                "select_filter": {"place_count": 2, "storage_pool": "pool1"},
                                                "props": {"DrbdOptions/Resource/on-no-quorum": "suspend-io"}})
    assert reply.status == 201, reply.body
    assert client.post("/v1/resource-groups/incus/volume-groups", {"volume_number": 0}).status == 201
    return "incus"


def spawn(client, group: str, name: str, props: dict | None = None, definitions_only=False):
    return client.post(f"/v1/resource-groups/{group}/spawn", {
        "resource_definition_name": name, "volume_sizes": [GIB], "definitions_only": definitions_only,
        "resource_definition_props": props or {}})


def test_controller_version_nodes_pools(client):
    version = client.get("/v1/controller/version")
    assert version.status == 200 and version.body["rest_api_version"] == "1.28.0"
    nodes = client.get("/v1/nodes").body
    assert [n["name"] for n in nodes] == ["node1", "node2", "node3"]
    pools = client.get("/v1/view/storage-pools").body
    assert {(p["node_name"], p["storage_pool_name"], p["provider_kind"]) for p in pools} >= {
        ("node1", "DfltDisklessStorPool", "DISKLESS"), ("node1", "pool1", "ZFS_THIN")}
    assert all(p["free_capacity"] > 10 * 1024**3 for p in pools if p["provider_kind"] != "DISKLESS")
    assert client.get("/v1/nodes/node2/storage-pools").status == 200
    assert client.get("/v1/nodes/node2").body["name"] == "node2"
    assert client.get("/v1/nodes/node9").status == 404
    assert client.get("/v1/nodes/node9/storage-pools").status == 404


def test_resource_group_lifecycle(client):
    # LINSTOR's REST layer drops the properties of a create ("currently props are not supported on creation")
    assert client.post("/v1/resource-groups", {"name": "tmp-rg", "props": {"Aux/born": "1"}}).status == 201
    assert client.get("/v1/resource-groups/tmp-rg").body.get("props", {}) == {}
    again = client.post("/v1/resource-groups", {"name": "TMP-RG"})
    assert again.status == 500 and kinds(again.body) == ["error"]
    assert client.post("/v1/resource-groups", {"name": "1rg"}).status == 500
    put = client.put("/v1/resource-groups/tmp-rg", {"select_filter": {"place_count": 3},
                                                    "override_props": {"Aux/x": "y"}, "description": "d"})
    assert put.status == 200 and kinds(put.body) == ["success", "success"]  # "Successfully set …", "… modified."
    [rg] = client.get("/v1/resource-groups", resource_groups="tmp-rg").body
    assert rg["select_filter"]["place_count"] == 3 and rg["props"] == {"Aux/x": "y"} and rg["description"] == "d"
    assert client.get("/v1/resource-groups/tmp-rg").body["name"] == "tmp-rg"
    assert client.get("/v1/resource-groups/tmp-rg/volume-groups").body == []
    assert client.post("/v1/resource-groups/tmp-rg/volume-groups", {"volume_number": 1}).status == 201
    assert client.post("/v1/resource-groups/tmp-rg/volume-groups", {"volume_number": 1}).status == 500
    assert client.put("/v1/resource-groups/tmp-rg/volume-groups/1", {"override_props": {"Aux/v": "1"}}).status == 200
    assert client.get("/v1/resource-groups/tmp-rg/volume-groups").body[0]["props"] == {"Aux/v": "1"}
    assert client.put("/v1/resource-groups/tmp-rg/volume-groups/7", {}).status == 404
    assert client.delete("/v1/resource-groups/tmp-rg/volume-groups/1").status == 200
    assert client.put("/v1/resource-groups/ghost", {}).status == 404
    assert client.delete("/v1/resource-groups/tmp-rg").status == 200
    gone = client.delete("/v1/resource-groups/tmp-rg")
    assert gone.status == 200 and kinds(gone.body) == ["warning"]


def test_spawn_and_list_with_props_filters(client, group):
    first = spawn(client, group, "incus-volume-aaaa", {"Aux/Incus/name": "incus-volume-c1",
                                                       "Aux/Incus/type": "containers"})
    assert first.status == 201 and "error" not in kinds(first.body)
    spawn(client, group, "incus-volume-bbbb", {"Aux/Incus/name": "incus-volume-c2", "Aux/Incus/type": "containers"},
          definitions_only=True)
    found = client.get("/v1/resource-definitions", props=["Aux/Incus/name=incus-volume-c1",
                                                           "Aux/Incus/type=containers"]).body
    assert [rd["name"] for rd in found] == ["incus-volume-aaaa"]
    assert found[0]["resource_group_name"] == "incus"
    both = client.get("/v1/resource-definitions", props="Aux/Incus/type", with_volume_definitions="true").body
    assert [rd["name"] for rd in both] == ["incus-volume-aaaa", "incus-volume-bbbb"]
    assert both[0]["volume_definitions"][0]["size_kib"] == GIB
    assert sorted(r["flags"] for r in client.get("/v1/resource-definitions/incus-volume-aaaa/resources").body) == [
        [], [], TIE_BREAKER_FLAGS]
    assert client.get("/v1/resource-definitions/incus-volume-bbbb/resources").body == []
    view = client.get("/v1/view/resources", resources="incus-volume-aaaa").body
    assert sorted(r["volumes"][0]["state"]["disk_state"] for r in view) == ["Diskless", "UpToDate", "UpToDate"]
    assert client.get("/v1/resource-definitions/incus-volume-aaaa/sync-status").body == {"synced_on_all": True}
    single = client.get("/v1/resource-definitions/incus-volume-aaaa")
    assert single.status == 200 and single.body["props"]["Aux/Incus/type"] == "containers"


def test_rd_create_modify_and_errors(client):
    created = client.post("/v1/resource-definitions", {"resource_definition": {"name": "plain-rd"}})
    assert created.status == 201 and kinds(created.body) == ["success"]
    assert created.body[0]["obj_refs"]["RscDfn"] == "plain-rd"
    duplicate = client.post("/v1/resource-definitions", {"resource_definition": {"name": "PLAIN-RD"}})
    assert duplicate.status == 500
    assert code(duplicate.body[0]) == 501 | 0x380000 | 0x1000000 | MASK_ERROR
    assert duplicate.body[0]["ret_code"] < 0  # a signed 64-bit number, as the controller writes it
    invalid = client.post("/v1/resource-definitions", {"resource_definition": {"name": "proxy"}})
    assert invalid.status == 500 and "reserved for DRBD" in invalid.body[0]["cause"]
    modified = client.put("/v1/resource-definitions/plain-rd", {"override_props": {"Aux/a": "1"}})
    assert modified.status == 200
    missing = client.put("/v1/resource-definitions/ghost-rd", {"override_props": {"Aux/a": "1"}})
    assert missing.status == 404 and code(missing.body[0]) & 0x7FFF == 301
    assert client.get("/v1/resource-definitions", resource_definitions="bad name").status == 500
    not_found = client.get("/v1/resource-definitions/ghost-rd")
    assert not_found.status == 404 and not_found.body[0]["message"] == "Resource definition 'ghost-rd' not found."


def test_unparseable_json_is_400(client):
    reply = client.call("POST", "/v1/resource-definitions", raw=b"{not json")
    assert reply.status == 400
    assert reply.body[0]["message"] == "Unable to parse input json."
    assert code(reply.body[0]) == 0x0FFFFFFFFFFFFFFD | MASK_ERROR


@pytest.mark.parametrize("body", [
    {"resource_definition": {"name": "typo-rd"}, "drbd_prot": 7000},  # a field the controller does not know
    {"resource_definition": {"name": "typo-rd", "propz": {}}},
    {"resource_definition": "typo-rd"},  # wrong type
    {"resource_definition": {"name": "typo-rd", "props": ["Aux/a"]}},
    {"resource_definition": {"name": "typo-rd"}, "drbd_port": "seven"},
    ["typo-rd"],
])
def test_bodies_are_read_as_the_controller_reads_them(client, body):
    reply = client.post("/v1/resource-definitions", body)
    assert reply.status == 400, reply.body
    assert reply.body[0]["message"] == "Unable to parse input json."
    assert client.get("/v1/resource-definitions", resource_definitions="typo-rd").body == []


def test_scalars_are_coerced_like_jackson(client):
    reply = client.post("/v1/resource-definitions", {"resource_definition": {"name": "coerced-rd",
                                                                              "props": {"Aux/n": 1, "Aux/b": True}}})
    assert reply.status == 201
    assert client.get("/v1/resource-definitions/coerced-rd").body["props"] == {"Aux/n": "1", "Aux/b": "true"}
    sized = client.post("/v1/resource-definitions/coerced-rd/volume-definitions",
                        {"volume_definition": {"size_kib": "4096"}})
    assert sized.status == 201
    assert client.get("/v1/resource-definitions/coerced-rd/volume-definitions").body[0]["size_kib"] == 4096


def test_volume_definitions(client):
    client.post("/v1/resource-definitions", {"resource_definition": {"name": "vd-rd"}})
    assert client.post("/v1/resource-definitions/vd-rd/volume-definitions",
                       {"volume_definition": {"size_kib": 4096}}).status == 201
    assert client.put("/v1/resource-definitions/vd-rd/volume-definitions/0", {"size_kib": 8192}).status == 200
    assert client.get("/v1/resource-definitions/vd-rd/volume-definitions").body[0]["size_kib"] == 8192
    assert client.get("/v1/resource-definitions/vd-rd/volume-definitions/0").status == 200
    bad = client.post("/v1/resource-definitions/vd-rd/volume-definitions", {"volume_definition": {"size_kib": 1}})
    assert bad.status == 500
    assert client.put("/v1/resource-definitions/vd-rd/volume-definitions/5", {"size_kib": 8192}).status == 404
    assert client.delete("/v1/resource-definitions/vd-rd/volume-definitions/0").status == 200
    assert client.get("/v1/resource-definitions/vd-rd/volume-definitions").body == []


def test_resources_autoplace_and_not_enough_nodes(client):
    client.post("/v1/resource-definitions", {"resource_definition": {"name": "ap-rd"}})
    client.post("/v1/resource-definitions/ap-rd/volume-definitions", {"volume_definition": {"size_kib": GIB}})
    too_many = client.post("/v1/resource-definitions/ap-rd/autoplace", {"select_filter": {"place_count": 4}})
    assert too_many.status == 500 and too_many.body[0]["message"] == "Not enough available nodes"
    assert code(too_many.body[0]) == 996 | 0x340000 | 0x1000000 | MASK_ERROR
    placed = client.post("/v1/resource-definitions/ap-rd/autoplace", {"select_filter": {"place_count": 2}})
    assert placed.status == 201
    again = client.post("/v1/resource-definitions/ap-rd/autoplace", {"select_filter": {"place_count": 2}})
    assert again.status == 201 and kinds(again.body) == ["warning"]
    listed = client.get("/v1/resource-definitions/ap-rd/resources").body
    [spare] = [r["node_name"] for r in listed if "TIE_BREAKER" in r["flags"]]  # two disks: a tie-breaker
    assert client.get(f"/v1/resource-definitions/ap-rd/resources/{spare}").body["flags"] == TIE_BREAKER_FLAGS
    assert client.get(f"/v1/resource-definitions/ap-rd/resources/{spare}/volumes").status == 200
    modified = client.put(f"/v1/resource-definitions/ap-rd/resources/{spare}", {"override_props": {"Aux/r": "1"}})
    assert modified.status == 200
    assert client.get("/v1/view/resources", props="Aux/r=1").body[0]["node_name"] == spare
    deleted = client.delete(f"/v1/resource-definitions/ap-rd/resources/{spare}")
    assert deleted.status == 200 and kinds(deleted.body) == ["info", "success", "info"]
    # two disks alone: auto-quorum turns DRBD quorum off
    assert deleted.body[2]["message"] == ("Resource-definition property 'DrbdOptions/Resource/quorum' was removed as "
                                          "there are not enough resources for quorum")
    assert client.get("/v1/resource-definitions/ap-rd").body["props"]["DrbdOptions/auto-add-quorum-tiebreaker"] == \
        "false"
    assert kinds(client.delete(f"/v1/resource-definitions/ap-rd/resources/{spare}").body) == ["warning"]
    assert client.post("/v1/resource-definitions/ghost/autoplace", {"select_filter": {}}).status == 404
    assert client.post("/v1/resource-definitions/ap-rd/resources",
                       [{"resource": {"node_name": spare}}]).status == 201


def test_snapshots_rollback_restore_and_delete(client, group):
    spawn(client, group, "snap-rd")
    assert client.post("/v1/resource-definitions/snap-rd/snapshots", {"name": "s1"}).status == 201
    client.put("/v1/resource-definitions/snap-rd/volume-definitions/0", {"size_kib": 2 * GIB})
    assert client.post("/v1/resource-definitions/snap-rd/snapshots", {"name": "s2", "nodes": []}).status == 201
    listed = client.get("/v1/resource-definitions/snap-rd/snapshots").body
    assert [s["name"] for s in listed] == ["s1", "s2"]
    one = client.get("/v1/resource-definitions/snap-rd/snapshots/s1").body
    assert one["volume_definitions"][0]["size_kib"] == GIB
    view = client.get("/v1/view/snapshots", resources="snap-rd").body
    assert all(n["create_timestamp"] > 0 for s in view for n in s["snapshots"])
    old = client.post("/v1/resource-definitions/snap-rd/snapshot-rollback/s1", {})
    assert old.status == 500 and old.body[0]["message"] == "Rollback is only allowed with the most recent snapshot"
    assert client.post("/v1/resource-definitions/snap-rd/snapshot-rollback/s2", {}).status == 200
    assert client.post("/v1/resource-definitions/snap-rd/snapshot-rollback/nope", {}).status == 404

    client.post("/v1/resource-definitions", {"resource_definition": {"name": "restored-rd",
                                                                      "resource_group_name": group}})
    vd = client.post("/v1/resource-definitions/snap-rd/snapshot-restore-volume-definition/s1",
                     {"to_resource": "restored-rd"})
    assert vd.status == 200
    rsc = client.post("/v1/resource-definitions/snap-rd/snapshot-restore-resource/s1", {"to_resource": "restored-rd"})
    assert rsc.status == 200
    assert sorted(r["flags"] for r in client.get("/v1/resource-definitions/restored-rd/resources").body) == [
        [], [], TIE_BREAKER_FLAGS]

    refused = client.delete("/v1/resource-definitions/snap-rd")
    assert refused.status == 500
    assert refused.body[0]["message"] == "Cannot delete resource definition 'snap-rd' because it has snapshots."
    assert code(refused.body[0]) == 514 | 0x380000 | 0x3000000 | MASK_ERROR
    for name in ("s1", "s2"):
        assert client.delete(f"/v1/resource-definitions/snap-rd/snapshots/{name}").status == 200
    assert kinds(client.delete("/v1/resource-definitions/snap-rd/snapshots/s1").body) == ["warning"]
    assert client.delete("/v1/resource-definitions/snap-rd").status == 200
    missing = client.delete("/v1/resource-definitions/snap-rd")
    assert missing.status == 200 and kinds(missing.body) == ["warning"]
    assert code(missing.body[0]) == 3000 | 0x380000 | 0x3000000 | MASK_WARN


def test_clone_and_status(client, group):
    spawn(client, group, "clone-src", {"Aux/Incus/name": "incus-volume-a", "Aux/Incus/snapshot-name/s": "x"})
    started = client.post("/v1/resource-definitions/clone-src/clone",
                          {"name": "clone-dst", "override_props": {"Aux/Incus/name": "incus-volume-b"},
                           "delete_namespaces": ["Aux/Incus/snapshot-name"]})
    assert started.status == 201
    assert started.body["location"] == "/v1/resource-definitions/clone-src/clone/clone-dst"
    assert "error" not in kinds(started.body["messages"])
    status = client.get("/v1/resource-definitions/clone-src/clone/clone-dst")
    assert status.status == 200 and status.body == {"status": "COMPLETE"}
    props = client.get("/v1/resource-definitions/clone-dst").body["props"]
    assert props == {"Aux/Incus/name": "incus-volume-b", "cloned-from": "clone-src",
                     "DrbdOptions/Resource/quorum": "majority"}  # the source's, from its auto-quorum
    assert client.get("/v1/resource-definitions/clone-src/clone/nothing").status == 404
    # from LINSTOR 1.32.2 a clone failing in its transaction answers 500 with the clone-started object
    again = client.post("/v1/resource-definitions/clone-src/clone", {"name": "clone-dst"})
    assert again.status == 500 and again.body["clone_name"] == "clone-dst"
    assert "error" in kinds(again.body["messages"])
    # a missing source fails before it: a plain error reply
    missing = client.post("/v1/resource-definitions/nothing/clone", {"name": "x-dst"})
    assert missing.status == 404 and isinstance(missing.body, list)


@pytest.mark.parametrize(("version", "status"), [("1.32.0", 201), ("1.33.0", 404)])
def test_a_clone_of_a_missing_source_answers_as_the_release_did(tmp_path, spec_client_for, version, status):
    """Before 1.33 the source is looked up inside the clone's transaction: its error comes in the clone-started
    object (HTTP 201 before 1.32.2); from 1.33 before it, as a plain error reply (404)."""
    with EmulatorProcess(tmp_path / "state.sqlite3", extra=("--linstor-version", version)) as emulator:
        reply = spec_client_for(emulator.url).post("/v1/resource-definitions/nothing/clone", {"name": "x-dst"})
    assert reply.status == status
    messages = reply.body["messages"] if isinstance(reply.body, dict) else reply.body
    assert "error" in kinds(messages)
    assert messages[0]["message"].startswith("Resource definition 'nothing' not found")


def test_unknown_path_and_debug_api_hidden(emulator):
    for path in ("/v1/no-such-thing", "/_emulator/nothing"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(emulator.url + path)
        assert info.value.code == 404
        info.value.close()


@pytest.mark.parametrize(("method", "path", "status"), [
    ("OPTIONS", "/v1/resource-definitions", 405), ("OPTIONS", "/v1/query-max-volume-size", 404),
    ("PATCH", "/v1/nodes", 405), ("HEAD", "/v1/no-such-thing", 404)])
def test_every_method_gets_an_apicallrc_reply(emulator, method, path, status):
    """Not the HTML page of Python's HTTP server: a wrong method 405, an unknown path 404, LINSTOR's error list."""
    request = urllib.request.Request(emulator.url + path, method=method)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == status
    assert info.value.headers["Content-Type"] == "application/json"
    body = info.value.read()
    info.value.close()
    if method != "HEAD":
        [entry] = json.loads(body)
        assert entry["ret_code"] < 0 and entry["message"]


def test_head_answers_a_gets_headers_without_its_body(emulator):
    with urllib.request.urlopen(urllib.request.Request(emulator.url + "/v1/nodes", method="HEAD")) as reply:
        assert reply.status == 200 and int(reply.headers["Content-Length"]) > 0
        assert reply.read() == b""


def test_request_log_debug_api(emulator):
    base = emulator.url
    urllib.request.urlopen(urllib.request.Request(base + "/_emulator/requests", method="DELETE")).close()
    request = urllib.request.Request(base + "/v1/resource-definitions?props=Aux/x=1&limit=0", method="GET")
    urllib.request.urlopen(request).close()
    post = urllib.request.Request(base + "/v1/resource-definitions", method="POST",
                                  data=json.dumps({"resource_definition": {"name": "logged-rd"}}).encode())
    urllib.request.urlopen(post).close()
    with urllib.request.urlopen(base + "/_emulator/requests") as reply:
        log = json.load(reply)
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/v1/resource-definitions", 200), ("POST", "/v1/resource-definitions", 201)]
    assert log[0]["query"] == {"props": ["Aux/x=1"], "limit": ["0"]}
    assert log[1]["body"] == {"resource_definition": {"name": "logged-rd"}}


def test_checker_rejects_what_the_spec_does_not_list(spec: SpecChecker):
    with pytest.raises(SpecViolation):  # a 201 where the spec lists 200
        spec.check("PUT", "/v1/resource-definitions/x", 201, [])
    with pytest.raises(SpecViolation):  # a body that is not the listed schema
        spec.check("GET", "/v1/resource-definitions", 200, {"name": "x"})
    with pytest.raises(SpecViolation):  # a 404 whose code is not a not-found code
        spec.check("PUT", "/v1/resource-definitions/x", 404,
                   [{"ret_code": -4611686018373385726, "message": "m"}])
    with pytest.raises(SpecViolation):  # a listed 500 that carries a not-found code (that is a 404)
        spec.check("POST", "/v1/resource-definitions", 500, [{"ret_code": -4611686018406940371, "message": "m"}])
    with pytest.raises(SpecViolation):  # 409 is never a LINSTOR status
        spec.check("DELETE", "/v1/resource-definitions/x", 409, [])


def test_checker_validates_volume_layer_data_by_its_layer_type(spec: SpecChecker):
    def resources(layer: dict) -> list:
        return [{"name": "r", "node_name": "n", "volumes": [{"volume_number": 0, "layer_data_list": [layer]}]}]

    spec.check("GET", "/v1/view/resources", 200, resources({"type": "DRBD", "data": {"device_path": "/dev/drbd1000"}}))
    spec.check("GET", "/v1/view/resources", 200, resources({"type": "STORAGE", "data": {"usable_size_kib": 1}}))
    with pytest.raises(SpecViolation, match="DRBD volume layer data"):
        spec.check("GET", "/v1/view/resources", 200, resources({"type": "DRBD", "data": {"device_path": 5}}))
    with pytest.raises(SpecViolation):  # data must be an object whatever the layer
        spec.check("GET", "/v1/view/resources", 200, resources({"type": "STORAGE", "data": []}))
