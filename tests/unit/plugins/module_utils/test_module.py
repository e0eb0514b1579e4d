"""What every module run gets from ``_module``: the stop-signal handling (``stop_signals_to``), and LINSTOR's
warnings turned into Ansible warnings whether the run succeeds or fails (``run_module``).

What a stopped run leaves is tested end to end in tests/reliability/test_stop_signals.py; here, the
handlers themselves: installed for the run, restored after, a signal inherited as ignored left
ignored, and nothing touched outside the main thread.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest
from ansible_collections.linstor.incus.plugins.module_utils import _client
from ansible_collections.linstor.incus.plugins.module_utils._client import CONNECTION_ARGUMENT_SPEC, ConnectionSettings
from ansible_collections.linstor.incus.plugins.module_utils._module import (
    STOP_SIGNALS,
    ModuleFailure,
    run_module,
    stop_signals_to,
)
from ansible_collections.linstor.incus.plugins.module_utils._naming import NamingError


class StopRecorder:
    """Stands in for LinstorClient.request_stop: accepts the first stop only, as the client does."""

    def __init__(self) -> None:
        self.stops: list[str] = []

    def request_stop(self, reason: str) -> bool:
        self.stops.append(reason)
        return len(self.stops) == 1


@pytest.fixture
def restore_handlers():
    saved = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_a_signal_during_the_run_asks_the_client_to_stop(restore_handlers) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a terminal (a background job may inherit it ignored)
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    client = StopRecorder()
    with stop_signals_to(client):
        os.kill(os.getpid(), signal.SIGTERM)  # delivered before kill() returns (main thread)
        assert client.stops == ["SIGTERM"]
    assert {number: signal.getsignal(number) for number in STOP_SIGNALS} == before


def test_a_signal_inherited_as_ignored_stays_ignored(restore_handlers) -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    client = StopRecorder()
    with stop_signals_to(client):
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
        os.kill(os.getpid(), signal.SIGHUP)
    assert client.stops == []
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN


def test_outside_the_main_thread_nothing_is_installed(restore_handlers) -> None:
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    seen: list[dict] = []

    def run() -> None:
        with stop_signals_to(StopRecorder()):
            seen.append({number: signal.getsignal(number) for number in STOP_SIGNALS})

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert seen == [before]


def test_another_signal_after_the_first_changes_nothing(restore_handlers) -> None:
    """A service manager's SIGTERM then SIGHUP: the second is not Ctrl-C pressed twice, the run goes on
    to its undo (the same signal twice would end the process, tests/reliability/test_stop_signals.py)."""
    for number in (signal.SIGTERM, signal.SIGHUP):  # as in a terminal (a background job inherits them ignored)
        signal.signal(number, signal.SIG_DFL)
    client = StopRecorder()
    with stop_signals_to(client):
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGHUP)
        assert client.stops == ["SIGTERM", "SIGHUP"]  # the client took the first only


class Finished(Exception):
    """What FakeModule's exit_json/fail_json raise, holding the result (AnsibleModule exits the process)."""

    def __init__(self, result: dict) -> None:
        super().__init__(result.get("msg"))
        self.result = result


class FakeModule:
    """The parts of AnsibleModule run_module uses: params, warn, exit_json, fail_json."""

    def __init__(self) -> None:
        self.params = {name: spec.get("default") for name, spec in CONNECTION_ARGUMENT_SPEC.items()}
        self.params["controllers"] = "http://127.0.0.1:3370"
        self.warnings: list[str] = []
        self.no_log_values: set[str] = set()

    def warn(self, warning: str) -> None:
        self.warnings.append(warning)

    def exit_json(self, **result) -> None:
        raise Finished({"failed": False, **result})

    def fail_json(self, **result) -> None:
        raise Finished({"failed": True, **result})


@pytest.mark.parametrize("fails", [False, True])
def test_the_runs_warnings_become_ansible_warnings_on_success_and_on_failure(fails: bool) -> None:
    def operation(module, client, warnings) -> dict:
        warnings.append("a warning")
        if fails:
            raise ModuleFailure("it failed", "name", changed=True)
        return {"changed": True}

    module = FakeModule()
    with pytest.raises(Finished) as finished:
        run_module(module, operation)
    assert module.warnings == ["a warning"]
    assert "linstor_warnings" not in finished.value.result
    assert finished.value.result["failed"] is fails
    assert finished.value.result["changed"] is True


@pytest.mark.parametrize("ending", ["success", "refusal", "naming error", "LINSTOR error", "unexpected error"])
def test_the_warnings_an_operation_gathered_are_shown_however_it_ends(ending: str) -> None:
    """What the operation put into the run's list before it ended (a lookup's warning, say) is shown whatever ends
    it, in order, and a text given twice is shown once."""

    def operation(module, client, warnings) -> dict:
        warnings.append("resource definition incus-volume-1 is being deleted")
        if ending == "refusal":
            warnings += ["the failure's own", warnings[0]]
            raise ModuleFailure("it failed", "name")
        if ending == "naming error":
            raise NamingError("name", "not a valid name")
        if ending == "LINSTOR error":
            raise _client.LinstorError("LINSTOR said no")
        if ending == "unexpected error":
            raise KeyError("props")
        return {"changed": False}

    module = FakeModule()
    with pytest.raises(Finished) as finished:
        run_module(module, operation)
    expected = ["resource definition incus-volume-1 is being deleted"]
    assert module.warnings == expected + (["the failure's own"] if ending == "refusal" else [])
    assert finished.value.result["failed"] is (ending != "success")
    assert "linstor_warnings" not in finished.value.result


def test_an_urllib3_without_read1_is_a_missing_requirement(monkeypatch) -> None:
    monkeypatch.setattr(_client, "URLLIB3_READS_AS_DATA_COMES", False)
    with pytest.raises(Finished) as finished:
        run_module(FakeModule(), lambda module, client, warnings: {"changed": False})
    assert finished.value.result["failed"] and "urllib3 >= 2.1" in finished.value.result["msg"]


def test_the_token_sent_is_masked_whatever_its_source() -> None:
    """Ansible masks the option's value as given; the token sent may differ (a stripped newline) or come from
    linstor-client.conf, so run_module masks the one the client holds."""
    module = FakeModule()
    module.params.update(auth_token="vaulted-token\n", allow_insecure_auth=True)
    with pytest.raises(Finished):
        run_module(module, lambda module, client, warnings: {"changed": False})
    assert module.no_log_values == {"vaulted-token"}


@pytest.mark.parametrize("fails", [False, True])
def test_warnings_are_masked_like_the_result(fails: bool) -> None:
    """Ansible masks no_log values in the result but not in warnings, and a warning may quote a reply that echoes
    the request's headers (a proxy's error page)."""
    echoed = "could not read the storage pools. Details: <pre>Authorization: Bearer s3cret-token</pre>"

    def operation(module, client, warnings) -> dict:
        warnings.append(echoed)
        if fails:
            raise ModuleFailure("it failed", None)
        return {"changed": False}

    module = FakeModule()
    module.params.update(auth_token="s3cret-token", allow_insecure_auth=True)
    with pytest.raises(Finished):
        run_module(module, operation)
    assert module.warnings == [echoed.replace("s3cret-token", "********")]


def test_a_pasted_private_key_is_refused_and_masked(tmp_path) -> None:
    """client_key is a path (no_log off, so the path shows in messages); a key pasted into it must not show in the
    result's invocation."""
    pasted = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n"
    module = FakeModule()
    certificate = tmp_path / "client.crt"
    certificate.write_text("not read before the key is refused")
    module.params.update(client_cert=str(certificate), client_key=pasted)
    with pytest.raises(Finished) as finished:
        run_module(module, lambda module, client, warnings: {"changed": False})
    assert finished.value.result["parameter"] == "client_key"
    assert pasted in module.no_log_values
    assert "MIGHAgEA" not in finished.value.result["msg"]


def test_a_failure_no_option_is_at_fault_for_names_no_parameter(tmp_path, monkeypatch) -> None:
    """A linstor-client.conf that cannot be parsed names the file, not an option: no ``parameter`` key (not null);
    a refused option is named."""
    broken = tmp_path / "linstor-client.conf"
    broken.write_text("[global]\na line without its equals sign\n")
    monkeypatch.setattr(ConnectionSettings.from_params.__func__, "__defaults__", (None, (str(broken),)))
    module = FakeModule()
    with pytest.raises(Finished) as finished:
        run_module(module, lambda module, client, warnings: {"changed": False})
    assert str(broken) in finished.value.result["msg"] and "parameter" not in finished.value.result

    monkeypatch.undo()
    module = FakeModule()
    module.params.update(timeout=-1)
    with pytest.raises(Finished) as finished:
        run_module(module, lambda module, client, warnings: {"changed": False})
    assert finished.value.result["parameter"] == "timeout"


def test_a_refused_connection_option_still_shows_the_config_files_warning(tmp_path, monkeypatch, unreadable) -> None:
    """A linstor-client.conf that cannot be read is skipped with a warning; a refusal of the options that follows
    (no usable controller in the next file) is shown with that warning."""
    user, system = tmp_path / "linstor-client.conf", tmp_path / "system.conf"
    user.write_text("[global]\ncontrollers = linstor://a\n")
    system.write_text("[global]\ncontrollers = ftp://b\n")
    unreadable(user)
    monkeypatch.setattr(ConnectionSettings.from_params.__func__, "__defaults__", (None, (str(user), str(system))))
    monkeypatch.delenv("LS_CONTROLLERS", raising=False)  # the files are read only without it
    module = FakeModule()
    module.params["controllers"] = None
    with pytest.raises(Finished) as finished:
        run_module(module, lambda module, client, warnings: {"changed": False})
    assert finished.value.result["failed"] and "ftp://b" in finished.value.result["msg"]
    assert module.warnings == [f"{user}: cannot read this linstor-client.conf (Permission denied); its "
                               "settings are not used"]
