"""Every module's EXAMPLES run, task by task as the docs print them, against the session's controller.

Operators copy these tasks; an option the module no longer takes, a query over a key the result does not have, or
a task that does not do what its name says would reach them first. Each module's examples run in one playbook,
after the tasks that make what they start from (the volume the image example copies, the snapshot a restore
rolls back to), and are followed by checks that they did what their names say. What is changed, and only so that
the tasks can run on any controller without touching what is not theirs:

- ``controllers`` is dropped: LS_CONTROLLERS names the session's controller;
- each resource group name gets this run's own prefix, and the volume modules this run's own volume prefix
  (module_defaults);
- ``storage_pool`` becomes a diskful storage pool of the controller's, and ``place_count`` at most the nodes that
  have it.

Everything the run made is deleted afterwards. A module without a scenario here fails, so that a new module's
examples are run too.
"""

from __future__ import annotations

import ast
import contextlib
import json
import secrets
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_targets import run_playbook

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))
VOLUME_MODULES = ("linstor_incus_snapshot", "linstor_incus_volume", "linstor_incus_volume_info",
                  "linstor_incus_volumes")
IMAGE = "d21a26af7d5a95c3aa6e923257a1cb5cd765b102796b92ab111fb29ebfb86137"


def examples(module: str) -> list[dict[str, Any]]:
    """The tasks of a module's EXAMPLES, parsed as ansible-doc shows them."""
    tree = ast.parse((REPO / "plugins" / "modules" / f"{module}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"{module} has no EXAMPLES")


def volume(name: str, group: str = "remote", **options: Any) -> dict[str, Any]:
    return {"name": f"Given: volume {name}",
            "linstor.incus.linstor_incus_volume": {"name": name, "resource_group": group, **options}}


def snapshot(volume_name: str, name: str, **options: Any) -> dict[str, Any]:
    return {"name": f"Given: snapshot {name} of {volume_name}",
            "linstor.incus.linstor_incus_snapshot": {"volume": volume_name, "name": name,
                                                     "resource_group": "remote", **options}}


def group(name: str) -> dict[str, Any]:
    return {"name": f"Given: resource group {name}",
            "linstor.incus.linstor_incus_resource_group": {"name": name, "place_count": 2}}


def info(register: str, group_name: str = "remote", **options: Any) -> dict[str, Any]:
    return {"name": f"Read {group_name} after the examples",
            "linstor.incus.linstor_incus_volume_info": {"resource_group": group_name, "include_snapshots": True,
                                                        **options},
            "register": register}


def check(*that: str) -> dict[str, Any]:
    return {"name": "Check", "ansible.builtin.assert": {"that": list(that)}}


def names(register: str, **where: str) -> str:
    """A Jinja expression: the sorted names of the volumes in ``register`` (those matching ``where``)."""
    selected = "".join(f" | selectattr('{key}', '==', '{value}')" for key, value in where.items())
    return f"{register}.volumes{selected} | map(attribute='name') | sort"


def snapshots_of(register: str, name: str, project: str = "default") -> str:
    """A Jinja expression: the sorted Incus snapshot names of one volume in ``register``."""
    return (f"{register}.volumes | selectattr('name', '==', '{name}') | selectattr('project', '==', '{project}') "
            "| map(attribute='snapshots') | first | list | sort")


def group_props(name: str) -> str:
    """A Jinja expression: the properties of the examples' group ``name``, read from the controller."""
    return (f"(lookup('ansible.builtin.url', linstor_api_url ~ '/v1/resource-groups/' ~ groups_map['{name}'])"
            " | from_json).props")


# Per module: what the examples start from, and what must hold after them (the examples' own registered
# results included). Group names are the examples' (mapped to this run's); "remote" and "linstor" exist first.
SCENARIOS: dict[str, dict[str, list[dict[str, Any]]]] = {
    "linstor_incus_resource_group": {
        "given": [],
        "then": [
            check(f"{group_props('vms')}['DrbdOptions/Resource/on-no-quorum'] == 'io-error'",
                  f"{group_props('vms')}['DrbdOptions/auto-diskful'] == '60'",
                  f"{group_props('async')}['DrbdOptions/Disk/rs-discard-granularity'] == '65536'",
                  f"{group_props('async')}['DrbdOptions/Net/protocol'] == 'A'",
                  "(lookup('ansible.builtin.url', linstor_api_url ~ '/v1/resource-groups/' ~ groups_map['remote'])"
                  " | from_json).select_filter.storage_pool == storage_pool"),
        ],
    },
    "linstor_incus_volume": {
        "given": [group("remote"), volume(IMAGE, type="image", content_type="block", size="10GiB"),
                  volume("vol", type="custom", size="1GiB"), snapshot("vol", "nightly", type="custom")],
        "then": [
            info("after"),
            check(f"{names('after', type='custom')} == ['archive', 'vol', 'vol-check']",
                  f"{names('after', type='virtual-machines')} == ['v1', 'v2']",
                  f"{names('after', type='containers')} == []",
                  "after.volumes | selectattr('name', '==', 'v1') | map(attribute='project') | list == ['web']",
                  "(after.volumes | selectattr('name', '==', 'v1') | first).volume_definitions[0].size_kib"
                  " == 40 * 1024 * 1024",
                  "(after.volumes | selectattr('name', '==', 'archive') | first).content_type == 'block'"),
        ],
    },
    "linstor_incus_snapshot": {
        "given": [group("remote"), volume("c1", type="container", size="1GiB"),
                  volume("v1", type="virtual-machine", project="web", size="2GiB"),
                  snapshot("v1", "snap3", type="virtual-machine", project="web"),
                  snapshot("v1", "snap4", type="virtual-machine", project="web"),
                  volume("data", type="custom", project="web", size="1GiB"),
                  snapshot("data", "nightly", type="custom", project="web")],
        "then": [
            info("after"),
            check(f"{snapshots_of('after', 'c1')} == ['before-upgrade']",
                  f"{snapshots_of('after', 'v1', 'web')} == ['snap3', 'snap4']",  # the roll-back ran in check mode
                  f"{snapshots_of('after', 'data', 'web')} == []",
                  f"{names('after', project='web', type='custom')} == ['data', 'data-restored']"),
        ],
    },
    "linstor_incus_volumes": {
        "given": [group("remote"), volume("data", type="custom", content_type="block", size="50GiB")],
        "then": [
            check("reconciled.summary.created == 2", "reconciled.summary.renamed == 1",
                  "reconciled.summary.resized == 1", "reconciled.summary.snapshot_created == 1"),
            info("after"),
            check(f"{names('after')} == ['archive', 'c1', 'v1']",
                  f"{snapshots_of('after', 'c1')} == ['before-upgrade']"),
        ],
    },
    "linstor_incus_volume_info": {
        "given": [group("linstor"), volume("c1", "linstor", type="container", size="1GiB"),
                  volume("v1", "linstor", type="virtual-machine", size="2GiB"),
                  volume("w", "linstor", type="custom", project="web", size="1GiB"),
                  volume("big", "linstor", type="custom", content_type="block", size="200GiB")],
        "then": [
            check(f"{names('pool')} == ['big', 'c1', 'v1', 'w']",
                  "v1.volumes | map(attribute='name') | list == ['v1']",
                  "dr.query_result | map(attribute='incus') | sort == [volume_prefix ~ 'c1', volume_prefix ~ "
                  "'default_big', volume_prefix ~ 'v1', volume_prefix ~ 'web_w']",
                  "dr.query_result | map(attribute='rd') | select('match', volume_prefix ~ '[0-9a-f]{32}$') | list"
                  " | length == 4",
                  "audit.query_result == 0",
                  "placement.query_result | map(attribute='volume') | list == ['w']",
                  "placement.query_result[0].nodes | length == place_count",
                  "big.query_result == [volume_prefix ~ 'default_big']"),
        ],
    },
}


def api(controller, method: str, path: str, body: dict | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(controller.api_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        text = reply.read()
    return json.loads(text) if text else None


def diskful_pool(controller) -> tuple[str, int]:
    """The diskful storage pool most nodes have, and how many have it."""
    pools = Counter(pool["storage_pool_name"] for pool in api(controller, "GET", "/v1/view/storage-pools")
                    if str(pool.get("provider_kind") or "").upper() != "DISKLESS")
    if not pools:
        pytest.skip("the controller has no diskful storage pool")
    return pools.most_common(1)[0]


@dataclass
class Run:
    """One module's run: its own names, and the controller's pool (the module docstring's list)."""

    run_id: str
    storage_pool: str
    place_count: int
    groups: dict[str, str] = field(default_factory=dict)  # the examples' group name -> this run's

    def adapted(self, task: dict[str, Any]) -> dict[str, Any]:
        """``task`` as this run runs it."""
        task = json.loads(json.dumps(task))
        for key, options in task.items():
            if not key.startswith("linstor.incus.") or not isinstance(options, dict):
                continue
            options.pop("controllers", None)
            group_option = "name" if key.endswith(".linstor_incus_resource_group") else "resource_group"
            if group_option in options:
                name = options[group_option]
                options[group_option] = self.groups.setdefault(name, f"{self.run_id}-{name}")
            if "storage_pool" in options:
                options["storage_pool"] = self.storage_pool
            if isinstance(options.get("place_count"), int):
                options["place_count"] = min(options["place_count"], self.place_count)
        return task


def delete_made(controller, group_names: list[str]) -> None:
    """Delete every RD of the run's groups (snapshots first), then the groups. A failed request is passed over:
    the test's own result stands."""

    def delete(path: str) -> None:
        with contextlib.suppress(OSError):
            api(controller, "DELETE", path)

    with contextlib.suppress(OSError):
        rds = [rd["name"] for rd in api(controller, "GET", "/v1/resource-definitions") or []
               if rd.get("resource_group_name") in group_names]
        for rd in map(urllib.parse.quote, rds):
            for snap in api(controller, "GET", f"/v1/resource-definitions/{rd}/snapshots") or []:
                delete(f"/v1/resource-definitions/{rd}/snapshots/{urllib.parse.quote(snap['name'])}")
            delete(f"/v1/resource-definitions/{rd}")
    for group_name in group_names:
        delete(f"/v1/resource-groups/{urllib.parse.quote(group_name)}")


@pytest.mark.parametrize("module", MODULES)
def test_examples_run_as_documented(module: str, controller, request: pytest.FixtureRequest,
                                    tmp_path: Path) -> None:
    assert module in SCENARIOS, f"{module}'s EXAMPLES are not run: add what they start from to SCENARIOS"
    scenario = SCENARIOS[module]
    if module != "linstor_incus_resource_group":
        request.getfixturevalue("needs_placement")
    storage_pool, pool_nodes = diskful_pool(controller)
    run = Run("ex" + secrets.token_hex(4), storage_pool, min(2, pool_nodes))
    volume_prefix = f"{run.run_id}-"
    tasks = [run.adapted(task) for task in scenario["given"] + examples(module) + scenario["then"]]
    play = {
        "hosts": "localhost", "gather_facts": False,
        "vars": {"groups_map": run.groups, "storage_pool": run.storage_pool, "place_count": run.place_count,
                 "volume_prefix": volume_prefix},
        "module_defaults": {f"linstor.incus.{name}": {"prefix": volume_prefix} for name in VOLUME_MODULES},
        "tasks": tasks,
    }
    try:
        result = run_playbook(yaml.safe_dump([play], sort_keys=False), controller, tmp_path)
    finally:
        delete_made(controller, list(run.groups.values()))
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{module}'s examples failed:\n{output[-20000:]}"
    assert "failed=0" in result.stdout
