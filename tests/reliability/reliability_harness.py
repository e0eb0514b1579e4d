"""Shared helpers of the reliability tests: emulators of their own, modules run the Ansible way, a
state scan that finds what a failure may leave behind, and the figures the tests measure.

Modules are run in-process exactly as Ansible's own unit tests drive them: the arguments go in
through ``ansible.module_utils.testing.patch_module_args`` (ansible-core's helper, which sets
``basic._ANSIBLE_ARGS`` to the JSON ``{"ANSIBLE_MODULE_ARGS": {...}}`` and the serialization
profile), the module's ``main()`` runs, ``exit_json``/``fail_json`` print the result and raise ``SystemExit``.
That is the module's whole code path (argument spec, client, operation, result) without the
AnsiballZ wrapper around it, at a few milliseconds a run instead of seconds for ansible-playbook.
The race tests, which need separate processes, run the module as its own process the same way
(``python -m <module> args.json``, see ``race_worker.py``).

Figures: each test calls :func:`record` with what it measured; the session writes them, one JSON
list per kind, to ``.state/figures/reliability/<kind>.json`` (see conftest.py), where
``scripts/reliability`` reads them. Nothing is typed by hand.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from ansible.module_utils import _internal as module_utils_internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    AUX_CONTENT_TYPE,
    AUX_NAME,
    AUX_TYPE,
    is_generated_name,
    snapshot_mappings,
)
from linstor_emulator.testing import DebugApi, EmulatorProcess

REPO = Path(__file__).resolve().parents[2]
FIGURES_DIR = REPO / ".state" / "figures" / "reliability"
MODULES = "ansible_collections.linstor.incus.plugins.modules"
GROUP = "relgrp"
PREFIX = "incus-volume-"
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")

RECORDS: dict[str, list[dict[str, Any]]] = {}


def record(kind: str, **fields: Any) -> None:
    """Keep one measured record of ``kind`` (written at the end of the session)."""
    RECORDS.setdefault(kind, []).append(fields)


def write_figures() -> None:
    """Write the records of this session, one file per kind (kinds not run keep their last file)."""
    if not RECORDS:
        return
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    for kind, rows in RECORDS.items():
        (FIGURES_DIR / f"{kind}.json").write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n")


# --- Running modules --------------------------------------------------------------------------------


@dataclass
class ModuleRun:
    """What one module run produced: its result, and any traceback it let through."""

    result: dict[str, Any]
    exit_code: int | None
    traceback: str | None = None

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))

    @property
    def changed(self) -> bool:
        return bool(self.result.get("changed"))

    @property
    def msg(self) -> str:
        return str(self.result.get("msg", ""))

    @property
    def warnings(self) -> list[str]:
        """The texts of the run's warnings (ansible-core 2.19+ gives each as a structured event)."""
        return [str(entry["event"]["msg"]) if isinstance(entry, dict) else str(entry)
                for entry in self.result.get("warnings") or []]


@contextlib.contextmanager
def module_process() -> Iterator[None]:
    """Run the block as a module process runs: not the controller (:data:`ansible.module_utils._internal.is_controller`
    off), as it was before."""
    was_controller, module_utils_internal.is_controller = module_utils_internal.is_controller, False
    try:
        yield
    finally:
        module_utils_internal.is_controller = was_controller


def run_module(module: str, args: dict[str, Any], *, check_mode: bool = False, diff: bool = False) -> ModuleRun:
    """Run ``linstor.incus.<module>`` in-process the way Ansible's unit tests do; never raises.

    A traceback is anything the module did not turn into ``fail_json`` itself: an exception out of
    ``main()``, output that is not a JSON result, or the ``exception`` key that ``_module.run_module``
    adds for an unexpected error.
    """
    payload = dict(args)
    payload.update(_ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_remote_tmp="/tmp",
                   _ansible_keep_remote_files=False)
    main = importlib.import_module(f"{MODULES}.{module}").main
    # Ansible keeps a module's warnings in a process-wide table, as a module is one process: start each run clean
    ansible_warnings._global_warnings.clear()
    ansible_warnings._global_deprecations.clear()
    out = io.StringIO()
    code: int | None = None
    escaped: str | None = None
    # as on a managed node: once a test of this process imported controller code (a filter plugin imports
    # ansible.utils.display), ansible-core takes the process for the controller and shows module warnings at once
    # instead of returning them in the result
    with patch_module_args(payload), contextlib.redirect_stdout(out), module_process():
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        except BaseException:  # noqa: BLE001 - a traceback is what this harness measures
            escaped = traceback.format_exc()
    text = out.getvalue().strip()
    try:
        result = json.loads(text.splitlines()[-1]) if text else {}
    except ValueError:
        result = {"failed": True, "msg": f"not a JSON result: {text[:300]!r}"}
        escaped = escaped or text
    if escaped is None and ("exception" in result or str(result.get("msg", "")).startswith("unexpected error")):
        escaped = str(result.get("exception") or result.get("msg"))
    return ModuleRun(result, code, escaped)


def connection(url: str) -> dict[str, Any]:
    return {"controllers": url, "timeout": 10}


# --- Emulators --------------------------------------------------------------------------------------


@dataclass
class Env:
    """One emulator of a test's own, with the resource group the volumes are spawned from."""

    process: EmulatorProcess
    group: str = GROUP
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def debug(self) -> DebugApi:
        return self.process.debug

    def args(self, **extra: Any) -> dict[str, Any]:
        return {**connection(self.url), "resource_group": self.group, **extra}

    def run(self, module: str, check_mode: bool = False, **args: Any) -> ModuleRun:
        return run_module(module, self.args(**args), check_mode=check_mode)

    def must(self, module: str, **args: Any) -> ModuleRun:
        """Run a set-up step, which must succeed."""
        outcome = self.run(module, **args)
        assert not outcome.failed and outcome.traceback is None, (module, args, outcome.result, outcome.traceback)
        return outcome

    def writes(self) -> list[dict[str, Any]]:
        return [entry for entry in self.debug.requests() if entry["method"] in WRITE_METHODS]

    def get(self, path: str, **params: Any) -> Any:
        reply = requests.get(self.url + path, params=params, timeout=30)
        reply.raise_for_status()
        return reply.json()


def start_env(directory: Path, group: str = GROUP, extra: tuple[str, ...] = ()) -> Env:
    """An emulator of its own (``extra``: more command-line options) with ``group`` created (place count 2)."""
    process = EmulatorProcess(directory / "state.sqlite3", extra=extra).start()
    reply = requests.post(process.url + "/v1/resource-groups",
                          json={"name": group, "select_filter": {"place_count": 2}}, timeout=30)
    reply.raise_for_status()
    return Env(process, group)


# --- What a failure may leave behind ----------------------------------------------------------------


@dataclass
class Scan:
    """Every RD and snapshot of the emulator, sorted into what the promise forbids."""

    rds: list[dict[str, Any]]
    orphans: list[str]
    duplicates: dict[str, list[str]]
    unmapped: list[str]
    dangling: list[str]
    volumes: dict[str, str]  # "<type>:<Aux/Incus/name>" -> RD name
    snapshots: dict[str, list[str]]  # RD name -> its LINSTOR snapshots

    @property
    def problems(self) -> int:
        return len(self.orphans) + len(self.duplicates) + len(self.unmapped) + len(self.dangling)

    def summary(self) -> dict[str, Any]:
        return {"orphans": self.orphans, "duplicates": self.duplicates, "unmapped": self.unmapped,
                "dangling": self.dangling}


def scan(env: Env, prefix: str = PREFIX) -> Scan:
    """Read every RD and snapshot over REST (not through the modules) and sort them.

    orphan: an RD without all three aux keys; duplicate: two RDs claiming one (type, name);
    unmapped: a LINSTOR snapshot with a generated name that no mapping of its RD names;
    dangling: a mapping naming a snapshot its RD does not have.
    """
    rds = env.get("/v1/resource-definitions")
    snaps = env.get("/v1/view/snapshots")
    by_rd: dict[str, list[str]] = {}
    for snap in snaps:
        by_rd.setdefault(snap["resource_name"].lower(), []).append(snap["name"])
    orphans, unmapped, dangling = [], [], []
    claims: dict[str, list[str]] = {}
    for rd in rds:
        props = rd.get("props") or {}
        if not all(props.get(key) for key in (AUX_NAME, AUX_TYPE, AUX_CONTENT_TYPE)):
            orphans.append(rd["name"])
        else:
            claims.setdefault(f"{props[AUX_TYPE]}:{props[AUX_NAME]}", []).append(rd["name"])
        mapped = {value.lower() for value in snapshot_mappings(props).values()}
        present = by_rd.get(rd["name"].lower(), [])
        unmapped += [f"{rd['name']}/{s}" for s in present if s.lower() not in mapped and is_generated_name(prefix, s)]
        have = {s.lower() for s in present}
        dangling += [f"{rd['name']}/{incus}" for incus, linstor in snapshot_mappings(props).items()
                     if linstor.lower() not in have]
    duplicates = {key: sorted(names) for key, names in claims.items() if len(names) > 1}
    volumes = {key: names[0] for key, names in claims.items()}
    return Scan(rds, sorted(orphans), duplicates, sorted(unmapped), sorted(dangling), volumes,
                {rd["name"]: sorted(by_rd.get(rd["name"].lower(), [])) for rd in rds})


def rds_claiming(env: Env, name: str) -> list[str]:
    """The RDs whose ``Aux/Incus/name`` is volume ``name``'s (read over REST, as :func:`scan` reads)."""
    return [rd["name"] for rd in scan(env).rds if (rd.get("props") or {}).get(AUX_NAME) == f"incus-volume-{name}"]


def info_anomalies(env: Env) -> dict[str, int]:
    """The anomalies ``linstor_incus_volume_info`` reports with ``scan_all`` and ``include_snapshots``."""
    outcome = env.must("linstor_incus_volume_info", scan_all=True, include_snapshots=True)
    return {kind: len(items) for kind, items in (outcome.result.get("anomalies") or {}).items()}
