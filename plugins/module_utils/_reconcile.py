# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconciling a declared list of Incus volumes (and their snapshots) in one module run.

``linstor_incus_volumes`` does for a whole list what ``linstor_incus_volume`` and
``linstor_incus_snapshot`` do for one item, with the same rules, because it calls the same
functions: :func:`._volumes.parse_request`, :func:`._volumes.single`,
:func:`._volumes.plan_changes`, :func:`._volumes.update_volume`, :func:`._volumes.delete_volume`,
:func:`._snapshots.parse_snapshot_request` and the snapshot create/delete steps of ``_snapshots``.

The flow of :func:`reconcile`:

1. every item is parsed and checked (:func:`parse_items`); an error names ``volumes[i].<option>``;
2. ONE ``GET /v1/resource-definitions`` (filtered on the presence of ``Aux/Incus/name`` and
   ``Aux/Incus/type``, the two keys Incus's own lookup filters on) reads every volume of the group (read
   again for 10 s, pauses doubling from 0.5 s, while a declared volume or its ``rename_from`` has two live
   claimants, which may be twins about to settle: :func:`._volumes.read_until_settled`; +1 GET of the resources
   of RDs flagged DELETE, only when there are some: :func:`._volumes.flagged_delete_states`);
3. every item is planned against that listing (:func:`plan_items`, then :func:`plan_snapshot_reads`
   with one snapshot listing when volumes are deleted or declared snapshots are mapped), still
   without writing: a conflict, a missing ``size`` for a volume to create, a shrink, unmapped
   snapshots on a volume to delete... fail here, before any write;
4. the writes run item by item, in the declared order. The first failing item stops the run; its failed
   step is undone (a new RD not placed yet, a snapshot not mapped yet: nothing is half-made), a new volume
   once placed is kept with its snapshots made by then (:func:`apply_item`), and the failure reports
   ``changes``, what the items did;
5. when a volume that stays was written, ONE more listing reads the group back, so the returned
   views are LINSTOR's (it adds properties and a DRBD port to a new RD).

Request budget: nothing to do = 1 request, whatever the number of volumes; a run that writes to
volumes that stay adds 1 read-back listing, whatever their number. Each created volume costs 3 (spawn
with every property, autoplace, the confirming lookup that settles twins: :func:`._volumes.settle_concurrent_create`),
+1 PUT when LINSTOR changed a requested property while placing it (:func:`._volumes.put_back_overwritten`); a
rename, resize or property change 1 PUT (+1 PUT per resized volume definition); a snapshot create
4 (claim, snapshot, the read-back that settles twins, mapping); a snapshot delete 2; volumes to delete
1 GET of their snapshots, all in one while planning (shared with the check of mapped declared snapshots), then
each 1 GET of its snapshots again (one made since stops it before it deletes anything), and when it has any,
1 GET of its resources (not while one is in use: ``_volumes.refuse_delete_in_use``; volumes with snapshots to
delete are read so while planning too, all in 1 GET: :func:`refuse_deletes_in_use`; in check mode every volume to
delete is, to warn of one in use), 1 DELETE per snapshot (+1 PUT for their mappings) + the RD's DELETE.
When the listing holds no RD of the group, one ``GET /v1/resource-groups/<group>`` tells a missing
(misspelt) group before anything is written (a warning when the list only deletes).
When ``properties`` keys outside ``Aux/`` are about to be written, one
``GET /v1/resource-definitions/properties/info`` checks them against LINSTOR's whitelist first.
Check mode sends, beyond these reads, what foresees LINSTOR's refusals at a later step: when volumes would be
created, the group (if not read) and ``GET /v1/view/storage-pools`` (:func:`._volumes.placement_warnings`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.linstor.incus.plugins.module_utils._client import LinstorClient, LinstorError
from ansible_collections.linstor.incus.plugins.module_utils._module import Diff, ModuleFailure, full_stop
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    AUX_NAME,
    EXACT_SIZE_KEY,
    NamingError,
    listing_filters,
    rd_from_view,
    refuse_invalid_properties,
    snapshot_key,
    snapshot_keys_and_claims,
    snapshot_mappings,
    validate_prefix,
    validate_resource_group,
    validate_snapshot_name,
    volume_view,
)
from ansible_collections.linstor.incus.plugins.module_utils._snapshots import (
    SnapshotRequest,
    create_snapshot,
    dangling_targets,
    dangling_warning,
    delete_snapshot,
    keys_dropped_by_create,
    parse_snapshot_request,
    read_rd_snapshots,
)
from ansible_collections.linstor.incus.plugins.module_utils._volumes import (
    Outcome,
    Plan,
    VolumeRequest,
    apply_plan_to_view,
    busy_nodes,
    check_mode_warning,
    check_wait_option,
    claims_by_identity,
    creation_request,
    delete_in_use_warning,
    delete_operation,
    delete_volume_rds,
    deleting_warnings,
    doomed_rds,
    duplicated,
    filesystem_grow_warnings,
    first_doomed,
    in_use_problem,
    in_use_warning,
    live,
    new_volume_view,
    other_prefix_warnings,
    parse_request,
    placement_warnings,
    plan_changes,
    predicted_rename_views,
    put_back_overwritten,
    read_until_settled,
    refuse_filesystem_keys,
    refuse_other_content_type,
    refuse_unmapped_snapshots,
    refused_delete_warnings,
    rename_onto_existing,
    rename_source_missing_message,
    require_group,
    settle_concurrent_create,
    single,
    snapshots_phrase,
    snapshots_to_remove,
    spawn_and_place,
    stalled_deletes,
    stored_view,
    tell_flagged_deletes_apart,
    update_volume,
    user_properties_written,
    warn_if_group_missing,
)

LIST_OPTIONS = ("resource_group", "prefix", "delete_retries", "delete_retry_delay", "remove_unmapped_snapshots")
"""Options given once for the whole list and passed on to every item."""

ACTIONS = ("created", "renamed", "resized", "updated", "deleted", "snapshot_created", "snapshot_deleted")
"""What ``changes`` reports per volume, and what ``summary`` counts."""


# --- What the user asked for ---------------------------------------------------------------------


def _indexed_parameter(index: int, parameter: str | None, inner: str = "") -> str:
    base = f"volumes[{index}]{inner}"
    return f"{base}.{parameter}" if parameter else base


def _indexed(error: NamingError, index: int, inner: str = "") -> NamingError:
    parameter = _indexed_parameter(index, error.parameter, inner)
    return NamingError(parameter, f"{parameter}: {error.message}")


@dataclass
class Item:
    """One declared volume: its checked request, its snapshots, then what the listing says to do."""

    index: int
    request: VolumeRequest
    snapshots: list[SnapshotRequest] = field(default_factory=list)
    rd: dict[str, Any] | None = None
    before: dict[str, Any] | None = None
    action: str | None = None  # "create", "update", "delete", "rename" (predicted in check mode only) or None
    plan: Plan | None = None
    snapshots_to_create: list[SnapshotRequest] = field(default_factory=list)
    snapshots_to_delete: list[SnapshotRequest] = field(default_factory=list)
    dangling: dict[str, str] = field(default_factory=dict)
    """Incus snapshot name -> the LINSTOR snapshot its mapping names and the RD lacks (created again)."""
    stalled: list[dict[str, Any]] = field(default_factory=list)
    """For a volume to delete, the RDs claiming it whose delete is stalled: sent again first
    (:func:`._volumes.delete_volume_rds`)."""
    doomed_snapshots: dict[str, list[str]] = field(default_factory=dict)
    """For a volume to delete, RD name -> its LINSTOR snapshot names, for each RD of :func:`._volumes.doomed_rds`,
    read while planning (for the refusal and check mode); the delete reads them again."""

    @property
    def key(self) -> tuple[str, str]:
        return self.request.volume_type, self.request.incus_name

    def lookup_keys(self) -> list[tuple[str, str]]:
        """The identities the item's lookup reads: its volume's, and the one it is renamed from."""
        old = self.request.rename_from_incus_name
        return [self.key] + ([(self.request.volume_type, old)] if old else [])

    @property
    def has_work(self) -> bool:
        return self.action is not None or bool(self.snapshots_to_create or self.snapshots_to_delete)

    def identity(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.request.name, "type": self.request.volume_type,
                "project": self.request.project, "incus_name": self.request.incus_name}


def parse_items(params: Mapping[str, Any]) -> list[Item]:
    """Check every item (and snapshot) of ``volumes`` before LINSTOR is asked anything.

    Raises :class:`NamingError` naming ``volumes[i].<option>`` (or ``volumes[i].snapshots[j].<option>``).
    Two items may not touch the same volume (by ``name`` or ``rename_from``).
    """
    validate_prefix(params.get("prefix"))
    validate_resource_group(params.get("resource_group"))
    for option in ("delete_retries", "delete_retry_delay"):  # options of the whole list, named as such
        if params.get(option) is not None:
            check_wait_option(params[option], option)
    items: list[Item] = []
    claimed: dict[tuple[str, str], str] = {}
    for index, raw in enumerate(params.get("volumes") or []):
        if not isinstance(raw, Mapping):
            raise NamingError(f"volumes[{index}]", f"volumes[{index}] must be a dictionary, got {raw!r}")
        merged = {key: value for key, value in raw.items() if key != "snapshots"}
        merged.update({key: params.get(key) for key in LIST_OPTIONS if params.get(key) is not None})
        try:
            request = parse_request(merged)
        except NamingError as error:
            raise _indexed(error, index) from error
        item = Item(index, request)
        for option, incus_name in (("name", request.incus_name), ("rename_from", request.rename_from_incus_name)):
            if incus_name is None:
                continue
            other = claimed.get((request.volume_type, incus_name))
            if other is not None:
                parameter = _indexed_parameter(index, option)
                raise NamingError(parameter, f"{parameter}: volume {incus_name} ({request.volume_type}) is already "
                                  f"declared by {other}; declare each volume once")
            claimed[(request.volume_type, incus_name)] = _indexed_parameter(index, option)
        seen: set[str] = set()
        for position, snapshot in enumerate(raw.get("snapshots") or []):
            inner = f".snapshots[{position}]"
            if not isinstance(snapshot, Mapping):
                snapshot = {"name": snapshot}
            state = snapshot.get("state") or "present"
            if state not in ("present", "absent"):
                parameter = _indexed_parameter(index, "state", inner)
                raise NamingError(parameter, f"{parameter}: state {state!r} is not one of present, absent")
            try:
                snapshot_request = parse_snapshot_request({
                    "volume": request.name, "type": request.volume_type, "project": request.project,
                    "prefix": request.prefix, "resource_group": request.resource_group,
                    "name": snapshot.get("name"), "state": state,
                })
            except NamingError as error:
                raise _indexed(error, index, inner) from error
            if snapshot_request.name in seen:
                parameter = _indexed_parameter(index, "name", inner)
                raise NamingError(parameter, f"{parameter}: snapshot {snapshot_request.name!r} is declared twice")
            seen.add(snapshot_request.name)
            if request.state == "absent" and state == "present":
                parameter = _indexed_parameter(index, "state", inner)
                raise NamingError(parameter, f"{parameter}: snapshot {snapshot_request.name!r} cannot be present on "
                                  f"volume {request.incus_name}, which is declared absent")
            item.snapshots.append(snapshot_request)
        items.append(item)
    return items


# --- Reading and planning -----------------------------------------------------------------------


def read_group(client: LinstorClient, resource_group: str, prefix: str | None = None,
               warnings: list[str] | None = None) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """ONE request: the group's RDs carrying ``Aux/Incus/name`` and ``Aux/Incus/type``, by (type, name).

    The same keys Incus's lookup filters on (content type is checked by :func:`._volumes.single`,
    as for one volume), so an RD with a broken content type is refused here as it is there. With ``prefix``,
    volumes named with another go to ``warnings`` (:func:`._volumes.other_prefix_warnings`).
    """
    listing = client.list_resource_definitions(props=listing_filters(), with_volume_definitions=True)
    if prefix is not None and warnings is not None:
        warnings += other_prefix_warnings(listing, resource_group, prefix)
    return claims_by_identity(listing, resource_group)


def _single(item: Item, claims: Mapping[tuple[str, str], list[dict[str, Any]]], incus_name: str,
            option: str) -> dict[str, Any] | None:
    parameter = _indexed_parameter(item.index, option)
    try:
        return single(list(claims.get((item.request.volume_type, incus_name), [])), incus_name, parameter,
                      item.request.prefix)
    except ModuleFailure as failure:
        raise ModuleFailure(f"{parameter}: {failure.message}", parameter, **failure.result) from failure


def existing_rd(item: Item, claims: Mapping[tuple[str, str], list[dict[str, Any]]]) -> tuple[dict | None, bool]:
    """The RD the item is about and whether it is found under ``rename_from``: as ``ensure_volume`` decides."""
    request = item.request
    rd = _single(item, claims, request.incus_name, "name")
    if request.rename_from is None:
        return rd, False
    old_rd = _single(item, claims, request.rename_from_incus_name or "", "rename_from")
    parameter = _indexed_parameter(item.index, "rename_from")
    if rd is not None and old_rd is not None:
        raise rename_onto_existing(request, rd, old_rd, parameter)
    if rd is None and old_rd is None:
        raise RenameSourceMissing(f"{parameter}: {rename_source_missing_message(request)}", parameter)
    return (rd, False) if rd is not None else (old_rd, True)


class RenameSourceMissing(ModuleFailure):
    """Neither the ``rename_from`` volume nor the ``name`` volume of an item exists."""


def plan_item(item: Item, claims: Mapping[tuple[str, str], list[dict[str, Any]]], check_mode: bool,
              warnings: list[str]) -> None:
    """Decide what the item needs, raising before any write when it cannot be done.

    In check mode, a rename whose ``rename_from`` volume is missing is predicted with a warning (an earlier
    task of the same check run may create it), as ``linstor_incus_volume`` does.
    """
    request = item.request
    try:
        rd, renamed = existing_rd(item, claims)
    except RenameSourceMissing as missing:
        if not check_mode:
            raise
        item.before = predicted_rename_views(request)[0]
        item.action = "rename"
        item.snapshots_to_create = [snapshot for snapshot in item.snapshots if snapshot.state == "present"]
        warnings.append(check_mode_warning(missing.message, request.rename_from_incus_name or ""))
        return
    item.rd = rd
    item.before = volume_view(rd, request.prefix) if rd is not None else None
    if request.state == "absent":
        if rd is not None:
            try:
                refuse_other_content_type(request, rd)
            except NamingError as error:
                raise _indexed(error, item.index) from error
        item.stalled = stalled_deletes(request, claims.get(item.key, []))
        warnings += deleting_warnings([other for other in claims.get(item.key, []) if other not in item.stalled],
                                      request.incus_name, absent=True)
        doomed = first_doomed(rd, item.stalled)
        item.before = volume_view(doomed, request.prefix) if doomed is not None else None
        item.action = "delete" if doomed is not None else None
        return
    if not live(claims.get(item.key, [])):  # gone or going, to be created, or renamed to
        warnings += deleting_warnings(claims.get(item.key, []), request.incus_name)
    warnings += refused_delete_warnings(rd, request.incus_name)
    if rd is None:
        if request.size_bytes is None:
            parameter = _indexed_parameter(item.index, "size")
            raise NamingError(parameter, f"{parameter} is required to create volume {request.incus_name} "
                              "(it does not exist yet)")
        try:
            refuse_filesystem_keys(request.user_properties, request.volume_type, request.content_type)
        except NamingError as error:
            raise _indexed(error, item.index) from error
        item.action = "create"
    else:
        try:
            item.plan = plan_changes(request, rd, rename=renamed)
        except NamingError as error:
            raise _indexed(error, item.index) from error
        if check_mode:  # the real run says it once the grow is done (apply_item)
            warnings += filesystem_grow_warnings(request.incus_name, rd, item.plan)
        item.action = None if item.plan.empty else "update"
    props = (rd.get("props") or {}) if rd is not None else {}
    mappings = snapshot_mappings(props)
    for snapshot in item.snapshots:
        if snapshot.state == "present" and snapshot.name not in mappings:
            item.snapshots_to_create.append(snapshot)
        elif snapshot.state == "absent" and snapshot_keys_and_claims(props, snapshot.name):
            # a mapping, or only a claim (left by a killed create): delete_snapshot drops either, as the
            # snapshot module does
            item.snapshots_to_delete.append(snapshot)


def plan_items(items: list[Item], claims: Mapping[tuple[str, str], list[dict[str, Any]]], check_mode: bool,
               warnings: list[str]) -> None:
    for item in items:
        plan_item(item, claims, check_mode, warnings)


def plan_snapshot_reads(client: LinstorClient, items: list[Item]) -> None:
    """Plan what needs the volumes' LINSTOR snapshots, read with ONE request for all (none when nothing does):

    - a volume to delete: its snapshots go first, and one no mapping names fails the run here, before
      any write (:func:`._volumes.refuse_unmapped_snapshots`);
    - a declared snapshot whose mapping names a LINSTOR snapshot the RD lacks (as an Incus copy inherits
      its source's mappings) is created again.
    """
    deleting = [item for item in items if item.action == "delete"]
    mapped = [(item, snapshot) for item in items if item.rd is not None and item.action != "delete"
              for snapshot in item.snapshots
              if snapshot.state == "present" and snapshot not in item.snapshots_to_create]
    rds = {rd["name"]: rd for item in deleting for rd in doomed_rds(item.rd, item.stalled)} | {
        item.rd["name"]: item.rd for item, _snapshot in mapped}
    if not rds:
        return
    rd_snapshots = read_rd_snapshots(client, sorted(rds))
    refused: list[tuple[Item, ModuleFailure]] = []
    for item in deleting:
        for rd in doomed_rds(item.rd, item.stalled):
            names = sorted(rd_snapshots.get(rd["name"]) or {})  # a stalled RD may be gone by now
            item.doomed_snapshots[rd["name"]] = names
            try:
                refuse_unmapped_snapshots(item.request, rd, names)
            except ModuleFailure as failure:
                refused.append((item, failure))
    if refused:
        raise ModuleFailure(
            "; ".join(f"{_indexed_parameter(item.index, None)}: {failure.message}" for item, failure in refused),
            refused[0][1].parameter,
            unmapped_snapshots=[entry for item, failure in refused for entry in _unmapped_entries(item, failure)])
    for item, snapshot in mapped:
        linstor_name = dangling_targets(item.rd, rd_snapshots[item.rd["name"]]).get(snapshot.name)
        if linstor_name is not None:
            item.dangling[snapshot.name] = linstor_name
            item.snapshots_to_create.append(snapshot)


def refuse_new_snapshot_names(items: list[Item]) -> None:
    """Before any write, the snapshots to create: named by Incus's API name rule (one that exists already keeps
    whatever name an older Incus gave it)."""
    for item in items:
        for snapshot in item.snapshots_to_create:
            inner = f".snapshots[{item.snapshots.index(snapshot)}]"
            try:
                validate_snapshot_name(snapshot.name)
            except NamingError as error:
                raise _indexed(error, item.index, inner) from error


def refuse_deletes_in_use(client: LinstorClient, items: list[Item], check_mode: bool, warnings: list[str]) -> None:
    """Before any write, the volumes to delete that have snapshots: ONE ``GET /v1/view/resources`` for all of
    them (read again as ``delete_retries`` says while any is in use); fail naming every one in use, or in check
    mode warn (:func:`._volumes.busy_nodes`). Each delete checks again at its turn (:func:`._volumes.delete_volume`).
    Check mode reads the volumes without snapshots in the same GET, to foresee LINSTOR's refusal of their delete."""
    deleting = [item for item in items if item.action == "delete" and item.rd is not None
                and (item.doomed_snapshots.get(item.rd["name"]) or check_mode)]
    if not deleting:
        return
    options = deleting[0].request  # delete_retries and delete_retry_delay are options of the whole list
    busy = busy_nodes(client, [item.rd["name"] for item in deleting], options.delete_retries,
                      options.delete_retry_delay, check_mode)
    refused: list[tuple[Item, list[str], str]] = []
    foreseen: list[str] = []
    for item in deleting:
        nodes = busy.get(item.rd["name"].lower())
        if not nodes:
            continue
        linstor_snapshots = item.doomed_snapshots.get(item.rd["name"])
        if linstor_snapshots:
            refused.append((item, nodes, in_use_problem(delete_operation(item.request), item.rd["name"], nodes,
                                                        snapshots_phrase(linstor_snapshots))))
        else:
            foreseen.append(delete_in_use_warning(item.request, item.rd["name"], nodes))
    if check_mode:
        warnings.extend(in_use_warning(problem) for _item, _nodes, problem in refused)
        warnings.extend(foreseen)
    elif refused:
        raise ModuleFailure(
            "; ".join(f"{_indexed_parameter(item.index, None)}: {problem}" for item, _nodes, problem in refused),
            None, in_use_nodes=[_in_use_entry(item, item.rd["name"], nodes) for item, nodes, _problem in refused])


def _in_use_entry(item: Item, rd_name: str, nodes: list[str]) -> dict[str, Any]:
    """An ``in_use_nodes`` entry of a refused delete: the item's index, the RD in use (the volume's, or a stalled
    one), the nodes."""
    return {"index": item.index, "resource_definition": rd_name, "nodes": nodes}


def _unmapped_entries(item: Item, failure: ModuleFailure) -> list[dict[str, Any]]:
    """The ``unmapped_snapshots`` of a refused delete, each with its item's index and the RD that refused it (the
    volume's, or a stalled one)."""
    return [{"index": item.index, "resource_definition": failure.result["resource_definition"], "linstor_name": name}
            for name in failure.result["unmapped_snapshots"]]


# --- Views ----------------------------------------------------------------------------------------


def planned_view(item: Item) -> dict[str, Any] | None:
    """The item's volume as it will be once reconciled (what check mode reports); None when absent."""
    request = item.request
    if request.state == "absent":
        return None
    if item.action == "create":
        props, sizes = creation_request(request)
        view = new_volume_view(request, props, sizes)
    elif item.action == "rename":
        view = predicted_rename_views(request)[1]
    elif item.action == "update" and item.before is not None and item.plan is not None:
        view = apply_plan_to_view(item.before, item.plan, request.prefix)
    else:
        view = copy.deepcopy(item.before)
    if view is None:  # pragma: no cover - a present item without a volume is planned as a create
        raise AssertionError(f"no view planned for {request.incus_name}")
    for snapshot in item.snapshots_to_delete:
        for key in snapshot_keys_and_claims(view["properties"], snapshot.name):
            view["properties"].pop(key, None)
        view["snapshots"].pop(snapshot.name, None)
    for snapshot in item.snapshots_to_create:
        key = snapshot_key(snapshot.name)
        for dropped in keys_dropped_by_create(view["properties"], snapshot.name, key,
                                              item.dangling.get(snapshot.name)):
            view["properties"].pop(dropped)
        view["snapshots"][snapshot.name] = None  # LINSTOR's name is drawn when the snapshot is made
        view["properties"][key] = None  # the mapping the real run writes
    return view


def actions_of(item: Item) -> list[str]:
    """What the item does, in the words of ``changes``."""
    actions: list[str] = []
    if item.action == "create":
        actions.append("created")
    elif item.action == "rename":
        actions.append("renamed")
    elif item.action == "delete":
        actions.append("deleted")
    elif item.action == "update" and item.plan is not None:
        if AUX_NAME in item.plan.override_props:
            actions.append("renamed")
        if item.plan.resize_kib:
            actions.append("resized")
        if any(key != AUX_NAME for key in item.plan.override_props) or any(
                key != EXACT_SIZE_KEY for key in item.plan.delete_props):
            actions.append("updated")
    return actions


# --- Writing --------------------------------------------------------------------------------------


class ItemFailure(Exception):
    """An item failed while writing; ``entry`` holds what it did and kept (None when nothing)."""

    def __init__(self, error: Exception, entry: dict[str, Any] | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.entry = entry


def apply_item(client: LinstorClient, item: Item, entry: dict[str, Any], warnings: list[str],
               concurrent_creates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Write what the item needs; return the RD afterwards (None when deleted).

    ``entry`` (the item's ``changes`` entry) is filled in as each step succeeds; :class:`ItemFailure` carries
    it when a step fails. Each step leaves nothing half-made. A new volume is spawned and placed (its RD deleted
    again if that fails), then confirmed with Incus's lookup, which settles runs creating it at the same moment
    (:func:`._volumes.settle_concurrent_create`): the RD LINSTOR placed first stays, and a run whose own RD is
    not that one deletes it, goes on with the survivor and says so in ``concurrent_creates``. Once placed, the
    volume is kept whatever fails later, as the single-volume module keeps it: a run creating it at that moment
    may already rely on it. Its snapshots made by then are whole (mapped), and stay too; a re-run finishes the
    item.
    """
    request = item.request
    rd = item.rd
    outcome = Outcome(item.before)
    placed: str | None = None  # a new RD placed but not confirmed yet
    snapshot_outcome: Outcome | None = None
    try:
        if item.action == "delete":
            delete_volume_rds(client, request, rd, item.stalled, outcome, False)
            if outcome.changed:  # not when the stalled RDs all went meanwhile (LINSTOR finished them)
                entry["actions"].append("deleted")
            entry["snapshots_removed"] = outcome.extra["snapshots_removed"]
            entry["resource_definitions_deleted"] = outcome.extra["resource_definitions_deleted"]
            rd = None
        elif item.action == "create":
            props, sizes = creation_request(request)
            placed, reverter = spawn_and_place(client, request, props, sizes, outcome)
            rd = settle_concurrent_create(client, request, placed, reverter, outcome)
            placed = None
            entry["resource_definition"] = rd["name"]
            if "concurrent_create" in outcome.extra:  # a twin's RD stays: this item goes on with it
                concurrent_creates.append({"index": item.index, **outcome.extra["concurrent_create"]})
            else:
                entry["actions"].append("created")
            rd = put_back_overwritten(client, request, rd, outcome)
        elif item.action == "update" and rd is not None and item.plan is not None:
            update_volume(client, rd["name"], item.plan, outcome)
            warnings += filesystem_grow_warnings(request.incus_name, rd, item.plan)
            entry["actions"] += actions_of(item)
            view = apply_plan_to_view(volume_view(rd, request.prefix) or {}, item.plan, request.prefix)
            rd = rd_from_view(view)
        if rd is None and (item.snapshots_to_delete or item.snapshots_to_create):  # pragma: no cover
            raise AssertionError(f"snapshots planned for {request.incus_name}, which is deleted")
        for snapshot in item.snapshots_to_delete:
            delete_snapshot(client, snapshot, rd, outcome, False)
            rd = rd_from_view(outcome.volume)
            entry["actions"].append("snapshot_deleted")
            entry["snapshots_deleted"].append(snapshot.name)
        for snapshot in item.snapshots_to_create:
            snapshot_outcome = Outcome(volume_view(rd, request.prefix))
            create_snapshot(client, snapshot, rd, snapshot_outcome, False, item.dangling.get(snapshot.name))
            warnings.extend(snapshot_outcome.warnings)
            rd = rd_from_view(snapshot_outcome.volume)
            entry["resource_definition"] = rd["name"]  # another, when the RD found was a twin that gave way
            if snapshot_outcome.changed:
                entry["actions"].append("snapshot_created")
                entry["snapshots_created"].append(snapshot.name)
    except (LinstorError, ModuleFailure) as error:
        warnings.extend(outcome.warnings)
        if snapshot_outcome is not None and snapshot_outcome.volume:  # the create may have moved to a twin's RD
            warnings.extend(snapshot_outcome.warnings)
            entry["resource_definition"] = snapshot_outcome.volume["resource_definition"]
        if isinstance(error, ModuleFailure) and error.result.get("removed_snapshots"):
            # delete_snapshot deleted the LINSTOR snapshot, then could not drop its mapping (the next run does)
            entry["actions"].append("snapshot_deleted")
            entry["snapshots_deleted"] += [removed["name"] for removed in error.result.pop("removed_snapshots")]
        if item.action == "delete" and isinstance(error, ModuleFailure) and error.result.get("changed"):
            # delete_volume removed snapshots before the RD's delete failed: the volume is partly gone
            entry["actions"].append("deleted_partly")
            entry["snapshots_removed"] = error.result.get("snapshots_removed", [])
            entry["resource_definitions_deleted"] = error.result.get("resource_definitions_deleted", [])
        if isinstance(error, ModuleFailure) and error.result.get("written") and item.plan is not None:
            # update_volume failed after a write: the actions of what went through, and the writes themselves
            written = error.result["written"]
            resized = any(part.startswith("volume ") for part in written)
            entry["actions"] += [action for action in actions_of(item)
                                 if (action == "resized" and resized)
                                 or (action != "resized" and "properties" in written)]
            entry["written"] = written
        if placed is not None and not (isinstance(error, ModuleFailure) and error.result.get("left_behind")):
            # placed, but the confirming lookup failed: the RD is kept (settle_concurrent_create says so)
            entry["actions"].append("created")
            entry["resource_definition"] = placed
        raise ItemFailure(error, entry if entry["actions"] or entry.get("written") else None) from error
    warnings.extend(outcome.warnings)
    return rd


def _new_entry(item: Item) -> dict[str, Any]:
    rd = first_doomed(item.rd, item.stalled)
    rd_name = rd["name"] if rd is not None else None
    return {**item.identity(), "resource_definition": rd_name, "actions": [], "snapshots_created": [],
            "snapshots_deleted": []}


def summarise(changes: list[dict[str, Any]], items: list[Item]) -> dict[str, int]:
    """How many volumes each action touched (snapshot actions count snapshots), and how many stayed."""
    summary = {action: 0 for action in ACTIONS}
    for entry in changes:
        for action in entry["actions"]:
            summary[action] += 1
    summary["unchanged"] = len(items) - len(changes)
    return summary


# --- One run --------------------------------------------------------------------------------------


def reconcile(client: LinstorClient, params: Mapping[str, Any], check_mode: bool = False,
              diff: bool = False, *, warnings: list[str]) -> dict[str, Any]:
    """Bring every declared volume to its declared state; return the module result. ``warnings``: the run's list
    (:data:`._module.Operation`), which every item's warnings go into as the run goes."""
    items = parse_items(params)
    resource_group = params["resource_group"]
    declared = {key for item in items for key in item.lookup_keys()}
    read_warnings: list[str] = []

    def read_declared() -> dict[tuple[str, str], list[dict[str, Any]]]:
        read_warnings.clear()
        claims = read_group(client, resource_group, params["prefix"], read_warnings)
        # the declared volumes' RDs flagged DELETE: deletes under way, or refused (one more GET only then)
        declared_claims = {key: claims[key] for key in declared if key in claims}
        return {**claims, **tell_flagged_deletes_apart(client, declared_claims)}

    claims = read_until_settled(client, read_declared,
                                lambda claims: any(duplicated(claims.get(key, [])) for key in declared))
    warnings += read_warnings
    group: dict[str, Any] | None = None
    group_read = False
    if not claims:  # no Incus volume in the group, or no such group (misspelt): one GET tells
        if all(item.request.state == "absent" for item in items):  # a teardown, or an empty list
            warn_if_group_missing(client, resource_group, warnings)
        else:
            group, group_read = require_group(client, resource_group, check_mode, warnings), True
    plan_items(items, claims, check_mode, warnings)
    if check_mode and any(item.action == "create" and item.request.source is None for item in items):
        # what a real run learns from LINSTOR's refusal of the placement: the group (if not read), its placement
        warnings += placement_warnings(client, group if group_read else client.get_resource_group(resource_group))
    plan_snapshot_reads(client, items)
    refuse_new_snapshot_names(items)
    rules = refuse_invalid_properties(client.property_rules, {
        _indexed_parameter(item.index, "properties"): user_properties_written(item.request, item.plan)
        for item in items if item.action in ("create", "update")})
    refuse_deletes_in_use(client, items, check_mode, warnings)  # last: it may wait while volumes are in use

    changes: list[dict[str, Any]] = []
    concurrent_creates: list[dict[str, Any]] = []
    after_rds: dict[int, dict[str, Any] | None] = {}
    for item in items:
        if not item.has_work:
            continue
        entry = _new_entry(item)
        if check_mode:
            entry["actions"] = actions_of(item)
            entry["actions"] += ["snapshot_deleted"] * len(item.snapshots_to_delete)
            entry["actions"] += ["snapshot_created"] * len(item.snapshots_to_create)
            entry["snapshots_deleted"] = [snapshot.name for snapshot in item.snapshots_to_delete]
            entry["snapshots_created"] = [snapshot.name for snapshot in item.snapshots_to_create]
            if item.rd is not None:  # as create_snapshot warns when it replaces a dangling mapping
                warnings.extend(dangling_warning(item.rd["name"], name, linstor_name)
                                for name, linstor_name in item.dangling.items())
            if item.action == "delete":
                doomed = [(rd, item.doomed_snapshots.get(rd["name"]))
                          for rd in doomed_rds(item.rd, item.stalled)]
                entry["snapshots_removed"] = [removed for rd, names in doomed
                                              for removed in snapshots_to_remove(rd.get("props") or {}, names or [])]
                entry["resource_definitions_deleted"] = [rd["name"] for rd, _names in doomed]
            changes.append(entry)
            continue
        try:
            after_rds[item.index] = apply_item(client, item, entry, warnings, concurrent_creates)
        except ItemFailure as failure:
            if failure.entry is not None:
                changes.append(failure.entry)
            raise _run_failure(item, failure, changes, concurrent_creates) from failure.error
        if entry["actions"]:
            changes.append(entry)

    views = _views_after(client, items, after_rds, check_mode, resource_group, warnings)
    views = {index: stored_view(view, rules) for index, view in views.items()}  # as a read shows planned values
    result: dict[str, Any] = {
        "changed": bool(changes),
        "volumes": [views[item.index] for item in items if item.request.state == "present"],
        "changes": changes,
        "summary": summarise(changes, items),
    }
    if concurrent_creates:
        result["concurrent_creates"] = concurrent_creates
    if diff:
        result["diff"] = _diffs(items, views, changes)
    return result


def _views_after(client: LinstorClient, items: list[Item], after_rds: Mapping[int, dict[str, Any] | None],
                 check_mode: bool, resource_group: str, warnings: list[str]) -> dict[int, dict[str, Any] | None]:
    """Each item's volume after the run: planned in check mode or when nothing was written; else read back.

    A run that wrote to a volume that stays reads the group back with ONE listing, so every view is
    LINSTOR's (the properties and DRBD port LINSTOR adds to a new RD included), whatever the number of
    volumes written. A run that only deleted has nothing to read back. Every write is done by then:
    if the listing fails (or a stop signal ends the run there), the views are the RDs as written,
    with a warning, so that the result still reports every change.
    """
    views: dict[int, dict[str, Any] | None] = {}
    fresh: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if not check_mode and any(rd is not None for rd in after_rds.values()):
        try:
            with client.unstoppable():  # every write is done: one read, so that the result reports them
                fresh = read_group(client, resource_group)
        except LinstorError as error:
            warnings.append(f"every change was written, but reading the volumes back failed ({error}); the "
                            "volumes returned are as this run wrote them")
    for item in items:
        if check_mode or item.index not in after_rds:
            views[item.index] = planned_view(item)
            continue
        rd = after_rds[item.index]
        if rd is None:
            views[item.index] = None
            continue
        found = [r for r in fresh.get(item.key, []) if r["name"].lower() == rd["name"].lower()]
        views[item.index] = volume_view(found[0] if found else rd, item.request.prefix)
    return views


def _diffs(items: list[Item], views: Mapping[int, dict[str, Any] | None],
           changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    changed = {entry["index"] for entry in changes}
    diffs = []
    for item in items:
        if item.index not in changed:
            continue
        tracker = Diff(item.before)
        tracker.after = views.get(item.index)
        after_header = f"volumes[{item.index}] {item.request.incus_name} ({item.request.volume_type})"
        before_header = (after_header if item.before is None else  # a rename's before is the volume's old name
                         f"volumes[{item.index}] {item.before['incus_name']} ({item.request.volume_type})")
        diffs.append({**tracker.result(), "before_header": before_header, "after_header": after_header})
    return diffs


def _run_failure(item: Item, failure: ItemFailure, changes: list[dict[str, Any]],
                 concurrent_creates: list[dict[str, Any]]) -> ModuleFailure:
    """The module failure for an item that failed while writing: what failed, what stays done (the run's
    warnings reach the user from its list, :func:`._module.run_module`)."""
    error = failure.error
    parameter = _indexed_parameter(item.index, None)
    reported = parameter
    extra: dict[str, Any] = {"changed": bool(changes), "changes": changes, "failed_index": item.index}
    if isinstance(error, LinstorError):
        extra["linstor_error"] = error.to_dict()
    elif isinstance(error, ModuleFailure):
        extra.update({key: value for key, value in error.result.items() if key not in ("changed",)})
        extra["changed"] = extra["changed"] or bool(error.result.get("changed"))
        # a refusal at the delete's turn names the RD that refused: the volume's, or a stalled one (state=absent)
        if "unmapped_snapshots" in error.result:  # a snapshot made after the plan
            extra["unmapped_snapshots"] = _unmapped_entries(item, error)
        if "in_use_nodes" in error.result:  # in use since the plan
            extra["in_use_nodes"] = [_in_use_entry(item, error.result["resource_definition"],
                                                   error.result["in_use_nodes"])]
        if error.parameter in LIST_OPTIONS:
            reported = error.parameter
    if concurrent_creates:
        extra["concurrent_creates"] = concurrent_creates
    undo = ""
    yielded = next((entry for entry in concurrent_creates if entry["index"] == item.index), None)
    if item.action == "create" and failure.entry is not None and "created" in failure.entry["actions"]:
        undo = (f" Its new volume is kept (resource definition {failure.entry['resource_definition']}), as a run "
                "creating it at the same moment may already rely on it; running again finishes the item.")
    elif item.action == "create" and yielded is not None:
        undo = (f" Another run created this volume at the same moment (resource definition {yielded['survivor']}); "
                f"this run deleted its own ({yielded['deleted']}) and went on with that one.")
    elif item.action == "create" and not extra.get("left_behind"):  # the failed step's own undo left it otherwise
        undo = " What this item made was removed again."
    done = (f" Done before the failure: {len(changes)} volume(s) changed (see changes)." if changes else
            " Nothing was changed before the failure.")
    return ModuleFailure(f"{parameter} ({item.request.incus_name}): {full_stop(error)}{undo}{done} Later items were "
                         "not touched; fix the cause and run again.", reported, **extra)
