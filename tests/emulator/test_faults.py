"""Fault injection (debug API): each action does what it says to the state and to the connection,
nth/times count as documented, the request log records faulted requests, the log is bounded."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from linstor_emulator import errors as rc
from linstor_emulator import rest
from linstor_emulator.backend import Backend
from linstor_emulator.testing import DebugApi, EmulatorProcess

RD_LIST = "/v1/resource-definitions"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(tmp_path_factory.mktemp("faults") / "state.sqlite3") as proc:
        yield proc


@pytest.fixture
def debug(served: EmulatorProcess) -> Iterator[DebugApi]:
    api = served.debug
    api.clear_faults()
    api.clear_requests()
    yield api
    api.clear_faults()


def send(proc: EmulatorProcess, method: str, path: str, body=None, timeout: float = 10) -> tuple[int, object]:
    """One request on a fresh connection; raises what http.client raises when there is no reply."""
    conn = http.client.HTTPConnection("127.0.0.1", proc.port, timeout=timeout)
    try:
        data = json.dumps(body) if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        text = reply.read()
        return reply.status, json.loads(text) if text else None
    finally:
        conn.close()


def create_rd(proc: EmulatorProcess, name: str, timeout: float = 10) -> tuple[int, object]:
    return send(proc, "POST", RD_LIST, {"resource_definition": {"name": name}}, timeout)


def rd_exists(proc: EmulatorProcess, name: str) -> bool:
    status, _ = send(proc, "GET", f"{RD_LIST}/{name}")
    assert status in (200, 404)
    return status == 200


def test_error_fails_before_the_write_with_an_apicallrc(served, debug) -> None:
    fault = debug.add_fault("error", RD_LIST, "POST")
    assert fault["id"] >= 1 and fault["ret_code"] == rc.to_signed64(rc.FAIL_UNKNOWN_ERROR)
    status, body = create_rd(served, "fault-error")
    assert status == 500
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["ret_code"] == rc.to_signed64(rc.FAIL_UNKNOWN_ERROR) < 0
    assert body[0]["message"] and f"fault {fault['id']}" in body[0]["cause"]
    assert not rd_exists(served, "fault-error")
    assert create_rd(served, "fault-error")[0] == 201, "times defaults to 1: the next request passes"
    log = [entry for entry in debug.requests() if entry["method"] == "POST"]
    assert [(e["status"], e["fault"]) for e in log] == [(500, {"id": fault["id"], "action": "error"}), (201, None)]


def test_error_with_a_chosen_code_and_message(served, debug) -> None:
    debug.add_fault("error", RD_LIST + "/[^/]+", "PUT", ret_code=rc.FAIL_NOT_FOUND_RSC_DFN & 0x7FFF,
                    message="Resource definition 'x' not found.", cause="")
    assert create_rd(served, "fault-code")[0] == 201
    status, body = send(served, "PUT", f"{RD_LIST}/fault-code", {"override_props": {"Aux/a": "1"}})
    assert status == 404, "the status follows from the ret_code, as ApiCallRcRestUtils decides it"
    assert body[0]["ret_code"] == rc.to_signed64(rc.FAIL_NOT_FOUND_RSC_DFN)
    assert body[0]["message"] == "Resource definition 'x' not found." and "cause" not in body[0]
    assert "Aux/a" not in send(served, "GET", f"{RD_LIST}/fault-code")[1]["props"]


def test_drop_before_closes_without_reply_and_writes_nothing(served, debug) -> None:
    fault = debug.add_fault("drop_before", RD_LIST, "POST")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        create_rd(served, "fault-drop-before")
    assert not rd_exists(served, "fault-drop-before")
    entry = [e for e in debug.requests() if e["method"] == "POST"][0]
    assert entry["status"] is None and entry["fault"] == {"id": fault["id"], "action": "drop_before"}


def test_drop_after_applies_and_commits_then_closes_without_reply(served, debug) -> None:
    debug.add_fault("drop_after", RD_LIST, "POST")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        create_rd(served, "fault-drop-after")
    assert rd_exists(served, "fault-drop-after"), "the write landed although the client saw no reply"
    entry = [e for e in debug.requests() if e["method"] == "POST"][0]
    assert entry["status"] == 201 and entry["fault"]["action"] == "drop_after"
    status, body = create_rd(served, "fault-drop-after")
    assert status == 500 and body[0]["ret_code"] & 0x7FFF == rc.FAIL_EXISTS_RSC_DFN & 0x7FFF, \
        "a client that repeats the POST meets its own write"


def test_delay_applies_the_write_and_answers_late(served, debug) -> None:
    debug.add_fault("delay", RD_LIST, "POST", delay_seconds=1.5, times=2)
    started = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout)):
        create_rd(served, "fault-delay", timeout=0.3)
    assert time.monotonic() - started < 1.2
    assert rd_exists(served, "fault-delay"), "applied before the wait: the client's timeout fired after the write"
    started = time.monotonic()
    status, body = create_rd(served, "fault-delay-2", timeout=10)
    assert status == 201 and time.monotonic() - started >= 1.4
    assert body[0]["message"]


def flags_listed(proc: EmulatorProcess, name: str) -> tuple[list[str], list[list[str]]] | None:
    """The RD's flags and its resources' flags, as the listings show them; None when the RD is not listed."""
    listed = [rd for rd in send(proc, "GET", RD_LIST)[1] if rd["name"] == name]
    if not listed:
        return None
    resources = send(proc, "GET", f"/v1/view/resources?resources={name}")[1]
    return listed[0]["flags"], [resource["flags"] for resource in resources]


def test_deleting_lists_the_rd_as_being_deleted_then_deletes_it(served, debug) -> None:
    assert create_rd(served, "fault-deleting")[0] == 201
    assert send(served, "POST", f"{RD_LIST}/fault-deleting/volume-definitions",
                {"volume_definition": {"size_kib": 65536}})[0] == 201
    # three disks: no tie-breaker
    assert send(served, "POST", f"{RD_LIST}/fault-deleting/autoplace", {"select_filter": {"place_count": 3}})[0] == 201
    assert flags_listed(served, "fault-deleting") == ([], [[], [], []])
    debug.add_fault("deleting", f"{RD_LIST}/[^/]+", "DELETE", delay_seconds=2.0)
    replies: list[tuple[int, object]] = []
    deleter = threading.Thread(target=lambda: replies.append(send(served, "DELETE", f"{RD_LIST}/fault-deleting")))
    started = time.monotonic()
    deleter.start()
    deadline = time.monotonic() + 1.5
    while flags_listed(served, "fault-deleting") == ([], [[], [], []]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flags_listed(served, "fault-deleting") == (["DELETE"], [["DELETE"], ["DELETE"], ["DELETE"]]), \
        "listed, flagged, while the satellites would remove the resources"
    assert deleter.is_alive(), "not answered before the delete is carried out"
    deleter.join(timeout=10)
    status, body = replies[0]
    assert status == 200 and body[0]["ret_code"] & rc.MASK_DEL and time.monotonic() - started >= 1.9
    assert flags_listed(served, "fault-deleting") is None


def test_deleting_answers_a_refused_delete_at_once_and_flags_nothing(served, debug) -> None:
    assert create_rd(served, "fault-deleting-snap")[0] == 201
    assert send(served, "POST", f"{RD_LIST}/fault-deleting-snap/volume-definitions",
                {"volume_definition": {"size_kib": 65536}})[0] == 201
    assert send(served, "POST", f"{RD_LIST}/fault-deleting-snap/autoplace", {})[0] == 201
    assert send(served, "POST", f"{RD_LIST}/fault-deleting-snap/snapshots", {"name": "s1"})[0] == 201
    debug.add_fault("deleting", f"{RD_LIST}/[^/]+", "DELETE", delay_seconds=5.0)
    started = time.monotonic()
    status, body = send(served, "DELETE", f"{RD_LIST}/fault-deleting-snap")
    assert status == 500 and body[0]["ret_code"] & 0x7FFF == rc.FAIL_EXISTS_SNAPSHOT_DFN & 0x7FFF
    assert time.monotonic() - started < 2
    assert flags_listed(served, "fault-deleting-snap")[0] == []


def test_nth_and_times_count_matching_requests_only(served, debug) -> None:
    fault = debug.add_fault("error", "/v1/controller/version", "GET", nth=3, times=2)
    statuses = []
    for _ in range(6):
        send(served, "GET", "/v1/nodes")  # does not match the path: not counted
        statuses.append(send(served, "GET", "/v1/controller/version")[0])
        send(served, "POST", "/v1/controller/version", {})  # does not match the method: not counted
    assert statuses == [200, 200, 500, 500, 200, 200]
    listed = debug.faults()
    assert listed == [{**fault, "seen": 6, "fired": 2, "exhausted": True}]
    faulted = [e for e in debug.requests() if e["fault"]]
    assert [(e["method"], e["path"], e["status"]) for e in faulted] == [("GET", "/v1/controller/version", 500)] * 2


def test_times_zero_faults_every_request_from_the_nth(served, debug) -> None:
    debug.add_fault("error", "/v1/nodes(/.*)?", nth=2, times=0)
    statuses = [send(served, "GET", path)[0] for path in ("/v1/nodes", "/v1/nodes/node1", "/v1/nodes", "/v1/nodes")]
    assert statuses == [200, 500, 500, 500]
    assert debug.faults()[0]["exhausted"] is False
    debug.clear_faults()
    assert send(served, "GET", "/v1/nodes")[0] == 200
    assert debug.faults() == []


def test_path_is_a_whole_match_and_the_earliest_due_fault_fires(served, debug) -> None:
    first = debug.add_fault("error", RD_LIST, "POST", message="first")
    second = debug.add_fault("error", "/v1/resource-.*", "*", message="second", times=2)
    assert send(served, "GET", f"{RD_LIST}/none")[1][0]["message"] == "second"  # not RD_LIST: first ignores it
    assert create_rd(served, "fault-order")[1][0]["message"] == "first"
    assert create_rd(served, "fault-order")[0] == 201  # second saw it as its 3rd: outside its window
    by_id = {f["id"]: f for f in debug.faults()}
    assert (by_id[first["id"]]["fired"], by_id[second["id"]]["seen"], by_id[second["id"]]["fired"]) == (1, 3, 1)


def test_one_fault_can_be_removed(served, debug) -> None:
    kept = debug.add_fault("error", "/v1/nodes")
    gone = debug.add_fault("error", "/v1/controller/version")
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("DELETE", f"/_emulator/faults/{gone['id']}")
    assert conn.getresponse().status == 200
    conn.close()
    assert [f["id"] for f in debug.faults()] == [kept["id"]]
    assert send(served, "GET", "/v1/controller/version")[0] == 200


@pytest.mark.parametrize("spec", [
    {"action": "explode"},
    {"action": "error", "pth": "/v1/nodes"},
    {"action": "error", "path": "/v1/(nodes"},
    {"action": "error", "nth": 0},
    {"action": "error", "times": -1},
    {"action": "delay"},
    {"action": "deleting", "method": "DELETE"},
    {"action": "deleting", "method": "GET", "delay_seconds": 1},
    {"action": "error", "ret_code": rc.to_signed64(rc.WARN_NOT_FOUND)},
    {"action": "error", "message": ""},
    ["not", "an", "object"],
])
def test_bad_fault_specs_are_refused(served, debug, spec) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("POST", "/_emulator/faults", body=json.dumps(spec))
    reply = conn.getresponse()
    body = json.loads(reply.read())
    conn.close()
    assert reply.status == 400 and body["error"].startswith("bad fault:")
    assert debug.faults() == []


def test_faults_and_log_need_the_debug_api(tmp_path) -> None:
    with EmulatorProcess(tmp_path / "state.sqlite3", debug_api=False) as proc:
        for method, path in (("GET", "/_emulator/faults"), ("POST", "/_emulator/faults"),
                             ("DELETE", "/_emulator/faults"), ("GET", "/_emulator/requests")):
            assert send(proc, method, path, {"action": "error"} if method == "POST" else None)[0] == 404
        assert send(proc, "GET", "/v1/controller/version")[0] == 200


def test_the_request_log_keeps_the_most_recent_entries(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(rest, "REQUEST_LOG_LIMIT", 5)
    backend = Backend(tmp_path / "state.sqlite3")
    try:
        api = rest.Api(backend, debug_api=True)
        for index in range(8):
            api.dispatch("GET", f"/v1/nodes?n={index}", b"")
        assert [entry["query"]["n"] for entry in api.request_log()] == [[str(i)] for i in range(3, 8)]
    finally:
        backend.close()


class _LockNotToTake:
    def __enter__(self):
        raise AssertionError("the fault table was locked although no fault is set")

    def __exit__(self, *exc_info):
        return False


def test_no_fault_set_costs_one_truth_test(tmp_path) -> None:
    """Every request passes through match(): with no fault set it neither locks nor walks the rules."""
    backend = Backend(tmp_path / "state.sqlite3")
    try:
        api = rest.Api(backend, debug_api=True)
        api.faults._lock = _LockNotToTake()
        assert api.faults.match("GET", "/v1/resource-definitions") is None
        with pytest.raises(AssertionError, match="locked although"):
            api.faults.add({"action": "error", "path": "/v1/nodes"})
    finally:
        backend.close()
