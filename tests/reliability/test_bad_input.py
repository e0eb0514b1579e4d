"""Bad input, generated: every invalid value gets a ``fail_json`` naming the parameter, never a
traceback, and sends no write to LINSTOR (the emulator's request log; most send no request at all).

The invalid values are built from the rules as Incus and LINSTOR state them (docs/incus-linstor-naming.md),
written out here independently of the collection's validators: instance names (hostname rule),
custom volume and project names (Incus's API name rule), image fingerprints, prefixes (LINSTOR name
rule, at most 16 characters), sizes, property keys and values, volume types, content types, snapshot
names, DRBD options, resource group names and place counts. Each module runs in-process the way
Ansible's unit tests drive it (``reliability_harness.run_module``), against an emulator of this
module's own; hypothesis draws at most ``MAX_EXAMPLES`` cases per module.
"""

from __future__ import annotations

import string
from typing import Any

from ansible.module_utils.common.validation import check_type_int
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_harness import WRITE_METHODS, Env, connection, record, run_module

MAX_EXAMPLES = 150
SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

LETTERS = string.ascii_letters
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
API_RESERVED = "$?&+\"'`*/"
WHITESPACE = " \t\n"
VOLUME_TYPES = ["container", "containers", "virtual-machine", "virtual-machines", "image", "images", "custom"]


def _word(alphabet: str = ALNUM, min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


def _insert(base: st.SearchStrategy[str], bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``base`` with one bad character (or piece) put somewhere inside it."""
    return st.tuples(base, bad, st.integers(0, 12)).map(lambda t: t[0][: t[2]] + t[1] + t[0][t[2]:])


# --- Invalid values, by rule -------------------------------------------------------------------------

# Incus instance names (validate.IsHostname): 1-63 of letters, digits, '-', not at either end, not all digits.
bad_instance_names = st.one_of(
    st.just(""),
    st.tuples(st.sampled_from(LETTERS), _word(ALNUM, 63, 80)).map("".join),
    _insert(_word(LETTERS, 1, 10), st.sampled_from(list("_. /@:!$é" + WHITESPACE + API_RESERVED))),
    _word(ALNUM + "-", 0, 10).map(lambda v: "-" + v + "a"),
    _word(ALNUM + "-", 0, 10).map(lambda v: "a" + v + "-"),
    st.integers(0, 10**15).map(str),
)
# Incus API names (custom volumes, projects): at most 64, no white space, none of $?&+"'`*/, alnum at both ends.
bad_api_names = st.one_of(
    st.just(""),
    st.tuples(st.sampled_from(LETTERS), _word(ALNUM, 64, 80)).map("".join),
    _insert(_word(LETTERS, 2, 10), st.sampled_from(list(WHITESPACE + API_RESERVED))),
    st.tuples(st.sampled_from("-._~"), _word(ALNUM, 1, 8)).map("".join),
    st.tuples(_word(ALNUM, 1, 8), st.sampled_from("-._~")).map("".join),
)
# Projects: API names that also have no '_' (Incus joins <project>_<name>). An empty project is not
# drawn; the modules refuse it naming project, as the linstor_incus_volume target's bad_input.yml shows.
bad_projects = st.one_of(bad_api_names.filter(bool), _insert(_word(LETTERS, 2, 10), st.just("_")))
# Image names: the full SHA-256 fingerprint, 64 lowercase hex digits.
bad_images = st.one_of(_word(HEX, 0, 63), _word(HEX, 65, 80), _word(HEX.upper(), 64, 64).filter(
    lambda v: any(c.isalpha() for c in v)), _insert(_word(HEX, 63, 63), st.sampled_from("gxz-_ ")))
# Prefixes: a LINSTOR name start (letter or '_', then letters, digits, '_', '-'), a letter somewhere,
# and at most 16 characters (32 hex digits follow in a name of at most 48).
bad_prefixes = st.one_of(
    st.just(""),
    st.tuples(st.sampled_from(LETTERS), _word(ALNUM + "-_", 16, 30)).map("".join),
    st.tuples(st.sampled_from(string.digits + "-"), _word(ALNUM, 0, 8)).map("".join),
    _insert(_word(LETTERS, 1, 8), st.sampled_from(list(" ./:@!é$"))),
    _word("_-", 1, 8).filter(lambda v: v[0] == "_"),
)
# Sizes: a whole number with an optional known unit, greater than zero.
bad_sizes = st.one_of(
    st.sampled_from(["0", "0GiB", "-1", "-10GiB", "1.5GiB", "10 XB", "ten", "GiB", "", "1e9", "0x100", "12 34"]),
    st.integers(1, 999).map(lambda n: f"{n}{'QWZ'[n % 3]}iB"),
    st.integers(10**20, 10**25).map(lambda n: f"{n}EiB"),
    st.text(alphabet=LETTERS + "!?%", min_size=1, max_size=8).filter(lambda v: v not in {
        "B", "bytes", "kB", "MB", "GB", "TB", "PB", "EB", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
        "K", "M", "G", "T", "P", "E"}),
)
# Properties users must not set: Incus's own keys, the keys of drbd_options, the driver-managed DRBD keys.
bad_property_keys = st.one_of(
    st.just(""),
    _word(ALNUM + "-/", 1, 12).map(lambda v: "Aux/Incus/" + v),
    st.sampled_from(["Aux/Incus/name", "Aux/Incus/type", "Aux/Incus/content-type", "Aux/Incus/snapshot-name/s1",
                     "DrbdOptions/Resource/on-no-quorum", "DrbdOptions/auto-diskful",
                     "DrbdOptions/auto-add-quorum-tiebreaker", "DrbdOptions/Net/allow-two-primaries",
                     "DrbdOptions/Resource/quorum", "DrbdOptions/auto-verify-alg"]),
)
bad_property_values = st.one_of(st.lists(st.integers(), min_size=1, max_size=3),
                                st.dictionaries(_word(LETTERS, 1, 4), st.integers(), min_size=1, max_size=2),
                                st.floats(allow_nan=False, allow_infinity=False))
bad_types = st.text(max_size=20).filter(lambda v: v not in VOLUME_TYPES)
bad_content_types = st.text(max_size=12).filter(lambda v: v not in ("filesystem", "block", "iso"))
# Snapshot names of instances: not empty, no white space or '/', key at most 255 characters (LINSTOR refuses 256).
bad_instance_snapshot_names = st.one_of(
    st.just(""),
    _insert(_word(ALNUM, 1, 10), st.sampled_from(list(WHITESPACE + "/"))),
    _word(ALNUM, 232, 260),
)
# DRBD options: on_no_quorum io-error|suspend-io; auto_diskful a duration of at least 1 minute; a boolean.
bad_on_no_quorum = st.text(max_size=12).filter(lambda v: v not in ("io-error", "suspend-io"))
bad_auto_diskful = st.one_of(
    st.integers(0, 59).map(lambda n: f"{n}s"),
    st.integers(-10**6, 59).map(str),
    st.sampled_from(["1x", "abc", "m1", "1 m", "", "59.9s", "1ms", "0.5m"]),
)
bad_booleans = st.text(min_size=1, max_size=8).filter(
    lambda v: v.lower() not in ("true", "false", "yes", "no", "on", "off", "1", "0", "y", "n", "t", "f"))
# LINSTOR names (resource groups): 2-48 bytes, first a letter or '_', then letters, digits, '_', '-',
# at least one letter, not 'all' or 'proxy'.
bad_linstor_names = st.one_of(
    st.sampled_from(["", "a", "all", "ALL", "proxy", "Proxy", "__", "_-_"]),
    st.tuples(st.sampled_from(string.digits + "-"), _word(ALNUM, 1, 8)).map("".join),
    _insert(_word(LETTERS, 2, 8), st.sampled_from(list(" ./:@!é$"))),
    st.tuples(st.sampled_from(LETTERS), _word(ALNUM, 48, 60)).map("".join),
)

# Storage pool names: 3-48 characters of letters, digits, '_' and '-', not starting with '-' (the rule the
# REST API spec and LINSTOR's StorPoolName agree on; only the clear violations are drawn).
bad_storage_pools = st.one_of(
    _word(ALNUM, 1, 2),
    st.tuples(st.sampled_from(LETTERS), _word(ALNUM, 48, 60)).map("".join),
    st.tuples(st.just("-"), _word(ALNUM, 2, 8)).map("".join),
    _insert(_word(LETTERS, 3, 8), st.sampled_from(list(" ./:@!é$"))),
)


def case(parameter: str, **args: Any) -> tuple[str, dict[str, Any]]:
    return parameter, args


# --- Cases per module: (parameter that must be named, arguments) --------------------------------------

volume_cases = st.one_of(
    bad_instance_names.map(lambda v: case("name", name=v)),
    bad_api_names.map(lambda v: case("name", name=v, type="custom")),
    bad_images.map(lambda v: case("name", name=v, type="image")),
    bad_projects.map(lambda v: case("project", project=v)),
    bad_prefixes.map(lambda v: case("prefix", prefix=v)),
    bad_sizes.map(lambda v: case("size", size=v)),
    bad_sizes.map(lambda v: case("filesystem_size", name="vm1", type="virtual-machine", filesystem_size=v)),
    st.sampled_from(["1GiB", "500MiB"]).map(lambda v: case("filesystem_size", filesystem_size=v)),
    st.tuples(bad_property_keys, st.text(max_size=5)).map(lambda kv: case("properties", properties={kv[0]: kv[1]})),
    bad_property_values.map(lambda v: case("properties", properties={"FileSystem/Type": v})),
    bad_types.map(lambda v: case("type", type=v)),
    bad_content_types.map(lambda v: case("content_type", content_type=v)),
    st.sampled_from(["block", "iso"]).map(lambda v: case("content_type", content_type=v)),
    st.just(case("content_type", name="vm1", type="virtual-machine", content_type="filesystem")),
    bad_on_no_quorum.map(lambda v: case("on_no_quorum", drbd_options={"on_no_quorum": v})),
    bad_auto_diskful.map(lambda v: case("auto_diskful", drbd_options={"auto_diskful": v})),
    bad_booleans.map(lambda v: case("auto_add_quorum_tiebreaker", drbd_options={"auto_add_quorum_tiebreaker": v})),
    bad_instance_names.map(lambda v: case("rename_from", rename_from=v)),
    st.just(case("rename_from", rename_from="ok1")),
    bad_instance_names.map(lambda v: case("source.volume", source={"volume": v})),
    bad_projects.map(lambda v: case("source.project", source={"volume": "src", "project": v})),
    bad_types.map(lambda v: case("type", source={"volume": "src", "type": v})),
    st.just(case("source", source={"volume": "ok1"})),
    st.floats(max_value=-0.001, allow_nan=False, allow_infinity=False).map(
        lambda v: case("wait_timeout", wait_timeout=v)),
    st.integers(max_value=-1).map(lambda v: case("delete_retries", delete_retries=v)),
)
snapshot_cases = st.one_of(
    bad_instance_snapshot_names.map(lambda v: case("name", name=v)),
    st.one_of(bad_api_names, bad_instance_snapshot_names).map(lambda v: case("name", name=v, type="custom")),
    bad_instance_names.map(lambda v: case("volume", volume=v)),
    bad_api_names.map(lambda v: case("volume", volume=v, type="custom")),
    bad_projects.map(lambda v: case("project", project=v)),
    bad_prefixes.map(lambda v: case("prefix", prefix=v)),
    bad_types.map(lambda v: case("type", type=v)),
    st.text(max_size=10).filter(lambda v: v not in ("present", "absent", "restored")).map(
        lambda v: case("state", state=v)),
    bad_instance_snapshot_names.map(lambda v: case("rename_from", rename_from=v)),
    st.just(case("rename_from", rename_from="snap1")),
    st.sampled_from(["absent", "restored"]).map(lambda v: case("rename_from", rename_from="old", state=v)),
    bad_booleans.map(lambda v: case("remove_newer_snapshots", remove_newer_snapshots=v)),
)


def _ansible_int(value: str) -> bool:
    """Whether Ansible's int check takes ``value`` (it does '+1', '1_0', '1.0', ' 2' and other digits), or fails it
    itself before any module code runs, without naming the option ('inf': an OverflowError, which ansible-core's
    argument spec reports as "cannot convert Infinity to integer"); neither is a case for the modules."""
    try:
        check_type_int(value)
    except OverflowError:
        return True
    except (TypeError, ValueError):
        return False
    return True


resource_group_cases = st.one_of(
    bad_linstor_names.map(lambda v: case("name", name=v)),
    st.integers(max_value=0).map(lambda v: case("place_count", place_count=v)),
    st.text(min_size=1, max_size=6).filter(lambda v: not _ansible_int(v)).map(
        lambda v: case("place_count", place_count=v)),
    bad_storage_pools.map(lambda v: case("storage_pool", storage_pool=v)),
    bad_on_no_quorum.map(lambda v: case("on_no_quorum", drbd_options={"on_no_quorum": v})),
    bad_auto_diskful.map(lambda v: case("auto_diskful", drbd_options={"auto_diskful": v})),
    st.sampled_from(["absent", "gone", ""]).filter(lambda v: v != "absent").map(lambda v: case("state", state=v)),
)


def _volumes_item(**item: Any) -> dict[str, Any]:
    return {"name": "ok1", "type": "container", "size": "64MiB", **item}


volumes_cases = st.one_of(
    bad_instance_names.map(lambda v: case("name", volumes=[_volumes_item(name=v)])),
    bad_projects.map(lambda v: case("project", volumes=[_volumes_item(project=v)])),
    bad_sizes.map(lambda v: case("size", volumes=[_volumes_item(size=v)])),
    bad_types.map(lambda v: case("type", volumes=[_volumes_item(type=v)])),
    st.tuples(bad_property_keys, st.text(max_size=5)).map(
        lambda kv: case("properties", volumes=[_volumes_item(properties={kv[0]: kv[1]})])),
    bad_instance_snapshot_names.map(lambda v: case("name", volumes=[_volumes_item(snapshots=[{"name": v}])])),
    bad_auto_diskful.map(lambda v: case("auto_diskful", volumes=[_volumes_item(drbd_options={"auto_diskful": v})])),
    bad_prefixes.map(lambda v: case("prefix", prefix=v, volumes=[_volumes_item()])),
    st.just(case("name", volumes=[_volumes_item(), _volumes_item()])),  # declared twice
    # not drawn: volumes="a string" (ansible-core's own element check answers "dictionary requested, could not
    # parse JSON or key=value" without naming the option; not the collection's code)
)
info_cases = st.one_of(
    bad_prefixes.map(lambda v: case("prefix", prefix=v)),
    bad_projects.map(lambda v: case("project", project=v)),
    bad_types.map(lambda v: case("type", type=v)),
    bad_content_types.map(lambda v: case("content_type", content_type=v)),
    st.sampled_from(["[[", "volumes[?", "@@", "foo(", "`unterminated"]).map(lambda v: case("query", query=v)),
)

BASE = {
    "linstor_incus_volume": {"name": "ok1", "type": "container", "size": "64MiB"},
    "linstor_incus_snapshot": {"volume": "ok1", "type": "container", "name": "snap1"},
    "linstor_incus_resource_group": {"name": "rgok"},
    "linstor_incus_volumes": {},
    "linstor_incus_volume_info": {},
}


def check(env: Env, module: str, drawn: tuple[str, dict[str, Any]]) -> None:
    parameter, overrides = drawn
    args = {**BASE[module], **overrides}
    # linstor_incus_resource_group has no resource_group option: it manages the group itself
    args = {**connection(env.url), **args} if module == "linstor_incus_resource_group" else env.args(**args)
    env.debug.clear_requests()
    outcome = run_module(module, args)
    log = env.debug.requests()
    writes = [f"{e['method']} {e['path']}" for e in log if e["method"] in WRITE_METHODS]
    leaf = parameter.rsplit(".", 1)[-1]
    named = leaf in outcome.msg or leaf in str(outcome.result.get("parameter", ""))
    record("bad_input", module=module, parameter=parameter, failed=outcome.failed, named=named,
           traceback=outcome.traceback is not None, requests=len(log), writes=len(writes))
    assert outcome.traceback is None, (parameter, overrides, outcome.traceback)
    assert outcome.failed, f"{parameter}={overrides!r} was accepted: {outcome.result}"
    assert named, f"{parameter}={overrides!r}: the message does not name {parameter}: {outcome.result}"
    assert writes == [], (parameter, overrides, writes)


@SETTINGS
@given(drawn=volume_cases)
def test_volume_bad_input(module_env: Env, drawn: tuple[str, dict[str, Any]]) -> None:
    check(module_env, "linstor_incus_volume", drawn)


@SETTINGS
@given(drawn=snapshot_cases)
def test_snapshot_bad_input(module_env: Env, drawn: tuple[str, dict[str, Any]]) -> None:
    check(module_env, "linstor_incus_snapshot", drawn)


@SETTINGS
@given(drawn=resource_group_cases)
def test_resource_group_bad_input(module_env: Env, drawn: tuple[str, dict[str, Any]]) -> None:
    check(module_env, "linstor_incus_resource_group", drawn)


@SETTINGS
@given(drawn=volumes_cases)
def test_volumes_bad_input(module_env: Env, drawn: tuple[str, dict[str, Any]]) -> None:
    check(module_env, "linstor_incus_volumes", drawn)


@SETTINGS
@given(drawn=info_cases)
def test_volume_info_bad_input(module_env: Env, drawn: tuple[str, dict[str, Any]]) -> None:
    check(module_env, "linstor_incus_volume_info", drawn)


# Property keys LINSTOR does not accept on an RD: outside its whitelisted namespaces (lower-case first
# segments, none of which LINSTOR knows except sys/fs/), or a malformed Aux/ key.
unknown_property_keys = st.one_of(
    st.tuples(_word(string.ascii_lowercase, 1, 8), st.sampled_from(["", "/x", "/a-b"])).map("".join).filter(
        lambda v: not v.startswith("sys")),
    st.sampled_from(["Aux/", "Aux/a//b", "Aux/a/", "Foo/bar", "Drbd/Options"]),
)


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(key=unknown_property_keys)
def test_volume_unknown_property_key(module_env: Env, key: str) -> None:
    check(module_env, "linstor_incus_volume", case("properties", name="pk1", properties={key: "x"}))
