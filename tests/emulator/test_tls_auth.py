"""HTTPS with a CA made at run time, client certificates when required, and the bearer token
answered with LINSTOR's 401 (AuthenticationFilter: FAIL_ACC_DENIED_COMMAND, WWW-Authenticate)."""

from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from linstor_emulator import errors as rc
from linstor_emulator.testing import DebugApi, EmulatorProcess, Pki, make_pki

TOKEN = "emulator-test-token-0123456789"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def client_context(ca: Path | None, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    if cert:
        context.load_cert_chain(str(cert), str(key))
    return context


def call(port: int, path: str, context: ssl.SSLContext | None = None, headers: dict | None = None,
         method: str = "GET", body=None) -> tuple[int, dict, object]:
    if context is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers or {})
        reply = conn.getresponse()
        text = reply.read()
        return reply.status, dict(reply.getheaders()), json.loads(text) if text else None
    finally:
        conn.close()


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[EmulatorProcess]:
    extra = ("--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key))
    with EmulatorProcess(tmp_path_factory.mktemp("https") / "state.sqlite3", extra=extra) as proc:
        yield proc


@pytest.fixture(scope="module")
def mutual(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[EmulatorProcess]:
    extra = ("--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key), "--tls-client-ca", str(pki.ca))
    with EmulatorProcess(tmp_path_factory.mktemp("mutual") / "state.sqlite3", extra=extra) as proc:
        yield proc


@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("token") / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, token_file: Path) -> Iterator[EmulatorProcess]:
    extra = ("--auth-token-file", str(token_file))
    with EmulatorProcess(tmp_path_factory.mktemp("guarded") / "state.sqlite3", extra=extra) as proc:
        yield proc


# -- TLS -----------------------------------------------------------------------------------------


def test_https_with_a_trusted_ca(https: EmulatorProcess, pki: Pki) -> None:
    assert https.url.startswith("https://")
    status, _, body = call(https.port, "/v1/controller/version", client_context(pki.ca))
    assert status == 200 and body["rest_api_version"]
    debug = DebugApi(https.url, client_context(pki.ca))
    assert debug.requests()[-1]["path"] == "/v1/controller/version"


def test_https_refused_by_a_client_trusting_another_ca(https: EmulatorProcess, pki: Pki) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        call(https.port, "/v1/controller/version", client_context(pki.other_ca))
    with pytest.raises(ssl.SSLCertVerificationError):
        call(https.port, "/v1/controller/version", client_context(None))  # the system store only


def test_plain_http_to_the_https_port_gets_no_reply(https: EmulatorProcess, pki: Pki) -> None:
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine)):
        call(https.port, "/v1/controller/version")
    assert call(https.port, "/v1/controller/version", client_context(pki.ca))[0] == 200, "still serving"


def test_client_certificate_required(mutual: EmulatorProcess, pki: Pki) -> None:
    status, _, _ = call(mutual.port, "/v1/nodes", client_context(pki.ca, pki.client_cert, pki.client_key))
    assert status == 200
    # Without a certificate, or with one from another CA, the handshake fails (TLS 1.3: the client
    # learns it from the server's alert when it reads the reply).
    for cert, key in ((None, None), (pki.other_client_cert, pki.other_client_key)):
        with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)):
            call(mutual.port, "/v1/nodes", client_context(pki.ca, cert, key))
    assert call(mutual.port, "/v1/nodes", client_context(pki.ca, pki.client_cert, pki.client_key))[0] == 200


def test_tls_options_are_checked_at_start(tmp_path: Path, pki: Pki) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "linstor_emulator", "--port", "0",
                               "--state", str(tmp_path / "s.sqlite3"), *args],
                              capture_output=True, text=True, timeout=30)

    missing = run("--tls-cert", str(tmp_path / "none.crt"))
    assert missing.returncode == 2 and missing.stderr.startswith("linstor-emulator: cannot load the TLS files")
    mismatched = run("--tls-cert", str(pki.server_cert), "--tls-key", str(pki.client_key))
    assert mismatched.returncode == 2 and "cannot load the TLS files" in mismatched.stderr
    assert run("--tls-client-ca", str(pki.ca)).returncode == 2  # needs --tls-cert
    assert run("--auth-token", "a", "--auth-token-file", str(pki.ca)).returncode == 2
    empty = tmp_path / "empty-token"
    empty.write_text("\n")
    refused = run("--auth-token-file", str(empty))
    assert refused.returncode == 2 and "cannot read the token file" in refused.stderr


# -- token -----------------------------------------------------------------------------------------


def assert_linstor_401(status: int, headers: dict, body: object) -> None:
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Bearer realm="linstor-controller"'
    assert headers["Content-Type"] == "application/json"
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["ret_code"] == rc.to_signed64(rc.FAIL_ACC_DENIED_COMMAND)
    assert body[0]["message"] == "Unauthorized: token invalid or not provided"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer{TOKEN}",
                                           f"Bearer {TOKEN}x", "Bearer "])
@pytest.mark.parametrize("path", ["/v1/controller/version", "/v1/resource-definitions", "/v1/no-such-thing"])
def test_missing_or_wrong_token_gets_linstors_401(guarded: EmulatorProcess, authorization, path) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    assert_linstor_401(*call(guarded.port, path, headers=headers))


def test_right_token_is_served_and_the_write_only_then(guarded: EmulatorProcess) -> None:
    debug = guarded.debug
    debug.clear_requests()
    body = {"resource_definition": {"name": "tokenrd"}}
    assert_linstor_401(*call(guarded.port, "/v1/resource-definitions", method="POST", body=body))
    for scheme in ("Bearer", "bearer", "BEARER"):  # the scheme is matched without regard to case, as LINSTOR does
        assert call(guarded.port, "/v1/controller/version", headers={"Authorization": f"{scheme} {TOKEN}"})[0] == 200
    good = {"Authorization": f"Bearer {TOKEN}"}
    assert call(guarded.port, "/v1/resource-definitions/tokenrd", headers=good)[0] == 404, \
        "the refused POST wrote nothing"
    assert call(guarded.port, "/v1/resource-definitions", headers=good, method="POST", body=body)[0] == 201
    log = debug.requests()
    assert [(e["method"], e["status"], e["auth"]) for e in log] == [
        ("POST", 401, None), ("GET", 200, "Bearer"), ("GET", 200, "bearer"), ("GET", 200, "BEARER"),
        ("GET", 404, "Bearer"), ("POST", 201, "Bearer")]
    assert TOKEN not in json.dumps(log), "the log keeps the scheme, never the token"


def test_token_on_the_command_line_and_over_tls(tmp_path: Path, pki: Pki) -> None:
    extra = ("--auth-token", TOKEN, "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key))
    with EmulatorProcess(tmp_path / "state.sqlite3", extra=extra) as proc:
        context = client_context(pki.ca)
        assert_linstor_401(*call(proc.port, "/v1/nodes", context))
        assert call(proc.port, "/v1/nodes", context, {"Authorization": f"Bearer {TOKEN}"})[0] == 200


def test_token_file_is_not_in_the_command_line(guarded: EmulatorProcess) -> None:
    if not Path(f"/proc/{guarded.process.pid}/cmdline").exists():
        pytest.skip("no /proc")
    assert TOKEN.encode() not in Path(f"/proc/{guarded.process.pid}/cmdline").read_bytes()
