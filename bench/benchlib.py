"""Shared helpers of the benchmarks: an emulator with its request log, fast seeding, module and
playbook runs, and the tables the benchmarks print.

Seeding: the emulator's state file is filled through ``linstor_emulator.backend.Backend`` (the
emulator's own rules: the same ``spawn`` the REST route calls) *before* the server starts, with
SQLite ``synchronous=OFF`` while seeding; the server then opens that file as it opens any state.
Names and properties come from the collection's ``_naming`` (what the modules themselves write),
so the seeded RDs are volumes the modules recognise. Seeded RDs are definitions only (no
resources placed): placing 10,000 RDs through the backend's autoplace takes over a minute here.

Playbooks run with ``.venv/bin/ansible-playbook`` against an inventory whose
``ansible_python_interpreter`` is this interpreter (discovery picks a broken pyenv shim on these
machines), with the ``bench_timer`` callback (``bench/callback_plugins``) recording when each task
started and ended.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
STATE_ROOT = REPO / ".state" / "bench"
PYTHON = sys.executable
BIN = Path(sys.executable).parent
PREFIX = "incus-volume-"
GROUP = "incus"
OTHER_GROUP = "other"
VOLUME_SIZE_KIB = 1024 * 1024
MODULE_PACKAGE = "ansible_collections.linstor.incus.plugins.modules"

from linstor_emulator.backend import Backend  # noqa: E402 - installed into .venv by scripts/setup
from linstor_emulator.testing import DebugApi, EmulatorProcess  # noqa: E402

# --------------------------------------------------------------------------- emulator

def volume_name(index: int) -> str:
    return f"c{index}"


def seed_state(path: Path, incus: int = 0, other: int = 0, group: str = GROUP, first: int = 0) -> float:
    """Fill a (new or existing) state file with ``incus`` Incus containers ``c<first>``… in ``group``
    and ``other`` non-Incus RDs of the group ``other``; returns the seconds it took."""
    from ansible_collections.linstor.incus.plugins.module_utils import _naming

    start = time.perf_counter()
    backend = Backend(path, synchronous="OFF")
    try:
        existing = {rg["name"] for rg in backend.list_resource_groups()}
        for name in (group, OTHER_GROUP):
            if name not in existing:
                backend.create_resource_group({"name": name, "select_filter": {"place_count": 2}})
        for index in range(first, first + incus):
            props = _naming.creation_properties(PREFIX, "containers", "default", volume_name(index), None)
            backend.spawn(group, {"resource_definition_name": _naming.generate_name(PREFIX),
                                  "volume_sizes": [VOLUME_SIZE_KIB], "definitions_only": True,
                                  "resource_definition_props": props})
        for index in range(other):
            backend.spawn(OTHER_GROUP, {"resource_definition_name": f"other-{index}", "volume_sizes": [4096],
                                        "definitions_only": True, "resource_definition_props": {"Aux/owner": "dba"}})
    finally:
        backend.close()
    return time.perf_counter() - start


class Emulator:
    """An emulator process with ``--debug-api`` on a free port, its state file in ``directory``."""

    def __init__(self, directory: Path, name: str = "emulator"):
        directory.mkdir(parents=True, exist_ok=True)
        self.state = directory / f"{name}.sqlite3"
        self.process: EmulatorProcess | None = None

    def seed(self, incus: int = 0, other: int = 0, group: str = GROUP) -> float:
        return seed_state(self.state, incus, other, group)

    def start(self) -> Emulator:
        if not self.state.exists():
            seed_state(self.state)
        self.process = EmulatorProcess(self.state).start()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.process is not None and self.process.process.poll() is None:
            self.process.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self.process is not None
        return self.process.url

    @property
    def log(self) -> RequestLog:
        debug = DebugApi(self.url)
        return RequestLog(debug.clear_requests, debug.requests)


@dataclass
class RequestLog:
    """The emulator's request log, as two callables (the test's ``controller`` fixture has its own)."""

    clear: Callable[[], None]
    entries: Callable[[], list[dict]]

    def count(self, action: Callable[[], Any]) -> tuple[int, list[dict], Any]:
        """Run ``action`` with a clear log; return how many /v1 requests it made, the log, its value."""
        self.clear()
        value = action()
        entries = self.entries()
        return len(entries), entries, value


def describe(entries: Iterable[dict]) -> str:
    """``GET /v1/... , POST ...`` from log entries, for the tables."""
    return ", ".join(f"{entry['method']} {entry['path']}" for entry in entries)


def query_url(base: str, entry: dict) -> str:
    """The full URL of a logged request (path and query), to replay it with ``uri``."""
    from urllib.parse import urlencode

    query = urlencode([(key, value) for key, values in (entry.get("query") or {}).items() for value in values])
    return base + entry["path"] + ("?" + query if query else "")


# --------------------------------------------------------------------------- modules

@dataclass
class ModuleRun:
    result: dict
    seconds: float
    peak_rss_kib: int  # VmHWM of the module's process (0 when not measured)
    stderr: str
    returncode: int


# Runs a module as ``__main__`` and, at exit, writes the process's own peak resident memory (VmHWM of
# its address space) to BENCH_HWM_FILE. Not ru_maxrss: Linux folds the parent's peak into a child's
# ru_maxrss at exec (subprocess uses vfork), so a bench process that had just parsed a big reply
# would inflate every child's figure.
_BOOT = """
import atexit, os, runpy, sys
def _hwm():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmHWM:'):
                with open(os.environ['BENCH_HWM_FILE'], 'w') as out:
                    out.write(line.split()[1])
atexit.register(_hwm)
name = sys.argv.pop(1)
sys.argv[0] = name
runpy.run_module(name, run_name='__main__', alter_sys=True)
"""


def run_module(module: str, args: dict, *, python_flags: Sequence[str] = (), profile_to: Path | None = None,
               env: dict | None = None, check: bool = True) -> ModuleRun:
    """Run a collection module as its own process with an ANSIBLE_MODULE_ARGS file.

    This is the module's own code path without Ansible around it (no AnsiballZ wrapper, no
    controller): its wall time and its peak resident memory. With ``profile_to``, the run is
    ``python -m cProfile -o profile_to`` instead (no memory figure then).
    """
    name = f"{MODULE_PACKAGE}.{module}"
    with tempfile.TemporaryDirectory(prefix="bench-module-") as tmp:
        args_file = Path(tmp) / "args.json"
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        out_path, err_path, hwm_path = Path(tmp) / "stdout", Path(tmp) / "stderr", Path(tmp) / "hwm"
        launch = ["-m", "cProfile", "-o", str(profile_to), "-m", name] if profile_to else ["-c", _BOOT, name]
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.perf_counter()
            process = subprocess.run([PYTHON, *python_flags, *launch, str(args_file)], stdout=out, stderr=err,
                                     env={**os.environ, **(env or {}), "BENCH_HWM_FILE": str(hwm_path)}, cwd=tmp)
            seconds = time.perf_counter() - start
        stdout, stderr = out_path.read_text(), err_path.read_text()
        peak = int(hwm_path.read_text()) if hwm_path.exists() else 0
    try:
        result = json.loads(stdout)
    except ValueError:
        result = {"failed": True, "msg": f"not JSON: {stdout[:500]!r}"}
    if check and result.get("failed"):
        raise RuntimeError(f"{module} {args} failed: {result.get('msg')}\n{stderr[-2000:]}")
    return ModuleRun(result, seconds, peak, stderr, process.returncode)


def volume_args(url: str, name: str, group: str = GROUP, **extra: Any) -> dict:
    return {"controllers": url, "resource_group": group, "name": name, "type": "container", **extra}


# --------------------------------------------------------------------------- playbooks

@dataclass
class TaskTime:
    name: str
    seconds: float
    changed: bool | None
    failed: bool


@dataclass
class PlaybookRun:
    wall: float
    startup: float
    tasks: list[TaskTime]
    returncode: int
    output: str

    def times(self, prefix: str) -> list[float]:
        """Seconds of every task whose name starts with ``prefix``."""
        return [task.seconds for task in self.tasks if task.name.startswith(prefix)]


def inventory(directory: Path) -> Path:
    path = directory / "inventory.ini"
    path.write_text(f"localhost ansible_connection=local ansible_python_interpreter={PYTHON}\n")
    return path


def run_playbook(directory: Path, plays: list[dict], name: str = "playbook", *, check: bool = True,
                 extra_args: Sequence[str] = ()) -> PlaybookRun:
    """Write ``plays`` as a playbook in ``directory``, run it with ansible-playbook, time it."""
    import yaml

    directory.mkdir(parents=True, exist_ok=True)
    playbook = directory / f"{name}.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False, width=1000))
    timer_out = directory / f"{name}.times.json"
    timer_out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "ANSIBLE_CALLBACK_PLUGINS": str(BENCH / "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "bench_timer",
        "BENCH_TIMER_OUT": str(timer_out),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
        "ANSIBLE_LOCAL_TEMP": str(directory / "ansible-local"),
    }
    env.pop("LS_CONTROLLERS", None)
    start = time.time()
    process = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory(directory)), *extra_args,
                              str(playbook)], cwd=directory, env=env, capture_output=True, text=True)
    wall = time.time() - start
    output = process.stdout + process.stderr
    (directory / f"{name}.out").write_text(output)
    if check and process.returncode != 0:
        raise RuntimeError(f"ansible-playbook {playbook} exited {process.returncode}:\n{output[-4000:]}")
    record = json.loads(timer_out.read_text()) if timer_out.exists() else {"tasks": []}
    tasks = [TaskTime(task["name"], task["end"] - task["start"], task["changed"], task["failed"])
             for task in record["tasks"] if task.get("end") is not None]
    first = record["tasks"][0]["start"] if record["tasks"] else start + wall
    return PlaybookRun(wall, first - start, tasks, process.returncode, output)


def play(tasks: list[dict], **extra: Any) -> dict:
    return {"name": "bench", "hosts": "localhost", "gather_facts": False, "tasks": tasks, **extra}


# --------------------------------------------------------------------------- figures

def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


@dataclass
class Goal:
    """A figure and its goal; ``met`` is None when the figure could not be measured."""

    label: str
    value: float | None
    text: str  # the goal as printed, e.g. "<= 1.2"
    met: bool | None

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "n/a"}[self.met]


def goal(label: str, value: float | None, op: str, target: float) -> Goal:
    if value is None or value != value:  # nan
        return Goal(label, value, f"{op} {target:g}", None)
    met = {"<=": value <= target, "<": value < target, ">=": value >= target, ">": value > target,
           "==": value == target}[op]
    return Goal(label, value, f"{op} {target:g}", met)


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)

    def add(self, *row: Any) -> None:
        self.rows.append(list(row))

    def markdown(self) -> str:
        def cell(value: Any) -> str:
            if isinstance(value, float):
                return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
            return str(value).replace("|", "\\|")

        lines = [f"### {self.title}", "", "| " + " | ".join(self.headers) + " |",
                 "|" + "|".join("---" for _ in self.headers) + "|"]
        lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in self.rows]
        if self.notes:
            lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def render(section: Table | tuple[str, str]) -> str:
    """A section as Markdown: a table, or a ``(title, text)`` pair shown as a preformatted block."""
    if isinstance(section, Table):
        return section.markdown()
    title, text = section
    return f"### {title}\n\n```\n{text}\n```\n"


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or value != value:
        return "n/a"
    return str(int(value)) if float(value).is_integer() else f"{value:.{digits}f}"


def goal_table(title: str, goals: list[Goal]) -> Table:
    table = Table(title, ["figure", "value", "goal", "verdict"])
    for item in goals:
        table.add(item.label, fmt(item.value), item.text, item.verdict)
    return table


# --------------------------------------------------------------------------- machine

def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    import ansible

    return {
        "date (UTC)": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "load average at start": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "ansible-core": ansible.__version__,
    }


def workdir(tag: str) -> Path:
    """A fresh directory under .state/bench/ for one run."""
    STATE_ROOT.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{tag}-", dir=STATE_ROOT))


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
