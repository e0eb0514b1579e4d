"""Fixtures of the reliability tests: each test (or module of tests) gets an emulator of its own,
so faults, races and kills never reach the session's shared emulator; the figures the tests record
are written to .state/figures/reliability/ when the session ends."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_harness import Env, start_env, write_figures  # noqa: E402

if os.environ.get("LS_CONTROLLERS"):
    collect_ignore_glob = ["test_*.py"]  # faults, kills and the request log exist only on the emulator


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    write_figures()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    """A fresh emulator for one test."""
    environment = start_env(tmp_path)
    try:
        yield environment
    finally:
        environment.process.stop()


@pytest.fixture(scope="module")
def module_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One emulator for a module of tests that clean up after themselves (bad input, check mode)."""
    environment = start_env(tmp_path_factory.mktemp("reliability"))
    try:
        yield environment
    finally:
        environment.process.stop()
