# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshots of one Incus volume kept in LINSTOR: create, delete, rename, restore, copy from one.

Built on :mod:`._naming` (the mapping keys), :mod:`._client` (every request) and
:mod:`._volumes` (finding the volume, undo, results). Incus keeps a snapshot as a LINSTOR
snapshot with a random prefixed name, and records which one it is in the RD property
``Aux/Incus/snapshot-name/<incus snapshot>`` (the internals document's
``Aux/Incus/SnapshotName/<incus snapshot>`` is read too, never written).

Requests of :func:`ensure_snapshot` (counted by the integration tests):

- a run that changes nothing: 1 for a delete (the volume lookup, whose properties hold the mappings); 2 for
  a create or a rename (and the RD's snapshot list: a mapping to a snapshot the RD lacks, as an Incus copy
  inherits, is replaced by a create and refused by a rename);
- every state: the lookup is read again, for 10 s, while two RDs (not being deleted) claim the volume; +1 when an
  RD claiming it is flagged DELETE (its resources tell a delete under way from one LINSTOR refused);
- create: 5 (lookup, the claim, the snapshot, the read-back that settles twins (Incus's lookup again), the mapping;
  +1 when twins claim the name, +1 for a run that deletes its own snapshot after losing, +1 when a mapping
  to a missing snapshot is replaced; +1 (the twins' resources) when the read-back finds two or more RDs of the
  volume not being deleted;
  when the RD found gives way to one, or is gone or not placed yet: +1 or +2 to take back the writes, the lookup
  again (1 to 4) when it was gone or not placed, +1 when the RD gone on with maps the name, and the create again);
- delete: 3 (lookup, snapshot delete, one PUT dropping the mapping keys);
- rename: 3 (lookup, the RD's snapshot list, one PUT moving the key);
- restore: 4 (lookup, the RD's snapshot list for created-on times, the controller's version: whether the
  rollback resets the sizes, LINSTOR 1.31.3 on; rollback), and from LINSTOR 1.31 one GET of the RD after the
  rollback (+1 PUT when the rollback copied the snapshot's ``Aux/`` properties back:
  :func:`_put_back_aux_properties`); removing newer snapshots adds one GET of the resources (none may be in
  use), one delete per snapshot and one PUT for their keys; against LINSTOR 1.31.0 and 1.31.1 the resources are
  read on every restore (the diskless ones their rollback drops: :func:`dropped_diskless_warnings`), and from
  1.31.0 to 1.31.2 a snapshot from before a grow is refused before any write (:func:`refuse_resized_since`).

Race between twins (several runs creating the same snapshot at once): LINSTOR has no
conditional write, so a run makes its intent visible before it acts: it claims the name on the
RD, creates its snapshot, reads the RD back and only then records the mapping, the same one for
every twin (:func:`settle_twins`). Five requests is the least this takes on LINSTOR before 1.32:
the read must follow a write the twins can see and precede the mapping, and the snapshot must
exist before its mapping does (docs/reliability.md, "Why a snapshot create sends five requests").
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.linstor.incus.plugins.module_utils._client import (
    FAIL_NOT_CONNECTED,
    ROLLBACK_RECREATES_RELEASE,
    ROLLBACK_RESETS_SIZES_RELEASE,
    ROLLBACK_VIA_RESTORE_RELEASE,
    ZFS_ROLLBACK_IN_PLACE_RELEASE,
    LinstorClient,
    LinstorError,
    is_diskless,
    is_tie_breaker,
    not_connected_phrase,
    release_text,
)
from ansible_collections.linstor.incus.plugins.module_utils._module import ModuleFailure, full_stop
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    AUX_NAME,
    AUX_NAMESPACE,
    EXACT_SIZE_KEY,
    ON_NO_QUORUM_KEY,
    NamingError,
    aux_name,
    generate_name,
    normalize_volume_type,
    per_snapshot_keys,
    snapshot_claim_key,
    snapshot_claim_keys,
    snapshot_claims,
    snapshot_key,
    snapshot_keys,
    snapshot_keys_and_claims,
    snapshot_mappings,
    validate_prefix,
    validate_project,
    validate_resource_group,
    validate_snapshot_name,
    validate_volume_name,
    volume_view,
    without_snapshot_keys,
)
from ansible_collections.linstor.incus.plugins.module_utils._volumes import (
    DUPLICATE_SETTLE_DELAY,
    Outcome,
    Reverter,
    VolumeRequest,
    _reraise_after_revert,
    apply_plan,
    busy_nodes,
    check_mode_sentence,
    check_mode_warning,
    copy_properties,
    copy_request_for,
    duplicated,
    find_source_rd,
    find_volumes,
    first_placed,
    foreseen_refusal,
    in_use_statement,
    live,
    new_rd_with_undo,
    not_connected_nodes,
    plan_copy,
    predict_copy,
    read_until_settled,
    refuse_in_use,
    refused_delete_warnings,
    require_group,
    settle_copy,
    single,
    snapshot_copy_left,
    warn_if_group_missing,
)

SEQUENCE_NUMBER_KEY = "SequenceNumber"
"""Snapshot definition property in which LINSTOR numbers the snapshots of an RD in creation order."""

STATES = ("present", "absent", "restored")


# --- What the user asked for ---------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRequest:
    """Every option of one run, checked (types in API form)."""

    volume: str
    volume_type: str
    project: str
    prefix: str
    resource_group: str
    incus_name: str
    name: str
    state: str
    rename_from: str | None = None
    remove_newer_snapshots: bool = False


def parse_snapshot_request(params: Mapping[str, Any]) -> SnapshotRequest:
    """Check every option that can be checked without LINSTOR; raise NamingError naming the option."""
    prefix = validate_prefix(params.get("prefix"))
    volume_type = normalize_volume_type(params.get("type"), "type")
    project = validate_project("default" if params.get("project") is None else params["project"])
    volume = validate_volume_name(volume_type, params.get("volume"), "volume")
    try:
        incus_name = aux_name(prefix, volume_type, project, volume)
    except NamingError as error:
        raise error.renamed({"name": "volume"}) from error
    resource_group = validate_resource_group(params.get("resource_group"))
    state = params.get("state") or "present"
    if state not in STATES:
        raise NamingError("state", f"state {state!r} is not one of {', '.join(STATES)}")
    # only a key here: the API rule is checked where the name is made (refuse_new_snapshot_name), since a snapshot
    # an older Incus named otherwise may exist already
    name = validate_snapshot_name(params.get("name"), "name", existing=True)
    rename_from = params.get("rename_from")
    if rename_from is not None:
        if state != "present":
            raise NamingError("rename_from", f"rename_from can only be used with state=present, not {state}")
        validate_snapshot_name(rename_from, "rename_from", existing=True)
        if rename_from == name:
            raise NamingError("rename_from", f"rename_from {rename_from!r} is the same snapshot as name {name!r}")
    if params.get("remove_newer_snapshots") and state != "restored":
        raise NamingError("remove_newer_snapshots", f"remove_newer_snapshots only applies to state=restored, not "
                                                    f"{state}; remove it")
    return SnapshotRequest(
        volume=volume,
        volume_type=volume_type,
        project=project,
        prefix=prefix,
        resource_group=resource_group,
        incus_name=incus_name,
        name=name,
        state=state,
        rename_from=rename_from,
        remove_newer_snapshots=bool(params.get("remove_newer_snapshots")),
    )


# --- Reading snapshots (pure) ---------------------------------------------------------------------


def _timestamp_iso(milliseconds: int | None) -> str | None:
    if milliseconds is None:
        return None
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def describe_snapshot(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """One LINSTOR snapshot (as ``/v1/view/snapshots`` returns it) in the shape the modules return.

    ``created_on`` is the earliest ``create_timestamp`` of its nodes (ISO 8601, UTC), ``sequence``
    LINSTOR's ``SequenceNumber`` (creation order within the RD), both None when LINSTOR gives none.
    """
    per_node = snapshot.get("snapshots") or []
    stamps = [node["create_timestamp"] for node in per_node if node.get("create_timestamp") is not None]
    created = min(stamps) if stamps else None
    props = snapshot.get("snapshot_definition_props") or snapshot.get("props") or {}  # props: the RD's too
    try:
        sequence = int(props[SEQUENCE_NUMBER_KEY])
    except (KeyError, TypeError, ValueError):
        sequence = None
    definitions = sorted(snapshot.get("volume_definitions") or [], key=lambda vd: vd.get("volume_number", 0))
    nodes = snapshot.get("nodes") or [node.get("node_name") for node in per_node if node.get("node_name")]
    return {
        "linstor_name": snapshot.get("name"),
        "resource_definition": snapshot.get("resource_name"),
        "nodes": sorted(nodes),
        "volume_definitions": [{"number": vd.get("volume_number"), "size_kib": vd.get("size_kib")}
                               for vd in definitions],
        "created_on": _timestamp_iso(created),
        "created_timestamp": created,
        "sequence": sequence,
        "successful": "SUCCESSFUL" in (snapshot.get("flags") or []) or not snapshot.get("flags"),
    }


def snapshot_details(view_snapshots_reply: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """RD name -> LINSTOR snapshot name -> :func:`describe_snapshot`, from one ``/v1/view/snapshots`` reply.

    ``linstor_incus_volume_info`` can read the snapshots of every volume with one request and
    join them to each volume with :func:`volume_snapshots`.
    """
    details: dict[str, dict[str, dict[str, Any]]] = {}
    for snapshot in view_snapshots_reply or []:
        described = describe_snapshot(snapshot)
        details.setdefault(described["resource_definition"] or "", {})[described["linstor_name"]] = described
    return details


def _for_rd(details: Mapping[str, Mapping[str, dict[str, Any]]], rd_name: str) -> dict[str, dict[str, Any]]:
    """The snapshots of one RD out of :func:`snapshot_details` (LINSTOR names ignore case)."""
    for name, snapshots in details.items():
        if name.lower() == rd_name.lower():
            return dict(snapshots)
    return {}


def read_rd_snapshots(client: LinstorClient, rd_names: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """RD name (as given) -> its snapshots (LINSTOR name -> :func:`describe_snapshot`), with ONE
    ``/v1/view/snapshots`` request for all of them."""
    details = snapshot_details(client.view_snapshots(rd_names))
    return {name: _for_rd(details, name) for name in rd_names}


def captured_properties(snapshot: Mapping[str, Any]) -> dict[str, str]:
    """The RD properties LINSTOR kept in a snapshot (as ``/v1/view/snapshots`` returns it) when it was taken,
    which it copies, overriding, onto an RD whose resources are restored from it.

    LINSTOR lists them as ``resource_definition_props``; controllers that keep one property set per
    snapshot definition (before 1.30) list them in ``props``, and copy that whole set, the snapshot's own
    ``SequenceNumber`` included.
    """
    if "resource_definition_props" in snapshot:
        return dict(snapshot.get("resource_definition_props") or {})
    return dict(snapshot.get("props") or {})


def order_key(described: Mapping[str, Any]) -> tuple:
    """Sort key putting snapshots in creation order: created-on time, then LINSTOR's sequence, then name."""
    stamp = described.get("created_timestamp")
    sequence = described.get("sequence")
    return (stamp is None, stamp or 0, sequence is None, sequence or 0, described.get("linstor_name") or "")


def volume_snapshots(props: Mapping[str, str], rd_snapshots: Mapping[str, Mapping[str, Any]] | None) -> list[dict]:
    """The volume's Incus snapshots, oldest first: each mapping joined with its LINSTOR snapshot.

    ``rd_snapshots`` is the RD's part of :func:`snapshot_details` (LINSTOR name -> details), or None
    when the snapshot list was not read: then ``exists`` and the details are None. A mapping whose
    LINSTOR snapshot is missing has ``exists`` false (a dangling mapping).
    """
    by_lower = {name.lower(): value for name, value in (rd_snapshots or {}).items()}
    entries = []
    for incus_name, linstor_name in snapshot_mappings(props).items():
        described = by_lower.get(linstor_name.lower()) if rd_snapshots is not None else None
        entry = {
            "name": incus_name,
            "linstor_name": linstor_name,
            "exists": None if rd_snapshots is None else described is not None,
            "nodes": None,
            "volume_definitions": None,
            "created_on": None,
        }
        if described is not None:
            entry.update({key: described[key] for key in ("nodes", "volume_definitions", "created_on")})
            entry["linstor_name"] = described["linstor_name"]
        unread = (True, 0, True, 0, "")  # without created-on times, by Incus name
        entries.append((order_key(described) if described else unread, incus_name, entry))
    return [item[2] for item in sorted(entries, key=lambda item: (item[0], item[1]))]


def dangling_mappings(props: Mapping[str, str], rd_snapshots: Mapping[str, Any]) -> list[str]:
    """Incus snapshot names whose mapping names a LINSTOR snapshot the RD does not have."""
    present = {name.lower() for name in rd_snapshots}
    return sorted(name for name, linstor in snapshot_mappings(props).items() if linstor.lower() not in present)


def newer_snapshots(target: str, rd_snapshots: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """LINSTOR names of the RD's snapshots made after ``target``, oldest first (by created-on time)."""
    by_lower = {name.lower(): value for name, value in rd_snapshots.items()}
    target_key = order_key(by_lower[target.lower()])
    ordered = sorted(rd_snapshots.values(), key=order_key)
    return [snapshot["linstor_name"] for snapshot in ordered if order_key(snapshot) > target_key]


def snapshot_entry(name: str, linstor_name: str | None, described: Mapping[str, Any] | None = None,
                   sizes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The ``snapshot`` the module returns: Incus and LINSTOR names, nodes, per-volume sizes, created-on."""
    entry: dict[str, Any] = {"name": name, "linstor_name": linstor_name, "nodes": None,
                             "volume_definitions": sizes, "created_on": None}
    if described:
        entry.update({key: described[key] for key in ("nodes", "volume_definitions", "created_on")})
    return entry


# --- One run --------------------------------------------------------------------------------------


def _rd_after(rd: Mapping[str, Any], override: Mapping[str, str] | None = None, delete: Iterable[str] = (),
              sizes: Mapping[int, int] | None = None) -> dict[str, Any]:
    props = {k: v for k, v in (rd.get("props") or {}).items() if k not in set(delete)}
    props.update(override or {})
    definitions = [dict(vd, size_kib=(sizes or {}).get(vd["volume_number"], vd.get("size_kib")))
                   for vd in rd.get("volume_definitions") or []]
    return dict(rd, props=props, volume_definitions=definitions)


def _current_sizes(rd: Mapping[str, Any]) -> list[dict[str, Any]]:
    definitions = sorted(rd.get("volume_definitions") or [], key=lambda vd: vd["volume_number"])
    return [{"number": vd["volume_number"], "size_kib": vd.get("size_kib")} for vd in definitions]


def _warn(outcome: Outcome, entries: list[dict[str, Any]], not_connected: str | None = None) -> None:
    """Pass LINSTOR's warnings on, except "not found" on a delete (the goal is reached); ``not_connected``: see
    :meth:`._volumes.Outcome.warn`."""
    outcome.warn([entry for entry in entries or [] if "not found" not in (entry.get("message") or "").lower()],
                 not_connected)


def _snapshot_list(outcome: Outcome, props: Mapping[str, str], rd_snapshots: Mapping[str, Any] | None) -> None:
    outcome.extra["snapshots"] = volume_snapshots(props, rd_snapshots)


def _find_volume_rd(client: LinstorClient, request: SnapshotRequest) -> dict[str, Any] | None:
    """The volume's RD (Incus's lookup), read again while several RDs claim it (:func:`._volumes.read_until_settled`:
    runs creating it at this moment settle within moments); None when there is none. An RD LINSTOR is deleting
    (flag DELETE, :func:`._volumes.being_deleted`) is not the volume's."""
    claimants = read_until_settled(client, lambda: _find_claimants(client, request), duplicated)
    return single(claimants, request.incus_name, "volume", request.prefix)


def ensure_snapshot(client: LinstorClient, params: Mapping[str, Any], check_mode: bool = False,
                    diff: bool = False, *, warnings: list[str]) -> dict[str, Any]:
    """Bring one snapshot of one Incus volume to the state the module's options describe.
    ``warnings``: the run's list (:data:`._module.Operation`), the outcome's warnings."""
    request = parse_snapshot_request(params)
    rd = _find_volume_rd(client, request)
    if rd is None:
        missing = (f"volume {request.volume!r} ({request.volume_type}, project {request.project}) does not exist in "
                   f"resource group {request.resource_group} (no resource definition with {AUX_NAME}="
                   f"{request.incus_name})")
        outcome = Outcome(None, warnings)
        if request.state == "absent":
            warn_if_group_missing(client, request.resource_group, outcome.warnings)
            outcome.extra.update(snapshot={}, snapshots=[])
            return outcome.result(diff)
        require_group(client, request.resource_group, check_mode, outcome.warnings)  # a misspelt group, named
        if check_mode and request.state in ("present", "restored"):
            # an earlier task of the same check run may create the volume (and the snapshot): predict, and say so
            outcome.changed = True
            outcome.warnings.append(check_mode_warning(missing, "the volume"))
            outcome.extra.update(snapshot=snapshot_entry(request.name, None), snapshots=[], volume_missing=True)
            if request.state == "restored":
                outcome.extra.update(removed_snapshots=[], removed_dangling_mappings=[])
            else:
                validate_snapshot_name(request.name)
            return outcome.result(diff)
        raise ModuleFailure(missing, "volume")
    outcome = Outcome(volume_view(rd, request.prefix), warnings)
    outcome.warnings += refused_delete_warnings(rd, request.incus_name)
    if request.state == "absent":
        delete_snapshot(client, request, rd, outcome, check_mode)
    elif request.state == "restored":
        restore_snapshot(client, request, rd, outcome, check_mode)
    elif request.rename_from is not None:
        rename_snapshot(client, request, rd, outcome, check_mode)
    else:
        rd_snapshots = _snapshots_if_mapped(client, rd, [request.name])
        dangling = dangling_targets(rd, rd_snapshots).get(request.name) if rd_snapshots is not None else None
        create_snapshot(client, request, rd, outcome, check_mode, dangling, rd_snapshots)
    return outcome.result(diff)


def dangling_targets(rd: Mapping[str, Any], rd_snapshots: Mapping[str, Any]) -> dict[str, str]:
    """{Incus snapshot: LINSTOR snapshot} of the RD's :func:`dangling_mappings`, given its snapshots."""
    props = rd.get("props") or {}
    mappings = snapshot_mappings(props)
    return {name: mappings[name] for name in dangling_mappings(props, rd_snapshots)}


def _snapshots_if_mapped(client: LinstorClient, rd: Mapping[str, Any],
                         names: list[str]) -> dict[str, dict[str, Any]] | None:
    """The RD's snapshots (:func:`read_rd_snapshots`), read with one request only when one of ``names`` is mapped
    (to tell a mapping to a LINSTOR snapshot the RD lacks, as an Incus copy inherits its source's); else None."""
    mappings = snapshot_mappings(rd.get("props") or {})
    if not any(name in mappings for name in names):
        return None
    return read_rd_snapshots(client, [rd["name"]])[rd["name"]]


def dangling_warning(rd_name: str, name: str, dangling: str, replacement: str = "a new snapshot") -> str:
    """What a run says when it replaces the mapping of snapshot ``name`` to a LINSTOR snapshot the RD lacks."""
    return (f"the mapping of snapshot {name!r} on {rd_name} named LINSTOR snapshot {dangling}, which the RD does not "
            f"have (as an Incus copy inherits its source's mappings); {replacement} replaces it")


def create_snapshot(client: LinstorClient, request: SnapshotRequest, rd: dict[str, Any], outcome: Outcome,
                    check_mode: bool, dangling: str | None = None,
                    rd_snapshots: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """Claim the name, create the LINSTOR snapshot, settle twins (:func:`settle_twins`), then record the mapping.

    Every write is undone if a later step fails: no claim, no unmapped snapshot is left behind.
    ``dangling``: the LINSTOR name the mapping holds when the RD has no such snapshot (the caller
    checked); the snapshot is then made and that mapping overwritten, as Incus overwrites it.
    ``rd_snapshots``: the RD's snapshots when the caller read them, which a snapshot found mapped is reported with.

    ``rd`` may be an RD that runs creating the volume at this moment are about to settle on or remove
    (:func:`._volumes.settle_concurrent_create`): the read-back is Incus's lookup, so it sees such twins. When the
    RD yields to one placed earlier, or is deleted or not placed yet, the run takes back what it wrote and makes
    the snapshot on the volume's RD as the lookup then finds it (:func:`_make_snapshot`), at most
    :data:`SNAPSHOT_MOVES` times; the maker of a yielding RD waits for that
    (:func:`._volumes.delete_own_rd`).
    """
    if _report_mapped(request, rd, outcome, dangling, rd_snapshots):
        return
    validate_snapshot_name(request.name)  # only a snapshot about to be made: an older one keeps its name
    outcome.changed = True
    if check_mode:  # the LINSTOR name is drawn at random when the snapshot is made: unknown here
        # what the real run's last PUT drops (claims on the name, the dangling mapping's other key form), and the
        # mapping it writes, its value as yet unknown
        props = rd.get("props") or {}
        key = snapshot_key(request.name)
        predicted = _rd_after(rd, {key: None}, keys_dropped_by_create(props, request.name, key, dangling))
        outcome.volume = volume_view(predicted, request.prefix)
        outcome.extra["snapshot"] = snapshot_entry(request.name, None, sizes=_current_sizes(rd))
        _snapshot_list(outcome, predicted["props"], None)
        return
    for attempt in range(SNAPSHOT_MOVES + 1):
        move = _make_snapshot(client, request, rd, outcome, dangling, last=attempt == SNAPSHOT_MOVES)
        if move is None:
            return
        if not _same(move.rd["name"], rd["name"]):
            outcome.warnings.append(
                f"resource definition {rd['name']}, found as volume {request.incus_name}, {move.reason}; this run took "
                f"back what it wrote on it and went on with {move.rd['name']}, the volume's resource definition now")
        rd = move.rd
        outcome.volume = volume_view(rd, request.prefix)
        outcome.diff.before = volume_view(rd, request.prefix)  # the volume this run's change is made on
        outcome.changed = False  # nothing this run wrote is left: only what it makes on the survivor counts
        rd_snapshots = _snapshots_if_mapped(client, rd, [request.name])
        dangling = dangling_targets(rd, rd_snapshots).get(request.name) if rd_snapshots is not None else None
        if _report_mapped(request, rd, outcome, dangling, rd_snapshots):
            return
        outcome.changed = True


SNAPSHOT_MOVES = 3
"""How often a snapshot create goes on with another RD (or the same, once placed) after the one it wrote on gave way
to a twin, was deleted or was not placed yet; the attempt after the last move fails rather than map on such an RD."""


@dataclass(frozen=True)
class _Move:
    """The RD a snapshot create goes on with, and why the one it wrote on is left (for the warning)."""

    rd: dict[str, Any]
    reason: str


def _report_mapped(request: SnapshotRequest, rd: Mapping[str, Any], outcome: Outcome, dangling: str | None,
                   rd_snapshots: Mapping[str, Mapping[str, Any]] | None) -> bool:
    """Report the snapshot and return True when the RD maps ``request.name`` already (to a snapshot it has: a
    mapping to ``dangling`` is replaced, with a warning)."""
    props = rd.get("props") or {}
    existing = snapshot_mappings(props).get(request.name)
    if _same(existing, dangling):
        outcome.warnings.append(dangling_warning(rd["name"], request.name, existing))
        return False
    if existing is None:
        return False
    outcome.extra["snapshot"] = snapshot_entry(request.name, existing, _described(rd_snapshots, existing))
    _snapshot_list(outcome, props, rd_snapshots)
    return True


def _described(rd_snapshots: Mapping[str, Mapping[str, Any]] | None, linstor_name: str) -> Mapping[str, Any] | None:
    """The RD's snapshot ``linstor_name`` as read (LINSTOR names have no case), or None when not read or missing."""
    return {name.lower(): value for name, value in (rd_snapshots or {}).items()}.get(linstor_name.lower())


def _make_snapshot(client: LinstorClient, request: SnapshotRequest, rd: dict[str, Any], outcome: Outcome,
                   dangling: str | None, last: bool) -> _Move | None:
    """The writes of :func:`create_snapshot` on ``rd``. Returns None when done, or the RD to make the snapshot on
    instead, once this run's writes on ``rd`` are taken back: ``rd`` gave way to a twin placed earlier
    (:func:`._volumes.first_placed`, the rule its maker settles by) or is being deleted (read-back), or LINSTOR no
    longer has it or found no diskful resource to snapshot (not placed yet): :func:`_volume_found_again`. On the
    ``last`` attempt such a case fails instead (with LINSTOR's error, or naming the RD and why it is left)."""
    key = snapshot_key(request.name)
    sizes = _current_sizes(rd)
    own = generate_name(request.prefix)
    claim = snapshot_claim_key(own)
    reverter = Reverter(client)
    # Undo steps are registered before each write: a write whose reply is lost may still have been applied.
    reverter.add(f"claim {claim} of {rd['name']}",
                 lambda: _gone_with_rd(lambda: client.modify_resource_definition(rd["name"], delete_props=[claim])))
    try:
        try:
            _warn(outcome, client.modify_resource_definition(rd["name"], override_props={claim: request.name}))
            reverter.add(f"snapshot {own} of {rd['name']}",
                         lambda: _gone_with_rd(lambda: client.delete_snapshot(rd["name"], own)))
            _warn(outcome, client.create_snapshot(rd["name"], own))
        except LinstorError as error:
            if last or not (error.not_found or error.code == FAIL_NOT_CONNECTED):
                raise
            # deleted (a twin that gave way), or no diskful resource yet (a twin not placed yet, or every disk's
            # node offline: the lookup again finds the same RD, and the last attempt fails with LINSTOR's error)
            _take_back(reverter, str(error))
            return _volume_found_again(client, request, full_stop(error))
        claimants = _find_claimants(client, request)
        after = next((found for found in claimants if _same(found["name"], rd["name"])), None)
        if after is None:  # renamed or moved meanwhile: the RD itself holds the claims
            after = _read_rd(client, rd["name"])
            if after is None and not last:  # deleted since the snapshot (LINSTOR deletes it with its resources)
                _take_back(reverter, f"resource definition {rd['name']} was deleted")
                return _volume_found_again(client, request, f"resource definition {rd['name']} was deleted.")
        else:
            move = _giving_way(client, after, claimants)
            if move is not None:
                if last:
                    raise ModuleFailure(
                        f"resource definition {rd['name']}, found as volume {request.incus_name}, {move.reason}, at "
                        f"this run's last of {SNAPSHOT_MOVES + 1} attempts; runs creating the volume at this moment "
                        "have not settled. Run again.", "volume")
                single([move.rd], request.incus_name, "volume", request.prefix)  # a volume's RD, whole
                _take_back(reverter, f"resource definition {rd['name']} {move.reason}")
                return move
        read_back = (after or {}).get("props") or {}
        survivor = settle_twins(client, rd["name"], request.name, own, read_back, outcome.warnings, dangling)
        if survivor is None:
            raise ModuleFailure(
                f"the claim of snapshot {request.name!r} of volume {request.incus_name} was removed by another run "
                f"while this one created it, and no snapshot is mapped; snapshot {own} was deleted again. Run again.",
                "name")
        # Every run writes the same mapping (the survivor's) and drops every claim on the name (and the
        # dangling mapping's keys).
        mapped = snapshot_mappings(read_back).get(request.name)
        record = {} if mapped is not None and not _same(mapped, dangling) else {key: survivor}
        drop = keys_dropped_by_create(read_back, request.name, key, dangling)
        if record.get(key) == own:
            reverter.add(f"mapping {key} of {rd['name']}", lambda: _unmap_own(client, rd["name"], key, own))
        if record or drop:
            _warn(outcome, client.modify_resource_definition(rd["name"], override_props=record or None,
                                                             delete_props=drop or None))
    except (LinstorError, ModuleFailure) as error:
        _reraise_after_revert(error, reverter)
    reverter.success()
    after = _rd_after(after or rd, record, drop)
    if survivor != own:
        try:
            with client.unstoppable():  # this run's own snapshot lost: deleting it is an undo
                _warn(outcome, client.delete_snapshot(rd["name"], own))
        except LinstorError as error:
            raise ModuleFailure(
                f"another run created snapshot {request.name!r} of volume {request.incus_name} at the same moment "
                f"(LINSTOR snapshot {survivor}, mapped); deleting this run's own LINSTOR snapshot {own} failed, "
                f"left behind unmapped: {error}", None, changed=True, left_behind=[f"snapshot {own} of {rd['name']}"],
                linstor_error=error.to_dict()) from error
        # Changed only if this run's write made the survivor Incus's snapshot (its maker may be a run killed
        # before its mapping); a run that found the survivor mapped changed nothing.
        outcome.changed = bool(record)
        outcome.extra["race"] = {"deleted_own": own, "survivor": survivor, "wrote_mapping": bool(record)}
    outcome.volume = volume_view(after, request.prefix)
    outcome.extra["snapshot"] = snapshot_entry(request.name, survivor, sizes=sizes)
    _snapshot_list(outcome, after.get("props") or {}, None)
    return None


def _giving_way(client: LinstorClient, rd: dict[str, Any], claimants: list[dict[str, Any]]) -> _Move | None:
    """Whether ``rd``, read back among the volume's ``claimants``, is the volume's RD: None when it is (alone, or
    placed first among live twins: their makers delete theirs); else where to go on (the twin placed first), and why.
    Costs one request (:func:`._volumes.first_placed`) only when live twins claim the volume."""
    live_claimants = live(claimants)
    if rd not in live_claimants:
        if not live_claimants:
            raise ModuleFailure(f"resource definition {rd['name']}, the volume's only one, is being deleted", "volume")
        return _Move(first_placed(client, live_claimants) if len(live_claimants) > 1 else live_claimants[0],
                     "is being deleted")
    if len(live_claimants) == 1:
        return None
    survivor = first_placed(client, live_claimants)
    if _same(survivor["name"], rd["name"]):
        return None
    return _Move(survivor, f"was made by a run creating the volume at this moment and gave way to {survivor['name']}, "
                           "placed earlier")


def _find_claimants(client: LinstorClient, request: SnapshotRequest) -> list[dict[str, Any]]:
    """Every RD of the group that claims the snapshot's volume (Incus's lookup)."""
    return find_volumes(client, request.prefix, request.volume_type, request.project, [request.volume],
                        request.resource_group)[request.volume]


def _gone_with_rd(undo: Callable[[], Any]) -> None:
    """Run an undo step on an RD; an RD LINSTOR no longer has took what the step would remove with it."""
    try:
        undo()
    except LinstorError as error:
        if not error.not_found:
            raise


def _take_back(reverter: Reverter, cause: str) -> None:
    """Take back this run's writes on an RD before it goes on with another; fail, saying what is left behind and
    why the run was taking it back (``cause``), when that fails."""
    left = reverter.fail()
    if left:
        raise ModuleFailure(f"{full_stop(cause)} Taking back this run's claim and snapshot failed; left behind: "
                            f"{'; '.join(left)}. Remove what is left behind by hand before running the task again.",
                            None, changed=True, left_behind=left)


def _volume_found_again(client: LinstorClient, request: SnapshotRequest, cause: str) -> _Move:
    """The volume's RD, looked up again half a second after ``cause`` befell the one the run wrote on (deleted, or not
    placed yet: runs creating the volume at this moment, which settle within moments;
    :func:`._volumes.read_until_settled` waits while twins claim it). Fails naming ``volume`` when it is gone."""
    client.pause(DUPLICATE_SETTLE_DELAY)
    rd = _find_volume_rd(client, request)
    if rd is None:
        raise ModuleFailure(f"volume {request.volume!r} ({request.volume_type}, project {request.project}) was "
                            f"deleted while this run snapshotted it ({cause})", "volume")
    return _Move(rd, f"could not be snapshotted ({cause})")


def keys_dropped_by_create(props: Mapping[str, str], name: str, key: str, dangling: str | None) -> list[str]:
    """The keys a snapshot create's mapping PUT drops: every claim on ``name``, and the other key forms of a
    mapping to the ``dangling`` LINSTOR snapshot (``key``, the mapping written, is overwritten instead)."""
    return snapshot_claim_keys(props, name) + [
        other for other in snapshot_keys(props, name) if other != key and _same(props[other], dangling)]


STALE_CLAIM_MS = 15 * 60 * 1000
"""A claimed snapshot LINSTOR made this long before this run's own is not a twin's but the leftover of
a run killed between its snapshot and its mapping (a live twin sends at most three requests, each
within its timeout, between the two): it is not taken as the survivor and stays unmapped."""


def _same(linstor_name: str | None, other: str | None) -> bool:
    """LINSTOR names compare without case; None matches nothing."""
    return linstor_name is not None and other is not None and linstor_name.lower() == other.lower()


def settle_twins(client: LinstorClient, rd_name: str, name: str, own: str, props: Mapping[str, str],
                 warnings: list[str] | None = None, dangling: str | None = None) -> str | None:
    """The LINSTOR snapshot that Incus snapshot ``name`` keeps, from the RD read after this run's snapshot.

    A run claims (an ``Aux/linstor-incus/snapshot-claim/<LINSTOR name>`` key) before it creates its
    snapshot, and maps only after reading the RD back. A mapping already there is a twin's that
    finished: it stays. Otherwise the claimed snapshot LINSTOR created first survives (one more
    request, only when twins claim the name), unless it was made :data:`STALE_CLAIM_MS` or more
    before this run's own (a killed run's leftover: a warning goes to ``warnings``). A twin created
    before this run's snapshot claimed before it, so this read sees that claim (or the mapping its
    run wrote): a run that sees only its own claim is first, and a run whose reply came late finds
    the finished twin's mapping. None when neither a mapping nor this run's claim is left (a
    concurrent delete). A mapping to ``dangling`` (a snapshot the RD does not have) counts as none.
    """
    mappings = snapshot_mappings(dict(props))
    mapped = mappings.get(name)
    if mapped is not None and not _same(mapped, dangling):
        return own if mapped.lower() == own.lower() else mapped
    claimed = snapshot_claims(props, name)
    if own not in claimed:
        return None
    if claimed == [own]:
        return own
    described = read_rd_snapshots(client, [rd_name])[rd_name]
    by_name = {linstor_name.lower(): value for linstor_name, value in described.items()}
    # a snapshot another name maps is that name's (its claim came back with a restore of the RD's properties)
    taken = {linstor_name.lower() for linstor_name in mappings.values()}
    created = [twin for twin in claimed if twin.lower() in by_name and twin.lower() not in taken]
    own_stamp = by_name.get(own.lower(), {}).get("created_timestamp")
    if own_stamp is not None:
        stale = [twin for twin in created
                 if (by_name[twin.lower()].get("created_timestamp") or own_stamp) <= own_stamp - STALE_CLAIM_MS]
        for twin in stale:
            if warnings is not None:
                warnings.append(
                    f"LINSTOR snapshot {twin} of {rd_name} was claimed for snapshot {name!r} by a run that never "
                    f"mapped it ({by_name[twin.lower()]['created_on']}): it is not taken as that snapshot, its "
                    "claim is dropped and it stays unmapped (linstor_incus_volume_info lists it among "
                    "anomalies.unmapped_snapshots with include_snapshots)")
        created = [twin for twin in created if twin not in stale]
    return min(created, key=lambda twin: order_key(by_name[twin.lower()]), default=own)


def _unmap_own(client: LinstorClient, rd_name: str, key: str, own: str) -> None:
    """Undo of a mapping write: drop ``key`` if it names this run's snapshot (not a twin's)."""
    rd = _read_rd(client, rd_name)
    if rd is not None and ((rd.get("props") or {}).get(key) or "").lower() == own.lower():
        client.modify_resource_definition(rd_name, delete_props=[key])


def _read_rd(client: LinstorClient, rd_name: str) -> dict[str, Any] | None:
    return next((rd for rd in client.list_resource_definitions(names=[rd_name], with_volume_definitions=True)
                 if rd["name"].lower() == rd_name.lower()), None)


def delete_snapshot(client: LinstorClient, request: SnapshotRequest, rd: dict[str, Any], outcome: Outcome,
                    check_mode: bool) -> None:
    """Delete the LINSTOR snapshot (a missing one is fine: dangling mapping), then every key naming it.

    Claims on the name go in the same PUT: a claim left by a killed create, or one of a create running
    now, which then fails and undoes its snapshot (the later intent, absent, wins).
    """
    props = rd.get("props") or {}
    linstor_name = snapshot_mappings(props).get(request.name)
    keys = snapshot_keys_and_claims(props, request.name)
    outcome.extra["snapshot"] = {}
    if not keys:
        _snapshot_list(outcome, props, None)
        return
    outcome.changed = True
    outcome.extra["removed_snapshots"] = [{"name": request.name, "linstor_name": linstor_name}] \
        if linstor_name is not None else []
    outcome.volume = volume_view(_rd_after(rd, delete=keys), request.prefix) or outcome.volume
    _snapshot_list(outcome, outcome.volume.get("properties") or {}, None)
    if check_mode:
        return
    with client.run_to_the_end(f"deleting snapshot {request.name!r}"):
        if linstor_name is not None:
            _warn(outcome, client.delete_snapshot(rd["name"], linstor_name), snapshot_copy_left(linstor_name))
        try:
            _warn(outcome, client.modify_resource_definition(rd["name"], delete_props=keys))
        except LinstorError as error:
            if linstor_name is None:
                raise
            raise ModuleFailure(
                f"{error} LINSTOR snapshot {linstor_name} of snapshot {request.name!r} was deleted, but its mapping "
                "could not be removed (a dangling mapping); run the task again to remove it.", None, changed=True,
                removed_snapshots=outcome.extra["removed_snapshots"], linstor_error=error.to_dict()) from error


def rename_snapshot(client: LinstorClient, request: SnapshotRequest, rd: dict[str, Any], outcome: Outcome,
                    check_mode: bool) -> None:
    """Move the mapping key from ``rename_from`` to ``name`` in one PUT; the LINSTOR snapshot stays.

    The RD's snapshots are read first whenever either name is mapped: a mapping to a snapshot the RD lacks is
    no snapshot, and one under ``rename_from`` is refused rather than moved."""
    props = rd.get("props") or {}
    mappings = snapshot_mappings(props)
    new, old = mappings.get(request.name), mappings.get(request.rename_from)
    rd_snapshots = _snapshots_if_mapped(client, rd, [request.name, request.rename_from])
    targets = {} if rd_snapshots is None else dangling_targets(rd, rd_snapshots)
    if request.rename_from in targets:
        raise ModuleFailure(
            f"cannot rename snapshot {request.rename_from!r} (rename_from) of volume {request.incus_name}: it maps to "
            f"LINSTOR snapshot {old}, which {rd['name']} does not have (a dangling mapping, as an Incus copy inherits "
            "its source's mappings); delete it with state=absent",
            "rename_from",
        )
    dangling = targets.get(request.name)
    if dangling is not None:
        new = None  # a mapping to a snapshot the RD lacks is none
        if old is not None:
            outcome.warnings.append(dangling_warning(rd["name"], request.name, dangling, "the renamed snapshot"))
    if new is not None and old is not None:
        raise ModuleFailure(
            f"cannot rename snapshot {request.rename_from!r} to {request.name!r} of volume {request.incus_name}: both "
            f"exist (LINSTOR snapshots {old} and {new}); delete one of them first",
            "rename_from",
        )
    if new is None and old is None:
        missing = (f"cannot rename: neither snapshot {request.rename_from!r} (rename_from) nor {request.name!r} (name) "
                   f"exists on volume {request.incus_name}"
                   + (f" ({request.name!r} maps to LINSTOR snapshot {dangling}, which {rd['name']} does not have)"
                      if dangling else ""))
        if not check_mode:
            raise ModuleFailure(missing, "rename_from")
        # an earlier task of the same check run may create rename_from: predict the rename (LINSTOR name unknown)
        validate_snapshot_name(request.name)
        outcome.changed = True
        outcome.warnings.append(check_mode_warning(missing, f"snapshot {request.rename_from!r}"))
        predicted = _rd_after(rd, {snapshot_key(request.name): None})
        outcome.volume = volume_view(predicted, request.prefix) or outcome.volume
        outcome.extra.update(snapshot=snapshot_entry(request.name, None), snapshot_missing=True)
        _snapshot_list(outcome, predicted["props"], None)
        return
    if new is not None:  # done before: nothing is written, so what was read stands
        outcome.extra["snapshot"] = snapshot_entry(request.name, new, _described(rd_snapshots, new))
        _snapshot_list(outcome, props, rd_snapshots)
        return
    validate_snapshot_name(request.name)
    override = {snapshot_key(request.name): old}
    delete = snapshot_keys(props, request.rename_from) + [  # the dangling mapping's other form, not another's
        key for key in snapshot_keys(props, request.name) if key not in override and _same(props[key], dangling)]
    outcome.changed = True
    outcome.volume = volume_view(_rd_after(rd, override, delete), request.prefix) or outcome.volume
    outcome.extra["snapshot"] = snapshot_entry(request.name, old)
    _snapshot_list(outcome, outcome.volume.get("properties") or {}, None)
    if not check_mode:
        _warn(outcome, client.modify_resource_definition(rd["name"], override_props=override, delete_props=delete))


def restore_refusal(name: str, newer: list[str]) -> str:
    """Incus's message when newer snapshots stand in the way of a restore, naming them."""
    return (f"Snapshot '{name}' cannot be restored due to subsequent snapshot(s). Set linstor.remove_snapshots "
            f"to override (here: remove_newer_snapshots: true deletes them first). Subsequent snapshot(s): "
            f"{', '.join(newer)}")


def restore_snapshot(client: LinstorClient, request: SnapshotRequest, rd: dict[str, Any], outcome: Outcome,
                     check_mode: bool) -> None:
    """Roll the volume back to the snapshot, which must be the most recent (newer ones removed on request)."""
    props = rd.get("props") or {}
    linstor_name = snapshot_mappings(props).get(request.name)
    if linstor_name is None:
        missing = f"snapshot {request.name!r} of volume {request.incus_name} does not exist"
        if not check_mode:
            raise ModuleFailure(missing, "name")
        # an earlier task of the same check run may take it: then the most recent, restored with nothing removed
        outcome.changed = True
        outcome.warnings.append(check_mode_warning(missing, f"snapshot {request.name!r}"))
        outcome.extra.update(snapshot=snapshot_entry(request.name, None), snapshot_missing=True, removed_snapshots=[],
                             removed_dangling_mappings=[])
        _snapshot_list(outcome, props, None)
        return
    rd_snapshots = read_rd_snapshots(client, [rd["name"]])[rd["name"]]
    by_lower = {name.lower(): value for name, value in rd_snapshots.items()}
    target = by_lower.get(linstor_name.lower())
    if target is None:
        raise ModuleFailure(
            f"snapshot {request.name!r} of volume {request.incus_name} maps to LINSTOR snapshot {linstor_name}, which "
            "does not exist (a dangling mapping); delete it with state=absent",
            "name",
        )
    by_linstor = {linstor.lower(): incus for incus, linstor in snapshot_mappings(props).items()}
    newer = newer_snapshots(target["linstor_name"], rd_snapshots)
    unmapped = [snap for snap in newer if snap.lower() not in by_linstor]
    if unmapped:
        raise ModuleFailure(
            f"snapshot {request.name!r} of volume {request.incus_name} cannot be restored: LINSTOR snapshots "
            f"{', '.join(unmapped)} are newer and no Incus snapshot maps to them, so this module does not delete "
            "them; LINSTOR only rolls back to the most recent snapshot. Delete them in LINSTOR first.",
            "name",
            newer_snapshots=unmapped,
        )
    release = client.release()
    operation = f"cannot restore snapshot {request.name!r} of volume {request.incus_name}"
    refuse_resized_since(operation, rd, target, release)
    newer_names = [by_linstor[snap.lower()] for snap in newer]
    if newer and not request.remove_newer_snapshots:
        raise ModuleFailure(restore_refusal(request.name, newer_names), "remove_newer_snapshots",
                            newer_snapshots=newer_names)
    removed = [{"name": by_linstor[snap.lower()], "linstor_name": snap} for snap in newer]
    resources: list[dict[str, Any]] = []
    if removed or check_mode or rollback_drops_diskless(release):
        resources = client.view_resources([rd["name"]])
    if removed:  # what LINSTOR's rollback refuses only after _delete_newer: refused before it
        refuse_uncovered_replicas(operation, rd, target, resources, release)
        refuse_in_use(client, rd["name"], operation, f"the newer snapshots {', '.join(newer_names)}", 0, 0,
                      check_mode, outcome.warnings, resources)
        refuse_offline_for_rollback(client, operation, rd["name"], newer_names, resources, check_mode,
                                    outcome.warnings)
    elif check_mode:  # the rollback is the only write, and LINSTOR refuses it whole: check mode warns
        outcome.warnings.extend(rollback_refusal_warnings(client, operation, rd, target, resources, release))
    outcome.warnings.extend(dropped_diskless_warnings(rd["name"], resources, release))
    # With remove_newer_snapshots, mappings whose LINSTOR snapshot is gone go too: what an earlier
    # restore left when a delete's reply or the mapping PUT was lost, so a re-run converges.
    dangling = dangling_mappings(props, rd_snapshots) if request.remove_newer_snapshots else []
    dangling_keys = [key for name in dangling for key in snapshot_keys(props, name)]
    keys = [key for entry in removed for key in snapshot_keys(props, entry["name"])] + dangling_keys
    sizes = None  # a controller before LINSTOR 1.31.3 leaves the volume definitions' sizes as they are
    if release >= ROLLBACK_RESETS_SIZES_RELEASE:
        sizes = {vd["number"]: vd["size_kib"] for vd in target["volume_definitions"]}
    after = _rd_after(rd, delete=keys, sizes=sizes)
    outcome.changed = True
    outcome.volume = volume_view(after, request.prefix) or outcome.volume
    outcome.extra["removed_snapshots"] = removed
    outcome.extra["removed_dangling_mappings"] = dangling
    outcome.extra["snapshot"] = snapshot_entry(request.name, target["linstor_name"], target)
    remaining = {name: value for name, value in rd_snapshots.items() if name not in set(newer)}
    _snapshot_list(outcome, after["props"], remaining)
    if check_mode:
        return
    deleted, failure = _delete_newer(client, rd["name"], removed, outcome)
    # the mappings of the snapshots that went; dangling ones only when all went (else the next run drops them)
    drop = [key for entry in deleted for key in snapshot_keys(props, entry["name"])] + \
        (dangling_keys if failure is None else [])
    dropped_dangling = False
    if drop:  # the mappings of the snapshots that went, whatever happened to the others
        try:
            _warn(outcome, client.modify_resource_definition(rd["name"], delete_props=drop))
            dropped_dangling = bool(dangling_keys) and failure is None
        except LinstorError as error:
            failure = failure or error
            # once more (a PUT of deletions is safe to repeat), so that no mapping is left dangling
            with contextlib.suppress(LinstorError):
                _warn(outcome, client.modify_resource_definition(rd["name"], delete_props=drop))
    if failure is None:  # no rollback after any failure: the user sees it and runs again
        try:
            _warn(outcome, client.rollback_snapshot(rd["name"], target["linstor_name"]))
        except LinstorError as error:
            failure = error
            # a rollback whose reply was lost (or that failed halfway) may have run: its properties go back too
            with contextlib.suppress(ModuleFailure):
                _put_back_aux_properties(client, after, request, outcome, deleted)
    if failure is None:
        _put_back_aux_properties(client, after, request, outcome, deleted)
        return
    if not deleted and dropped_dangling:  # the rollback failed, but the dangling mappings went: a change
        raise ModuleFailure(f"{failure} The dangling mappings {', '.join(dangling)} were removed before the rollback "
                            "failed.", None, changed=True, removed_dangling_mappings=dangling,
                            linstor_error=failure.to_dict()) from failure
    if not deleted:
        raise failure
    raise ModuleFailure(
        f"{failure} The restore of snapshot {request.name!r} failed after these newer snapshots were deleted: "
        f"{', '.join(entry['name'] for entry in deleted)}; run again to finish it.",
        None,
        changed=True,
        removed_snapshots=deleted,
        linstor_error=failure.to_dict(),
    ) from failure


def _put_back_aux_properties(client: LinstorClient, wanted: Mapping[str, Any], request: SnapshotRequest,
                             outcome: Outcome, removed: list[dict[str, str]]) -> None:
    """Put the RD's ``Aux/`` properties back as they were before a rollback that LINSTOR may have done by a restore.

    Such a restore (:data:`ROLLBACK_VIA_RESTORE_RELEASE`) copies the RD properties the snapshot captured over the
    RD's own: the volume's Incus name as it was then (a rename since would be undone, and the volume lost to
    Incus's lookup), mappings of snapshots deleted since, the snapshot's own claim. Incus keeps its view in its
    database, so every ``Aux/`` key goes back (one GET; a PUT only when one changed, tried twice), whatever signal
    comes meanwhile. Other properties (DRBD options) are left as LINSTOR's rollback made them, and reported.
    ``wanted`` is the RD as the restore planned it; ``removed``, the newer snapshots it deleted (for a failure).
    """
    if client.release() < ROLLBACK_VIA_RESTORE_RELEASE:
        return
    wanted_props = wanted.get("props") or {}
    wanted_aux = {key: value for key, value in wanted_props.items() if key.startswith(AUX_NAMESPACE)}
    override: dict[str, str] = {}
    delete: list[str] = []
    with client.unstoppable():  # the rollback may have taken the volume's old name back: this must not stop halfway
        try:
            read = client.get_resource_definition(wanted["name"])
            props = (read or {}).get("props") or {}
            override = {key: value for key, value in wanted_aux.items() if props.get(key) != value}
            delete = sorted(key for key in props if key.startswith(AUX_NAMESPACE) and key not in wanted_props)
            if override or delete:
                try:
                    _warn(outcome, client.modify_resource_definition(wanted["name"], override_props=override,
                                                                     delete_props=delete))
                except LinstorError:  # a PUT of values is safe to repeat
                    _warn(outcome, client.modify_resource_definition(wanted["name"], override_props=override,
                                                                     delete_props=delete))
        except LinstorError as error:
            raise ModuleFailure(
                f"{error} Snapshot {request.name!r} was restored (or its rollback may have run), but the Aux/ "
                f"properties of resource definition {wanted['name']}, which LINSTOR's rollback may have set back "
                f"to the snapshot's, could not be read or put back: set {wanted_aux} on it and delete every other "
                "Aux/Incus/ and Aux/linstor-incus/ key (until then Incus may not find the volume by its name)",
                None,
                changed=True,
                removed_snapshots=removed,
                linstor_error=error.to_dict(),
            ) from error
    if read is None:
        return
    restored = {key: value for key, value in props.items() if key not in set(delete)} | override
    outcome.volume = volume_view(dict(wanted, props=restored), request.prefix) or outcome.volume


ZFS_ROLLBACK_STRATEGY_KEY = "StorDriver/Zfs/RollbackStrategy"
"""LINSTOR's choice between ``zfs rollback`` in place and a restore (``clone``); ``dynamic`` when unset."""


def rollback_needs_every_disk(release: tuple[int, ...], diskful: list[dict[str, Any]],
                              rd_props: Mapping[str, str]) -> bool:
    """Whether LINSTOR's rollback of this volume needs the snapshot on every diskful node: before
    :data:`ROLLBACK_RECREATES_RELEASE` (in place, or from 1.31 by a restore that does not recreate the other
    replicas yet); from :data:`ZFS_ROLLBACK_IN_PLACE_RELEASE`, when every disk is ZFS and the RD does not set
    :data:`ZFS_ROLLBACK_STRATEGY_KEY` to ``clone`` (in place; the group's or controller's value is not read here)."""
    if release < ROLLBACK_RECREATES_RELEASE:
        return True
    kinds = [str(volume.get("provider_kind") or "").upper() for resource in diskful
             for volume in resource.get("volumes") or []]
    all_zfs = bool(kinds) and all(kind in ("ZFS", "ZFS_THIN") for kind in kinds)
    strategy = str(rd_props.get(ZFS_ROLLBACK_STRATEGY_KEY) or "dynamic").lower()
    return release >= ZFS_ROLLBACK_IN_PLACE_RELEASE and all_zfs and strategy != "clone"


def rollback_refusal_warnings(client: LinstorClient, operation: str, rd: Mapping[str, Any],
                              target: Mapping[str, Any], resources: list[dict[str, Any]],
                              release: tuple[int, ...]) -> list[str]:
    """Check mode, for a restore whose rollback is the only write: what LINSTOR will refuse it for (a disk on a node
    the snapshot was not taken on, a resource in use), from the volume's ``resources`` (``GET /v1/view/resources``)."""
    warnings: list[str] = []
    uncovered = uncovered_replicas(rd, target, resources, release)
    if uncovered:
        warnings.append(foreseen_refusal(
            f"{operation}: resource definition {rd['name']} has disks on {', '.join(uncovered)}, where LINSTOR "
            f"snapshot {target.get('linstor_name')} was not taken (a replica added after it, or a node offline when "
            "it was taken), and LINSTOR's rollback of this volume needs the snapshot on every disk",
            f"at the rollback unless the resources on {', '.join(uncovered)} are removed first (no snapshot is "
            "deleted)"))
    nodes = busy_nodes(client, [rd["name"]], 0, 0, True, resources).get(rd["name"].lower())
    if nodes:
        warnings.append(foreseen_refusal(
            f"{in_use_statement(operation, rd['name'], nodes)}, and LINSTOR refuses a rollback while it is",
            "at the rollback if it is still in use then (no snapshot is deleted)"))
    offline = not_connected_nodes(client, _resource_nodes(resources))
    if offline:
        warnings.append(foreseen_refusal(offline_rollback_statement(operation, rd["name"], offline),
                                         "at the rollback if it is not connected then (no snapshot is deleted)"))
    return warnings


def _resource_nodes(resources: list[dict[str, Any]]) -> list[str]:
    return [str(resource["node_name"]) for resource in resources if resource.get("node_name")]


def offline_rollback_statement(operation: str, rd_name: str, nodes: list[str]) -> str:
    """How a refusal of a restore begins whose rollback LINSTOR refuses while a satellite of the volume is offline
    (CtrlSnapshotRollbackApiCallHandler.ensureAllSatellitesConnected)."""
    return (f"{operation}: {not_connected_phrase(nodes)}, and LINSTOR rolls back a volume only while the satellite "
            f"of every node with a resource of it (resource definition {rd_name}) is connected")


def refuse_offline_for_rollback(client: LinstorClient, operation: str, rd_name: str, newer_names: list[str],
                                resources: list[dict[str, Any]], check_mode: bool, warnings: list[str]) -> None:
    """Before a restore deletes the newer snapshots ``newer_names`` on its way to a rollback LINSTOR refuses while
    a satellite of the volume's ``resources`` is offline: fail, nothing written, naming the nodes (one
    ``GET /v1/nodes``); in check mode, warn."""
    offline = not_connected_nodes(client, _resource_nodes(resources))
    if not offline:
        return
    problem = (f"{offline_rollback_statement(operation, rd_name, offline)}. LINSTOR refuses that only after this run "
               f"would have deleted the newer snapshots {', '.join(newer_names)}. Nothing was deleted; run again once "
               "connected (linstor node list)")
    if not check_mode:
        raise ModuleFailure(problem, None, offline_nodes=offline, resource_definition=rd_name)
    warnings.append(check_mode_sentence(problem, "the satellite may connect before the real run",
                                        "if it is not connected then"))


def rollback_drops_diskless(release: tuple[int, ...]) -> bool:
    """Whether LINSTOR's rollback deletes every resource and restores the snapshot on its (diskful) nodes only:
    from :data:`ROLLBACK_VIA_RESTORE_RELEASE` to before :data:`ROLLBACK_RECREATES_RELEASE`."""
    return ROLLBACK_VIA_RESTORE_RELEASE <= release < ROLLBACK_RECREATES_RELEASE


def refuse_resized_since(operation: str, rd: Mapping[str, Any], target: Mapping[str, Any],
                         release: tuple[int, ...]) -> None:
    """Fail, before anything is deleted, when LINSTOR's rollback would leave the volume with no resource.

    From :data:`ROLLBACK_VIA_RESTORE_RELEASE` to before :data:`ROLLBACK_RESETS_SIZES_RELEASE` a rollback deletes the
    volume's resources and restores the snapshot into the RD, and that restore refuses a volume definition whose size
    is not the snapshot's (CtrlSnapshotRestoreApiCallHandler.restoreOnNode) without putting the resources back."""
    if not ROLLBACK_VIA_RESTORE_RELEASE <= release < ROLLBACK_RESETS_SIZES_RELEASE:
        return
    taken = {vd["number"]: vd["size_kib"] for vd in target.get("volume_definitions") or []}
    # a volume the snapshot lacks is not one of these: LINSTOR refuses that rollback before it deletes anything
    resized = [f"volume {vd['number']} is {vd['size_kib']} KiB and was {taken[vd['number']]} KiB"
               for vd in _current_sizes(rd) if vd["number"] in taken and taken[vd["number"]] != vd["size_kib"]]
    if resized:
        raise ModuleFailure(
            f"{operation}: in resource definition {rd['name']}, {'; '.join(resized)} when LINSTOR snapshot "
            f"{target.get('linstor_name')} was taken. LINSTOR {release_text(release)} rolls a volume back by deleting "
            "its resources and restoring the snapshot into them, and that restore fails when a size has changed since, "
            "leaving the volume with no resource (fixed in LINSTOR 1.31.3). Nothing was changed; upgrade LINSTOR to "
            "1.31.3 or later, or make a new volume from the snapshot (linstor_incus_volume's source.snapshot)",
            "name",
        )


def dropped_diskless_warnings(rd_name: str, resources: list[dict[str, Any]], release: tuple[int, ...]) -> list[str]:
    """The diskless resources of ``resources`` a rollback removes (:func:`rollback_drops_diskless`)."""
    if not rollback_drops_diskless(release):
        return []
    # the tie-breaker is not among them: the restore's auto-tiebreaker makes one again
    nodes = sorted(resource.get("node_name") or "?" for resource in resources
                   if is_diskless(resource) and not is_tie_breaker(resource))
    if not nodes:
        return []
    return [f"LINSTOR {release_text(release)} rolls a volume back by deleting its resources and restoring the "
            f"snapshot only on the nodes it was taken on: the diskless resources of resource definition {rd_name} on "
            f"{', '.join(nodes)} are not made again (LINSTOR 1.31.2 and later make them). Incus makes one again where "
            f"it next uses the volume; or run `linstor resource make-available NODE {rd_name}` for each"]


def uncovered_replicas(rd: Mapping[str, Any], target: Mapping[str, Any], resources: list[dict[str, Any]],
                       release: tuple[int, ...]) -> list[str]:
    """The nodes with a disk of the volume that the snapshot was not taken on (a replica added after it, or a node
    offline when it was taken), when LINSTOR's rollback needs the snapshot there (:func:`rollback_needs_every_disk`)."""
    diskful = [resource for resource in resources if not is_diskless(resource)]
    if not rollback_needs_every_disk(release, diskful, rd.get("props") or {}):
        return []
    taken_on = {node.lower() for node in target.get("nodes") or []}
    return sorted(resource.get("node_name") or "?" for resource in diskful
                  if (resource.get("node_name") or "").lower() not in taken_on)


def refuse_uncovered_replicas(operation: str, rd: Mapping[str, Any], target: Mapping[str, Any],
                              resources: list[dict[str, Any]], release: tuple[int, ...]) -> None:
    """Fail when the volume has :func:`uncovered_replicas`. LINSTOR refuses the rollback then, but only after a
    restore that removes newer snapshots deleted them: nothing is deleted here.
    """
    uncovered = uncovered_replicas(rd, target, resources, release)
    if uncovered:
        raise ModuleFailure(
            f"{operation}: resource definition {rd['name']} has disks on {', '.join(uncovered)}, where LINSTOR "
            f"snapshot {target.get('linstor_name')} was not taken (a replica added after it, or a node offline when "
            "it was taken). LINSTOR's rollback of this volume (before 1.31.2, and in place with ZFS storage from "
            "1.32) needs the snapshot on every disk, and would refuse only after the newer snapshots were deleted. "
            f"Nothing was deleted; remove the resources on {', '.join(uncovered)} first (they can be placed again "
            "after the restore), or make a new volume from the snapshot (linstor_incus_volume's source.snapshot)",
            "name",
            uncovered_nodes=uncovered,
        )


def _delete_newer(client: LinstorClient, rd_name: str, removed: list[dict[str, Any]],
                  outcome: Outcome) -> tuple[list[dict[str, Any]], LinstorError | None]:
    """Delete each snapshot in ``removed`` (LINSTOR's warnings into ``outcome``); return those gone and the first
    error.

    After an error (whose DELETE may have been applied although its reply was lost), the RD's
    snapshot list tells which went, so that exactly their mappings are dropped.
    """
    deleted: list[dict[str, Any]] = []
    for entry in removed:
        try:
            _warn(outcome, client.delete_snapshot(rd_name, entry["linstor_name"]),
                  snapshot_copy_left(entry["linstor_name"]))
        except LinstorError as error:
            try:
                present = {snapshot["name"].lower() for snapshot in client.list_snapshots(rd_name)}
            except LinstorError:
                return deleted, error
            return [item for item in removed if item["linstor_name"].lower() not in present], error
        deleted.append(entry)
    return deleted, None


# --- A new volume from a snapshot -----------------------------------------------------------------


def _snapshots_phrase(props: Mapping[str, str]) -> str:
    names = sorted(snapshot_mappings(dict(props)))
    return f"its snapshots: {', '.join(names)}" if names else "it has no snapshots"


def copy_from_snapshot(client: LinstorClient, request: VolumeRequest, outcome: Outcome, check_mode: bool,
                       snapshot: str | None = None) -> None:
    """Make the new volume ``request`` from snapshot ``snapshot`` of ``request.source``; undo on failure.

    As Incus: a new random RD in the group, the snapshot's volume definitions restored into it,
    then its resources, then the copy's own aux keys. The RD is born empty (LINSTOR restores volume
    definitions only into an RD that has none) but already carrying the copy's aux keys and
    creation properties, so no moment exists in which an RD of the group lacks them; its delete is
    registered at once, so a failure in a later step leaves nothing behind. Restoring the resources
    copies the properties the source RD had when the snapshot was taken onto the copy, overriding
    (LINSTOR's snapshot-restore-resource): its aux keys, snapshot mappings and claims too. One PUT
    right after gives the copy its own identity back and drops every per-snapshot key, as Incus
    sets the aux keys after the restore; until then the copy claims the source volume as well.
    A larger ``size`` grows the copy afterwards; a smaller one fails before anything is written.
    The copy is confirmed with Incus's lookup, and twins made at the same moment settle on one
    RD (``_volumes.settle_concurrent_create``). ``snapshot`` defaults to ``request.source.snapshot``.
    """
    source = request.source
    if source is None:
        raise NamingError("source", "source is required to copy from a snapshot")
    snapshot = snapshot if snapshot is not None else getattr(source, "snapshot", None)
    if not snapshot:
        raise NamingError("source.snapshot", "source.snapshot is required to copy from a snapshot")
    validate_snapshot_name(snapshot, "source.snapshot", existing=True)
    source_rd = find_source_rd(client, request, outcome, check_mode)
    if source_rd is None:  # check mode, predicted
        return
    source_props = source_rd.get("props") or {}
    linstor_name = snapshot_mappings(source_props).get(snapshot)
    if linstor_name is None:
        problem = (f"source.snapshot {snapshot!r} does not exist on volume {source.incus_name} "
                   f"({_snapshots_phrase(source_props)})")
        if not check_mode:
            raise NamingError("source.snapshot", problem)
        predict_copy(request, outcome, problem, source_rd["name"])
        return
    raw = next((snap for snap in client.view_snapshots([source_rd["name"]])
                if (snap.get("resource_name") or "").lower() == source_rd["name"].lower()
                and (snap.get("name") or "").lower() == linstor_name.lower()), None)
    if raw is None:
        raise NamingError("source.snapshot", f"source.snapshot {snapshot!r} maps to LINSTOR snapshot {linstor_name}, "
                          f"which resource definition {source_rd['name']} does not have (a dangling mapping)")
    target = describe_snapshot(raw)
    sizes = {vd["number"]: vd["size_kib"] for vd in target["volume_definitions"]}
    copy_request = copy_request_for(request, source_props, sizes, "source.snapshot",
                                    f"snapshot {snapshot!r} of {source.incus_name}")
    props = copy_properties(request, copy_request.content_type)
    identity = {key: value for key, value in props.items() if key != EXACT_SIZE_KEY}  # resources are placed then
    restored_props = props | captured_properties(raw)
    after_props = without_snapshot_keys(restored_props) | identity
    # restoring the resources runs LINSTOR's auto-quorum, which before 1.31 overwrites the on-no-quorum the snapshot
    # kept (the source's); the PUT after it writes that again, unless the request removes it (a modify of it runs no
    # auto-quorum)
    if ON_NO_QUORUM_KEY in after_props and ON_NO_QUORUM_KEY not in request.removed_properties:
        identity[ON_NO_QUORUM_KEY] = after_props[ON_NO_QUORUM_KEY]
    outcome.extra["source_snapshot"] = {"name": snapshot, "linstor_name": target["linstor_name"]}
    plan = plan_copy(request, copy_request, source_rd["name"], after_props, sizes,
                     f"the snapshot {snapshot!r} of {source.incus_name}", outcome, check_mode)
    if plan is None:
        return
    rd_name, reverter = new_rd_with_undo(client, request.prefix)
    try:
        outcome.warn(client.create_resource_definition(rd_name, request.resource_group, props))
        outcome.warn(client.restore_volume_definitions(source_rd["name"], target["linstor_name"], rd_name))
        outcome.warn(client.restore_resources(source_rd["name"], target["linstor_name"], rd_name))
        with client.unstoppable():  # placed: a twin may rely on it; the copy is finished first
            outcome.warn(client.modify_resource_definition(rd_name, override_props=identity,
                                                           delete_props=per_snapshot_keys(restored_props)))
            apply_plan(client, rd_name, plan, outcome)
    except (LinstorError, ModuleFailure) as error:
        _reraise_after_revert(error, reverter)
    # Confirm with Incus's lookup, as a create does: of twins made at the same moment, one RD stays.
    settle_copy(client, request, rd_name, reverter, outcome, plan)
