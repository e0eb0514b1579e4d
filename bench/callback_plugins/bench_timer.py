"""Record when each task started and ended (wall clock), for the benchmarks.

Enabled by bench/benchlib.run_playbook (ANSIBLE_CALLBACKS_ENABLED=bench_timer); writes JSON to
the file named by BENCH_TIMER_OUT when the playbook ends. A task's time runs from its start
to its (last) result: fork, module transfer and run, result processing.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_timer
type: aggregate
short_description: record task start and end times for bench/
description: Writes each task's name, start, end, changed and failed to BENCH_TIMER_OUT as JSON.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.tasks.append({"name": task.get_name(), "start": time.time(), "end": None, "changed": None,
                           "failed": False})

    def _result(self, result, failed=False):
        if not self.tasks:
            return
        task = self.tasks[-1]
        task["end"] = time.time()
        task["changed"] = bool(result._result.get("changed")) or bool(task["changed"])
        task["failed"] = task["failed"] or failed

    def v2_runner_on_ok(self, result):
        self._result(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, failed=not ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._result(result)

    def v2_runner_on_unreachable(self, result):
        self._result(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TIMER_OUT")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump({"tasks": self.tasks}, handle)
