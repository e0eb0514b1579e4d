"""Fixtures of the emulator's own tests: a backend on a temporary file, a running emulator
process, an HTTP client that validates every reply against the OpenAPI spec."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from linstor_emulator.backend import Backend
from openapi_check import SPEC_PATH, SpecChecker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class EmulatorProcess:
    """An emulator started as its own process (``python -m linstor_emulator``)."""

    state: Path
    port: int = field(default_factory=free_port)
    extra: tuple[str, ...] = ()
    process: subprocess.Popen | None = None
    stdout_text: str = ""
    stderr_text: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EmulatorProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "linstor_emulator", "--host", "127.0.0.1", "--port", str(self.port),
             "--state", str(self.state), "--debug-api", *self.extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"emulator exited with {self.process.returncode}: {self.process.stderr.read()}")
            try:
                urllib.request.urlopen(self.url + "/v1/controller/version", timeout=2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("the emulator did not answer within 30 s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.stdout_text = self.process.stdout.read() if self.process.stdout else ""
        self.stderr_text = self.process.stderr.read() if self.process.stderr else ""
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    instance = Backend(tmp_path / "state.sqlite3")
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def spec() -> SpecChecker:
    if not SPEC_PATH.is_file():
        pytest.skip(f"LINSTOR's OpenAPI spec is not at {SPEC_PATH} (expected beside the repository in "
                    "shared/linstor/); the spec-validation tests need it")
    return SpecChecker(SPEC_PATH)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    proc = EmulatorProcess(tmp_path_factory.mktemp("emulator") / "state.sqlite3").start()
    try:
        yield proc
    finally:
        if proc.process and proc.process.poll() is None:
            proc.stop()


@dataclass
class Reply:
    status: int
    body: object


class SpecClient:
    """A tiny HTTP client for the emulator; every reply is checked against the OpenAPI spec."""

    def __init__(self, base_url: str, checker: SpecChecker):
        self.base_url = base_url
        self.checker = checker

    def call(self, method: str, path: str, body=None, *, raw: bytes | None = None, params=None) -> Reply:
        url = self.base_url + path
        if params:
            from urllib.parse import urlencode
            url += "?" + urlencode(params, doseq=True)
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        payload = json.loads(text) if text else None
        self.checker.check(method, path, status, payload)
        return Reply(status, payload)

    def get(self, path: str, **params) -> Reply:
        return self.call("GET", path, params=params or None)

    def post(self, path: str, body=None) -> Reply:
        return self.call("POST", path, body if body is not None else {})

    def put(self, path: str, body=None) -> Reply:
        return self.call("PUT", path, body if body is not None else {})

    def delete(self, path: str, **params) -> Reply:
        return self.call("DELETE", path, params=params or None)


@pytest.fixture(scope="module")
def client(emulator: EmulatorProcess, spec: SpecChecker) -> SpecClient:
    return SpecClient(emulator.url, spec)
