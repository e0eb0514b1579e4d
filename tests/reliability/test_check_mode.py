"""Check mode for every module and every state: no write reaches LINSTOR, and ``changed`` is what
the real run then reports.

Each case prepares its objects with real runs, clears the emulator's request log, runs the task in
check mode (the log must hold no POST/PUT/DELETE), runs it for real (same ``changed``), then in check
mode again (nothing left to change, except a restore, which is an action each time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from reliability_harness import WRITE_METHODS, Env, connection, record, run_module

V, S, RG, VS, INFO = ("linstor_incus_volume", "linstor_incus_snapshot", "linstor_incus_resource_group",
                      "linstor_incus_volumes", "linstor_incus_volume_info")


@dataclass
class Case:
    id: str
    module: str
    args: Callable[[str], dict[str, Any]]  # unique suffix -> task arguments
    changed: bool
    setup: list[tuple[str, Callable[[str], dict[str, Any]]]] = field(default_factory=list)
    repeatable: bool = False  # changes every time (a restore)
    group_option: bool = True  # the module takes resource_group (not linstor_incus_resource_group)


def vol(size: str = "64MiB", **extra: Any) -> Callable[[str], dict[str, Any]]:
    return lambda u: {"name": f"v{u}", "type": "container", "size": size, **extra}


def snap(name: str, **extra: Any) -> Callable[[str], dict[str, Any]]:
    return lambda u: {"volume": f"v{u}", "type": "container", "name": name, **extra}


CASES = [
    Case("volume present: create", V, vol(), True),
    Case("volume present: create a VM (2 volumes)", V,
         lambda u: {"name": f"vm{u}", "type": "virtual-machine", "size": "64MiB"}, True),
    Case("volume present: no change", V, vol(), False, [(V, vol())]),
    Case("volume present: resize", V, vol("128MiB"), True, [(V, vol())]),
    Case("volume present: properties", V, vol(properties={"FileSystem/Type": "ext4"}), True, [(V, vol())]),
    Case("volume present: drbd_options", V, vol(drbd_options={"on_no_quorum": "io-error"}), True, [(V, vol())]),
    Case("volume present: rename_from", V, lambda u: {"name": f"r{u}", "type": "container", "rename_from": f"v{u}"},
         True, [(V, vol())]),
    Case("volume present: copy (source)", V,
         lambda u: {"name": f"c{u}", "type": "container", "source": {"volume": f"v{u}"}}, True, [(V, vol())]),
    Case("volume absent: delete with snapshots", V, lambda u: {"name": f"v{u}", "type": "container",
                                                               "state": "absent"},
         True, [(V, vol()), (S, snap("s1")), (S, snap("s2"))]),
    Case("volume absent: already gone", V, lambda u: {"name": f"v{u}", "type": "container", "state": "absent"},
         False),
    Case("snapshot present: create", S, snap("s1"), True, [(V, vol())]),
    Case("snapshot present: exists", S, snap("s1"), False, [(V, vol()), (S, snap("s1"))]),
    Case("snapshot present: rename_from", S, snap("s9", rename_from="s1"), True, [(V, vol()), (S, snap("s1"))]),
    Case("snapshot absent: delete", S, snap("s1", state="absent"), True, [(V, vol()), (S, snap("s1"))]),
    Case("snapshot absent: already gone", S, snap("s1", state="absent"), False, [(V, vol())]),
    Case("snapshot restored: most recent", S, snap("s1", state="restored"), True,
         [(V, vol()), (S, snap("s1"))], repeatable=True),
    Case("snapshot restored: remove_newer_snapshots", S, snap("s1", state="restored", remove_newer_snapshots=True),
         True, [(V, vol()), (S, snap("s1")), (S, snap("s2"))], repeatable=True),
    Case("resource_group present: create", RG, lambda u: {"name": f"rg{u}"}, True, group_option=False),
    Case("resource_group present: no change", RG, lambda u: {"name": f"rg{u}"}, False,
         [(RG, lambda u: {"name": f"rg{u}"})], group_option=False),
    Case("resource_group present: modify", RG, lambda u: {"name": f"rg{u}", "place_count": 3}, True,
         [(RG, lambda u: {"name": f"rg{u}"})], group_option=False),
    Case("resource_group absent: delete", RG, lambda u: {"name": f"rg{u}", "state": "absent"}, True,
         [(RG, lambda u: {"name": f"rg{u}"})], group_option=False),
    Case("resource_group absent: already gone", RG, lambda u: {"name": f"rg{u}", "state": "absent"}, False,
         group_option=False),
    Case("volumes: create volumes and snapshots", VS, lambda u: {"volumes": [
        {"name": f"a{u}", "type": "container", "size": "64MiB", "snapshots": [{"name": "s1"}]},
        {"name": f"b{u}", "type": "custom", "size": "64MiB"}]}, True),
    Case("volumes: no change", VS, lambda u: {"volumes": [{"name": f"v{u}", "type": "container", "size": "64MiB"}]},
         False, [(V, vol())]),
    Case("volumes: resize, rename, snapshot absent, volume absent", VS, lambda u: {"volumes": [
        {"name": f"v{u}", "type": "container", "size": "128MiB", "snapshots": [{"name": "s1", "state": "absent"}]},
        {"name": f"n{u}", "type": "container", "rename_from": f"o{u}"},
        {"name": f"d{u}", "type": "container", "state": "absent"}]}, True,
        [(V, vol()), (S, snap("s1")), (V, lambda u: {"name": f"o{u}", "type": "container", "size": "64MiB"}),
         (V, lambda u: {"name": f"d{u}", "type": "container", "size": "64MiB"})]),
    Case("volume_info: scan_all, include_snapshots and resources", INFO,
         lambda u: {"scan_all": True, "include_snapshots": True, "include_resources": True}, False, [(V, vol())]),
]


def _args(env: Env, case_module: str, group_option: bool, args: dict[str, Any]) -> dict[str, Any]:
    return env.args(**args) if group_option else {**connection(env.url), **args}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_check_mode(module_env: Env, case: Case) -> None:
    env = module_env
    unique = f"{CASES.index(case)}x"
    for module, args in case.setup:
        setup = run_module(module, _args(env, module, module != RG, args(unique)))
        assert not setup.failed, (module, setup.result)
    task = _args(env, case.module, case.group_option, case.args(unique))
    env.debug.clear_requests()
    checked = run_module(case.module, task, check_mode=True, diff=True)
    log = env.debug.requests()
    writes = [f"{e['method']} {e['path']}" for e in log if e["method"] in WRITE_METHODS]
    real = run_module(case.module, task)
    env.debug.clear_requests()
    again = run_module(case.module, task, check_mode=True)
    writes_again = [f"{e['method']} {e['path']}" for e in env.debug.requests() if e["method"] in WRITE_METHODS]
    record("check_mode", case=case.id, module=case.module, requests=len(log), writes=len(writes) + len(writes_again),
           changed_check=checked.changed, changed_real=real.changed, expected=case.changed,
           changed_after=again.changed, failed=checked.failed or real.failed or again.failed)
    assert not checked.failed and checked.traceback is None, checked.result
    assert writes == [] and writes_again == [], writes + writes_again
    assert checked.changed is case.changed, checked.result
    assert not real.failed and real.changed is checked.changed, real.result
    assert not again.failed and again.changed is case.repeatable, again.result
