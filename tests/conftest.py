"""Fixtures shared by the client and integration tests: a LINSTOR controller to talk to.

With ``LS_CONTROLLERS`` set, the tests use that controller (a real one, say) and skip what only
the emulator can show (its request log). Otherwise one emulator is started for the session on a
free loopback port with a throw-away state file, and stopped at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ansible_collections.linstor.incus.plugins.module_utils._client import controller_url

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Controller:
    """A controller under test: the value for LS_CONTROLLERS, its HTTP base URL, and the emulator's debug API."""

    controllers: str
    api_url: str
    debug_url: str | None

    def requests_log(self) -> list[dict]:
        """The emulator's request log (method, path, query, body, status) since the last clear."""
        if not self.debug_url:
            pytest.skip("the request log exists only on the emulator")
        with urllib.request.urlopen(self.debug_url + "/requests", timeout=10) as reply:
            return json.load(reply)

    def clear_requests_log(self) -> None:
        if not self.debug_url:
            pytest.skip("the request log exists only on the emulator")
        request = urllib.request.Request(self.debug_url + "/requests", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_controller(api_url: str, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the emulator exited with {process.returncode} before answering")
        try:
            urllib.request.urlopen(api_url + "/v1/controller/version", timeout=2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no LINSTOR controller answered at {api_url} within {timeout} s")


def start_emulator(state: Path, port: int, *extra: str) -> subprocess.Popen:
    """Start the emulator as its own process, serving on 127.0.0.1:port, and wait until it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "linstor_emulator", "--host", "127.0.0.1", "--port", str(port),
         "--state", str(state), "--debug-api", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_for_controller(f"http://127.0.0.1:{port}", process)
    except Exception:
        process.kill()
        raise
    return process


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def controller(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Controller]:
    """The LINSTOR controller of this test session (LS_CONTROLLERS, else a fresh emulator)."""
    configured = os.environ.get("LS_CONTROLLERS")
    if configured:
        api_url = controller_url(configured.split(",")[0])
        wait_for_controller(api_url)
        yield Controller(configured, api_url, None)
        return
    port = free_port()
    process = start_emulator(tmp_path_factory.mktemp("emulator") / "state.sqlite3", port)
    api_url = f"http://127.0.0.1:{port}"
    try:
        yield Controller(api_url, api_url, api_url + "/_emulator")
    finally:
        stop_process(process)
