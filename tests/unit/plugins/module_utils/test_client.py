"""The LINSTOR REST client: controller resolution, TLS/auth settings, failover and ApiCallRc decoding.

Wire behaviour is tested against the session's controller (the emulator unless LS_CONTROLLERS
points at a real one), never against mocked HTTP.
"""

from __future__ import annotations

import functools
import http.server
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from ansible_collections.linstor.incus.plugins.module_utils import _client
from ansible_collections.linstor.incus.plugins.module_utils._client import (
    MASK_ERROR,
    MASK_INFO,
    MASK_WARN,
    ConnectionSettings,
    LinstorClient,
    LinstorConfigError,
    LinstorConnectionError,
    LinstorError,
    LinstorStopped,
    controller_url,
    raise_for_apicallrc,
    severity,
)
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    NamingError,
    property_value_problem,
    refuse_invalid_properties,
)


@pytest.mark.parametrize(
    ("entry", "url"),
    [
        ("linstor://ctrl", "http://ctrl:3370"),
        ("linstor://ctrl:4000", "http://ctrl:4000"),
        ("linstor+ssl://ctrl", "https://ctrl:3371"),
        ("LINSTOR+SSL://ctrl:9000", "https://ctrl:9000"),
        ("http://10.0.0.1:3370", "http://10.0.0.1:3370"),
        ("https://ctrl", "https://ctrl:3371"),
        ("ctrl", "http://ctrl:3370"),
        ("ctrl:3999", "http://ctrl:3999"),
        (" linstor://[::1] ", "http://[::1]:3370"),
        ("linstor+ssl://[fd00::5]:3371", "https://[fd00::5]:3371"),
        ("http://ctrl:3370/", "http://ctrl:3370"),  # a bare trailing slash is no path
    ],
)
def test_controller_url(entry: str, url: str) -> None:
    assert controller_url(entry) == url


@pytest.mark.parametrize("entry", ["ftp://ctrl", "linstor://", "linstor://ctrl:notaport", "ctrl:0",
                                   "https://lb/linstor", "http://ctrl:3370/v1", "http://ctrl?x=1",
                                   "http://[::1", "http://host]:1", "http://[zz]:3370"])
def test_controller_url_refuses_bad_entries(entry: str) -> None:
    with pytest.raises(LinstorConfigError) as caught:
        controller_url(entry)
    assert caught.value.parameter == "controllers"
    assert str(caught.value).startswith("controllers:")


def test_wrong_values_from_elsewhere_name_their_source(tmp_path) -> None:
    """A wrong value from LS_CONTROLLERS or linstor-client.conf is blamed on the option that overrides it, and the
    message says where the value came from; one from the task names the option alone."""
    nowhere = [str(tmp_path / "none.conf")]
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({}, {"LS_CONTROLLERS": "ftp://x"}, nowhere)
    assert caught.value.parameter == "controllers"
    assert str(caught.value).startswith("controllers (from the LS_CONTROLLERS environment variable): unsupported")
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({}, {"LS_CONTROLLERS": " , "}, nowhere)
    assert str(caught.value) == "controllers (from the LS_CONTROLLERS environment variable): no controller given."
    conf = write_config(tmp_path, "[global]\ncontrollers = http://[::1\n")
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({}, {}, [str(conf)])
    assert str(caught.value).startswith("controllers (from linstor-client.conf): 'http://[::1' is not a valid address")
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({"controllers": "ftp://x"}, {}, nowhere)
    assert str(caught.value).startswith("controllers: unsupported")

    missing = str(tmp_path / "missing.pem")
    conf = write_config(tmp_path, f"[global]\ncontrollers = linstor+ssl://c\ncafile = {missing}\n")
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({}, {}, [str(conf)])
    assert caught.value.parameter == "ca_cert"
    assert str(caught.value) == f"ca_cert (from cafile in linstor-client.conf): no such file: {missing}."
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({"ca_cert": missing}, {}, [str(conf)])
    assert str(caught.value) == f"ca_cert: no such file: {missing}."
    conf = write_config(tmp_path, "[global]\ncontrollers = linstor://c\nauth-token = s3cr3t\n")
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({}, {}, [str(conf)])
    assert caught.value.parameter == "auth_token"
    assert str(caught.value).startswith("auth_token (from auth-token in linstor-client.conf): refusing to send")


def write_config(tmp_path, body: str):
    path = tmp_path / "linstor-client.conf"
    path.write_text(body)
    return path


def test_controllers_resolution_order(tmp_path) -> None:
    user = write_config(tmp_path, "[global]\ncontrollers = linstor://from-user-conf\nauth-token = conftoken\n")
    system = tmp_path / "etc.conf"
    system.write_text("[global]\ncontrollers = linstor://from-etc-conf\n")
    paths = [str(user), str(system)]

    insecure = {"allow_insecure_auth": True}  # the user's config file carries a token
    option = ConnectionSettings.from_params({"controllers": "a,linstor+ssl://b", **insecure},
                                            {"LS_CONTROLLERS": "env"}, paths)
    assert option.controllers == ["http://a:3370", "https://b:3371"]
    assert option.controllers_source == "the controllers option"

    env = ConnectionSettings.from_params(insecure, {"LS_CONTROLLERS": "linstor+ssl://env1,env2:3380"}, paths)
    assert env.controllers == ["https://env1:3371", "http://env2:3380"]
    assert "LS_CONTROLLERS" in env.controllers_source

    conf = ConnectionSettings.from_params(insecure, {}, paths)
    assert conf.controllers == ["http://from-user-conf:3370"]
    assert conf.auth_token == "conftoken"

    etc_only = ConnectionSettings.from_params({}, {}, [str(tmp_path / "missing.conf"), str(system)])
    assert etc_only.controllers == ["http://from-etc-conf:3370"]

    default = ConnectionSettings.from_params({}, {}, [str(tmp_path / "missing.conf")])
    assert default.controllers == ["http://localhost:3370"]
    assert default.controllers_source == "the default"


def test_config_file_tls_keys(tmp_path) -> None:
    ca, cert, key, mine = (str(tmp_path / name) for name in ("ca.pem", "c.pem", "k.pem", "mine.pem"))
    for path in (ca, cert, key, mine):
        open(path, "w").close()
    conf = write_config(tmp_path, f"[global]\ncontrollers=linstor+ssl://c\ncafile={ca}\ncertfile={cert}\nkeyfile={key}\n")
    settings = ConnectionSettings.from_params({}, {}, [str(conf)])
    assert (settings.ca_cert, settings.client_cert, settings.client_key) == (ca, cert, key)
    explicit = ConnectionSettings.from_params({"ca_cert": mine}, {}, [str(conf)])
    assert explicit.ca_cert == mine


def test_token_never_goes_over_plain_http(tmp_path) -> None:
    nowhere = [str(tmp_path / "none.conf")]
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({"controllers": "linstor+ssl://a,linstor://b", "auth_token": "s3cr3t"}, {},
                                       nowhere)
    assert caught.value.parameter == "auth_token"
    assert "http://b:3370" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
    allowed = ConnectionSettings.from_params(
        {"controllers": "linstor://b", "auth_token": "s3cr3t", "allow_insecure_auth": True}, {}, nowhere)
    prepared = LinstorClient(allowed).session.prepare_request(requests.Request("GET", "http://b:3370/v1/nodes"))
    assert prepared.headers["Authorization"] == "Bearer s3cr3t"
    assert "s3cr3t" not in repr(allowed)
    secure = ConnectionSettings.from_params({"controllers": "linstor+ssl://a", "auth_token": "t"}, {}, nowhere)
    assert secure.auth_token == "t"


def test_connection_option_checks(tmp_path) -> None:
    nowhere = [str(tmp_path / "none.conf")]
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({"controllers": "a", "client_key": "/k.pem"}, {}, nowhere)
    assert caught.value.parameter == "client_key"
    for timeout in (-1, 0, float("nan"), float("inf"), 1e300, 86401):
        with pytest.raises(LinstorConfigError, match="positive number of seconds, at most 86400") as caught:
            ConnectionSettings.from_params({"controllers": "a", "timeout": timeout}, {}, nowhere)
        assert caught.value.parameter == "timeout"
    assert ConnectionSettings.from_params({"controllers": "a", "timeout": 86400}, {}, nowhere).timeout == 86400
    for option in ("ca_cert", "client_cert"):
        with pytest.raises(LinstorConfigError, match="no such file") as caught:
            ConnectionSettings.from_params({"controllers": "linstor+ssl://a", option: str(tmp_path / "missing.pem")},
                                           {}, nowhere)
        assert caught.value.parameter == option
    missing = str(tmp_path / "missing.pem")
    unverified = {"controllers": "linstor+ssl://a", "ca_cert": missing, "validate_certs": False}
    assert ConnectionSettings.from_params(unverified, {}, nowhere).validate_certs is False
    plain = ConnectionSettings.from_params({"controllers": "a", "ca_cert": missing}, {}, nowhere)
    assert plain.ca_cert == missing  # not used over plain HTTP, so not checked
    with pytest.raises(LinstorConfigError, match="no such file") as caught:  # requests opens it for any URL
        ConnectionSettings.from_params({"controllers": "a", "client_cert": missing}, {}, nowhere)
    assert caught.value.parameter == "client_cert"
    directory = ConnectionSettings.from_params({"controllers": "linstor+ssl://a", "ca_cert": str(tmp_path)}, {},
                                               nowhere)
    assert directory.ca_cert == str(tmp_path)  # a directory of CA certificates, as requests' verify takes
    with pytest.raises(LinstorConfigError):
        ConnectionSettings.from_params({"controllers": " , "}, {}, nowhere)


def test_tls_settings_reach_the_session(tmp_path) -> None:
    nowhere = [str(tmp_path / "none.conf")]
    ca, cert, key = (tmp_path / "ca.pem", tmp_path / "c.pem", tmp_path / "k.pem")
    for path in (ca, cert, key):
        path.write_text("PEM\n")
    settings = ConnectionSettings.from_params(
        {"controllers": "linstor+ssl://a", "ca_cert": str(ca), "client_cert": str(cert), "client_key": str(key)},
        {}, nowhere)
    session = LinstorClient(settings).session
    assert session.verify == str(ca)
    assert session.cert == (str(cert), str(key))
    unverified = ConnectionSettings.from_params(
        {"controllers": "linstor+ssl://a", "validate_certs": False}, {}, nowhere)
    assert LinstorClient(unverified).session.verify is False
    system_store = ConnectionSettings.from_params({"controllers": "linstor+ssl://a"}, {}, nowhere)
    assert LinstorClient(system_store).session.verify is True


def test_severity_classification() -> None:
    error = (MASK_ERROR | 0x0000300000000000 | 5) - (1 << 64)  # negative, as a controller sends it
    assert severity(error) == MASK_ERROR
    assert severity(0x8000000000000000 | 0x3000 | 7) == MASK_WARN
    assert severity(MASK_INFO | 12) == MASK_INFO
    assert severity(0x0000000000000001) == 0
    warn_entry = {"ret_code": MASK_WARN | 1, "message": "careful"}
    info_entry = {"ret_code": MASK_INFO | 1, "message": "fyi"}
    assert raise_for_apicallrc([info_entry, warn_entry], 200) == [warn_entry]
    with pytest.raises(LinstorError) as caught:
        raise_for_apicallrc([info_entry, {"ret_code": error, "message": "boom", "cause": "why",
                                          "correction": "fix it", "details": "more"}], 500)
    err = caught.value
    assert (err.message, err.cause, err.correction, err.details, err.ret_code, err.status) == (
        "boom", "why", "fix it", "more", error, 500)
    assert str(err) == "boom. Cause: why. Correction: fix it. Details: more."


def test_reply_warnings_tell_what_waits_for_a_satellite() -> None:
    """LINSTOR's not-connected warnings (one per node) become one text naming the nodes and what that means for the
    write (by default, that LINSTOR hands the change on later); other warnings pass as they are."""
    not_connected = [{"ret_code": (MASK_WARN | 0x0300000000000000 | 1002) - (1 << 64),
                      "message": f"No active connection to satellite '{node}'"} for node in ("node2", "node3")]
    other = {"ret_code": MASK_WARN | 7, "message": "careful"}
    assert _client.reply_warnings([other, *not_connected]) == [
        "careful", "the satellites of nodes node2, node3 are not connected: LINSTOR stored the change, and hands it on "
        "once connected"]
    assert _client.reply_warnings(not_connected[:1], "it waits") == [
        "the satellite of node node2 is not connected: it waits"]
    assert _client.reply_warnings([other], "it waits") == ["careful"]
    told: set[str] = set()
    assert _client.reply_warnings(not_connected[:1], "it waits", told) == [
        "the satellite of node node2 is not connected: it waits"]
    assert _client.reply_warnings(not_connected, told=told) == [
        "the satellite of node node3 is not connected: LINSTOR stored the change, and hands it on once connected"]
    assert _client.reply_warnings(not_connected, told=told) == []
    assert _client.reply_warnings(not_connected[1:], "gone", told) == [
        "the satellite of node node3 is not connected: gone"], "a write's own meaning is always said"


# -- against the controller --------------------------------------------------------------------


@pytest.fixture
def client(controller) -> LinstorClient:
    return LinstorClient(ConnectionSettings.from_params({"controllers": controller.controllers}, {}, []))


@pytest.fixture
def rd_name() -> str:
    return "clienttest-" + uuid.uuid4().hex[:16]


def test_errors_are_decoded_whatever_the_status(client: LinstorClient, rd_name: str) -> None:
    assert client.get_resource_definition(rd_name) is None
    with pytest.raises(LinstorError) as caught:
        client.spawn("DfltRscGrp", "1-not-a-valid-name", [4096], {})
    assert caught.value.status == 500
    assert severity(caught.value.ret_code) == MASK_ERROR
    assert caught.value.ret_code < 0
    assert caught.value.message
    warnings = client.delete_resource_definition(rd_name)
    assert len(warnings) == 1 and severity(warnings[0]["ret_code"]) == MASK_WARN


def test_a_failed_clone_is_decoded_from_its_clone_started_reply(client: LinstorClient, rd_name: str,
                                                                needs_placement) -> None:
    """A clone failing in its transaction answers with the clone-started object, errors in ``messages``: HTTP 201
    before LINSTOR 1.32.2, HTTP 500 from it (the emulator answers as 1.34). Either way LINSTOR's error is raised."""
    target = rd_name + "-copy"
    try:
        client.spawn("DfltRscGrp", rd_name, [4096], {})
        client.spawn("DfltRscGrp", target, [4096], {})
        with pytest.raises(LinstorError) as caught:
            client.clone(rd_name, target)
        assert severity(caught.value.ret_code) == MASK_ERROR
        assert "already exists" in caught.value.message
        assert caught.value.status in (201, 500)
    finally:
        client.delete_resource_definition(target)
        client.delete_resource_definition(rd_name)


def test_a_stop_fails_the_next_request_unsent_and_only_once(client: LinstorClient, rd_name: str) -> None:
    client.request_stop("SIGTERM")
    client.request_stop("SIGINT")  # a second signal before the first is acted on changes nothing
    with pytest.raises(LinstorStopped, match="stopped by SIGTERM before POST .*spawn was sent"):
        client.spawn("DfltRscGrp", rd_name, [4096], {})
    assert client.get_resource_definition(rd_name) is None  # not sent; and this request is
    assert not client.request_stop("SIGINT")  # the run is stopping: its undo steps must go out
    assert client.get_resource_definition(rd_name) is None


def test_a_pause_is_cut_short_by_a_stop(client: LinstorClient) -> None:
    started = time.monotonic()
    client.pause(0.3)
    assert time.monotonic() - started >= 0.3
    threading.Timer(0.2, client.request_stop, ("SIGTERM",)).start()
    started = time.monotonic()
    client.pause(30)
    assert time.monotonic() - started < 5, "the stop ended the pause"
    with pytest.raises(LinstorStopped, match="stopped by SIGTERM"):
        client.list_resource_definitions()


def test_a_stop_waits_for_the_end_of_an_unstoppable_block(client: LinstorClient, rd_name: str) -> None:
    assert client.request_stop("SIGHUP")
    with client.unstoppable():
        with client.run_to_the_end("a step that runs to its end"):  # not inside the block
            pass
        assert client.get_resource_definition(rd_name) is None
        assert client.stop_pending
    with pytest.raises(LinstorStopped, match="stopped by SIGHUP before deleting it"), \
            client.run_to_the_end("deleting it"):
        raise AssertionError("a step begun after the stop")
    assert not client.stop_pending


def test_a_view_of_many_rds_lists_everything_once_and_keeps_theirs(client: LinstorClient, needs_placement) -> None:
    """Beyond NAME_FILTER_LIMIT RDs a view request names none (its URL would grow with the volumes): one
    request lists all, and only the RDs asked for are returned."""
    tag = uuid.uuid4().hex[:8]
    names = [f"view-{tag}-{number:02d}" for number in range(_client.NAME_FILTER_LIMIT + 2)]
    try:
        for name in names:
            client.spawn("DfltRscGrp", name, [8192], {})
        client.autoplace(names[0], place_count=1)
        client.autoplace(names[-1], place_count=1)
        before = client.request_count
        assert {resource["name"] for resource in client.view_resources(names[:-1])} == {names[0]}
        assert client.request_count == before + 1
        assert {resource["name"] for resource in client.view_resources(names[-1:])} == {names[-1]}
    finally:
        for name in names:
            client.delete_resource_definition(name)


def test_props_filter_and_lifecycle(client: LinstorClient, rd_name: str) -> None:
    marker = uuid.uuid4().hex
    try:
        assert client.spawn("DfltRscGrp", rd_name, [8192], {"Aux/Test/marker": marker, "Aux/Test/kind": "a"}) == []
        found = client.list_resource_definitions(props=[f"Aux/Test/marker={marker}", "Aux/Test/kind"])
        assert [rd["name"] for rd in found] == [rd_name]
        assert found[0]["volume_definitions"][0]["size_kib"] == 8192
        assert client.list_resource_definitions(props=[f"Aux/Test/marker={marker}", "Aux/Test/other"]) == []
        client.modify_resource_definition(rd_name, override_props={"Aux/Test/kind": "b"},
                                          delete_props=["Aux/Test/nothing"])
        assert client.get_resource_definition(rd_name)["props"]["Aux/Test/kind"] == "b"
        client.modify_volume_definition(rd_name, 0, 16384)
        definitions = client.get(f"/v1/resource-definitions/{rd_name}/volume-definitions", expect=_client.LISTING)
        assert definitions[0]["size_kib"] == 16384
    finally:
        client.delete_resource_definition(rd_name)
    assert client.get_resource_definition(rd_name) is None


PROPERTY_VALUES = [  # (key, value, whether LINSTOR accepts it), one or two per kind of whitelist rule
    ("DrbdOptions/Net/max-buffers", "2048", True), ("DrbdOptions/Net/max-buffers", "abc", False),
    ("DrbdOptions/Net/max-buffers", "16", False),  # range
    ("DrbdOptions/Net/protocol", "A", True), ("DrbdOptions/Net/protocol", "Z", False),  # regex (symbols)
    ("FileSystem/Type", "xfs", True), ("FileSystem/Type", "btrfs", False),  # regex
    ("DrbdOptions/Resource/quorum", "majority", True), ("DrbdOptions/Resource/quorum", "2", True),
    ("DrbdOptions/Resource/quorum", "most", False), ("DrbdOptions/Resource/quorum", "99", False),  # numeric or symbol
    ("DrbdOptions/Net/allow-remote-read", "no", True), ("DrbdOptions/Net/allow-remote-read", "maybe", False),
]


def test_property_values_are_judged_as_the_controller_judges_them(client: LinstorClient, rd_name: str) -> None:
    """property_value_problem against the controller's own whitelist (the emulator's, or a real LINSTOR's): a
    value it calls wrong is one the controller refuses, and one it lets through the controller takes."""
    rules = client.property_rules("resource-definitions")
    client.create_resource_definition(rd_name)
    try:
        for key, value, accepted in PROPERTY_VALUES:
            problem = property_value_problem(rules[key], value)
            assert (problem is None) == accepted, (key, value, problem)
            try:
                client.modify_resource_definition(rd_name, override_props={key: value})
                taken = True
            except LinstorError:
                taken = False
            assert taken == accepted, (key, value)
        with pytest.raises(NamingError) as caught:
            refuse_invalid_properties(client.property_rules, {"volumes[1].properties": {
                "Aux/free": "anything", "DrbdOptions/Net/max-buffers": "abc", "DrbdOptions/Net/protocol": None}})
        assert caught.value.parameter == "volumes[1].properties"
        assert "'abc' for 'DrbdOptions/Net/max-buffers'" in str(caught.value) and "(32 - 131072)" in str(caught.value)
    finally:
        client.delete_resource_definition(rd_name)


def test_a_rule_this_cannot_read_is_left_to_the_controller() -> None:
    assert property_value_problem({"prop_type": "regex", "value": r"\p{Alpha}+"}, "x1") is None  # Java only
    assert property_value_problem({"prop_type": "range", "value": "1 to 5"}, "9") is None
    assert property_value_problem({"prop_type": "string"}, "") is None
    assert property_value_problem({"prop_type": "some_future_type", "value": "x"}, "y") is None
    assert property_value_problem({"prop_type": "long", "unit": "KiB"}, "1.5") == "a whole number (KiB)"


def test_a_404_without_a_linstor_reply_is_no_answer_about_the_object(tmp_path) -> None:
    """A plain web server (a wrong port, a proxy path) answers 404 for everything: that must not read as
    "the resource group does not exist" (which would make a create look needed and a delete look done)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = ConnectionSettings.from_params({"controllers": f"http://127.0.0.1:{server.server_port}"}, {},
                                                  [str(tmp_path / "none.conf")])
        with pytest.raises(LinstorError, match="HTTP 404 without a LINSTOR reply") as caught:
            LinstorClient(settings).get_resource_group("remote")
        assert not caught.value.not_found
    finally:
        server.shutdown()
        server.server_close()


def test_linstors_404_is_not_found(controller) -> None:
    client = LinstorClient(ConnectionSettings.from_params({"controllers": controller.controllers}, {}, []))
    assert client.get_resource_group("no-such-group-" + uuid.uuid4().hex[:8]) is None


class DroppingServer:
    """A TCP server that accepts a connection, reads the request, and closes without answering."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _peer = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.recv(65536)
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def dropping_server() -> Iterator[DroppingServer]:
    server = DroppingServer()
    yield server
    server.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failover_to_next_controller(controller) -> None:
    down = f"linstor://127.0.0.1:{closed_port()}"
    client = LinstorClient(ConnectionSettings.from_params({"controllers": f"{down},{controller.controllers}"}, {}, []))
    assert "version" in client.controller_version()
    assert client.request_count == 2
    client.controller_version()
    assert client.request_count == 3, "the controller that answered is used first from then on"


def test_all_controllers_down_lists_what_was_tried() -> None:
    ports = [closed_port(), closed_port()]
    entries = ",".join(f"linstor://127.0.0.1:{port}" for port in ports)
    client = LinstorClient(ConnectionSettings.from_params({"controllers": entries, "timeout": 5}, {}, []))
    with pytest.raises(LinstorConnectionError) as caught:
        client.list_resource_definitions()
    for port in ports:
        assert f"http://127.0.0.1:{port}" in str(caught.value)
    assert "the controllers option" in str(caught.value)


def test_post_that_may_have_been_applied_is_not_repeated(controller, dropping_server, rd_name: str) -> None:
    controller.clear_requests_log()
    entries = f"linstor://127.0.0.1:{dropping_server.port},{controller.controllers}"
    client = LinstorClient(ConnectionSettings.from_params({"controllers": entries, "timeout": 5}, {}, []))
    with pytest.raises(LinstorConnectionError) as caught:
        client.spawn("DfltRscGrp", rd_name, [8192], {})
    assert "not safe to repeat" in str(caught.value)
    assert dropping_server.accepted == 1
    assert not [entry for entry in controller.requests_log() if entry["method"] != "GET"]
    assert client.get_resource_definition(rd_name) is None, "a GET fails over to the next controller"


def test_a_name_that_does_not_resolve_was_never_sent(controller, monkeypatch, rd_name: str) -> None:
    """A resolver failing for now ("Temporary failure in name resolution") sent nothing: even a POST goes to the
    next controller."""
    real_getaddrinfo = socket.getaddrinfo

    def resolver_down(host, *args, **kwargs):
        if host == "ctrl-unresolved.example":
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver_down)
    entries = f"linstor://ctrl-unresolved.example,{controller.controllers}"
    client = LinstorClient(ConnectionSettings.from_params({"controllers": entries, "timeout": 5}, {}, []))
    try:
        assert client.spawn("DfltRscGrp", rd_name, [8192], {}) == []
        assert client.request_count == 2
        assert client.get_resource_definition(rd_name) is not None
    finally:
        client.delete_resource_definition(rd_name)
    alone = LinstorClient(ConnectionSettings.from_params({"controllers": "ctrl-unresolved.example"}, {}, []))
    with pytest.raises(LinstorConnectionError, match=r"could not reach any LINSTOR controller .*; tried: "
                                                     r"http://ctrl-unresolved.example:3370 \(temporary failure"):
        alone.delete_resource_definition(rd_name)


def test_every_error_of_a_reply_is_told(client: LinstorClient, rd_name: str) -> None:
    """A group's new place count autoplaces each of its RDs: LINSTOR's reply holds "modified" and one error per RD
    that cannot be placed, each naming its RD. All of them reach the message and the module result."""
    group = rd_name + "-rg"
    client.create_resource_group({"name": group, "select_filter": {"place_count": 1}})
    try:
        for name in (rd_name + "-a", rd_name + "-b"):
            client.spawn(group, name, [4096], {})
        with pytest.raises(LinstorError) as caught:
            client.modify_resource_group(group, {"select_filter": {"place_count": 9}})
        error = caught.value
        assert error.also_reports(_client.MODIFIED)
        assert f"resource: {rd_name}-a" in str(error) and f"resource: {rd_name}-b" in str(error)
        result = error.to_dict()
        assert [entry["details"].splitlines()[-1] for entry in result["errors"]] == [
            f"Auto-placing resource: {rd_name}-a", f"Auto-placing resource: {rd_name}-b"]
        assert result["message"] == result["errors"][0]["message"] and result["http_status"] == 500
        assert result["ret_code"] == result["errors"][0]["ret_code"] and result["warnings"] == []
    finally:
        for name in (rd_name + "-a", rd_name + "-b"):
            client.delete_resource_definition(name)
        client.delete_resource_group(group)


def test_the_warnings_of_an_error_reply_are_told() -> None:
    entries = [{"ret_code": MASK_ERROR | 1, "message": "first failed", "cause": "c1"},
               {"ret_code": MASK_WARN | 2, "message": "careful", "details": "d2"},
               {"ret_code": MASK_ERROR | 3, "message": "second failed", "correction": "fix it"},
               {"ret_code": MASK_INFO | 4, "message": "fyi"}]
    with pytest.raises(LinstorError) as caught:
        raise_for_apicallrc(entries, 500)
    error = caught.value
    assert (error.message, error.cause, error.ret_code) == ("first failed", "c1", MASK_ERROR | 1)
    assert str(error) == ("first failed. Cause: c1. second failed. Correction: fix it. LINSTOR also warned: careful. "
                          "Details: d2.")
    assert error.to_dict()["warnings"] == [{"message": "careful", "cause": "", "correction": "", "details": "d2",
                                            "ret_code": MASK_WARN | 2}]
    assert [entry["message"] for entry in error.to_dict()["errors"]] == ["first failed", "second failed"]


def test_module_utils_import_without_requests(monkeypatch) -> None:
    monkeypatch.setattr(_client, "requests", None)
    with pytest.raises(LinstorConfigError) as caught:
        LinstorClient(ConnectionSettings.from_params({"controllers": "a"}, {}, []))
    assert "requests" in str(caught.value)


# -- secrets stay out of messages --------------------------------------------------------------------


SECRET = "S3cr3tTokenXYZ"


def test_a_token_is_stripped_and_one_no_header_can_carry_is_refused_unshown(tmp_path) -> None:
    nowhere = [str(tmp_path / "none.conf")]
    vaulted = ConnectionSettings.from_params({"controllers": "linstor+ssl://a", "auth_token": SECRET + "\n"}, {},
                                             nowhere)
    assert vaulted.auth_token == SECRET  # a vaulted file's trailing newline
    with pytest.raises(LinstorConfigError, match="auth_token: is empty"):
        ConnectionSettings.from_params({"controllers": "a", "auth_token": " \n"}, {}, nowhere)
    for bad in (SECRET + "\nX-Other: 1", SECRET + "\u2019", "two words"):
        with pytest.raises(LinstorConfigError) as caught:
            ConnectionSettings.from_params({"controllers": "linstor+ssl://a", "auth_token": bad}, {}, nowhere)
        assert caught.value.parameter == "auth_token"
        assert SECRET not in str(caught.value) and "two" not in str(caught.value)


@pytest.mark.parametrize("content, problem", [
    (f"[global]\ncontrollers = a\nauth-token {SECRET}\n", "lines that are not 'key = value': 3"),
    (f"[global]\ncontrollers = a\n  auth-token = {SECRET}\n", "the value of 'controllers' in [global] runs on"),
    (f"auth-token = {SECRET}\n", "no [section] header before line 1"),
    (f"[global]\nauth-token = {SECRET}\nauth-token = {SECRET}\n", "key 'auth-token' given twice"),
])
def test_a_broken_config_file_is_named_and_never_quoted(tmp_path, content: str, problem: str) -> None:
    conf = tmp_path / "linstor-client.conf"
    conf.write_text(content)
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({}, {}, [str(conf)])
    assert str(conf) in str(caught.value) and problem in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_config_file_not_utf8_is_named_and_an_unreadable_one_skipped_with_a_warning(tmp_path, unreadable) -> None:
    conf = tmp_path / "linstor-client.conf"
    conf.write_bytes(b"[global]\n# r\xe9seau\nauth-token = " + SECRET.encode() + b"\n")
    with pytest.raises(LinstorConfigError, match="not UTF-8 text") as caught:
        ConnectionSettings.from_params({}, {}, [str(conf)])
    assert str(conf) in str(caught.value) and SECRET not in str(caught.value)
    conf.write_text(f"[global]\nauth-token = {SECRET}\n")
    system = tmp_path / "system.conf"
    system.write_text("[global]\ncontrollers = linstor://from-the-system-file\n")
    unreadable(conf)
    settings = ConnectionSettings.from_params({}, {}, [str(conf), str(system)])
    assert settings.controllers == ["http://from-the-system-file:3370"] and settings.auth_token is None
    assert settings.warnings == [f"{conf}: cannot read this linstor-client.conf (Permission denied); its settings "
                                 "are not used"]


def test_a_refusal_after_an_unreadable_config_file_keeps_its_warning(tmp_path, unreadable) -> None:
    """The warning that a linstor-client.conf could not be read comes with a refusal that follows it (here the
    system file's controllers, which are not a controller address)."""
    conf = tmp_path / "linstor-client.conf"
    conf.write_text("[global]\ncontrollers = linstor://from-the-user-file\n")
    system = tmp_path / "system.conf"
    system.write_text("[global]\ncontrollers = ftp://from-the-system-file\n")
    unreadable(conf)
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({}, {}, [str(conf), str(system)])
    assert "ftp://from-the-system-file" in str(caught.value)
    assert caught.value.config_warnings == [
        f"{conf}: cannot read this linstor-client.conf (Permission denied); its settings are not used"]


def test_a_key_given_as_its_contents_is_refused_unshown(tmp_path) -> None:
    pem = f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n"
    cert = tmp_path / "cert.pem"
    cert.write_text("not checked here")
    with pytest.raises(LinstorConfigError) as caught:
        ConnectionSettings.from_params({"controllers": "linstor+ssl://a", "client_cert": str(cert), "client_key": pem},
                                       {}, [str(tmp_path / "none.conf")])
    assert caught.value.parameter == "client_key"
    assert "not its contents" in str(caught.value) and SECRET not in str(caught.value)


def test_an_address_with_white_space_or_one_requests_cannot_use_names_controllers(tmp_path) -> None:
    with pytest.raises(LinstorConfigError, match="holds white space") as caught:
        controller_url("linstor://ctrl example")
    assert caught.value.parameter == "controllers"
    settings = ConnectionSettings.from_params({"controllers": "linstor://a..b"}, {}, [str(tmp_path / "none.conf")])
    with pytest.raises(LinstorConfigError, match="not a URL requests can use") as caught:
        LinstorClient(settings).get("/v1/nodes", expect=_client.LISTING)
    assert caught.value.parameter == "controllers"


@pytest.mark.parametrize("entry", [f"https://admin:{SECRET}@ctrl", f"https://admin:{SECRET}@ctrl:33x",
                                   f"ftp://admin:{SECRET}@ctrl", f"https://admin:p@{SECRET}@ctrl:33x"])
def test_credentials_in_a_controller_address_are_refused_unshown(entry: str) -> None:
    with pytest.raises(LinstorConfigError) as caught:
        controller_url(entry)
    assert caught.value.parameter == "controllers"
    assert SECRET not in str(caught.value) and "***@ctrl" in str(caught.value)
