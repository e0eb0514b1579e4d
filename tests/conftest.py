"""Fixtures shared by the client and integration tests: a LINSTOR controller to talk to.

With ``LS_CONTROLLERS`` set, the tests use that controller (a real one, say) and skip what only
the emulator can show (its request log). Otherwise one emulator is started for the session on a
free loopback port with a throw-away state file, and stopped at the end.

With ``LS_TEST_PLACEMENT=none`` the controller cannot place resources (CI's real LINSTOR has no
DRBD): tests that need placed resources skip through the ``needs_placement`` fixture, and the
integration targets read the same variable (``placement_available``). ``placement_available()``
below is the one place pytest decides that.
"""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from ansible_collections.linstor.incus.plugins.module_utils._client import controller_url
from linstor_emulator.testing import DebugApi, EmulatorProcess

PLACEMENT_VARIABLE = "LS_TEST_PLACEMENT"
NO_PLACEMENT_REASON = "LS_TEST_PLACEMENT=none: the controller cannot place resources"


def placement_available() -> bool:
    """False when ``LS_TEST_PLACEMENT=none``: the controller under test cannot place resources."""
    return os.environ.get(PLACEMENT_VARIABLE, "") != "none"


@pytest.fixture
def needs_placement() -> None:
    """Skips the test when the controller cannot place resources (``LS_TEST_PLACEMENT=none``)."""
    if not placement_available():
        pytest.skip(NO_PLACEMENT_REASON + ", and this test needs placed resources")


@dataclass
class Controller:
    """A controller under test: the value for LS_CONTROLLERS, its HTTP base URL, and the emulator's debug API."""

    controllers: str
    api_url: str
    debug_url: str | None

    @property
    def debug(self) -> DebugApi:
        """The emulator's debug API (request log, faults); skips the test on a real controller."""
        if not self.debug_url:
            pytest.skip("the request log and fault injection exist only on the emulator")
        return DebugApi(self.api_url)

    def requests_log(self) -> list[dict]:
        """The emulator's request log (method, path, query, body, status) since the last clear."""
        return self.debug.requests()

    def clear_requests_log(self) -> None:
        self.debug.clear_requests()


def wait_for_controller(api_url: str, timeout: float = 30) -> None:
    """Wait until a (real) controller answers /v1/controller/version."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(api_url + "/v1/controller/version", timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"no LINSTOR controller answered at {api_url} within {timeout} s")


@pytest.fixture(scope="session")
def controller(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Controller]:
    """The LINSTOR controller of this test session (LS_CONTROLLERS, else a fresh emulator)."""
    configured = os.environ.get("LS_CONTROLLERS")
    if configured:
        api_url = controller_url(configured.split(",")[0])
        wait_for_controller(api_url)
        yield Controller(configured, api_url, None)
        return
    with EmulatorProcess(tmp_path_factory.mktemp("emulator") / "state.sqlite3") as emulator:
        yield Controller(emulator.url, emulator.url, emulator.url + "/_emulator")


@pytest.fixture(scope="module")
def controller_without_placement(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Controller]:
    """An emulator seeded with no satellite (``--nodes 0``): it keeps resource groups and definitions
    but cannot place a resource (autoplace fails with "Not enough available nodes"), as the real
    controller of CI's real-linstor job cannot (its satellites lack the DRBD layer, so it fails with
    FAIL_STLT_DOES_NOT_SUPPORT_LAYER instead). Only the emulator can be made so: skips with LS_CONTROLLERS."""
    if os.environ.get("LS_CONTROLLERS"):
        pytest.skip("LS_CONTROLLERS is set: the emulator without nodes stands in for a real controller only here")
    state = tmp_path_factory.mktemp("emulator-no-nodes") / "state.sqlite3"
    with EmulatorProcess(state, extra=("--nodes", "0")) as emulator:
        yield Controller(emulator.url, emulator.url, emulator.url + "/_emulator")
