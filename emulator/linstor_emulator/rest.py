"""The thin HTTP layer: routes that parse requests, call the backend and render replies.

All requests go through ``Api.dispatch``: the one place where the bearer token is checked, faults
are injected (``faults.py``), the request log is kept, and errors are rendered in LINSTOR's format.
TLS is the server's (``make_server``): the handshake runs in the request's thread.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import socket
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import bodies, whitelist
from . import errors as rc
from .backend import (
    CLONE_ERRORS_500_RELEASE,
    CLONE_GROUP_REST_API,
    CLONE_PROPS_REST_API,
    CLONE_SOURCE_CHECKED_FIRST_RELEASE,
    Backend,
    parse_prop_filters,
    version_tuple,
)
from .errors import LinstorError, RcEntry, http_status
from .faults import FaultSpecError, FaultTable

DEBUG_PREFIX = "/_emulator"
REQUEST_LOG_LIMIT = 100_000
"""The request log keeps the most recent entries only, so a long run cannot exhaust memory."""
HANDSHAKE_TIMEOUT = 10.0
# LINSTOR's AuthenticationFilter: the 401 it answers when token authentication is on.
UNAUTHORIZED_MESSAGE = "Unauthorized: token invalid or not provided"
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="linstor-controller"'}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: object
    params: dict[str, str] = field(default_factory=dict)

    def q_list(self, name: str) -> list[str]:
        return [v for v in self.query.get(name, []) if v != ""]

    def q_bool(self, name: str) -> bool:
        values = self.query.get(name)  # Jersey: Boolean.valueOf of the first value
        return bool(values) and values[0].lower() == "true"  # the first value, as MultivaluedMap.getFirst

    def q_int(self, name: str, default: int = 0) -> int:
        values = self.query.get(name)
        if not values or values[-1] == "":
            return default
        return int(values[-1])

    def obj(self, schema: dict) -> dict:
        """The body read into ``schema`` as the controller's Jackson mapping reads it (see bodies.py)."""
        if self.body is None:
            return {}
        try:
            return bodies.conform(self.body, schema)
        except bodies.BodyError as exc:
            raise BadRequest("Unable to parse input json.", str(exc)) from None


@dataclass
class Reply:
    status: int
    body: object  # JSON-serialisable, or bytes already encoded as JSON (sent as they are)
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (a fault)
    delay: float = 0.0  # seconds to wait before answering (a fault)


class BadRequest(Exception):
    def __init__(self, message: str, details: str):
        super().__init__(message)
        self.details = details


def _entries(entries: list[RcEntry]) -> list[dict]:
    return [entry.to_json() for entry in entries]


Handler = Callable[[Backend, Request], Reply]
ROUTES: list[tuple[str, re.Pattern, Handler]] = []


def route(method: str, pattern: str):
    """``{name}`` matches one path segment, ``{name:path}`` the rest of the path (a property key with slashes)."""
    regex = re.sub(r"\{(\w+):path\}", r"(?P<\1>.+)", pattern)
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex) + "$")

    def register(func: Handler) -> Handler:
        ROUTES.append((method, regex, func))
        return func

    return register


def write(entries: list[RcEntry], success: int) -> Reply:
    return Reply(http_status(entries, success), _entries(entries))


# ---------------------------------------------------------------- controller, nodes, storage pools

@route("GET", "/v1/controller/version")
def _version(b: Backend, r: Request) -> Reply:
    return Reply(200, b.controller_version())


@route("GET", "/v1/controller/properties")
def _controller_props(b: Backend, r: Request) -> Reply:
    return Reply(200, b.controller_props())


@route("POST", "/v1/controller/properties")
def _controller_props_modify(b: Backend, r: Request) -> Reply:
    return write(b.modify_controller_props(r.obj(bodies.CONTROLLER_PROPS_MODIFY)), 201)


@route("DELETE", "/v1/controller/properties/{key:path}")
def _controller_prop_delete(b: Backend, r: Request) -> Reply:
    return write(b.delete_controller_prop(r.params["key"]), 200)


@route("GET", "/v1/nodes")
def _nodes(b: Backend, r: Request) -> Reply:
    return Reply(200, _page(_with_props(b.list_nodes(r.q_list("nodes")), r), r))


@route("GET", "/v1/nodes/{node}")
def _node(b: Backend, r: Request) -> Reply:
    found = b.list_nodes([r.params["node"]])
    if not found:
        raise LinstorError([RcEntry(rc.FAIL_NOT_FOUND_NODE, f"Node '{r.params['node']}' not found.")])
    return Reply(200, found[0])


@route("GET", "/v1/view/storage-pools")
def _view_pools(b: Backend, r: Request) -> Reply:
    return Reply(200, _page(_with_props(b.list_storage_pools(r.q_list("nodes"), r.q_list("storage_pools")), r), r))


@route("GET", "/v1/nodes/{node}/storage-pools")
def _node_pools(b: Backend, r: Request) -> Reply:
    if not b.list_nodes([r.params["node"]]):
        raise LinstorError([RcEntry(rc.FAIL_NOT_FOUND_NODE, f"Node '{r.params['node']}' not found.")])
    return Reply(200, b.list_storage_pools([r.params["node"]], r.q_list("storage_pools")))


# ---------------------------------------------------------------- resource groups

@route("GET", "/v1/resource-groups")
def _rgs(b: Backend, r: Request) -> Reply:
    return Reply(200, _page(b.list_resource_groups(r.q_list("resource_groups"), r.q_list("props")), r))


@route("GET", "/v1/resource-groups/properties/info")
def _rg_props_info(b: Backend, r: Request) -> Reply:
    return Reply(200, _props_info(whitelist.RESOURCE_DEFINITION))  # as LINSTOR: groups take the RD rules


@route("GET", "/v1/resource-groups/{rg}/volume-groups/properties/info")
def _vg_props_info(b: Backend, r: Request) -> Reply:
    return Reply(200, _props_info(whitelist.VOLUME_DEFINITION))


def _props_info(rules: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The whitelist as the controller's ``properties/info`` endpoints list it: key -> PropsInfo."""
    return {key: dict(info) for key, info in sorted(rules.items())}


@route("POST", "/v1/resource-groups")
def _rg_create(b: Backend, r: Request) -> Reply:
    return write(b.create_resource_group(r.obj(bodies.RESOURCE_GROUP)), 201)


@route("GET", "/v1/resource-groups/{rg}")
def _rg_get(b: Backend, r: Request) -> Reply:
    return Reply(200, b.get_resource_group(r.params["rg"]))


@route("PUT", "/v1/resource-groups/{rg}")
def _rg_modify(b: Backend, r: Request) -> Reply:
    return write(b.modify_resource_group(r.params["rg"], r.obj(bodies.RESOURCE_GROUP_MODIFY)), 200)


@route("DELETE", "/v1/resource-groups/{rg}")
def _rg_delete(b: Backend, r: Request) -> Reply:
    return write(b.delete_resource_group(r.params["rg"]), 200)


@route("POST", "/v1/resource-groups/{rg}/spawn")
def _rg_spawn(b: Backend, r: Request) -> Reply:
    return write(b.spawn(r.params["rg"], r.obj(bodies.RESOURCE_GROUP_SPAWN)), 201)


@route("GET", "/v1/resource-groups/{rg}/volume-groups")
def _vgs(b: Backend, r: Request) -> Reply:
    return Reply(200, b.list_volume_groups(r.params["rg"]))


@route("POST", "/v1/resource-groups/{rg}/volume-groups")
def _vg_create(b: Backend, r: Request) -> Reply:
    return write(b.create_volume_group(r.params["rg"], r.obj(bodies.VOLUME_GROUP)), 201)


@route("PUT", "/v1/resource-groups/{rg}/volume-groups/{nr}")
def _vg_modify(b: Backend, r: Request) -> Reply:
    return write(b.modify_volume_group(r.params["rg"], _number(r.params["nr"]),
                                       r.obj(bodies.VOLUME_GROUP_MODIFY)), 200)


@route("DELETE", "/v1/resource-groups/{rg}/volume-groups/{nr}")
def _vg_delete(b: Backend, r: Request) -> Reply:
    return write(b.delete_volume_group(r.params["rg"], _number(r.params["nr"])), 200)


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadRequest("Unable to parse input json.", f"'{text}' is not a volume number") from None


# ---------------------------------------------------------------- resource definitions

@route("GET", "/v1/resource-definitions")
def _rds(b: Backend, r: Request) -> Reply:
    return Reply(200, b.list_resource_definitions_json(
        r.q_list("resource_definitions"), r.q_list("props"), r.q_bool("with_volume_definitions"),
        r.q_int("offset"), r.q_int("limit")))


@route("GET", "/v1/resource-definitions/properties/info")
def _rd_props_info(b: Backend, r: Request) -> Reply:
    return Reply(200, _props_info(whitelist.RESOURCE_DEFINITION))


@route("GET", "/v1/resource-definitions/{rd}/volume-definitions/properties/info")
def _vd_props_info(b: Backend, r: Request) -> Reply:
    return Reply(200, _props_info(whitelist.VOLUME_DEFINITION))  # LINSTOR does not look the RD up either


@route("POST", "/v1/resource-definitions")
def _rd_create(b: Backend, r: Request) -> Reply:
    return write(b.create_resource_definition(r.obj(bodies.RESOURCE_DEFINITION_CREATE)), 201)


@route("GET", "/v1/resource-definitions/{rd}")
def _rd_get(b: Backend, r: Request) -> Reply:
    return Reply(200, b.get_resource_definition(r.params["rd"]))


@route("PUT", "/v1/resource-definitions/{rd}")
def _rd_modify(b: Backend, r: Request) -> Reply:
    return write(b.modify_resource_definition(r.params["rd"], r.obj(bodies.RESOURCE_DEFINITION_MODIFY)), 200)


@route("DELETE", "/v1/resource-definitions/{rd}")
def _rd_delete(b: Backend, r: Request) -> Reply:
    return write(b.delete_resource_definition(r.params["rd"]), 200)


@route("POST", "/v1/resource-definitions/{rd}/clone")
def _rd_clone(b: Backend, r: Request) -> Reply:
    schema = bodies.clone_request(b.rest_api_at_least(CLONE_GROUP_REST_API), b.rest_api_at_least(CLONE_PROPS_REST_API))
    body = r.obj(schema)  # a body LINSTOR cannot parse is refused before the clone starts, as any request
    source = r.params["rd"]
    clone_name = body.get("name") or "__invalid_name__"
    status = 201
    try:
        entries, clone_name = b.clone(source, body)
    except LinstorError as error:
        # From 1.33 a missing source fails before the clone's transaction (getNodeNamesForClone): a plain error
        # reply. The transaction's errors (reportingExceptions) come in the clone-started object, as in LINSTOR.
        release = version_tuple(b.linstor_version)
        if (error.ret_code & rc.MASK_BITS_CODE == rc.FAIL_NOT_FOUND_RSC_DFN & rc.MASK_BITS_CODE
                and release >= CLONE_SOURCE_CHECKED_FIRST_RELEASE):
            raise
        entries = error.entries
        if version_tuple(b.linstor_version) >= CLONE_ERRORS_500_RELEASE:
            status = 500
    return Reply(status, {"location": f"/v1/resource-definitions/{source}/clone/{clone_name}",
                          "source_name": source, "clone_name": clone_name, "messages": _entries(entries)})


@route("GET", "/v1/resource-definitions/{rd}/clone/{clone}")
def _rd_clone_status(b: Backend, r: Request) -> Reply:
    return Reply(200, b.clone_status(r.params["rd"], r.params["clone"]))


@route("GET", "/v1/resource-definitions/{rd}/sync-status")
def _rd_sync_status(b: Backend, r: Request) -> Reply:
    b.get_resource_definition(r.params["rd"])
    return Reply(200, {"synced_on_all": True})


@route("GET", "/v1/resource-definitions/{rd}/volume-definitions")
def _vds(b: Backend, r: Request) -> Reply:
    return Reply(200, b.list_volume_definitions(r.params["rd"]))


@route("POST", "/v1/resource-definitions/{rd}/volume-definitions")
def _vd_create(b: Backend, r: Request) -> Reply:
    return write(b.create_volume_definition(r.params["rd"], r.obj(bodies.VOLUME_DEFINITION_CREATE)), 201)


@route("GET", "/v1/resource-definitions/{rd}/volume-definitions/{nr}")
def _vd_get(b: Backend, r: Request) -> Reply:
    number = _number(r.params["nr"])
    for vd in b.list_volume_definitions(r.params["rd"]):
        if vd["volume_number"] == number:
            return Reply(200, vd)
    raise LinstorError([RcEntry(rc.FAIL_NOT_FOUND_VLM_DFN, f"Volume definition '{number}' not found.")])


@route("PUT", "/v1/resource-definitions/{rd}/volume-definitions/{nr}")
def _vd_modify(b: Backend, r: Request) -> Reply:
    return write(b.modify_volume_definition(r.params["rd"], _number(r.params["nr"]),
                                      r.obj(bodies.VOLUME_DEFINITION_MODIFY)), 200)


@route("DELETE", "/v1/resource-definitions/{rd}/volume-definitions/{nr}")
def _vd_delete(b: Backend, r: Request) -> Reply:
    return write(b.delete_volume_definition(r.params["rd"], _number(r.params["nr"])), 200)


# ---------------------------------------------------------------- resources

@route("GET", "/v1/resource-definitions/{rd}/resources")
def _rscs(b: Backend, r: Request) -> Reply:
    return Reply(200, _page(b.list_rd_resources(r.params["rd"]), r))


@route("POST", "/v1/resource-definitions/{rd}/resources")
def _rscs_create(b: Backend, r: Request) -> Reply:
    try:
        body = bodies.conform(r.body if r.body is not None else [], bodies.ListOf(bodies.RESOURCE_CREATE))
    except bodies.BodyError as exc:
        raise BadRequest("Unable to parse input json.", str(exc)) from None
    return write(b.create_resources(r.params["rd"], body), 201)


@route("GET", "/v1/resource-definitions/{rd}/resources/{node}")
def _rsc_get(b: Backend, r: Request) -> Reply:
    return Reply(200, b.get_resource(r.params["rd"], r.params["node"]))


@route("POST", "/v1/resource-definitions/{rd}/resources/{node}")
def _rsc_create(b: Backend, r: Request) -> Reply:
    return write(b.create_resource(r.params["rd"], r.params["node"], r.obj(bodies.RESOURCE_CREATE)), 201)


@route("PUT", "/v1/resource-definitions/{rd}/resources/{node}")
def _rsc_modify(b: Backend, r: Request) -> Reply:
    return write(b.modify_resource(r.params["rd"], r.params["node"], r.obj(bodies.RESOURCE_MODIFY)), 200)


@route("DELETE", "/v1/resource-definitions/{rd}/resources/{node}")
def _rsc_delete(b: Backend, r: Request) -> Reply:
    return write(b.delete_resource(r.params["rd"], r.params["node"]), 200)


@route("GET", "/v1/resource-definitions/{rd}/resources/{node}/volumes")
def _rsc_volumes(b: Backend, r: Request) -> Reply:
    return Reply(200, b.list_volumes(r.params["rd"], r.params["node"]))


@route("POST", "/v1/resource-definitions/{rd}/autoplace")
def _autoplace(b: Backend, r: Request) -> Reply:
    return write(b.autoplace(r.params["rd"], r.obj(bodies.AUTO_PLACE_REQUEST)), 201)


@route("GET", "/v1/view/resources")
def _view_resources(b: Backend, r: Request) -> Reply:
    found = b.view_resources(r.q_list("resources"), r.q_list("nodes"), r.q_list("storage_pools"),
                             r.q_list("props"))
    return Reply(200, _page(found, r))


def _path_not_found(path: str) -> Reply:
    """GrizzlyHttpService.LinstorMapper on Jersey's NotFoundException (all releases the emulator plays)."""
    return Reply(404, _entries([RcEntry(rc.FAIL_UNKNOWN_ERROR, f"Path '{path}' not found on server.",
                                        details="HTTP 404 Not Found")]))


def _method_not_allowed(method: str, path: str) -> Reply:
    """GrizzlyHttpService.LinstorMapper on Jersey's NotAllowedException."""
    return Reply(405, _entries([RcEntry(rc.FAIL_UNKNOWN_ERROR, f"Method '{method}' not allowed on path '{path}'.",
                                        details="HTTP 405 Method Not Allowed")]))


def _with_props(items: list[dict], r: Request) -> list[dict]:
    """The items whose props match every ``props`` filter (``key=value`` or a bare ``key``), as
    CtrlNodeApiCallHandler / CtrlStorPoolListApiCallHandler filter with Props.contains."""
    filters = parse_prop_filters(r.q_list("props"))
    return [item for item in items if all((key in item["props"]) if value is None else item["props"].get(key) == value
                                          for key, value in filters)]


def _page(items: list, r: Request) -> list:
    """``limit`` items from ``offset`` when limit > 0 (the REST classes' stream.skip(offset).limit(limit))."""
    limit, offset = r.q_int("limit"), r.q_int("offset")
    return items[offset:offset + limit] if limit > 0 else items


# ---------------------------------------------------------------- snapshots

@route("GET", "/v1/resource-definitions/{rd}/snapshots")
def _snaps(b: Backend, r: Request) -> Reply:
    return Reply(200, _page(b.list_snapshots(r.params["rd"], r.q_list("nodes")), r))


@route("POST", "/v1/resource-definitions/{rd}/snapshots")
def _snap_create(b: Backend, r: Request) -> Reply:
    return write(b.create_snapshot(r.params["rd"], r.obj(bodies.SNAPSHOT)), 201)


@route("GET", "/v1/resource-definitions/{rd}/snapshots/{snap}")
def _snap_get(b: Backend, r: Request) -> Reply:
    return Reply(200, b.get_snapshot(r.params["rd"], r.params["snap"]))


@route("DELETE", "/v1/resource-definitions/{rd}/snapshots/{snap}")
def _snap_delete(b: Backend, r: Request) -> Reply:
    return write(b.delete_snapshot(r.params["rd"], r.params["snap"], r.q_list("nodes")), 200)


@route("POST", "/v1/resource-definitions/{rd}/snapshot-rollback/{snap}")
def _snap_rollback(b: Backend, r: Request) -> Reply:
    r.obj(bodies.SNAPSHOT_ROLLBACK)
    return write(b.rollback(r.params["rd"], r.params["snap"]), 200)


@route("POST", "/v1/resource-definitions/{rd}/snapshot-restore-volume-definition/{snap}")
def _snap_restore_vd(b: Backend, r: Request) -> Reply:
    return write(b.restore_volume_definitions(r.params["rd"], r.params["snap"], r.obj(bodies.SNAPSHOT_RESTORE)), 200)


@route("POST", "/v1/resource-definitions/{rd}/snapshot-restore-resource/{snap}")
def _snap_restore_rsc(b: Backend, r: Request) -> Reply:
    return write(b.restore_resources(r.params["rd"], r.params["snap"], r.obj(bodies.SNAPSHOT_RESTORE)), 200)


@route("GET", "/v1/view/snapshots")
def _view_snapshots(b: Backend, r: Request) -> Reply:
    return Reply(200, _page(b.list_snapshots(None, r.q_list("nodes"), r.q_list("resources")), r))


# ---------------------------------------------------------------- dispatch

_RD_ITEM = re.compile(r"/v1/resource-definitions/([^/]+)")


class Api:
    """Routes a request to its handler and renders the reply; checks the token, injects faults, keeps the log."""

    def __init__(self, backend: Backend, debug_api: bool = False, auth_token: str | None = None):
        self.backend = backend
        self.debug_api = debug_api
        self.auth_token = auth_token
        self.faults = FaultTable()
        self._log: deque[dict] = deque(maxlen=REQUEST_LOG_LIMIT)
        self._log_lock = threading.Lock()

    def request_log(self) -> list[dict]:
        with self._log_lock:
            return list(self._log)

    def clear_request_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def dispatch(self, method: str, target: str, raw_body: bytes,
                 headers: Mapping[str, str] | None = None) -> Reply:
        """Handle one request. The single entry point of the HTTP layer."""
        parts = urlsplit(target)
        path = unquote(parts.path).rstrip("/") or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        if path == DEBUG_PREFIX or path.startswith(DEBUG_PREFIX + "/"):
            return self._debug(method, path, raw_body)
        body_text = raw_body.decode("utf-8", errors="replace") if raw_body else ""
        authorization = (headers or {}).get("Authorization")
        fault = None
        if self.auth_token is not None and not self._authorized(authorization):
            reply = Reply(401, _entries([RcEntry(rc.FAIL_ACC_DENIED_COMMAND, UNAUTHORIZED_MESSAGE)]),
                          dict(UNAUTHORIZED_HEADERS))
        else:
            fault = self.faults.match(method, path)
            if fault is None:
                reply = self._handle(method, path, query, body_text)
            elif fault.action == "error":
                entries = fault.entries()
                reply = Reply(http_status(entries, 200), _entries(entries))
            elif fault.action == "drop_before":
                reply = Reply(0, None, drop=True)
            elif fault.action == "deleting":
                self._delete_slowly(path, fault.delay_seconds)
                reply = self._handle(method, path, query, body_text)
            else:
                reply = self._handle(method, path, query, body_text)
                reply.drop = fault.action == "drop_after"
                reply.delay = fault.delay_seconds if fault.action == "delay" else 0.0
        if self.debug_api:
            self._record(method, path, query, body_text, reply, authorization,
                         {"id": fault.id, "action": fault.action} if fault else None)
        return reply

    def _delete_slowly(self, path: str, seconds: float) -> None:
        """The ``deleting`` fault on a DELETE of an RD: flag it and its resources DELETE, then wait ``seconds``
        before the delete is carried out, as a controller waits for its satellites. A delete LINSTOR refuses is
        answered at once (with the same refusal), flagged only as that refusal flags it. Any other path: held
        ``seconds``, then handled."""
        match = _RD_ITEM.fullmatch(path)
        if match is not None:
            try:
                self.backend.mark_resource_definition_deleting(match.group(1))
            except LinstorError:
                return
        time.sleep(seconds)

    def _authorized(self, authorization: str | None) -> bool:
        """LINSTOR's check: an ``Authorization`` header of scheme Bearer (any case) holding the token."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return False
        token = authorization[len("bearer "):].strip()
        return hmac.compare_digest(token.encode(), self.auth_token.encode())

    def _record(self, method: str, path: str, query: dict, body_text: str, reply: Reply,
                authorization: str | None, fault: dict | None) -> None:
        logged_body: object = None
        if body_text:
            try:
                logged_body = json.loads(body_text)
            except ValueError:
                logged_body = body_text
        entry = {"method": method, "path": path, "query": query, "body": logged_body,
                 "status": None if reply.status == 0 else reply.status,
                 "auth": authorization.split(" ", 1)[0] if authorization else None,  # the scheme, never the token
                 "fault": fault}
        with self._log_lock:
            self._log.append(entry)

    def _handle(self, method: str, path: str, query: dict, body_text: str) -> Reply:
        handler = None
        params: dict[str, str] = {}
        path_known = False
        for route_method, regex, func in ROUTES:
            match = regex.match(path)
            if match:
                path_known = True
                if route_method == method or (method == "HEAD" and route_method == "GET"):  # HEAD: a GET's headers
                    handler, params = func, match.groupdict()
                    break
        if handler is None:
            if path_known:
                return _method_not_allowed(method, path)
            return _path_not_found(path)
        try:
            body = json.loads(body_text) if body_text.strip() else None
        except ValueError as exc:
            return self._parse_error(str(exc))
        request = Request(method, path, query, body, params)
        try:
            return handler(self.backend, request)
        except BadRequest as exc:
            return self._parse_error(exc.details)
        except LinstorError as exc:
            return Reply(http_status(exc.entries, 200), _entries(exc.entries))
        except ValueError as exc:  # e.g. a query parameter that is not a number
            return self._parse_error(str(exc))
        except Exception as exc:  # an emulator bug: answer as the controller does for an unexpected exception
            return Reply(500, _entries([RcEntry(rc.FAIL_UNKNOWN_ERROR,
                                                f"Request {method} {path} failed due to an unknown exception.",
                                                cause=f"{type(exc).__name__}: {exc}")]))

    @staticmethod
    def _parse_error(details: str) -> Reply:
        return Reply(400, _entries([RcEntry(rc.API_CALL_PARSE_ERROR, "Unable to parse input json.",
                                            details=details)]))

    def _debug(self, method: str, path: str, raw_body: bytes) -> Reply:
        if not self.debug_api:
            return _path_not_found(path)
        if path == DEBUG_PREFIX + "/requests":
            if method == "GET":
                return Reply(200, self.request_log())
            if method == "DELETE":
                self.clear_request_log()
                return Reply(200, [])
        if path == DEBUG_PREFIX + "/faults":
            if method == "GET":
                return Reply(200, self.faults.to_json())
            if method == "DELETE":
                self.faults.clear()
                return Reply(200, [])
            if method == "POST":
                try:
                    spec = json.loads(raw_body or b"null")
                    return Reply(201, self.faults.add(spec).to_json())
                except (ValueError, FaultSpecError) as exc:  # JSONDecodeError is a ValueError
                    return Reply(400, {"error": f"bad fault: {exc}"})
        match = re.fullmatch(re.escape(DEBUG_PREFIX) + r"/nodes/([^/]+)", path)
        if match and method == "PUT":
            return self._set_connection(match.group(1), raw_body)
        match = re.fullmatch(re.escape(DEBUG_PREFIX) + r"/faults/(\d+)", path)
        if match and method == "DELETE":
            if self.faults.remove(int(match.group(1))):
                return Reply(200, [])
            return Reply(404, {"error": f"no fault {match.group(1)}"})
        return Reply(404, {"error": f"unknown debug endpoint {method} {path}"})

    def _set_connection(self, node: str, raw_body: bytes) -> Reply:
        """``PUT /_emulator/nodes/{node}`` ``{"connection_status": "OFFLINE"}`` (or ``ONLINE``): the node's satellite
        goes away or comes back; replies with the node as ``GET /v1/nodes`` lists it."""
        try:
            body = json.loads(raw_body or b"null")
        except ValueError as exc:
            return Reply(400, {"error": f"bad body: {exc}"})
        status = body.get("connection_status") if isinstance(body, dict) else None
        if status not in ("ONLINE", "OFFLINE") or set(body) != {"connection_status"}:
            return Reply(400, {"error": 'bad body: give {"connection_status": "ONLINE"} or "OFFLINE"'})
        try:
            return Reply(200, self.backend.set_connection(node, status == "ONLINE"))
        except KeyError:
            return Reply(404, {"error": f"no node {node}"})


class _RequestHandler(BaseHTTPRequestHandler):
    server_version = "LinstorEmulator"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two sends; with Nagle on, a kept-alive client's delayed ACK
    # held every reply after the first by ~40 ms (bench/README.md). LINSTOR's server answers at once.
    disable_nagle_algorithm = True
    api: Api  # set on the subclass made by make_server
    verbose = False

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        reply = self.api.dispatch(self.command, self.path, raw, self.headers)
        if reply.drop:  # a fault: hang up without a word (the server closes the socket)
            self.close_connection = True
            return
        if reply.delay:
            time.sleep(reply.delay)
        data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        if self.verbose:
            super().log_message(format, *args)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # listen backlog: many clients connect at once in the race tests
    verbose = False
    ssl_context: ssl.SSLContext | None = None

    def finish_request(self, request, client_address) -> None:
        """Serve one connection; with TLS, the handshake first, here in the connection's own thread."""
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)  # takes over the socket
        except (ssl.SSLError, OSError) as exc:  # untrusted or missing client certificate, plain HTTP, ...
            if self.verbose:
                print(f"TLS handshake with {client_address[0]} failed: {exc}", file=sys.stderr)
            return
        try:
            tls.settimeout(None)
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.shutdown(socket.SHUT_RDWR)
            tls.close()

    def handle_error(self, request, client_address) -> None:
        # A client that hangs up mid-reply is not the emulator's error; stay quiet (a parent process
        # may hold our stderr in a pipe it never reads) unless --verbose.
        if self.verbose:
            super().handle_error(request, client_address)


def tls_context(cert: str, key: str | None = None, client_ca: str | None = None) -> ssl.SSLContext:
    """The server's TLS settings: its certificate chain, and with ``client_ca`` client certificates
    signed by that CA required (no other CA is trusted for them)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca)
    return context


def make_server(backend: Backend, host: str, port: int, debug_api: bool = False, verbose: bool = False,
                ssl_context: ssl.SSLContext | None = None,
                auth_token: str | None = None) -> tuple[EmulatorServer, Api]:
    api = Api(backend, debug_api, auth_token)
    handler = type("Handler", (_RequestHandler,), {"api": api, "verbose": verbose})
    server = EmulatorServer((host, port), handler)
    server.verbose = verbose
    server.ssl_context = ssl_context
    return server, api
