"""LINSTOR's ApiCallRc: return codes, reply entries and the typed error the backend raises.

Every ret_code value is declared here once. The numbers are those of LINSTOR's ApiConsts
(linstor-common, as shipped in python-linstor's ``linstor/sharedconsts.py``): the top two bits
give the type (error, warning, info, success), bits 25-26 the operation (create, modify,
delete), bits 18-22 the object, the low 15 bits the code. A reply's ret_code is the code OR'd
with the object and operation masks of the request, as the controller's ResponseConverter does.
On the wire the controller writes the 64-bit value as a signed Java long, so errors and
warnings (top bit set) are negative numbers in JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# -- type masks (bits 62-63) --
MASK_ERROR = 0xC000000000000000
MASK_WARN = 0x8000000000000000
MASK_INFO = 0x4000000000000000
MASK_SUCCESS = 0x0000000000000000
MASK_BITS_TYPE = 0xC000000000000000

# -- operation masks (bits 25-26) --
MASK_BITS_OP = 0x0000000003000000
MASK_CRT = 0x0000000001000000
MASK_MOD = 0x0000000002000000
MASK_DEL = 0x0000000003000000

# -- object masks (bits 18-22) --
MASK_BITS_OBJ = 0x00000000007C0000
MASK_VLM_GRP = 0x0000000000480000
MASK_RSC_GRP = 0x0000000000440000
MASK_NODE = 0x00000000003C0000
MASK_RSC_DFN = 0x0000000000380000
MASK_RSC = 0x0000000000340000
MASK_VLM_DFN = 0x0000000000300000
MASK_VLM = 0x00000000002C0000
MASK_STOR_POOL = 0x0000000000140000
MASK_SNAPSHOT = 0x00000000000C0000
MASK_CTRL_CONF = 0x0000000000100000

MASK_BITS_CODE = 0x0000000000007FFF

# -- success codes --
CREATED = 1 | MASK_SUCCESS
DELETED = 2 | MASK_SUCCESS
MODIFIED = 3 | MASK_SUCCESS

# -- errors: invalid input (200-299) --
FAIL_INVLD_NODE_NAME = 200 | MASK_ERROR
FAIL_INVLD_RSC_NAME = 202 | MASK_ERROR
FAIL_INVLD_RSC_PORT = 203 | MASK_ERROR
FAIL_INVLD_VLM_NR = 205 | MASK_ERROR
FAIL_INVLD_VLM_SIZE = 206 | MASK_ERROR
FAIL_INVLD_STOR_POOL_NAME = 208 | MASK_ERROR
FAIL_INVLD_PROP = 213 | MASK_ERROR
FAIL_INVLD_SNAPSHOT_NAME = 218 | MASK_ERROR
FAIL_INVLD_PLACE_COUNT = 219 | MASK_ERROR
FAIL_INVLD_LAYER_KIND = 224 | MASK_ERROR
FAIL_INVLD_LAYER_STACK = 225 | MASK_ERROR
FAIL_INVLD_VLM_SIZES = 228 | MASK_ERROR
FAIL_INVLD_REQUEST = 234 | MASK_ERROR
FAIL_INVLD_RSC_GRP_NAME = 237 | MASK_ERROR

# -- errors: not found (300-399, HTTP 404) --
FAIL_NOT_FOUND_NODE = 300 | MASK_ERROR
FAIL_NOT_FOUND_RSC_DFN = 301 | MASK_ERROR
FAIL_NOT_FOUND_RSC = 302 | MASK_ERROR
FAIL_NOT_FOUND_VLM_DFN = 303 | MASK_ERROR
FAIL_NOT_FOUND_STOR_POOL_DFN = 309 | MASK_ERROR
FAIL_NOT_FOUND_STOR_POOL = 310 | MASK_ERROR
FAIL_NOT_FOUND_SNAPSHOT_DFN = 313 | MASK_ERROR
FAIL_NOT_FOUND_SNAPSHOT_VLM_DFN = 314 | MASK_ERROR
FAIL_NOT_FOUND_SNAPSHOT = 315 | MASK_ERROR
FAIL_NOT_FOUND_RSC_GRP = 317 | MASK_ERROR
FAIL_NOT_FOUND_VLM_GRP = 318 | MASK_ERROR

# -- errors: access denied (400-499, HTTP 403) --
FAIL_ACC_DENIED_COMMAND = 412 | MASK_ERROR

# -- errors: already exists (500-599) --
FAIL_EXISTS_NODE = 500 | MASK_ERROR
FAIL_EXISTS_RSC_DFN = 501 | MASK_ERROR
FAIL_EXISTS_RSC = 502 | MASK_ERROR
FAIL_EXISTS_VLM_DFN = 503 | MASK_ERROR
FAIL_EXISTS_SNAPSHOT_DFN = 514 | MASK_ERROR
FAIL_EXISTS_SNAPSHOT = 516 | MASK_ERROR
FAIL_EXISTS_RSC_GRP = 522 | MASK_ERROR
FAIL_EXISTS_VLM_GRP = 523 | MASK_ERROR

# -- errors: pools exhausted (800-899) --
FAIL_POOL_EXHAUSTED_VLM_NR = 800 | MASK_ERROR
FAIL_POOL_EXHAUSTED_MINOR_NR = 801 | MASK_ERROR
FAIL_POOL_EXHAUSTED_TCP_PORT = 802 | MASK_ERROR
FAIL_POOL_EXHAUSTED_NODE_ID = 803 | MASK_ERROR

# -- other failures (900-999) --
FAIL_NOT_ENOUGH_FREE_SPACE = 980 | MASK_ERROR
FAIL_SNAPSHOTS_NOT_SUPPORTED = 994 | MASK_ERROR
FAIL_NOT_ALL_UPTODATE = 974 | MASK_ERROR
FAIL_NOT_CONNECTED = 995 | MASK_ERROR
FAIL_NOT_ENOUGH_NODES = 996 | MASK_ERROR
FAIL_IN_USE = 997 | MASK_ERROR
FAIL_UNKNOWN_ERROR = 998 | MASK_ERROR
FAIL_IMPL_ERROR = 999 | MASK_ERROR

# -- warnings --
WARN_NOT_CONNECTED = 1002 | MASK_WARN
WARN_DEL_UNSET_PROP = 1005 | MASK_WARN
WARN_RSC_ALREADY_DEPLOYED = 1006 | MASK_WARN
WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER = 1013 | MASK_WARN
WARN_VLMDFN_RESIZE_SAME_SIZE = 1023 | MASK_WARN
WARN_NOT_FOUND = 3000 | MASK_WARN
WARN_DEPRECATED = 4000 | MASK_WARN

# -- info --
INFO_NO_RSC_SPAWNED = 10000 | MASK_INFO
INFO_PROP_SET = 10002 | MASK_INFO
INFO_TIE_BREAKER_CREATED = 10003 | MASK_INFO
INFO_TIE_BREAKER_DELETING = 10004 | MASK_INFO
INFO_PROP_REMOVED = 10005 | MASK_INFO
INFO_TIE_BREAKER_TAKEOVER = 10006 | MASK_INFO

# -- special codes --
UNKNOWN_API_CALL = 0x0FFFFFFFFFFFFFFF | MASK_ERROR
API_CALL_PARSE_ERROR = 0x0FFFFFFFFFFFFFFD | MASK_ERROR

# -- object reference keys (ApiConsts.KEY_*) --
KEY_NODE = "Node"
KEY_RSC_DFN = "RscDfn"
KEY_RSC_GRP = "RscGrp"
KEY_VLM_GRP = "VlmGrp"
KEY_VLM_NR = "VlmNr"
KEY_SNAPSHOT = "Snapshot"
KEY_STOR_POOL = "StorPool"
KEY_UUID = "UUID"

_NOT_FOUND_CODES = range(300, 400)
_ACC_DENIED_CODES = range(400, 500)


def is_error(ret_code: int) -> bool:
    return (ret_code & MASK_BITS_TYPE) == MASK_ERROR


def is_warning(ret_code: int) -> bool:
    return (ret_code & MASK_BITS_TYPE) == MASK_WARN


def to_signed64(value: int) -> int:
    """The value as the controller's Java long serialises it."""
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value & (1 << 63) else value


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class RcEntry:
    """One ApiCallRc entry of a reply."""

    ret_code: int
    message: str
    cause: str | None = None
    details: str | None = None
    correction: str | None = None
    obj_refs: dict[str, str] = field(default_factory=dict)
    created_at: str = field(default_factory=_now_iso)

    @property
    def is_error(self) -> bool:
        return is_error(self.ret_code)

    def to_json(self) -> dict:
        """The entry as the controller writes it (empty fields left out, as Jackson does)."""
        reply: dict = {"ret_code": to_signed64(self.ret_code), "message": self.message}
        for key in ("cause", "details", "correction"):
            value = getattr(self, key)
            if value:
                reply[key] = value
        if self.obj_refs:
            reply["obj_refs"] = dict(self.obj_refs)
        reply["created_at"] = self.created_at
        return reply


@dataclass
class Context:
    """What the controller's ResponseContext adds to each entry of one request's reply."""

    op_mask: int
    obj_mask: int
    obj_refs: dict[str, str]
    description: str  # e.g. "Resource definition: rsc1"; appended to error details
    query: bool = False  # a GET: not-found replies carry the bare code and message only

    @classmethod
    def for_query(cls) -> Context:
        return cls(0, 0, {}, "", query=True)

    def _code(self, code: int) -> int:
        if code & MASK_BITS_OP == 0:
            code |= self.op_mask
        if code & MASK_BITS_OBJ == 0:
            code |= self.obj_mask
        return code

    def entry(self, code: int, message: str, *, details: str | None = None, cause: str | None = None,
              correction: str | None = None, refs: dict[str, str] | None = None) -> RcEntry:
        """A success, info or warning entry of this request's reply."""
        obj_refs = dict(refs or {})
        obj_refs.update(self.obj_refs)
        return RcEntry(self._code(code), message, cause=cause, details=details, correction=correction,
                       obj_refs=obj_refs)

    def error(self, code: int, message: str, *, cause: str | None = None, details: str | None = None,
              correction: str | None = None) -> LinstorError:
        """An exception carrying one entry, with the object description appended to details."""
        if self.query:
            return LinstorError([RcEntry(code, message)])
        joined = "\n".join(part for part in (details, self.description) if part)
        return LinstorError([RcEntry(self._code(code), message, cause=cause, details=joined or None,
                                     correction=correction, obj_refs=dict(self.obj_refs))])


class LinstorError(Exception):
    """A refused request: the ApiCallRc entries the controller answers with.

    The entries may be warnings only (e.g. deleting a missing resource definition), in which
    case the HTTP layer still answers 200, as the controller does.
    """

    def __init__(self, entries: list[RcEntry]):
        super().__init__(entries[0].message if entries else "LINSTOR error")
        self.entries = entries

    @property
    def ret_code(self) -> int:
        return self.entries[0].ret_code


def http_status(entries: list[RcEntry], success_status: int) -> int:
    """The HTTP status the controller gives a reply (ApiCallRcRestUtils.toResponse).

    The first error entry decides: codes 300-399 are 404, 400-499 are 403, anything else 500.
    A reply without errors keeps the operation's success status.
    """
    for entry in entries:
        if entry.is_error:
            code = entry.ret_code & MASK_BITS_CODE
            if code in _NOT_FOUND_CODES:
                return 404
            if code in _ACC_DENIED_CODES:
                return 403
            return 500
    return success_status
