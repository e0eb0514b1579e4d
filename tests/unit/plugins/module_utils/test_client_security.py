"""The collection's LINSTOR client against emulators serving HTTPS, requiring client certificates or
a bearer token, and injecting faults: verification by default, clear TLS and authentication errors,
no token over plain HTTP, failover, and no repeated write after a lost reply.

The emulators are started here (not the session's controller) because each needs its own options;
certificates are made at run time by ``linstor_emulator.testing.make_pki``.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from ansible_collections.linstor.incus.plugins.module_utils import _client
from ansible_collections.linstor.incus.plugins.module_utils._client import (
    MASK_INFO,
    ConnectionSettings,
    LinstorClient,
    LinstorConfigError,
    LinstorConnectionError,
    LinstorError,
)
from linstor_emulator.testing import DebugApi, EmulatorProcess, Pki, make_pki

TOKEN = "client-security-token-5f1c"
NOWHERE: list[str] = []  # no linstor-client.conf is read


def client(controllers: str, **options) -> LinstorClient:
    return LinstorClient(ConnectionSettings.from_params({"controllers": controllers, **options}, {}, NOWHERE))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("token") / "token"
    path.write_text(TOKEN + "\n")
    return path


def emulator(tmp_path_factory: pytest.TempPathFactory, *extra: str) -> EmulatorProcess:
    return EmulatorProcess(tmp_path_factory.mktemp("emulator") / "state.sqlite3", extra=extra).start()


@pytest.fixture(scope="module")
def https(tmp_path_factory, pki: Pki, token_file: Path) -> Iterator[EmulatorProcess]:
    """HTTPS, token required."""
    with emulator(tmp_path_factory, "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key),
                  "--auth-token-file", str(token_file)) as proc:
        yield proc


@pytest.fixture(scope="module")
def mutual(tmp_path_factory, pki: Pki) -> Iterator[EmulatorProcess]:
    """HTTPS, client certificates signed by the test CA required."""
    with emulator(tmp_path_factory, "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key),
                  "--tls-client-ca", str(pki.ca)) as proc:
        yield proc


@pytest.fixture(scope="module")
def plain_guarded(tmp_path_factory, token_file: Path) -> Iterator[EmulatorProcess]:
    """Plain HTTP, token required."""
    with emulator(tmp_path_factory, "--auth-token-file", str(token_file)) as proc:
        yield proc


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Iterator[EmulatorProcess]:
    """Plain HTTP, no token: the fault-injection tests."""
    with emulator(tmp_path_factory) as proc:
        yield proc


@pytest.fixture
def debug(plain: EmulatorProcess) -> Iterator[DebugApi]:
    api = plain.debug
    api.clear_faults()
    api.clear_requests()
    yield api
    api.clear_faults()


@pytest.fixture
def rd_name() -> str:
    return "sectest-" + uuid.uuid4().hex[:12]


def https_entry(proc: EmulatorProcess, host: str = "127.0.0.1") -> str:
    return f"linstor+ssl://{host}:{proc.port}"


# -- TLS -------------------------------------------------------------------------------------------


def test_verifies_by_default_and_fails_clearly_on_a_wrong_ca(https: EmulatorProcess, pki: Pki) -> None:
    # The system store (REQUESTS_CA_BUNDLE if set), then a CA that did not sign the server's certificate.
    for options in ({}, {"ca_cert": str(pki.other_ca)}):
        talk = client(https_entry(https), auth_token=TOKEN, **options)
        with pytest.raises(LinstorConnectionError) as caught:
            talk.controller_version()
        text = str(caught.value)
        assert "TLS" in text and "certificate" in text.lower()
        assert https.url in text
        assert TOKEN not in text
        assert talk.request_count == 1, "a certificate failure is not a controller that is down"


def test_trusted_ca_works_by_address_and_by_name(https: EmulatorProcess, pki: Pki) -> None:
    for host in ("127.0.0.1", "localhost"):
        talk = client(https_entry(https, host), auth_token=TOKEN, ca_cert=str(pki.ca))
        assert talk.controller_version()["rest_api_version"]


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_validate_certs_false_skips_verification(https: EmulatorProcess, pki: Pki) -> None:
    talk = client(https_entry(https), auth_token=TOKEN, validate_certs=False)
    assert talk.get("/v1/nodes", expect=_client.LISTING)


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_ca_bundle_variables_do_not_override_the_options(https: EmulatorProcess, pki: Pki, monkeypatch,
                                                         variable: str) -> None:
    """requests lets these variables win over a session's verify; the client's options must win."""
    monkeypatch.setenv(variable, str(pki.other_ca))
    assert client(https_entry(https), auth_token=TOKEN, ca_cert=str(pki.ca)).get("/v1/nodes", expect=_client.LISTING)
    assert client(https_entry(https), auth_token=TOKEN, validate_certs=False).get("/v1/nodes", expect=_client.LISTING)
    with pytest.raises(LinstorConnectionError, match="TLS failure"):
        # no ca_cert: the variable's bundle
        client(https_entry(https), auth_token=TOKEN).get("/v1/nodes", expect=_client.LISTING)


def test_client_certificate_and_key(mutual: EmulatorProcess, pki: Pki) -> None:
    talk = client(https_entry(mutual), ca_cert=str(pki.ca), client_cert=str(pki.client_cert),
                  client_key=str(pki.client_key))
    assert [node["name"] for node in talk.get("/v1/nodes", expect=_client.LISTING)] == ["node1", "node2", "node3"]
    for options in ({}, {"client_cert": str(pki.other_client_cert), "client_key": str(pki.other_client_key)}):
        refused = client(https_entry(mutual), ca_cert=str(pki.ca), **options)
        with pytest.raises(LinstorConnectionError) as caught:
            refused.get("/v1/nodes", expect=_client.LISTING)
        assert str(caught.value).startswith(f"TLS failure talking to https://127.0.0.1:{mutual.port}")


# -- token -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_missing_or_wrong_token_is_a_clear_401(https: EmulatorProcess, pki: Pki, token) -> None:
    talk = client(https_entry(https), ca_cert=str(pki.ca), **({"auth_token": token} if token else {}))
    with pytest.raises(LinstorError) as caught:
        talk.list_resource_definitions()
    error = caught.value
    assert error.status == 401
    assert "authentication" in str(error).lower() and "auth_token" in str(error)
    assert "Unauthorized: token invalid or not provided" in str(error), "LINSTOR's own words are kept"
    assert not isinstance(error, LinstorConnectionError)
    assert talk.request_count == 1, "a refused token is not retried on another controller"
    assert "not-the-token" not in str(error)


def test_right_token_over_https(https: EmulatorProcess, pki: Pki, rd_name: str) -> None:
    talk = client(https_entry(https), ca_cert=str(pki.ca), auth_token=TOKEN)
    talk.create_resource_definition(rd_name, props={"Aux/sec": "1"})
    assert talk.get_resource_definition(rd_name)["props"]["Aux/sec"] == "1"
    assert talk.delete_resource_definition(rd_name) == []


def test_token_is_never_sent_over_plain_http_unless_allowed(plain_guarded: EmulatorProcess) -> None:
    debug = plain_guarded.debug
    debug.clear_requests()
    plain_url = f"linstor://127.0.0.1:{plain_guarded.port}"
    for controllers in (plain_url, f"linstor+ssl://127.0.0.1:{closed_port()},{plain_url}"):
        with pytest.raises(LinstorConfigError) as caught:
            client(controllers, auth_token=TOKEN)
        assert caught.value.parameter == "auth_token" and TOKEN not in str(caught.value)
    assert debug.requests() == [], "refused before any request was sent"
    allowed = client(plain_url, auth_token=TOKEN, allow_insecure_auth=True)
    assert allowed.controller_version()["rest_api_version"]
    assert [(e["path"], e["status"], e["auth"]) for e in debug.requests()] == [
        ("/v1/controller/version", 200, "Bearer")]


# -- failover --------------------------------------------------------------------------------------


def test_first_controller_down_the_next_is_used(https: EmulatorProcess, pki: Pki) -> None:
    down = f"linstor+ssl://127.0.0.1:{closed_port()}"
    talk = client(f"{down},{https_entry(https)}", ca_cert=str(pki.ca), auth_token=TOKEN, timeout=5)
    assert talk.controller_version()["rest_api_version"]
    assert talk.request_count == 2


def test_all_controllers_down_lists_what_was_tried(pki: Pki) -> None:
    ports = [closed_port(), closed_port(), closed_port()]
    talk = client(",".join(f"linstor+ssl://127.0.0.1:{port}" for port in ports), ca_cert=str(pki.ca),
                  auth_token=TOKEN, timeout=5)
    with pytest.raises(LinstorConnectionError) as caught:
        talk.get("/v1/nodes", expect=_client.LISTING)
    text = str(caught.value)
    assert "could not reach any LINSTOR controller" in text and "the controllers option" in text
    for port in ports:
        assert f"https://127.0.0.1:{port} (connection refused)" in text
    assert TOKEN not in text


# -- faults ----------------------------------------------------------------------------------------


def two_entries(proc: EmulatorProcess) -> str:
    """The same emulator twice: a client that repeated a request on the 'next controller' would be seen."""
    return f"linstor://127.0.0.1:{proc.port},linstor://localhost:{proc.port}"


def test_post_whose_reply_was_lost_is_not_repeated(plain: EmulatorProcess, debug: DebugApi, rd_name: str) -> None:
    debug.add_fault("drop_after", "/v1/resource-groups/[^/]+/spawn", "POST")
    talk = client(two_entries(plain), timeout=5)
    with pytest.raises(LinstorConnectionError) as caught:
        talk.spawn("DfltRscGrp", rd_name, [8192], {"Aux/sec": "drop"})
    assert "not safe to repeat" in str(caught.value) and "may have been applied" in str(caught.value)
    posts = [e for e in debug.requests() if e["method"] == "POST"]
    assert len(posts) == 1 and posts[0]["fault"]["action"] == "drop_after" and posts[0]["status"] == 201
    assert [rd["name"] for rd in talk.list_resource_definitions(props=["Aux/sec=drop"])] == [rd_name], \
        "the write happened exactly once"
    talk.delete_resource_definition(rd_name)


def test_post_answered_too_late_is_not_repeated(plain: EmulatorProcess, debug: DebugApi, rd_name: str) -> None:
    debug.add_fault("delay", "/v1/resource-definitions", "POST", delay_seconds=3)
    talk = client(two_entries(plain), timeout=1)
    with pytest.raises(LinstorConnectionError) as caught:
        talk.create_resource_definition(rd_name)
    assert "not safe to repeat" in str(caught.value)
    assert len([e for e in debug.requests() if e["method"] == "POST"]) == 1
    assert talk.get_resource_definition(rd_name) is not None
    talk.delete_resource_definition(rd_name)


def test_get_dropped_before_the_reply_fails_over(plain: EmulatorProcess, debug: DebugApi, rd_name: str) -> None:
    fault = debug.add_fault("drop_before", "/v1/resource-definitions/.*", "GET")
    talk = client(two_entries(plain), timeout=5)
    assert talk.get_resource_definition(rd_name) is None
    gets = debug.requests()
    assert [(e["status"], e["fault"]) for e in gets] == [(None, {"id": fault["id"], "action": "drop_before"}),
                                                         (404, None)]
    assert talk.request_count == 2


def test_get_answered_too_late_fails_over(plain: EmulatorProcess, debug: DebugApi) -> None:
    debug.add_fault("delay", "/v1/nodes", "GET", delay_seconds=3)
    talk = client(two_entries(plain), timeout=1)
    assert len(talk.get("/v1/nodes", expect=_client.LISTING)) == 3
    assert talk.request_count == 2


def test_get_to_a_refused_port_fails_over(plain: EmulatorProcess, debug: DebugApi) -> None:
    talk = client(f"linstor://127.0.0.1:{closed_port()},linstor://127.0.0.1:{plain.port}", timeout=5)
    assert talk.controller_version()["rest_api_version"]
    assert len(debug.requests()) == 1


def test_error_reply_is_linstors_message_and_not_repeated(plain: EmulatorProcess, debug: DebugApi,
                                                          rd_name: str) -> None:
    debug.add_fault("error", "/v1/resource-groups/[^/]+/spawn", "POST", message="Satellite node2 went away")
    talk = client(two_entries(plain), timeout=5)
    with pytest.raises(LinstorError) as caught:
        talk.spawn("DfltRscGrp", rd_name, [8192], {})
    assert caught.value.status == 500 and caught.value.message == "Satellite node2 went away"
    assert len([e for e in debug.requests() if e["method"] == "POST"]) == 1
    assert talk.get_resource_definition(rd_name) is None, "an error fault comes before the write"


# -- servers that are not LINSTOR ------------------------------------------------------------------
# A proxy's login page, a redirect, a server trickling or flooding its reply: no emulator behaves so, hence a
# small web server of the test's own, which records the Authorization header of every request.


class NotLinstor(http.server.BaseHTTPRequestHandler):
    """Answers a request the server has a ``canned`` reply for with it (any method); else a GET by path: /redirect
    (302 elsewhere), /html (200 with a login page), /trickle (a byte every 0.2 s), /slow-headers (its header a byte
    a second), /huge (2 MiB of JSON); records each request's path and Authorization header on the server."""

    def log_message(self, *_args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        if self.canned():
            return
        if self.path.startswith("/v1/redirect"):
            locations = {"/v1/redirect-login": "http://user:secret@login.example:8443/sso?token=abc",
                         "/v1/redirect-bad": "http://[::1/x",
                         "/v1/redirect-https": "https://127.0.0.1:3371/v1/redirect-https"}
            self.send_response(302)
            self.send_header("Location", locations.get(self.path, f"http://127.0.0.1:{self.server.server_port}/v1/nodes"))
            slow = self.path == "/v1/redirect-slow"
            self.send_header("Content-Length", "100" if slow else "0")
            self.end_headers()
            for _byte in range(100 if slow else 0):  # a body a byte at a time: bounded like any other
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        elif self.path.startswith("/v1/html"):
            self.reply(b"<html><body>Login required</body></html>", "text/html")
        elif self.path.startswith("/v1/trickle"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _byte in range(100):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        elif self.path.startswith("/v1/slow-headers"):  # a slow loris: the status line, then a byte a second
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _byte in range(60):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(1)
        elif self.path.startswith("/v1/huge"):
            self.reply(b"[" + b"0," * (1024 * 1024) + b"0]", "application/json")
        else:
            self.reply(b"{}", "application/json")

    def canned(self) -> bool:
        """Answers with the server's ``canned[(method, path)]`` reply (status, JSON text), if there is one."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if (self.command, self.path.split("?")[0]) not in self.server.canned:
            return False
        status, text = self.server.canned[(self.command, self.path.split("?")[0])]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text.encode())
        return True

    do_POST = do_PUT = do_DELETE = do_GET  # noqa: N815 - http.server's names

    def reply(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def not_linstor() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotLinstor)
    server.seen = []
    server.canned = {}
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def plain_client(server: http.server.ThreadingHTTPServer, **options) -> LinstorClient:
    return client(f"http://127.0.0.1:{server.server_port}", **options)


def test_a_redirect_is_not_followed(not_linstor) -> None:
    with pytest.raises(LinstorError, match="with a redirect") as caught:
        plain_client(not_linstor).get("/v1/redirect")
    assert caught.value.status == 302 and f"http://127.0.0.1:{not_linstor.server_port}/..." in str(caught.value)
    assert [path for path, _auth in not_linstor.seen] == ["/v1/redirect"]


def test_a_redirect_shows_only_where_it_points_and_a_bad_one_is_no_crash(not_linstor) -> None:
    with pytest.raises(LinstorError, match="with a redirect") as caught:
        plain_client(not_linstor).get("/v1/redirect-login")
    assert "http://login.example:8443/..." in str(caught.value)
    assert "secret" not in str(caught.value) and "token" not in str(caught.value)
    with pytest.raises(LinstorError, match="an address that is not a URL"):
        plain_client(not_linstor).get("/v1/redirect-bad")


def test_a_redirect_trickling_its_body_ends_at_the_timeout(not_linstor) -> None:
    """requests reads a redirect's body itself, unbounded, unless the client's hook reads it first."""
    with pytest.raises(LinstorConnectionError, match="timed out"):
        plain_client(not_linstor, timeout=1).get("/v1/redirect-slow")


def test_a_successful_reply_that_is_not_json_is_no_linstor_reply(not_linstor) -> None:
    with pytest.raises(LinstorError, match="not with LINSTOR's JSON reply") as caught:
        plain_client(not_linstor).get("/v1/html")
    assert "text/html" in str(caught.value) and "Login required" in caught.value.details


def test_a_reply_trickling_in_ends_at_the_timeout(not_linstor) -> None:
    """requests' timeout bounds each wait for data: 100 bytes at 0.2 s each would take 20 s with timeout=1."""
    with pytest.raises(LinstorConnectionError, match="timed out"):
        plain_client(not_linstor, timeout=1).get("/v1/trickle")


def test_a_reply_too_large_fails_unread(not_linstor, monkeypatch) -> None:
    monkeypatch.setattr(_client, "MAX_REPLY_BYTES", 1024 * 1024)
    with pytest.raises(LinstorError, match="larger than 1 MiB"):
        plain_client(not_linstor).get("/v1/huge")
    assert plain_client(not_linstor).get("/v1/small") == {}


def test_netrc_credentials_never_replace_or_stand_in_for_the_token(not_linstor, tmp_path, monkeypatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrcuser password NetrcPassw0rd\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    plain_client(not_linstor).get("/v1/none")
    plain_client(not_linstor, auth_token=TOKEN, allow_insecure_auth=True).get("/v1/token")
    assert not_linstor.seen == [("/v1/none", None), ("/v1/token", f"Bearer {TOKEN}")]


def test_linstors_redirect_to_https_names_the_entry_to_use(not_linstor) -> None:
    """LINSTOR's HTTPS forwarder answers /v1 on the HTTP port with a redirect to HTTPS on 3371 of the same host."""
    with pytest.raises(LinstorError, match="with a redirect") as caught:
        plain_client(not_linstor).get("/v1/redirect-https")
    text = str(caught.value)
    assert "the controller serves HTTPS there" in text and "use linstor+ssl://127.0.0.1:3371" in text
    assert "never sends" not in text
    assert [path for path, _auth in not_linstor.seen] == ["/v1/redirect-https"], "not followed"


def test_headers_sent_a_byte_a_second_end_at_the_timeout(not_linstor) -> None:
    """requests' timeout bounds each wait for data, and a byte comes every second: the request's own deadline must
    end it, as a timeout (a GET: no reply; a write: it may have been applied)."""
    base = f"http://127.0.0.1:{not_linstor.server_port}"
    began = time.monotonic()
    with pytest.raises(LinstorConnectionError) as caught:
        plain_client(not_linstor, timeout=2).get("/v1/slow-headers")
    assert time.monotonic() - began < 30  # not a speed target: without the deadline it never ends
    assert f"answered GET /v1/slow-headers: sent to {base}; no reply (timed out after timeout=2 s)" in str(caught.value)
    began = time.monotonic()
    with pytest.raises(LinstorConnectionError) as caught:
        plain_client(not_linstor, timeout=2).post("/v1/slow-headers")
    assert time.monotonic() - began < 30
    assert f"sent to {base}; it may have been applied (timed out after timeout=2 s); not repeated" in str(caught.value)


def test_an_http_error_is_an_error_whatever_its_entries_say(not_linstor) -> None:
    """An ApiCallRc list is never data: an HTTP 500 whose entries report no error is an error, not an empty
    listing (a module took one for "no such volume" and created a duplicate)."""
    base = f"http://127.0.0.1:{not_linstor.server_port}"
    not_linstor.canned[("GET", "/v1/resource-definitions")] = (500, '[{"ret_code": 0, "message": "all fine?"}]')
    with pytest.raises(LinstorError) as caught:
        plain_client(not_linstor).list_resource_definitions()
    assert caught.value.status == 500
    assert str(caught.value) == (f"{base} answered GET /v1/resource-definitions with HTTP 500 but no error entry: "
                                 "all fine?.")
    not_linstor.canned[("GET", "/v1/resource-definitions")] = (200, f'[{{"ret_code": {MASK_INFO | 1}, '
                                                                    '"message": "listed"}]')
    with pytest.raises(LinstorError, match="where LINSTOR answers with a JSON list of objects"):
        plain_client(not_linstor).list_resource_definitions()
    not_linstor.canned[("GET", "/v1/resource-definitions/rd1")] = (404, '[{"ret_code": 0, "message": "hm"}]')
    with pytest.raises(LinstorError, match="HTTP 404 but no error entry") as caught:
        plain_client(not_linstor).get_resource_definition("rd1")
    assert not caught.value.not_found, "only LINSTOR's error says the object does not exist"


@pytest.mark.parametrize("reply", ['{"name": "x"}', '"hello"', '["a"]', "[1, 2]", '[{"ret_code": "oops"}]',
                                   "null", '[{"name": "x"}, {"ret_code": 0}]'])
def test_a_listing_of_the_wrong_shape_names_the_controller_and_request(not_linstor, reply: str) -> None:
    not_linstor.canned[("GET", "/v1/resource-definitions")] = (200, reply)
    with pytest.raises(LinstorError) as caught:
        plain_client(not_linstor).list_resource_definitions()
    assert not isinstance(caught.value, LinstorConnectionError)
    assert str(caught.value).startswith(f"http://127.0.0.1:{not_linstor.server_port} answered GET "
                                        f"/v1/resource-definitions with HTTP 200 and {reply}, where LINSTOR answers "
                                        "with a JSON list of objects")


@pytest.mark.parametrize(("method", "path", "reply"), [
    ("PUT", "/v1/resource-definitions/rd1", '{"name": "x"}'),
    ("DELETE", "/v1/resource-definitions/rd1", '"hello"'),
    ("POST", "/v1/resource-definitions", '[{"ret_code": "oops"}]'),
    ("POST", "/v1/resource-definitions/rd1/clone", '{"messages": "none"}'),
    ("GET", "/v1/resource-definitions/rd1", "[]"),
])
def test_a_reply_of_the_wrong_shape_to_a_write_may_have_been_applied(not_linstor, method: str, path: str,
                                                                     reply: str) -> None:
    not_linstor.canned[(method, path)] = (200, reply)
    talk = plain_client(not_linstor)
    call = {"PUT": lambda: talk.modify_resource_definition("rd1", {"Aux/a": "1"}),
            "DELETE": lambda: talk.delete_resource_definition("rd1"),
            "POST": (lambda: talk.clone("rd1", "rd2")) if "clone" in path else lambda: talk.create_resource_definition(
                "rd1"),
            "GET": lambda: talk.get_resource_definition("rd1")}[method]
    with pytest.raises(LinstorError) as caught:
        call()
    text = str(caught.value)
    assert text.startswith(f"http://127.0.0.1:{not_linstor.server_port} answered {method} {path} with HTTP 200 and "
                           f"{reply}")
    assert isinstance(caught.value, LinstorConnectionError) == (method != "GET")
    assert ("may have been applied" in text) == (method != "GET")


def test_http_errors_name_the_controller(not_linstor, monkeypatch) -> None:
    base = f"http://127.0.0.1:{not_linstor.server_port}"
    not_linstor.canned[("GET", "/v1/nodes")] = (503, '{"error": "maintenance"}')
    with pytest.raises(LinstorError) as caught:
        plain_client(not_linstor).get("/v1/nodes", expect=_client.LISTING)
    assert str(caught.value).startswith(f"{base} answered GET /v1/nodes with HTTP 503")
    monkeypatch.setattr(_client, "MAX_REPLY_BYTES", 1024 * 1024)
    with pytest.raises(LinstorError, match=f"^{base} answered GET /v1/huge with a reply larger than 1 MiB"):
        plain_client(not_linstor).get("/v1/huge")


def test_a_put_or_delete_whose_reply_was_lost_says_it_was_sent(plain: EmulatorProcess, debug: DebugApi,
                                                               rd_name: str) -> None:
    """A PUT or DELETE is safe to repeat, so it goes to the next controller; when none answers, the failure says
    it was sent and may have been applied, not that no controller could be reached."""
    base = f"http://127.0.0.1:{plain.port}"
    talk = client(f"linstor://127.0.0.1:{plain.port},linstor://127.0.0.1:{closed_port()}", timeout=5)
    talk.spawn("DfltRscGrp", rd_name, [8192], {})
    debug.add_fault("drop_after", "/v1/resource-definitions/[^/]+/volume-definitions/0", "PUT")
    with pytest.raises(LinstorConnectionError) as caught:
        talk.modify_volume_definition(rd_name, 0, 16384)
    assert str(caught.value).startswith(f"no LINSTOR controller (from the controllers option) answered PUT "
                                        f"/v1/resource-definitions/{rd_name}/volume-definitions/0: sent to {base}; it "
                                        "may have been applied (remote end closed); http://127.0.0.1:")
    assert "could not reach" not in str(caught.value)
    definitions = talk.get(f"/v1/resource-definitions/{rd_name}/volume-definitions", expect=_client.LISTING)
    assert definitions[0]["size_kib"] == 16384, "it was applied"
    debug.add_fault("drop_after", "/v1/resource-definitions/[^/]+", "DELETE")
    with pytest.raises(LinstorConnectionError, match=f"sent to {base}; it may have been applied"):
        talk.delete_resource_definition(rd_name)
    assert talk.get_resource_definition(rd_name) is None


def test_a_post_through_a_proxy_that_cannot_be_reached_fails_over(
        plain: EmulatorProcess, debug: DebugApi, monkeypatch, rd_name: str) -> None:
    """requests wraps a refused connection to the proxy in a ProxyError: nothing was sent, so a POST goes on to the
    next controller (here the emulator, which no_proxy exempts) instead of reporting a write that may have been
    applied."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    talk = client(f"linstor://10.255.255.1:3370,linstor://127.0.0.1:{plain.port}", timeout=5)
    talk.spawn("DfltRscGrp", rd_name, [8192], {})
    assert talk.request_count == 2
    assert [e["method"] for e in debug.requests()] == ["POST"]
    assert talk.get_resource_definition(rd_name) is not None


def test_a_reply_read_whole_is_no_timeout_however_late_requests_ends(not_linstor, monkeypatch) -> None:
    """The deadline is disarmed once the reply is read: requests' own work after the read (here held past the
    timeout) must not turn a complete reply into a timeout."""
    original = requests.sessions.extract_cookies_to_jar

    def late(*args, **kwargs):
        time.sleep(1.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(requests.sessions, "extract_cookies_to_jar", late)
    assert plain_client(not_linstor, timeout=1).get("/v1/anything") == {}
