"""Print the reliability figures the tests measured, and put them into README.md's reliability block.

Reads ``.state/figures/reliability/*.json`` (written by tests/reliability) and
``.state/figures/durability.json`` (written by tests/emulator/test_durability.py); every number
printed comes from those files. A part whose file is missing says "not measured".

Usage: python tests/reliability/report.py [--readme README.md]
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
FIGURES = REPO / ".state" / "figures"
BEGIN, END = "<!-- reliability:begin -->", "<!-- reliability:end -->"


def load(name: str) -> Any:
    path = FIGURES / name
    return json.loads(path.read_text()) if path.exists() else None


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _column in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def faults_section(rows: list[dict[str, Any]] | None) -> str:
    if not rows:
        return "**Fault points**: not measured."
    by_op: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_op[row["operation"]].append(row)
    body = []
    for operation in sorted(by_op):
        items = by_op[operation]
        steps = sorted({row["step"] for row in items})
        body.append([
            operation, f"{len(steps)} × {len({row['action'] for row in items})} = {len(items)}",
            sum(row["failed"] and row["message_ok"] for row in items),
            sum(row["orphans"] for row in items), sum(row["duplicates"] for row in items),
            sum(row["unmapped"] for row in items), sum(row["dangling"] for row in items),
            sum(row["left_behind"] for row in items), sum(row["traceback"] for row in items),
            f"{sum(row['converged'] for row in items)}/{len(items)}",
            sorted({row["via"] for row in items})[0] if len({row["via"] for row in items}) == 1 else "mixed",
        ])
    total = [
        "**all**", len(rows), sum(row["failed"] and row["message_ok"] for row in rows),
        sum(row["orphans"] for row in rows), sum(row["duplicates"] for row in rows),
        sum(row["unmapped"] for row in rows), sum(row["dangling"] for row in rows),
        sum(row["left_behind"] for row in rows), sum(row["traceback"] for row in rows),
        f"{sum(row['converged'] for row in rows)}/{len(rows)}", "",
    ]
    text = table(["operation", "fault points (steps × error/drop_before/drop_after)", "failed with the message",
                  "orphan RDs", "duplicates", "unmapped snapshots", "dangling mappings", "left behind", "tracebacks",
                  "converged", "run through"], body + [total])
    open_defects = [row for row in rows if not row["converged"] or row["dangling"] or row["orphans"]
                    or row["duplicates"] or row["unmapped"] or row["left_behind"]]
    if open_defects:
        text += "\n\nNot converged or left something behind (" + str(len(open_defects)) + "): " + "; ".join(
            f"{row['operation']} / {row['step']} / {row['action']}" for row in open_defects) + "."
    return "**Fault points** (each write step fails once; then the same task twice more):\n\n" + text


def races_section(rows: list[dict[str, Any]] | None) -> str:
    if not rows:
        return "**Races**: not measured."
    body = []
    for target in sorted({row["target"] for row in rows}):
        items = [row for row in rows if row["target"] == target]
        left_key = "rds_left" if "rds_left" in items[0] else "snapshots_left"
        left = ", ".join(f"{row['logical_name']}: {row[left_key]}" for row in items)
        body.append([
            target, len(items), sum(row["runs"] for row in items), left,
            sum(row.get("unmapped", 0) for row in items), sum(row["failed"] for row in items),
            sum(row["tracebacks"] for row in items), sum(row.get("races_lost", 0) for row in items),
            sum(bool(row.get("all_report_survivor")) for row in items),
        ])
    return ("**Races** (per round, 8 processes released together on one logical name; the rows \"answered late\" "
            "are 2 runs with one reply held back by the emulator, which replays the window a late reply opens "
            "every time; the rows \"on a twin\" are 1 run whose claim is answered late while the volume's resource "
            "definitions are made over REST, as runs creating it make them):\n\n"
            + table(["creating", "rounds", "runs", "left per logical name (RDs / LINSTOR snapshots)",
                     "unmapped snapshots", "failed runs", "tracebacks", "runs that lost and undid their own",
                     "rounds where every run reports the survivor"], body))


def bad_input_section(rows: list[dict[str, Any]] | None) -> str:
    if not rows:
        return "**Bad input**: not measured."
    body = []
    for module in sorted({row["module"] for row in rows}):
        mine = [row for row in rows if row["module"] == module]
        params = Counter(row["parameter"] for row in mine)
        body.append([
            module, len(mine), len(params), sum(not row["failed"] for row in mine),
            sum(not row["named"] for row in mine), sum(row["traceback"] for row in mine),
            sum(row["writes"] for row in mine), sum(row["requests"] == 0 for row in mine),
        ])
    total = ["**all**", len(rows), len({(r["module"], r["parameter"]) for r in rows}),
             sum(not r["failed"] for r in rows), sum(not r["named"] for r in rows),
             sum(r["traceback"] for r in rows), sum(r["writes"] for r in rows),
             sum(r["requests"] == 0 for r in rows)]
    return ("**Bad input** (hypothesis; invalid names, projects, prefixes, sizes, property keys and values, types, "
            "content types, snapshot names, DRBD options, group names):\n\n"
            + table(["module", "cases tried", "parameters", "accepted", "message without the parameter",
                     "tracebacks", "write requests", "cases with no request at all"], body + [total]))


def check_mode_section(rows: list[dict[str, Any]] | None) -> str:
    if not rows:
        return "**Check mode**: not measured."
    body = []
    for module in sorted({row["module"] for row in rows}):
        mine = [row for row in rows if row["module"] == module]
        body.append([module, len(mine), 2 * len(mine), sum(row["writes"] for row in mine),
                     sum(row["changed_check"] == row["expected"] == row["changed_real"] for row in mine),
                     sum(row["failed"] for row in mine)])
    body.append(["**all**", len(rows), 2 * len(rows), sum(row["writes"] for row in rows),
                 sum(row["changed_check"] == row["expected"] == row["changed_real"] for row in rows),
                 sum(row["failed"] for row in rows)])
    return ("**Check mode** (every module and state; check run, real run, check run again):\n\n"
            + table(["module", "cases", "check-mode runs", "writes", "changed as the real run", "failed"], body))


def stops_section(rows: list[dict[str, Any]] | None) -> str:
    if not rows:
        return "**Stop signals**: not measured."
    body = [[row["operation"], row["signal"], row["held"], row["ended"], row["kept"], row["orphans"],
             row["duplicates"], row["unmapped"], row["dangling"], row["claims"],
             int(row["traceback"]), "yes" if row["converged"] else "no"]
            for row in sorted(rows, key=lambda row: (row["operation"], row["signal"]))]
    return ("**Stop signals** (a module process signalled while one write's reply is held; then the same task "
            "again):\n\n"
            + table(["stopped run", "signal", "reply held", "the run", "kept", "orphan RDs",
                     "duplicates", "unmapped snapshots", "dangling mappings", "snapshot claims", "tracebacks",
                     "converged"], body))


def durability_section(figures: dict[str, Any] | None) -> str:
    if not figures:
        return "**Emulator durability**: not measured."
    return ("**Emulator durability** (SIGKILL in the middle of a burst of creates, restart on the same file):\n\n"
            + table(["writers", "kills", "sent", "acknowledged", "present after restart", "lost",
                     "reply lost in flight (of which present)", "unexpected", "integrity check"],
                    [[figures["writers"], figures["kills"], figures["sent"], figures["acknowledged"],
                      figures["present"], figures["lost"],
                      f"{figures['reply_lost_in_flight']} ({figures['present_of_in_flight']})",
                      figures["unexpected"], figures["integrity_check"]]]))


def provenance() -> str:
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    return f"_Measured by `bash scripts/reliability` on {today}, commit {commit}; see docs/reliability.md._"


def render() -> str:
    sections = [
        faults_section(load("reliability/faults.json")),
        races_section(load("reliability/races.json")),
        bad_input_section(load("reliability/bad_input.json")),
        check_mode_section(load("reliability/check_mode.json")),
        stops_section(load("reliability/stops.json")),
        durability_section(load("durability.json")),
        provenance(),
    ]
    return "\n\n".join(sections)


def rewrite_readme(readme: Path, block: str) -> None:
    text = readme.read_text()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{readme}: markers {BEGIN} ... {END} not found; README left alone")
    readme.write_text(text[: start + len(BEGIN)] + "\n" + block + "\n" + text[end:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, help="rewrite the reliability block of this README")
    options = parser.parse_args()
    block = render()
    print(block)
    if options.readme:
        rewrite_readme(options.readme, block)
        print(f"\n(written between the reliability markers of {options.readme})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
