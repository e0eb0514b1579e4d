"""State and LINSTOR's rules, kept in SQLite. No HTTP here (see ``rest.py``).

Each public method is one controller operation. Reads return plain dicts already in the shape of
the REST API's JSON objects; writes return the list of ApiCallRc entries of the reply, or raise
``LinstorError`` carrying the entries the controller would refuse with. Every write runs in one
SQLite transaction, committed before the method returns, so a reply is only sent for state that
is on disk (WAL journal, so a killed process loses nothing it acknowledged).

Tables are normalised: resource-definition properties live one row per key in ``rd_props`` with
an index on (key, value), so the ``props`` filters of the RD list are answered by SQL and a write
touches only its own rows, however many RDs there are.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from functools import cache
from json.encoder import encode_basestring_ascii as _quote  # json.dumps's own str encoder
from pathlib import Path

from . import errors as rc
from . import whitelist
from .errors import Context, LinstorError, RcEntry
from .names import (
    InvalidName,
    check_node_name,
    check_resource_group_name,
    check_resource_name,
    check_snapshot_name,
    check_storage_pool_name,
)

RELEASES = {"1.28.0": "1.23.0", "1.29.0": "1.23.0", "1.30.4": "1.24.0", "1.31.0": "1.25.0", "1.31.1": "1.25.1",
            "1.31.2": "1.25.1", "1.31.3": "1.25.1",
            "1.32.0": "1.26.0", "1.33.0": "1.27.0", "1.34.0": "1.28.0"}
"""LINSTOR release -> the REST API version it reports (JsonGenTypes.REST_API_VERSION of its tag)."""
VERSION = "1.34.0"
"""The release emulated by default: the first with REST API 1.28.0, the spec's (v1.34.0-rc.1)."""
REST_API_VERSION = RELEASES[VERSION]
CLONE_PROPS_REST_API = (1, 26)
"""From LINSTOR 1.32 (REST 1.26): a clone request takes override_props, delete_props and delete_namespaces,
and an RD modify whose only change is delete_namespaces applies it (CtrlRscDfnApiCallHandler)."""
ROLLBACK_RESETS_SIZES_RELEASE = (1, 31, 3)
"""From LINSTOR 1.31.3 a rollback sets the volume definitions back to the snapshot's sizes
(CtrlSnapshotRollbackApiCallHandler.resetVlmDfnsInTransaction)."""
CLONE_GROUP_REST_API = (1, 24)
"""From LINSTOR 1.30 (REST 1.24): a clone request takes resource_group and layer_list."""
ROLLBACK_RECREATES_RELEASE = (1, 31, 2)
"""From LINSTOR 1.31.2 a rollback restores the snapshot on its nodes and recreates the RD's other resources
("allow rollback if no local snapshot"); before, every diskful node needs the snapshot."""
CLONE_ERRORS_500_RELEASE = (1, 32, 2)
"""From LINSTOR 1.32.2 a clone that fails answers HTTP 500 (201 before), its errors in the clone-started object
either way (ResourceDefinitions.mapToCloneStarted)."""
CLONE_SOURCE_CHECKED_FIRST_RELEASE = (1, 33, 0)
"""From LINSTOR 1.33 a clone looks its source up before its transaction (getNodeNamesForClone), so a missing source
fails with a plain error reply; before, inside it, in the clone-started object like the clone's other errors."""
ROLLBACK_VIA_RESTORE_RELEASE = (1, 31, 0)
"""From LINSTOR 1.31 a rollback deletes the resources and restores the snapshot into the RD (a safety snapshot
guards it), and the restore copies the RD properties the snapshot captured onto the RD, over its own
(CtrlSnapshotRestoreApiCallHandler.restoreResourceInTransaction); until 1.32 for every storage, ZFS included."""
SNAPSHOT_PROPS_SPLIT_RELEASE = (1, 30, 0)
"""From LINSTOR 1.30 a snapshot lists the RD properties it captured (resource_definition_props) apart from its own
(snapshot_definition_props); before, one set held both. The deprecated props holds both either way (the captured RD
properties, then the snapshot's own over them: Json.apiToSnapshot)."""
SNAPSHOT_NO_RESOURCES_NAMED_RELEASE = (1, 31, 2)
"""From LINSTOR 1.31.2 the refusal of a snapshot of an RD without a diskful resource says "or no resources"
(CtrlSnapshotCrtHelper.ensureSnapshotsViable)."""
EXACT_SIZE_COUNT_RELEASE = (1, 29, 1)
"""From LINSTOR 1.29.1 the refusal to set DrbdOptions/ExactSize=true on a deployed RD names the resource count
(CtrlRscDfnApiCallHandler.checkProps); before, "must not be set to True when resources are deployed ..."."""
AUTO_QUORUM_RELEASE = (1, 31, 0)
"""From LINSTOR 1.31 ("Rework auto-quorum behaviour") the auto-quorum helper writes DrbdOptions/Resource/quorum on an
RD after each change of its resources, unless Internal/Drbd/QuorumSetBy says a user set the quorum
(CtrlRscAutoQuorumHelper). Before, DrbdOptions/auto-quorum (controller default io-error) ruled it: unless
``disabled``, the helper wrote quorum and on-no-quorum (its value) on the RD, and the tie-breaker followed it."""
PORTS_PER_RESOURCE_RELEASE = (1, 32, 0)
"""From LINSTOR 1.32 DRBD TCP ports belong to resources (``tcp_ports``), not to the RD: an RD's DRBD layer data reports
port -1 (Json.COMPAT_RD_PORT, "old clients / apipy still require a TCP port here")."""
COMPAT_RD_PORT = -1
ZFS_ROLLBACK_IN_PLACE_RELEASE = (1, 32, 0)
"""From LINSTOR 1.32 a volume on ZFS (all the emulator's disks are) is rolled back in place again (ZfsChecks), which
needs the snapshot on every diskful node (StorDriver/Zfs/RollbackStrategy=clone, which would restore instead, is
not in the emulator's whitelist: not played)."""


RESIZE_NEEDS_UP_TO_DATE_RELEASE = (1, 30, 4)
"""From LINSTOR 1.30.4 a volume definition's resize needs every diskful DRBD resource UpToDate, which one on an offline
node is not known to be (CtrlVlmDfnModifyApiCallHandler: allVolumesUpToDate(..., false)); before, it only warns."""


DELETE_FLAG_KEPT_IN_USE_RELEASES = ((1, 31, 0), (1, 33, 2))
"""From LINSTOR 1.31.0 (the delete split into truncate + delete) to before 1.33.2 (fixed: "delete set DELETE flag if
a resource was InUse"), the delete of an RD flags it DELETE and commits before it checks whether a resource is in
use; refused, the RD keeps the flag, its resources none (CtrlRscDfnDeleteApiCallHandler)."""


def _flag_deleted(db: sqlite3.Connection, table: str, key: str, value: int) -> None:
    """Add flag DELETE to the rows of ``table`` (rsc_dfns or resources) whose ``key`` is ``value``."""
    for flagged in db.execute(f"SELECT rowid AS row_id, flags FROM {table} WHERE {key} = ?", (value,)).fetchall():
        flags = json.loads(flagged["flags"])
        if "DELETE" not in flags:
            db.execute(f"UPDATE {table} SET flags = ? WHERE rowid = ?", (_dumps([*flags, "DELETE"]), flagged["row_id"]))


def _not_connected(node: str, ctx: Context | None = None) -> RcEntry:
    """LINSTOR's warning for an update its satellite on ``node`` cannot get (ResponseUtils.makeNotConnectedWarning),
    bare (a storage pool's report) or with a request's context."""
    message = f"No active connection to satellite '{node}'"
    details = ("The controller is trying to (re-) establish a connection to the satellite. The controller stored the "
               "changes and as soon the satellite is connected, it will receive this update.")
    if ctx is None:
        return RcEntry(rc.WARN_NOT_CONNECTED, message, details=details)
    return ctx.entry(rc.WARN_NOT_CONNECTED, message, details=details)


def _set_resource_disk(db: sqlite3.Connection, row: sqlite3.Row, flags: list[str], pool: str) -> None:
    """Give the resource ``row`` new ``flags`` and storage pool (its StorPoolName property with it), as a toggle
    of its disk does."""
    props = json.loads(row["props"]) | {KEY_STOR_POOL_NAME: pool}
    db.execute("UPDATE resources SET flags = ?, stor_pool = ?, props = ? WHERE rd = ? AND node = ?",
               (_dumps(flags), pool, _dumps(props), row["rd"], row["node"]))


def _live(resources: Iterable[list[str]]) -> list[list[str]]:
    """The flags of the resources the auto-helpers count: none being deleted or inactive."""
    return [flags for flags in resources if not {"DELETE", "INACTIVE"} & set(flags)]


def _namespace_walk(props: dict[str, str], namespace: str) -> list[str]:
    """The keys under ``namespace`` in the order CtrlConfApiCallHandler.deleteNamespace deletes them: its own keys
    (sorted, as a props container keeps them), then each sub-namespace's (sorted), recursively."""
    prefix = namespace.strip("/") + "/"
    below = sorted(key[len(prefix):] for key in props if key.startswith(prefix))
    own = [prefix + rest for rest in below if "/" not in rest]
    subspaces = sorted({rest.split("/", 1)[0] for rest in below if "/" in rest})
    return own + [key for sub in subspaces for key in _namespace_walk(props, prefix + sub)]


def _reads_auto_helper_keys(body: dict, auto_quorum_reworked: bool) -> bool:
    """Whether a modify sets or deletes a property the auto-helpers depend on (CtrlRscDfnApiCallHandler and
    CtrlRscGrpApiCallHandler run them then): the tie-breaker's, and the quorum's (from 1.31) or the auto-quorum's."""
    keys = set(body.get("override_props") or {}) | set(body.get("delete_props") or [])
    return bool(keys & {KEY_AUTO_TIE_BREAKER, KEY_QUORUM if auto_quorum_reworked else KEY_AUTO_QUORUM})


def _quorum_prop_updated(key: str, old: str | None, new: str, setter: str) -> str:
    """CtrlRscAutoQuorumHelper's message for a property it sets on an RD (``old`` None: "undefined")."""
    shown = "undefined" if old is None else f"'{old}'"
    return f"Resource-definition property '{key}' updated from {shown} to '{new}' by {setter}"


def _quorum_prop_removed(key: str) -> str:
    """CtrlRscAutoQuorumHelper's message for a property it drops from an RD whose quorum is not feasible."""
    return f"Resource-definition property '{key}' was removed as there are not enough resources for quorum"


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))

DEFAULT_RSC_GRP = "DfltRscGrp"
DISKLESS_POOL = "DfltDisklessStorPool"
DISKFUL_POOL = "pool1"
DISKFUL_PROVIDER = "ZFS_THIN"
POOL_TOTAL_KIB = 100 * 1024**3  # 100 TiB per node
TCP_PORT_MIN, TCP_PORT_MAX = 7000, 65535
MINOR_MIN, MINOR_MAX = 1000, 49999
MAX_NODE_ID = 31
DRBD_MIN_NET_KIB = 4
DRBD_MAX_KIB = 1 << 40
DFLT_RSC_GRP_FILTER = '{"place_count": 2}'
"""DfltRscGrp's select filter, as LINSTOR's migration Migration_2020_02_12_AddDefaultPlaceCountToRscGrp sets it."""
PEER_SLOTS = 7
KEY_CLONED_FROM = "cloned-from"  # InternalApiConsts.KEY_CLONED_FROM
KEY_SEQUENCE_NUMBER = "SequenceNumber"  # ApiConsts.KEY_SNAPSHOT_DFN_SEQUENCE_NUMBER
KEY_STOR_POOL_NAME = "StorPoolName"
KEY_EXACT_SIZE = "DrbdOptions/ExactSize"  # ApiConsts.NAMESPC_DRBD_OPTIONS + "/" + KEY_DRBD_EXACT_SIZE
KEY_AUTO_TIE_BREAKER = "DrbdOptions/auto-add-quorum-tiebreaker"  # ApiConsts.KEY_DRBD_AUTO_ADD_QUORUM_TIEBREAKER
AUTO_TIE_BREAKER_DEFAULT = "True"
"""The controller's value of KEY_AUTO_TIE_BREAKER, as LINSTOR's first database migration stores it (without one
anywhere, the tie-breaker is off: CtrlRscAutoTieBreakerHelper)."""
KEY_QUORUM = "DrbdOptions/Resource/quorum"  # InternalApiConsts.KEY_DRBD_QUORUM
KEY_QUORUM_SET_BY = "Internal/Drbd/QuorumSetBy"  # ApiConsts.NAMESPC_INTERNAL_DRBD + "/" + KEY_QUORUM_SET_BY
KEY_ON_NO_QUORUM = "DrbdOptions/Resource/on-no-quorum"
KEY_AUTO_QUORUM = "DrbdOptions/auto-quorum"  # ApiConsts.KEY_DRBD_AUTO_QUORUM, read before 1.31
AUTO_QUORUM_DEFAULT = "io-error"
"""The controller's value of KEY_AUTO_QUORUM, as LINSTOR's first database migration stores it; from 1.31 the
migration Migration_2025_02_19_AutoQuorumInheritRework replaces it with KEY_ON_NO_QUORUM of that value. Without
one anywhere, the auto-quorum before 1.31 is off (CtrlRscAutoQuorumHelper)."""
EXOS_PREFIX = "StorDriver/Exos/"
CONTROLLER_FREE_PREFIXES = ("Aux/", EXOS_PREFIX, "EBS/Tags/")
"""Controller property keys that skip the whitelist (CtrlConfApiCallHandler.setProp's ignoredKeys)."""
EXOS_REMOVED_RELEASE = (1, 32, 0)
"""The first LINSTOR release without the Exos driver, whose controller keys no longer skip the whitelist."""
DISKLESS_FLAGS = ["DISKLESS", "DRBD_DISKLESS"]
TIE_BREAKER_FLAGS = [*DISKLESS_FLAGS, "TIE_BREAKER"]
"""Flags as LINSTOR lists them (FlagsHelper.toStringList, in Resource.Flags order): DRBD_DISKLESS and TIE_BREAKER
include the bits of DISKLESS."""

PROP_KEY_MAX_LENGTH = 255
"""PropsContainer.PATH_MAX_LENGTH is 256, but a key of 256 characters counts 257 there (splitPath adds one)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS ctrl_props(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes(
    name TEXT PRIMARY KEY COLLATE NOCASE, type TEXT NOT NULL, address TEXT NOT NULL, uuid TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stor_pools(
    node TEXT NOT NULL COLLATE NOCASE REFERENCES nodes(name) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE, provider_kind TEXT NOT NULL, total_kib INTEGER NOT NULL,
    props TEXT NOT NULL, uuid TEXT NOT NULL, PRIMARY KEY(node, name));
CREATE TABLE IF NOT EXISTS rsc_grps(
    name TEXT PRIMARY KEY COLLATE NOCASE, description TEXT NOT NULL, select_filter TEXT NOT NULL,
    props TEXT NOT NULL, peer_slots INTEGER, uuid TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vlm_grps(
    rg TEXT NOT NULL COLLATE NOCASE REFERENCES rsc_grps(name) ON DELETE CASCADE,
    vlm_nr INTEGER NOT NULL, props TEXT NOT NULL, flags TEXT NOT NULL, uuid TEXT NOT NULL,
    PRIMARY KEY(rg, vlm_nr));
CREATE TABLE IF NOT EXISTS rsc_dfns(
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    rg TEXT NOT NULL COLLATE NOCASE REFERENCES rsc_grps(name),
    port INTEGER UNIQUE, secret TEXT NOT NULL, peer_slots INTEGER NOT NULL,
    flags TEXT NOT NULL, layer_stack TEXT NOT NULL, uuid TEXT NOT NULL, port_given INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS rsc_dfns_rg ON rsc_dfns(rg);
CREATE TABLE IF NOT EXISTS rd_props(
    rd INTEGER NOT NULL REFERENCES rsc_dfns(id) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY(rd, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rsc_dfns_sort ON rsc_dfns(upper(name));
CREATE INDEX IF NOT EXISTS rd_props_kv ON rd_props(key, value, rd);
CREATE TABLE IF NOT EXISTS vlm_dfns(
    rd INTEGER NOT NULL REFERENCES rsc_dfns(id) ON DELETE CASCADE, vlm_nr INTEGER NOT NULL,
    size_kib INTEGER NOT NULL, minor INTEGER UNIQUE, props TEXT NOT NULL, flags TEXT NOT NULL,
    uuid TEXT NOT NULL, PRIMARY KEY(rd, vlm_nr));
CREATE TABLE IF NOT EXISTS resources(
    rd INTEGER NOT NULL REFERENCES rsc_dfns(id) ON DELETE CASCADE,
    node TEXT NOT NULL COLLATE NOCASE REFERENCES nodes(name), node_id INTEGER NOT NULL,
    stor_pool TEXT NOT NULL, flags TEXT NOT NULL, props TEXT NOT NULL, uuid TEXT NOT NULL,
    created_ms INTEGER NOT NULL, PRIMARY KEY(rd, node));
CREATE INDEX IF NOT EXISTS resources_node ON resources(node, stor_pool);
CREATE TABLE IF NOT EXISTS snapshots(
    id INTEGER PRIMARY KEY, rd INTEGER NOT NULL REFERENCES rsc_dfns(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE, seq INTEGER NOT NULL, flags TEXT NOT NULL, props TEXT NOT NULL,
    rd_props TEXT NOT NULL, uuid TEXT NOT NULL, created_ms INTEGER NOT NULL, UNIQUE(rd, name));
CREATE TABLE IF NOT EXISTS snap_nodes(
    snap INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE, node TEXT NOT NULL COLLATE NOCASE,
    stor_pool TEXT NOT NULL, rsc_props TEXT NOT NULL, uuid TEXT NOT NULL, created_ms INTEGER NOT NULL,
    PRIMARY KEY(snap, node));
CREATE TABLE IF NOT EXISTS free_numbers(
    kind TEXT NOT NULL, number INTEGER NOT NULL, PRIMARY KEY(kind, number)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS rd_port_freed AFTER DELETE ON rsc_dfns WHEN OLD.port IS NOT NULL BEGIN
    INSERT OR IGNORE INTO free_numbers VALUES ('port', OLD.port); END;
CREATE TRIGGER IF NOT EXISTS rd_port_moved AFTER UPDATE OF port ON rsc_dfns BEGIN
    INSERT OR IGNORE INTO free_numbers SELECT 'port', OLD.port WHERE OLD.port IS NOT NULL;
    DELETE FROM free_numbers WHERE kind = 'port' AND number = NEW.port; END;
CREATE TRIGGER IF NOT EXISTS rd_port_taken AFTER INSERT ON rsc_dfns BEGIN
    DELETE FROM free_numbers WHERE kind = 'port' AND number = NEW.port; END;
CREATE TRIGGER IF NOT EXISTS vd_minor_freed AFTER DELETE ON vlm_dfns WHEN OLD.minor IS NOT NULL BEGIN
    INSERT OR IGNORE INTO free_numbers VALUES ('minor', OLD.minor); END;
CREATE TRIGGER IF NOT EXISTS vd_minor_taken AFTER INSERT ON vlm_dfns BEGIN
    DELETE FROM free_numbers WHERE kind = 'minor' AND number = NEW.minor; END;
CREATE TRIGGER IF NOT EXISTS vd_minor_set AFTER UPDATE OF minor ON vlm_dfns BEGIN
    DELETE FROM free_numbers WHERE kind = 'minor' AND number = NEW.minor; END;
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO counters VALUES ('rd_version', 0);
CREATE TABLE IF NOT EXISTS rd_versions(rd INTEGER PRIMARY KEY, version INTEGER NOT NULL);
INSERT OR IGNORE INTO rd_versions SELECT id, 0 FROM rsc_dfns;
CREATE TRIGGER IF NOT EXISTS rd_version_new AFTER INSERT ON rsc_dfns BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'rd_version';
    INSERT OR REPLACE INTO rd_versions VALUES (NEW.id, (SELECT value FROM counters WHERE name = 'rd_version')); END;
CREATE TRIGGER IF NOT EXISTS rd_version_gone AFTER DELETE ON rsc_dfns BEGIN
    DELETE FROM rd_versions WHERE rd = OLD.id; END;
CREATE TABLE IF NOT EXISTS snap_vlm_dfns(
    snap INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE, vlm_nr INTEGER NOT NULL,
    size_kib INTEGER NOT NULL, vd_props TEXT NOT NULL, PRIMARY KEY(snap, vlm_nr));
"""

# Every change to what an RD's listing item shows (its row, properties, volume definitions) gives
# the RD a new version, taken from one counter that never goes back, so that a version names one
# content for good; list_resource_definitions_json keeps each item's JSON under its RD's version.
_VERSION_BUMP = """CREATE TRIGGER IF NOT EXISTS {table}_{trigger}_version AFTER {event} ON {table} BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'rd_version';
    UPDATE rd_versions SET version = (SELECT value FROM counters WHERE name = 'rd_version') WHERE rd = {rd}; END;
"""
SCHEMA += "".join(_VERSION_BUMP.format(table=table, event=event, trigger=event.split()[0], rd=rd)
                  for table, event, rd in (
    # every column of the item but id
    ("rsc_dfns", "UPDATE OF name, rg, port, secret, peer_slots, flags, layer_stack, uuid", "NEW.id"),
    ("rd_props", "INSERT", "NEW.rd"), ("rd_props", "UPDATE", "NEW.rd"), ("rd_props", "DELETE", "OLD.rd"),
    ("vlm_dfns", "INSERT", "NEW.rd"), ("vlm_dfns", "UPDATE", "NEW.rd"), ("vlm_dfns", "DELETE", "OLD.rd")))


ID_CHUNK = 900
"""Ids per ``IN (...)`` query: below the 999 bound variables older SQLite builds allow in one statement."""


def _id_chunks(ids: list[int]) -> Iterator[tuple[list[int], str]]:
    """``ids`` in parts small enough for one ``IN (...)``, each with its placeholders (``?,?,...``)."""
    for start in range(0, len(ids), ID_CHUNK):
        part = ids[start:start + ID_CHUNK]
        yield part, ",".join("?" * len(part))


def _uuid() -> str:
    return str(uuid.uuid4())


def _now_ms() -> int:
    return int(time.time() * 1000)


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _caps(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rd_ctx(op: int, name: str) -> Context:
    return Context(op, rc.MASK_RSC_DFN, {rc.KEY_RSC_DFN: name}, f"Resource definition: {name}")


def _rg_ctx(op: int, name: str) -> Context:
    return Context(op, rc.MASK_RSC_GRP, {rc.KEY_RSC_GRP: name}, f"Resource group: {name}")


def _ctrl_ctx(op: int) -> Context:
    return Context(op, rc.MASK_CTRL_CONF, {}, "")


def _rsc_ctx(op: int, rd: str, node: str) -> Context:
    return Context(op, rc.MASK_RSC, {rc.KEY_RSC_DFN: rd, rc.KEY_NODE: node}, f"Node: {node}, Resource: {rd}")


def _restore_ctx(rd: str) -> Context:
    """Restoring resources into ``rd``, as CtrlSnapshotRestoreApiCallHandler.restoreResourceInTransaction reports
    what fails in it (the resource mask, no object references)."""
    return Context(rc.MASK_CRT, rc.MASK_RSC, {}, f"Resource: {rd}")


def _snap_ctx(op: int, rd: str, snap: str, nodes: list[str] | None = None) -> Context:
    description = f"Resource: {rd}, Snapshot: {snap}"
    if nodes:
        description = f"Nodes: {', '.join(nodes)}; {description}"
    return Context(op, rc.MASK_SNAPSHOT, {rc.KEY_RSC_DFN: rd, rc.KEY_SNAPSHOT: snap}, description)


# The select-filter fields a resource group reports (Json.apiToResourceGroup); the others are kept
# for placement but, as in LINSTOR, not shown.
RENDERED_FILTER_KEYS = ("place_count", "storage_pool", "storage_pool_list", "not_place_with_rsc",
                        "not_place_with_rsc_regex", "replicas_on_same", "replicas_on_different",
                        "x_replicas_on_different_map", "layer_stack", "provider_list", "diskless_on_remaining")


# The names LINSTOR parses, without case, into a layer kind (LinstorParsingUtils.asDeviceLayerKindOrNull) and a
# provider kind (asProviderKind); anything else is FAIL_INVLD_LAYER_KIND.
LAYER_KINDS = {"DRBD": "DRBD", "CRYPT": "LUKS", "CRYPT_SETUP": "LUKS", "LUKS": "LUKS", "STORAGE": "STORAGE",
               "LVM": "STORAGE", "SPDK": "STORAGE", "ZFS": "STORAGE", "NVME": "NVME", "WRITECACHE": "WRITECACHE",
               "CACHE": "CACHE", "BCACHE": "BCACHE"}
PROVIDER_KINDS = {"DRBD_DISKLESS": "DISKLESS", "DRBDDISKLESS": "DISKLESS", "DISKLESS": "DISKLESS", "LVM": "LVM",
                  "LVMTHIN": "LVM_THIN", "LVM_THIN": "LVM_THIN", "ZFS": "ZFS", "ZFSTHIN": "ZFS_THIN",
                  "ZFS_THIN": "ZFS_THIN", "FILE": "FILE", "FILE_THIN": "FILE_THIN", "SPDK": "SPDK",
                  "REMOTE_SPDK": "REMOTE_SPDK", "EBS_TARGET": "EBS_TARGET", "EBS_INIT": "EBS_INIT",
                  "STORAGE_SPACES": "STORAGE_SPACES", "STORAGE_SPACES_TARGET": "STORAGE_SPACES",
                  "STORAGE_SPACES_THIN": "STORAGE_SPACES_THIN", "STORAGE_SPACES_THIN_TARGET": "STORAGE_SPACES_THIN"}


def parse_kinds(ctx: Context, names: list, kinds: dict[str, str], what: str) -> list[str]:
    """``names`` as LINSTOR parses them into layer or provider kinds (``what``: "layer", "provider")."""
    parsed = []
    for name in names:
        kind = kinds.get(name.upper()) if isinstance(name, str) else None
        if kind is None:
            raise ctx.error(rc.FAIL_INVLD_LAYER_KIND, f"Given {what} kind '{name}' is invalid")
        parsed.append(kind)
    return parsed


def _java_string_hash(text: str) -> int:
    """java.lang.String.hashCode (over UTF-16 code units, 32-bit signed arithmetic)."""
    value = 0
    data = text.encode("utf-16-be")
    for index in range(0, len(data), 2):
        value = (31 * value + int.from_bytes(data[index:index + 2], "big")) & 0xFFFFFFFF
    return value


def java_hash_set_order(items: Iterable[str], minimum_capacity: int = 16) -> list[str]:
    """``items`` in the order a ``new HashSet<>(items)`` iterates them, as LINSTOR's REST layer copies
    ``delete_props`` into one: by bucket (HashMap.hash, the table sized for the items), then as added.
    ``minimum_capacity`` 1: the order of a ``new HashMap<>(map)`` copy of a map with these keys."""
    unique = list(dict.fromkeys(items))
    capacity = 1
    while capacity < max(int(len(unique) / 0.75) + 1, minimum_capacity):
        capacity *= 2

    def bucket(key: str) -> int:
        value = _java_string_hash(key)
        return (value ^ (value >> 16)) & (capacity - 1)

    return sorted(unique, key=bucket)  # sorted() is stable: a bucket keeps the order the keys were added in


def prop_change_entries(obj_mask: int, override: dict | None, delete: Iterable[str] | None) -> list[RcEntry]:
    """What CtrlPropsHelper.fillProperties and .remove add to a modify's reply: one entry naming the keys set, one
    naming the keys deleted, with the object's LinStorObject mask and their own operation bits, no object
    references (all releases the emulator plays)."""
    entries = []
    if override:
        entries.append(RcEntry(obj_mask | rc.MASK_CRT | rc.CREATED,
                               "Successfully set property key(s): " + ",".join(override)))
    if delete:
        entries.append(RcEntry(obj_mask | rc.MASK_DEL | rc.DELETED,
                               "Successfully deleted property key(s): " + ",".join(java_hash_set_order(delete))))
    return entries


def _derived_uuid(parent: str, part: object) -> str:
    """A stable UUID of its own for an object the state keeps no row for (a node's interface, a snapshot volume)."""
    return str(uuid.uuid5(uuid.UUID(parent), str(part)))


def refuse_external_name(ctx: Context, name: str, external_name: str | None) -> None:
    """LINSTOR makes a resource name from an external name when no name is given (ExternalNameConverter);
    the emulator does not, and says so rather than call the missing name invalid."""
    if not name and external_name:
        raise ctx.error(rc.FAIL_INVLD_RSC_NAME, f"The emulator does not make a resource name from the external name "
                        f"'{external_name}' as LINSTOR does; give the name.")


LAYER_ORDER = ("DRBD", "LUKS", "NVME", "WRITECACHE", "CACHE", "BCACHE", "STORAGE")
"""DeviceLayerKind's declaration order, which its enum compares by."""


def listed_layers(stack: list[str], drbd_data: bool) -> list[str]:
    """The layers an RD or volume definition lists in ``layer_data``: those of the RD's layer stack and those it
    has layer data of (DRBD, when ``drbd_data``), once each, in DeviceLayerKind order, as
    ResourceDefinition.getApiData / VolumeDefinition.getApiData collect them in a TreeSet."""
    kinds = set(stack) | ({"DRBD"} if drbd_data else set())
    return [kind for kind in LAYER_ORDER if kind in kinds]


def parse_filter_kinds(ctx: Context, select_filter: dict) -> dict:
    """``select_filter`` with its layer stack and provider list parsed as LINSTOR parses them."""
    parsed = dict(select_filter)
    for key, kinds, what in (("layer_stack", LAYER_KINDS, "layer"), ("provider_list", PROVIDER_KINDS, "provider")):
        if parsed.get(key) is not None:
            parsed[key] = parse_kinds(ctx, parsed[key], kinds, what)
    return parsed


def merge_filter(base: dict, override: dict) -> dict:
    """``override``'s set fields over ``base``; ``storage_pool`` and ``storage_pool_list`` are one field
    (LINSTOR keeps a single storage pool name list), stored as ``storage_pool_list``."""
    merged = {k: v for k, v in base.items() if k != "storage_pool"}
    if base.get("storage_pool") and not base.get("storage_pool_list"):
        merged["storage_pool_list"] = [base["storage_pool"]]
    for key, value in override.items():
        if value is None or value == [] or key == "storage_pool":
            continue
        merged[key] = value
    if not override.get("storage_pool_list") and override.get("storage_pool"):
        merged["storage_pool_list"] = [override["storage_pool"]]
    return merged


def render_filter(stored: dict) -> dict:
    shown = {}
    for key in RENDERED_FILTER_KEYS:
        if key == "storage_pool":
            pools = stored.get("storage_pool_list") or []
            if len(pools) == 1:
                shown["storage_pool"] = pools[0]
        elif stored.get(key) not in (None, [], {}, ""):
            shown[key] = stored[key]
    return shown


def parse_prop_filters(filters: Iterable[str]) -> list[tuple[str, str | None]]:
    """``key=value`` (equality) or ``key`` (presence), split at the first '='."""
    parsed = []
    for item in filters:
        if "=" in item:
            key, value = item.split("=", 1)
            parsed.append((key, value))
        else:
            parsed.append((item, None))
    return parsed


# The RD list as the REST route sends it (Backend.list_resource_definitions_json): each RD's JSON
# text, as json.dumps writes Backend._rd_json / Backend._vd_json, built by SQLite. json_quote
# quotes as json.dumps does every ASCII character but DEL; an item holding DEL or a non-ASCII
# character, NULL or char(127) (layer data other than none at all or DRBD with its data, STORAGE; a
# stored JSON column with a \u escape, which json_each would decode to NUL or a lone surrogate, or a
# value of an unexpected JSON type) is built in Python from the dicts instead.
_JSON_LIST_SQL = """CASE WHEN {col} = '[]' THEN '[]' WHEN instr({col}, '\\u') THEN char(127) ELSE (SELECT '['
    || group_concat(CASE j.type WHEN 'text' THEN json_quote(j.value) ELSE char(127) END, ', ') || ']'
    FROM json_each({col}) j) END"""
_JSON_PROPS_SQL = """CASE WHEN {col} = '{{}}' THEN '{{}}' WHEN instr({col}, '\\u') THEN char(127) ELSE (SELECT '{{'
    || group_concat(CASE j.type WHEN 'text' THEN json_quote(j.key) || ': ' || json_quote(j.value) ELSE char(127)
    END, ', ') || '}}' FROM json_each({col}) j) END"""
_RD_ITEM_SQL = """'{"name": ' || json_quote(d.name) || ', "props": {' || coalesce((SELECT group_concat(
    json_quote(p.key) || ': ' || json_quote(p.value), ', ') FROM (SELECT key, value FROM rd_props WHERE rd = d.id
    ORDER BY key) p), '') || '}, "flags": ' || """ + _JSON_LIST_SQL.format(col="d.flags") + """ || ', "layer_data": '
    || CASE WHEN d.layer_stack = '["DRBD","STORAGE"]' AND d.port IS NOT NULL THEN '[{"type": "DRBD", "data": {'
    || '"resource_name_suffix": "", "peer_slots": ' || d.peer_slots || ', "al_stripes": 1, "al_stripe_size_kib": 32, '
    || '"port": ' || {port} || ', "transport_type": "IP", "secret": ' || json_quote(d.secret) || ', "down": false}}, '
    || '{"type": "STORAGE"}]' WHEN d.layer_stack = '[]' AND d.port IS NULL THEN '[]' END
    || ', "uuid": ' || json_quote(d.uuid) || ', "resource_group_name": ' || json_quote(d.rg)"""
_RD_VDS_SQL = """ || ', "volume_definitions": [' || coalesce((SELECT group_concat('{"volume_number": ' || v.vlm_nr
    || ', "size_kib": ' || v.size_kib || ', "props": ' || """ + _JSON_PROPS_SQL.format(col="v.props") + """
    || ', "flags": ' || """ + _JSON_LIST_SQL.format(col="v.flags") + """ || ', "uuid": ' || json_quote(v.uuid)
    || ', "layer_data": ' || CASE WHEN d.layer_stack = '["DRBD","STORAGE"]' AND v.minor IS NOT NULL
    THEN '[{"type": "DRBD", "data": {"resource_name_suffix": "", "volume_number": ' || v.vlm_nr
    || ', "minor_number": ' || v.minor || '}}, {"type": "STORAGE"}]' WHEN d.layer_stack = '[]' AND v.minor IS NULL
    THEN '[]' ELSE char(127) END || '}', ', ') FROM (SELECT * FROM vlm_dfns
    WHERE rd = d.id ORDER BY vlm_nr) v), '') || ']'"""


def _sqlite_quotes_as_json() -> bool:
    """Whether this SQLite's json_quote writes every ASCII character but DEL as json.dumps does."""
    sample = "".join(map(chr, range(127))) + 'a"b\\c/'
    with closing(sqlite3.connect(":memory:")) as db:
        try:
            return db.execute("SELECT json_quote(?)", (sample,)).fetchone()[0] == _quote(sample)
        except sqlite3.Error:  # no JSON functions in this build
            return False


_LONG = re.compile(r"[+-]?[0-9]+")
_RANGE = re.compile(r"\((-?[0-9]+) - (-?[0-9]+)\)")


def _java_long(text: str) -> int | None:
    """Long.parseLong: an optional sign and decimal digits, within 64 bits; else None."""
    if not _LONG.fullmatch(text):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


@cache
def _java_pattern(pattern: str) -> re.Pattern:
    """A rule's Java regular expression for Python's ``re``: Java's ``.`` matches no line terminator
    (\\n, \\r, U+0085, U+2028, U+2029), Python's only misses \\n. Nothing else in the rules differs."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "." and not in_class:
            out.append("[^\\n\\r\\x85\\u2028\\u2029]")
            continue
        out.append(char)
    return re.compile("".join(out))


def _in_range(pattern: str, text: str) -> bool:
    low, high = (int(part) for part in _RANGE.match(pattern).groups())
    number = _java_long(text)
    return number is not None and low <= number <= high


def prop_value_problem(rule: dict[str, str], value: str) -> str | None:
    """Why the controller refuses ``value`` for a whitelisted key (the rule's getErrorMsg), or None.

    The rule is a PropsInfo of whitelist.py; its ``value`` is the rule's pattern, which is all the
    check needs (Property.isValid of linstor-server v1.28.0's rule classes)."""
    kind, pattern, unit = rule["prop_type"], rule.get("value", ""), rule.get("unit")
    if kind == "string":
        return None
    if kind == "long":
        if _java_long(value) is not None:
            return None
        return f"This value contains {unit} and has to be of type Long." if unit else \
            "This value has to be of type Long."
    if kind == "boolean":
        valid = value.lower() in ("yes", "no")
        message = "This value must be either 'yes' or 'no'."
    elif kind == "boolean_true_false":
        valid = value.lower() in ("true", "false", "yes", "no")
        message = "This value must be either 'yes', 'no', 'true' or 'false'."
    else:
        if kind == "range":
            valid = _in_range(pattern, value)
        elif kind == "numeric_or_symbol":
            range_part, symbols = pattern.split(" or ", 1)
            valid = _in_range(range_part, value) if _java_long(value) is not None else \
                _java_pattern(symbols).fullmatch(value) is not None
        else:  # regex (symbol lists are regex rules too)
            valid = _java_pattern(pattern).fullmatch(value) is not None
        message = f"This value  has to match {pattern} {unit}." if unit else f"This value has to match {pattern}."
    return None if valid else message


def normalize_prop_value(rule: dict[str, str], value: str) -> str:
    """Property.normalize: DRBD booleans lower-cased, true/false rules written ``true`` or ``false``."""
    if rule["prop_type"] == "boolean":
        return value.lower()
    if rule["prop_type"] == "boolean_true_false":
        return "true" if value.lower() in ("true", "yes") else "false"
    return value


class Backend:
    """One emulated LINSTOR controller, its state in the SQLite file at ``path``."""

    _sql_json = _sqlite_quotes_as_json()  # else list_resource_definitions_json builds every item in Python

    def __init__(self, path: str | Path, nodes: int = 3, synchronous: str = "NORMAL", linstor_version: str = VERSION):
        self.path = str(path)
        self.linstor_version = linstor_version
        self.rest_api_version = RELEASES[linstor_version]
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._listed_items: dict[bool, dict[int, tuple[int, str]]] = {False: {}, True: {}}
        """Per ``with_volume_definitions``: RD id -> (version, listing item) of the last listing."""
        self._offline: set[str] = set()
        """The nodes (lower-case) whose satellite is not connected (:meth:`set_connection`); a controller that starts
        connects to every satellite, so this is not kept in the state file."""
        with self._lock:
            self._db.executescript(SCHEMA)  # idempotent: IF NOT EXISTS throughout
            columns = {row["name"] for row in self._db.execute("PRAGMA table_info(rsc_dfns)")}
            if "port_given" not in columns:  # a state file from before the column: no port was given then
                self._db.execute("ALTER TABLE rsc_dfns ADD COLUMN port_given INTEGER NOT NULL DEFAULT 0")
        with self._tx():
            if self._db.execute("SELECT 1 FROM meta WHERE key='seeded'").fetchone() is None:
                self._seed(nodes)
            if self._db.execute("SELECT 1 FROM meta WHERE key='controller_props_seeded'").fetchone() is None:
                self._seed_controller_props()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the process-wide lock; committed on success, else rolled back."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

    def _seed(self, count: int) -> None:
        db = self._db
        for index in range(1, count + 1):
            name = f"node{index}"
            db.execute("INSERT INTO nodes VALUES (?, 'SATELLITE', ?, ?)", (name, f"10.0.0.{index}", _uuid()))
            db.execute("INSERT INTO stor_pools VALUES (?, ?, 'DISKLESS', 0, '{}', ?)", (name, DISKLESS_POOL, _uuid()))
            db.execute(
                "INSERT INTO stor_pools VALUES (?, ?, ?, ?, ?, ?)",
                (name, DISKFUL_POOL, DISKFUL_PROVIDER, POOL_TOTAL_KIB,
                 _dumps({"StorDriver/StorPoolName": "tank/linstor", "StorDriver/ZPoolThin": "tank/linstor"}), _uuid()),
            )
        db.execute("INSERT INTO rsc_grps VALUES (?, '', ?, '{}', NULL, ?)", (DEFAULT_RSC_GRP, DFLT_RSC_GRP_FILTER,
                                                                           _uuid()))
        db.execute("INSERT INTO meta VALUES ('seeded', ?)", (str(count),))

    def _seed_controller_props(self) -> None:
        """The controller properties the emulator plays, as LINSTOR's migrations leave them for the release it answers
        as when the state file is first served (a state file from before the emulator kept them gets them then)."""
        props = {KEY_AUTO_TIE_BREAKER: AUTO_TIE_BREAKER_DEFAULT}
        props |= {KEY_ON_NO_QUORUM if self._auto_quorum_reworked else KEY_AUTO_QUORUM: AUTO_QUORUM_DEFAULT}
        self._db.executemany("INSERT OR IGNORE INTO ctrl_props VALUES (?, ?)", props.items())
        self._db.execute("INSERT INTO meta VALUES ('controller_props_seeded', ?)", (self.linstor_version,))

    @staticmethod
    def _check_props(ctx: Context, props: dict, rules: dict[str, dict[str, str]] = whitelist.RESOURCE_DEFINITION,
                     delete: Iterable[str] = ()) -> dict:
        """CtrlPropsHelper.fillProperties against ``rules`` (whitelist.py): ``props`` with each value in the
        form the controller stores it (booleans lower-cased, true/false rules as ``true``/``false``),
        or the first refusal. ``delete`` (keys to delete) must be whitelisted too (CtrlPropsHelper.remove)."""
        checked = {}
        for key, value in props.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ctx.error(rc.FAIL_INVLD_PROP, "Invalid property value",
                                cause=f"The value '{value}' is not valid for the key '{key}'")
            if key.startswith(whitelist.FREE_PREFIXES):
                if (key.endswith("/") or "//" in key or len(key) > PROP_KEY_MAX_LENGTH) and key.startswith("Aux/"):
                    raise ctx.error(rc.FAIL_INVLD_PROP, "Invalid key.", cause=f"The key '{key}' is invalid.")
                checked[key] = value
                continue
            rule = rules.get(key)
            if rule is None:
                raise ctx.error(rc.FAIL_INVLD_PROP, "Invalid property key",
                                cause=f"The key '{key}' is not whitelisted.")
            problem = prop_value_problem(rule, value)
            if problem is not None:
                raise ctx.error(rc.FAIL_INVLD_PROP, "Invalid property value",
                                cause=f"The value '{value}' is not valid for the key '{key}'", details=problem)
            checked[key] = normalize_prop_value(rule, value)
        for key in delete:
            if not key.startswith(whitelist.FREE_PREFIXES) and key not in rules:
                raise ctx.error(rc.FAIL_INVLD_PROP, "Invalid property key",
                                cause=f"The key '{key}' is not whitelisted.")
        return checked

    @staticmethod
    def _apply_prop_changes(props: dict, override: dict | None, delete: Iterable[str] | None,
                            namespaces: Iterable[str] | None) -> dict:
        result = dict(props)
        result.update(override or {})
        for key in delete or ():
            result.pop(key, None)
        for namespace in namespaces or ():
            prefix = namespace.rstrip("/") + "/"
            for key in [k for k in result if k.startswith(prefix)]:
                del result[key]
        return result

    # ------------------------------------------------------------------ lookups (inside a transaction)

    def _rd_row(self, db: sqlite3.Connection, name: str) -> sqlite3.Row | None:
        return db.execute("SELECT * FROM rsc_dfns WHERE name = ?", (name,)).fetchone()

    @staticmethod
    def _check_rd_name(ctx: Context, name: str) -> None:
        """LinstorParsingUtils.asRscName: every look-up parses the name first."""
        try:
            check_resource_name(name)
        except InvalidName as exc:
            if ctx.query:
                raise LinstorError([RcEntry(rc.FAIL_INVLD_RSC_NAME,
                                            f"The specified resource name '{name}' is invalid.",
                                            cause=str(exc))]) from None
            raise ctx.error(rc.FAIL_INVLD_RSC_NAME, f"The specified resource name '{name}' is invalid.",
                            cause=str(exc)) from None

    def _load_rd(self, db: sqlite3.Connection, ctx: Context, name: str) -> sqlite3.Row:
        self._check_rd_name(ctx, name)
        row = self._rd_row(db, name)
        if row is None:
            raise ctx.error(
                rc.FAIL_NOT_FOUND_RSC_DFN, f"Resource definition '{name}' not found.",
                cause=f"The specified resource definition '{name}' could not be found in the database",
                correction=f"Create a resource definition with the name '{name}' first.")
        return row

    def _rd_for_rest_list(self, db: sqlite3.Connection, name: str) -> sqlite3.Row:
        """The RD of a REST sub-list (VolumeDefinitions.listVolumeDefinition, Snapshots.listSnapshots): looked for
        among all RDs by name without case, the name not parsed, so an invalid one is not found either (404)."""
        row = self._rd_row(db, name)
        if row is None:
            raise LinstorError([RcEntry(rc.FAIL_NOT_FOUND_RSC_DFN, f"Resource definition '{name}' not found.")])
        return row

    def _load_rg(self, db: sqlite3.Connection, ctx: Context, name: str) -> sqlite3.Row:
        try:  # LinstorParsingUtils.asRscGrpName: every look-up parses the name first
            check_resource_group_name(name)
        except InvalidName as exc:
            message = f"The given resource group name '{name}' is invalid."
            if ctx.query:
                raise LinstorError([RcEntry(rc.FAIL_INVLD_RSC_GRP_NAME, message, cause=str(exc))]) from None
            raise ctx.error(rc.FAIL_INVLD_RSC_GRP_NAME, message, cause=str(exc)) from None
        row = db.execute("SELECT * FROM rsc_grps WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ctx.error(
                rc.FAIL_NOT_FOUND_RSC_GRP, f"Resource group '{name}' not found.",
                cause=f"The specified resource group '{name}' could not be found in the database",
                correction=f"Create a resource group with the name '{name}' first.")
        return row

    def _load_node(self, db: sqlite3.Connection, ctx: Context, name: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM nodes WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ctx.error(
                rc.FAIL_NOT_FOUND_NODE, f"Node '{name}' not found.",
                cause=f"The specified node '{name}' could not be found in the database",
                correction=f"Create a node with the name '{name}' first.")
        return row

    def _load_snapshot(self, db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row, name: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM snapshots WHERE rd = ? AND name = ?", (rd["id"], name)).fetchone()
        if row is None:
            raise ctx.error(rc.FAIL_NOT_FOUND_SNAPSHOT_DFN,
                            f"Snapshot '{name}' of resource '{rd['name']}' not found.")
        return row

    @staticmethod
    def _layer_stack(db: sqlite3.Connection, rd_id: int) -> list[str]:
        """The RD's layer stack as it stands in this transaction (empty until its first resource sets one)."""
        return json.loads(db.execute("SELECT layer_stack FROM rsc_dfns WHERE id = ?", (rd_id,)).fetchone()[0])

    @staticmethod
    def _rg_props(db: sqlite3.Connection, rd: sqlite3.Row) -> dict:
        """The properties of the RD's resource group ({} if it has none)."""
        rg = db.execute("SELECT props FROM rsc_grps WHERE name = ?", (rd["rg"],)).fetchone()
        return json.loads(rg["props"]) if rg else {}

    def _rd_props(self, db: sqlite3.Connection, rd_id: int) -> dict:
        return {r["key"]: r["value"] for r in db.execute("SELECT key, value FROM rd_props WHERE rd = ?", (rd_id,))}

    def _set_rd_props(self, db: sqlite3.Connection, rd_id: int, old: dict, new: dict) -> None:
        for key in old.keys() - new.keys():
            db.execute("DELETE FROM rd_props WHERE rd = ? AND key = ?", (rd_id, key))
        for key, value in new.items():
            if old.get(key) != value:
                db.execute("INSERT OR REPLACE INTO rd_props VALUES (?, ?, ?)", (rd_id, key, value))

    @staticmethod
    def _free_number(db: sqlite3.Connection, kind: str, table: str, column: str, low: int, high: int) -> int | None:
        """The lowest number given back by a delete, else the highest in use + 1: index look-ups only.

        Triggers keep ``free_numbers`` up to date. Only when the top of the range is reached is the
        whole column searched for a gap.
        """
        freed = db.execute("SELECT MIN(number) FROM free_numbers WHERE kind = ? AND number BETWEEN ? AND ?",
                           (kind, low, high)).fetchone()[0]
        if freed is not None:
            return freed
        top = db.execute(f"SELECT MAX({column}) FROM {table}").fetchone()[0]
        if top is None:
            return low
        if top < high:
            return max(top + 1, low)
        if db.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (low,)).fetchone() is None:
            return low
        gap = db.execute(
            f"SELECT a.{column} + 1 FROM {table} a WHERE a.{column} >= ? AND a.{column} < ? AND NOT EXISTS "
            f"(SELECT 1 FROM {table} b WHERE b.{column} = a.{column} + 1) ORDER BY a.{column} LIMIT 1",
            (low, high)).fetchone()
        return gap[0] if gap else None

    def _alloc_port(self, db: sqlite3.Connection, ctx: Context, wanted: int | None) -> int:
        if wanted is not None:
            if not TCP_PORT_MIN <= wanted <= TCP_PORT_MAX:
                raise ctx.error(rc.FAIL_INVLD_RSC_PORT, f"The given TCP port '{wanted}' is invalid.")
            if db.execute("SELECT 1 FROM rsc_dfns WHERE port = ?", (wanted,)).fetchone():
                raise ctx.error(rc.FAIL_INVLD_RSC_PORT, f"The TCP port '{wanted}' is already in use.")
            return wanted
        port = self._free_number(db, "port", "rsc_dfns", "port", TCP_PORT_MIN, TCP_PORT_MAX)
        if port is None:
            raise ctx.error(rc.FAIL_POOL_EXHAUSTED_TCP_PORT, "Could not find free TCP port",
                            cause=f"All TCP ports in the range {TCP_PORT_MIN}-{TCP_PORT_MAX} are in use")
        return port

    def _alloc_minor(self, db: sqlite3.Connection, ctx: Context) -> int:
        minor = self._free_number(db, "minor", "vlm_dfns", "minor", MINOR_MIN, MINOR_MAX)
        if minor is None:
            raise ctx.error(rc.FAIL_POOL_EXHAUSTED_MINOR_NR, "Could not find free minor number")
        return minor

    # ------------------------------------------------------------------ controller, nodes, storage pools

    def controller_version(self) -> dict:
        return {"version": self.linstor_version, "git_hash": "linstor-emulator",
                "build_time": "2024-06-01T00:00:00+00:00", "rest_api_version": self.rest_api_version}

    # ------------------------------------------------------------------ controller properties

    def controller_props(self) -> dict[str, str]:
        """``GET /v1/controller/properties`` (CtrlConfApiCallHandler.listProps): the keys sorted, as its TreeMap."""
        with self._read() as db:
            return self._controller_props(db)

    def modify_controller_props(self, body: dict) -> list[RcEntry]:
        """``POST /v1/controller/properties`` (CtrlConfApiCallHandler.modifyCtrl): each key set, then each deleted,
        then each namespace's keys deleted, one entry per key; the first refusal undoes the whole request. Keys are
        checked against the resource-definition whitelist (LINSTOR's controller list holds those and more).

        From 1.31 (handleAutoQuorum): ``DrbdOptions/auto-quorum`` is not stored (WARN_DEPRECATED beside its
        success entry); the quorum key is stored with ``Internal/Drbd/QuorumSetBy`` ``user`` (a delete takes the
        mark with it); a change of it or of the tie-breaker key runs the auto-helpers on every RD, each RD's quorum
        first dropped when LINSTOR set it. Before, they are plain properties that RDs read at their next change."""
        ctx = _ctrl_ctx(rc.MASK_CRT)
        override = body.get("override_props") or {}
        deleted = body.get("delete_props") or []
        reworked = self._auto_quorum_reworked
        entries = []
        with self._tx() as db:
            for key in java_hash_set_order(override, minimum_capacity=1):
                value = self._controller_value(ctx, key, override[key])
                if reworked and key == KEY_AUTO_QUORUM:
                    entries.append(ctx.entry(rc.WARN_DEPRECATED, f"{key} is deprecated, please use {KEY_QUORUM}"))
                else:
                    db.execute("INSERT OR REPLACE INTO ctrl_props VALUES (?, ?)", (key, value))
                if reworked and key == KEY_QUORUM:
                    db.execute("INSERT OR REPLACE INTO ctrl_props VALUES (?, 'user')", (KEY_QUORUM_SET_BY,))
                entries.append(ctx.entry(rc.CREATED, f"Successfully set property '{key}' to value '{value}'"))
            ctx = _ctrl_ctx(rc.MASK_DEL)
            for key in java_hash_set_order(deleted):
                entries.append(self._delete_controller_prop(db, ctx, key))
            for namespace in java_hash_set_order(body.get("delete_namespaces") or []):
                for key in _namespace_walk(self._controller_props(db), namespace):
                    entries.append(self._delete_controller_prop(db, ctx, key))
            if reworked and _reads_auto_helper_keys(body, reworked):
                rds = db.execute("SELECT * FROM rsc_dfns ORDER BY upper(name)").fetchall()
                entries += self._rerun_auto_helpers(db, rds)
        return entries

    def delete_controller_prop(self, key: str) -> list[RcEntry]:
        """``DELETE /v1/controller/properties/{key}`` (CtrlConfApiCallHandler.deletePropWithCommit; no helper runs)."""
        with self._tx() as db:
            return [self._delete_controller_prop(db, _ctrl_ctx(rc.MASK_DEL), key)]

    @property
    def _controller_free_prefixes(self) -> tuple[str, ...]:
        """Controller property keys that skip the whitelist (CtrlConfApiCallHandler.setProp's ignoredKeys)."""
        if version_tuple(self.linstor_version) >= EXOS_REMOVED_RELEASE:
            return tuple(prefix for prefix in CONTROLLER_FREE_PREFIXES if prefix != EXOS_PREFIX)
        return CONTROLLER_FREE_PREFIXES

    def _controller_rule(self, ctx: Context, key: str) -> dict[str, str] | None:
        """The whitelist rule of a controller property key (None for a key that skips the whitelist), or the
        controller's refusal of a key it does not know (setProp and deleteProp alike)."""
        if key.startswith(self._controller_free_prefixes):
            return None
        rule = whitelist.RESOURCE_DEFINITION.get(key)
        if rule is None:
            raise LinstorError([ctx.entry(rc.FAIL_INVLD_PROP, f"The key '{key}' is not whitelisted")])
        return rule

    def _controller_value(self, ctx: Context, key: str, value: str) -> str:
        """CtrlConfApiCallHandler.setProp's check: ``value`` as the controller stores it, or its refusal."""
        rule = self._controller_rule(ctx, key)
        if rule is None:
            return value
        problem = prop_value_problem(rule, value)
        if problem is not None:
            raise LinstorError([ctx.entry(rc.FAIL_INVLD_PROP, f"The value '{value}' is not valid.", details=problem)])
        return normalize_prop_value(rule, value)

    def _delete_controller_prop(self, db: sqlite3.Connection, ctx: Context, key: str) -> RcEntry:
        """CtrlConfApiCallHandler.deleteProp: a whitelisted key is deleted (whether it was set or not); from 1.31 the
        quorum key takes Internal/Drbd/QuorumSetBy with it."""
        self._controller_rule(ctx, key)
        db.execute("DELETE FROM ctrl_props WHERE key = ?", (key,))
        if key == KEY_QUORUM and self._auto_quorum_reworked:
            db.execute("DELETE FROM ctrl_props WHERE key = ?", (KEY_QUORUM_SET_BY,))
        return ctx.entry(rc.DELETED, f"Successfully deleted property '{key}'")

    def rest_api_at_least(self, version: tuple[int, ...]) -> bool:
        return version_tuple(self.rest_api_version) >= version

    @property
    def _auto_quorum_reworked(self) -> bool:
        """Whether the auto-quorum is LINSTOR's from 1.31 (:data:`AUTO_QUORUM_RELEASE`) or its earlier form."""
        return version_tuple(self.linstor_version) >= AUTO_QUORUM_RELEASE

    def set_connection(self, node: str, online: bool) -> dict:
        """Connect or disconnect the satellite of ``node`` (the debug API's switch): an offline node reports
        ``connection_status`` OFFLINE, its storage pools no capacity and a WARN_NOT_CONNECTED report
        (CtrlStorPoolListApiCallHandler), the autoplacer leaves it out (StorPoolFilter) and a snapshot is not taken
        on it (CtrlSnapshotCrtHelper), a resource there reports no state, an RD's delete waits for it (flag DELETE)
        until it is connected again (:meth:`resume_deletes`), and a rollback is refused. Raises KeyError for a node
        the controller does not have."""
        with self._read() as db:
            row = db.execute("SELECT * FROM nodes WHERE name = ?", (node,)).fetchone()
        if row is None:
            raise KeyError(node)
        with self._lock:
            (self._offline.discard if online else self._offline.add)(row["name"].lower())
        if online:
            self.resume_deletes(row["name"])
        return self._node_json(row)

    def _online(self, node: str) -> bool:
        return node.lower() not in self._offline

    def list_nodes(self, names: list[str] | None = None) -> list[dict]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM nodes ORDER BY upper(name)").fetchall()
        wanted = {n.lower() for n in names or []}
        return [self._node_json(r) for r in rows if not wanted or r["name"].lower() in wanted]

    def _node_json(self, row: sqlite3.Row) -> dict:
        return {
            "name": row["name"], "type": "Satellite", "flags": [], "props": {"CurStltConnName": "default"},
            "net_interfaces": [{"name": "default", "address": row["address"], "satellite_port": 3366,
                                "satellite_encryption_type": "PLAIN", "is_active": True,
                                "uuid": _derived_uuid(row["uuid"], "default")}],
            "connection_status": "ONLINE" if self._online(row["name"]) else "OFFLINE", "uuid": row["uuid"],
            "storage_providers": ["DISKLESS", "LVM", "LVM_THIN", "ZFS", "ZFS_THIN", "FILE", "FILE_THIN"],
            "resource_layers": ["DRBD", "LUKS", "STORAGE", "NVME", "WRITECACHE", "CACHE", "BCACHE"],
            "unsupported_providers": {}, "unsupported_layers": {},
        }

    def _used_kib(self, db: sqlite3.Connection) -> dict[tuple[str, str], int]:
        used: dict[tuple[str, str], int] = {}
        for row in db.execute(
            "SELECT r.node AS node, r.stor_pool AS pool, SUM(v.size_kib) AS used FROM resources r "
            "JOIN vlm_dfns v ON v.rd = r.rd GROUP BY r.node, r.stor_pool"
        ):
            used[(row["node"].lower(), row["pool"].lower())] = row["used"] or 0
        return used

    def list_storage_pools(self, nodes: list[str] | None = None, pools: list[str] | None = None) -> list[dict]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM stor_pools ORDER BY upper(node), upper(name)").fetchall()
            used = self._used_kib(db)
        node_set = {n.lower() for n in nodes or []}
        pool_set = {p.lower() for p in pools or []}
        result = []
        for row in rows:
            if node_set and row["node"].lower() not in node_set:
                continue
            if pool_set and row["name"].lower() not in pool_set:
                continue
            result.append(self._pool_json(row, used.get((row["node"].lower(), row["name"].lower()), 0)))
        return result

    def _pool_json(self, row: sqlite3.Row, used: int) -> dict:
        """A storage pool as LINSTOR lists it; one on an offline node has no capacity and says why
        (CtrlStorPoolListApiCallHandler.assembleList, ResponseUtils.makeNotConnectedWarning)."""
        diskless = row["provider_kind"] == "DISKLESS"
        reply = {
            "storage_pool_name": row["name"], "node_name": row["node"], "provider_kind": row["provider_kind"],
            "props": json.loads(row["props"]),
            "static_traits": {"SupportsSnapshots": "false" if diskless else "true"},
            "free_space_mgr_name": f"{row['node']};{row['name']}", "uuid": row["uuid"], "reports": [],
            "supports_snapshots": not diskless, "external_locking": False,
        }
        if not diskless:
            reply["static_traits"]["Provisioning"] = "Thin"
        if not self._online(row["node"]):  # capacities unknown (left out, as LINSTOR leaves out nulls)
            reply["reports"] = [_not_connected(row["node"]).to_json()]
        elif diskless:
            reply["free_capacity"] = 9223372036854775807
            reply["total_capacity"] = 9223372036854775807
        else:
            reply["free_capacity"] = max(row["total_kib"] - used, 0)
            reply["total_capacity"] = row["total_kib"]
        return reply

    # ------------------------------------------------------------------ resource groups

    @staticmethod
    def _rg_json(row: sqlite3.Row) -> dict:
        reply = {"name": row["name"], "description": row["description"], "props": json.loads(row["props"]),
                 "select_filter": render_filter(json.loads(row["select_filter"])), "uuid": row["uuid"]}
        if row["peer_slots"] is not None:
            reply["peer_slots"] = row["peer_slots"]
        return reply

    def list_resource_groups(self, names: list[str] | None = None, props: list[str] | None = None) -> list[dict]:
        for name in names or []:
            try:
                check_resource_group_name(name)
            except InvalidName as exc:
                raise LinstorError([RcEntry(rc.FAIL_INVLD_RSC_GRP_NAME,
                                            f"The given resource group name '{name}' is invalid.",
                                            cause=str(exc))]) from None
        with self._read() as db:
            rows = db.execute("SELECT * FROM rsc_grps ORDER BY upper(name)").fetchall()
        wanted = {n.lower() for n in names or []}
        filters = parse_prop_filters(props or [])
        result = []
        for row in rows:
            if wanted and row["name"].lower() not in wanted:
                continue
            item = self._rg_json(row)
            if all((k in item["props"]) if v is None else item["props"].get(k) == v for k, v in filters):
                result.append(item)
        return result

    def get_resource_group(self, name: str) -> dict:
        with self._read() as db:
            return self._rg_json(self._load_rg(db, Context.for_query(), name))

    def create_resource_group(self, body: dict) -> list[RcEntry]:
        name = body.get("name") or ""
        ctx = _rg_ctx(rc.MASK_CRT, name)
        try:
            check_resource_group_name(name)
        except InvalidName as exc:
            raise ctx.error(rc.FAIL_INVLD_RSC_GRP_NAME, f"The given resource group name '{name}' is invalid.",
                            cause=str(exc)) from None
        props: dict = {}  # LINSTOR's REST layer drops them: "currently props are not supported on creation"
        select_filter = merge_filter({}, self._clean_filter(ctx, body.get("select_filter") or {}))
        with self._tx() as db:
            if db.execute("SELECT 1 FROM rsc_grps WHERE name = ?", (name,)).fetchone():
                raise ctx.error(rc.FAIL_EXISTS_RSC_GRP, f"A Resource group: {name} already exists.")
            new_uuid = _uuid()
            db.execute("INSERT INTO rsc_grps VALUES (?, ?, ?, ?, ?, ?)",
                       (name, body.get("description") or "", _dumps(select_filter), _dumps(props),
                        body.get("peer_slots"), new_uuid))
            warnings = self._unknown_pool_warning(db, select_filter)
        return warnings + [ctx.entry(rc.CREATED, f"New resource group '{name}' created.",
                          details=f"Resource group '{name}' UUID is: {new_uuid}", refs={rc.KEY_UUID: new_uuid})]

    @staticmethod
    def _unknown_pool_warning(db: sqlite3.Connection, select_filter: dict) -> list[RcEntry]:
        """CtrlRscGrpApiCallHandler.addUnknownStoragePoolWarning (after a create, and after a modify that names
        a select filter): the group's pools that no node has, or whose pools are all of the other kind (diskless
        named where diskful is wanted, or the other way round), in one WARN_NOT_FOUND entry without the request's
        masks or object references (ApiCallRcImpl.singleApiCallRc)."""
        kinds: dict[str, set[bool]] = {}
        for row in db.execute("SELECT name, provider_kind FROM stor_pools"):
            kinds.setdefault(row["name"].lower(), set()).add(row["provider_kind"] != "DISKLESS")
        diskful_wanted_diskless: list[str] = []
        diskless_wanted_diskful: list[str] = []
        unknown: list[str] = []
        for diskful, key, wrong in ((True, "storage_pool_list", diskless_wanted_diskful),
                                    (False, "storage_pool_diskless_list", diskful_wanted_diskless)):
            for pool in select_filter.get(key) or []:
                found = kinds.get(pool.lower())
                if found is None:
                    unknown.append(pool)
                elif diskful not in found:
                    wrong.append(pool)
        text = ""
        if diskful_wanted_diskless:
            text += ("The following configured storage pools are diskful, but are wrongly configured to be used "
                     "for diskless autoplacements:\n\t" + "\n\t".join(diskful_wanted_diskless) + "\n")
        if diskless_wanted_diskful:
            text += ("The following configured storage pools are diskless, but are wrongly configured to be used "
                     "for diskful autoplacements:\n\t" + "\n\t".join(diskless_wanted_diskful) + "\n")
        if unknown:
            text += "The following configured storage pools do not exist on any node:\n\t" + "\n\t".join(unknown)
        return [RcEntry(rc.WARN_NOT_FOUND, text.strip())] if text else []

    def _clean_filter(self, ctx: Context, select_filter: dict) -> dict:
        place_count = select_filter.get("place_count")
        if place_count is not None and (not isinstance(place_count, int) or place_count < 1):
            raise ctx.error(rc.FAIL_INVLD_PLACE_COUNT, f"{ctx.description}, place-count must be positive.")
        return parse_filter_kinds(ctx, {k: v for k, v in select_filter.items() if v is not None})

    def modify_resource_group(self, name: str, body: dict) -> list[RcEntry]:
        ctx = _rg_ctx(rc.MASK_CRT, name)  # CtrlRscGrpApiCallHandler.modify: ApiOperation.makeRegisterOperation()
        if KEY_EXACT_SIZE in (body.get("override_props") or {}):
            # CtrlRscGrpApiCallHandler.checkProps (LINSTOR 1.27+): whitelisted for RDs and groups alike, refused here
            raise ctx.error(rc.FAIL_INVLD_PROP, "Invalid property key",
                            cause=f"The key '{KEY_EXACT_SIZE}' is not whitelisted.")
        override = self._check_props(ctx, body.get("override_props") or {}, delete=body.get("delete_props") or ())
        with self._tx() as db:
            row = self._load_rg(db, ctx, name)
            props = self._apply_prop_changes(json.loads(row["props"]), override, body.get("delete_props"),
                                             body.get("delete_namespaces"))
            props = self._mark_quorum_setter(props, override, body.get("delete_props"))
            select_filter = json.loads(row["select_filter"])
            new_filter = self._clean_filter(ctx, body.get("select_filter") or {})
            if body.get("select_filter") is not None:
                select_filter = merge_filter(select_filter, new_filter)
                # node_name_list defaults to [] in LINSTOR's request class (JsonGenTypes.AutoSelectFilter), and
                # AutoSelectorConfig.applyChanges takes a list that is not null: a modify without it clears it
                select_filter["node_name_list"] = new_filter.get("node_name_list") or []
            description = body["description"] if body.get("description") is not None else row["description"]
            peer_slots = body["peer_slots"] if body.get("peer_slots") is not None else row["peer_slots"]
            db.execute("UPDATE rsc_grps SET props = ?, select_filter = ?, description = ?, peer_slots = ? "
                       "WHERE name = ?", (_dumps(props), _dumps(select_filter), description, peer_slots, name))
            display = row["name"]
            warnings = self._unknown_pool_warning(db, select_filter) if body.get("select_filter") is not None else []
            if _reads_auto_helper_keys(body, self._auto_quorum_reworked):
                rds = db.execute("SELECT * FROM rsc_dfns WHERE rg = ? ORDER BY upper(name)", (display,)).fetchall()
                warnings += self._rerun_auto_helpers(db, rds)
        entries = prop_change_entries(rc.MASK_RSC_DFN, body.get("override_props"), body.get("delete_props"))
        entries += warnings + [ctx.entry(rc.MODIFIED, f"Resource group '{display}' modified.",
                             details=f"Resource group '{display}' UUID is: {row['uuid']}",
                             refs={rc.KEY_UUID: row["uuid"]})]
        if new_filter.get("place_count") is not None:
            entries += self._place_to_count(display, new_filter)
        return entries

    def _place_to_count(self, rg_name: str, select_filter: dict) -> list[RcEntry]:
        """A modify that sets a group's place_count autoplaces each of its RDs with fewer resources, one at
        a time, after the modify is committed (CtrlRscGrpApiCallHandler.modify): an RD that cannot be
        placed adds its error to the reply, which then fails, and the group keeps its new filter."""
        with self._read() as db:
            names = [r["name"] for r in db.execute("SELECT name FROM rsc_dfns WHERE rg = ? ORDER BY upper(name)",
                                                   (rg_name,))]
        entries: list[RcEntry] = []
        for rd_name in names:
            ctx = Context(rc.MASK_CRT, rc.MASK_RSC, {rc.KEY_RSC_DFN: rd_name}, f"Auto-placing resource: {rd_name}")
            try:
                with self._tx() as db:
                    rd = self._load_rd(db, ctx, rd_name)
                    count = sum("TIE_BREAKER" not in json.loads(r["flags"]) for r in db.execute(
                        "SELECT flags FROM resources WHERE rd = ?", (rd["id"],)))  # the tie-breaker is not counted
                    if count < select_filter["place_count"]:
                        entries += self._autoplace(db, ctx, rd, select_filter)
            except LinstorError as exc:
                entries += exc.entries
        return entries

    def delete_resource_group(self, name: str) -> list[RcEntry]:
        ctx = _rg_ctx(rc.MASK_CRT, name)  # CtrlRscGrpApiCallHandler.delete: ApiOperation.makeCreateOperation()
        try:
            check_resource_group_name(name)
        except InvalidName as exc:
            raise ctx.error(rc.FAIL_INVLD_RSC_GRP_NAME, f"The given resource group name '{name}' is invalid.",
                            cause=str(exc)) from None
        with self._tx() as db:
            row = db.execute("SELECT * FROM rsc_grps WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise LinstorError([ctx.entry(rc.WARN_NOT_FOUND, f"Resource group: {name} not found.",
                                              details=ctx.description)])
            if db.execute("SELECT 1 FROM rsc_dfns WHERE rg = ? LIMIT 1", (name,)).fetchone():
                raise ctx.error(rc.FAIL_EXISTS_RSC_DFN,
                                f"Cannot delete resource group '{row['name']}' because it has existing "
                                "resource definitions.")
            db.execute("DELETE FROM rsc_grps WHERE name = ?", (name,))
        return [ctx.entry(rc.DELETED, f"Resource group '{row['name']}' deleted.",
                          details=f"Resource group '{row['name']}' UUID was: {row['uuid']}",
                          refs={rc.KEY_UUID: row["uuid"]})]

    # ------------------------------------------------------------------ volume groups

    def list_volume_groups(self, rg: str) -> list[dict]:
        with self._read() as db:
            self._load_rg(db, Context.for_query(), rg)
            rows = db.execute("SELECT * FROM vlm_grps WHERE rg = ? ORDER BY vlm_nr", (rg,)).fetchall()
        return [{"volume_number": r["vlm_nr"], "props": json.loads(r["props"]), "uuid": r["uuid"],
                 "flags": json.loads(r["flags"])} for r in rows]

    def create_volume_group(self, rg: str, body: dict) -> list[RcEntry]:
        ctx = Context(rc.MASK_CRT, rc.MASK_VLM_GRP, {rc.KEY_RSC_GRP: rg}, f"Volume group of resource group: {rg}")
        props = self._check_props(ctx, body.get("props") or {}, whitelist.VOLUME_DEFINITION)
        with self._tx() as db:
            row = self._load_rg(db, ctx, rg)
            number = body.get("volume_number")
            if number is None:
                used = {r[0] for r in db.execute("SELECT vlm_nr FROM vlm_grps WHERE rg = ?", (rg,))}
                number = next(n for n in range(0, 65536) if n not in used)
            if not isinstance(number, int) or not 0 <= number <= 65535:
                raise ctx.error(rc.FAIL_INVLD_VLM_NR, f"The given volume number '{number}' is invalid. "
                                "Valid range from 0 to 65535")
            if db.execute("SELECT 1 FROM vlm_grps WHERE rg = ? AND vlm_nr = ?", (rg, number)).fetchone():
                raise ctx.error(rc.FAIL_EXISTS_VLM_GRP,
                                f"A volume group with the number {number} already exists in resource group "
                                f"'{row['name']}'.")
            new_uuid = _uuid()
            db.execute("INSERT INTO vlm_grps VALUES (?, ?, ?, ?, ?)",
                       (row["name"], number, _dumps(props), _dumps(body.get("flags") or []), new_uuid))
        return [ctx.entry(rc.CREATED, f"New volume group with number '{number}' of resource group '{row['name']}' "
                          "created.", details=f"Volume group UUID is: {new_uuid}",
                          refs={rc.KEY_VLM_NR: str(number), rc.KEY_UUID: new_uuid})]

    def modify_volume_group(self, rg: str, number: int, body: dict) -> list[RcEntry]:
        ctx = Context(rc.MASK_MOD, rc.MASK_VLM_GRP, {rc.KEY_RSC_GRP: rg, rc.KEY_VLM_NR: str(number)},
                      f"Volume group: {rg}/{number}")
        override = self._check_props(ctx, body.get("override_props") or {}, whitelist.VOLUME_DEFINITION,
                                     delete=body.get("delete_props") or ())
        with self._tx() as db:
            self._load_rg(db, ctx, rg)
            row = db.execute("SELECT * FROM vlm_grps WHERE rg = ? AND vlm_nr = ?", (rg, number)).fetchone()
            if row is None:
                raise ctx.error(rc.FAIL_NOT_FOUND_VLM_GRP,
                                f"Volume group '{rg}' with volume number '{number}' not found.")
            props = self._apply_prop_changes(json.loads(row["props"]), override, body.get("delete_props"),
                                             body.get("delete_namespaces"))
            flags = json.loads(row["flags"])
            for flag in body.get("flags") or []:
                if flag.startswith("-"):
                    flags = [f for f in flags if f != flag[1:]]
                elif flag not in flags:
                    flags.append(flag)
            db.execute("UPDATE vlm_grps SET props = ?, flags = ? WHERE rg = ? AND vlm_nr = ?",
                       (_dumps(props), _dumps(flags), rg, number))
        entries = prop_change_entries(rc.MASK_VLM_DFN, body.get("override_props"), body.get("delete_props"))
        return entries + [ctx.entry(rc.MODIFIED, f"Volume group with number '{number}' of resource group '{rg}' "
                                    f"modified.",
                          details=f"Volume group UUID is: {row['uuid']}", refs={rc.KEY_UUID: row["uuid"]})]

    def delete_volume_group(self, rg: str, number: int) -> list[RcEntry]:
        ctx = Context(rc.MASK_DEL, rc.MASK_VLM_GRP, {rc.KEY_RSC_GRP: rg, rc.KEY_VLM_NR: str(number)},
                      f"Volume group: {rg}/{number}")
        with self._tx() as db:
            self._load_rg(db, ctx, rg)
            row = db.execute("SELECT * FROM vlm_grps WHERE rg = ? AND vlm_nr = ?", (rg, number)).fetchone()
            if row is None:
                raise LinstorError([ctx.entry(rc.WARN_NOT_FOUND, f"Volume group '{rg}' with volume number "
                                              f"'{number}' not found.", details=ctx.description)])
            db.execute("DELETE FROM vlm_grps WHERE rg = ? AND vlm_nr = ?", (rg, number))
        return [ctx.entry(rc.DELETED, f"Volume group with number '{number}' of resource group '{rg}' deleted.",
                          details=f"Volume group UUID was: {row['uuid']}", refs={rc.KEY_UUID: row["uuid"]})]

    # ------------------------------------------------------------------ resource definitions

    def _create_rd(self, db: sqlite3.Connection, ctx: Context, name: str, rg_name: str | None, props: dict,
                   *, port: int | None = None, peer_slots: int | None = None,
                   layer_stack: list[str] | None = None, drbd: bool = False) -> tuple[sqlite3.Row, list[RcEntry]]:
        """Insert a resource definition (inside the caller's transaction) and its properties.

        Without a layer stack the RD's stack stays empty until its first resource sets one
        (ResourceControllerFactory.create). Its DRBD layer data, which holds the TCP port, is made at
        once only when the stack holds DRBD or the request sets a DRBD value (port, peer slots, also
        the group's peer slots, or ``drbd``: secret, transport type, a clone source's DRBD data), as
        CtrlRscLayerDataFactory.ensureRequiredRscDfnLayerDataExits does.
        """
        try:
            check_resource_name(name)
        except InvalidName as exc:
            raise ctx.error(rc.FAIL_INVLD_RSC_NAME, f"The specified resource name '{name}' is invalid.",
                            cause=str(exc)) from None
        props = self._mark_quorum_setter(self._check_props(ctx, props), props, None)
        layer_stack = parse_kinds(ctx, layer_stack, LAYER_KINDS, "layer") if layer_stack else []
        rg_name = rg_name or DEFAULT_RSC_GRP
        if rg_name.lower() == DEFAULT_RSC_GRP.lower() and db.execute(
                "SELECT 1 FROM rsc_grps WHERE name = ?", (rg_name,)).fetchone() is None:
            # as the controller does: the default group comes back when an RD needs it
            db.execute("INSERT INTO rsc_grps VALUES (?, 'Default resource group', ?, '{}', NULL, ?)",
                       (rg_name, DFLT_RSC_GRP_FILTER, _uuid()))
        rg = self._load_rg(db, ctx, rg_name)
        if self._rd_row(db, name) is not None:
            raise ctx.error(rc.FAIL_EXISTS_RSC_DFN, f"A resource definition with the name '{name}' already exists")
        drbd = drbd or "DRBD" in layer_stack or port is not None or (peer_slots or rg["peer_slots"]) is not None
        chosen_port = self._alloc_port(db, ctx, port) if drbd else None
        slots = peer_slots or rg["peer_slots"] or PEER_SLOTS
        new_uuid = _uuid()
        cursor = db.execute(
            "INSERT INTO rsc_dfns(name, rg, port, secret, peer_slots, flags, layer_stack, uuid, port_given) "
            "VALUES (?, ?, ?, ?, ?, '[]', ?, ?, ?)",
            (name, rg["name"], chosen_port, secrets.token_urlsafe(15)[:20], slots,
             _dumps(layer_stack), new_uuid, int(port is not None)))
        db.executemany("INSERT INTO rd_props VALUES (?, ?, ?)", [(cursor.lastrowid, k, v) for k, v in props.items()])
        row = db.execute("SELECT * FROM rsc_dfns WHERE id = ?", (cursor.lastrowid,)).fetchone()
        entries = prop_change_entries(rc.MASK_RSC_DFN, props, None)  # CtrlRscDfnApiCallHandler.createResourceDefinition
        entries.append(ctx.entry(rc.CREATED, f"New resource definition '{name}' created.",
                                 details=f"Resource definition '{name}' UUID is: {new_uuid}",
                                 refs={rc.KEY_UUID: new_uuid}))
        return row, entries

    def create_resource_definition(self, body: dict) -> list[RcEntry]:
        rd = body.get("resource_definition") or {}
        name = rd.get("name") or ""
        ctx = _rd_ctx(rc.MASK_CRT, name)
        refuse_external_name(ctx, name, rd.get("external_name"))
        layers = [layer.get("type") for layer in rd.get("layer_data") or [] if isinstance(layer, dict)]
        with self._tx() as db:
            _, entries = self._create_rd(db, ctx, name, rd.get("resource_group_name"), rd.get("props") or {},
                                         port=body.get("drbd_port"), peer_slots=body.get("drbd_peer_slots"),
                                         layer_stack=layers or None,
                                         drbd=bool(body.get("drbd_secret") or body.get("drbd_transport_type")))
        return entries

    def _rd_where(self, names: list[str] | None, props: list[str] | None,
                  groups: list[str] | None = None) -> tuple[str, list]:
        clauses, args = [], []
        if names:
            clauses.append(f"d.name IN ({','.join('?' * len(names))})")
            args.extend(names)
        if groups:
            clauses.append(f"d.rg IN ({','.join('?' * len(groups))})")
            args.extend(groups)
        for key, value in parse_prop_filters(props or []):
            if value is None:
                clauses.append("d.id IN (SELECT rd FROM rd_props WHERE key = ?)")
                args.append(key)
            else:
                clauses.append("d.id IN (SELECT rd FROM rd_props WHERE key = ? AND value = ?)")
                args.extend((key, value))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    @staticmethod
    def _check_rd_filter_names(names: list[str] | None) -> None:
        for name in names or []:  # the controller parses each filter name as a ResourceName first
            try:
                check_resource_name(name)
            except InvalidName as exc:
                raise LinstorError([RcEntry(rc.FAIL_INVLD_RSC_NAME, f"The specified resource name '{name}' is "
                                            "invalid.", cause=str(exc))]) from None

    def list_resource_definitions(self, names: list[str] | None = None, props: list[str] | None = None,
                                  with_volume_definitions: bool = False, offset: int = 0,
                                  limit: int = 0) -> list[dict]:
        """RDs sorted by name, filtered in SQL; ``limit`` 0 means all (then ``offset`` is ignored, as in LINSTOR).

        The REST route sends :meth:`list_resource_definitions_json` instead: the same list, encoded."""
        self._check_rd_filter_names(names)
        where, args = self._rd_where(names, props)
        page = ""
        if limit and limit > 0:
            page = " LIMIT ? OFFSET ?"
            args = [*args, limit, max(offset, 0)]
        with self._read() as db:
            db.execute("BEGIN")
            try:
                rows = db.execute(f"SELECT d.* FROM rsc_dfns d{where} ORDER BY upper(d.name){page}",
                                  args).fetchall()
                ids = [r["id"] for r in rows]
                props_by_rd = self._props_for(db, ids)
                vds_by_rd = self._vds_for(db, ids) if with_volume_definitions else {}
            finally:
                db.execute("COMMIT")
        result = []
        for row in rows:
            item = self._rd_json(row, props_by_rd.get(row["id"], {}))
            if with_volume_definitions:
                item["volume_definitions"] = vds_by_rd.get(row["id"], [])
            result.append(item)
        return result

    def list_resource_definitions_json(self, names: list[str] | None = None, props: list[str] | None = None,
                                       with_volume_definitions: bool = False, offset: int = 0,
                                       limit: int = 0) -> bytes:
        """:meth:`list_resource_definitions` as the bytes ``json.dumps(...).encode()`` gives, without the dicts
        (listing 10,000 RDs is the hot path of ``linstor_incus_volume_info``, issue 9).

        SQLite writes each RD's JSON text (properties and volume definitions by correlated subqueries
        on their primary keys); Python sorts the items by name and joins them. An item SQLite cannot
        write as json.dumps would (see ``_RD_ITEM_SQL``) is built from the dicts. Items are kept under
        their RD's version (see ``_VERSION_BUMP``): a listing writes only the items of RDs that changed
        since they were last listed. tests/emulator compares the bytes with ``json.dumps`` of
        :meth:`list_resource_definitions`.
        """
        self._check_rd_filter_names(names)
        where, args = self._rd_where(names, props)
        source = "rsc_dfns d"
        if limit and limit > 0:
            source = f"(SELECT d.* FROM rsc_dfns d{where} ORDER BY upper(d.name) LIMIT ? OFFSET ?) d"
            args, where = [*args, limit, max(offset, 0)], ""
        with self._read() as db:
            db.execute("BEGIN")
            try:
                cursor = db.cursor()
                cursor.row_factory = None
                rows = cursor.execute(f"SELECT upper(d.name), d.id, v.version FROM {source} "
                                      f"LEFT JOIN rd_versions v ON v.rd = d.id{where}", args).fetchall()
                cache = self._listed_items[with_volume_definitions]
                # an RD without a version (none is expected) is written every time, never kept
                stale = [rd_id for _, rd_id, version in rows
                         if version is None or rd_id not in cache or cache[rd_id][0] != version]
                texts = self._rd_texts(db, stale, with_volume_definitions) if stale else {}
                rows.sort(key=lambda row: row[0])  # upper-cased names are unique (names are, ignoring case)
                items = [texts[rd_id] if rd_id in texts else cache[rd_id][1] for _, rd_id, _ in rows]
                if stale:
                    cache.update((rd_id, (version, texts[rd_id])) for _, rd_id, version in rows
                                 if rd_id in texts and version is not None)
                    self._forget_deleted_items(db, cache)
            finally:
                db.execute("COMMIT")
        return ("[" + ", ".join(items) + "]").encode()

    @staticmethod
    def _forget_deleted_items(db: sqlite3.Connection, cache: dict[int, tuple[int, str]]) -> None:
        """Drop the kept items of deleted RDs once they could be half of what is kept."""
        live = db.execute("SELECT count(*) FROM rd_versions").fetchone()[0]
        if len(cache) > 2 * live + 1024:
            kept = {rd_id for (rd_id,) in db.execute("SELECT rd FROM rd_versions")}
            for rd_id in [rd_id for rd_id in cache if rd_id not in kept]:
                del cache[rd_id]

    def _rd_texts(self, db: sqlite3.Connection, ids: list[int], with_volume_definitions: bool) -> dict[int, str]:
        """The listing item (JSON text) of each RD in ``ids``, written by SQLite where it can."""
        port = f"CASE WHEN d.port_given THEN d.port ELSE {COMPAT_RD_PORT} END" if self._ports_per_resource else "d.port"
        item = (_RD_ITEM_SQL.replace("{port}", port)
                + (_RD_VDS_SQL if with_volume_definitions else "") + " || '}'")
        cursor = db.cursor()
        cursor.row_factory = None
        texts: dict[int, str] = {}
        for part, marks in _id_chunks(ids):
            texts.update(cursor.execute(f"SELECT d.id, {item if self._sql_json else 'NULL'} FROM rsc_dfns d "
                                        f"WHERE d.id IN ({marks})", part))
        redo = [rd_id for rd_id, text in texts.items() if text is None or not text.isascii() or "\x7f" in text]
        if redo:
            texts.update(zip(redo, self._rd_items(db, redo, with_volume_definitions), strict=True))
        return texts

    def _rd_items(self, db: sqlite3.Connection, ids: list[int], with_volume_definitions: bool) -> list[str]:
        """json.dumps of the RDs ``ids`` as :meth:`list_resource_definitions` lists them, in that order."""
        rows: dict[int, sqlite3.Row] = {}
        for part, marks in _id_chunks(ids):
            rows.update((r["id"], r) for r in db.execute(f"SELECT * FROM rsc_dfns WHERE id IN ({marks})", part))
        props_by_rd = self._props_for(db, ids)
        vds_by_rd = self._vds_for(db, ids) if with_volume_definitions else {}
        items = []
        for rd_id in ids:
            item = self._rd_json(rows[rd_id], props_by_rd.get(rd_id, {}))
            if with_volume_definitions:
                item["volume_definitions"] = vds_by_rd.get(rd_id, [])
            items.append(json.dumps(item))
        return items

    def _props_for(self, db: sqlite3.Connection, ids: list[int]) -> dict[int, dict]:
        result: dict[int, dict] = {}
        for part, marks in _id_chunks(ids):
            for row in db.execute(f"SELECT rd, key, value FROM rd_props WHERE rd IN ({marks}) ORDER BY rd, key",
                                  part):
                result.setdefault(row["rd"], {})[row["key"]] = row["value"]
        return result

    def _vds_for(self, db: sqlite3.Connection, ids: list[int]) -> dict[int, list[dict]]:
        result: dict[int, list[dict]] = {}
        for part, marks in _id_chunks(ids):
            for row in db.execute(f"SELECT v.*, d.layer_stack AS rd_layer_stack FROM vlm_dfns v JOIN rsc_dfns d "
                                  f"ON d.id = v.rd WHERE v.rd IN ({marks}) ORDER BY v.rd, v.vlm_nr", part):
                result.setdefault(row["rd"], []).append(self._vd_json(row))
        return result

    @property
    def _ports_per_resource(self) -> bool:
        """Whether DRBD ports are the resources' (:data:`PORTS_PER_RESOURCE_RELEASE`), not the RD's."""
        return version_tuple(self.linstor_version) >= PORTS_PER_RESOURCE_RELEASE

    def _rd_port(self, row: sqlite3.Row) -> int:
        """The port an RD's DRBD layer data reports: the RD's, or from LINSTOR 1.32 -1 unless the port was given
        (``drbd_port``, which RscDrbdLayerHelper keeps on the RD), the port being its resources' (``tcp_ports``)."""
        return COMPAT_RD_PORT if self._ports_per_resource and not row["port_given"] else row["port"]

    def _rd_json(self, row: sqlite3.Row, props: dict) -> dict:
        layer_data = []
        for layer in listed_layers(json.loads(row["layer_stack"]), row["port"] is not None):
            if layer == "DRBD" and row["port"] is not None:
                layer_data.append({"type": "DRBD", "data": {
                    "resource_name_suffix": "", "peer_slots": row["peer_slots"], "al_stripes": 1,
                    "al_stripe_size_kib": 32, "port": self._rd_port(row), "transport_type": "IP",
                    "secret": row["secret"], "down": False}})
            else:
                layer_data.append({"type": layer})
        return {"name": row["name"], "props": props, "flags": json.loads(row["flags"]), "layer_data": layer_data,
                "uuid": row["uuid"], "resource_group_name": row["rg"]}

    @staticmethod
    def _vd_json(row: sqlite3.Row) -> dict:
        """A volume definition; ``row`` also holds its RD's ``rd_layer_stack``."""
        layer_data: list[dict] = []
        for layer in listed_layers(json.loads(row["rd_layer_stack"]), row["minor"] is not None):
            if layer == "DRBD" and row["minor"] is not None:
                layer_data.append({"type": "DRBD", "data": {"resource_name_suffix": "", "volume_number": row["vlm_nr"],
                                                            "minor_number": row["minor"]}})
            else:
                layer_data.append({"type": layer})
        return {"volume_number": row["vlm_nr"], "size_kib": row["size_kib"], "props": json.loads(row["props"]),
                "flags": json.loads(row["flags"]), "uuid": row["uuid"], "layer_data": layer_data}

    def get_resource_definition(self, name: str) -> dict:
        with self._read() as db:
            row = self._load_rd(db, Context.for_query(), name)
            return self._rd_json(row, self._rd_props(db, row["id"]))

    def modify_resource_definition(self, name: str, body: dict) -> list[RcEntry]:
        ctx = _rd_ctx(rc.MASK_MOD, name)
        override = self._check_props(ctx, body.get("override_props") or {}, delete=body.get("delete_props") or ())
        with self._tx() as db:
            row = self._load_rd(db, ctx, name)
            resources = db.execute("SELECT COUNT(*) FROM resources WHERE rd = ?", (row["id"],)).fetchone()[0]
            exact_size = (body.get("override_props") or {}).get(KEY_EXACT_SIZE)
            if isinstance(exact_size, str) and exact_size.lower() == "true" and resources:
                # CtrlRscDfnApiCallHandler.checkProps (Boolean.parseBoolean, any resource, diskless too); setting it
                # false or deleting it is not checked. The message was reworded in 1.29.1.
                if version_tuple(self.linstor_version) >= EXACT_SIZE_COUNT_RELEASE:
                    message = (f"The property '{KEY_EXACT_SIZE}' cannot be set to True while there are currently "
                               f"deployed resources({resources}).")
                else:
                    message = (f"The property '{KEY_EXACT_SIZE}' must not be set to True when resources are deployed "
                               "in the given resource-definition.")
                raise ctx.error(rc.FAIL_INVLD_PROP, message)
            old = self._rd_props(db, row["id"])
            namespaces = body.get("delete_namespaces")
            if not (override or body.get("delete_props") or self.rest_api_at_least(CLONE_PROPS_REST_API)):
                namespaces = None  # before 1.32 the property block runs only with overrides or deleted keys
            new = self._apply_prop_changes(old, override, body.get("delete_props"), namespaces)
            new = self._mark_quorum_setter(new, override, body.get("delete_props"))
            self._set_rd_props(db, row["id"], old, new)
            # a change the satellites get (notifyStlts): the offline ones are named in a warning (notConnectedWarn)
            regrouped = bool(body.get("resource_group")) and body["resource_group"].lower() != row["rg"].lower()
            not_connected = self._offline_warnings(db, ctx, row["id"]) if new != old or regrouped else []
            tie_breaker = (self._run_auto_helpers(db, ctx, row)
                           if _reads_auto_helper_keys(body, self._auto_quorum_reworked) else [])
            if body.get("layer_stack"):
                layers = parse_kinds(ctx, body["layer_stack"], LAYER_KINDS, "layer")
                if layers != json.loads(row["layer_stack"]):
                    if resources:  # CtrlRscDfnApiCallHandler.modify
                        raise ctx.error(rc.FAIL_EXISTS_RSC,
                                        "Changing the layer stack with already deployed resource is not supported")
                    db.execute("UPDATE rsc_dfns SET layer_stack = ? WHERE id = ?", (_dumps(layers), row["id"]))
            if body.get("resource_group"):
                rg = self._load_rg(db, ctx, body["resource_group"])
                db.execute("UPDATE rsc_dfns SET rg = ? WHERE id = ?", (rg["name"], row["id"]))
            if body.get("drbd_port") is not None and body["drbd_port"] != row["port"]:
                port = self._alloc_port(db, ctx, body["drbd_port"])
                db.execute("UPDATE rsc_dfns SET port = ?, port_given = 1 WHERE id = ?", (port, row["id"]))
            if body.get("drbd_peer_slots") is not None:
                db.execute("UPDATE rsc_dfns SET peer_slots = ? WHERE id = ?", (body["drbd_peer_slots"], row["id"]))
                if row["port"] is None and body.get("drbd_port") is None:
                    # ensureRequiredRscDfnLayerDataExits: a DRBD value makes the RD's DRBD layer data
                    db.execute("UPDATE rsc_dfns SET port = ? WHERE id = ?",
                               (self._alloc_port(db, ctx, None), row["id"]))
        display = row["name"]
        entries = prop_change_entries(rc.MASK_RSC_DFN, body.get("override_props"), body.get("delete_props"))
        return entries + [ctx.entry(rc.MODIFIED, f"Resource definition '{display}' modified.",
                          details=f"Resource definition '{display}' UUID is: {row['uuid']}",
                          refs={rc.KEY_UUID: row["uuid"]})] + not_connected + tie_breaker

    def _resize_blocked(self, db: sqlite3.Connection, rd_id: int) -> bool:
        """Whether a resize is refused for a diskful DRBD resource whose state is not known to be UpToDate: one on
        an offline node (:data:`RESIZE_NEEDS_UP_TO_DATE_RELEASE`)."""
        if version_tuple(self.linstor_version) < RESIZE_NEEDS_UP_TO_DATE_RELEASE or "DRBD" not in self._layer_stack(
                db, rd_id):
            return False
        return any(not self._online(rsc["node"]) and "DISKLESS" not in json.loads(rsc["flags"])
                   for rsc in db.execute("SELECT node, flags FROM resources WHERE rd = ?", (rd_id,)))

    def _offline_nodes(self, db: sqlite3.Connection, rd_id: int) -> list[str]:
        """The nodes with a resource of the RD whose satellite is offline, in the controller's order."""
        nodes = db.execute("SELECT node FROM resources WHERE rd = ? ORDER BY upper(node)", (rd_id,)).fetchall()
        return [node for (node,) in nodes if not self._online(node)]

    def _offline_warnings(self, db: sqlite3.Connection, ctx: Context, rd_id: int) -> list[RcEntry]:
        """The warnings of a change the satellites of an RD's resources get (CtrlSatelliteUpdateCaller's default
        notConnectedWarn): one per node whose satellite is offline."""
        return [_not_connected(node, ctx) for node in self._offline_nodes(db, rd_id)]

    def _deletable_rd(self, db: sqlite3.Connection, ctx: Context, name: str) -> tuple[sqlite3.Row, LinstorError | None]:
        """The RD a delete goes on with, after LINSTOR's checks in its order (not found, snapshots), and the delete's
        refusal when a resource is in use (None when none is), which :meth:`_delete_rd_step` raises."""
        row = self._rd_row(db, name)
        if row is None:
            raise LinstorError([ctx.entry(rc.WARN_NOT_FOUND, f"Resource definition: {name} not found.",
                                          details=ctx.description)])
        if db.execute("SELECT 1 FROM snapshots WHERE rd = ? LIMIT 1", (row["id"],)).fetchone():
            raise ctx.error(rc.FAIL_EXISTS_SNAPSHOT_DFN,
                            f"Cannot delete resource definition '{name}' because it has snapshots.")
        for rsc in db.execute("SELECT node, props FROM resources WHERE rd = ?", (row["id"],)).fetchall():
            # the controller knows a resource in use from its satellite's report: none from an offline one
            if json.loads(rsc["props"]).get("Emulator/InUse") == "true" and self._online(rsc["node"]):
                return row, ctx.error(rc.FAIL_IN_USE, f"Resource '{name}' on node '{rsc['node']}' is still in use.",
                                      cause="Resource is mounted/in use.",
                                      correction=f"Un-mount resource '{name}' on the node '{rsc['node']}'.")
        return row, None

    def _delete_rd_step(self, name: str,
                        step: Callable[[sqlite3.Connection, sqlite3.Row], object]) -> tuple[Context, sqlite3.Row]:
        """A step of LINSTOR's delete of an RD, in one transaction: the delete's checks (:meth:`_deletable_rd`), then
        ``step`` on the RD's row. A refusal because a resource is in use is raised after the transaction: the
        releases of :data:`DELETE_FLAG_KEPT_IN_USE_RELEASES` flag the RD DELETE first, and keep the flag."""
        ctx = _rd_ctx(rc.MASK_DEL, name)
        self._check_rd_name(ctx, name)
        with self._tx() as db:
            row, in_use = self._deletable_rd(db, ctx, name)
            if in_use is None:
                step(db, row)
            else:
                first, last = DELETE_FLAG_KEPT_IN_USE_RELEASES
                if first <= version_tuple(self.linstor_version) < last:
                    _flag_deleted(db, "rsc_dfns", "id", row["id"])
        if in_use is not None:
            raise in_use
        return ctx, row

    def mark_resource_definition_deleting(self, name: str) -> None:
        """The first half of LINSTOR's delete of an RD (the ``deleting`` fault): after the delete's checks, the RD
        and its resources get flag DELETE, and are listed so until the delete is carried out
        (:meth:`delete_resource_definition`), as a controller lists them while its satellites remove the resources.
        Raises what the delete would."""

        def flag(db: sqlite3.Connection, row: sqlite3.Row) -> None:
            _flag_deleted(db, "rsc_dfns", "id", row["id"])
            _flag_deleted(db, "resources", "rd", row["id"])

        self._delete_rd_step(name, flag)

    def resume_deletes(self, node: str | None = None) -> list[str]:
        """What a controller does when its satellites connect (``node``'s, or all of them): the delete of each RD
        flagged DELETE goes on (CtrlRscDfnDeleteApiCallHandler.resourceDefinitionConnected): one held up by a
        satellite that was offline (it waits again while another one is), or a ``deleting`` fault cut short by a
        stop; one refused as in use is refused again while it still is. With ``node``, only the RDs with a resource
        there. Returns the names of the RDs deleted."""
        with self._read() as db:
            rows = db.execute("SELECT name, flags FROM rsc_dfns d WHERE ? IS NULL OR EXISTS "
                              "(SELECT 1 FROM resources r WHERE r.rd = d.id AND r.node = ?)", (node, node)).fetchall()
        flagged = [row["name"] for row in rows if "DELETE" in json.loads(row["flags"])]
        resumed = []
        for name in flagged:
            try:
                if self._delete_rd(name)[1]:
                    resumed.append(name)
            except LinstorError:
                pass  # refused (in use, snapshots): it keeps its flag, as on the controller
        return resumed

    def delete_resource_definition(self, name: str) -> list[RcEntry]:
        return self._delete_rd(name)[0]

    def _delete_rd(self, name: str) -> tuple[list[RcEntry], bool]:
        """LINSTOR's delete of an RD (CtrlRscDfnDeleteApiCallHandler): its reply, and whether the RD is gone. With
        a resource on a node whose satellite is offline, the RD is flagged DELETE, and so are its diskless resources
        (deleted first) or, without any, all of them (CtrlRscDfnTruncateApiCallHandler); the update of the
        satellites then ends with LINSTOR's not-connected warning, and the delete goes on when they are all
        connected again (:meth:`resume_deletes`)."""
        offline: list[str] = []
        flagged: list[str] = []

        def step(db: sqlite3.Connection, row: sqlite3.Row) -> None:
            offline.extend(self._offline_nodes(db, row["id"]))
            if not offline:
                db.execute("DELETE FROM rsc_dfns WHERE id = ?", (row["id"],))
                return
            _flag_deleted(db, "rsc_dfns", "id", row["id"])
            resources = db.execute("SELECT rowid AS row_id, node, flags FROM resources WHERE rd = ? "
                                   "ORDER BY upper(node)", (row["id"],)).fetchall()
            diskless = [rsc for rsc in resources if "DISKLESS" in json.loads(rsc["flags"])]
            for rsc in diskless or resources:
                _flag_deleted(db, "resources", "rowid", rsc["row_id"])
            flagged.extend(rsc["node"] for rsc in resources if self._online(rsc["node"]))

        ctx, row = self._delete_rd_step(name, step)
        display = row["name"]
        if offline:
            # the offline nodes answer at once, the others once their satellites did (mergeExtractingApiRcExceptions)
            return [ctx.entry(rc.DELETED, f"Resource definition '{display}' marked for deletion."),
                    *(_not_connected(node, ctx) for node in offline),
                    *(ctx.entry(rc.MODIFIED, f"Resource '{display}' on '{node}' marked for deletion")
                      for node in flagged)], False
        return [ctx.entry(rc.DELETED, f"Resource definition '{display}' deleted.",
                          details=f"Resource definition '{display}' UUID was: {row['uuid']}",
                          refs={rc.KEY_UUID: row["uuid"]})], True

    # ------------------------------------------------------------------ volume definitions

    def _vd_ctx(self, op: int, rd: str, number: int | None = None) -> Context:
        refs = {rc.KEY_RSC_DFN: rd}
        if number is not None:
            refs[rc.KEY_VLM_NR] = str(number)
        if number is None:
            return Context(op, rc.MASK_VLM_DFN, refs, f"Volume definition of resource definition '{rd}'")
        return Context(op, rc.MASK_VLM_DFN, refs,
                       f"Volume definition with number '{number}' of resource definition '{rd}'")

    def _check_size(self, ctx: Context, size, number) -> int:
        if not isinstance(size, int) or isinstance(size, bool) or not DRBD_MIN_NET_KIB <= size <= DRBD_MAX_KIB:
            raise ctx.error(rc.FAIL_INVLD_VLM_SIZE,
                            f"The volume definition with number '{number}' has an invalid size of '{size}'. "
                            f"Valid sizes range from {DRBD_MIN_NET_KIB} to {DRBD_MAX_KIB}.")
        return size

    def _insert_vd(self, db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row, number: int | None, size,
                   props: dict, flags: list | None = None) -> tuple[int, str]:
        if number is None:
            used = {r[0] for r in db.execute("SELECT vlm_nr FROM vlm_dfns WHERE rd = ?", (rd["id"],))}
            number = next(n for n in range(0, 65536) if n not in used)
        if not isinstance(number, int) or not 0 <= number <= 65535:
            raise ctx.error(rc.FAIL_INVLD_VLM_NR,
                            f"The given volume number '{number}' is invalid. Valid range from 0 to 65535")
        size = self._check_size(ctx, size, number)
        if db.execute("SELECT 1 FROM vlm_dfns WHERE rd = ? AND vlm_nr = ?", (rd["id"], number)).fetchone():
            raise ctx.error(rc.FAIL_EXISTS_VLM_DFN, f"A volume definition with the number {number} already exists "
                            f"in resource definition '{rd['name']}'.")
        new_uuid = _uuid()
        db.execute("INSERT INTO vlm_dfns VALUES (?, ?, ?, NULL, ?, ?, ?)",
                   (rd["id"], number, size, _dumps(props), _dumps(flags or []), new_uuid))
        if "DRBD" in self._layer_stack(db, rd["id"]):  # CtrlRscLayerDataFactory.ensureVlmDfnLayerDataExits
            self._ensure_drbd_data(db, ctx, rd["id"], number)
        return number, new_uuid

    def _ensure_drbd_data(self, db: sqlite3.Connection, ctx: Context, rd_id: int, number: int | None = None) -> None:
        """The RD's DRBD layer data (its TCP port) and that of volume definition ``number`` (its minor), or of
        every volume definition without one, as RscDrbdLayerHelper.createVlmDfnData / createRscData make them
        (ensureResourceDefinitionExists first)."""
        if db.execute("SELECT port FROM rsc_dfns WHERE id = ?", (rd_id,)).fetchone()[0] is None:
            db.execute("UPDATE rsc_dfns SET port = ? WHERE id = ?", (self._alloc_port(db, ctx, None), rd_id))
        query = "SELECT vlm_nr FROM vlm_dfns WHERE rd = ? AND minor IS NULL"
        args: tuple = (rd_id,)
        if number is not None:
            query += " AND vlm_nr = ?"
            args += (number,)
        for (vlm_nr,) in db.execute(query + " ORDER BY vlm_nr", args).fetchall():
            db.execute("UPDATE vlm_dfns SET minor = ? WHERE rd = ? AND vlm_nr = ?",
                       (self._alloc_minor(db, ctx), rd_id, vlm_nr))

    def list_volume_definitions(self, rd: str) -> list[dict]:
        with self._read() as db:
            row = self._rd_for_rest_list(db, rd)
            return [self._vd_json(v) for v in
                    db.execute("SELECT v.*, d.layer_stack AS rd_layer_stack FROM vlm_dfns v JOIN rsc_dfns d "
                               "ON d.id = v.rd WHERE v.rd = ? ORDER BY v.vlm_nr", (row["id"],))]

    def create_volume_definition(self, rd: str, body: dict) -> list[RcEntry]:
        vd = body.get("volume_definition") or {}
        number = vd.get("volume_number")
        ctx = self._vd_ctx(rc.MASK_CRT, rd, number)
        props = self._check_props(ctx, vd.get("props") or {}, whitelist.VOLUME_DEFINITION)
        with self._tx() as db:
            row = self._load_rd(db, ctx, rd)
            number, new_uuid = self._insert_vd(db, ctx, row, number, vd.get("size_kib"), props, vd.get("flags"))
            created = self._add_volumes_to_resources(db, row, number)
        entries = [ctx.entry(rc.CREATED, f"New volume definition with number '{number}' of resource definition "
                             f"'{row['name']}' created.", details=f"Volume definition UUID is: {new_uuid}",
                             refs={rc.KEY_VLM_NR: str(number), rc.KEY_UUID: new_uuid})]
        entries.extend(created)
        return entries

    def _add_volumes_to_resources(self, db, rd: sqlite3.Row, number: int) -> list[RcEntry]:
        entries = []
        for rsc in db.execute("SELECT node FROM resources WHERE rd = ?", (rd["id"],)):
            entries.append(RcEntry(rc.MASK_CRT | rc.MASK_VLM | rc.CREATED,
                                   f"Volume with number '{number}' on resource '{rd['name']}' on node "
                                   f"'{rsc['node']}' successfully registered",
                                   obj_refs={rc.KEY_NODE: rsc["node"], rc.KEY_RSC_DFN: rd["name"],
                                             rc.KEY_VLM_NR: str(number)}))
        return entries

    def modify_volume_definition(self, rd: str, number: int, body: dict) -> list[RcEntry]:
        ctx = self._vd_ctx(rc.MASK_MOD, rd, number)
        override = self._check_props(ctx, body.get("override_props") or {}, whitelist.VOLUME_DEFINITION,
                                     delete=body.get("delete_props") or ())
        with self._tx() as db:
            row = self._load_rd(db, ctx, rd)
            vd = db.execute("SELECT * FROM vlm_dfns WHERE rd = ? AND vlm_nr = ?", (row["id"], number)).fetchone()
            if vd is None:
                raise ctx.error(rc.FAIL_NOT_FOUND_VLM_DFN,
                                f"Volume definition '{rd}' with volume number '{number}' not found.",
                                cause=f"The specified volume definition '{rd}' with volume number '{number}' could "
                                "not be found in the database",
                                correction=f"Create a volume definition with the name '{rd}' first.")
            entries = prop_change_entries(rc.MASK_VLM_DFN, body.get("override_props"), body.get("delete_props"))
            size = vd["size_kib"]
            if body.get("size_kib") is not None:
                new_size = self._check_size(ctx, body["size_kib"], number)
                if new_size < size and db.execute("SELECT 1 FROM resources WHERE rd = ? LIMIT 1",
                                                  (row["id"],)).fetchone():
                    raise ctx.error(rc.FAIL_INVLD_VLM_SIZE, "Deployed volumes can only grow in size, not shrink.",
                                    correction="If you want to shrink the volume definition, you have to remove "
                                    "all volumes of this volume definition first.")
                if new_size == size:
                    entries.append(ctx.entry(rc.WARN_VLMDFN_RESIZE_SAME_SIZE,
                                             f"Volume definition already has size of {size}KiB."))
                if new_size > size and self._rd_props(db, row["id"]).get(KEY_EXACT_SIZE, "").lower() == "true":
                    # CtrlVlmDfnModifyApiCallHandler.ensureExactSizeIsUnset, its message as LINSTOR prints it
                    raise ctx.error(rc.FAIL_INVLD_PROP, "Volume definition must not be resized while the "
                                    "resource-definition has the property '' set!")
                if new_size != size and self._resize_blocked(db, row["id"]):
                    raise ctx.error(rc.FAIL_NOT_ALL_UPTODATE,
                                    "Cannot resize volume, because we have a non-UpToDate DRBD device.")
                size = new_size
            props = self._apply_prop_changes(json.loads(vd["props"]), override, body.get("delete_props"),
                                             body.get("delete_namespaces"))
            flags = json.loads(vd["flags"])
            for flag in body.get("flags") or []:
                if flag.startswith("-"):
                    flags = [f for f in flags if f != flag[1:]]
                elif flag not in flags:
                    flags.append(flag)
            db.execute("UPDATE vlm_dfns SET size_kib = ?, props = ?, flags = ? WHERE rd = ? AND vlm_nr = ?",
                       (size, _dumps(props), _dumps(flags), row["id"], number))
            changed = size != vd["size_kib"] or props != json.loads(vd["props"])
            not_connected = self._offline_warnings(db, ctx, row["id"]) if changed else []
        entries.append(ctx.entry(rc.MODIFIED, f"Volume definition with number '{number}' of resource definition "
                                 f"'{row['name']}' modified.", details=f"Volume definition UUID is: {vd['uuid']}",
                                 refs={rc.KEY_UUID: vd["uuid"]}))
        return entries + not_connected

    def delete_volume_definition(self, rd: str, number: int) -> list[RcEntry]:
        ctx = self._vd_ctx(rc.MASK_DEL, rd, number)
        with self._tx() as db:
            row = self._load_rd(db, ctx, rd)
            vd = db.execute("SELECT * FROM vlm_dfns WHERE rd = ? AND vlm_nr = ?", (row["id"], number)).fetchone()
            if vd is None:
                raise LinstorError([ctx.entry(rc.WARN_NOT_FOUND, f"Volume definition '{rd}' with volume number "
                                              f"'{number}' not found.", details=ctx.description)])
            db.execute("DELETE FROM vlm_dfns WHERE rd = ? AND vlm_nr = ?", (row["id"], number))
        return [ctx.entry(rc.DELETED, f"Volume definition with number '{number}' of resource definition "
                          f"'{row['name']}' deleted.", details=f"Volume definition UUID was: {vd['uuid']}",
                          refs={rc.KEY_UUID: vd["uuid"]})]

    # ------------------------------------------------------------------ resources

    def _insert_resource(self, db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row, node: str, pool: str,
                         diskless: bool, props: dict | None = None, node_id: int | None = None,
                         layer_list: list[str] | None = None, tie_breaker: bool = False) -> list[RcEntry]:
        """Insert a resource (diskless and flagged TIE_BREAKER with ``tie_breaker``). An RD without a layer stack
        takes ``layer_list``, else the default DRBD, STORAGE,
        and an RD whose stack holds DRBD gets its DRBD layer data (port, minors) now if it has none
        (ResourceControllerFactory.create, CtrlRscLayerDataFactory.ensureStackDataExists)."""
        stack = self._layer_stack(db, rd["id"])
        if not stack:
            stack = list(layer_list or ["DRBD", "STORAGE"])
            db.execute("UPDATE rsc_dfns SET layer_stack = ? WHERE id = ?", (_dumps(stack), rd["id"]))
        if "DRBD" in stack:
            self._ensure_drbd_data(db, ctx, rd["id"])
        used_ids = {r[0] for r in db.execute("SELECT node_id FROM resources WHERE rd = ?", (rd["id"],))}
        if node_id is None:
            node_id = next((n for n in range(MAX_NODE_ID + 1) if n not in used_ids), None)
        if node_id is None or node_id in used_ids:
            raise ctx.error(rc.FAIL_POOL_EXHAUSTED_NODE_ID, "Could not find free DRBD node ID")
        rsc_props = dict(props or {})
        rsc_props[KEY_STOR_POOL_NAME] = pool
        flags = TIE_BREAKER_FLAGS if tie_breaker else DISKLESS_FLAGS if diskless else []
        new_uuid = _uuid()
        db.execute("INSERT INTO resources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (rd["id"], node, node_id, pool, _dumps(flags), _dumps(rsc_props), new_uuid, _now_ms()))
        entries = [ctx.entry(rc.CREATED, f"New resource '{rd['name']}' on node '{node}' registered.",
                             details=f"Resource '{rd['name']}' on node '{node}' UUID is: {new_uuid}",
                             refs={rc.KEY_NODE: node, rc.KEY_UUID: new_uuid})]
        for vd in db.execute("SELECT vlm_nr FROM vlm_dfns WHERE rd = ? ORDER BY vlm_nr", (rd["id"],)):
            entries.append(RcEntry(rc.MASK_CRT | rc.MASK_VLM | rc.CREATED,
                                   f"Volume with number '{vd['vlm_nr']}' on resource '{rd['name']}' on node '{node}' "
                                   "successfully registered",
                                   obj_refs={rc.KEY_NODE: node, rc.KEY_RSC_DFN: rd["name"],
                                             rc.KEY_VLM_NR: str(vd["vlm_nr"])}))
        entries.append(ctx.entry(rc.MASK_INFO | rc.CREATED,
                                 f"Resource '{rd['name']}' on '{node}' ready",
                                 refs={rc.KEY_NODE: node}))
        return entries

    def _pool_row(self, db: sqlite3.Connection, node: str, pool: str) -> sqlite3.Row | None:
        return db.execute("SELECT * FROM stor_pools WHERE node = ? AND name = ?", (node, pool)).fetchone()

    def _default_pool(self, db: sqlite3.Connection, node: str, rd: sqlite3.Row) -> str:
        """StorPoolName by priority (RD props, group's select filter/props), else the node's first diskful pool."""
        rd_props = self._rd_props(db, rd["id"])
        rg = db.execute("SELECT * FROM rsc_grps WHERE name = ?", (rd["rg"],)).fetchone()
        select_filter = json.loads(rg["select_filter"]) if rg else {}
        rg_props = json.loads(rg["props"]) if rg else {}
        for candidate in (rd_props.get(KEY_STOR_POOL_NAME), *(select_filter.get("storage_pool_list") or []),
                          rg_props.get(KEY_STOR_POOL_NAME)):
            if candidate:
                return candidate
        row = db.execute("SELECT name FROM stor_pools WHERE node = ? AND provider_kind != 'DISKLESS' "
                         "ORDER BY name LIMIT 1", (node,)).fetchone()
        return row["name"] if row else DISKLESS_POOL

    def create_resource(self, rd_name: str, node_name: str, body: dict) -> list[RcEntry]:
        return self.create_resources(rd_name, [body], node_name)

    def create_resources(self, rd_name: str, bodies: list[dict], node_name: str | None = None) -> list[RcEntry]:
        """Create resources in one transaction, then manage the RD's tie-breaker once (CtrlRscCrtApiCallHandler)."""
        entries: list[RcEntry] = []
        with self._tx() as db:
            for body in bodies:
                body = body or {}
                node = node_name if node_name is not None else (body.get("resource") or {}).get("node_name") or ""
                ctx = Context(rc.MASK_CRT, rc.MASK_RSC, {rc.KEY_RSC_DFN: rd_name, rc.KEY_NODE: node},
                              f"Node: {node}, Resource: {rd_name}")
                rd = self._load_rd(db, ctx, rd_name)
                entries.extend(self._create_resource(db, ctx, rd, node, body))
            if bodies:
                entries.extend(self._run_auto_helpers(db, ctx, rd))
        return entries

    def _create_resource(self, db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row, node_name: str,
                         body: dict) -> list[RcEntry]:
        """One resource of a create. On a node where the RD is diskless, a diskful create gives that resource a
        disk and a diskless one only drops its TIE_BREAKER flag (CtrlRscCrtApiHelper.createResourceDb)."""
        rsc = body.get("resource") or {}
        props = dict(rsc.get("props") or {})
        flags = rsc.get("flags") or []
        node = self._load_node(db, ctx, node_name)
        existing = db.execute("SELECT * FROM resources WHERE rd = ? AND node = ?", (rd["id"], node["name"])).fetchone()
        if existing is not None and "DRBD_DISKLESS" not in json.loads(existing["flags"]):
            raise ctx.error(rc.FAIL_EXISTS_RSC, f"A resource '{rd['name']}' on node '{node['name']}' already exists.")
        diskless = "DISKLESS" in flags or "DRBD_DISKLESS" in flags
        if diskless:
            pool = props.pop(KEY_STOR_POOL_NAME, None) or DISKLESS_POOL
        else:
            pool = props.pop(KEY_STOR_POOL_NAME, None) or self._default_pool(db, node["name"], rd)
        pool_row = self._pool_row(db, node["name"], pool)
        if pool_row is None:
            raise ctx.error(rc.FAIL_NOT_FOUND_STOR_POOL_DFN,
                            f"Storage pool '{pool}' on node '{node['name']}' not found.",
                            cause=f"The specified storage pool '{pool}' on node '{node['name']}' could not be "
                            "found in the database")
        if pool_row["provider_kind"] == "DISKLESS":
            diskless = True
        if existing is not None:
            if diskless:
                _set_resource_disk(db, existing, DISKLESS_FLAGS, existing["stor_pool"])
                return []
            return [self._add_disk(db, ctx, rd, existing, pool_row["name"])]
        layer_list = parse_kinds(ctx, body["layer_list"], LAYER_KINDS, "layer") if body.get("layer_list") else None
        return self._insert_resource(db, ctx, rd, node["name"], pool_row["name"], diskless, props,
                                     body.get("drbd_node_id"), layer_list)

    @staticmethod
    def _add_disk(db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row, row: sqlite3.Row, pool: str) -> RcEntry:
        """Give the RD's diskless resource ``row`` a disk in ``pool`` (ToggleOp.INTO_DRBD_DISKFUL; a tie-breaker
        stops being one)."""
        _set_resource_disk(db, row, [], pool)
        return ctx.entry(rc.MODIFIED, f"Addition of disk to resource '{rd['name']}' on node '{row['node']}' registered",
                         refs={rc.KEY_NODE: row["node"]})

    def delete_resource(self, rd_name: str, node_name: str) -> list[RcEntry]:
        ctx = _rsc_ctx(rc.MASK_DEL, rd_name, node_name)
        with self._tx() as db:
            # CtrlApiDataLoader.loadRsc(node, rd, failIfNull=false): a missing RD or node is a missing resource
            self._check_rd_name(ctx, rd_name)
            rd = self._rd_row(db, rd_name)
            row = None if rd is None else db.execute("SELECT * FROM resources WHERE rd = ? AND node = ?",
                                                     (rd["id"], node_name)).fetchone()
            if rd is None or row is None:
                raise LinstorError([ctx.entry(rc.WARN_NOT_FOUND, f"Node: {node_name}, Resource: {rd_name} not found.",
                                              details=ctx.description)])
            if json.loads(row["props"]).get("Emulator/InUse") == "true":
                raise ctx.error(rc.FAIL_IN_USE, f"Resource '{rd['name']}' on node '{row['node']}' is still in use.",
                                cause="Resource is mounted/in use.",
                                correction=f"Un-mount resource '{rd['name']}' on the node '{row['node']}'.")
            flags = json.loads(row["flags"])
            others = [json.loads(r["flags"]) for r in db.execute(
                "SELECT flags FROM resources WHERE rd = ? AND node != ?", (rd["id"], row["node"]))]
            if ("DISKLESS" not in flags and any("DISKLESS" in other for other in others)
                    and not any("DISKLESS" not in other for other in others)):
                # CtrlRscDeleteApiHelper.ensureNotLastDisk
                raise ctx.error(rc.FAIL_IN_USE,
                                f"Last resource of '{rd['name']}' with disk still has diskless resources attached.",
                                cause="Resource still has diskless users.",
                                correction="Before deleting this resource, delete the diskless resources attached "
                                           "to it.")
            entries = []
            wanted_without = self._tie_breaker_wanted(db, rd, others)
            if wanted_without and "TIE_BREAKER" in flags:
                # CtrlRscAutoTieBreakerHelper.manage: a tie-breaker deleted by hand turns the feature off for the RD
                rd_props = self._rd_props(db, rd["id"])
                self._set_rd_props(db, rd["id"], rd_props, rd_props | {KEY_AUTO_TIE_BREAKER: "false"})
                entries.append(ctx.entry(rc.INFO_PROP_SET, f"Disabling auto-tiebreaker on resource-definition "
                                         f"'{rd['name']}' as tiebreaker resource was manually deleted"))
            elif wanted_without and not any("TIE_BREAKER" in other for other in others):
                diskless_pool = self._diskless_pool(db, row["node"])
                if "DISKLESS" in flags or diskless_pool is not None:
                    # CtrlRscAutoTieBreakerHelper.takeover: the resource stays, as the RD's tie-breaker
                    _set_resource_disk(db, row, TIE_BREAKER_FLAGS, row["stor_pool"] if "DISKLESS" in flags
                                       else diskless_pool)
                    return [ctx.entry(rc.INFO_TIE_BREAKER_TAKEOVER, "The given resource will not be deleted but "
                                      "will be taken over as a linstor managed tiebreaker resource.")]
            db.execute("DELETE FROM resources WHERE rd = ? AND node = ?", (rd["id"], row["node"]))
            entries.append(ctx.entry(rc.DELETED, f"Resource '{rd['name']}' on node '{row['node']}' deleted.",
                                     details=f"Resource '{rd['name']}' on node '{row['node']}' UUID was: "
                                     f"{row['uuid']}", refs={rc.KEY_UUID: row["uuid"]}))
            entries.extend(self._run_auto_helpers(db, ctx, rd))
        return entries

    def modify_resource(self, rd_name: str, node_name: str, body: dict) -> list[RcEntry]:
        ctx = Context(rc.MASK_MOD, rc.MASK_RSC, {rc.KEY_RSC_DFN: rd_name, rc.KEY_NODE: node_name},
                      f"Node: {node_name}, Resource: {rd_name}")
        with self._tx() as db:
            rd = self._load_rd(db, ctx, rd_name)
            row = db.execute("SELECT * FROM resources WHERE rd = ? AND node = ?", (rd["id"], node_name)).fetchone()
            if row is None:
                raise ctx.error(rc.FAIL_NOT_FOUND_RSC, f"Resource '{rd_name}' on node '{node_name}' not found.")
            props = self._apply_prop_changes(json.loads(row["props"]), body.get("override_props"),
                                             body.get("delete_props"), body.get("delete_namespaces"))
            db.execute("UPDATE resources SET props = ? WHERE rd = ? AND node = ?", (_dumps(props), rd["id"],
                                                                                     row["node"]))
        entries = prop_change_entries(rc.MASK_RSC, body.get("override_props"), body.get("delete_props"))
        return entries + [ctx.entry(rc.MODIFIED, f"Resource '{rd['name']}' on node '{row['node']}' modified.",
                          details=f"Resource '{rd['name']}' on node '{row['node']}' UUID is: {row['uuid']}",
                          refs={rc.KEY_UUID: row["uuid"]})]

    def _autoplace(self, db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row, select_filter: dict,
                   diskless_on_remaining: bool = False) -> list[RcEntry]:
        """Place the RD's resources on the nodes with the most free space, as LINSTOR's autoplacer does."""
        rg = db.execute("SELECT * FROM rsc_grps WHERE name = ?", (rd["rg"],)).fetchone()
        merged = merge_filter(json.loads(rg["select_filter"]) if rg else {}, select_filter)
        place_count = merged.get("place_count") or 0  # none anywhere: LINSTOR places none ("... on 0 nodes")
        placed = db.execute("SELECT node, flags FROM resources WHERE rd = ? ORDER BY node", (rd["id"],)).fetchall()
        diskful = [r["node"] for r in placed if "DISKLESS" not in json.loads(r["flags"])]
        diskless = [r["node"] for r in placed if "DISKLESS" in json.loads(r["flags"])]
        if merged.get("additional_place_count"):
            additional = merged["additional_place_count"]
        else:
            additional = place_count - len(diskful)
        if additional < 0:
            raise LinstorError([ctx.entry(
                rc.WARN_RSC_ALREADY_DEPLOYED,
                f"The resource '{rd['name']}' was already deployed on {len(placed)} nodes: "
                + ", ".join(f"'{r['node']}'" for r in placed)
                + ". The resource would have to be deleted from nodes to reach the placement count.",
                details=ctx.description)])
        if additional == 0 and not (diskless_on_remaining or merged.get("diskless_on_remaining")):
            return [ctx.entry(rc.WARN_RSC_ALREADY_DEPLOYED,
                              f"Resource '{rd['name']}' was already deployed on {len(diskful)} nodes. Skipping.",
                              details="Used nodes: '" + "', '".join(diskful) + "'")]
        pools = merged.get("storage_pool_list") or []
        if diskful and not pools:
            first = db.execute("SELECT stor_pool FROM resources WHERE rd = ? AND node = ?",
                               (rd["id"], diskful[0])).fetchone()
            pools = [first["stor_pool"]]
        node_filter = {n.lower() for n in merged.get("node_name_list") or []}
        size = db.execute("SELECT COALESCE(SUM(size_kib), 0) FROM vlm_dfns WHERE rd = ?", (rd["id"],)).fetchone()[0]
        used = self._used_kib(db)
        occupied = {n.lower() for n in diskful}  # a diskless resource takes a disk (skipAlreadyPlacedOnNodeNamesCheck)
        candidates = []
        for pool in db.execute("SELECT * FROM stor_pools WHERE provider_kind != 'DISKLESS' "
                               "ORDER BY upper(node), upper(name)"):
            node = pool["node"]
            if node.lower() in occupied or (node_filter and node.lower() not in node_filter):
                continue
            if not self._online(node):  # StorPoolFilter.listAvailableStorPools: the peer is online
                continue
            if pools and pool["name"].lower() not in {p.lower() for p in pools}:
                continue
            free = pool["total_kib"] - used.get((node.lower(), pool["name"].lower()), 0)
            if free < size:
                continue
            candidates.append((-free, node.lower(), node, pool["name"]))
        candidates.sort()
        chosen: list[tuple[str, str]] = []
        seen_nodes: set[str] = set()
        for _, key, node, pool in candidates:
            if key in seen_nodes:
                continue
            seen_nodes.add(key)
            chosen.append((node, pool))
        if len(chosen) < additional:
            pool_text = ""
            if pools:
                pool_text = (f" * has a deployed storage pool named {pools}\n"
                             f" * the storage pools have to have at least '{size}' free space\n")
            raise ctx.error(
                rc.FAIL_NOT_ENOUGH_NODES, "Not enough available nodes",
                details="Not enough nodes fulfilling the following auto-place criteria:\n" + pool_text
                + " * the current access context has enough privileges to use the node and the storage pool\n"
                " * the node is online\n\nAuto-place configuration details:\n"
                f"   Replica count: {place_count}\n"
                + (f"   Additional replica count: {additional}\n" if merged.get("additional_place_count") else "")
                + (f"   Storage pool name:\n      {', '.join(pools)}\n" if pools else ""))
        entries = []
        layer_list = merged.get("layer_stack") or None
        for node, pool in chosen[:additional]:
            row = db.execute("SELECT * FROM resources WHERE rd = ? AND node = ?", (rd["id"], node)).fetchone()
            if row is None:
                entries.extend(self._insert_resource(db, ctx, rd, node, pool, False, layer_list=layer_list))
            else:
                entries.append(self._add_disk(db, ctx, rd, row, pool))
        if diskless_on_remaining or merged.get("diskless_on_remaining"):
            taken = {n.lower() for n in diskful + diskless} | {n.lower() for n, _ in chosen[:additional]}
            for node in db.execute("SELECT name FROM nodes ORDER BY upper(name)"):
                if node["name"].lower() not in taken:
                    entries.extend(self._insert_resource(db, ctx, rd, node["name"], DISKLESS_POOL, True,
                                                         layer_list=layer_list))
        return entries + self._run_auto_helpers(db, ctx, rd)

    def _tie_breaker_wanted(self, db: sqlite3.Connection, rd: sqlite3.Row, resources: list[list[str]]) -> bool:
        """Whether an RD whose resources have the flags ``resources`` wants a tie-breaker
        (CtrlRscAutoTieBreakerHelper.isAutoTieBreakerEnabled and shouldTieBreakerExist): DRBD in its layer stack,
        KEY_AUTO_TIE_BREAKER true (RD, then group, then the controller's defaults); from 1.31 DRBD quorum majority or
        left to LINSTOR, before the auto-quorum not ``disabled``; an even number (2 or more) of diskful resources and
        no diskless one that is not the tie-breaker. The emulator takes every diskless resource for one a tie-breaker
        could stand in for."""
        if "DRBD" not in self._layer_stack(db, rd["id"]):
            return False
        if self._priority_prop(db, rd, KEY_AUTO_TIE_BREAKER, "false").lower() != "true":
            return False
        if not self._auto_quorum_reworked:
            if self._legacy_auto_quorum(db, rd) is None:
                return False
        elif (self._priority_prop(db, rd, KEY_QUORUM, "majority").lower() != "majority"
                and not self._quorum_set_by_linstor(db, rd)):
            return False
        live = _live(resources)
        diskful = sum("DISKLESS" not in flags for flags in live)
        diskless = sum("DISKLESS" in flags and "TIE_BREAKER" not in flags for flags in live)
        return diskful >= 2 and diskful % 2 == 0 and diskless == 0

    def _priority_prop(self, db: sqlite3.Connection, rd: sqlite3.Row, key: str, default: str) -> str:
        """A property as PriorityProps reads it: the RD's, else its group's, else the controller's, else
        ``default`` (the helper's own)."""
        value = self._rd_props(db, rd["id"]).get(key)
        if value is None:
            value = self._rg_props(db, rd).get(key)
        if value is None:
            value = self._controller_props(db).get(key)
        return default if value is None else value

    @staticmethod
    def _controller_props(db: sqlite3.Connection) -> dict[str, str]:
        return {row["key"]: row["value"] for row in db.execute("SELECT key, value FROM ctrl_props ORDER BY key")}

    @staticmethod
    def _diskless_pool(db: sqlite3.Connection, node: str) -> str | None:
        """The node's first diskless storage pool, if it has one."""
        row = db.execute("SELECT name FROM stor_pools WHERE node = ? AND provider_kind = 'DISKLESS' "
                         "ORDER BY upper(name) LIMIT 1", (node,)).fetchone()
        return row["name"] if row else None

    def _rerun_auto_helpers(self, db: sqlite3.Connection, rds: Iterable[sqlite3.Row]) -> list[RcEntry]:
        """The helpers again on each RD after a change of a property they read on its group or the controller; from
        1.31 each RD's quorum is dropped first when LINSTOR set it (CtrlRscAutoQuorumHelper
        .removeQuorumPropIfSetByLinstor, by the RD's own mark), so that the group's or controller's may rule."""
        entries = []
        for rd in rds:
            rd_props = self._rd_props(db, rd["id"])
            if self._auto_quorum_reworked and rd_props.get(KEY_QUORUM_SET_BY, "linstor").lower() == "linstor":
                self._set_rd_props(db, rd["id"], rd_props, {k: v for k, v in rd_props.items() if k != KEY_QUORUM})
            entries += self._run_auto_helpers(db, _rd_ctx(rc.MASK_MOD, rd["name"]), rd)
        return entries

    def _run_auto_helpers(self, db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row) -> list[RcEntry]:
        """CtrlRscAutoHelper.manage: the tie-breaker, then the quorum ("run autotiebreaker + autoquorum as last")."""
        return self._manage_tie_breaker(db, ctx, rd) + self._manage_quorum(db, ctx, rd)

    def _quorum_set_by_linstor(self, db: sqlite3.Connection, rd: sqlite3.Row) -> bool:
        """CtrlRscAutoQuorumHelper.isAutoQuorumEnabled (from 1.31): Internal/Drbd/QuorumSetBy, by priority, is not a
        user's."""
        return self._priority_prop(db, rd, KEY_QUORUM_SET_BY, "linstor").lower() == "linstor"

    def _manage_quorum(self, db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row) -> list[RcEntry]:
        """CtrlRscAutoQuorumHelper.manage (from :data:`AUTO_QUORUM_RELEASE`): unless a user set the quorum, the RD's
        DrbdOptions/Resource/quorum becomes ``majority`` when quorum is feasible (two disks and a diskless resource,
        or three disks, counting DRBD resources only), else ``off``; a quorum a user set on the group is copied onto
        the RD (setQuorumFromUser)."""
        if not self._auto_quorum_reworked:
            return self._manage_legacy_quorum(db, ctx, rd)
        props = self._rd_props(db, rd["id"])
        old = props.get(KEY_QUORUM)
        if not self._quorum_set_by_linstor(db, rd):
            # the properties the mark was found in (getQuorumSetByProp: RD, group, controller)
            setter = next(level for level in (props, self._rg_props(db, rd), self._controller_props(db))
                          if KEY_QUORUM_SET_BY in level)
            wanted = setter.get(KEY_QUORUM) or "majority"
            if wanted.lower() == (old or "").lower():
                return []
            self._set_rd_props(db, rd["id"], props, props | {KEY_QUORUM: wanted})
            return [ctx.entry(rc.INFO_PROP_SET, _quorum_prop_updated(KEY_QUORUM, old, wanted, "User"))]
        feasible = self._quorum_feasible(db, rd)
        wanted = "majority" if feasible else "off"
        if old != wanted:
            self._set_rd_props(db, rd["id"], props, props | {KEY_QUORUM: wanted})
        if feasible and old != wanted:
            return [ctx.entry(rc.INFO_PROP_SET, _quorum_prop_updated(KEY_QUORUM, old, wanted, "AutoQuorum"))]
        if not feasible and old is not None and old != wanted:
            return [ctx.entry(rc.INFO_PROP_REMOVED, _quorum_prop_removed(KEY_QUORUM))]
        return []

    def _quorum_feasible(self, db: sqlite3.Connection, rd: sqlite3.Row) -> bool:
        """CtrlRscAutoQuorumHelper.isQuorumFeasible: two disks and a diskless resource, or three disks, counting
        DRBD resources neither being deleted nor inactive."""
        live: list[list[str]] = []
        if "DRBD" in self._layer_stack(db, rd["id"]):
            rows = db.execute("SELECT flags FROM resources WHERE rd = ?", (rd["id"],))
            live = _live(json.loads(row["flags"]) for row in rows)
        diskful = sum("DISKLESS" not in flags for flags in live)
        return (diskful == 2 and len(live) > diskful) or diskful >= 3

    def _legacy_auto_quorum(self, db: sqlite3.Connection, rd: sqlite3.Row) -> str | None:
        """Before 1.31: DrbdOptions/auto-quorum by priority (RD, group, controller; none: disabled), the
        on-no-quorum policy the helper writes, or None when ``disabled`` (CtrlRscAutoQuorumHelper.getAutoQuorum)."""
        value = self._priority_prop(db, rd, KEY_AUTO_QUORUM, "disabled")
        return None if value == "disabled" else value

    def _manage_legacy_quorum(self, db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row) -> list[RcEntry]:
        """CtrlRscAutoQuorumHelper.manage before 1.31: unless DrbdOptions/auto-quorum is ``disabled``, the RD gets
        quorum ``majority`` and on-no-quorum the auto-quorum's value when quorum is feasible, else quorum ``off``
        and no on-no-quorum, whoever set them before (a user's on-no-quorum is overwritten). The messages are
        LINSTOR's, including its on-no-quorum one that shows the old quorum as the old value."""
        auto_quorum = self._legacy_auto_quorum(db, rd)
        if auto_quorum is None:
            return []
        props = self._rd_props(db, rd["id"])
        old_quorum, old_on_no_quorum = props.get(KEY_QUORUM), props.get(KEY_ON_NO_QUORUM)
        entries = []
        if self._quorum_feasible(db, rd):
            new = props | {KEY_QUORUM: "majority", KEY_ON_NO_QUORUM: auto_quorum}
            if old_quorum != "majority":
                entries.append(ctx.entry(rc.INFO_PROP_SET,
                                         _quorum_prop_updated(KEY_QUORUM, old_quorum, "majority", "auto-quorum")))
            if old_on_no_quorum != auto_quorum:  # the old quorum shown, as LINSTOR shows it
                entries.append(ctx.entry(rc.INFO_PROP_SET, _quorum_prop_updated(KEY_ON_NO_QUORUM, old_quorum,
                                                                                auto_quorum, "auto-quorum")))
        else:
            new = {key: value for key, value in props.items() if key != KEY_ON_NO_QUORUM} | {KEY_QUORUM: "off"}
            if old_quorum not in (None, "off"):
                entries.append(ctx.entry(rc.INFO_PROP_REMOVED, _quorum_prop_removed(KEY_QUORUM)))
            if old_on_no_quorum is not None:
                entries.append(ctx.entry(rc.INFO_PROP_REMOVED, _quorum_prop_removed(KEY_ON_NO_QUORUM)))
        if new != props:
            self._set_rd_props(db, rd["id"], props, new)
        return entries

    def _mark_quorum_setter(self, props: dict, override: dict | None, delete: Iterable[str] | None) -> dict:
        """CtrlPropsHelper.fillProperties and .remove (from :data:`AUTO_QUORUM_RELEASE`): a quorum a request sets is
        a user's (Internal/Drbd/QuorumSetBy ``user`` beside it), and one it deletes takes that mark with it."""
        if self._auto_quorum_reworked:
            if any(key.lower() == KEY_QUORUM.lower() for key in override or {}):
                props[KEY_QUORUM_SET_BY] = "user"
            if any(key.lower() == KEY_QUORUM.lower() for key in delete or ()):
                props.pop(KEY_QUORUM_SET_BY, None)
        return props

    def _manage_tie_breaker(self, db: sqlite3.Connection, ctx: Context, rd: sqlite3.Row) -> list[RcEntry]:
        """CtrlRscAutoTieBreakerHelper.manage, after a change of an RD's resources or of a property it reads: while
        the RD wants a tie-breaker (:meth:`_tie_breaker_wanted`) and has none, a diskless resource flagged
        TIE_BREAKER on the first online node (in the group's node list, if it has one) without a resource of the RD
        (getStorPoolForTieBreaker autoplaces it); once it wants none, its tie-breaker is removed if its node is
        online."""
        rows = db.execute("SELECT node, flags FROM resources WHERE rd = ?", (rd["id"],)).fetchall()
        flags = {row["node"]: json.loads(row["flags"]) for row in rows}
        tie_breaker = next((node for node, node_flags in flags.items() if "TIE_BREAKER" in node_flags), None)
        wanted = self._tie_breaker_wanted(db, rd, list(flags.values()))
        if wanted and tie_breaker is None:
            rg = db.execute("SELECT select_filter FROM rsc_grps WHERE name = ?", (rd["rg"],)).fetchone()
            node_list = json.loads(rg["select_filter"]).get("node_name_list") if rg else None
            allowed = {name.lower() for name in node_list or []}
            taken = {node.lower() for node in flags}
            for node in db.execute("SELECT name FROM nodes ORDER BY upper(name)").fetchall():
                key = node["name"].lower()
                if key in taken or (allowed and key not in allowed) or not self._online(node["name"]):
                    continue
                pool = self._diskless_pool(db, node["name"])
                if pool is not None:
                    self._insert_resource(db, ctx, rd, node["name"], pool, True, tie_breaker=True)
                    return [ctx.entry(rc.INFO_TIE_BREAKER_CREATED, f"Tie breaker resource '{rd['name']}' created on "
                                      f"{node['name']}")]
            return [ctx.entry(rc.WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER, "Could not find suitable node to "
                              f"automatically create a tie breaking resource for '{rd['name']}'.")]
        if not wanted and tie_breaker is not None and self._online(tie_breaker):
            db.execute("DELETE FROM resources WHERE rd = ? AND node = ?", (rd["id"], tie_breaker))
            return [ctx.entry(rc.INFO_TIE_BREAKER_DELETING, "Tie breaker marked for deletion")]
        return []

    def autoplace(self, rd_name: str, body: dict) -> list[RcEntry]:
        ctx = Context(rc.MASK_CRT, rc.MASK_RSC, {rc.KEY_RSC_DFN: rd_name}, f"Auto-placing resource: {rd_name}")
        with self._tx() as db:
            rd = self._load_rd(db, ctx, rd_name)
            select_filter = self._clean_filter(ctx, body.get("select_filter") or {})
            try:
                return self._autoplace(db, ctx, rd, select_filter, bool(body.get("diskless_on_remaining")))
            except LinstorError as exc:
                if not any(e.is_error for e in exc.entries):
                    return exc.entries  # a warning only: nothing to roll back, nothing was written
                raise

    def list_resources(self, rd_names: list[str] | None = None, nodes: list[str] | None = None,
                       pools: list[str] | None = None, props: list[str] | None = None,
                       with_volumes: bool = True) -> list[dict]:
        clauses, args = [], []
        if rd_names:
            clauses.append(f"d.name IN ({','.join('?' * len(rd_names))})")
            args.extend(rd_names)
        if nodes:
            clauses.append(f"r.node IN ({','.join('?' * len(nodes))})")
            args.extend(nodes)
        if pools:
            clauses.append(f"r.stor_pool COLLATE NOCASE IN ({','.join('?' * len(pools))})")
            args.extend(pools)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        with self._read() as db:
            db.execute("BEGIN")
            try:
                rows = db.execute(
                    "SELECT r.*, d.name AS rd_name, d.port AS port, d.port_given AS port_given, "
                    "d.peer_slots AS peer_slots, d.secret AS secret, "
                    "d.layer_stack AS layer_stack "
                    f"FROM resources r JOIN rsc_dfns d ON d.id = r.rd{where} "
                    "ORDER BY upper(d.name), upper(r.node)", args).fetchall()
                rd_ids = sorted({r["rd"] for r in rows})
                vds: dict[int, list[sqlite3.Row]] = {}
                peers: dict[int, list[str]] = {}
                for part, marks in _id_chunks(rd_ids):
                    for vd in db.execute(f"SELECT * FROM vlm_dfns WHERE rd IN ({marks}) ORDER BY vlm_nr", part):
                        vds.setdefault(vd["rd"], []).append(vd)
                    for peer in db.execute(f"SELECT rd, node FROM resources WHERE rd IN ({marks})", part):
                        peers.setdefault(peer["rd"], []).append(peer["node"])
                kinds = {(p["node"].lower(), p["name"].lower()): p["provider_kind"]
                         for p in db.execute("SELECT node, name, provider_kind FROM stor_pools")}
            finally:
                db.execute("COMMIT")
        filters = parse_prop_filters(props or [])
        result = []
        for row in rows:
            rsc_props = json.loads(row["props"])
            if not all((k in rsc_props) if v is None else rsc_props.get(k) == v for k, v in filters):
                continue
            result.append(self._rsc_json(row, vds.get(row["rd"], []), peers.get(row["rd"], []),
                                         kinds.get((row["node"].lower(), row["stor_pool"].lower()), "DISKLESS"),
                                         with_volumes))
        return result

    def view_resources(self, rd_names: list[str] | None = None, nodes: list[str] | None = None,
                       pools: list[str] | None = None, props: list[str] | None = None) -> list[dict]:
        """``GET /v1/view/resources`` (CtrlVlmListApiCallHandler.listVlms): the filter names are parsed first, the
        node names, the pool names, then the resource names (FAIL_INVLD_*_NAME, HTTP 500); a resource without a
        volume (in the filter's pools) is left out."""
        filters = ((nodes, check_node_name, rc.FAIL_INVLD_NODE_NAME, "The given node name '{}' is invalid."),
                   (pools, check_storage_pool_name, rc.FAIL_INVLD_STOR_POOL_NAME,
                    "The given storage pool name '{}' is invalid."),
                   (rd_names, check_resource_name, rc.FAIL_INVLD_RSC_NAME,
                    "The specified resource name '{}' is invalid."))
        for names, check, code, message in filters:
            for name in names or []:
                try:
                    check(name)
                except InvalidName:
                    raise LinstorError([RcEntry(code, message.format(name))]) from None
        return [item for item in self.list_resources(rd_names, nodes, pools, props) if item.get("volumes")]

    def _rsc_json(self, row: sqlite3.Row, vds: list[sqlite3.Row], peers: list[str], provider: str,
                  with_volumes: bool) -> dict:
        flags = json.loads(row["flags"])
        diskless = "DISKLESS" in flags
        drbd = "DRBD" in json.loads(row["layer_stack"])  # else the volumes are the storage layer's alone
        state = "Diskless" if diskless else "UpToDate"
        drbd_volumes, storage_volumes, volumes = [], [], []
        other_nodes = [peer for peer in sorted(peers, key=str.lower) if peer.lower() != row["node"].lower()]
        for vd in vds:
            size = 0 if diskless else vd["size_kib"]
            backing = None if diskless else f"/dev/zvol/tank/linstor/{row['rd_name']}_{vd['vlm_nr']:05d}"
            device = f"/dev/drbd{vd['minor']}" if drbd else backing or ""
            drbd_volume = {"drbd_volume_definition": {"resource_name_suffix": "", "volume_number": vd["vlm_nr"],
                                                      "minor_number": vd["minor"]},
                           "device_path": device, "allocated_size_kib": size,
                           "usable_size_kib": vd["size_kib"], "disk_state": state}
            if backing:
                drbd_volume["backing_device"] = backing
                drbd_volume["meta_disk"] = "internal"
            drbd_volumes.append(drbd_volume)
            storage_volume = {"volume_number": vd["vlm_nr"], "device_path": backing or "",
                              "allocated_size_kib": size, "usable_size_kib": size, "disk_state": "[]"}
            storage_volumes.append(storage_volume)
            replication = {peer: {"replication_state": "Established"} for peer in other_nodes}
            volumes.append({
                "volume_number": vd["vlm_nr"], "storage_pool_name": row["stor_pool"], "provider_kind": provider,
                "device_path": device, "allocated_size_kib": size, "usable_size_kib": vd["size_kib"],
                "props": {}, "flags": [], "state": {"disk_state": state, "replication_states": replication},
                "layer_data_list": ([{"type": "DRBD", "data": drbd_volume}] if drbd else [])
                + [{"type": "STORAGE", "data": storage_volume}],
                "uuid": vd["uuid"], "reports": []})
        connections = {peer: {"connected": True, "message": "Connected"} if self._online(peer)
                       else {"connected": False, "message": "Connecting"} for peer in other_nodes}
        reply = {
            "name": row["rd_name"], "node_name": row["node"], "props": json.loads(row["props"]), "flags": flags,
            "layer_object": {
                "type": "DRBD", "resource_name_suffix": "",
                "children": [{"type": "STORAGE", "resource_name_suffix": "",
                              "storage": {"storage_volumes": storage_volumes}}],
                "drbd": {"drbd_resource_definition": {"resource_name_suffix": "", "peer_slots": row["peer_slots"],
                                                      "al_stripes": 1, "al_stripe_size_kib": 32,
                                                      "port": self._rd_port(row),
                                                      "transport_type": "IP", "secret": row["secret"],
                                                      "down": False},
                         "node_id": row["node_id"], "tcp_ports": [row["port"]], "peer_slots": row["peer_slots"],
                         "al_stripes": 1, "al_size": 32, "flags": ["INITIALIZED"], "drbd_volumes": drbd_volumes,
                         "connections": connections, "promotion_score": 10102, "may_promote": True},
            },
            "state": {"in_use": json.loads(row["props"]).get("Emulator/InUse") == "true"},
            "uuid": row["uuid"], "create_timestamp": row["created_ms"],
        }
        if not drbd:
            reply["layer_object"] = {"type": "STORAGE", "resource_name_suffix": "",
                                     "storage": {"storage_volumes": storage_volumes}}
        if not self._online(row["node"]):  # the states come from the satellite: none while it is offline (Json)
            del reply["state"]
            reply["layer_object"].get("drbd", {}).pop("connections", None)
            for volume in volumes:
                del volume["state"]
        if with_volumes:
            reply["volumes"] = volumes
        return reply

    def list_rd_resources(self, rd_name: str) -> list[dict]:
        with self._read() as db:
            rd = self._load_rd(db, Context.for_query(), rd_name)
        return self.list_resources([rd["name"]], with_volumes=False)

    def get_resource(self, rd_name: str, node_name: str) -> dict:
        ctx = Context.for_query()
        with self._read() as db:
            self._load_rd(db, ctx, rd_name)
        found = self.list_resources([rd_name], [node_name], with_volumes=False)
        if not found:  # Resources.listResources: queryRequestResponse("Resource '<rd>' on", node)
            raise ctx.error(rc.FAIL_NOT_FOUND_RSC, f"Resource '{rd_name}' on '{node_name}' not found.")
        return found[0]

    def list_volumes(self, rd_name: str, node_name: str) -> list[dict]:
        ctx = Context.for_query()
        with self._read() as db:
            self._load_rd(db, ctx, rd_name)
        found = self.list_resources([rd_name], [node_name], with_volumes=True)
        if not found:
            raise ctx.error(rc.FAIL_NOT_FOUND_RSC, f"Resource '{rd_name}' on node '{node_name}' not found.")
        return found[0]["volumes"]

    # ------------------------------------------------------------------ resource-group spawn

    def spawn(self, rg_name: str, body: dict) -> list[RcEntry]:
        rd_name = body.get("resource_definition_name") or ""
        ctx = _rg_ctx(rc.MASK_CRT, rg_name)
        ctx.obj_refs[rc.KEY_RSC_DFN] = rd_name
        rd_ctx = _rd_ctx(rc.MASK_CRT, rd_name)
        refuse_external_name(rd_ctx, rd_name, body.get("resource_definition_external_name"))
        sizes = body.get("volume_sizes") or []
        partial = bool(body.get("partial"))
        definitions_only = bool(body.get("definitions_only"))
        props = body.get("resource_definition_props") or {}
        with self._tx() as db:
            rg = self._load_rg(db, ctx, rg_name)
            vgs = db.execute("SELECT * FROM vlm_grps WHERE rg = ? ORDER BY vlm_nr", (rg["name"],)).fetchall()
            entries: list[RcEntry] = []
            if not vgs and not partial:
                entries.append(RcEntry(rc.MASK_INFO | rc.MASK_RSC_GRP,
                                       "Resource-group doesn't have any volume-groups, automatically assume "
                                       "partial mode.", obj_refs=dict(ctx.obj_refs)))
            if len(sizes) != len(vgs) and not (partial or not vgs):
                raise ctx.error(rc.FAIL_INVLD_VLM_SIZES,
                                f"Invalid count of volume sizes to spawn resource group '{rg['name']}'",
                                details=f"The resource group '{rg['name']}' has {len(vgs)} Volume groups, but only "
                                f"{len(sizes)} sizes were provided.",
                                correction="Either provide the correct count of volume sizes or use the 'partial' "
                                "option")
            select_filter = merge_filter(json.loads(rg["select_filter"]),
                                         parse_filter_kinds(rd_ctx, body.get("select_filter") or {}))
            rd, created = self._create_rd(db, rd_ctx, rd_name, rg["name"], props, peer_slots=body.get("peer_slots"),
                                          layer_stack=select_filter.get("layer_stack"))
            entries.extend(created)
            for index, size in enumerate(sizes):
                number = vgs[index]["vlm_nr"] if index < len(vgs) else None
                vd_props = json.loads(vgs[index]["props"]) if index < len(vgs) else {}
                flags = json.loads(vgs[index]["flags"]) if index < len(vgs) else []
                vd_ctx = self._vd_ctx(rc.MASK_CRT, rd_name, number if number is not None else index)
                number, new_uuid = self._insert_vd(db, vd_ctx, rd, number, size, vd_props, flags)
                entries.append(vd_ctx.entry(rc.CREATED, f"New volume definition with number '{number}' of resource "
                                            f"definition '{rd_name}' created.",
                                            details=f"Volume definition UUID is: {new_uuid}",
                                            refs={rc.KEY_VLM_NR: str(number), rc.KEY_UUID: new_uuid}))
            if select_filter.get("place_count") is not None and not definitions_only:
                ap_ctx = Context(rc.MASK_CRT, rc.MASK_RSC, {rc.KEY_RSC_DFN: rd_name},
                                 f"Auto-placing resource: {rd_name}")
                try:
                    entries.extend(self._autoplace(db, ap_ctx, rd, body.get("select_filter") or {}))
                except LinstorError as exc:
                    if any(e.is_error for e in exc.entries):
                        raise
                    entries.extend(exc.entries)
            else:
                reasons = []
                if select_filter.get("place_count") is None:
                    reasons.append("No autoplace configuration in the given resource group (at least place-count "
                                   "required)")
                if definitions_only:
                    reasons.append("--definitions-only was set")
                entries.append(ctx.entry(rc.INFO_NO_RSC_SPAWNED,
                                         f"Resource definition {rd_name} and {len(sizes)} created but no resources "
                                         "deployed", cause=" and ".join(reasons)))
        return entries

    # ------------------------------------------------------------------ clone

    def clone(self, src_name: str, body: dict) -> tuple[list[RcEntry], str]:
        clone_name = body.get("name") or ""
        ctx = _rd_ctx(rc.MASK_CRT, clone_name)
        refuse_external_name(ctx, clone_name, body.get("external_name"))
        if not clone_name:
            raise ctx.error(rc.FAIL_INVLD_RSC_NAME, "No name for the cloned resource was specified.")
        override = self._check_props(ctx, body.get("override_props") or {}, delete=body.get("delete_props") or ())
        with self._tx() as db:
            src = self._load_rd(db, _rd_ctx(rc.MASK_CRT, src_name), src_name)
            src_props = self._rd_props(db, src["id"])
            rg_name = body.get("resource_group") or src["rg"]
            layers = body.get("layer_list") or json.loads(src["layer_stack"])
            if override.get(KEY_EXACT_SIZE, "").lower() == "true":
                count = db.execute("SELECT COUNT(*) FROM resources WHERE rd = ?", (src["id"],)).fetchone()[0]
                raise ctx.error(rc.FAIL_INVLD_PROP, "The property 'DrbdOptions/ExactSize' cannot be set to True while "
                                f"there are currently deployed resources({count}).")
            props = dict(src_props)
            props[KEY_CLONED_FROM] = src["name"]
            props = self._apply_prop_changes(props, override, body.get("delete_props"), body.get("delete_namespaces"))
            props = self._mark_quorum_setter(props, override, body.get("delete_props"))
            # createRscDfnPayload: the source's DRBD layer data, if it has one, gives the clone its own
            clone, created = self._create_rd(db, ctx, clone_name, rg_name, {},
                                             peer_slots=src["peer_slots"] if src["port"] is not None else None,
                                             layer_stack=layers)
            # cloneRscDfnInTransaction: fillProperties and remove report the request's keys first
            entries = prop_change_entries(rc.MASK_RSC_DFN, override, body.get("delete_props")) + created
            db.executemany("INSERT INTO rd_props VALUES (?, ?, ?)", [(clone["id"], k, v) for k, v in props.items()])
            for vd in db.execute("SELECT * FROM vlm_dfns WHERE rd = ? ORDER BY vlm_nr", (src["id"],)).fetchall():
                self._insert_vd(db, ctx, clone, vd["vlm_nr"], vd["size_kib"], json.loads(vd["props"]),
                                json.loads(vd["flags"]))
            rsc_ctx = Context(rc.MASK_CRT, rc.MASK_RSC, {rc.KEY_RSC_DFN: clone_name}, f"Resource: {clone_name}")
            for rsc in db.execute("SELECT * FROM resources WHERE rd = ? ORDER BY node", (src["id"],)).fetchall():
                rsc_props = json.loads(rsc["props"])
                rsc_props.pop("Emulator/InUse", None)
                flags = json.loads(rsc["flags"])  # Resource.Flags.restoreFlags: the tie-breaker stays one
                entries.extend(self._insert_resource(db, rsc_ctx, clone, rsc["node"], rsc["stor_pool"],
                                                     "DISKLESS" in flags, rsc_props,
                                                     tie_breaker="TIE_BREAKER" in flags))
        return entries, clone["name"]

    def clone_status(self, src_name: str, clone_name: str) -> dict:
        """The clone's status; only the clone counts (CtrlApiCallHandler.isCloneReady ignores the source):
        an RD that does not exist or was not cloned (no ``cloned-from``) is "Cloned resource not found."."""
        self._check_rd_name(Context.for_query(), clone_name)
        with self._read() as db:
            row = db.execute("SELECT * FROM rsc_dfns WHERE name = ?", (clone_name,)).fetchone()
            cloned = row is not None and KEY_CLONED_FROM in self._rd_props(db, row["id"])
        if not cloned:
            raise LinstorError([RcEntry(rc.FAIL_NOT_FOUND_RSC_DFN, "Cloned resource not found.")])
        flags = json.loads(row["flags"])
        return {"status": "FAILED" if "FAILED" in flags else "CLONING" if "CLONING" in flags else "COMPLETE"}

    # ------------------------------------------------------------------ snapshots

    def create_snapshot(self, rd_name: str, body: dict) -> list[RcEntry]:
        snap_name = body.get("name") or ""
        ctx = _snap_ctx(rc.MASK_CRT, rd_name, snap_name, body.get("nodes"))
        try:
            check_snapshot_name(snap_name)
        except InvalidName as exc:
            raise ctx.error(rc.FAIL_INVLD_SNAPSHOT_NAME, f"The given snapshot name '{snap_name}' is invalid.",
                            cause=str(exc)) from None
        with self._tx() as db:
            rd = self._load_rd(db, ctx, rd_name)
            if db.execute("SELECT 1 FROM snapshots WHERE rd = ? AND name = ?", (rd["id"], snap_name)).fetchone():
                raise ctx.error(rc.FAIL_EXISTS_SNAPSHOT_DFN,
                                f"A snapshot definition with the name '{snap_name}' already exists in resource "
                                f"definition '{rd['name']}'.")
            rscs = db.execute("SELECT * FROM resources WHERE rd = ? ORDER BY upper(node)",
                              (rd["id"],)).fetchall()
            diskful = [r for r in rscs if "DISKLESS" not in json.loads(r["flags"])]
            connected = [r for r in diskful if self._online(r["node"])]
            if not connected:  # ensureSnapshotsViable, before the nodes are looked at
                named = version_tuple(self.linstor_version) >= SNAPSHOT_NO_RESOURCES_NAMED_RELEASE
                raise ctx.error(rc.FAIL_NOT_CONNECTED, "No diskful connected satellite for snapshot"
                                + (" or no resources." if named else "."),
                                details="Snapshots need at least one diskful online satellite.")
            wanted = body.get("nodes") or []
            chosen = connected
            # a disk on an offline node is left out, with a warning (CtrlSnapshotCrtHelper.warnNodeOffline); named
            # nodes are taken as named, as LINSTOR takes them (only an evacuating one is checked)
            skipped = [] if wanted else [ctx.entry(
                rc.MASK_WARN, f"Snapshot for resource '{rd['name']}' will not be created on node '{r['node']}' "
                "because that node is currently offline.") for r in diskful if not self._online(r["node"])]
            if wanted:
                chosen = []
                by_node = {r["node"].lower(): r for r in rscs}
                for node in wanted:
                    rsc = by_node.get(node.lower())
                    if rsc is None:
                        self._load_node(db, ctx, node)
                        raise ctx.error(rc.FAIL_NOT_FOUND_RSC, f"Resource '{rd['name']}' on node '{node}' not found.")
                    if "DISKLESS" in json.loads(rsc["flags"]):
                        raise ctx.error(rc.FAIL_SNAPSHOTS_NOT_SUPPORTED,
                                        f"Cannot create snapshot from diskless resource on node '{rsc['node']}'")
                    chosen.append(rsc)
            # the highest number in use + 1, as SnapshotDefinitionControllerFactory: a number frees up with its snapshot
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM snapshots WHERE rd = ?", (rd["id"],)).fetchone()[0]
            now = _now_ms()
            new_uuid = _uuid()
            rd_props = self._rd_props(db, rd["id"])
            cursor = db.execute(
                "INSERT INTO snapshots(rd, name, seq, flags, props, rd_props, uuid, created_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (rd["id"], snap_name, seq, _dumps(["SUCCESSFUL"]), _dumps({KEY_SEQUENCE_NUMBER: str(seq)}),
                 _dumps(rd_props), new_uuid, now))
            for rsc in chosen:
                db.execute("INSERT INTO snap_nodes VALUES (?, ?, ?, ?, ?, ?)",
                           (cursor.lastrowid, rsc["node"], rsc["stor_pool"], rsc["props"], _uuid(), now))
            for vd in db.execute("SELECT * FROM vlm_dfns WHERE rd = ?", (rd["id"],)).fetchall():
                db.execute("INSERT INTO snap_vlm_dfns VALUES (?, ?, ?, ?)",
                           (cursor.lastrowid, vd["vlm_nr"], vd["size_kib"], vd["props"]))
        inline = f"snapshot '{snap_name}' of resource '{rd_name}'"
        if wanted:
            inline += " on nodes '" + ", ".join(wanted) + "'"
        on_nodes = ", ".join(f"'{r['node']}'" for r in chosen)
        return skipped + [
            ctx.entry(rc.CREATED, f"New {inline} registered.", details=f"{_caps(inline)} UUID is: {new_uuid}",
                      refs={rc.KEY_UUID: new_uuid}),
            ctx.entry(rc.MASK_INFO | rc.CREATED, f"Suspended IO of '[{rd['name']}]' on {on_nodes} for snapshot"),
            ctx.entry(rc.MASK_INFO | rc.CREATED, f"Took snapshot of '[{rd['name']}]' on {on_nodes}"),
            ctx.entry(rc.MASK_INFO | rc.CREATED, f"Resumed IO of '[{rd['name']}]' on {on_nodes} after snapshot")]

    def _captured_props(self, snap: sqlite3.Row) -> dict:
        """What a restore copies onto the RD: the RD properties the snapshot captured; before 1.30 the one set the
        snapshot definition kept, its own SequenceNumber included (:data:`SNAPSHOT_PROPS_SPLIT_RELEASE`)."""
        captured = json.loads(snap["rd_props"])
        if version_tuple(self.linstor_version) < SNAPSHOT_PROPS_SPLIT_RELEASE:
            captured |= json.loads(snap["props"])
        return captured

    def _snapshot_json(self, db: sqlite3.Connection, snap: sqlite3.Row, rd_name: str) -> dict:
        nodes = db.execute("SELECT * FROM snap_nodes WHERE snap = ? ORDER BY upper(node)",
                           (snap["id"],)).fetchall()
        vds = db.execute("SELECT * FROM snap_vlm_dfns WHERE snap = ? ORDER BY vlm_nr", (snap["id"],)).fetchall()
        own_props, rd_props = json.loads(snap["props"]), json.loads(snap["rd_props"])
        split = version_tuple(self.linstor_version) >= SNAPSHOT_PROPS_SPLIT_RELEASE
        return {
            "name": snap["name"], "resource_name": rd_name, "nodes": [n["node"] for n in nodes],
            "props": rd_props | own_props,
            **({"snapshot_definition_props": own_props, "resource_definition_props": rd_props} if split else {}),
            "flags": json.loads(snap["flags"]),
            "volume_definitions": [{"volume_number": v["vlm_nr"], "size_kib": v["size_kib"],
                                    "snapshot_volume_definition_props": {},
                                    "volume_definition_props": json.loads(v["vd_props"])} for v in vds],
            "uuid": snap["uuid"],
            "snapshots": [{"snapshot_name": snap["name"], "node_name": n["node"], "create_timestamp": n["created_ms"],
                           "flags": [], "uuid": n["uuid"], "snapshot_props": {},
                           "resource_props": json.loads(n["rsc_props"]),
                           "snapshot_volumes": [{"uuid": _derived_uuid(n["uuid"], v["vlm_nr"]), "vlm_nr": v["vlm_nr"],
                                                 "props": {},
                                                 "snapshot_volume_props": {}, "volume_props": {}, "state": "Complete"}
                                                for v in vds]}
                          for n in nodes],
        }

    def list_snapshots(self, rd_name: str | None = None, nodes: list[str] | None = None,
                       rd_names: list[str] | None = None) -> list[dict]:
        with self._read() as db:
            db.execute("BEGIN")
            try:
                if rd_name is not None:
                    rd = self._rd_for_rest_list(db, rd_name)
                    rows = db.execute("SELECT s.*, ? AS rd_name FROM snapshots s WHERE s.rd = ? "
                                      "ORDER BY upper(s.name)", (rd["name"], rd["id"])).fetchall()
                else:
                    clauses, args = [], []
                    # View.listSnapshots lower-cases the names; CtrlSnapshotApiCallHandler.listSnapshotDefinitions
                    # parses them (FAIL_INVLD_RSC_NAME, HTTP 500, naming the lower-cased name)
                    rd_names = [name.lower() for name in rd_names or []]
                    for name in rd_names:
                        try:
                            check_resource_name(name)
                        except InvalidName:
                            raise LinstorError([RcEntry(rc.FAIL_INVLD_RSC_NAME,
                                                        f"The specified resource name '{name}' is invalid.")]) from None
                    if rd_names:
                        clauses.append(f"d.name IN ({','.join('?' * len(rd_names))})")
                        args.extend(rd_names)
                    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
                    rows = db.execute("SELECT s.*, d.name AS rd_name FROM snapshots s JOIN rsc_dfns d ON d.id = s.rd"
                                      f"{where} ORDER BY upper(d.name), upper(s.name)",
                                      args).fetchall()
                result = [self._snapshot_json(db, row, row["rd_name"]) for row in rows]
            finally:
                db.execute("COMMIT")
        if nodes:
            wanted = {n.lower() for n in nodes}
            result = [s for s in result if wanted & {n.lower() for n in s["nodes"]}]
        return result

    def get_snapshot(self, rd_name: str, snap_name: str) -> dict:
        with self._read() as db:
            rd = self._rd_for_rest_list(db, rd_name)
            snap = db.execute("SELECT * FROM snapshots WHERE rd = ? AND name = ?", (rd["id"], snap_name)).fetchone()
            if snap is None:  # RequestHelper.queryRequestResponse
                raise LinstorError([RcEntry(rc.FAIL_NOT_FOUND_SNAPSHOT, f"Snapshot '{snap_name}' not found.")])
            return self._snapshot_json(db, snap, rd["name"])

    def delete_snapshot(self, rd_name: str, snap_name: str, nodes: list[str] | None = None) -> list[RcEntry]:
        """Delete a snapshot, or (``nodes``) its copies on those nodes. LINSTOR deletes it at once even when a node
        holding it is offline (its satellite's update only warns: notConnectedWarn), so the copy there is not
        removed."""
        ctx = _snap_ctx(rc.MASK_DEL, rd_name, snap_name)
        with self._tx() as db:
            # CtrlApiDataLoader.loadSnapshotDfn(rd, snap, failIfNull=false): a missing RD is a missing snapshot
            self._check_rd_name(ctx, rd_name)
            rd = self._rd_row(db, rd_name)
            snap = None if rd is None else db.execute("SELECT * FROM snapshots WHERE rd = ? AND name = ?",
                                                      (rd["id"], snap_name)).fetchone()
            if snap is None:
                raise LinstorError([ctx.entry(rc.WARN_NOT_FOUND,
                                              f"Snapshot definition {snap_name} of resource {rd_name} not found.",
                                              details=ctx.description)])
            missing: list[str] = []
            holders: list[str] = []
            if nodes:
                # CtrlSnapshotDeleteApiCallHandler.deleteSnapshotInTransaction: the given nodes without the snapshot
                # are named in a warning after the delete's entry
                missing = list(nodes)
                for (node,) in db.execute("SELECT node FROM snap_nodes WHERE snap = ?", (snap["id"],)).fetchall():
                    found = next((name for name in missing if name.lower() == node.lower()), None)
                    if found is not None:
                        missing.remove(found)
                for node in nodes:
                    db.execute("DELETE FROM snap_nodes WHERE snap = ? AND node = ?", (snap["id"], node))
                if db.execute("SELECT 1 FROM snap_nodes WHERE snap = ?", (snap["id"],)).fetchone() is None:
                    db.execute("DELETE FROM snapshots WHERE id = ?", (snap["id"],))
            else:
                holders = [row["node"] for row in db.execute(
                    "SELECT node FROM snap_nodes WHERE snap = ? ORDER BY upper(node)", (snap["id"],))]
                db.execute("DELETE FROM snapshots WHERE id = ?", (snap["id"],))
        entries = []
        if holders:  # CtrlSnapshotDeleteApiCallHandler: marked on each node, each satellite told (notConnectedWarn)
            inline = f"snapshot '{snap['name']}' of resource '{rd['name']}'"
            offline = [node for node in holders if not self._online(node)]
            entries += [ctx.entry(rc.DELETED, f"Marked snapshot for deletion {inline} on nodes '{node}'")
                        for node in holders]
            for node in offline + [node for node in holders if node not in offline]:  # the offline ones answer first
                if node in offline:
                    entries.append(_not_connected(node, ctx))
                entries.append(ctx.entry(rc.MODIFIED, f"Deleted snapshot '{snap['name']}' of '{rd['name']}' on "
                                                      f"'{node}'"))
            entries.append(ctx.entry(rc.DELETED, f"{_caps(inline)} on nodes '{', '.join(holders)}' deleted."))
        entries += [ctx.entry(rc.DELETED, f"Snapshot '{snap['name']}' of resource '{rd['name']}' deleted.",
                             details=f"Snapshot '{snap['name']}' of resource '{rd['name']}' UUID was: {snap['uuid']}",
                             refs={rc.KEY_UUID: snap["uuid"]})]
        if missing:
            entries.append(ctx.entry(rc.WARN_NOT_FOUND, f"Snapshot definition {snap['name']} of resource {rd['name']} "
                                     f"was not found on given nodes: {', '.join(missing)}"))
        return entries

    def rollback(self, rd_name: str, snap_name: str) -> list[RcEntry]:
        """Roll the RD back to its most recent successful snapshot (LINSTOR 1.28's rule)."""
        ctx = _snap_ctx(rc.MASK_MOD, rd_name, snap_name)
        with self._tx() as db:
            rd = self._load_rd(db, ctx, rd_name)
            snap = self._load_snapshot(db, ctx, rd, snap_name)
            latest = db.execute("SELECT MAX(seq) FROM snapshots WHERE rd = ?", (rd["id"],)).fetchone()[0]
            if snap["seq"] != latest:
                raise ctx.error(rc.FAIL_EXISTS_SNAPSHOT_DFN, "Rollback is only allowed with the most recent snapshot")
            if "SUCCESSFUL" not in json.loads(snap["flags"]):
                raise ctx.error(rc.FAIL_UNKNOWN_ERROR, "Unable to use failed snapshot")
            snap_nodes = {r["node"].lower() for r in db.execute("SELECT node FROM snap_nodes WHERE snap = ?",
                                                                 (snap["id"],))}
            snap_vds = {r["vlm_nr"]: r for r in db.execute("SELECT * FROM snap_vlm_dfns WHERE snap = ?",
                                                            (snap["id"],))}
            rscs = db.execute("SELECT * FROM resources WHERE rd = ? ORDER BY node", (rd["id"],)).fetchall()
            offline = self._offline_nodes(db, rd["id"])
            if offline:  # CtrlSnapshotRollbackApiCallHandler.ensureAllSatellitesConnected, before the in-use check
                raise ctx.error(rc.FAIL_NOT_CONNECTED, f"No active connection to satellite '{offline[0]}'.",
                                details="Snapshot rollback cannot be performed when the corresponding satellites are "
                                        "not connected.")
            release = version_tuple(self.linstor_version)
            needs_every_disk = release < ROLLBACK_RECREATES_RELEASE or release >= ZFS_ROLLBACK_IN_PLACE_RELEASE
            via_restore = ROLLBACK_VIA_RESTORE_RELEASE <= release < ZFS_ROLLBACK_IN_PLACE_RELEASE
            for rsc in rscs:
                if json.loads(rsc["props"]).get("Emulator/InUse") == "true":
                    raise ctx.error(rc.FAIL_IN_USE,
                                    f"Resource '{rd['name']}' on node '{rsc['node']}' is still in use.",
                                    cause="Resource is mounted/in use.",
                                    correction=f"Un-mount resource '{rd['name']}' on the node '{rsc['node']}'.")
                if (needs_every_disk and "DISKLESS" not in json.loads(rsc["flags"])
                        and rsc["node"].lower() not in snap_nodes):
                    raise ctx.error(rc.FAIL_NOT_FOUND_SNAPSHOT,
                                    f"Snapshot '{snap['name']}' of resource '{rd['name']}' on node '{rsc['node']}' "
                                    "not found.")
            mismatched: list[RcEntry] = []
            tie_breaker: list[RcEntry] = []
            for vd in db.execute("SELECT * FROM vlm_dfns WHERE rd = ? ORDER BY vlm_nr", (rd["id"],)).fetchall():
                if vd["vlm_nr"] not in snap_vds:
                    raise ctx.error(rc.FAIL_NOT_FOUND_SNAPSHOT,
                                    f"Volume {vd['vlm_nr']} of snapshot '{snap['name']}' of resource '{rd['name']}' "
                                    "not found.")
                snap_size = snap_vds[vd["vlm_nr"]]["size_kib"]
                if release >= ROLLBACK_RESETS_SIZES_RELEASE:
                    db.execute("UPDATE vlm_dfns SET size_kib = ? WHERE rd = ? AND vlm_nr = ?",
                               (snap_size, rd["id"], vd["vlm_nr"]))
                elif via_restore and snap_size != vd["size_kib"]:
                    mismatched.append(_restore_ctx(rd["name"]).error(
                        rc.FAIL_INVLD_VLM_SIZE, f"Snapshot size does not match for volume number {vd['vlm_nr']}; "
                        f"snapshot size: {snap_size}KiB, required size: {vd['size_kib']}KiB").entries[0])
            if mismatched:
                # Before 1.31.3 the rollback deletes the resources, then the restore into the RD refuses the grown
                # sizes (restoreOnNode); restoreResourceInTransaction reports that as an entry, not as an error,
                # so the safety snapshot is deleted too and nothing puts the resources back.
                db.execute("DELETE FROM resources WHERE rd = ?", (rd["id"],))
            elif via_restore:
                current = self._rd_props(db, rd["id"])
                self._set_rd_props(db, rd["id"], current, current | self._captured_props(snap))
                if release < ROLLBACK_RECREATES_RELEASE:  # it restores the disks only ("TODO: try to re-create
                    for rsc in rscs:                        # diskless resources" in 1.31.0)
                        if "DISKLESS" in json.loads(rsc["flags"]):
                            db.execute("DELETE FROM resources WHERE rd = ? AND node = ?", (rd["id"], rsc["node"]))
                    tie_breaker = self._run_auto_helpers(db, _restore_ctx(rd["name"]), rd)  # the restore's
        nodes = [r["node"] for r in rscs]
        if mismatched:
            return [ctx.entry(rc.MODIFIED, f"Snapshot '{snap['name']}' of resource '{rd['name']}' marked down for "
                              "rollback."),
                    *(_rsc_ctx(rc.MASK_DEL, rd["name"], node).entry(
                        rc.DELETED, f"Resource '{rd['name']}' on node '{node}' deleted.") for node in nodes),
                    *mismatched]
        return [ctx.entry(rc.MODIFIED, f"Snapshot '{snap['name']}' of resource '{rd['name']}' marked down for "
                          "rollback."),
                ctx.entry(rc.MASK_INFO | rc.MODIFIED, f"Deactivated resource '{rd['name']}' on "
                          + ", ".join(f"'{n}'" for n in nodes) + " for rollback"),
                ctx.entry(rc.MASK_INFO | rc.MODIFIED, f"Rolled resource '{rd['name']}' back on "
                          + ", ".join(f"'{n}'" for n in nodes)),
                ctx.entry(rc.MASK_INFO | rc.MODIFIED, f"Re-activated resource '{rd['name']}' on "
                          + ", ".join(f"'{n}'" for n in nodes) + " after rollback"), *tie_breaker]

    def restore_volume_definitions(self, rd_name: str, snap_name: str, body: dict) -> list[RcEntry]:
        to_name = body.get("to_resource") or ""
        ctx = Context(rc.MASK_CRT, rc.MASK_VLM_DFN, {rc.KEY_RSC_DFN: to_name},
                      f"Volume definitions of resource definition: {to_name}")
        with self._tx() as db:
            rd = self._load_rd(db, ctx, rd_name)
            snap = self._load_snapshot(db, ctx, rd, snap_name)
            target = self._load_rd(db, ctx, to_name)
            entries = []
            for svd in db.execute("SELECT * FROM snap_vlm_dfns WHERE snap = ? ORDER BY vlm_nr",
                                  (snap["id"],)).fetchall():
                self._insert_vd(db, ctx, target, svd["vlm_nr"], svd["size_kib"], json.loads(svd["vd_props"]))
        entries.append(ctx.entry(rc.CREATED, f"Volume definitions of resource definition '{target['name']}' restored "
                                 f"from resource '{rd['name']}', snapshot '{snap['name']}'."))
        return entries

    def restore_resources(self, rd_name: str, snap_name: str, body: dict) -> list[RcEntry]:
        to_name = body.get("to_resource") or ""
        ctx = Context(rc.MASK_CRT, rc.MASK_RSC, {rc.KEY_RSC_DFN: to_name}, f"Resources of resource definition: "
                      f"{to_name}")
        renames = {k.lower(): v for k, v in (body.get("stor_pool_rename") or {}).items()}
        with self._tx() as db:
            rd = self._load_rd(db, ctx, rd_name)
            snap = self._load_snapshot(db, ctx, rd, snap_name)
            target = self._load_rd(db, ctx, to_name)
            if db.execute("SELECT 1 FROM resources WHERE rd = ? LIMIT 1", (target["id"],)).fetchone():
                raise ctx.error(rc.FAIL_EXISTS_RSC, "Cannot restore to resource definition which already has resources")
            snap_nodes = db.execute("SELECT * FROM snap_nodes WHERE snap = ? ORDER BY upper(node)",
                                    (snap["id"],)).fetchall()
            wanted = body.get("nodes") or []
            if wanted:
                by_node = {n["node"].lower(): n for n in snap_nodes}
                picked = []
                for node in wanted:
                    if node.lower() not in by_node:
                        raise ctx.error(rc.FAIL_NOT_FOUND_SNAPSHOT, f"Snapshot '{snap['name']}' of resource "
                                        f"'{rd['name']}' on node '{node}' not found.")
                    picked.append(by_node[node.lower()])
                snap_nodes = picked
            svds = {r["vlm_nr"]: r["size_kib"] for r in db.execute("SELECT * FROM snap_vlm_dfns WHERE snap = ?",
                                                                    (snap["id"],))}
            vds = db.execute("SELECT * FROM vlm_dfns WHERE rd = ?", (target["id"],)).fetchall()
            entries: list[RcEntry] = []
            if not vds:
                entries.append(ctx.entry(rc.WARN_NOT_FOUND | rc.MASK_VLM_DFN, "No volumes to restore.",
                                         details="The target resource definition has no volume definitions. The "
                                         "restored resources will be empty.",
                                         correction="Restore the volume definitions to the target resource "
                                         "definition."))
            for vd in vds:
                if vd["vlm_nr"] not in svds:
                    raise ctx.error(rc.FAIL_NOT_FOUND_SNAPSHOT_VLM_DFN,
                                    f"Snapshot does not contain required volume number {vd['vlm_nr']}")
                if svds[vd["vlm_nr"]] != vd["size_kib"]:
                    raise ctx.error(rc.FAIL_INVLD_VLM_SIZE,
                                    f"Snapshot size does not match for volume number {vd['vlm_nr']}; snapshot size: "
                                    f"{svds[vd['vlm_nr']]}KiB, required size: {vd['size_kib']}KiB")
            # LINSTOR copies the RD properties the snapshot captured onto the target RD, overriding
            # (CtrlSnapshotRestoreApiCallHandler: ctrlPropsHelper.copy(snapshot dfn's RD props, toRscDfn)).
            target_props = self._rd_props(db, target["id"])
            self._set_rd_props(db, target["id"], target_props, target_props | self._captured_props(snap))
            nodes = []
            for node in snap_nodes:
                pool = renames.get(node["stor_pool"].lower(), node["stor_pool"])
                rsc_props = {k: v for k, v in json.loads(node["rsc_props"]).items() if k != "Emulator/InUse"}
                rsc_props.pop(KEY_STOR_POOL_NAME, None)
                self._insert_resource(db, ctx, target, node["node"], pool, False, rsc_props)
                nodes.append(node["node"])
            tie_breaker = self._run_auto_helpers(db, ctx, target) if nodes else []
        entries.append(ctx.entry(rc.CREATED, f"Resource '{target['name']}' on nodes '"
                                 + "', '".join(nodes) + f"' restored from resource '{rd['name']}', snapshot "
                                 f"'{snap['name']}'."))
        return entries + tie_breaker
