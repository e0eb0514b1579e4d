"""LINBIT's python-linstor drives the emulator end to end, through a proxy that checks every
reply against the OpenAPI spec."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openapi_check import SpecChecker, SpecViolation

linstor = pytest.importorskip("linstor")


class ValidatingProxy:
    """Forwards requests to the emulator; checks each reply against the spec; records violations."""

    def __init__(self, target: str, checker: SpecChecker):
        self.violations: list[str] = []
        self.replies = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                request = urllib.request.Request(target + self.path, data=data, method=self.command,
                                                 headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as reply:
                        status, body = reply.status, reply.read()
                except urllib.error.HTTPError as error:
                    status, body = error.code, error.read()
                path = self.path.split("?", 1)[0]
                try:
                    checker.check(self.command, path, status, json.loads(body) if body else None)
                    proxy.replies += 1
                except SpecViolation as exc:
                    proxy.violations.append(str(exc))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def lin(emulator, spec) -> Iterator[tuple[object, ValidatingProxy]]:
    proxy = ValidatingProxy(emulator.url, spec)
    try:
        with linstor.Linstor(f"linstor://127.0.0.1:{proxy.port}", timeout=30) as client:
            yield client, proxy
    finally:
        proxy.close()


def ok(replies) -> list:
    """python-linstor's own verdict: no reply is an error, at least one is a success."""
    replies = replies if isinstance(replies, list) else [replies]
    assert replies, "no reply"
    assert linstor.Linstor.all_api_responses_no_error(replies), [r.message for r in replies if r.is_error()]
    assert any(r.is_success() for r in replies), [r.message for r in replies]
    return replies


def test_python_linstor_end_to_end(lin):
    client, proxy = lin
    assert client.controller_version().rest_api_version == "1.28.0"
    assert [n.name for n in client.node_list_raise().nodes] == ["node1", "node2", "node3"]
    pools = client.storage_pool_list_raise().storage_pools
    assert {p.name for p in pools} == {"DfltDisklessStorPool", "pool1"}

    ok(client.resource_group_create("e2e-rg", place_count=2, storage_pool="pool1",
                                    description="Resource group managed by Incus"))
    ok(client.volume_group_create("e2e-rg"))
    ok(client.resource_group_spawn("e2e-rg", "e2e-vol1", ["64MiB"]))
    ok(client.resource_group_spawn("e2e-rg", "e2e-vol2", ["64MiB"], definitions_only=True))
    ok(client.resource_dfn_modify("e2e-vol1", {"Aux/Incus/name": "incus-volume-c1",
                                               "Aux/Incus/type": "containers"}, []))
    ok(client.resource_dfn_modify("e2e-vol2", {"Aux/Incus/name": "incus-volume-c2",
                                               "Aux/Incus/type": "containers"}, []))

    found = client.resource_dfn_list_raise(filter_by_props=["Aux/Incus/name=incus-volume-c1",
                                                            "Aux/Incus/type=containers"])
    assert [rd.name for rd in found.resource_definitions] == ["e2e-vol1"]
    typed = client.resource_dfn_list_raise(filter_by_props=["Aux/Incus/type"])
    assert {rd.name for rd in typed.resource_definitions} >= {"e2e-vol1", "e2e-vol2"}

    resources = client.resource_list_raise(filter_by_resources=["e2e-vol1"]).resources
    # two disks, and the diskless tie-breaker that LINSTOR's auto-tiebreaker adds on the third node
    assert sorted(resource.flags for resource in resources) == [[], [], ["DISKLESS", "DRBD_DISKLESS", "TIE_BREAKER"]]
    # What `linstor volume list` reads: each volume's layer data and its replication to the other nodes.
    placed = client.volume_list_raise(filter_by_resources=["e2e-vol1"]).resources
    assert sorted(resource.node_name for resource in placed) == sorted(r.node_name for r in resources)
    for resource in placed:
        [volume] = resource.volumes
        disk = "TIE_BREAKER" not in resource.flags
        assert volume.usable_size == 64 * 1024 and volume.drbd_data.device_path == volume.device_path
        assert volume.storage_data.data_v0["usable_size_kib"] == (64 * 1024 if disk else 0)
        peers = {other.node_name for other in placed} - {resource.node_name}
        states = {node: state.replication_state for node, state in volume.state.replication_states.items()}
        assert states == dict.fromkeys(peers, "Established")

    ok(client.snapshot_create(None, "e2e-vol1", "snap1"))
    ok(client.snapshot_create(None, "e2e-vol1", "snap2"))
    snaps = client.snapshot_dfn_list_raise(filter_by_resources=["e2e-vol1"]).snapshots
    assert [s.name for s in snaps] == ["snap1", "snap2"]
    older = client.snapshot_rollback("e2e-vol1", "snap1")
    assert older[0].is_error()  # LINSTOR rolls back only to the most recent snapshot
    ok(client.snapshot_rollback("e2e-vol1", "snap2"))

    started = client.resource_dfn_clone("e2e-vol1", "e2e-copy", property_dict={"Aux/Incus/name": "incus-volume-c3"},
                                        delete_props=["Aux/Incus/type"])
    ok(started.messages)
    assert client.resource_dfn_clone_wait_complete("e2e-vol1", "e2e-copy", wait_interval=0.1, timeout=10)
    copy = client.resource_dfn_list_raise(filter_by_resource_definitions=["e2e-copy"]).resource_definitions[0]
    assert copy.properties == {"Aux/Incus/name": "incus-volume-c3", "cloned-from": "e2e-vol1",
                               "DrbdOptions/Resource/quorum": "majority"}  # the source's, from its auto-quorum

    refused = client.resource_dfn_delete("e2e-vol1")
    assert refused[0].is_error() and "because it has snapshots" in refused[0].message
    for snap in ("snap2", "snap1"):
        ok(client.snapshot_delete("e2e-vol1", snap))
    for name in ("e2e-vol1", "e2e-vol2", "e2e-copy"):
        ok(client.resource_dfn_delete(name))
    missing = client.resource_dfn_delete("e2e-vol1")
    assert missing[0].is_warning() and not missing[0].is_error()
    ok(client.resource_group_delete("e2e-rg"))

    assert proxy.violations == []
    assert proxy.replies > 20


def test_python_linstor_meets_the_property_whitelist(lin):
    client, proxy = lin
    ok(client.resource_group_create("wl-rg", property_dict={"DrbdOptions/Resource/on-no-quorum": "suspend-io"}))
    refused = client.resource_group_modify("wl-rg", property_dict={"DrbdOptions/Resource/no-such-option": "1"})
    assert refused[0].is_error() and refused[0].message == "Invalid property key"
    ok(client.resource_dfn_create("wl-rd", resource_group="wl-rg"))
    refused = client.resource_dfn_modify("wl-rd", {"Aux/fine": "1", "NoSuchKey": "1"})
    assert refused[0].is_error() and refused[0].cause == "The key 'NoSuchKey' is not whitelisted."
    refused = client.resource_dfn_modify("wl-rd", {"DrbdOptions/Net/max-buffers": "8"})
    assert refused[0].is_error() and refused[0].message == "Invalid property value"
    ok(client.resource_dfn_modify("wl-rd", {"Aux/fine": "1", "DrbdOptions/Net/max-buffers": "8000",
                                            "DrbdOptions/Net/allow-two-primaries": "YES"}))
    rd = client.resource_dfn_list_raise(filter_by_resource_definitions=["wl-rd"]).resource_definitions[0]
    assert rd.properties == {"Aux/fine": "1", "DrbdOptions/Net/max-buffers": "8000",
                             "DrbdOptions/Net/allow-two-primaries": "yes"}
    ok(client.resource_dfn_delete("wl-rd"))
    ok(client.resource_group_delete("wl-rg"))
    assert proxy.violations == []


def test_python_linstor_reads_and_writes_the_controller_properties(lin):
    client, proxy = lin
    [listing] = client.controller_props()
    assert listing.data_v1["DrbdOptions/auto-add-quorum-tiebreaker"] == "True"
    ok(client.controller_set_prop("Aux/e2e", "1"))
    refused = client.controller_set_prop("NoSuchKey", "1")
    assert refused[0].is_error() and refused[0].message == "The key 'NoSuchKey' is not whitelisted"
    assert client.controller_props()[0].data_v1["Aux/e2e"] == "1"
    ok(client.controller_del_prop("Aux/e2e"))
    assert "Aux/e2e" not in client.controller_props()[0].data_v1
    assert proxy.violations == []


def test_python_linstor_reads_an_offline_satellite(lin, emulator):
    """Through the spec-checking proxy: a node taken offline with the debug API lists OFFLINE, its storage pools
    carry the not-connected report and no capacity, a snapshot leaves its disk out with LINSTOR's warning, the
    resource there reports no state, a rollback is refused, a snapshot delete warns and goes at once, and an RD's
    delete waits for the satellite (flag DELETE) until it is connected again."""
    client, proxy = lin
    ok(client.resource_group_create("off-rg", place_count=2, storage_pool="pool1"))
    ok(client.volume_group_create("off-rg"))
    ok(client.resource_group_spawn("off-rg", "off-vol", ["64MiB"]))
    [down, up] = sorted(r.node_name for r in client.resource_list_raise(filter_by_resources=["off-vol"]).resources
                        if "DISKLESS" not in r.flags)
    emulator.debug.set_connection(down, False)
    try:
        statuses = {node.name: node.connection_status for node in client.node_list_raise().nodes}
        assert statuses[down] == "OFFLINE" and statuses[up] == "ONLINE"
        [pool] = client.storage_pool_list_raise(filter_by_nodes=[down], filter_by_stor_pools=["pool1"]).storage_pools
        assert pool.free_space is None and pool.reports[0].message == f"No active connection to satellite '{down}'"
        assert pool.reports[0].is_warning()
        replies = ok(client.snapshot_create(None, "off-vol", "snap1", async_msg=False))
        assert any(r.is_warning() and f"on node '{down}' because that node is currently offline" in r.message
                   for r in replies)
        [snapshot] = client.snapshot_dfn_list_raise(filter_by_resources=["off-vol"]).snapshots
        assert snapshot.nodes == [up]
        ok(client.snapshot_create(None, "off-vol", "snap2", async_msg=False))
        [on_down] = [r for r in client.volume_list_raise(filter_by_resources=["off-vol"]).resources
                     if r.node_name == down]
        assert on_down.volumes[0].state.disk_state is None  # what `linstor volume list` shows as Unknown
        [refusal] = client.snapshot_rollback("off-vol", "snap2")
        assert refusal.is_error() and refusal.message == f"No active connection to satellite '{down}'."
        emulator.debug.set_connection(up, False)  # snap1 is on this node only
        replies = ok(client.snapshot_delete("off-vol", "snap1"))
        assert any(r.is_warning() and r.message == f"No active connection to satellite '{up}'" for r in replies)
        assert [s.name for s in client.snapshot_dfn_list_raise(filter_by_resources=["off-vol"]).snapshots] == ["snap2"]
        emulator.debug.set_connection(up, True)
        ok(client.snapshot_delete("off-vol", "snap2"))
        replies = ok(client.resource_dfn_delete("off-vol"))
        assert any(r.is_warning() and r.message == f"No active connection to satellite '{down}'" for r in replies)
        assert client.resource_dfn_list_raise(filter_by_resource_definitions=["off-vol"]).resource_definitions[
            0].flags == ["DELETE"]
        assert proxy.violations == []
    finally:
        emulator.debug.set_connection(down, True)
    assert client.resource_dfn_list_raise(filter_by_resource_definitions=["off-vol"]).resource_definitions == []
