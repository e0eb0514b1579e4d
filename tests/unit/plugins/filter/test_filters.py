"""The collection's filters: the modules' rules, for roles and playbooks."""

from __future__ import annotations

import pytest
from ansible_collections.linstor.incus.plugins.filter.pool_name_problem import FilterModule as PoolNameFilters
from ansible_collections.linstor.incus.plugins.filter.prefix_problem import FilterModule as PrefixFilters
from ansible_collections.linstor.incus.plugins.filter.role_failure_message import role_failure_message

pool_name_problem = PoolNameFilters().filters()["pool_name_problem"]
prefix_problem = PrefixFilters().filters()["prefix_problem"]


@pytest.mark.parametrize("name", ["remote", "pool-1", "a", "p" * 64, "fast_ssd.2"])
def test_pool_names_incus_takes(name: str) -> None:
    assert pool_name_problem(name) == ""


@pytest.mark.parametrize(("name", "reason"), [
    ("my pool", "white space"), ("a/b", "'/'"), ("-pool", "start and end"), ("pool-", "start and end"),
    ("p" * 65, "64 bytes"), ("é" * 33, "64 bytes"), ("a$b", "'$'"), ("", "non-empty string"),
    (None, "non-empty string"),
])
def test_pool_names_incus_refuses(name: object, reason: str) -> None:
    problem = pool_name_problem(name)
    assert "is not a valid Incus storage pool name" in problem and reason in problem


def test_prefix_problem_is_the_modules_rule() -> None:
    assert prefix_problem("incus-volume-") == ""
    assert "must start with a letter" in prefix_problem("9 vol/")
    assert prefix_problem(None) != ""


def test_role_failure_message_names_the_role_variables() -> None:
    variables = {"volumes": "volumes_list", "timeout": "volumes_timeout", "drbd_options": "pool_drbd_options"}
    told = role_failure_message({"msg": "volumes[1].size: size 'ten' is not a size", "parameter": "volumes[1].size"},
                                variables)
    assert told == "volumes_list[1].size: size 'ten' is not a size"
    assert role_failure_message({"msg": "timeout: must be positive", "parameter": "timeout"}, variables) == \
        "volumes_timeout: must be positive"
    assert role_failure_message({"msg": "drbd_options.auto_diskful '30s' is too short",
                                 "parameter": "drbd_options.auto_diskful"}, variables) == \
        "pool_drbd_options.auto_diskful: drbd_options.auto_diskful '30s' is too short"
    # a loop's first failed item; indexed paths at the start or after "; " renamed, other text kept
    looped = {"msg": "One or more items failed", "results": [
        {"failed": False},
        {"failed": True, "msg": "volumes[1].rename_from: gone; volumes[3].name: taken by myvolumes[1]"}]}
    assert role_failure_message(looped, variables) == \
        "volumes_list[1].rename_from: gone; volumes_list[3].name: taken by myvolumes[1]"
    # an option the mapping does not know, or none: the message as it is
    assert role_failure_message({"msg": "size: nope", "parameter": "size"}, variables) == "size: nope"
    assert role_failure_message({"msg": "Not enough available nodes"}, variables) == "Not enough available nodes"
    # no parameter, but the message names an option and quotes its value (a check-mode warning the loop fails on)
    assert role_failure_message({"msg": "timeout '0' is not allowed"}, variables) == \
        "volumes_timeout: timeout '0' is not allowed"
    assert role_failure_message({"msg": "size '0' is not allowed"}, variables) == "size '0' is not allowed"
    # an option of two words or more named on its own elsewhere (the advice) is renamed; not inside names or keys
    secure = {"auth_token": "volumes_auth_token", "allow_insecure_auth": "volumes_allow_insecure_auth",
              "resource_group": "volumes_resource_group",
              "remove_unmapped_snapshots": "volumes_remove_unmapped_snapshots"}
    assert role_failure_message({"msg": "auth_token is sent over http://c1:3370; use https, or set allow_insecure_auth",
                                 "parameter": "auth_token"}, secure) == \
        ("volumes_auth_token: auth_token is sent over http://c1:3370; use https, or set "
         "volumes_allow_insecure_auth")
    assert role_failure_message({"msg": "resource_group 'x' does not exist (its linstor.resource_group.name); "
                                        "set remove_unmapped_snapshots=true, not volumes[0].remove_unmapped_snapshots"},
                                secure) == (
        "volumes_resource_group: resource_group 'x' does not exist (its linstor.resource_group.name); "
        "set volumes_remove_unmapped_snapshots=true, not volumes[0].remove_unmapped_snapshots")
    assert role_failure_message({"msg": "no_such_option and my_resource_group and resource_groups stay"}, secure) == \
        "no_such_option and my_resource_group and resource_groups stay"
    # names, paths, quoted values, file names and keys that contain an option stay as they are
    kept = ("cannot read /etc/x/my-auth_token.txt, auth_token.txt or 'resource_group'; volume resource_group-2 in "
            "{'resource_group': 'x'} (linstor.resource_group.name)")
    assert role_failure_message({"msg": kept}, secure) == kept
    assert role_failure_message({"msg": "x (auth_token) and auth_token. Then resource_group"}, secure) == \
        "x (volumes_auth_token) and volumes_auth_token. Then volumes_resource_group"
    assert role_failure_message({"msg": "x (or set allow_insecure_auth.) Why auth_token? [resource_group]"},
                                secure) == \
        "x (or set volumes_allow_insecure_auth.) Why volumes_auth_token? [volumes_resource_group]"
