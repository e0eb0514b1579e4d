"""Fixtures of the emulator's own tests: a backend on a temporary file, a running emulator
process, an HTTP client that validates every reply against the OpenAPI spec."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from linstor_emulator.backend import Backend
from linstor_emulator.testing import EmulatorProcess
from openapi_check import SPEC_PATH, SpecChecker


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    instance = Backend(tmp_path / "state.sqlite3")
    yield instance
    instance.close()


@pytest.fixture
def backend_with_rd_ports(tmp_path: Path) -> Iterator[Backend]:
    """A controller of the last release whose RDs report their DRBD port (from 1.32 the resources do)."""
    instance = Backend(tmp_path / "state.sqlite3", linstor_version="1.31.3")
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def spec() -> SpecChecker:
    if not SPEC_PATH.is_file():
        missing = (f"LINSTOR's OpenAPI spec is not at {SPEC_PATH} (expected beside the repository in "
                   "shared/linstor/); the spec-validation tests need it")
        if os.environ.get("LS_REQUIRE_SPEC") == "1":  # CI puts it there: its absence is a failure
            pytest.fail(missing + " (LS_REQUIRE_SPEC=1)")
        pytest.skip(missing)
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


@pytest.fixture
def spec_client_for(spec: SpecChecker) -> Callable[[str], SpecClient]:
    """A spec-checking client for another emulator (one a test starts itself, e.g. as an older LINSTOR)."""
    return lambda url: SpecClient(url, spec)
