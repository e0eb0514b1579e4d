"""Per task: a no-change linstor_incus_volume task against an ansible.builtin.uri GET of the same request,
side by side in one playbook; and what a module run imports.

The playbook alternates ``tasks`` uri GETs (the exact URL the module sends for its lookup, from the
request log) and ``tasks`` no-change ``linstor_incus_volume`` tasks on an emulator holding the one
volume. Start-up (process start to the first task) is reported apart.

Imports: each module run as its own process under ``python -X importtime`` (the source tree, not
the AnsiballZ zip a playbook runs; the same modules are imported): total import time, the biggest
imports, and whether ``jmespath`` was imported (it must be only with ``query``).

    .venv/bin/python bench/per_task.py [--tasks 20]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import GROUP, Emulator, Goal, Table, goal, median, play, ratio, run_module, run_playbook  # noqa: E402

IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


@dataclass
class Imports:
    label: str
    total_ms: float  # sum of every module's own import time
    modules: dict[str, tuple[float, float, int]]  # name -> (self ms, cumulative ms, depth)

    def cumulative(self, name: str) -> float | None:
        return self.modules[name][1] if name in self.modules else None

    def top(self, count: int) -> list[tuple[str, float]]:
        """The heaviest imports made directly by the module (depth 1 and 2), by cumulative time."""
        shallow = [(name, cum) for name, (_, cum, depth) in self.modules.items() if depth <= 1]
        return sorted(shallow, key=lambda item: -item[1])[:count]


def parse_importtime(label: str, stderr: str) -> Imports:
    modules: dict[str, tuple[float, float, int]] = {}
    total = 0.0
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            own, cumulative, indent, name = match.groups()
            depth = (len(indent) - 1) // 2
            modules.setdefault(name, (int(own) / 1000, int(cumulative) / 1000, depth))
            total += int(own) / 1000
    return Imports(label, total, modules)


def measure_imports(url: str) -> list[Imports]:
    runs = [
        ("linstor_incus_volume, no change", "linstor_incus_volume", benchlib.volume_args(url, "c0", size="1GiB")),
        ("linstor_incus_volume_info", "linstor_incus_volume_info", {"controllers": url, "resource_group": GROUP}),
        ("linstor_incus_volume_info with query", "linstor_incus_volume_info",
         {"controllers": url, "resource_group": GROUP, "query": "volumes[].name"}),
    ]
    return [parse_importtime(label, run_module(module, args, python_flags=["-X", "importtime"]).stderr)
            for label, module, args in runs]


def run(directory: Path, tasks: int = 20) -> list:
    emulator = Emulator(directory, "per-task")
    emulator.seed(1, 0)
    with emulator:
        args = benchlib.volume_args(emulator.url, "c0", size="1GiB")
        count, entries, first = emulator.log.count(lambda: run_module("linstor_incus_volume", args))
        assert count == 1 and not first.result["changed"], (count, first.result)
        url = benchlib.query_url(emulator.url, entries[0])
        steps = []
        for index in range(tasks):
            steps += [{"name": f"uri {index}", "ansible.builtin.uri": {"url": url}},
                      {"name": f"ours {index}", "linstor.incus.linstor_incus_volume": args}]
        result = run_playbook(directory, [play(steps)], "per-task")
        empty = run_playbook(directory, [play([{"name": "noop", "ansible.builtin.meta": "noop"}])], "empty")
        imports = measure_imports(emulator.url)
    uri, ours = result.times("uri"), result.times("ours")
    changed = sum(1 for task in result.tasks if task.name.startswith("ours") and task.changed)
    table = Table(f"Per task: {tasks} uri GET tasks and {tasks} no-change linstor_incus_volume tasks, alternating "
                  "in one playbook", ["task", "median s", "mean s", "min s", "max s"])
    for label, values in (("ansible.builtin.uri GET (same request)", uri),
                          ("linstor_incus_volume, no change", ours)):
        table.add(label, median(values), sum(values) / len(values), min(values), max(values))
    table.add("start-up: ansible-playbook start to first task (empty play)", empty.startup, "", "", "")
    table.add("start-up of this playbook", result.startup, "", "", "")
    table.goals += [goal("no-change linstor_incus_volume task / uri GET task (medians)",
                         ratio(median(ours), median(uri)), "<=", 1.3),
                    goal("no-change tasks reporting changed", changed, "==", 0)]
    table.notes += [
        f"The request both send: `GET {entries[0]['path']}` with the two `props` filters of the lookup.",
        "Times per task from the bench_timer callback (start of the task to its result), so start-up is left out.",
    ]

    names = ["requests", "ansible.module_utils.basic", "ansible_collections.linstor.incus.plugins.module_utils._client",
             "ansible_collections.linstor.incus.plugins.module_utils._naming", "jmespath"]
    import_table = Table("Imports of one module run (python -X importtime, ms)",
                         ["module run", "all imports ms", *[f"{name.rsplit('.', 1)[-1]} ms" for name in names],
                          "jmespath imported"])
    for item in imports:
        import_table.add(item.label, item.total_ms,
                         *[benchlib.fmt(item.cumulative(name), 1) for name in names], "jmespath" in item.modules)
    without_query = [item for item in imports if "query" not in item.label]
    import_table.goals.append(Goal("jmespath imported by a run without query",
                                   float(sum("jmespath" in item.modules for item in without_query)), "== 0",
                                   all("jmespath" not in item.modules for item in without_query)))
    import_table.notes += [
        "Cumulative import times of the named modules (each includes what it imports); a module already imported "
        "by an earlier one shows only where it was first imported, or n/a.",
        "Heaviest top-level imports of the no-change run: "
        + ", ".join(f"{name} {ms:.0f} ms" for name, ms in imports[0].top(6)),
    ]
    return [table, import_table]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    options = parser.parse_args()
    directory = benchlib.workdir("per-task")
    try:
        for section in run(directory, options.tasks):
            print(benchlib.render(section))
    finally:
        benchlib.remove(directory)


if __name__ == "__main__":
    main()
