"""Scale: with 10,000 Incus RDs (and 2,000 others) props filters and paging answer right, and a
write does not rewrite the whole state. Times are measured by bench/scale.py, not asserted here."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from linstor_emulator.backend import Backend
from linstor_emulator.testing import EmulatorProcess

INCUS_RDS = 10_000
OTHER_RDS = 2_000


@pytest.fixture(scope="module")
def big_emulator(tmp_path_factory):
    state = tmp_path_factory.mktemp("scale") / "state.sqlite3"
    backend = Backend(state)
    backend.create_resource_group({"name": "incus", "select_filter": {"place_count": 2}})
    backend.create_resource_group({"name": "other", "select_filter": {"place_count": 2}})
    for index in range(INCUS_RDS):
        backend.spawn("incus", {
            "resource_definition_name": f"incus-volume-{index:032x}", "volume_sizes": [1024 * 1024],
            "definitions_only": True,
            "resource_definition_props": {"Aux/Incus/name": f"incus-volume-c{index}", "Aux/Incus/type": "containers",
                                          "Aux/Incus/content-type": "filesystem"}})
    for index in range(OTHER_RDS):
        backend.spawn("other", {"resource_definition_name": f"other-{index}", "volume_sizes": [4096],
                                "definitions_only": True, "resource_definition_props": {"Aux/owner": "someone"}})
    backend.close()
    proc = EmulatorProcess(state).start()
    yield proc
    proc.stop()


def get(base: str, path: str, **params) -> object:
    url = base + path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    with urllib.request.urlopen(url, timeout=60) as reply:
        return json.load(reply)


def test_props_filtered_lookups_over_10000_rds(big_emulator):
    for index in range(0, INCUS_RDS, 997):
        body = get(big_emulator.url, "/v1/resource-definitions",
                   props=[f"Aux/Incus/name=incus-volume-c{index}", "Aux/Incus/type=containers"])
        assert [rd["name"] for rd in body] == [f"incus-volume-{index:032x}"]


def test_presence_filter_and_paging_at_scale(big_emulator):
    body = get(big_emulator.url, "/v1/resource-definitions", props="Aux/owner", limit=50, offset=10)
    assert len(body) == 50 and body[0]["name"] == "other-1006"  # sorted by upper-cased name, as LINSTOR lists them
    body = get(big_emulator.url, "/v1/resource-definitions", props="Aux/Incus/type=containers")
    assert len(body) == INCUS_RDS


def test_a_write_does_not_rewrite_the_state(big_emulator):
    """Each acknowledged write appends a few pages to SQLite's write-ahead log, not a copy of the
    state (how fast that is, is bench/scale.py's business: writes per second)."""
    state = Path(big_emulator.state)
    wal = state.with_name(state.name + "-wal")
    before = wal.stat().st_size if wal.exists() else 0
    writes = 20
    for index in range(writes):
        body = json.dumps({"resource_definition": {"name": f"late-{index}", "props": {"Aux/x": "1"}}}).encode()
        request = urllib.request.Request(big_emulator.url + "/v1/resource-definitions", data=body, method="POST")
        urllib.request.urlopen(request, timeout=30).close()
    per_write = (wal.stat().st_size - before) / writes
    assert 0 < per_write < 256 * 1024, per_write
    assert state.stat().st_size > 20 * per_write, (state.stat().st_size, per_write)
    assert len(get(big_emulator.url, "/v1/resource-definitions", props="Aux/x")) == writes
