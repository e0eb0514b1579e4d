"""LINSTOR's property whitelist (whitelist.py): the properties/info endpoints, keys refused and
accepted on resource definitions, groups and volume definitions, values checked and normalised."""

from __future__ import annotations

import pytest
from linstor_emulator import errors as rc
from linstor_emulator import whitelist
from linstor_emulator.backend import Backend
from linstor_emulator.errors import LinstorError

GIB = 1024 * 1024
RD_INFO = "/v1/resource-definitions/properties/info"
RG_INFO = "/v1/resource-groups/properties/info"


def refused(call, *args) -> LinstorError:
    with pytest.raises(LinstorError) as info:
        call(*args)
    return info.value


def assert_invalid_key(error: LinstorError, key: str) -> None:
    entry = error.entries[0]
    assert entry.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_PROP & rc.MASK_BITS_CODE
    assert entry.message == "Invalid property key"
    assert entry.cause == f"The key '{key}' is not whitelisted."


def collection_keys() -> set[str]:
    """Every non-Aux key the collection's modules write themselves."""
    from ansible_collections.linstor.incus.plugins.module_utils import _naming, _resource_groups

    return {*_naming.CREATE_PROPERTIES, *_naming.DRBD_OPTION_KEYS.values(), _resource_groups.RS_DISCARD_GRANULARITY_KEY}


# ---------------------------------------------------------------- the info endpoints, over HTTP


def test_info_endpoints_list_the_whitelists(client):
    rd = client.get(RD_INFO)
    rg = client.get(RG_INFO)  # LINSTOR lists the resource-definition rules for groups too
    vd = client.get("/v1/resource-definitions/any-rd/volume-definitions/properties/info")  # no look-up of the RD
    vg = client.get("/v1/resource-groups/any-rg/volume-groups/properties/info")
    assert [reply.status for reply in (rd, rg, vd, vg)] == [200] * 4  # and each body valid against the spec
    assert rd.body == rg.body == whitelist.RESOURCE_DEFINITION
    assert vd.body == vg.body == whitelist.VOLUME_DEFINITION
    assert len(rd.body) == 154 and len(vd.body) == 60
    assert list(rd.body) == sorted(rd.body)
    # the spec's own examples, field for field
    assert rd.body["DrbdOptions/PeerDevice/c-fill-target"] == {
        "prop_type": "range", "value": "(0 - 1048576)", "dflt": "100", "unit": "bytes"}
    assert rd.body["Writecache/Options/AutocommitTime"] == {
        "info": "autocommit time in milliseconds. The data is automatically committed if this time passes and no "
                "FLUSH request is received", "prop_type": "long", "dflt": "1000"}
    assert rg.body["DrbdOptions/Resource/peer-ack-delay"] == {
        "prop_type": "range", "value": "(1 - 10000)", "dflt": "100", "unit": "milliseconds"}
    assert rg.body["Writecache/Options/AutocommitBlocks"]["dflt"] == "64 for pmem, 65536 for ssd"
    assert "DrbdOptions/Net/protocol" not in vd.body and "DrbdOptions/Disk/al-extents" in vd.body


def test_every_key_the_collection_writes_is_whitelisted(client):
    allowed = client.get(RD_INFO).body
    assert collection_keys() <= set(allowed)
    assert not any(key.startswith("Aux/") for key in allowed)  # free-form, so not listed


def test_a_refused_key_over_http(client):
    reply = client.post("/v1/resource-definitions", {"resource_definition": {
        "name": "wl-http", "props": {"Aux/fine": "1", "DrbdOptions/Net/no-such-option": "1"}}})
    assert reply.status == 500
    assert reply.body[0]["message"] == "Invalid property key"
    assert reply.body[0]["cause"] == "The key 'DrbdOptions/Net/no-such-option' is not whitelisted."
    assert client.get("/v1/resource-definitions/wl-http").status == 404  # nothing made


# ---------------------------------------------------------------- keys, on the backend


@pytest.mark.parametrize("key", ["NoSuchKey", "DrbdOptions/Net/no-such-option", "DrbdOptions/Resource/quorum/x",
                                 "drbdoptions/Net/protocol", "Internal/x", "sys/fs/nope", "Emulator/InUse",
                                 "cloned-from", "DrbdOptions/auto-verify-alg"])
def test_keys_off_the_whitelist_are_refused_everywhere(backend, key):
    backend.create_resource_group({"name": "rg1"})
    backend.create_resource_definition({"resource_definition": {"name": "rd1"}})
    backend.create_volume_definition("rd1", {"volume_definition": {"size_kib": GIB}})
    calls = [
        (backend.create_resource_definition, {"resource_definition": {"name": "rd2", "props": {key: "1"}}}),
        (backend.modify_resource_definition, "rd1", {"override_props": {key: "1"}}),
        (backend.modify_resource_definition, "rd1", {"delete_props": [key]}),  # CtrlPropsHelper.remove checks too
        (backend.modify_resource_group, "rg1", {"override_props": {key: "1"}}),
        (backend.spawn, "rg1", {"resource_definition_name": "rd3", "volume_sizes": [GIB], "definitions_only": True,
                                "resource_definition_props": {key: "1"}}),
        (backend.clone, "rd1", {"name": "rd4", "override_props": {key: "1"}}),
        (backend.create_volume_definition, "rd1", {"volume_definition": {"size_kib": GIB, "props": {key: "1"}}}),
        (backend.modify_volume_definition, "rd1", 0, {"override_props": {key: "1"}}),
        (backend.create_volume_group, "rg1", {"props": {key: "1"}}),
    ]
    for call, *args in calls:
        assert_invalid_key(refused(call, *args), key)
    assert [rd["name"] for rd in backend.list_resource_definitions()] == ["rd1"]


def test_exact_size_is_listed_for_groups_but_refused_on_one(client):
    """CtrlRscGrpApiCallHandler.checkProps (LINSTOR 1.27+): groups share the RD whitelist, ExactSize included,
    but a group refuses that key, before it writes anything of the request."""
    assert "DrbdOptions/ExactSize" in client.get(RG_INFO).body
    assert client.post("/v1/resource-groups", {"name": "wl-exact"}).status == 201
    assert client.put("/v1/resource-groups/wl-exact", {"override_props": {"Aux/a": "1"}}).status == 200
    reply = client.put("/v1/resource-groups/wl-exact", {"override_props": {"Aux/b": "2",
                                                                           "DrbdOptions/ExactSize": "false"}})
    assert reply.status == 500
    assert reply.body[0]["message"] == "Invalid property key"
    assert reply.body[0]["cause"] == "The key 'DrbdOptions/ExactSize' is not whitelisted."
    assert client.get("/v1/resource-groups/wl-exact").body["props"] == {"Aux/a": "1"}


def test_each_object_has_its_own_whitelist(backend):
    backend.create_resource_definition({"resource_definition": {"name": "rd1"}})
    # a net option is a resource-definition key, not a volume-definition one
    backend.modify_resource_definition("rd1", {"override_props": {"DrbdOptions/Net/protocol": "C"}})
    error = refused(backend.create_volume_definition, "rd1", {"volume_definition": {
        "size_kib": GIB, "props": {"DrbdOptions/Net/protocol": "C"}}})
    assert_invalid_key(error, "DrbdOptions/Net/protocol")
    backend.create_volume_definition("rd1", {"volume_definition": {
        "size_kib": GIB, "props": {"DrbdOptions/Disk/al-extents": "6007", "OverrideVlmId": "x"}}})
    # and an RD key that is not a volume-definition key
    assert_invalid_key(refused(backend.modify_volume_definition, "rd1", 0, {"override_props": {"PrefNic": "eth0"}}),
                       "PrefNic")


def test_free_namespaces_and_every_key_the_collection_writes(backend):
    props = {key: "1" for key in ("Aux/Incus/name", "Aux/x/y/z", "EBS/Tags/team")}
    props.update({"DrbdOptions/Net/allow-two-primaries": "yes", "DrbdOptions/ExactSize": "true",
                  "DrbdOptions/Resource/on-no-quorum": "suspend-io", "DrbdOptions/auto-diskful": "2",
                  "DrbdOptions/auto-add-quorum-tiebreaker": "false",
                  "DrbdOptions/Disk/rs-discard-granularity": "1048576",
                  "DrbdOptions/Resource/quorum": "majority", "StorPoolName": "pool1", "FileSystem/Type": "ext4"})
    assert collection_keys() <= set(props)
    group_props = {key: value for key, value in props.items() if key != "DrbdOptions/ExactSize"}
    backend.create_resource_group({"name": "rg1"})
    backend.modify_resource_group("rg1", {"override_props": group_props})
    backend.create_resource_definition({"resource_definition": {"name": "rd1", "props": props}})
    # a quorum a user sets is marked so beside it (CtrlPropsHelper.fillProperties, from 1.31)
    set_by_user = {"Internal/Drbd/QuorumSetBy": "user"}
    assert backend.get_resource_definition("rd1")["props"] == props | set_by_user
    assert backend.get_resource_group("rg1")["props"] == group_props | set_by_user
    backend.modify_resource_definition("rd1", {"delete_props": ["Aux/x/y/z", "DrbdOptions/ExactSize",
                                                                "Aux/never-set", "PrefNic"]})
    assert "DrbdOptions/ExactSize" not in backend.get_resource_definition("rd1")["props"]


@pytest.mark.parametrize("key", ["Aux/", "Aux//x", "Aux/x/", "Aux/" + "k" * 252])
def test_malformed_or_too_long_aux_keys(backend, key):
    error = refused(backend.create_resource_definition, {"resource_definition": {"name": "rd1", "props": {key: "1"}}})
    assert error.entries[0].message == "Invalid key."
    assert error.entries[0].cause == f"The key '{key}' is invalid."


def test_longest_aux_key(backend):
    key = "Aux/" + "k" * 251  # 255 characters: PropsContainer refuses from 256 on (its path length counts one more)
    backend.create_resource_definition({"resource_definition": {"name": "rd1", "props": {key: "1"}}})
    assert backend.get_resource_definition("rd1")["props"] == {key: "1"}


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(("key", "value", "details"), [
    ("DrbdOptions/Net/max-buffers", "31", "This value has to match (32 - 131072)."),
    ("DrbdOptions/Net/max-buffers", "8k", "This value has to match (32 - 131072)."),
    ("DrbdOptions/Disk/rs-discard-granularity", "1048577", "This value  has to match (0 - 1048576) bytes."),
    ("DrbdOptions/Net/allow-two-primaries", "true", "This value must be either 'yes' or 'no'."),
    ("DrbdOptions/ExactSize", "1", "This value must be either 'yes', 'no', 'true' or 'false'."),
    ("DrbdOptions/Resource/on-no-quorum", "freeze", "This value has to match (?:io-error|suspend-io)."),
    ("DrbdOptions/Resource/quorum", "most", "This value has to match (1 - 32) or (?:all|majority|off)."),
    ("DrbdOptions/Resource/quorum", "33", "This value has to match (1 - 32) or (?:all|majority|off)."),
    ("DrbdOptions/auto-diskful", "1m", "This value has to be of type Long."),
    ("StorPoolName", "p", "This value has to match ^[a-zA-Z0-9_][a-zA-Z0-9_-]{2,47}$."),
    ("StorDriver/LvcreateOptions", "-i2\r", "This value has to match .*."),  # Java's '.' misses line ends
])
def test_invalid_values_are_refused(backend, key, value, details):
    error = refused(backend.create_resource_definition, {"resource_definition": {"name": "rd1",
                                                                                  "props": {key: value}}})
    entry = error.entries[0]
    assert entry.ret_code & rc.MASK_BITS_CODE == rc.FAIL_INVLD_PROP & rc.MASK_BITS_CODE
    assert entry.message == "Invalid property value"
    assert entry.cause == f"The value '{value}' is not valid for the key '{key}'"
    assert entry.details.splitlines()[0] == details


def test_values_are_stored_as_the_controller_normalises_them(backend):
    backend.create_resource_definition({"resource_definition": {"name": "rd1", "props": {
        "DrbdOptions/Net/allow-two-primaries": "YES", "DrbdOptions/ExactSize": "Yes",
        "DrbdOptions/auto-add-quorum-tiebreaker": "no", "DrbdOptions/Resource/quorum": "2",
        "DrbdOptions/Net/protocol": "C", "FileSystem/MkfsParams": "anything at all",
        "StorDriver/LvcreateOptions": "-i2 -I64"}}})
    assert backend.get_resource_definition("rd1")["props"] == {
        "DrbdOptions/Net/allow-two-primaries": "yes", "DrbdOptions/ExactSize": "true",
        "DrbdOptions/auto-add-quorum-tiebreaker": "false", "DrbdOptions/Resource/quorum": "2",
        "DrbdOptions/Net/protocol": "C", "FileSystem/MkfsParams": "anything at all",
        "StorDriver/LvcreateOptions": "-i2 -I64", "Internal/Drbd/QuorumSetBy": "user"}


def test_every_rule_accepts_its_default_where_the_default_is_a_value(backend: Backend):
    """The rules' own defaults pass their checks (a guard on how whitelist.py was derived)."""
    from linstor_emulator.backend import prop_value_problem

    for rules in (whitelist.RESOURCE_DEFINITION, whitelist.VOLUME_DEFINITION):
        for key, rule in rules.items():
            default = rule.get("dflt")
            if default is None or " " in default or rule["prop_type"] in ("regex", "string"):
                continue
            if rule["prop_type"] == "long" and not default.isdigit():
                continue  # a description, e.g. "unlimited"
            if rule["prop_type"] == "boolean":
                default = "yes" if default == "True" else "no"
            assert prop_value_problem(rule, default) is None, (key, rule)
