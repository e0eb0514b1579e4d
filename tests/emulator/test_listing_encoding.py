"""The RD list the REST route sends (``list_resource_definitions_json``, JSON written by SQLite) is
byte for byte ``json.dumps`` of the backend's list of dicts, whatever the RDs hold."""

from __future__ import annotations

import itertools
import json

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
