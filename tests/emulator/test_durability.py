"""State survives a clean stop (SIGTERM) and a kill (SIGKILL) right after acknowledged writes;
parallel writers all land."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from emulator_process import EmulatorProcess

GIB = 1024 * 1024


def call(base: str, method: str, path: str, body=None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_sigterm_exits_cleanly_and_state_survives_restart(tmp_path):
    state = tmp_path / "state.sqlite3"
    first = EmulatorProcess(state).start()
    try:
        assert call(first.url, "POST", "/v1/resource-groups", {"name": "rg1",
                                                               "select_filter": {"place_count": 2}})[0] == 201
        assert call(first.url, "POST", "/v1/resource-groups/rg1/spawn", {
            "resource_definition_name": "rd1", "volume_sizes": [GIB],
            "resource_definition_props": {"Aux/Incus/name": "incus-volume-c1"}})[0] == 201
        assert call(first.url, "POST", "/v1/resource-definitions/rd1/snapshots", {"name": "s1"})[0] == 201
    finally:
        code = first.stop(signal.SIGTERM)
    assert code == 0
    assert first.stdout_text.startswith(f"linstor-emulator listening on http://127.0.0.1:{first.port}")
    assert first.stdout_text.count("\n") == 1  # one line, then quiet
    assert first.stderr_text == ""

    second = EmulatorProcess(state, port=first.port).start()
    try:
        status, rds = call(second.url, "GET", "/v1/resource-definitions?props=Aux/Incus/name=incus-volume-c1")
        assert status == 200 and [rd["name"] for rd in rds] == ["rd1"]
        assert len(call(second.url, "GET", "/v1/resource-definitions/rd1/resources")[1]) == 2
        assert [s["name"] for s in call(second.url, "GET", "/v1/view/snapshots")[1]] == ["s1"]
    finally:
        assert second.stop(signal.SIGINT) == 0


def test_sigkill_loses_nothing_acknowledged(tmp_path):
    state = tmp_path / "state.sqlite3"
    first = EmulatorProcess(state).start()
    acknowledged = []
    try:
        for index in range(40):
            status, _ = call(first.url, "POST", "/v1/resource-definitions", {
                "resource_definition": {"name": f"rd{index}", "props": {"Aux/n": str(index)}}})
            if status == 201:
                acknowledged.append(f"rd{index}")
        call(first.url, "PUT", "/v1/resource-definitions/rd0", {"override_props": {"Aux/last": "write"}})
    finally:
        first.stop(signal.SIGKILL)
    assert len(acknowledged) == 40

    second = EmulatorProcess(state).start()
    try:
        status, rds = call(second.url, "GET", "/v1/resource-definitions")
        assert status == 200
        assert sorted(rd["name"] for rd in rds) == sorted(acknowledged)
        assert call(second.url, "GET", "/v1/resource-definitions/rd0")[1]["props"]["Aux/last"] == "write"
    finally:
        second.stop()


def test_parallel_creates_all_land_with_unique_ports(emulator):
    def create(index: int) -> int:
        status, _ = call(emulator.url, "POST", "/v1/resource-definitions",
                         {"resource_definition": {"name": f"par-{index}", "props": {"Aux/par": "yes"}}})
        if status == 201:
            call(emulator.url, "POST", f"/v1/resource-definitions/par-{index}/volume-definitions",
                 {"volume_definition": {"size_kib": GIB}})
        return status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(create, range(64)))
    assert statuses == [201] * 64
    status, rds = call(emulator.url, "GET", "/v1/resource-definitions?props=Aux/par=yes&with_volume_definitions=true")
    assert status == 200 and len(rds) == 64
    ports = [rd["layer_data"][0]["data"]["port"] for rd in rds]
    minors = [rd["volume_definitions"][0]["layer_data"][0]["data"]["minor_number"] for rd in rds]
    assert len(set(ports)) == 64 and len(set(minors)) == 64


def test_parallel_creates_of_one_name_make_exactly_one(emulator):
    def create(_: int) -> int:
        return call(emulator.url, "POST", "/v1/resource-definitions", {"resource_definition": {"name": "twin"}})[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(8)))
    assert sorted(statuses) == [201] + [500] * 7


def test_cli_errors_are_one_line_and_exit_2(tmp_path, emulator):
    taken = subprocess.run([sys.executable, "-m", "linstor_emulator", "--port", str(emulator.port),
                            "--state", str(tmp_path / "other.sqlite3")], capture_output=True, text=True, timeout=30)
    assert taken.returncode == 2
    assert taken.stderr.startswith("linstor-emulator: cannot listen on 127.0.0.1:")
    nested = EmulatorProcess(tmp_path / "new" / "dir" / "state.sqlite3").start()  # parent directories are made
    assert nested.stop() == 0
