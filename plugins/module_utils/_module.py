# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every linstor.incus module does the same way: argument spec, client, errors, diff.

A module is an argument spec plus one call: ``run_module(spec, operation)``, where
``operation(module, client, warnings)`` returns the result dict. Errors become ``fail_json`` here, once:
a naming or option error names the parameter to change, a LINSTOR error carries LINSTOR's
message, cause and correction. ``warnings`` is the run's list of warnings, which the operation fills in
as it finds them: they reach the user however the run ends.
"""

from __future__ import annotations

import copy
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.parameters import remove_values
from ansible_collections.linstor.incus.plugins.module_utils import _client
from ansible_collections.linstor.incus.plugins.module_utils._client import (
    CONNECTION_ARGUMENT_SPEC,
    FILE_OPTIONS,
    LinstorClient,
    LinstorConfigError,
    LinstorError,
    client_from_params,
    is_pem_contents,
)
from ansible_collections.linstor.incus.plugins.module_utils._naming import NamingError


class ModuleFailure(Exception):
    """An operation refuses to go on (found a conflict in LINSTOR, or an option cannot apply).

    ``message`` tells the user what to change, ``parameter`` names the option at fault when one
    is, and ``result`` holds extra keys for the failed result (e.g. the RDs in conflict).
    """

    def __init__(self, message: str, parameter: str | None = None, **result: Any) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.result = result


Operation = Callable[[AnsibleModule, LinstorClient, list[str]], dict[str, Any]]
"""``operation(module, client, warnings)``: the result dict; what it warns of goes into ``warnings`` as it is found
(a failure after it still reports it)."""


def full_stop(text: object) -> str:
    """``text`` as a sentence that ends with one full stop, for a message that goes on after it."""
    words = str(text).rstrip()
    return words if words.endswith(".") else words + "."


def argument_spec(module_options: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The module's own options plus the shared connection options."""
    spec = copy.deepcopy(CONNECTION_ARGUMENT_SPEC)
    spec.update(module_options)
    return spec


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, a cancelled job, a closed terminal: each ends the run through its undo steps."""


@contextmanager
def stop_signals_to(client: LinstorClient) -> Iterator[None]:
    """While the operation runs, a stop signal ends it at its next request (:meth:`LinstorClient.request_stop`).

    The same signal a second time ends the process at once, as the signal's default does (no undo
    then; SIGKILL never allows one); another signal meanwhile (a service manager's SIGTERM then
    SIGHUP) changes nothing. A signal the process inherited as ignored (``nohup``) stays ignored. Outside
    the main thread (where Python allows no handler), signals are left as they are.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    first: list[int] = []

    def stop(number: int, _frame: object) -> None:
        if client.request_stop(signal.Signals(number).name):
            first.append(number)
        elif first and number == first[0]:  # the same signal again (Ctrl-C twice): now
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)

    previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS
                if signal.getsignal(number) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)


def _parameter(parameter: str | None) -> dict[str, str]:
    """The ``parameter`` key of a failed result: the option to change, left out when no option is at fault."""
    return {"parameter": parameter} if parameter else {}


def run_module(module: AnsibleModule, operation: Operation) -> None:
    """Build the client from the module's options, run the operation, exit with its result.

    The run's warnings (reading the options', then the operation's) are shown however it ends, each text once (as
    Ansible shows them).
    """
    if _client.requests is None:
        module.fail_json(msg=missing_required_lib("requests"))
    if not _client.URLLIB3_READS_AS_DATA_COMES:
        module.fail_json(msg=missing_required_lib("urllib3 >= 2.1 (the transport of requests)"))
    gathered: list[str] = []

    def warn_all() -> None:
        """Each text once, masked: Ansible masks secrets in the result, not in warnings (a reply may echo them)."""
        for warning in dict.fromkeys(gathered):
            module.warn(remove_values(warning, module.no_log_values))

    for option in FILE_OPTIONS:  # a pasted private key, refused below, stays out of the result's invocation
        if is_pem_contents(module.params.get(option)):
            module.no_log_values.add(module.params[option])
    try:
        client = client_from_params(module.params)
        if client.settings.auth_token:  # masked wherever it came from (linstor-client.conf, a stripped newline)
            module.no_log_values.add(client.settings.auth_token)
        gathered += client.settings.warnings
        with stop_signals_to(client):
            result = operation(module, client, gathered)
    except Exception as exc:  # every failure ends in fail_json (an unexpected one with its traceback)
        if isinstance(exc, LinstorConfigError):  # the options refused: what reading them had found
            gathered += exc.config_warnings
        warn_all()
        module.fail_json(**_failed_result(exc))
    warn_all()
    module.exit_json(**result)


def _failed_result(exc: Exception) -> dict[str, Any]:
    """The ``fail_json`` keys for what ended an operation: a naming or option error names the parameter, a LINSTOR
    error carries LINSTOR's reply, a refusal its extra keys; anything else its message and traceback."""
    if isinstance(exc, (NamingError, LinstorConfigError)):  # a linstor-client.conf that cannot be read names none
        return {"msg": str(exc), **_parameter(exc.parameter)}
    if isinstance(exc, ModuleFailure):
        return {"msg": exc.message, **exc.result, **_parameter(exc.parameter)}
    if isinstance(exc, LinstorError):
        return {"msg": str(exc), "linstor_error": exc.to_dict()}
    return {"msg": f"unexpected error: {exc!r}", "exception": traceback.format_exc()}


def run_ensure(module: AnsibleModule, ensure: Callable[..., dict[str, Any]]) -> None:
    """:func:`run_module` for an operation called as ``ensure(client, params, check_mode=, diff=, warnings=)``."""
    run_module(module, lambda module, client, warnings: ensure(
        client, module.params, check_mode=module.check_mode, diff=module._diff, warnings=warnings))


class Diff:
    """Before/after views for ``--diff``, filled in as an operation decides what to change."""

    def __init__(self, before: Any) -> None:
        self.before = copy.deepcopy(before)
        self.after = copy.deepcopy(before)

    def result(self) -> dict[str, Any]:
        return {"before": self.before if self.before is not None else {},
                "after": self.after if self.after is not None else {}}
