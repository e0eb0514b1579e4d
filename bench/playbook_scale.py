"""Playbook scale: N volumes declared to roles/volumes, reconciled by the per-volume loop and by the
one-call method (one linstor_incus_volumes task), created then re-run with nothing to change.

Each method gets its own resource group (and its own volume names) on one emulator; for each size
the two methods run one after the other in the same run: create with the loop, create with one
call, re-run the loop, re-run the one call. Every re-run must report 0 changes (checked from the
role's ``volumes_summary``). Wall time is the whole ``ansible-playbook`` process; "tasks" is the
sum of the role's task times (start-up left out).

If the one-call method is missing from the checkout (no ``linstor_incus_volumes`` module, or
``volumes_method`` of roles/volumes without a choice other than ``loop``), only the loop is
measured and the tables say "one-call path: not available yet".

    .venv/bin/python bench/playbook_scale.py [--loop-sizes 100,500] [--one-call-sizes 100,500,1000]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import REPO, Emulator, Goal, Table, goal, ratio, run_module, run_playbook  # noqa: E402

NOT_AVAILABLE = "one-call path: not available yet"
GOAL_SIZE = 500


def one_call_method() -> str | None:
    """The roles/volumes method that reconciles in one call, or None when it is not in the checkout."""
    import yaml

    specs = REPO / "roles/volumes/meta/argument_specs.yml"
    if not specs.exists() or not (REPO / "plugins/modules/linstor_incus_volumes.py").exists():
        return None
    options = yaml.safe_load(specs.read_text())["argument_specs"]["main"]["options"]
    choices = [choice for choice in options.get("volumes_method", {}).get("choices", []) if choice != "loop"]
    return choices[0] if choices else None


@dataclass
class Run:
    method: str
    size: int
    phase: str  # create / re-run
    wall: float
    tasks: float
    summary: dict


def run_role(directory: Path, url: str, method: str, size: int, phase: str) -> Run:
    group = f"bench-{method.replace('_', '-')}-{size}"
    volumes = [{"name": f"{method[0]}{size}-{index}", "type": "container", "size": "1GiB"} for index in range(size)]
    summary_file = directory / f"{group}-{phase}.summary.json"
    plays = [{
        "name": "bench roles/volumes", "hosts": "localhost", "gather_facts": False,
        "roles": [{"role": "linstor.incus.volumes", "volumes_resource_group": group, "volumes_list": volumes,
                   "volumes_method": method, "volumes_controllers": url}],
        "post_tasks": [{"name": "bench: keep the summary",
                        "ansible.builtin.copy": {"content": "{{ volumes_summary | to_json }}",
                                                 "dest": str(summary_file)}}],
    }]
    result = run_playbook(directory, plays, f"{group}-{phase}")
    tasks = sum(task.seconds for task in result.tasks if not task.name.startswith("bench:"))
    return Run(method, size, phase, result.wall, tasks, json.loads(summary_file.read_text()))


def changes(summary: dict) -> int:
    return sum(value for key, value in summary.items() if key != "unchanged")


def run(directory: Path, loop_sizes: list[int], one_call_sizes: list[int]) -> list[Table]:
    method = one_call_method()
    emulator = Emulator(directory, "playbook-scale")
    runs: list[Run] = []
    with emulator:
        for size in sorted(set(loop_sizes) | set(one_call_sizes if method else [])):
            methods = ([("loop", size in loop_sizes)] + ([(method, size in one_call_sizes)] if method else []))
            chosen = [name for name, wanted in methods if wanted]
            for name in chosen:
                run_module("linstor_incus_resource_group",
                           {"controllers": emulator.url, "name": f"bench-{name.replace('_', '-')}-{size}"})
            for phase in ("create", "re-run"):
                for name in chosen:
                    print(f"playbook scale: {name} {phase} {size} …", file=sys.stderr, flush=True)
                    runs.append(run_role(directory, emulator.url, name, size, phase))

    table = Table("roles/volumes: N volumes created, then re-run with nothing to change (one run, s)",
                  ["volumes", "method", "create wall", "re-run wall", "re-run tasks", "re-run per volume",
                   "created", "re-run changes"])
    by_key = {(item.method, item.size, item.phase): item for item in runs}
    for item in runs:
        if item.phase != "create":
            continue
        again = by_key[(item.method, item.size, "re-run")]
        label = "loop (linstor_incus_volume per volume)" if item.method == "loop" else \
            f"{item.method} (one linstor_incus_volumes call)"
        table.add(item.size, label, item.wall, again.wall, again.tasks, again.wall / item.size,
                  item.summary.get("created"), changes(again.summary))
    for item in runs:
        if item.phase == "re-run":
            table.goals.append(goal(f"{item.method} re-run of {item.size} volumes: changes", changes(item.summary),
                                    "==", 0))
    common = sorted(set(loop_sizes) & set(one_call_sizes)) if method else []
    speedups = Table("Re-run speed-up of the one call over the loop (same size, same run)",
                     ["volumes", "loop re-run wall s", "one-call re-run wall s", "speed-up (wall)",
                      "speed-up (tasks only)"])
    if not method:
        speedups.add("-", "-", NOT_AVAILABLE, "-", "-")
        speedups.notes.append(NOT_AVAILABLE.upper() + ": only the loop was measured.")
    for size in common:
        loop, one = by_key[("loop", size, "re-run")], by_key[(method, size, "re-run")]
        speedups.add(size, loop.wall, one.wall, ratio(loop.wall, one.wall), ratio(loop.tasks, one.tasks))
    if common:
        largest = common[-1]
        loop, one = by_key[("loop", largest, "re-run")], by_key[(method, largest, "re-run")]
        speedup = goal(f"one-call re-run speed-up over the loop, {largest} volumes (wall)",
                       ratio(loop.wall, one.wall), ">=", 20)
        if largest < GOAL_SIZE:  # start-up dominates small runs: the goal is about 500 volumes
            speedup = Goal(speedup.label, speedup.value, f"{speedup.text} (at {GOAL_SIZE} volumes)", None)
        speedups.goals.append(speedup)
    speedups.notes += [
        "Wall: the whole ansible-playbook process, start-up included (what a user waits for). Tasks: the role's "
        "tasks only (bench_timer callback), the summary table it prints included.",
        "The loop method first runs the module method in check mode (the whole list checked before any write), "
        "then its per-volume tasks and one (here empty) snapshot loop task; the role prints its summary either way.",
    ]
    return [table, speedups]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop-sizes", default="100,500")
    parser.add_argument("--one-call-sizes", default="100,500,1000")
    options = parser.parse_args()
    directory = benchlib.workdir("playbook-scale")
    try:
        for section in run(directory, [int(s) for s in options.loop_sizes.split(",") if s],
                           [int(s) for s in options.one_call_sizes.split(",") if s]):
            print(benchlib.render(section))
    finally:
        benchlib.remove(directory)


if __name__ == "__main__":
    main()
