"""Fault injection for tests (served by the debug API only): make the Nth request matching a method
and a path pattern fail in a chosen way. No HTTP here; ``rest.Api.dispatch`` asks ``FaultTable.match``
about each ``/v1`` request and carries out the action.

Actions, and whether the write of the faulted request is applied:

``error``        not applied; answered with an ApiCallRc error (HTTP status from its ret_code)
``drop_before``  not applied; the connection is closed without a reply
``drop_after``   applied and committed; then the connection is closed without a reply
``delay``        applied and committed; the reply is sent ``delay_seconds`` later
``deleting``     for a DELETE of a resource definition: the RD and its resources are flagged DELETE (and listed
                 so) for ``delay_seconds``, then the delete is applied and answered, as a controller lists an RD
                 while its satellites remove the resources; a delete LINSTOR refuses is answered at once. Any other
                 path: held ``delay_seconds``, then applied and answered
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from . import errors as rc
from .errors import RcEntry

ACTIONS = ("error", "drop_before", "drop_after", "delay", "deleting")
DEFAULT_MESSAGE = "An unknown error occurred while processing the request."
_FIELDS = frozenset({"method", "path", "nth", "times", "action", "delay_seconds", "ret_code", "message", "cause"})
_MAX_DELAY = 3600.0


class FaultSpecError(ValueError):
    """A fault request the debug API refuses (HTTP 400)."""


@dataclass
class Fault:
    """One rule: matching requests are counted; those numbered nth .. nth+times-1 are faulted."""

    id: int
    method: str | None  # None: any method
    path: str  # a regular expression matched against the whole decoded path (no query)
    action: str
    nth: int = 1
    times: int = 1  # 0: every matching request from the nth on
    delay_seconds: float = 0.0
    ret_code: int = rc.FAIL_UNKNOWN_ERROR
    message: str = DEFAULT_MESSAGE
    cause: str | None = None
    seen: int = 0  # matching requests so far (faulted or not)
    fired: int = 0  # requests this rule faulted

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and self._regex.fullmatch(path) is not None

    def due(self) -> bool:
        """Whether the request just counted (number ``seen``) is in this rule's window."""
        return self.seen >= self.nth and (self.times == 0 or self.seen < self.nth + self.times)

    def entries(self) -> list[RcEntry]:
        cause = self.cause if self.cause is not None else f"Injected by the emulator's fault {self.id}."
        return [RcEntry(self.ret_code, self.message, cause=cause or None)]

    def to_json(self) -> dict:
        reply = {"id": self.id, "method": self.method or "*", "path": self.path, "action": self.action,
                 "nth": self.nth, "times": self.times, "seen": self.seen, "fired": self.fired,
                 "exhausted": self.times != 0 and self.seen >= self.nth + self.times - 1}
        if self.action in ("delay", "deleting"):
            reply["delay_seconds"] = self.delay_seconds
        if self.action == "error":
            reply.update(ret_code=rc.to_signed64(self.ret_code), message=self.message)
        return reply


def _int(spec: dict, key: str, default: int, minimum: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FaultSpecError(f"'{key}' must be an integer >= {minimum}, not {value!r}")
    return value


def parse_fault(fault_id: int, spec: object) -> Fault:
    """A Fault from the JSON body of ``POST /_emulator/faults``; FaultSpecError when it is not one."""
    if not isinstance(spec, dict):
        raise FaultSpecError("the body must be a JSON object")
    unknown = sorted(set(spec) - _FIELDS)
    if unknown:
        raise FaultSpecError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}")
    action = spec.get("action")
    if action not in ACTIONS:
        raise FaultSpecError(f"'action' must be one of {', '.join(ACTIONS)}, not {action!r}")
    method = spec.get("method", "*")
    if not isinstance(method, str) or not method:
        raise FaultSpecError(f"'method' must be an HTTP method or '*', not {method!r}")
    path = spec.get("path", "/v1/.*")
    if not isinstance(path, str):
        raise FaultSpecError(f"'path' must be a regular expression, not {path!r}")
    try:
        re.compile(path)
    except re.error as exc:
        raise FaultSpecError(f"'path' is not a regular expression: {exc}") from None
    delay = spec.get("delay_seconds", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= _MAX_DELAY:
        raise FaultSpecError(f"'delay_seconds' must be a number of seconds from 0 to {_MAX_DELAY:g}")
    if action in ("delay", "deleting") and delay <= 0:
        raise FaultSpecError(f"action {action!r} needs 'delay_seconds' > 0")
    if action == "deleting" and method.upper() != "DELETE":
        raise FaultSpecError("action 'deleting' is for method DELETE")
    ret_code = spec.get("ret_code", rc.FAIL_UNKNOWN_ERROR)
    if isinstance(ret_code, bool) or not isinstance(ret_code, int):
        raise FaultSpecError(f"'ret_code' must be an integer, not {ret_code!r}")
    if 0 < ret_code <= rc.MASK_BITS_CODE:
        ret_code |= rc.MASK_ERROR  # a bare code such as 998 is taken as that error
    if not rc.is_error(ret_code & 0xFFFFFFFFFFFFFFFF):
        raise FaultSpecError("'ret_code' must be an error code (severity bits of MASK_ERROR)")
    message = spec.get("message", DEFAULT_MESSAGE)
    cause = spec.get("cause")
    if not isinstance(message, str) or not message or not (cause is None or isinstance(cause, str)):
        raise FaultSpecError("'message' must be a non-empty string and 'cause' a string")
    return Fault(id=fault_id, method=None if method == "*" else method.upper(), path=path, action=action,
                 nth=_int(spec, "nth", 1, 1), times=_int(spec, "times", 1, 0), delay_seconds=float(delay),
                 ret_code=ret_code & 0xFFFFFFFFFFFFFFFF, message=message, cause=cause)


class FaultTable:
    """The fault rules of one emulator. ``match`` costs one truth test while no rule is set."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()
        self._next_id = 1

    def add(self, spec: object) -> Fault:
        with self._lock:
            fault = parse_fault(self._next_id, spec)
            self._next_id += 1
            self._rules = [*self._rules, fault]
            return fault

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            kept = [fault for fault in self._rules if fault.id != fault_id]
            found = len(kept) != len(self._rules)
            self._rules = kept
            return found

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def to_json(self) -> list[dict]:
        with self._lock:
            return [fault.to_json() for fault in self._rules]

    def match(self, method: str, path: str) -> Fault | None:
        """Count the request against every rule it matches; the earliest-added rule that is due fires."""
        if not self._rules:
            return None
        chosen = None
        with self._lock:
            for fault in self._rules:
                if fault.matches(method, path):
                    fault.seen += 1
                    if chosen is None and fault.due():
                        fault.fired += 1
                        chosen = fault
        return chosen
