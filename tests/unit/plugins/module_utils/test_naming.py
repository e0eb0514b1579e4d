# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the naming core: every Incus/LINSTOR naming rule the collection relies on."""

from __future__ import annotations

import re
import uuid

import pytest
from ansible_collections.linstor.incus.plugins.module_utils import _naming as naming
from ansible_collections.linstor.incus.plugins.module_utils._naming import NamingError
from hypothesis import given
from hypothesis import strategies as st

PREFIX = "incus-volume-"
FINGERPRINT_1 = "d21a26af7d5a95c3aa6e923257a1cb5cd765b102796b92ab111fb29ebfb86137"
FINGERPRINT_2 = "e3b67bf05e20c6c977f161a425733b00efe88834914e7fc8dd910c4b51cd5804"
GENERATED_NAME_RE = re.compile(r"incus-volume-([0-9a-f]{32})")

GiB = 1024**3
MiB = 1024**2


def assert_names(error: pytest.ExceptionInfo, parameter: str) -> None:
    """The error carries the option to change and its message names it."""
    assert isinstance(error.value, ValueError)
    assert error.value.parameter == parameter
    assert parameter in str(error.value)
    assert error.value.message == str(error.value)


# --- strategies ------------------------------------------------------------------------------

instance_names = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z").filter(lambda n: not n.isdigit())
projects = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9.:@%=,-]{0,62}[A-Za-z0-9])?\Z")
custom_names = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9._:@%=,-]{0,62}[A-Za-z0-9])?\Z")
fingerprints = st.from_regex(r"\A[0-9a-f]{64}\Z")
prefixes = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_-]{0,15}\Z").filter(lambda p: any(c.isalpha() for c in p))


@st.composite
def identities(draw: st.DrawFn) -> tuple[str, str, str]:
    """A valid (type, project, name) of any volume type."""
    volume_type = draw(st.sampled_from(list(naming.VOLUME_TYPES.values())))
    if volume_type == "images":
        return volume_type, "default", draw(fingerprints)
    project = draw(st.one_of(st.just("default"), projects))
    names = custom_names if volume_type == "custom" else instance_names
    return volume_type, project, draw(names)


# --- constants -------------------------------------------------------------------------------


def test_constants_match_the_incus_driver() -> None:
    assert naming.INCUS_KEY_PREFIX == "Aux/Incus/"
    assert naming.AUX_NAME == "Aux/Incus/name"
    assert naming.AUX_TYPE == "Aux/Incus/type"
    assert naming.AUX_CONTENT_TYPE == "Aux/Incus/content-type"
    assert naming.SNAPSHOT_KEY_PREFIX == "Aux/Incus/snapshot-name/"
    assert naming.LEGACY_SNAPSHOT_KEY_PREFIX == "Aux/Incus/SnapshotName/"
    assert naming.SNAPSHOT_KEY_NAMESPACES == ("Aux/Incus/snapshot-name", "Aux/Incus/SnapshotName",
                                              "Aux/linstor-incus/snapshot-claim")
    assert naming.DEFAULT_PREFIX == "incus-volume-"
    assert naming.DEFAULT_PROJECT == "default"
    assert naming.VOLUME_TYPES == {
        "container": "containers",
        "virtual-machine": "virtual-machines",
        "image": "images",
        "custom": "custom",
    }
    assert naming.CONTENT_TYPES == ("filesystem", "block", "iso")
    assert naming.CREATE_PROPERTIES == {"DrbdOptions/Net/allow-two-primaries": "yes", "DrbdOptions/ExactSize": "true"}
    assert naming.DRBD_OPTION_KEYS == {
        "on_no_quorum": "DrbdOptions/Resource/on-no-quorum",
        "auto_diskful": "DrbdOptions/auto-diskful",
        "auto_add_quorum_tiebreaker": "DrbdOptions/auto-add-quorum-tiebreaker",
    }
    assert naming.EXACT_SIZE_KEY == "DrbdOptions/ExactSize"
    assert naming.DEFAULT_VM_FILESYSTEM_SIZE_BYTES == 524288000
    assert naming.MIN_VOLUME_SIZE_BYTES == 4194304
    assert naming.BLOCK_BOUNDARY_BYTES == 8192
    assert naming.PREFIX_MAX_LENGTH == 16


# --- LINSTOR names, prefix, generated names --------------------------------------------------


@pytest.mark.parametrize(
    "value", ["ab", "_a", "a1", "incus-volume-4df9f0598bd14d73953151614428d298", "A" * 48, "_-1x", "All1", "proxy_"]
)
def test_valid_linstor_names(value: str) -> None:
    assert naming.validate_linstor_name(value, "name") == value


@pytest.mark.parametrize(
    "value, reason",
    [
        ("a", "2 to 48"),
        ("", "2 to 48"),
        ("a" * 49, "2 to 48"),
        ("1abc", "start with a letter"),
        ("-abc", "start with a letter"),
        ("ab.c", "only letters"),
        ("ab c", "only letters"),
        ("äb", "only letters"),
        ("__", "at least one letter"),
        ("_1-2", "at least one letter"),
        ("all", "reserved"),
        ("ALL", "reserved"),
        ("proxy", "reserved"),
    ],
)
def test_invalid_linstor_names(value: str, reason: str) -> None:
    with pytest.raises(NamingError, match=reason) as error:
        naming.validate_linstor_name(value, "resource_definition")
    assert_names(error, "resource_definition")


def test_linstor_name_must_be_a_string() -> None:
    with pytest.raises(NamingError) as error:
        naming.validate_linstor_name(12, "name")
    assert_names(error, "name")


@pytest.mark.parametrize("prefix", ["incus-volume-", "a", "_x", "X" * 16, "abcdefghijklmnop", "p_1-"])
def test_valid_prefixes(prefix: str) -> None:
    assert naming.validate_prefix(prefix) == prefix


@pytest.mark.parametrize(
    "prefix, reason",
    [
        ("", "non-empty"),
        (None, "non-empty"),
        ("a" * 17, "at most 16"),
        ("incus-volume-xyzw", "at most 16"),
        ("1abc", "start with a letter"),
        ("-abc", "start with a letter"),
        ("abc.", "only letters"),
        ("ab/c", "only letters"),
        ("ab c", "only letters"),
        ("_", "must contain a letter"),
        ("_-_1", "must contain a letter"),
    ],
)
def test_invalid_prefixes_are_refused_with_the_reason(prefix: str, reason: str) -> None:
    with pytest.raises(NamingError, match=reason) as error:
        naming.validate_prefix(prefix)
    assert_names(error, "prefix")


def test_seventeen_character_prefix_message_explains_the_limit() -> None:
    with pytest.raises(NamingError) as error:
        naming.validate_prefix("a" * 17)
    assert "17 characters" in error.value.message
    assert "48" in error.value.message and "32 hex digits" in error.value.message


def test_generated_name_is_prefix_and_uuid4_hex() -> None:
    name = naming.generate_name(PREFIX)
    match = GENERATED_NAME_RE.fullmatch(name)
    assert match
    assert uuid.UUID(hex=match.group(1)).version == 4
    assert naming.generate_name(PREFIX) != name
    assert naming.is_generated_name(PREFIX, name)


def test_generate_name_refuses_a_bad_prefix() -> None:
    with pytest.raises(NamingError) as error:
        naming.generate_name("x" * 17)
    assert_names(error, "prefix")


@given(prefixes)
def test_every_valid_prefix_generates_valid_linstor_names(prefix: str) -> None:
    name = naming.generate_name(prefix)
    assert naming.validate_linstor_name(name, "name") == name
    assert re.fullmatch(re.escape(prefix) + r"[0-9a-f]{32}", name)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("incus-volume-4df9f0598bd14d73953151614428d298", True),
        ("incus-volume-4DF9F0598BD14D73953151614428D298", False),
        ("incus-volume-4df9f0598bd14d73953151614428d29", False),
        ("incus-volume-4df9f0598bd14d73953151614428d2981", False),
        ("other-4df9f0598bd14d73953151614428d298", False),
        ("incus-volume-c1", False),
    ],
)
def test_is_generated_name(value: str, expected: bool) -> None:
    assert naming.is_generated_name(PREFIX, value) is expected


# --- types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("container", "containers"),
        ("containers", "containers"),
        ("virtual-machine", "virtual-machines"),
        ("virtual-machines", "virtual-machines"),
        ("image", "images"),
        ("images", "images"),
        ("custom", "custom"),
    ],
)
def test_normalize_volume_type(value: str, expected: str) -> None:
    assert naming.normalize_volume_type(value) == expected


@pytest.mark.parametrize("value", ["vm", "Container", "customs", "", None])
def test_unknown_volume_type(value: str) -> None:
    with pytest.raises(NamingError) as error:
        naming.normalize_volume_type(value)
    assert_names(error, "type")
    assert "virtual-machine" in error.value.message


def test_unknown_volume_type_names_the_given_parameter() -> None:
    with pytest.raises(NamingError) as error:
        naming.normalize_volume_type("vm", "source.type")
    assert_names(error, "source.type")


@pytest.mark.parametrize(
    "volume_type, expected",
    [
        ("container", "filesystem"),
        ("containers", "filesystem"),
        ("custom", "filesystem"),
        ("virtual-machine", "block"),
        ("virtual-machines", "block"),
        ("image", "block"),
        ("images", "block"),
    ],
)
def test_default_content_type(volume_type: str, expected: str) -> None:
    assert naming.default_content_type(volume_type) == expected
    assert naming.validate_content_type(volume_type, None) == expected


@pytest.mark.parametrize(
    "volume_type, content_type",
    [
        ("containers", "filesystem"),
        ("virtual-machines", "block"),
        ("images", "filesystem"),
        ("images", "block"),
        ("custom", "filesystem"),
        ("custom", "block"),
        ("custom", "iso"),
    ],
)
def test_allowed_content_types(volume_type: str, content_type: str) -> None:
    assert naming.validate_content_type(volume_type, content_type) == content_type


@pytest.mark.parametrize(
    "volume_type, content_type, hint",
    [
        ("containers", "block", "use filesystem"),
        ("containers", "iso", "use filesystem"),
        ("virtual-machines", "filesystem", "use block"),
        ("virtual-machines", "iso", "use block"),
        ("images", "iso", "use filesystem or block"),
        ("custom", "raw", "not an Incus content type"),
        ("custom", "Block", "not an Incus content type"),
    ],
)
def test_refused_content_types(volume_type: str, content_type: str, hint: str) -> None:
    with pytest.raises(NamingError, match=hint) as error:
        naming.validate_content_type(volume_type, content_type)
    assert_names(error, "content_type")


@pytest.mark.parametrize(
    "volume_type, content_type, expected",
    [
        ("virtual-machine", "block", True),
        ("virtual-machines", "block", True),
        ("images", "block", True),
        ("image", "filesystem", False),
        ("containers", "filesystem", False),
        ("custom", "block", False),
        ("custom", "iso", False),
    ],
)
def test_has_filesystem_volume_is_incus_is_vm_block(volume_type: str, content_type: str, expected: bool) -> None:
    assert naming.has_filesystem_volume(volume_type, content_type) is expected


# --- project and volume names ----------------------------------------------------------------


@pytest.mark.parametrize("project", ["default", "web", "a", "Team-1", "p.q", "x" * 64, "a:b@c"])
def test_valid_projects(project: str) -> None:
    assert naming.validate_project(project) == project


@pytest.mark.parametrize(
    "project, reason",
    [
        ("my_project", "may not contain '_'"),
        ("", "start and end"),
        ("-web", "start and end"),
        ("web.", "start and end"),
        ("x" * 65, "at most 64"),
        ("a b", "white space"),
        ("a/b", "'/'"),
        ("a'b", '"\'"'),
        ('a"b', "'\"'"),
        ("*", "'\\*'"),
        ("a+b", "'\\+'"),
        ("a$b", "'\\$'"),
    ],
)
def test_invalid_projects(project: str, reason: str) -> None:
    with pytest.raises(NamingError, match=reason) as error:
        naming.validate_project(project)
    assert_names(error, "project")


def test_project_must_be_a_string() -> None:
    with pytest.raises(NamingError) as error:
        naming.validate_project(None)
    assert_names(error, "project")


@pytest.mark.parametrize(
    "volume_type, name",
    [
        ("containers", "c1"),
        ("container", "C-1"),
        ("virtual-machines", "v" * 63),
        ("custom", "vol"),
        ("custom", "my_vol.v2"),
        ("custom", "x" * 64),
        ("images", FINGERPRINT_1),
    ],
)
def test_valid_volume_names(volume_type: str, name: str) -> None:
    assert naming.validate_volume_name(volume_type, name) == name


@pytest.mark.parametrize(
    "volume_type, name, reason",
    [
        ("containers", "c_1", "only letters, digits and '-'"),
        ("containers", "c.1", "only letters, digits and '-'"),
        ("containers", "c/snap0", "only letters, digits and '-'"),
        ("containers", "cé", "only letters, digits and '-'"),
        ("containers", "-c1", "start or end"),
        ("virtual-machines", "v1-", "start or end"),
        ("virtual-machines", "123", "number"),
        ("virtual-machines", "", "1 to 63"),
        ("virtual-machines", "v" * 64, "1 to 63"),
        ("custom", "", "start and end"),
        ("custom", "_vol", "start and end"),
        ("custom", "vol/snap", "'/'"),
        ("custom", "my vol", "white space"),
        ("custom", "x" * 65, "at most 64"),
        ("images", FINGERPRINT_1[:12], "64 lowercase hex"),
        ("images", FINGERPRINT_1.upper(), "64 lowercase hex"),
        ("images", "ubuntu", "64 lowercase hex"),
    ],
)
def test_invalid_volume_names(volume_type: str, name: str, reason: str) -> None:
    with pytest.raises(NamingError, match=reason) as error:
        naming.validate_volume_name(volume_type, name)
    assert_names(error, "name")


def test_volume_name_must_be_a_string() -> None:
    with pytest.raises(NamingError) as error:
        naming.validate_volume_name("custom", 5, "source.volume")
    assert_names(error, "source.volume")


# --- Aux/Incus/name and its inverse ----------------------------------------------------------


@pytest.mark.parametrize(
    "volume_type, project, name, expected",
    [
        ("container", "default", "c1", "c1"),
        ("containers", "web", "c1", "web_c1"),
        ("virtual-machine", "default", "v1", "v1"),
        ("virtual-machines", "web", "v1", "web_v1"),
        ("custom", "default", "vol", "default_vol"),
        ("custom", "web", "vol", "web_vol"),
        ("custom", "web", "my_vol", "web_my_vol"),
        ("image", "default", FINGERPRINT_1, FINGERPRINT_1),
    ],
)
def test_incus_volume_name_and_its_inverse(volume_type: str, project: str, name: str, expected: str) -> None:
    assert naming.incus_volume_name(volume_type, project, name) == expected
    assert naming.aux_name(PREFIX, volume_type, project, name) == PREFIX + expected
    assert naming.parse_incus_volume_name(volume_type, expected) == (project, name)


def test_images_belong_to_the_default_project() -> None:
    with pytest.raises(NamingError, match="default") as error:
        naming.incus_volume_name("images", "web", FINGERPRINT_1)
    assert_names(error, "project")


@pytest.mark.parametrize(
    "volume_type, project, name, parameter",
    [
        ("containers", "we_b", "c1", "project"),
        ("containers", "web", "c_1", "name"),
        ("custom", "default", "", "name"),
        ("vm", "default", "v1", "type"),
    ],
)
def test_incus_volume_name_errors(volume_type: str, project: str, name: str, parameter: str) -> None:
    with pytest.raises(NamingError) as error:
        naming.incus_volume_name(volume_type, project, name)
    assert_names(error, parameter)


def test_aux_name_checks_the_prefix() -> None:
    with pytest.raises(NamingError) as error:
        naming.aux_name("1bad", "containers", "default", "c1")
    assert_names(error, "prefix")


@pytest.mark.parametrize(
    "volume_type, value",
    [
        ("containers", "default_c1"),
        ("containers", "web_c_1"),
        ("containers", "_c1"),
        ("containers", "web_"),
        ("virtual-machines", "c.1"),
        ("custom", "vol"),
        ("custom", "_vol"),
        ("custom", "web_"),
        ("images", "default_" + FINGERPRINT_1),
        ("images", FINGERPRINT_1[:-1]),
    ],
)
def test_parse_refuses_what_incus_never_writes(volume_type: str, value: str) -> None:
    with pytest.raises(NamingError) as error:
        naming.parse_incus_volume_name(volume_type, value)
    assert_names(error, "name")


def test_custom_names_split_at_the_first_underscore() -> None:
    assert naming.parse_incus_volume_name("custom", "web_a_b_c") == ("web", "a_b_c")


@given(identities())
def test_round_trip_name_to_aux_value_and_back(identity: tuple[str, str, str]) -> None:
    volume_type, project, name = identity
    value = naming.aux_name(PREFIX, volume_type, project, name)
    assert naming.parse_incus_volume_name(volume_type, value[len(PREFIX) :]) == (project, name)
    rd = {
        "name": naming.generate_name(PREFIX),
        "resource_group_name": "pool",
        "props": naming.aux_properties(PREFIX, volume_type, project, name, None),
    }
    view = naming.volume_view(rd, PREFIX)
    assert (view["type"], view["project"], view["name"], view["incus_name"]) == (volume_type, project, name, value)


@given(st.sampled_from(list(naming.VOLUME_TYPES.values())), st.text(max_size=80))
def test_parse_is_the_exact_inverse_or_refuses(volume_type: str, value: str) -> None:
    try:
        project, name = naming.parse_incus_volume_name(volume_type, value)
    except NamingError as error:
        assert error.parameter == "name"
    else:
        assert naming.incus_volume_name(volume_type, project, name) == value


@given(identities(), identities())
def test_distinct_volumes_get_distinct_names(first: tuple[str, str, str], second: tuple[str, str, str]) -> None:
    if first != second and first[0] == second[0]:
        assert naming.incus_volume_name(*first) != naming.incus_volume_name(*second)


def test_aux_properties() -> None:
    assert naming.aux_properties(PREFIX, "virtual-machine", "web", "v1", None) == {
        "Aux/Incus/name": "incus-volume-web_v1",
        "Aux/Incus/type": "virtual-machines",
        "Aux/Incus/content-type": "block",
    }
    assert naming.aux_properties("p-", "custom", "default", "iso1", "iso") == {
        "Aux/Incus/name": "p-default_iso1",
        "Aux/Incus/type": "custom",
        "Aux/Incus/content-type": "iso",
    }


def test_aux_properties_refuses_a_content_type_the_type_cannot_have() -> None:
    with pytest.raises(NamingError) as error:
        naming.aux_properties(PREFIX, "containers", "default", "c1", "block")
    assert_names(error, "content_type")


def test_lookup_filters_as_incus_queries() -> None:
    assert naming.lookup_filters(PREFIX, "container", "default", "c1") == [
        "Aux/Incus/name=incus-volume-c1",
        "Aux/Incus/type=containers",
    ]
    assert naming.lookup_filters(PREFIX, "custom", "default", "vol") == [
        "Aux/Incus/name=incus-volume-default_vol",
        "Aux/Incus/type=custom",
    ]
    assert naming.lookup_filters("x-", "images", "default", FINGERPRINT_2) == [
        f"Aux/Incus/name=x-{FINGERPRINT_2}",
        "Aux/Incus/type=images",
    ]


def test_listing_filters() -> None:
    assert naming.listing_filters() == ["Aux/Incus/name", "Aux/Incus/type"]  # Incus finds an RD by these two
    assert naming.listing_filters("virtual-machine") == ["Aux/Incus/name", "Aux/Incus/type=virtual-machines"]


def test_listing_filters_errors() -> None:
    with pytest.raises(NamingError) as error:
        naming.check_content_type("disk")
    assert_names(error, "content_type")
    with pytest.raises(NamingError) as error:
        naming.listing_filters(volume_type="vms")
    assert_names(error, "type")


# --- snapshots -------------------------------------------------------------------------------


def test_snapshot_key_uses_the_driver_form() -> None:
    assert naming.snapshot_key("snap0") == "Aux/Incus/snapshot-name/snap0"


@pytest.mark.parametrize("value", ["", "snap 0", "a/b", "s" * 232, None])
def test_snapshot_key_refuses_bad_names(value: str) -> None:
    with pytest.raises(NamingError) as error:
        naming.snapshot_key(value)
    assert_names(error, "name")


def test_snapshot_key_length_limit() -> None:
    assert len(naming.snapshot_key("s" * 231)) == 255


@pytest.mark.parametrize("value", ["snap0", "before-upgrade_2026.01", "s.1", "s" * 64, "2026-11-26"])
def test_valid_snapshot_names(value: str) -> None:
    assert naming.validate_snapshot_name(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "snap 0", "a/b", "snap+1", "-snap", "snap-", "a$b", "s" * 65, 3],
)
def test_invalid_snapshot_names(value: object) -> None:
    """Incus v7 names a new snapshot of any volume type by its API name rule (validate.IsAPIName)."""
    with pytest.raises(NamingError) as error:
        naming.validate_snapshot_name(value, "name")
    assert_names(error, "name")


@pytest.mark.parametrize("value", ["snap+1", "-pre", "a$b", "s" * 231])
def test_existing_snapshot_names_need_only_make_a_key(value: str) -> None:
    """A name that refers to a snapshot an older Incus made (anything but white space and '/', for instances)."""
    assert naming.validate_snapshot_name(value, "rename_from", existing=True) == value
    with pytest.raises(NamingError):
        naming.validate_snapshot_name(value, "name")


def test_a_new_snapshot_name_too_long_is_told_the_api_rule_s_length() -> None:
    with pytest.raises(NamingError, match="at most 64 bytes"):
        naming.validate_snapshot_name("s" * 240)


@pytest.mark.parametrize("value", ["", "snap 0", "a/b", "s" * 232, 3])
def test_existing_snapshot_names_must_make_a_key(value: object) -> None:
    with pytest.raises(NamingError) as error:
        naming.validate_snapshot_name(value, "rename_from", existing=True)
    assert_names(error, "rename_from")


def test_snapshot_mappings_read_both_forms() -> None:
    props = {
        "Aux/Incus/name": "incus-volume-v1",
        "Aux/Incus/snapshot-name/snap0": "incus-volume-19dd0b015d22445f8097ba5e740948de",
        "Aux/Incus/SnapshotName/snap1": "incus-volume-00000000000040008000000000000001",
        "Aux/Incus/snapshot-name/": "ignored: no snapshot name",
        "DrbdOptions/ExactSize": "true",
    }
    assert naming.snapshot_mappings(props) == {
        "snap0": "incus-volume-19dd0b015d22445f8097ba5e740948de",
        "snap1": "incus-volume-00000000000040008000000000000001",
    }


def test_snapshot_mappings_prefer_the_driver_form() -> None:
    props = {
        "Aux/Incus/snapshot-name/snap0": "incus-volume-aaaa",
        "Aux/Incus/SnapshotName/snap0": "incus-volume-bbbb",
    }
    assert naming.snapshot_mappings(props) == {"snap0": "incus-volume-aaaa"}
    assert naming.snapshot_mappings(dict(reversed(list(props.items())))) == {"snap0": "incus-volume-aaaa"}


def test_snapshot_keys_lists_every_form_present() -> None:
    props = {
        "Aux/Incus/snapshot-name/snap0": "a",
        "Aux/Incus/SnapshotName/snap0": "b",
        "Aux/Incus/SnapshotName/snap1": "c",
        "Aux/Incus/snapshot-name/snap00": "d",
    }
    assert naming.snapshot_keys(props, "snap0") == ["Aux/Incus/snapshot-name/snap0", "Aux/Incus/SnapshotName/snap0"]
    assert naming.snapshot_keys(props, "snap1") == ["Aux/Incus/SnapshotName/snap1"]
    assert naming.snapshot_keys(props, "snap2") == []


def test_per_snapshot_keys_are_mappings_of_both_forms_and_claims() -> None:
    props = {
        "Aux/Incus/snapshot-name/snap0": "a",
        "Aux/Incus/SnapshotName/snap1": "b",
        "Aux/linstor-incus/snapshot-claim/incus-volume-" + "c" * 32: "snap2",
        "Aux/Incus/name": "incus-volume-c1",
        "Aux/Incus/snapshot-name": "not a mapping: no snapshot name",
        "Aux/site": "lab",
    }
    assert naming.per_snapshot_keys(props) == sorted(list(props)[:3])
    assert naming.without_snapshot_keys(props) == {key: props[key] for key in list(props)[3:]}
    assert naming.per_snapshot_keys({"Aux/Incus/name": "x"}) == []


@pytest.mark.parametrize(
    "key, expected",
    [
        ("Aux/Incus/snapshot-name/snap0", "snap0"),
        ("Aux/Incus/SnapshotName/snap0", "snap0"),
        ("Aux/Incus/snapshot-name/", None),
        ("Aux/Incus/name", None),
        ("Aux/Other/snapshot-name/snap0", None),
    ],
)
def test_snapshot_name_from_key(key: str, expected: str | None) -> None:
    assert naming.snapshot_name_from_key(key) == expected


# --- user properties and DRBD options --------------------------------------------------------


@pytest.mark.parametrize(
    "key, expected",
    [("Aux/Incus/name", True), ("Aux/Incus/anything", True), ("Aux/Other", False), ("Aux/Incus", False)],
)
def test_is_incus_key(key: str, expected: bool) -> None:
    assert naming.is_incus_key(key) is expected


def test_user_properties_are_passed_as_strings() -> None:
    assert naming.validate_user_properties({"Aux/site": "lab", "DrbdOptions/Disk/al-extents": 6007, "X": True}) == {
        "Aux/site": "lab",
        "DrbdOptions/Disk/al-extents": "6007",
        "X": "true",
    }
    assert naming.validate_user_properties(None) == {}
    # DRBD's boolean options take yes/no, LINSTOR's own true/false rules both
    assert naming.validate_user_properties({"DrbdOptions/Disk/disk-flushes": False, "FileSystem/X": False}) == {
        "DrbdOptions/Disk/disk-flushes": "no", "FileSystem/X": "false"}


@pytest.mark.parametrize(
    "properties, hint",
    [
        ({"Aux/Incus/name": "incus-volume-x"}, "Incus metadata cannot be manually set"),
        ({"Aux/Incus/snapshot-name/s": "x"}, "Incus metadata cannot be manually set"),
        ({"DrbdOptions/Resource/on-no-quorum": "io-error"}, "drbd_options.on_no_quorum"),
        ({"DrbdOptions/auto-diskful": "60"}, "drbd_options.auto_diskful"),
        ({"DrbdOptions/auto-add-quorum-tiebreaker": "true"}, "drbd_options.auto_add_quorum_tiebreaker"),
        ({"DrbdOptions/Net/allow-two-primaries": "no"}, "cannot be manually set"),
        ({"DrbdOptions/Resource/quorum": "off"}, "cannot be manually set"),
        ({"": "x"}, "non-empty"),
        ({"Aux/list": ["a"]}, "a string, a whole number or a boolean"),
        ({"Aux/": "x"}, "not a valid LINSTOR property key"),
        ({"Aux/a//b": "x"}, "segments between '/' must not be empty"),
        ({"Aux/a/": "x"}, "segments between '/' must not be empty"),
        ({"/FileSystem/Type": "x"}, "segments between '/' must not be empty"),
        ({"Aux/" + "k" * 252: "x"}, "at most 255 characters"),
        ({"DrbdOptions/ExactSize": "false"}, "the volume modules set it on each volume as Incus does"),
    ],
)
def test_refused_user_properties(properties: dict, hint: str) -> None:
    with pytest.raises(NamingError, match=hint) as error:
        naming.validate_user_properties(properties)
    assert_names(error, "properties")


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("1m", "60"),
        ("90s", "90"),
        ("2h", "7200"),
        ("1h30m", "5400"),
        ("1.5m", "90"),
        ("61.9s", "61"),
        ("60000ms", "60"),
        (90, "90"),
        ("120", "120"),
        (" 5m ", "300"),
    ],
)
def test_auto_diskful_is_sent_in_seconds(value: str | int, seconds: str) -> None:
    assert naming.drbd_option_properties(auto_diskful=value) == {"DrbdOptions/auto-diskful": seconds}


@pytest.mark.parametrize(
    "value, hint",
    [
        ("59s", "at least 1m"),
        ("59999ms", "at least 1m"),
        (30, "at least 1m"),
        ("-5m", "at least 1m"),
        ("-1m61s", "at least 1m"),
        ("abc", "not a duration"),
        ("1x", "not a duration"),
        ("1 m", "not a duration"),
        ("", "not a duration"),
        (True, "duration"),
        (1.5, "duration"),
    ],
)
def test_auto_diskful_errors(value: object, hint: str) -> None:
    with pytest.raises(NamingError, match=hint) as error:
        naming.drbd_option_properties(auto_diskful=value)
    assert_names(error, "drbd_options.auto_diskful")


@pytest.mark.parametrize(
    "value, expected", [(True, "true"), (False, "false"), ("yes", "true"), ("off", "false"), ("TRUE", "true")]
)
def test_auto_add_quorum_tiebreaker(value: bool | str, expected: str) -> None:
    assert naming.drbd_option_properties(auto_add_quorum_tiebreaker=value) == {
        "DrbdOptions/auto-add-quorum-tiebreaker": expected
    }


@pytest.mark.parametrize("value", ["maybe", 1, ""])
def test_auto_add_quorum_tiebreaker_errors(value: object) -> None:
    with pytest.raises(NamingError) as error:
        naming.drbd_option_properties(auto_add_quorum_tiebreaker=value)
    assert_names(error, "drbd_options.auto_add_quorum_tiebreaker")


@pytest.mark.parametrize("options", [
    {"on_no_quorum": "io-error", "auto_diskful": "5m", "auto_add_quorum_tiebreaker": False},
    {"on_no_quorum": "suspend-io", "auto_diskful": None, "auto_add_quorum_tiebreaker": True},
    {"on_no_quorum": None, "auto_diskful": "90", "auto_add_quorum_tiebreaker": None},
])
def test_drbd_options_of_reads_back_what_drbd_option_properties_writes(options: dict) -> None:
    """What a group's properties say, as drbd_options: given again, it writes the same properties."""
    props = {"DrbdOptions/Net/max-buffers": "8000", **naming.drbd_option_properties(**options)}
    read = naming.drbd_options_of(props)
    assert set(read) == set(naming.DRBD_OPTION_KEYS)
    assert naming.drbd_option_properties(**read) == naming.drbd_option_properties(**options)
    assert read["auto_add_quorum_tiebreaker"] == options["auto_add_quorum_tiebreaker"]


def test_drbd_options_of_shows_a_value_it_cannot_read_as_it_is() -> None:
    assert naming.drbd_options_of({"DrbdOptions/auto-add-quorum-tiebreaker": "perhaps"}) == {
        "on_no_quorum": None, "auto_diskful": None, "auto_add_quorum_tiebreaker": "perhaps"}


@pytest.mark.parametrize("value", ["io-error", "suspend-io"])
def test_on_no_quorum(value: str) -> None:
    assert naming.drbd_option_properties(on_no_quorum=value) == {"DrbdOptions/Resource/on-no-quorum": value}


@pytest.mark.parametrize("value", ["freeze", "IO-ERROR", ""])
def test_on_no_quorum_errors(value: str) -> None:
    with pytest.raises(NamingError, match="io-error or suspend-io") as error:
        naming.drbd_option_properties(on_no_quorum=value)
    assert_names(error, "drbd_options.on_no_quorum")


def test_drbd_option_properties_all_and_none() -> None:
    assert naming.drbd_option_properties() == {}
    assert naming.drbd_option_properties("suspend-io", "2m", True) == {
        "DrbdOptions/Resource/on-no-quorum": "suspend-io",
        "DrbdOptions/auto-diskful": "120",
        "DrbdOptions/auto-add-quorum-tiebreaker": "true",
    }


# --- sizes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("10GiB", 10 * GiB),
        ("500MiB", 500 * MiB),
        ("512KiB", 512 * 1024),
        ("1TiB", 1024**4),
        ("1PiB", 1024**5),
        ("1024TiB", 1024**5),
        ("1kB", 1000),
        ("1MB", 1000**2),
        ("1GB", 1000**3),
        ("1TB", 1000**4),
        ("1PB", 1000**5),
        ("1G", GiB),
        ("4M", 4 * MiB),
        ("8K", 8192),
        ("2T", 2 * 1024**4),
        ("1048576", 1048576),
        ("1048576B", 1048576),
        ("1048576 bytes", 1048576),
        ("10 GiB", 10 * GiB),
        (1048576, 1048576),
        (1, 1),
    ],
)
def test_parse_size(value: str | int, expected: int) -> None:
    assert naming.parse_size(value, "size") == expected


@pytest.mark.parametrize(
    "value, hint",
    [
        ("-1GiB", "not a size"),
        (-1, "greater than zero"),
        (0, "greater than zero"),
        ("0", "greater than zero"),
        ("0GiB", "greater than zero"),
        ("1.5GiB", "not a size"),
        ("10gib", "not a size"),
        ("10KB", "not a size"),
        ("10XB", "not a size"),
        ("GiB", "not a size"),
        ("", "not a size"),
        ("ten", "not a size"),
        ("8EiB", "too large"),
        ("1EiB", "too large"),
        ("1025TiB", "largest volume is 1PiB"),
        (2**50 + 1, "too large"),
        ("\uff11\uff10GiB", "not a size"),
        ("\u0661GiB", "not a size"),
        (True, "must be a size"),
        (1.5, "must be a size"),
        (None, "must be a size"),
    ],
)
def test_parse_size_errors(value: object, hint: str) -> None:
    with pytest.raises(NamingError, match=hint) as error:
        naming.parse_size(value, "filesystem_size")
    assert_names(error, "filesystem_size")


@pytest.mark.parametrize(
    "size_bytes, kib",
    [
        (1, 4096),
        (4 * MiB - 1, 4096),
        (4 * MiB, 4096),
        (4 * MiB + 1, 4104),
        (4 * MiB + 8192, 4104),
        (4 * MiB + 8193, 4112),
        (500 * MiB, 512000),
        (10 * GiB, 10485760),
        (1000**3, 976568),
        (10**10 + 1, 9765632),
    ],
)
def test_volume_size_kib_applies_the_minimum_and_block_rounding(size_bytes: int, kib: int) -> None:
    assert naming.volume_size_kib(size_bytes) == kib
    assert naming.volume_size_bytes(size_bytes) == kib * 1024


@given(st.integers(min_value=1, max_value=2**50))
def test_volume_size_is_the_smallest_block_multiple_at_least_the_request(size_bytes: int) -> None:
    rounded = naming.volume_size_bytes(size_bytes)
    assert rounded % 8192 == 0
    assert rounded >= max(size_bytes, 4 * MiB)
    assert rounded - 8192 < max(size_bytes, 4 * MiB)
    assert naming.volume_size_kib(size_bytes) * 1024 == rounded


@pytest.mark.parametrize(
    "a, b, expected",
    [(1000, 1000, True), (1000, 1511, True), (1511, 1000, True), (1000, 1512, False), (1512, 1000, False)],
)
def test_sizes_equal_within_tolerance(a: int, b: int, expected: bool) -> None:
    assert naming.sizes_equal_within_tolerance(a, b) is expected


# --- volume_view: the naming document's example table ----------------------------------------


def rd(name: str, props: dict[str, str], sizes_kib: dict[int, int], group: str = "linstor") -> dict:
    """An RD as ``GET /v1/resource-definitions?with_volume_definitions=true`` returns it."""
    return {
        "name": name,
        "external_name": "",
        "resource_group_name": group,
        "flags": [],
        "uuid": str(uuid.uuid4()),
        "props": props,
        "layer_data": [{"type": "DRBD", "data": {"port": 7004, "peer_slots": 7}}, {"type": "STORAGE"}],
        "volume_definitions": [
            {"volume_number": number, "size_kib": size, "flags": [], "props": {}, "uuid": str(uuid.uuid4())}
            for number, size in sizes_kib.items()
        ],
    }


VM_PROPS = {
    "Aux/Incus/name": "incus-volume-v1",
    "Aux/Incus/type": "virtual-machines",
    "Aux/Incus/content-type": "block",
    "Aux/Incus/snapshot-name/snap0": "incus-volume-19dd0b015d22445f8097ba5e740948de",
    "DrbdOptions/Net/allow-two-primaries": "yes",
    "DrbdOptions/Resource/quorum": "majority",
    "DrbdPrimarySetOn": "SERVER01",
    "cloned-from": "incus-volume-d0531e21ce6b4218b9b8996582b9bf31",
}
CONTAINER_PROPS = {
    "Aux/Incus/name": "incus-volume-c1",
    "Aux/Incus/type": "containers",
    "Aux/Incus/content-type": "filesystem",
    "DrbdOptions/Net/allow-two-primaries": "yes",
    "DrbdOptions/ExactSize": "true",
}
VM_IMAGE_PROPS = {
    "Aux/Incus/name": "incus-volume-" + FINGERPRINT_1,
    "Aux/Incus/type": "images",
    "Aux/Incus/content-type": "block",
}
CUSTOM_PROPS = {
    "Aux/Incus/name": "incus-volume-default_vol",
    "Aux/Incus/type": "custom",
    "Aux/Incus/content-type": "block",
}
CONTAINER_IMAGE_PROPS = {
    "Aux/Incus/name": "incus-volume-" + FINGERPRINT_2,
    "Aux/Incus/type": "images",
    "Aux/Incus/content-type": "filesystem",
}

EXAMPLE_RDS = [
    rd("incus-volume-4df9f0598bd14d73953151614428d298", VM_PROPS, {1: 512000, 0: 10485760}),
    rd("incus-volume-61be43e12fed4845ab3f2443cccbe50c", CONTAINER_PROPS, {0: 10485760}),
    rd("incus-volume-d0531e21ce6b4218b9b8996582b9bf31", VM_IMAGE_PROPS, {0: 10485760}),
    rd("incus-volume-e3e682324ff54fa3a3cf3203d5029366", CUSTOM_PROPS, {0: 1048576}),
    rd("incus-volume-ef2f8cc7bfc148c58a7259f5a201658f", CONTAINER_IMAGE_PROPS, {0: 102400}),
]

EXPECTED_VIEWS = [
    {
        "name": "v1",
        "project": "default",
        "type": "virtual-machines",
        "content_type": "block",
        "incus_name": "incus-volume-v1",
        "resource_definition": "incus-volume-4df9f0598bd14d73953151614428d298",
        "resource_group": "linstor",
        "port": 7004,
        "volume_definitions": [{"number": 0, "size_kib": 10485760}, {"number": 1, "size_kib": 512000}],
        "snapshots": {"snap0": "incus-volume-19dd0b015d22445f8097ba5e740948de"},
        "properties": VM_PROPS,
    },
    {
        "name": "c1",
        "project": "default",
        "type": "containers",
        "content_type": "filesystem",
        "incus_name": "incus-volume-c1",
        "resource_definition": "incus-volume-61be43e12fed4845ab3f2443cccbe50c",
        "resource_group": "linstor",
        "port": 7004,
        "volume_definitions": [{"number": 0, "size_kib": 10485760}],
        "snapshots": {},
        "properties": CONTAINER_PROPS,
    },
    {
        "name": FINGERPRINT_1,
        "project": "default",
        "type": "images",
        "content_type": "block",
        "incus_name": "incus-volume-" + FINGERPRINT_1,
        "resource_definition": "incus-volume-d0531e21ce6b4218b9b8996582b9bf31",
        "resource_group": "linstor",
        "port": 7004,
        "volume_definitions": [{"number": 0, "size_kib": 10485760}],
        "snapshots": {},
        "properties": VM_IMAGE_PROPS,
    },
    {
        "name": "vol",
        "project": "default",
        "type": "custom",
        "content_type": "block",
        "incus_name": "incus-volume-default_vol",
        "resource_definition": "incus-volume-e3e682324ff54fa3a3cf3203d5029366",
        "resource_group": "linstor",
        "port": 7004,
        "volume_definitions": [{"number": 0, "size_kib": 1048576}],
        "snapshots": {},
        "properties": CUSTOM_PROPS,
    },
    {
        "name": FINGERPRINT_2,
        "project": "default",
        "type": "images",
        "content_type": "filesystem",
        "incus_name": "incus-volume-" + FINGERPRINT_2,
        "resource_definition": "incus-volume-ef2f8cc7bfc148c58a7259f5a201658f",
        "resource_group": "linstor",
        "port": 7004,
        "volume_definitions": [{"number": 0, "size_kib": 102400}],
        "snapshots": {},
        "properties": CONTAINER_IMAGE_PROPS,
    },
]


@pytest.mark.parametrize("example, expected", list(zip(EXAMPLE_RDS, EXPECTED_VIEWS, strict=True)))
def test_example_table_reads_back_into_the_incus_view(example: dict, expected: dict) -> None:
    assert naming.volume_view(example, PREFIX) == expected


def test_example_table_names_are_what_the_naming_functions_produce() -> None:
    for example, view in zip(EXAMPLE_RDS, EXPECTED_VIEWS, strict=True):
        props = example["props"]
        expected_aux = naming.aux_properties(PREFIX, view["type"], view["project"], view["name"], view["content_type"])
        assert {key: props[key] for key in expected_aux} == expected_aux
        assert naming.lookup_filters(PREFIX, view["type"], view["project"], view["name"]) == [
            f"Aux/Incus/name={props['Aux/Incus/name']}",
            f"Aux/Incus/type={props['Aux/Incus/type']}",
        ]
        assert naming.is_generated_name(PREFIX, example["name"])
        assert naming.validate_linstor_name(example["name"], "name") == example["name"]


def test_vm_view_matches_the_vm_sizes_of_the_document() -> None:
    view = naming.volume_view(EXAMPLE_RDS[0], PREFIX)
    assert [vd["size_kib"] for vd in view["volume_definitions"]] == [
        naming.volume_size_kib(10 * GiB),
        naming.volume_size_kib(naming.DEFAULT_VM_FILESYSTEM_SIZE_BYTES),
    ]


def test_view_of_an_instance_in_another_project_and_legacy_snapshot_key() -> None:
    props = {
        "Aux/Incus/name": "p-web_c2",
        "Aux/Incus/type": "containers",
        "Aux/Incus/content-type": "filesystem",
        "Aux/Incus/SnapshotName/snap0": "p-0123456789abcdef0123456789abcdef",
    }
    view = naming.volume_view({"name": "p-ffffffffffffffffffffffffffffffff", "props": props}, "p-")
    assert (view["project"], view["name"], view["snapshots"]) == (
        "web",
        "c2",
        {"snap0": "p-0123456789abcdef0123456789abcdef"},
    )
    assert view["volume_definitions"] == []
    assert view["resource_group"] is None


@pytest.mark.parametrize(
    "props",
    [
        {},
        {"Aux/Incus/type": "containers", "Aux/Incus/content-type": "filesystem"},
        {"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/content-type": "filesystem"},
        {"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/type": "containers"},
        {"Aux/Incus/name": "other-c1", "Aux/Incus/type": "containers", "Aux/Incus/content-type": "filesystem"},
        {"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/type": "container", "Aux/Incus/content-type": "filesystem"},
        {"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/type": "containers", "Aux/Incus/content-type": "disk"},
        {"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/type": "containers", "Aux/Incus/content-type": "block"},
        {"Aux/Incus/name": "incus-volume-vol", "Aux/Incus/type": "custom", "Aux/Incus/content-type": "block"},
        {
            "Aux/Incus/name": "incus-volume-default_c1",
            "Aux/Incus/type": "containers",
            "Aux/Incus/content-type": "filesystem",
        },
    ],
)
def test_view_is_none_for_rds_that_are_not_incus_volumes_under_the_prefix(props: dict) -> None:
    assert naming.volume_view(rd("incus-volume-61be43e12fed4845ab3f2443cccbe50c", props, {0: 4096}), PREFIX) is None


@pytest.mark.parametrize(
    "props, reason",
    [
        ({}, "missing Aux/Incus/name, Aux/Incus/type, Aux/Incus/content-type"),
        ({"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/type": "containers"}, "missing Aux/Incus/content-type"),
        ({"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/type": "container", "Aux/Incus/content-type": "filesystem"},
         "Aux/Incus/type 'container' is not one of"),
        ({"Aux/Incus/name": "incus-volume-c1", "Aux/Incus/type": "containers", "Aux/Incus/content-type": "block"},
         "Aux/Incus/content-type 'block' is not one Incus writes for containers"),
        ({"Aux/Incus/name": "other-c1", "Aux/Incus/type": "containers", "Aux/Incus/content-type": "filesystem"},
         "does not start with the prefix 'incus-volume-'"),
        ({"Aux/Incus/name": "incus-volume-vol", "Aux/Incus/type": "custom", "Aux/Incus/content-type": "block"},
         "Aux/Incus/name 'incus-volume-vol': "),
        ({"Aux/Incus/name": "incus-volume-c1/snap0", "Aux/Incus/type": "containers",
          "Aux/Incus/content-type": "filesystem"},
         "names snapshot 'snap0' of incus-volume-c1: a temporary resource definition Incus makes to mount"),
        ({"Aux/Incus/name": "incus-volume-default_vol/s 1", "Aux/Incus/type": "custom",
          "Aux/Incus/content-type": "block"}, "names snapshot 's 1' of incus-volume-default_vol"),
        ({"Aux/Incus/name": "incus-volume-v1/snap0", "Aux/Incus/type": "virtual-machines",
          "Aux/Incus/content-type": "filesystem"}, "names snapshot 'snap0' of incus-volume-v1: a temporary"),
    ],
)
def test_volume_problem_says_why_an_rd_is_not_an_incus_volume(props: dict, reason: str) -> None:
    example = rd("incus-volume-61be43e12fed4845ab3f2443cccbe50c", props, {0: 4096})
    assert reason in naming.volume_problem(example, PREFIX)
    assert naming.volume_view(example, PREFIX) is None


def test_volume_problem_is_none_for_every_example() -> None:
    assert [naming.volume_problem(example, PREFIX) for example in EXAMPLE_RDS] == [None] * 5


def test_drbd_port() -> None:
    assert naming.drbd_port(EXAMPLE_RDS[0]) == 7004
    assert naming.drbd_port({"layer_data": [{"type": "STORAGE"}]}) is None
    assert naming.drbd_port({}) is None
    # LINSTOR 1.32+: ports belong to the resources, an RD without one reports -1
    assert naming.drbd_port({"layer_data": [{"type": "DRBD", "data": {"port": -1}}, {"type": "STORAGE"}]}) is None


def test_view_with_another_prefix_does_not_see_the_example() -> None:
    assert [naming.volume_view(example, "incus-vol-x") for example in EXAMPLE_RDS] == [None] * 5


def test_view_refuses_an_invalid_prefix() -> None:
    with pytest.raises(NamingError) as error:
        naming.volume_view(EXAMPLE_RDS[0], "")
    assert_names(error, "prefix")


def test_creation_properties_are_what_incus_sets_on_create() -> None:
    props = naming.creation_properties(
        PREFIX,
        "virtual-machine",
        "web",
        "v1",
        None,
        {"on_no_quorum": "io-error", "auto_diskful": "1m", "auto_add_quorum_tiebreaker": None},
        {"Aux/site": "lab"},
    )
    assert props == {
        "Aux/site": "lab",
        "DrbdOptions/Resource/on-no-quorum": "io-error",
        "DrbdOptions/auto-diskful": "60",
        "DrbdOptions/Net/allow-two-primaries": "yes",
        "DrbdOptions/ExactSize": "true",
        "Aux/Incus/name": "incus-volume-web_v1",
        "Aux/Incus/type": "virtual-machines",
        "Aux/Incus/content-type": "block",
    }
    assert naming.creation_properties(PREFIX, "custom", "default", "vol", "iso") == {
        "DrbdOptions/Net/allow-two-primaries": "yes",
        "DrbdOptions/ExactSize": "true",
        "Aux/Incus/name": "incus-volume-default_vol",
        "Aux/Incus/type": "custom",
        "Aux/Incus/content-type": "iso",
    }


def test_creation_properties_refuse_user_incus_keys() -> None:
    with pytest.raises(NamingError) as error:
        naming.creation_properties(PREFIX, "custom", "default", "vol", None, None, {"Aux/Incus/type": "images"})
    assert_names(error, "properties")


@pytest.mark.parametrize(
    "key, checked",
    [("Aux/site", False), ("Aux/Incus/name", False), ("EBS/Tags/team", False), ("FileSystem/Type", True),
     ("DrbdOptions/Net/protocol", True), ("Auxiliary/x", True), ("aux/x", True), ("EBS/Other", True)],
)
def test_only_keys_outside_aux_need_the_whitelist(key: str, checked: bool) -> None:
    assert naming.needs_whitelist_check(key) is checked


@pytest.mark.parametrize(
    "key, stored, wanted, match",
    [
        ("DrbdOptions/Net/max-buffers", "8000", "8000", True),
        ("DrbdOptions/Net/max-buffers", "8000", "9000", False),
        ("DrbdOptions/Net/max-buffers", None, "8000", False),
        # LINSTOR lower-cases DRBD booleans and writes yes/no as true/false for its true/false rules
        ("DrbdOptions/Disk/disk-flushes", "yes", "Yes", True),
        ("DrbdOptions/ExactSize", "true", "yes", True),
        ("DrbdOptions/ExactSize", "false", "yes", False),
        ("DrbdOptions/ExactSize", "true", "True", True),
        ("FileSystem/Type", "ext4", "EXT4", False),
        # a value LINSTOR keeps as given: yes and true differ
        ("BackupShipping/AllowForceRestore", "yes", "true", False),
        # Aux/ and EBS/Tags/ values are kept as given
        ("Aux/site", "yes", "Yes", False),
        ("Aux/site", "true", "yes", False),
        ("EBS/Tags/site", "yes", "Yes", False),
    ],
)
def test_property_values_match_as_linstor_normalises(key: str, stored: str | None, wanted: str, match: bool) -> None:
    assert naming.property_values_match(key, stored, wanted) is match


def test_stored_properties_follow_each_keys_rule() -> None:
    """With the whitelist read, one stored form per value; the same normalisation property_values_match allows."""
    rules = {"DrbdOptions/Disk/disk-flushes": {"prop_type": "boolean"},
             "DrbdOptions/ExactSize": {"prop_type": "boolean_true_false"},
             "DrbdOptions/Net/max-buffers": {"prop_type": "range", "value": "(32 - 131072)"}}
    props = {"DrbdOptions/Disk/disk-flushes": "Yes", "DrbdOptions/ExactSize": "yes",
             "DrbdOptions/Net/max-buffers": "8000", "Aux/site": "Yes", "FileSystem/Type": "YES", "unknown": None}
    stored = naming.stored_properties(rules, props)
    assert stored == {"DrbdOptions/Disk/disk-flushes": "yes", "DrbdOptions/ExactSize": "true",
                      "DrbdOptions/Net/max-buffers": "8000", "Aux/site": "Yes", "FileSystem/Type": "YES",
                      "unknown": None}
    assert naming.stored_properties(None, props) == props
    for key, value in props.items():
        if isinstance(value, str):
            assert naming.property_values_match(key, stored[key], value), key


def test_auto_diskful_is_bounded_by_go_durations() -> None:
    """Incus reads drbd.auto_diskful with Go's time.ParseDuration, which overflows past about 2562047h."""
    assert naming.drbd_option_properties(auto_diskful="2562047h") == {"DrbdOptions/auto-diskful": str(2562047 * 3600)}
    with pytest.raises(NamingError, match="too long") as error:
        naming.drbd_option_properties(auto_diskful="2562048h")
    assert_names(error, "drbd_options.auto_diskful")


def test_a_naming_error_renamed_to_the_option_it_was_checked_for() -> None:
    error = NamingError("name", "name 'a_b' is not a valid Incus instance name")
    assert (error.renamed({"name": "volume"}).parameter, error.renamed({"name": "volume"}).message) == \
        ("volume", "volume 'a_b' is not a valid Incus instance name")
    told = NamingError("project", "Incus keeps images in default").renamed({"project": "source.project"})
    assert (told.parameter, told.message) == ("source.project", "source.project: Incus keeps images in default")
    assert error.renamed({"project": "source.project"}) is error
