# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LINSTOR REST client shared by every module of the collection.

One place for: where the controllers are (module option, ``LS_CONTROLLERS``,
``linstor-client.conf``), TLS and token authentication, failover between controllers,
which requests may be repeated, every URL of the ``/v1`` API the collection uses, and how
ApiCallRc reply bodies are decoded into warnings or a :class:`LinstorError`.
"""

from __future__ import annotations

import configparser
import json
import math
import os
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

try:
    import requests
    import requests.adapters
    from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, ProxyManager
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.exceptions import HTTPError as TransportError
    from urllib3.exceptions import LocationValueError, NewConnectionError, ReadTimeoutError
    from urllib3.exceptions import ProxyError as UrllibProxyError
    from urllib3.response import HTTPResponse
except ImportError:  # reported by the modules through missing_required_lib
    requests = None
URLLIB3_READS_AS_DATA_COMES = requests is not None and hasattr(HTTPResponse, "read1")
"""urllib3 2.1 or later (``read1``), which bounding the time a reply takes to read needs."""

# ApiCallRc classification: the top two bits of ret_code.
MASK_SEVERITY = 0xC000000000000000
MASK_ERROR = 0xC000000000000000
MASK_WARN = 0x8000000000000000
MASK_INFO = 0x4000000000000000
MASK_CODE = 0x7FFF
"""The low 15 bits of a ret_code: the code proper, whatever the object and operation bits."""
MODIFIED = 3
"""ApiConsts.MODIFIED: an object was changed (the code of a success entry)."""
FAIL_IN_USE = 997
"""ApiConsts.FAIL_IN_USE: the resource is still in use (mounted, primary) on a node."""
FAIL_UNKNOWN_ERROR = 998
"""ApiConsts.FAIL_UNKNOWN_ERROR: what LINSTOR answers when a satellite failed a step (e.g. a device briefly held
open by udev after its last user closed it)."""
FAIL_NOT_FOUND_RSC_GRP = 317
"""ApiConsts.FAIL_NOT_FOUND_RSC_GRP: the resource group does not exist."""
FAIL_NOT_CONNECTED = 995
"""ApiConsts.FAIL_NOT_CONNECTED: a snapshot create answers it for an RD with no diskful resource on a connected node,
no resource at all included ("No diskful connected satellite for snapshot"; "... or no resources." from 1.31.2)."""
FAIL_EXISTS_SNAPSHOT_DFN = 514
"""ApiConsts.FAIL_EXISTS_SNAPSHOT_DFN: an RD's delete answers it while the RD has snapshots."""
WARN_NOT_CONNECTED = 1002
"""ApiConsts.WARN_NOT_CONNECTED ("No active connection to satellite 'N'"): a storage pool's report while its node's
satellite is not connected (CtrlStorPoolListApiCallHandler), the nodes LINSTOR's autoplacer leaves out; in a write's
reply, that LINSTOR did not reach that satellite: it hands it the change once it connects (an RD's delete waits for
that; a snapshot's does not)."""
WARN_RSC_ALREADY_DEPLOYED = 1006
"""ApiConsts.WARN_RSC_ALREADY_DEPLOYED: an autoplace that placed nothing more ("already deployed on N nodes")."""
_UNSIGNED_64 = 0xFFFFFFFFFFFFFFFF

OBJECT = "a JSON object"
LISTING = "a JSON list of objects"
APICALLRC = "a list of ApiCallRc entries"
CLONE_STARTED = "a clone-started object or a list of ApiCallRc entries"
"""The reply each request expects (:meth:`LinstorClient.request`'s ``expect``), worded as its error names it."""

CHECK_THE_CONTROLLER = "Check the controller's state, then run again."
"""The last sentence of a write that may have been applied, for the user to act on (an undo replaces it)."""

HTTP_PORT = 3370
HTTPS_PORT = 3371
DEFAULT_CONTROLLER = "linstor://localhost"
DEFAULT_TIMEOUT = 60
MAX_REPLY_BYTES = 1024 * 1024 * 1024
"""The largest reply body read; a larger one fails the request instead of filling the memory. A listing of 10,000
volumes with their properties is about 15 MiB, but a snapshot view repeats its RD's properties (every mapping) for
each snapshot, so it grows with the square of the snapshots per volume: 160 volumes of 168 snapshots each make
about 256 MiB."""
_READ_CHUNK = 64 * 1024
CONTROLLERS_ENV = "LS_CONTROLLERS"
CLIENT_CONFIG_PATHS = (
    os.path.expanduser("~/.config/linstor/linstor-client.conf"),
    "/etc/linstor/linstor-client.conf",
)
CONFIG_KEYS = {"ca_cert": "cafile", "client_cert": "certfile", "client_key": "keyfile", "auth_token": "auth-token"}
"""The connection options linstor-client.conf's ``[global]`` section may give instead, by its key there."""

# Requests that leave the same state however often they are sent (HTTP's idempotent methods;
# LINSTOR's PUT modifies props to given values and DELETE of a missing object is a warning).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
CLONE_PROPERTIES_REST_API = (1, 26)
"""REST API version of LINSTOR 1.32, the first whose clone request takes ``override_props``,
``delete_props`` and ``delete_namespaces`` (older controllers refuse a body with them)."""
NAME_FILTER_LIMIT = 50
"""Up to this many RDs, a view request names them (``resources=``); beyond, it lists everything."""
ROLLBACK_RESETS_SIZES_RELEASE = (1, 31, 3)
"""The first LINSTOR release whose snapshot rollback sets the volume definitions back to the snapshot's
sizes (CtrlSnapshotRollbackApiCallHandler.resetVlmDfnsInTransaction); before, they stay. Its REST API
version (1.25.1) is 1.31.2's too, so the release decides."""
ROLLBACK_VIA_RESTORE_RELEASE = (1, 31, 0)
"""The first LINSTOR release that may roll a volume back by deleting its resources and restoring the snapshot into
the RD (always before 1.32; from 1.32 unless it rolls back in place, :data:`ZFS_ROLLBACK_IN_PLACE_RELEASE`). The
restore copies the RD properties the snapshot captured over the RD's own (CtrlSnapshotRestoreApiCallHandler)."""
ROLLBACK_RECREATES_RELEASE = (1, 31, 2)
"""The first LINSTOR release whose snapshot rollback restores the snapshot on its nodes and recreates the RD's
other resources ("Snapshot rollback now allows and restores snapshots on nodes that don't have a local
snapshot"); before, every diskful node needs the snapshot."""
AUTO_QUORUM_REWORK_RELEASE = (1, 31, 0)
"""The first LINSTOR release whose auto-quorum writes only ``DrbdOptions/Resource/quorum`` on an RD; before, unless
``DrbdOptions/auto-quorum`` (RD, group, controller) is ``disabled``, it also writes ``on-no-quorum`` with that
property's value over the one the RD inherits or had (CtrlRscAutoQuorumHelper)."""
ZFS_ROLLBACK_IN_PLACE_RELEASE = (1, 32, 0)
"""The first LINSTOR release that rolls a volume whose disks are all ZFS back in place (``zfs rollback``, ZfsChecks),
unless ``StorDriver/Zfs/RollbackStrategy`` is ``clone``; that needs the snapshot on every diskful node again."""

MAX_WAIT_SECONDS = 86400
"""The longest wait a run accepts, in seconds (``timeout``, ``wait_timeout``, ``delete_retry_delay``) or in
retries (``delete_retries``): a day."""

CONNECTION_ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "controllers": {"type": "list", "elements": "str"},
    "ca_cert": {"type": "path", "aliases": ["cacert"]},
    "client_cert": {"type": "path"},
    "client_key": {"type": "path", "no_log": False},
    "validate_certs": {"type": "bool", "default": True},
    "auth_token": {"type": "str", "no_log": True},
    "allow_insecure_auth": {"type": "bool", "default": False},
    "timeout": {"type": "float", "default": DEFAULT_TIMEOUT},
}


DISKLESS_FLAGS = frozenset({"DISKLESS", "DRBD_DISKLESS", "NVME_INITIATOR"})
"""Resource flags of a replica without a disk of its own (a tie-breaker is one too)."""


def is_diskless(resource: Mapping[str, Any]) -> bool:
    """Whether a resource (as ``/v1/view/resources`` lists it) has no disk of its own."""
    return not DISKLESS_FLAGS.isdisjoint(resource.get("flags") or [])


def is_tie_breaker(resource: Mapping[str, Any]) -> bool:
    """Whether a resource is the diskless tie-breaker LINSTOR's auto-tiebreaker adds to, and removes from, a
    resource definition with an even number of disks (DrbdOptions/auto-add-quorum-tiebreaker)."""
    return "TIE_BREAKER" in (resource.get("flags") or [])


def code_of(ret_code: int) -> int:
    """The code proper of a LINSTOR ret_code (``ApiConsts.FAIL_...``, ``WARN_...``), without the mask bits."""
    return int(ret_code) & MASK_CODE


class LinstorError(Exception):
    """An error reported by a LINSTOR controller, or the failure to reach one."""

    def __init__(
        self,
        message: str,
        *,
        cause: str = "",
        correction: str = "",
        details: str = "",
        ret_code: int | None = None,
        status: int | None = None,
        entries: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        self.correction = correction
        self.details = details
        self.ret_code = ret_code
        self.status = status
        self.entries = entries or []

    @property
    def not_found(self) -> bool:
        """True when LINSTOR answered that the object does not exist: a 404 with LINSTOR's ApiCallRc error
        (a 404 from anything else, such as a wrong port or proxy path, is no answer about the object)."""
        return self.status == 404 and bool(self.errors)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The error entries of LINSTOR's reply, in its order (the message, cause... above are the first's)."""
        return [entry for entry in self.entries if severity(entry["ret_code"]) == MASK_ERROR]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """The warning entries of LINSTOR's failed reply."""
        return [entry for entry in self.entries if severity(entry["ret_code"]) == MASK_WARN]

    @property
    def code(self) -> int | None:
        """The code proper of LINSTOR's ret_code (``ApiConsts.FAIL_...``), without the mask bits."""
        return None if self.ret_code is None else code_of(self.ret_code)

    def also_reports(self, code: int) -> bool:
        """True when the failed reply also holds a success entry with ``code`` (e.g. :data:`MODIFIED`): LINSTOR
        committed that part before a later step of the same request failed."""
        return any(severity(int(entry["ret_code"])) == 0 and code_of(entry["ret_code"]) == code
                   for entry in self.entries)

    def __str__(self) -> str:
        """The message with its cause, correction and details, then every further error entry of the reply the
        same way, then its warnings."""
        texts = [_sentences(self.message, self.cause, self.correction, self.details)]
        texts += [_sentences(*_entry_fields(entry)[:4]) for entry in self.errors[1:]]
        if self.warnings:
            warned = " ".join(_sentences(*_entry_fields(entry)[:4]) for entry in self.warnings)
            texts.append("LINSTOR also warned: " + warned)
        return " ".join(texts).strip()

    def to_dict(self) -> dict[str, Any]:
        """The error as module results carry it: the first error's fields, and every error and warning entry of
        LINSTOR's reply (``errors``, ``warnings``: message, cause, correction, details, ret_code)."""
        keys = ("message", "cause", "correction", "details", "ret_code")
        return {
            "message": self.message,
            "cause": self.cause,
            "correction": self.correction,
            "details": self.details,
            "ret_code": self.ret_code,
            "http_status": self.status,
            "errors": [dict(zip(keys, _entry_fields(entry), strict=True)) for entry in self.errors],
            "warnings": [dict(zip(keys, _entry_fields(entry), strict=True)) for entry in self.warnings],
        }


def _entry_fields(entry: Mapping[str, Any]) -> tuple[str, str, str, str, int]:
    """An ApiCallRc entry's message, cause, correction, details (as text) and ret_code."""
    texts = (str(entry.get(key) or "") for key in ("message", "cause", "correction", "details"))
    message, cause, correction, details = texts
    return message or "LINSTOR reported an error", cause, correction, details, entry["ret_code"]


def _sentences(message: str, cause: str = "", correction: str = "", details: str = "") -> str:
    """An error as the user reads it: its message, then its cause, correction and details, each a sentence."""
    parts = [message] + [f"{label}: {text}" for label, text in
                         (("Cause", cause), ("Correction", correction), ("Details", details)) if text]
    return " ".join(part if part.endswith(".") else part + "." for part in parts).strip()


class LinstorConnectionError(LinstorError):
    """No controller in the list could be reached, or a write reached one and its outcome is unknown (its reply
    was lost, late or not LINSTOR's): it may have been applied."""


class LinstorStopped(LinstorError):
    """A stop signal arrived (:meth:`LinstorClient.request_stop`): this request was not sent."""


class LinstorConfigError(LinstorError):
    """The connection options (or linstor-client.conf, ``parameter`` None) are wrong; raised before any request.
    ``config_warnings``: what reading the options had found to warn of by then (a linstor-client.conf it could not
    read)."""

    def __init__(self, message: str, parameter: str | None) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.config_warnings: list[str] = []


def severity(ret_code: int) -> int:
    """The severity bits of an ApiCallRc ret_code (negative codes are read as unsigned 64-bit)."""
    return (ret_code & _UNSIGNED_64) & MASK_SEVERITY


def is_apicallrc_list(body: Any) -> bool:
    """True when a reply body is a list of ApiCallRc entries (each an object with an integer ``ret_code``)."""
    return isinstance(body, list) and bool(body) and all(
        isinstance(e, dict) and isinstance(e.get("ret_code"), int) and not isinstance(e["ret_code"], bool)
        for e in body)


def raise_for_apicallrc(entries: list[dict[str, Any]], status: int | None) -> list[dict[str, Any]]:
    """Raise a LinstorError for the error entries (the first's fields, all of them in its text and ``entries``);
    return the warning entries."""
    for entry in entries:
        if severity(entry["ret_code"]) == MASK_ERROR:
            message, cause, correction, details, ret_code = _entry_fields(entry)
            raise LinstorError(message, cause=cause, correction=correction, details=details, ret_code=ret_code,
                               status=status, entries=entries)
    return [entry for entry in entries if severity(entry["ret_code"]) == MASK_WARN]


_SATELLITE_NAMED = re.compile(r"satellite '([^']+)'")


def not_connected_phrase(nodes: list[str]) -> str:
    """"the satellite of node N is not connected", for one node or several."""
    if len(nodes) == 1:
        return f"the satellite of node {nodes[0]} is not connected"
    return f"the satellites of nodes {', '.join(nodes)} are not connected"


STORED_FOR_LATER = "LINSTOR stored the change, and hands it on once connected"
"""What a write's not-connected warning means, unless the write says otherwise (:func:`reply_warnings`)."""


def reply_warnings(entries: Iterable[Mapping[str, Any]], not_connected: str | None = None,
                   told: set[str] | None = None) -> list[str]:
    """The texts of a write's warning entries (:func:`raise_for_apicallrc`), LINSTOR's not-connected ones
    (:data:`WARN_NOT_CONNECTED`, one per node) as one: which satellites, then what that means for this write,
    ``not_connected``, or by default :data:`STORED_FOR_LATER`. The default is said only of nodes not in ``told``
    (lower-cased: those a run has named already), which gets this reply's nodes."""
    texts: list[str] = []
    nodes: list[str] = []
    for entry in entries:
        message = entry.get("message") or ""
        if code_of(entry.get("ret_code") or 0) == WARN_NOT_CONNECTED:
            named = _SATELLITE_NAMED.search(message)
            nodes.append(named.group(1) if named else "?")
        elif message:
            texts.append(message)
    if told is not None:
        fresh = nodes if not_connected else [node for node in nodes if node.lower() not in told]
        told.update(node.lower() for node in nodes)
        nodes = fresh
    if nodes:
        texts.append(f"{not_connected_phrase(nodes)}: {not_connected or STORED_FOR_LATER}")
    return texts


def _apicallrc_entries(body: Any, expect: str) -> Any:
    """The ApiCallRc entries a reply holds: the list itself when any item has a ``ret_code``, or a clone-started
    object's ``messages`` (unchecked); None when it holds none."""
    if expect == CLONE_STARTED and isinstance(body, dict):
        return body.get("messages") or []
    if isinstance(body, list) and any(isinstance(item, dict) and "ret_code" in item for item in body):
        return body
    return None


def _has_shape(body: Any, expect: str) -> bool:
    """Whether a reply without ApiCallRc entries is what ``expect`` names (an empty list for a write)."""
    if expect == OBJECT:
        return isinstance(body, dict)
    if expect == LISTING:
        return isinstance(body, list) and all(isinstance(item, dict) for item in body)
    return body == []


FILE_OPTIONS = ("ca_cert", "client_cert", "client_key")
"""The connection options that name a PEM file."""


def is_pem_contents(value: object) -> bool:
    """Whether a file option holds a PEM file's contents (a pasted key) instead of its path."""
    return isinstance(value, str) and ("\n" in value or "-----BEGIN" in value)


def controller_url(entry: str, named: str = "controllers") -> str:
    """One controller as a base URL: ``linstor://h`` is http on 3370, ``linstor+ssl://h`` https on 3371. ``named``:
    how messages name the entry's source (:func:`named_from`); they always blame ``controllers``."""
    entry = entry.strip()
    if "://" not in entry:
        entry = "linstor://" + entry
    shown = _without_credentials(entry)
    if any(char.isspace() for char in entry):
        raise LinstorConfigError(f"{named}: '{shown}' holds white space; separate controllers with commas",
                                 "controllers")
    scheme, rest = entry.split("://", 1)
    defaults = {"linstor": ("http", HTTP_PORT), "linstor+ssl": ("https", HTTPS_PORT),
                "http": ("http", HTTP_PORT), "https": ("https", HTTPS_PORT)}
    if scheme.lower() not in defaults:
        raise LinstorConfigError(
            f"{named}: unsupported scheme '{scheme}://' in '{shown}'; use linstor://, linstor+ssl://, "
            "http:// or https://", "controllers")
    http_scheme, port = defaults[scheme.lower()]
    try:
        parts = urlsplit(f"{http_scheme}://{rest}")
        hostname = parts.hostname
    except ValueError as exc:  # an unclosed or invalid [IPv6] literal
        raise LinstorConfigError(f"{named}: '{shown}' is not a valid address: {exc}", "controllers") from exc
    if "@" in parts.netloc:
        raise LinstorConfigError(
            f"{named}: '{shown}' holds credentials (user:password@), which LINSTOR does not take; remove them "
            "and give auth_token (or a client certificate) instead", "controllers")
    if not hostname:
        raise LinstorConfigError(f"{named}: no host in '{shown}'", "controllers")
    try:
        given_port = parts.port
    except ValueError as exc:
        raise LinstorConfigError(f"{named}: bad port in '{shown}': {exc}", "controllers") from exc
    if given_port == 0:
        raise LinstorConfigError(f"{named}: bad port in '{shown}': 0 is no port", "controllers")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise LinstorConfigError(
            f"{named}: '{shown}' has a path or query after the address, which LINSTOR's clients drop: the REST "
            "API is at the root of the controller's address (give scheme, host and port only)", "controllers")
    port = given_port or port
    host = f"[{hostname}]" if ":" in hostname else hostname
    return f"{http_scheme}://{host}:{port}"


def named_from(option: str, source: str) -> str:
    """How a message names an option whose value came from ``source`` (LS_CONTROLLERS, linstor-client.conf), not
    from the task: the option still overrides it."""
    return f"{option} (from {source})"


def _without_credentials(entry: str) -> str:
    """A controller entry as messages show it: any ``user:password@`` replaced by ``***@``."""
    return re.sub(r"(://)[^/?#]*@", r"\1***@", entry)


def read_client_config(paths: Iterable[str] = CLIENT_CONFIG_PATHS, warnings: list[str] | None = None) -> dict[str, str]:
    """The ``[global]`` section of the first ``linstor-client.conf`` found, as the linstor CLI picks its file
    (python-linstor's ``Config``; the CLI also reads the drop-ins of ``/etc/linstor/linstor-client.d/``, which
    this does not). A file that cannot be opened (a root-only /etc file, say) is skipped with a warning appended
    to ``warnings``, as the CLI skips it; one that cannot be parsed is a LinstorConfigError naming it, never
    quoting it (it may hold the auth token)."""
    for path in paths:
        if os.path.isfile(path):
            parser = configparser.ConfigParser(interpolation=None)
            try:
                with open(path, encoding="utf-8") as handle:
                    parser.read_file(handle)
            except OSError as exc:
                if warnings is not None:
                    warnings.append(f"{path}: cannot read this linstor-client.conf ({exc.strerror}); its settings "
                                    "are not used")
                continue
            except UnicodeDecodeError as exc:
                raise LinstorConfigError(f"{path}: not UTF-8 text (at byte {exc.start}); fix this "
                                         "linstor-client.conf", None) from None
            except configparser.Error as exc:
                raise LinstorConfigError(f"{path}: not a valid linstor-client.conf ({_config_problem(exc)})",
                                         None) from None
            settings = dict(parser["global"]) if parser.has_section("global") else {}
            for key, value in settings.items():
                if "\n" in value:  # an indented line continues the key above: never quote what it swallowed
                    raise LinstorConfigError(f"{path}: the value of {key!r} in [global] runs on over an indented "
                                             "line; write each key on a line of its own, not indented", None)
            return settings
    return {}


def _config_problem(exc: configparser.Error) -> str:
    """What is wrong in a config file, by line, without its text (a line may hold a secret)."""
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"key {exc.option!r} given twice in section [{exc.section}], line {exc.lineno}"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"section [{exc.section}] given twice, line {exc.lineno}"
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"no [section] header before line {exc.lineno}"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(number) for number, _line in exc.errors)
        return f"lines that are not 'key = value': {lines}"
    return type(exc).__name__


@dataclass
class ConnectionSettings:
    """Everything needed to talk to the controllers, resolved from options, environment and config."""

    controllers: list[str]
    controllers_source: str
    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    validate_certs: bool = True
    auth_token: str | None = field(default=None, repr=False)
    allow_insecure_auth: bool = False
    timeout: float = DEFAULT_TIMEOUT
    warnings: list[str] = field(default_factory=list)
    """What the module should warn of (a linstor-client.conf it could not read)."""
    named: dict[str, str] = field(default_factory=dict)
    """How messages name a connection option: with its source when its value came from LS_CONTROLLERS or
    linstor-client.conf (:func:`named_from`)."""

    @classmethod
    def from_params(
        cls,
        params: Mapping[str, Any],
        environ: Mapping[str, str] | None = None,
        config_paths: Iterable[str] = CLIENT_CONFIG_PATHS,
    ) -> ConnectionSettings:
        """Resolve the module's connection options: option, else LS_CONTROLLERS, else linstor-client.conf."""
        environ = os.environ if environ is None else environ
        warnings: list[str] = []
        try:
            config = read_client_config(config_paths, warnings)
            return cls._resolved(params, environ, config, warnings)
        except LinstorConfigError as error:  # what was found before the refusal is said too
            error.config_warnings = warnings
            raise

    @classmethod
    def _resolved(cls, params: Mapping[str, Any], environ: Mapping[str, str], config: Mapping[str, str],
                  warnings: list[str]) -> ConnectionSettings:
        """:meth:`from_params` once linstor-client.conf is read (``config``, its ``warnings``)."""
        if params.get("controllers"):
            option = params["controllers"]  # a list (the module option), or a string as LS_CONTROLLERS holds them
            raw, source = option if isinstance(option, str) else ",".join(option), "the controllers option"
        elif environ.get(CONTROLLERS_ENV):
            raw, source = environ[CONTROLLERS_ENV], f"the {CONTROLLERS_ENV} environment variable"
        elif config.get("controllers"):
            raw, source = config["controllers"], "linstor-client.conf"
        else:
            raw, source = DEFAULT_CONTROLLER, "the default"
        named = "controllers" if params.get("controllers") else named_from("controllers", source)
        controllers = [controller_url(item, named) for item in raw.split(",") if item.strip()]
        if not controllers:
            raise LinstorConfigError(f"{named}: no controller given", "controllers")
        timeout = DEFAULT_TIMEOUT if params.get("timeout") is None else params["timeout"]
        if not math.isfinite(timeout) or not 0 < timeout <= MAX_WAIT_SECONDS:
            raise LinstorConfigError(f"timeout: must be a positive number of seconds, at most {MAX_WAIT_SECONDS}, got "
                                     f"{timeout!r}", "timeout")
        from_config = {option: named_from(option, f"{key} in linstor-client.conf")
                       for option, key in CONFIG_KEYS.items() if not params.get(option) and config.get(key)}
        values = {option: params.get(option) or config.get(key) for option, key in CONFIG_KEYS.items()}
        settings = cls(
            controllers=controllers,
            controllers_source=source,
            ca_cert=values["ca_cert"],
            client_cert=values["client_cert"],
            client_key=values["client_key"],
            validate_certs=params.get("validate_certs", True),
            auth_token=_token(values["auth_token"], from_config.get("auth_token", "auth_token")),
            allow_insecure_auth=bool(params.get("allow_insecure_auth")),
            timeout=float(timeout),
            warnings=warnings,
            named={"controllers": named, **from_config},
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that cannot work, before anything is sent."""
        named = {option: self.named.get(option, option) for option in CONFIG_KEYS}
        if self.client_key and not self.client_cert:
            raise LinstorConfigError(f"{named['client_key']}: given without client_cert; give both or neither",
                                     "client_key")
        # requests opens the client certificate files for every request; ca_cert is read over HTTPS only
        https = any(url.startswith("https://") for url in self.controllers)
        files = {"ca_cert": self.ca_cert if self.validate_certs and https else None, "client_cert": self.client_cert,
                 "client_key": self.client_key}
        for option, path in files.items():
            if is_pem_contents(path):
                raise LinstorConfigError(f"{named[option]}: must be the path of a PEM file, not its contents (the "
                                         "value is not shown)", option)
            if path and not os.path.exists(path):  # ca_cert may be a directory of CA certificates
                raise LinstorConfigError(f"{named[option]}: no such file: {path}", option)
        if self.auth_token and not self.allow_insecure_auth:
            plain = [url for url in self.controllers if url.startswith("http://")]
            if plain:
                raise LinstorConfigError(
                    f"{named['auth_token']}: refusing to send the token over plain HTTP to " + ", ".join(plain)
                    + "; use linstor+ssl:// or https:// controllers, or set allow_insecure_auth", "auth_token")


TOKEN_CHARACTERS = re.compile(r"[\x21-\x7e]+")
"""What an HTTP header can carry of a bearer token: visible ASCII."""


def _token(token: str | None, named: str) -> str | None:
    """The bearer token without surrounding whitespace (a vaulted file's trailing newline); one holding any other
    character a header cannot carry is refused, without showing it."""
    if token is None:
        return None
    if not token.strip():
        raise LinstorConfigError(f"{named}: is empty (only white space); give the token, or leave the option out",
                                 "auth_token")
    token = token.strip()
    if not TOKEN_CHARACTERS.fullmatch(token):
        raise LinstorConfigError(f"{named}: holds a space, a line break or a character an HTTP header cannot "
                                 "carry (only visible ASCII); the token is not shown", "auth_token")
    return token


def release_text(release: tuple[int, ...]) -> str:
    """A LINSTOR release as people write it: (1, 31, 0) -> "1.31.0"."""
    return ".".join(str(part) for part in release)


def _path(*segments: str) -> str:
    """A /v1 path with every name segment percent-quoted."""
    return "/v1/" + "/".join(quote(str(segment), safe="") for segment in segments)


STOP_CHECK_INTERVAL = 0.1
"""Seconds between two looks at a pending stop while :meth:`LinstorClient.pause` waits."""


class LinstorClient:
    """A LINSTOR REST client: one requests session, failover across controllers, ApiCallRc decoding."""

    def __init__(self, settings: ConnectionSettings) -> None:
        if requests is None:
            raise LinstorConfigError("the Python library 'requests' is required", "requests")
        self.settings = settings
        self.session = requests.Session()
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, _DeadlineAdapter())  # timeout bounds a whole request (_Deadline)
        self.session.headers["Accept"] = "application/json"
        # set even without a token: requests then ignores ~/.netrc, whose credentials would replace the token
        # (and go over plain HTTP, past the check of allow_insecure_auth)
        self.session.auth = _BearerAuth(settings.auth_token)
        if settings.client_cert:
            self.session.cert = (settings.client_cert, settings.client_key) if settings.client_key \
                else settings.client_cert
        self.session.verify = (settings.ca_cert or True) if settings.validate_certs else False
        self._active = 0
        self.request_count = 0
        self._stop: str | None = None  # the stop asked for and not acted on yet
        self._stopped = False  # a stop was acted on: the run is ending
        self._unstoppable = 0  # depth of unstoppable() blocks
        self._controller_version: dict[str, Any] | None = None

    def request_stop(self, reason: str) -> bool:
        """End the run at its next request, which fails with :class:`LinstorStopped` without being sent.

        Every operation undoes what it made when a request fails, so a stopped run leaves nothing
        half-made; the request in flight when the stop came is answered first. Only the first stop
        counts (False for any later one).
        """
        if self._stopped or self._stop is not None:
            return False
        self._stop = reason
        return True

    @property
    def stop_pending(self) -> bool:
        """A stop was asked for and has not ended a request yet."""
        return self._stop is not None

    def pause(self, seconds: float) -> None:
        """Wait ``seconds``, cut short by a stop asked for meanwhile (which the next request then honours)."""
        deadline = time.monotonic() + seconds
        while not self.stop_pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, STOP_CHECK_INTERVAL))

    def _honour_stop(self, before: str) -> None:
        """Raise :class:`LinstorStopped` if a stop is pending (outside :meth:`unstoppable`): called before
        every request, and by :meth:`run_to_the_end`."""
        if self._stop is not None and not self._unstoppable:
            reason, self._stop, self._stopped = self._stop, None, True
            raise LinstorStopped(f"stopped by {reason} before {before}; run the task again to finish (what this "
                                 "run made is undone, or whole where others may already use it)")

    def stopped_retrying(self, retried: str, refusal: LinstorError) -> LinstorStopped:
        """Act on the pending stop that ends the retries of ``retried`` after LINSTOR's ``refusal``: the failure to
        raise, which keeps the refusal's texts and entries (what LINSTOR said last)."""
        reason, self._stop, self._stopped = self._stop, None, True
        return LinstorStopped(
            f"stopped by {reason} while retrying {retried}, which LINSTOR refused again; run the task again to finish. "
            f"LINSTOR's last answer: {refusal.message}", cause=refusal.cause, correction=refusal.correction,
            details=refusal.details, ret_code=refusal.ret_code, status=refusal.status, entries=refusal.entries)

    @contextmanager
    def run_to_the_end(self, step: str) -> Iterator[None]:
        """A step that, once begun, runs to its end (a delete cannot be undone): a stop pending ends the
        run before it, one that comes while it runs ends the run after it."""
        self._honour_stop(step)
        with self.unstoppable():
            yield

    @contextmanager
    def unstoppable(self) -> Iterator[None]:
        """Requests sent in this block go out even after a stop: undo steps, and the rest of a step
        that cannot be undone once begun (a delete). A stop asked for meanwhile ends the run after it."""
        self._unstoppable += 1
        try:
            yield
        finally:
            self._unstoppable -= 1

    # -- transport -------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Any = None, body: Any = None,
                expect: str | None = None) -> Any:
        """Send one request, failing over between controllers; return the decoded body.

        A controller that cannot be connected to is skipped for any request (nothing was sent).
        A failure after the request may have reached a controller is retried on the next one only
        for idempotent methods. ApiCallRc error entries raise LinstorError whatever the status.
        ``expect`` is the reply's shape (:data:`OBJECT`, :data:`LISTING`, ...): :data:`OBJECT` for a GET,
        :data:`APICALLRC` for a write unless given; a write returns the warning entries of LINSTOR's reply.
        """
        expect = expect or (OBJECT if method == "GET" else APICALLRC)
        self._honour_stop(f"{method} {path} was sent")
        order = list(range(self._active, len(self.settings.controllers))) + list(range(self._active))
        tried: list[str] = []
        sent = False
        for index in order:
            base = self.settings.controllers[index]
            self.request_count += 1
            try:
                response = self._send(method, base + path, params, body)
            except (requests.exceptions.InvalidURL, LocationValueError) as exc:
                named = self.settings.named.get("controllers", "controllers")
                raise LinstorConfigError(f"{named}: {base} is not a URL requests can use", "controllers") from exc
            except requests.exceptions.SSLError as exc:
                raise LinstorConnectionError(
                    f"TLS failure talking to {base}: {exc}. Check ca_cert (the CA that signed the controller's "
                    "certificate), and client_cert/client_key where the controller requires a client certificate"
                ) from exc
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                reason = _short_reason(exc)
                if reason == "timed out":  # the option to raise, if the controller is only slow
                    reason = f"timed out after timeout={self.settings.timeout:g} s"
                if not _sent(exc):
                    tried.append(f"{base} ({reason})")
                    continue
                sent = True
                outcome = "no reply" if method == "GET" else "it may have been applied"
                tried.append(f"sent to {base}; {outcome} ({reason})")
                if method not in IDEMPOTENT_METHODS:
                    raise LinstorConnectionError(
                        f"{method} {path} was {tried[-1]}; not repeated because it is not safe to repeat. "
                        + CHECK_THE_CONTROLLER) from exc
                continue
            self._active = index
            return self._decode(method, path, base, response, expect)
        if sent:
            check = "" if method == "GET" else " " + CHECK_THE_CONTROLLER
            raise LinstorConnectionError(
                f"no LINSTOR controller (from {self.settings.controllers_source}) answered {method} {path}: "
                + "; ".join(tried) + "." + check)
        raise LinstorConnectionError(
            f"could not reach any LINSTOR controller (from {self.settings.controllers_source}); tried: "
            + "; ".join(tried))

    def _send(self, method: str, url: str, params: Any, body: Any) -> Any:
        """One HTTP request, its reply read whole within ``timeout`` seconds of its start (:class:`_Deadline`);
        requests' exceptions on failure, a :class:`requests.exceptions.ReadTimeout` when the time ran out."""
        timeout = self.settings.timeout
        late = f"no complete reply within {timeout:g} s (timed out)"
        with _Deadline(timeout) as deadline:
            try:
                # verify is passed on each request: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE
                # override the session's verify (ca_cert, validate_certs=false) otherwise.
                # The reply is read by the hook, bounded, before requests looks at it (see _read_reply).
                response = self.session.request(method, url, params=params, json=body, timeout=timeout,
                                                verify=self.session.verify, allow_redirects=False, stream=True,
                                                hooks={"response": _read_reply})
            except Exception as exc:  # whatever the cut socket made of it (an SSL error, a closed connection)
                if deadline.fired:
                    raise requests.exceptions.ReadTimeout(late) from exc
                raise
            response.close()
            if deadline.fired:  # the cut socket ended the headers or the body early: a reply cut short
                raise requests.exceptions.ReadTimeout(late)
        return response

    def _decode(self, method: str, path: str, base: str, response: Any, expect: str) -> Any:
        """The reply's JSON body, checked against ``expect``; a write's warning entries. LinstorError for LINSTOR's
        error entries, any HTTP error, a redirect, or a reply that is not LINSTOR's (not JSON, such as a proxy's
        login page, or JSON of another shape)."""
        status = response.status_code
        content: bytes = response.linstor_body
        text = content.decode("utf-8", "replace")
        try:
            body, is_json = json.loads(text), True
        except ValueError:
            body, is_json = None, False
        if 300 <= status < 400:
            raise LinstorError(_redirect_message(method, path, base, status, response.linstor_location),
                               status=status)
        entries = _apicallrc_entries(body, expect)
        if status == 401:  # LINSTOR's AuthenticationFilter: an ApiCallRc that does not say why
            given = "was not accepted" if self.settings.auth_token else "is required and none was given"
            entries = entries if is_apicallrc_list(entries) else []
            raise LinstorError(
                f"LINSTOR at {base} refused {method} {path}: HTTP 401, authentication failed: the auth_token {given}",
                details=entries[0].get("message", "") if entries else text.strip()[:500],
                ret_code=entries[0]["ret_code"] if entries else None, status=401, entries=entries)
        if status >= 400:
            if is_apicallrc_list(entries):
                raise_for_apicallrc(entries, status)
                raise LinstorError(
                    f"{base} answered {method} {path} with HTTP {status} but no error entry: "
                    + " ".join(_sentences(*_entry_fields(entry)[:4]) for entry in entries), status=status,
                    entries=entries)
            if status == 403:
                message = (f"LINSTOR at {base} refused {method} {path}: HTTP 403 "
                           "(authentication failed: check auth_token and the client certificate)")
            elif status == 404:
                message = (f"{method} {path} got HTTP 404 without a LINSTOR reply from {base}: check that controllers "
                           "names a LINSTOR controller's REST API (e.g. http://controller:3370)")
            else:
                message = f"{base} answered {method} {path} with HTTP {status}"
            details = text.strip()[:500] if body is None else str(body)[:500]
            raise LinstorError(message, details=details, status=status)
        if not is_json:
            raise LinstorError(
                f"{base} answered {method} {path} with HTTP {status} but not with LINSTOR's JSON "
                f"reply ({response.headers.get('Content-Type') or 'no content type'}): check that controllers names "
                "a LINSTOR controller's REST API (e.g. http://controller:3370)",
                details=text.strip()[:500], status=status)
        if entries is None:  # data, or an empty ApiCallRc list
            if not _has_shape(body, expect):
                raise self._unlike_linstor(method, path, base, status, body, expect)
            return body
        if not (entries == [] or is_apicallrc_list(entries)):
            raise self._unlike_linstor(method, path, base, status, body, expect)
        warnings = raise_for_apicallrc(entries, status)  # LINSTOR's errors, whatever the status
        if expect in (APICALLRC, CLONE_STARTED):
            return warnings
        raise self._unlike_linstor(method, path, base, status, body, expect)  # status entries, never GET data

    @staticmethod
    def _unlike_linstor(method: str, path: str, base: str, status: int, body: Any, expect: str) -> LinstorError:
        """The error for a JSON reply of the wrong shape; a write reached the controller, so it may have been
        applied (a :class:`LinstorConnectionError`, which the operations undo as a lost reply)."""
        shown = json.dumps(body)
        message = (f"{base} answered {method} {path} with HTTP {status} and {shown[:200]}"
                   f"{'...' if len(shown) > 200 else ''}, where LINSTOR answers with {expect}")
        if method == "GET":
            return LinstorError(message + ": check that controllers names a LINSTOR controller", status=status)
        return LinstorConnectionError(message + "; the request reached it, so it may have been applied. "
                                      + CHECK_THE_CONTROLLER, status=status)

    def get(self, path: str, params: Any = None, expect: str = OBJECT) -> Any:
        return self.request("GET", path, params=params, expect=expect)

    def _list(self, path: str, params: Any = None) -> list[dict[str, Any]]:
        return self.get(path, params, LISTING)

    def _get_or_none(self, path: str) -> Any:
        """The object at ``path``, or None when LINSTOR answers that it does not exist."""
        try:
            return self.get(path)
        except LinstorError as exc:
            if exc.not_found:
                return None
            raise

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body=body if body is not None else {})

    def put(self, path: str, body: Any) -> list[dict[str, Any]]:
        return self.request("PUT", path, body=body)

    def delete(self, path: str) -> list[dict[str, Any]]:
        return self.request("DELETE", path)

    # -- controller ------------------------------------------------------------------------------

    def controller_version(self) -> dict[str, Any]:
        return self.get(_path("controller", "version"))

    def _version(self, field: str) -> tuple[int, ...]:
        """A version of the controller's, e.g. (1, 24, 0); ``/v1/controller/version`` is asked once per client."""
        if self._controller_version is None:
            self._controller_version = self.controller_version()
        numbers = re.findall(r"[0-9]+", str(self._controller_version.get(field) or ""))[:3]
        return tuple(int(number) for number in numbers) or (0,)

    def rest_api_version(self) -> tuple[int, ...]:
        """The controller's REST API version, e.g. (1, 24, 0) for LINSTOR 1.30."""
        return self._version("rest_api_version")

    def release(self) -> tuple[int, ...]:
        """The controller's LINSTOR release, e.g. (1, 31, 3); (1, 34, 0) for 1.34.0-rc.1."""
        return self._version("version")

    def controller_properties(self) -> dict[str, str]:
        """The controller's properties (``GET /v1/controller/properties``), the last level LINSTOR reads an RD's
        properties from after its group's."""
        return self.get(_path("controller", "properties")) or {}

    def list_nodes(self, names: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The nodes named (all when none are), each with its satellite's ``connection_status``."""
        return self._list(_path("nodes"), [("nodes", name) for name in names])

    def view_storage_pools(self) -> list[dict[str, Any]]:
        """Every storage pool of every node (``node_name``, ``storage_pool_name``, ``provider_kind``, ...)."""
        return self._list(_path("view", "storage-pools"))

    # -- resource groups -------------------------------------------------------------------------

    def get_resource_group(self, name: str) -> dict[str, Any] | None:
        """The resource group, or None when it does not exist."""
        return self._get_or_none(_path("resource-groups", name))

    def create_resource_group(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return self.post(_path("resource-groups"), body)

    def modify_resource_group(self, name: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        return self.put(_path("resource-groups", name), body)

    def delete_resource_group(self, name: str) -> list[dict[str, Any]]:
        return self.delete(_path("resource-groups", name))

    def spawn(
        self,
        resource_group: str,
        resource_definition: str,
        volume_sizes_kib: list[int],
        resource_definition_props: dict[str, str],
        partial: bool = False,
    ) -> list[dict[str, Any]]:
        """Spawn an RD from a resource group, born with the given properties, without placing it (the caller
        autoplaces it: :func:`._volumes.spawn_and_place`).

        ``partial`` lets the number of volume sizes differ from the group's volume groups.
        """
        body: dict[str, Any] = {
            "resource_definition_name": resource_definition,
            "volume_sizes": volume_sizes_kib,
            "definitions_only": True,
            "resource_definition_props": resource_definition_props,
        }
        if partial:
            body["partial"] = True
        return self.post(_path("resource-groups", resource_group, "spawn"), body)

    # -- resource definitions ------------------------------------------------------------------

    def list_resource_definitions(
        self,
        props: Iterable[str] = (),
        names: Iterable[str] = (),
        with_volume_definitions: bool = True,
    ) -> list[dict[str, Any]]:
        """RDs matching every ``props`` filter (``key=value`` or ``key``) and, if given, the names."""
        params: list[tuple[str, str]] = [("props", item) for item in props]
        params += [("resource_definitions", name) for name in names]
        if with_volume_definitions:
            params.append(("with_volume_definitions", "true"))
        return self._list(_path("resource-definitions"), params)

    def property_rules(self, objects: str) -> dict[str, dict[str, Any]] | None:
        """LINSTOR's whitelist for ``objects`` (``resource-definitions`` or ``resource-groups``): each allowed
        key and its rule (PropsInfo: ``prop_type``, ``value``...), or None if this controller does not list it."""
        return self._get_or_none(_path(objects, "properties", "info"))

    def get_resource_definition(self, name: str) -> dict[str, Any] | None:
        """The RD, or None when it does not exist."""
        return self._get_or_none(_path("resource-definitions", name))

    def create_resource_definition(
        self, name: str, resource_group: str | None = None, props: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Create an empty RD (no volume definitions), born with ``props``, in ``resource_group``."""
        definition: dict[str, Any] = {"name": name, "props": dict(props or {})}
        if resource_group:
            definition["resource_group_name"] = resource_group
        return self.post(_path("resource-definitions"), {"resource_definition": definition})

    def modify_resource_definition(
        self,
        name: str,
        override_props: Mapping[str, str] | None = None,
        delete_props: Iterable[str] = (),
        delete_namespaces: Iterable[str] = (),
    ) -> list[dict[str, Any]]:
        return self.put(_path("resource-definitions", name), {
            "override_props": dict(override_props or {}),
            "delete_props": list(delete_props),
            "delete_namespaces": list(delete_namespaces),
        })

    def delete_resource_definition(self, name: str) -> list[dict[str, Any]]:
        return self.delete(_path("resource-definitions", name))

    def autoplace(self, name: str, place_count: int | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {}
        if place_count is not None:
            body["select_filter"] = {"place_count": place_count}
        return self.post(_path("resource-definitions", name, "autoplace"), body)

    def clone(
        self,
        source: str,
        target: str,
        resource_group: str | None = None,
        override_props: Mapping[str, str] | None = None,
        delete_namespaces: Iterable[str] = (),
    ) -> list[dict[str, Any]]:
        """Start a clone of ``source`` into the new RD ``target``; return the warnings of LINSTOR's reply
        (its clone-started object carries them in ``messages``).

        Only the fields given are sent: a controller older than LINSTOR 1.32 refuses a body naming the
        property fields (1.30 for ``resource_group``), even empty.
        """
        body: dict[str, Any] = {"name": target}
        if resource_group:
            body["resource_group"] = resource_group
        if override_props:
            body["override_props"] = dict(override_props)
        if delete_namespaces:
            body["delete_namespaces"] = list(delete_namespaces)
        return self.request("POST", _path("resource-definitions", source, "clone"), body=body, expect=CLONE_STARTED)

    def clone_status(self, source: str, target: str) -> dict[str, Any]:
        return self.get(_path("resource-definitions", source, "clone", target))

    # -- volume definitions and resources ------------------------------------------------------

    def modify_volume_definition(self, name: str, volume_number: int, size_kib: int) -> list[dict[str, Any]]:
        return self.put(_path("resource-definitions", name, "volume-definitions", str(volume_number)),
                        {"size_kib": size_kib})

    def _view(self, view: str, resource_definitions: Iterable[str]) -> list[dict[str, Any]]:
        """One ``/v1/view/<view>`` request, for the given RDs (all when none are given). Up to
        :data:`NAME_FILTER_LIMIT` RDs are named in the query; beyond, everything is listed and kept
        here, so that a URL never grows with the number of volumes."""
        names = list(resource_definitions)
        if len(names) <= NAME_FILTER_LIMIT:
            return self._list(_path("view", view), [("resources", name) for name in names])
        wanted = {name.lower() for name in names}
        return [item for item in self._list(_path("view", view))
                if (item.get("resource_name") or item.get("name") or "").lower() in wanted]

    def view_resources(self, resource_definitions: Iterable[str] = ()) -> list[dict[str, Any]]:
        return self._view("resources", resource_definitions)

    # -- snapshots -----------------------------------------------------------------------------

    def list_snapshots(self, name: str) -> list[dict[str, Any]]:
        return self._list(_path("resource-definitions", name, "snapshots"))

    def view_snapshots(self, resource_definitions: Iterable[str] = ()) -> list[dict[str, Any]]:
        return self._view("snapshots", resource_definitions)

    def create_snapshot(self, name: str, snapshot: str) -> list[dict[str, Any]]:
        """Snapshot the RD on every node with a disk (LINSTOR's choice when no nodes are named)."""
        return self.post(_path("resource-definitions", name, "snapshots"), {"name": snapshot})

    def delete_snapshot(self, name: str, snapshot: str) -> list[dict[str, Any]]:
        return self.delete(_path("resource-definitions", name, "snapshots", snapshot))

    def rollback_snapshot(self, name: str, snapshot: str) -> list[dict[str, Any]]:
        return self.post(_path("resource-definitions", name, "snapshot-rollback", snapshot))

    def restore_volume_definitions(self, name: str, snapshot: str, target: str) -> list[dict[str, Any]]:
        return self.post(_path("resource-definitions", name, "snapshot-restore-volume-definition", snapshot),
                         {"to_resource": target})

    def restore_resources(self, name: str, snapshot: str, target: str) -> list[dict[str, Any]]:
        """Restore the snapshot's resources into ``target`` on every node that has the snapshot."""
        return self.post(_path("resource-definitions", name, "snapshot-restore-resource", snapshot),
                         {"to_resource": target})


class _BearerAuth:
    """requests' auth hook: the bearer token, if any, on every request (and no ~/.netrc credentials)."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def __call__(self, request: Any) -> Any:
        if self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _read_reply(response: Any, *_args: Any, **_kwargs: Any) -> Any:
    """requests' response hook: read the body (:func:`_read_body`) into ``linstor_body``, and move a redirect's
    ``Location`` to ``linstor_location``.

    The hook runs before requests' redirect handling, which would otherwise read the body of a 3xx reply
    itself and parse its ``Location`` even with ``allow_redirects=False``; without the header there is no
    redirect to handle. Redirects are never followed (:func:`_redirect_message`)."""
    response.linstor_location = response.headers.pop("Location", None)
    try:
        response.linstor_body = _read_body(response)
    except BaseException:
        response.close()
        raise
    deadline = _IN_FLIGHT.get()
    if deadline is not None:  # read whole: a timer firing from now on must not turn this reply into a timeout
        deadline.disarm()
    return response


def _redirect_message(method: str, path: str, base: str, status: int, location: str | None) -> str:
    """Why a redirect is not followed. LINSTOR's HTTPS forwarder answers on the HTTP port with a redirect to HTTPS on
    the same host: then the controllers entry is to name HTTPS. Any other is a proxy's (a login page, or HTTPS sent
    on to HTTP), which LINSTOR's REST API never sends."""
    answered = f"{base} answered {method} {path} with a redirect (HTTP {status} to {_origin(location)})"
    try:
        target = urlsplit(location or "")
        port = target.port or 443
    except ValueError:
        target, port = None, None
    if target and target.scheme == "https" and target.hostname == urlsplit(base).hostname:
        host = f"[{target.hostname}]" if ":" in target.hostname else target.hostname
        return (f"{answered}: the controller serves HTTPS there; use linstor+ssl://{host}:{port} (or "
                f"https://{host}:{port}) in controllers")
    return (f"{answered}, which LINSTOR's REST API never sends: check that controllers names the controller itself "
            "(scheme, host and port), not a proxy")


def _origin(url: str | None) -> str:
    """Where a redirect points, as messages show it: scheme, host and port only (no credentials, path or query)."""
    if not url:
        return "nowhere"
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "") + "/..."
    except ValueError:
        return "an address that is not a URL"


def _read_body(response: Any) -> bytes:
    """The reply body, up to :data:`MAX_REPLY_BYTES` (its time is bounded by :class:`_Deadline`).

    Transport failures come out as requests' exceptions, which the failover reads.
    """
    read = response.raw.read1  # what has arrived, so that a flood stops at the limit
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := read(_READ_CHUNK, decode_content=True):
            size += len(chunk)
            if size > MAX_REPLY_BYTES:
                parts = urlsplit(response.url)
                raise LinstorError(
                    f"{parts.scheme}://{parts.netloc} answered {response.request.method} {parts.path} with a reply "
                    f"larger than {MAX_REPLY_BYTES // (1024 * 1024)} MiB, which is no LINSTOR reply: check that "
                    "controllers names a LINSTOR controller")
            chunks.append(chunk)
    except ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(str(exc)) from exc
    except TransportError as exc:
        raise requests.exceptions.ConnectionError(str(exc)) from exc
    return b"".join(chunks)


_IN_FLIGHT: ContextVar[_Deadline | None] = ContextVar("linstor_request_deadline", default=None)
"""The deadline of the request this thread is sending, which its connection arms with its socket."""


class _Deadline:
    """The time limit of one request, headers and body alike: ``timeout`` seconds after it began, a timer thread
    shuts its socket down, which ends any read (requests' own timeout bounds each wait for data, not the whole
    reply: a controller sending a byte now and then would hold the run). ``fired`` tells the transport failure
    that follows from a real one. Used as a context manager around the request."""

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._expired = False
        self._done = False
        self.fired = False
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._token = _IN_FLIGHT.set(self)
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.disarm()
        _IN_FLIGHT.reset(self._token)

    def disarm(self) -> None:
        """The reply is read whole: from now on the timer cuts nothing, so ``fired`` tells a reply cut short only
        (a complete reply is no timeout), and a timer firing late never cuts the pooled connection the next request
        uses."""
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._socket = None

    def arm(self, sock: object) -> None:
        """The socket the reply comes on (called as the connection starts reading it). A TLS connection tunnelled
        through an HTTPS proxy reads through no socket of its own: that one is left to requests' timeout."""
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if self._done:
                return
            self._socket = sock
            if self._expired:
                self._cut()

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            if self._socket is not None:
                self._cut()

    def _cut(self) -> None:
        self.fired = True
        with suppress(OSError):  # already closed; the plain socket's shutdown: an SSLSocket's own would drop its
            socket.socket.shutdown(self._socket, socket.SHUT_RDWR)  # TLS state under the reading thread


if requests is not None:
    class _ArmsDeadline:
        """A urllib3 connection that arms the deadline of the request in flight with its socket."""

        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            deadline = _IN_FLIGHT.get()
            if deadline is not None and self.sock is not None:
                deadline.arm(self.sock)
            return super().getresponse(*args, **kwargs)

    class _HTTPConnection(_ArmsDeadline, HTTPConnection):
        pass

    class _HTTPSConnection(_ArmsDeadline, HTTPSConnection):
        pass

    class _HTTPPool(HTTPConnectionPool):
        ConnectionCls = _HTTPConnection

    class _HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = _HTTPSConnection

    _POOLS = {"http": _HTTPPool, "https": _HTTPSPool}

    class _DeadlineAdapter(requests.adapters.HTTPAdapter):
        """requests' adapter whose connections arm :class:`_Deadline` (directly or through an HTTP proxy)."""

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = _POOLS

        def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(*args, **kwargs)
            if isinstance(manager, ProxyManager):  # a SOCKS proxy's manager keeps its own pools
                manager.pool_classes_by_scheme = _POOLS
            return manager


def _sent(exc: Exception) -> bool:
    """Whether a failed request may have reached the controller: not when the connection was never made (refused,
    no route, a name that did not resolve, a connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    cause = exc.args[0] if exc.args else None
    reason = getattr(cause, "reason", cause)
    if isinstance(reason, UrllibProxyError):  # the proxy itself could not be reached, or could not connect
        reason = reason.original_error
    return not isinstance(reason, NewConnectionError)


def _short_reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "timed out", "Name or service not known",
                   "Temporary failure in name resolution", "No address associated with hostname", "No route to host",
                   "Connection reset", "Remote end closed"):
        if marker in text:
            return marker.lower()
    return text[:200]


def client_from_params(params: Mapping[str, Any]) -> LinstorClient:
    """A client built from a module's connection options."""
    return LinstorClient(ConnectionSettings.from_params(params))
