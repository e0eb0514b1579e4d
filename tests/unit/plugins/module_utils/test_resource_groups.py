"""The resource group as Incus makes it: option checks, the view, and the smallest request bodies."""

from __future__ import annotations

import pytest
from ansible_collections.linstor.incus.plugins.module_utils._naming import NamingError
from ansible_collections.linstor.incus.plugins.module_utils._resource_groups import (
    changes,
    creation_body,
    desired_group,
    desired_view,
    group_view,
    storage_pools,
)

INCUS_PROPS = {"DrbdOptions/Resource/on-no-quorum": "suspend-io", "DrbdOptions/auto-add-quorum-tiebreaker": "true",
               "DrbdOptions/Disk/rs-discard-granularity": "1048576"}


def linstor_group(**changes_to) -> dict:
    """A group as LINSTOR lists it after Incus made it for a pool with linstor.resource_group.storage_pool=pool1."""
    group = {"name": "incus", "description": "Resource group managed by Incus",
             "select_filter": {"place_count": 2, "storage_pool": "pool1", "storage_pool_list": ["pool1"]},
             "props": dict(INCUS_PROPS)}
    group.update(changes_to)
    return group


def test_the_defaults_are_the_group_incus_makes():
    """Incus's defaults: two replicas, its description, suspend-io on no quorum, the auto-tiebreaker on, its
    resync granularity, and no auto-diskful (removed if the group has it)."""
    desired = desired_group("incus")
    assert (desired.place_count, desired.description, desired.storage_pool) == (
        2, "Resource group managed by Incus", None)
    assert desired.props == INCUS_PROPS
    assert desired.absent_props == ("DrbdOptions/auto-diskful",)
    assert creation_body(desired) == {"name": "incus", "description": "Resource group managed by Incus",
                                      "select_filter": {"place_count": 2}}
    assert creation_body(desired_group("incus", storage_pool="pool1"))["select_filter"] == {
        "place_count": 2, "storage_pool": "pool1"}


@pytest.mark.parametrize(("options", "parameter", "message"), [
    ({"name": "1x"}, "name", "1x"),
    ({"place_count": 0}, "place_count", "at least 1, got 0"),
    ({"place_count": True}, "place_count", "got True"),
    ({"storage_pool": "p"}, "storage_pool", "3 to 48 characters"),
    ({"description": None}, "description", "must be a string"),
    ({"drbd_options": {"bogus": 1}}, "drbd_options.bogus", "not a DRBD option Incus sets"),
    ({"properties": {"FileSystem/Type": "ext4"}}, "properties", "set it per filesystem volume"),
    ({"properties": {"DrbdOptions/Resource/on-no-quorum": None}}, "properties", "follows drbd_options.on_no_quorum"),
])
def test_bad_options_are_refused_naming_the_option(options, parameter, message):
    with pytest.raises(NamingError, match=message) as caught:
        desired_group(**{"name": "incus", **options})
    assert caught.value.parameter == parameter


def test_a_group_as_incus_made_it_needs_no_change():
    assert changes(linstor_group(), desired_group("incus", storage_pool="pool1")) == {}
    assert changes(linstor_group(), desired_group("incus")) == {}, "no storage_pool: the group keeps its pools"


def test_changes_name_only_what_differs():
    current = linstor_group(description="old",
                            select_filter={"place_count": 3, "storage_pool_list": ["pool1", "pool2"]},
                            props={**INCUS_PROPS, "DrbdOptions/auto-diskful": "5", "Aux/other": "kept"})
    desired = desired_group("incus", storage_pool="pool1", drbd_options={"auto_add_quorum_tiebreaker": False})
    assert changes(current, desired) == {
        "description": "Resource group managed by Incus",
        # both fields: LINSTOR keeps the list, and a stale list would outlive the change
        "select_filter": {"place_count": 2, "storage_pool": "pool1", "storage_pool_list": ["pool1"]},
        "override_props": {"DrbdOptions/auto-add-quorum-tiebreaker": "false"},
        "delete_props": ["DrbdOptions/auto-diskful"],
    }


def test_a_value_linstor_keeps_normalised_is_no_change():
    """``Yes`` given is kept lower-cased, or as ``true`` under a true/false rule: read back so, it is no change."""
    for stored in ("yes", "true"):  # "yes" under a boolean rule (this key's); "true" under a true/false one
        current = linstor_group(props={**INCUS_PROPS, "DrbdOptions/Disk/disk-barrier": stored})
        desired = desired_group("incus", properties={"DrbdOptions/Disk/disk-barrier": "Yes"})
        assert changes(current, desired) == {}
        assert desired_view(desired, current)["props"]["DrbdOptions/Disk/disk-barrier"] == stored
    assert changes(linstor_group(props={**INCUS_PROPS, "DrbdOptions/auto-add-quorum-tiebreaker": "no"}),
                   desired_group("incus")) == {"override_props": {"DrbdOptions/auto-add-quorum-tiebreaker": "true"}}


def test_user_properties_are_set_and_removed_and_others_left_alone():
    current = linstor_group(props={**INCUS_PROPS, "Aux/gone": "x", "Aux/other": "kept"})
    desired = desired_group("incus", properties={"Aux/site": "lab", "Aux/gone": None})
    assert desired.user_keys == ("Aux/gone", "Aux/site")
    assert changes(current, desired) == {"override_props": {"Aux/site": "lab"}, "delete_props": ["Aux/gone"]}
    view = desired_view(desired, current)
    assert view["props"] == dict(sorted({**INCUS_PROPS, "Aux/site": "lab", "Aux/other": "kept"}.items()))


def test_the_view_reads_one_pool_as_storage_pool_and_several_as_a_list():
    assert storage_pools({"storage_pool": "pool1"}) == ["pool1"]
    assert storage_pools({"storage_pool": "pool1", "storage_pool_list": ["a", "b"]}) == ["a", "b"]
    view = group_view(linstor_group(select_filter={"place_count": 2, "storage_pool_list": ["a", "b"]}))
    assert (view["place_count"], view["storage_pool"], view["storage_pool_list"]) == (2, None, ["a", "b"])
    assert view["drbd_options"]["auto_add_quorum_tiebreaker"] is True
    assert group_view(None) == {}


def test_the_view_of_a_new_group_is_what_the_create_and_the_property_write_make():
    view = desired_view(desired_group("incus", place_count=3, storage_pool="pool1"))
    assert (view["name"], view["place_count"], view["storage_pool"], view["storage_pool_list"]) == (
        "incus", 3, "pool1", ["pool1"])
    assert view["props"] == dict(sorted(INCUS_PROPS.items()))
