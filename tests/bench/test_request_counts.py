"""Requests per operation, from the emulator's request log: counts are deterministic, so they are
asserted here (times are not: bench/ prints those, no test asserts one).

Runs bench/request_counts.measure once against the session's controller (tests/conftest.py) and
checks each operation's count against issue 9's goal. Skipped against a real controller, which has
no request log.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import request_counts  # noqa: E402
from benchlib import RequestLog  # noqa: E402

MANY = 30

# operation (as request_counts names it) -> (comparison, goal)
GOALS = {
    "volume: create": ("<=", 4),
    "volume: no change": ("==", 1),
    "volume: no change, check mode": ("==", 1),
    "volume: rename": ("==", 2),
    "snapshot: create": ("<=", 3),
    "volume_info: 1 volume": ("==", 1),
    "volume_info: 1 volume, include_resources": ("==", 2),
    "volume_info: 1 volume, include_snapshots": ("==", 2),
    "volume_info: lookup by name": ("==", 1),
    f"volume_info: {MANY} volumes": ("==", 1),
    f"volume_info: {MANY} volumes, include_resources": ("==", 2),
}
KNOWN_MISSES = {
    # operation: (requests today, why)
    "snapshot: create": (5, "a claim PUT before the snapshot and a GET reading the RD back before the mapping PUT "
                            "settle concurrent creates (issue 8); issue 9's goal is <= 3, which cannot settle them "
                            "(docs/reliability.md, 'Why a snapshot create sends five requests')"),
}


@pytest.fixture(scope="module")
def counts(controller) -> dict[str, request_counts.OpCount]:
    if not controller.debug_url:
        pytest.skip("the request log exists only on the emulator (LS_CONTROLLERS points at a real controller)")
    log = RequestLog(controller.clear_requests_log, controller.requests_log)
    return {row.operation: row for row in request_counts.measure(controller.api_url, log, MANY)}


@pytest.mark.parametrize("operation", list(GOALS))
def test_request_count(counts, operation):
    op, target = GOALS[operation]
    row = counts[operation]
    met = _meets(row.count, op, target)
    if not met and operation in KNOWN_MISSES:
        today, why = KNOWN_MISSES[operation]
        assert row.count == today, f"{operation}: {row.count} requests ({row.requests}); known today: {today}"
        pytest.xfail(why)  # reported in bench/README.md; passes once the goal is met
    assert met, f"{operation}: {row.count} requests ({row.requests}); goal {op} {target}"


def test_one_call_no_change_is_one_request(counts):
    operation = f"volumes (one call): {MANY} volumes, no change"
    if operation not in counts:
        pytest.skip("linstor_incus_volumes is not in this checkout")
    assert counts[operation].count == 1, counts[operation].requests


def _meets(value: int, op: str, target: int) -> bool:
    return value <= target if op == "<=" else value == target
