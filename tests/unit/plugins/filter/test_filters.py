"""The collection's filters: the modules' rules, for roles and playbooks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.linstor.incus.plugins.filter.misspelt_role_variables import (
    misspelling_of,
    misspelt_role_variables,
    role_variables,
)
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
    # the same after the role variable the message is told under, or after a quoted option's value
    refusal = {"msg": "volumes[0]: volume v has LINSTOR snapshots that no Incus snapshot maps",
               "parameter": "remove_unmapped_snapshots"}
    assert role_failure_message(refusal, {**variables, "remove_unmapped_snapshots": "volumes_remove_unmapped"}) == \
        "volumes_remove_unmapped: volumes_list[0]: volume v has LINSTOR snapshots that no Incus snapshot maps"
    assert role_failure_message({"msg": "timeout '0' is wrong; volumes[2].rename_from: cannot rename"}, variables) \
        == "volumes_timeout: timeout '0' is wrong; volumes_list[2].rename_from: cannot rename"
    # a value from LS_CONTROLLERS or linstor-client.conf: the role variable that overrides it, and the source
    from_environment = {"msg": "controllers (from the LS_CONTROLLERS environment variable): unsupported scheme "
                        "'ftp://' in 'ftp://x'", "parameter": "controllers"}
    assert role_failure_message(from_environment, {"controllers": "volumes_controllers"}) == \
        "volumes_controllers (from the LS_CONTROLLERS environment variable): unsupported scheme 'ftp://' in 'ftp://x'"
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
    # "the <option> option", one word or more, is told as the role variable; an option the mapping lacks stays
    unreachable = ("could not reach any LINSTOR controller (from the controllers option); tried: http://c1:3370; "
                   "see the timeout option and the delete_retries option")
    variables = {"controllers": "volumes_controllers", "timeout": "volumes_timeout"}
    assert role_failure_message({"msg": unreachable}, variables) == (
        "could not reach any LINSTOR controller (from the volumes_controllers role variable); tried: http://c1:3370; "
        "see the volumes_timeout role variable and the delete_retries option")


def _role(tmp_path: Path, tasks: str) -> Path:
    """A role with two options, a default, a role var and the given tasks file."""
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    options:\n      demo_timeout: {type: int}\n"
        "      demo_controllers: {type: list}\n")
    (tmp_path / "defaults").mkdir()
    (tmp_path / "defaults" / "main.yml").write_text("demo_timeout: 60\ndemo_controllers: []\n")
    (tmp_path / "vars").mkdir()
    (tmp_path / "vars" / "main.yml").write_text("demo_timeout_effective: 1\n")
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "main.yml").write_text(tasks)
    return tmp_path


def test_misspelt_role_variables_warns_about_misspellings_of_an_option(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warned: list[str] = []
    monkeypatch.setattr(Display, "warning", lambda self, message, *args, **kwargs: warned.append(message))
    role = _role(tmp_path, "- block:\n    - ansible.builtin.command: x\n      register: demo_timeouts\n"
                           "  rescue:\n    - ansible.builtin.set_fact:\n        demo_controllerss: 1\n"
                           "        cacheable: true\n      vars:\n        demo_timeout_s: 2\n"
                           "    - ansible.builtin.debug: {var: demo_item}\n      loop: [1]\n"
                           "      loop_control: {loop_var: demo_itme}\n")
    names = ["demo_timout", "demo_controller", "demo_timeout", "demo_controllers", "demo_timeout_effective",
             "demo_timeouts", "demo_controllerss", "demo_timeout_s", "demo_itme", "demo_backup_dir",
             "demos_unrelated_x", "demo_controllers_host", "demo_timeoutx", "demo_tiemout", "demo_cntrollrs"]
    messages = misspelt_role_variables(names, str(role), "my.demo")
    assert messages == [
        "demo_cntrollrs is set, but the my.demo role has no such variable and ignores it: "
        "did you mean demo_controllers?",  # two edits from a long option
        "demo_controller is set, but the my.demo role has no such variable and ignores it: "
        "did you mean demo_controllers?",
        "demo_tiemout is set, but the my.demo role has no such variable and ignores it: did you mean demo_timeout?",
        "demo_timeoutx is set, but the my.demo role has no such variable and ignores it: did you mean demo_timeout?",
        "demo_timout is set, but the my.demo role has no such variable and ignores it: did you mean demo_timeout?"]
    assert warned == messages
    assert misspelt_role_variables(["demo_timeout"], str(role), "my.demo") == []


@pytest.mark.parametrize(("name", "option"), [
    ("volumes_timout", "volumes_timeout"), ("volume_list", "volumes_list"), ("volumes_lsit", "volumes_list"),
    ("pool_nam", "pool_name"), ("volumes_remove_unmaped_snapshot", "volumes_remove_unmapped_snapshots"),
    # a user's own variables: built on an option, or far from every one
    ("volumes_list_host", None), ("volumes_list_all", None), ("pool_names", None), ("volumes_state", None),
    ("pool_controller_ip", None), ("volumes_extra_list", None), ("pool_nme_x", None),
])
def test_a_misspelling_is_one_edit_from_an_option_or_two_from_a_long_one(name: str, option: str | None) -> None:
    options = ["volumes_list", "volumes_timeout", "volumes_remove_unmapped_snapshots", "pool_name",
               "pool_controllers"]
    assert misspelling_of(name, options) == option


def test_misspelt_role_variables_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    role = _role(tmp_path, "- ansible.builtin.debug: {msg: x}\n")
    with pytest.raises(AnsibleFilterError, match="as a list"):
        misspelt_role_variables("demo_timout", str(role), "my.demo")  # lookup() gives a string
    (tmp_path / "vars" / "main.yml").write_text("demo_secret: !unsafe '{{ x }}'\n")
    with pytest.raises(AnsibleFilterError, match="cannot read .*vars/main.yml"):
        misspelt_role_variables(["demo_timout"], str(role), "my.demo")


def test_misspelt_role_variables_knows_every_name_the_collection_roles_use() -> None:
    """Every variable of its prefix that a role's files name is one the role knows, so none is taken for a
    misspelling when a run sets it (a second run of the role, or the role's own task vars)."""
    roles = Path(__file__).resolve().parents[4] / "roles"
    for role in ("pool", "volumes"):
        options, known = role_variables(str(roles / role))
        assert f"{role}_timeout" in options and f"{role}_misspelt_variables" not in options
        named = set()
        for path in (roles / role).rglob("*.yml"):
            named |= set(re.findall(rf"(?<![.\w]){role}_\w+", path.read_text()))
        assert f"{role}_misspelt_variables" in named and f"{role}_timeout" in named
        assert named <= known, named - known
