"""Gate: the released tarball, built by `ansible-galaxy collection build` from the checkout, holds the
collection and nothing of the development tree, and works once installed.

The tarball is installed with `ansible-galaxy collection install -p` into an empty collections path,
and every check after that runs with ANSIBLE_COLLECTIONS_PATH set to it only and
ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false, so the checkout that scripts/setup links into the
virtualenv's site-packages is not seen; `ansible-galaxy collection list` proves which copy is used.
Then `ansible-doc` documents every module found in plugins/modules and every role in roles/, and a playbook runs the
collection's `*_info` modules against the session's controller (the emulator, or LS_CONTROLLERS).
"""

from __future__ import annotations

import json
import re
import secrets
import sys
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from qualitylib import REPO, modules, roles, run, tool, tool_env

# What the tarball must not carry: the development tree, by top-level entry...
FORBIDDEN_TOP = {"emulator", "tests", "bench", "scripts", ".venv", ".state", ".ci", ".github",
                 ".hypothesis", ".pytest_cache", ".ruff_cache", "pyproject.toml", "requirements-test.txt"}
# ... and anywhere inside it.
FORBIDDEN_ANYWHERE = re.compile(r"(^|/)(__pycache__|[^/]*\.pyc|[^/]*\.egg-info|linstor_emulator)(/|$)")


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    run([tool("ansible-galaxy"), "collection", "build", "--output-path", out, REPO])
    built = list(out.glob("linstor-incus-*.tar.gz"))
    assert len(built) == 1, built
    return built[0]


@pytest.fixture(scope="module")
def installed(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment under which only the installed tarball provides linstor.incus."""
    root = tmp_path_factory.mktemp("installed")
    collections = root / "collections"
    env = tool_env(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
                   ANSIBLE_HOME=str(root / "ansible-home"), ANSIBLE_LOCAL_TEMP=str(root / "tmp"))
    run([tool("ansible-galaxy"), "collection", "install", "-p", collections, tarball], env=env)
    return env


def members(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as tar:
        return sorted(m.name.removeprefix("./") for m in tar.getmembers())


def test_tarball_leaves_out_the_development_tree(tarball: Path) -> None:
    names = members(tarball)
    leaked = sorted(n for n in names if n.split("/")[0] in FORBIDDEN_TOP or FORBIDDEN_ANYWHERE.search(n))
    assert not leaked, "the tarball carries development files (add them to build_ignore in galaxy.yml):\n" + \
        "\n".join(leaked)


def test_tarball_holds_the_collection(tarball: Path) -> None:
    names = set(members(tarball))
    wanted = {"MANIFEST.json", "FILES.json", "meta/runtime.yml", "COPYING"}
    for directory in ("plugins/modules", "plugins/module_utils", "plugins/doc_fragments", "roles"):
        wanted |= {str(p.relative_to(REPO)) for p in (REPO / directory).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts}
    missing = sorted(wanted - names)
    assert not missing, f"missing from the tarball: {missing}"
    with tarfile.open(tarball) as tar:
        manifest = json.loads(tar.extractfile("MANIFEST.json").read())
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (galaxy["namespace"], galaxy["name"],
                                                                  galaxy["version"])


def test_installed_copy_is_the_one_used(installed: dict[str, str]) -> None:
    result = run([tool("ansible-galaxy"), "collection", "list", "linstor.incus", "--format", "json"], env=installed)
    found = {path: cols for path, cols in json.loads(result.stdout).items() if "linstor.incus" in cols}
    assert list(found) == [str(Path(installed["ANSIBLE_COLLECTIONS_PATH"]) / "ansible_collections")], found


def test_ansible_doc_lists_the_installed_modules(installed: dict[str, str]) -> None:
    result = run([tool("ansible-doc"), "-t", "module", "-l", "linstor.incus", "--json"], env=installed)
    listed = sorted(name.removeprefix("linstor.incus.") for name in json.loads(result.stdout))
    assert listed == modules()


@pytest.mark.parametrize("module", modules())
def test_ansible_doc_of_each_module(module: str, installed: dict[str, str]) -> None:
    result = run([tool("ansible-doc"), "-t", "module", "--json", f"linstor.incus.{module}"], env=installed)
    doc = json.loads(result.stdout)[f"linstor.incus.{module}"]
    assert doc["doc"]["short_description"], f"{module} has no short_description"
    assert doc["doc"]["collection"] == "linstor.incus"
    assert doc["examples"] and doc["return"] is not None, f"{module} lacks EXAMPLES or RETURN"


@pytest.mark.parametrize("role", roles())
def test_ansible_doc_of_each_role(role: str, installed: dict[str, str]) -> None:
    result = run([tool("ansible-doc"), "-t", "role", "--json", f"linstor.incus.{role}"], env=installed)
    entry_points = json.loads(result.stdout)[f"linstor.incus.{role}"]["entry_points"]
    assert entry_points.get("main", {}).get("short_description"), \
        f"role {role} has no documented main entry point (meta/argument_specs.yml)"


@pytest.fixture
def resource_group(controller) -> Iterator[str]:
    """A fresh, empty resource group on the session's controller, deleted afterwards."""
    name = "qg_" + secrets.token_hex(6)
    request = urllib.request.Request(controller.api_url + "/v1/resource-groups", method="POST",
                                     data=json.dumps({"name": name}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).close()
    yield name
    request = urllib.request.Request(f"{controller.api_url}/v1/resource-groups/{name}", method="DELETE")
    urllib.request.urlopen(request, timeout=30).close()


def placeholder(spec: dict, value: str):
    """A value for a required option of an _info module: the fresh resource group's name for strings."""
    samples = {"str": value, "list": [], "dict": {}, "bool": False, "int": 1, "float": 1.0}
    return samples.get(spec.get("type", "str"), value)


def test_playbook_runs_the_installed_info_modules(installed: dict[str, str], controller, resource_group: str,
                                                  tmp_path: Path) -> None:
    info_modules = [m for m in modules() if m.endswith("_info")]
    if not info_modules:
        pytest.skip("no *_info module in plugins/modules yet: nothing read-only to run against the controller")
    group = resource_group
    tasks = []
    for module in info_modules:
        doc = json.loads(run([tool("ansible-doc"), "-t", "module", "--json", f"linstor.incus.{module}"],
                             env=installed).stdout)[f"linstor.incus.{module}"]["doc"]
        args = {name: placeholder(spec, group) for name, spec in doc.get("options", {}).items()
                if spec.get("required") and name != "controllers"}
        args["controllers"] = controller.controllers
        tasks.append({"name": f"Run {module} from the installed tarball", f"linstor.incus.{module}": args,
                      "register": "result"})
        tasks.append({"name": f"{module} read without changing anything",
                      "ansible.builtin.assert": {"that": ["result is not changed", "result is not failed"]}})
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Installed collection", "hosts": "localhost",
                                         "gather_facts": False, "tasks": tasks}], sort_keys=False))
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    result = run([tool("ansible-playbook"), "-i", inventory, playbook], env=installed, cwd=tmp_path)
    assert "failed=0" in result.stdout
