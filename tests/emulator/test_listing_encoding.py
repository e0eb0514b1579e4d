"""The RD list the REST route sends (``list_resource_definitions_json``, JSON written by SQLite) is
byte for byte ``json.dumps`` of the backend's list of dicts, whatever the RDs hold."""

from __future__ import annotations

import itertools
import json
import sqlite3
from contextlib import closing

import pytest
from linstor_emulator.backend import Backend

GIB = 1024 * 1024

AWKWARD = ["plain", "", 'quote " and \\ backslash / slash', "tab\tnew\nline\rcr\x08\x0c", "\x01\x1f control",
           "\x00nul", "del \x7f", "é accented", "😀 astral", "\u2028 line separator", "%s %d %% format"]


def listed(backend: Backend, **kwargs) -> bytes:
    return json.dumps(backend.list_resource_definitions(**kwargs)).encode()


@pytest.fixture
def varied(backend: Backend) -> Backend:
    for index, value in enumerate(AWKWARD):
        backend.create_resource_definition({"resource_definition": {
            "name": f"rd-{index}", "props": {"Aux/value": value, "Aux/index": str(index), "Aux/kind": "awkward"}}})
        backend.create_volume_definition(f"rd-{index}", {"volume_definition": {
            "size_kib": GIB, "props": {"Aux/vd": value}}})
    for name in ("a_b", "aab", "Abc", "a-b", "ZZ", "zy"):  # upper-case order: '-' < letters < '_'
        backend.create_resource_definition({"resource_definition": {"name": name}})
    for number in (2, 0, 5):
        backend.create_volume_definition("aab", {"volume_definition": {"volume_number": number, "size_kib": 4096}})
    backend.modify_volume_definition("aab", 5, {"flags": ["RESIZE", "GROSS_SIZE"]})
    backend.modify_volume_definition("aab", 2, {"override_props": {"Aux/b": "1", "Aux/a": "2"}})
    for name, layers in (("storage-only", ["STORAGE"]), ("luks", ["DRBD", "LUKS", "STORAGE"]),
                         ("storage-drbd", ["STORAGE", "DRBD"])):
        backend.create_resource_definition({"resource_definition": {
            "name": name, "layer_data": [{"type": layer} for layer in layers], "props": {"Aux/kind": "layers"}}})
        backend.create_volume_definition(name, {"volume_definition": {"size_kib": GIB}})
    with backend._lock:  # no REST call sets RD flags: write some, to cover how they are encoded
        backend._db.execute("""UPDATE rsc_dfns SET flags = '["DELETE"]' WHERE name = 'ZZ'""")
        backend._db.execute("""UPDATE rsc_dfns SET flags = '["A","é"]' WHERE name = 'zy'""")
    return backend


QUERIES = [
    {}, {"props": ["Aux/kind"]}, {"props": ["Aux/kind=awkward"]}, {"props": ["Aux/kind=layers"]},
    {"props": ["Aux/value=é accented", "Aux/kind"]}, {"props": ["Aux/none"]}, {"names": ["AAB", "zz", "rd-3"]},
    {"limit": 4}, {"limit": 3, "offset": 5}, {"limit": 2, "offset": 100}, {"limit": 0, "offset": 3},
]


@pytest.mark.parametrize(("query", "with_vds"), list(itertools.product(QUERIES, [False, True])))
def test_route_bytes_are_json_dumps_of_the_list(varied, query, with_vds):
    expected = listed(varied, with_volume_definitions=with_vds, **query)
    assert varied.list_resource_definitions_json(with_volume_definitions=with_vds, **query) == expected


def test_every_item_built_in_python_when_sqlite_cannot_quote(varied, monkeypatch):
    monkeypatch.setattr(Backend, "_sql_json", False)
    for query in QUERIES:
        expected = listed(varied, with_volume_definitions=True, **query)
        assert varied.list_resource_definitions_json(with_volume_definitions=True, **query) == expected


def test_empty_list(backend):
    assert backend.list_resource_definitions_json() == b"[]"
    assert backend.list_resource_definitions_json(with_volume_definitions=True, props=["Aux/x"]) == b"[]"


def test_this_sqlite_writes_the_items(varied):
    """Not the fallback everywhere: this SQLite's json_quote agrees with json.dumps (else the listing is slow)."""
    assert Backend._sql_json


CHANGES = [
    ("RD property set", lambda b: b.modify_resource_definition("rd-1", {"override_props": {"Aux/value": "new"}})),
    ("RD property removed", lambda b: b.modify_resource_definition("rd-2", {"delete_props": ["Aux/value"]})),
    ("volume definition added", lambda b: b.create_volume_definition("rd-3", {"volume_definition": {
        "volume_number": 7, "size_kib": 8192}})),
    ("volume definition grown", lambda b: b.modify_volume_definition("rd-4", 0, {"size_kib": 2 * GIB})),
    ("volume definition property set", lambda b: b.modify_volume_definition("rd-5", 0, {
        "override_props": {"Aux/vd": "changed"}})),
    ("volume definition removed", lambda b: b.delete_volume_definition("aab", 2)),
    ("RD peer slots changed", lambda b: b.modify_resource_definition("rd-8", {"drbd_peer_slots": 9})),
    ("RD port changed", lambda b: b.modify_resource_definition("rd-9", {"drbd_port": 7999})),
    ("RD removed", lambda b: b.delete_resource_definition("Abc")),
    ("RD created", lambda b: b.create_resource_definition({"resource_definition": {
        "name": "fresh", "props": {"Aux/kind": "awkward"}}})),
]


@pytest.mark.parametrize("with_vds", [False, True])
def test_kept_items_follow_every_change(varied, with_vds):
    """Items kept from an earlier listing are rewritten when their RD, its properties or its
    volume definitions change, and never served for an RD that took a deleted RD's id."""
    varied.list_resource_definitions_json(with_volume_definitions=with_vds)  # every item kept
    for what, change in CHANGES:
        before = varied.list_resource_definitions_json(with_volume_definitions=with_vds)
        change(varied)
        after = varied.list_resource_definitions_json(with_volume_definitions=with_vds)
        assert after == listed(varied, with_volume_definitions=with_vds), what
        if with_vds or not what.startswith("volume definition"):
            assert after != before, what
    last = varied.list_resource_definitions(names=["zy"])[0]["uuid"]
    varied.delete_resource_definition("zy")  # the highest id: SQLite hands it to the next RD
    varied.create_resource_definition({"resource_definition": {"name": "zy"}})
    assert varied.list_resource_definitions(names=["zy"])[0]["uuid"] != last
    assert varied.list_resource_definitions_json(with_volume_definitions=with_vds) == listed(
        varied, with_volume_definitions=with_vds)


def test_kept_items_follow_writes_of_another_process(varied, tmp_path):
    """Versions live in the state file: a write by another Backend on the same file (another
    emulator process) is seen by this one's next listing."""
    varied.list_resource_definitions_json(with_volume_definitions=True)
    other = Backend(varied.path)
    try:
        other.modify_resource_definition("rd-6", {"override_props": {"Aux/value": "from elsewhere"}})
        other.modify_volume_definition("rd-7", 0, {"size_kib": 3 * GIB})
    finally:
        other.close()
    listing = json.loads(varied.list_resource_definitions_json(with_volume_definitions=True))
    by_name = {item["name"]: item for item in listing}
    assert by_name["rd-6"]["props"]["Aux/value"] == "from elsewhere"
    assert by_name["rd-7"]["volume_definitions"][0]["size_kib"] == 3 * GIB


def test_state_file_from_before_versions_lists_right(tmp_path):
    """A state file written before RD versions existed gets them when opened: no stale item."""
    path = tmp_path / "old.sqlite3"
    first = Backend(path)
    first.create_resource_definition({"resource_definition": {"name": "old", "props": {"Aux/a": "1"}}})
    first.close()
    with closing(sqlite3.connect(path)) as db:  # what an older emulator left: no version tables
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE name LIKE '%version%'")]
        for name in names:
            kind = "TRIGGER" if name.endswith("_version") or name.startswith("rd_version_") else "TABLE"
            db.execute(f"DROP {kind} {name}")
        db.execute("DROP TABLE counters")
        db.commit()
    second = Backend(path)
    try:
        assert second.list_resource_definitions_json() == listed(second)
        second.modify_resource_definition("old", {"override_props": {"Aux/a": "2"}})
        assert json.loads(second.list_resource_definitions_json())[0]["props"]["Aux/a"] == "2"
    finally:
        second.close()
