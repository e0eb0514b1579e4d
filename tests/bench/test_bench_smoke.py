"""The benchmarks at tiny sizes, so that their code cannot rot: every bench/ script runs end to end
(emulators, module runs, playbooks, roles/volumes) and the README renders. No time is asserted."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import benchlib  # noqa: E402
import run_all  # noqa: E402


def test_every_benchmark_runs_at_tiny_sizes(tmp_path):
    sections, seconds = run_all.run(run_all.TINY, echo=False)
    tables = [section for section in sections if isinstance(section, benchlib.Table)]
    titles = " / ".join(table.title for table in tables)
    for expected in ("HTTP requests per operation", "Emulator", "linstor_incus_volume_info at scale",
                     "Module process", "Per task", "Imports", "roles/volumes", "speed-up"):
        assert expected in titles, titles
    assert all(table.rows for table in tables), [table.title for table in tables if not table.rows]
    goals = {item.label: item for item in run_all.goals_of(sections)}
    assert goals["volume: no change"].value == 1
    assert goals["jmespath imported by a run without query"].met
    assert all(item.met for label, item in goals.items() if label.endswith(": changes")), goals
    text = run_all.readme(sections, benchlib.machine(), "tiny", run_all.TINY, seconds)
    (tmp_path / "README.md").write_text(text)
    assert "## Machine" in text and "ansible-core" in text and "| volume: create |" in text
