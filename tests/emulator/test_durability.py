"""State survives a clean stop (SIGTERM), a kill (SIGKILL) right after acknowledged writes, and a
kill in the middle of a burst of parallel creates; parallel writers all land.

The burst test writes its figures to ``.state/figures/durability.json`` (and to the JUnit report
through ``record_property``) for the reliability summary to collect.
"""

from __future__ import annotations

import http.client
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from linstor_emulator.testing import EmulatorProcess

GIB = 1024 * 1024
FIGURES = Path(__file__).resolve().parents[2] / ".state" / "figures" / "durability.json"


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
        flags = sorted(r["flags"] for r in call(second.url, "GET", "/v1/resource-definitions/rd1/resources")[1])
        assert flags == [[], [], ["DISKLESS", "DRBD_DISKLESS", "TIE_BREAKER"]]  # two disks and a tie-breaker
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


def test_parallel_creates_all_land_with_unique_ports(tmp_path):
    """Concurrent creates get distinct ports and minors (a release whose RDs report their port: before 1.32)."""
    with EmulatorProcess(tmp_path / "state.sqlite3", extra=("--linstor-version", "1.31.3")) as emulator:
        _parallel_creates_get_unique_numbers(emulator)


def _parallel_creates_get_unique_numbers(emulator: EmulatorProcess) -> None:
    def create(index: int) -> int:
        status, _ = call(emulator.url, "POST", "/v1/resource-definitions",
                         {"resource_definition": {"name": f"par-{index}", "props": {"Aux/par": "yes"},
                                                   "layer_data": [{"type": "DRBD"}, {"type": "STORAGE"}]}})
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


class BurstWriter(threading.Thread):
    """Creates RDs one after another, each on a new connection, and sorts every name by its outcome:
    ``acknowledged`` (201 received), ``in_flight`` (the connection was made and the request sent, but
    no reply came: the emulator died meanwhile, so the write may or may not have landed) or
    ``refused`` (no connection: nothing reached the emulator). It stops at the first refusal."""

    def __init__(self, port: int, prefix: str):
        super().__init__(daemon=True)
        self.port, self.prefix = port, prefix
        self.acknowledged: list[str] = []
        self.in_flight: list[str] = []
        self.refused: list[str] = []
        self.unexpected: list[tuple[str, int]] = []

    def run(self) -> None:
        index = 0
        while True:
            name = f"{self.prefix}-{index}"
            index += 1
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.connect()
            except OSError:
                self.refused.append(name)
                return
            try:
                conn.request("POST", "/v1/resource-definitions", body=json.dumps(
                    {"resource_definition": {"name": name, "props": {"Aux/burst": "yes"}}}),
                    headers={"Content-Type": "application/json"})
                reply = conn.getresponse()
                reply.read()
            except (OSError, http.client.HTTPException):  # reset, closed without a (whole) reply
                self.in_flight.append(name)
                continue
            finally:
                conn.close()
            if reply.status == 201:
                self.acknowledged.append(name)
            else:
                self.unexpected.append((name, reply.status))


def test_sigkill_mid_burst_keeps_exactly_the_acknowledged_writes(tmp_path, record_property):
    """acknowledged ⊆ present ⊆ acknowledged ∪ in_flight, and no refused name present, over two
    kill-and-restart rounds of 8 writers each; the state file passes SQLite's integrity check."""
    state = tmp_path / "state.sqlite3"
    writers_per_round, rounds = 8, 2
    acknowledged: set[str] = set()
    in_flight: set[str] = set()
    refused: set[str] = set()
    for round_number in range(rounds):
        proc = EmulatorProcess(state).start()
        writers = [BurstWriter(proc.port, f"burst{round_number}w{n}") for n in range(writers_per_round)]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 20
        while sum(len(w.acknowledged) for w in writers) < 150 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.stop(signal.SIGKILL)  # mid-burst: the writers are still sending
        for writer in writers:
            writer.join(30)
            assert not writer.is_alive()
            assert writer.unexpected == []
            acknowledged.update(writer.acknowledged)
            in_flight.update(writer.in_flight)
            refused.update(writer.refused)

    with sqlite3.connect(state) as db:  # opening it recovers the WAL as a restart does
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    assert integrity == "ok"
    proc = EmulatorProcess(state).start()
    try:
        status, rds = call(proc.url, "GET", "/v1/resource-definitions?props=Aux/burst=yes")
    finally:
        proc.stop()
    assert status == 200
    present = {rd["name"] for rd in rds}
    figures = {
        "writers": writers_per_round, "kills": rounds,
        "sent": len(acknowledged) + len(in_flight), "acknowledged": len(acknowledged),
        "reply_lost_in_flight": len(in_flight), "refused_after_kill": len(refused),
        "present": len(present), "present_of_in_flight": len(present & in_flight),
        "lost": len(acknowledged - present), "unexpected": len(present - acknowledged - in_flight),
        "integrity_check": integrity,
    }
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2) + "\n")
    for key, value in figures.items():
        record_property(f"durability.{key}", value)
    assert acknowledged - present == set(), "an acknowledged write was lost"
    assert present - acknowledged - in_flight == set(), "a write that was never sent (or was refused) appeared"
    assert present & refused == set()
    assert figures["lost"] == 0 and len(acknowledged) >= 150 * rounds
