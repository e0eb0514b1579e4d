# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operations on one Incus volume kept in LINSTOR: lookup, create, rename, resize, delete, copy.

Built on :mod:`._naming` (every naming rule) and :mod:`._client` (every request). The flow of
one module run is :func:`ensure_volume`:

1. :func:`parse_request` checks every option before anything is sent;
2. one ``GET /v1/resource-definitions`` finds the volume as Incus does (:func:`find_volumes`);
3. :func:`plan_changes` decides what differs, still without writing (so check mode and
   ``--diff`` report exactly what a real run would do);
4. the writes run, each multi-step operation undoing what it made when a later step fails
   (Incus's "reverter").

Request budget: a run that changes nothing makes one request; a create makes four (lookup,
spawn with every property, autoplace, read back), and one PUT more when LINSTOR changed a requested
property while placing the RD (its auto-quorum before 1.31: :func:`put_back_overwritten`); a rename
two (lookup, one PUT).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.linstor.incus.plugins.module_utils._client import (
    CHECK_THE_CONTROLLER,
    CLONE_PROPERTIES_REST_API,
    FAIL_EXISTS_SNAPSHOT_DFN,
    FAIL_IN_USE,
    FAIL_NOT_FOUND_RSC_GRP,
    FAIL_UNKNOWN_ERROR,
    MAX_WAIT_SECONDS,
    WARN_RSC_ALREADY_DEPLOYED,
    LinstorClient,
    LinstorConnectionError,
    LinstorError,
    code_of,
    reply_warnings,
)
from ansible_collections.linstor.incus.plugins.module_utils._module import (
    Diff,
    ModuleFailure,
    full_stop,
)
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    AUX_CONTENT_TYPE,
    AUX_NAME,
    AUX_TYPE,
    CONTENT_FILESYSTEM,
    CONTENT_TYPES,
    DEFAULT_PROJECT,
    DEFAULT_VM_FILESYSTEM_SIZE_BYTES,
    EXACT_SIZE_KEY,
    KIB,
    ON_NO_QUORUM_VALUES,
    SNAPSHOT_KEY_NAMESPACES,
    TYPE_IMAGES,
    NamingError,
    aux_name,
    creation_properties,
    drbd_option_properties,
    filesystem_keys_problem,
    generate_name,
    generated_prefix,
    has_filesystem_volume,
    lookup_filters,
    normalize_volume_type,
    open_claims,
    parse_size,
    per_snapshot_keys,
    property_values_match,
    rd_from_view,
    refuse_invalid_properties,
    removed_user_properties,
    sizes_equal_within_tolerance,
    snapshot_mappings,
    stored_properties,
    type_filter,
    unmapped_snapshots,
    validate_content_type,
    validate_prefix,
    validate_project,
    validate_resource_group,
    validate_snapshot_name,
    validate_user_properties,
    validate_volume_name,
    volume_size_bytes,
    volume_size_kib,
    volume_view,
    without_snapshot_keys,
)
from ansible_collections.linstor.incus.plugins.module_utils._resource_groups import (
    group_placement_problem,
    in_group,
    unread_pools_warning,
)

DEFAULT_WAIT_TIMEOUT = 600.0
"""Seconds a copy waits for LINSTOR's clone to reach COMPLETE or FAILED."""
DEFAULT_DELETE_RETRIES = 5
DEFAULT_DELETE_RETRY_DELAY = 2.0
CLONE_POLL_FIRST = 0.1
CLONE_POLL_MAX = 2.0

DUPLICATE_SETTLE_DELAY = 0.5
DUPLICATE_SETTLE_WAIT = 10.0
"""When a lookup finds several RDs claiming one volume, it reads again after a pause of DUPLICATE_SETTLE_DELAY
seconds, doubling, for DUPLICATE_SETTLE_WAIT seconds in all (six reads) before failing: runs creating the volume at
the same moment settle on one RD once the slower twin is placed (settle_concurrent_create), which a controller may
take seconds to do."""
SNAPSHOT_TAKE_BACK_REQUESTS = 4
"""Requests a run sends between its snapshot on an RD that gives way and taking that snapshot back (the snapshot's
reply, the read-back, the twins' resources, the snapshot's delete): the maker of such an RD waits for them, each up to
its ``timeout`` (:func:`delete_own_rd`)."""

CLONED_FROM_KEY = "cloned-from"
"""Property LINSTOR sets on a clone, naming the RD it was cloned from (shown in check mode's prediction)."""

BLOCK_VOLUME = 0
"""Volume number of the main volume (the only one, or a VM's block disk)."""
FILESYSTEM_VOLUME = 1
"""Volume number of the filesystem volume a VM (or a VM image) carries next to its block disk."""


# --- Options ------------------------------------------------------------------------------------

VOLUME_TYPE_CHOICES = ["container", "containers", "virtual-machine", "virtual-machines", "image", "images", "custom"]


def volume_option_spec() -> dict[str, dict[str, Any]]:
    """The argument spec of one volume, shared by linstor_incus_volume and linstor_incus_volumes' items."""
    return {
        "name": {"type": "str", "required": True},
        "type": {"type": "str", "required": True, "choices": VOLUME_TYPE_CHOICES},
        "project": {"type": "str", "default": DEFAULT_PROJECT},
        "content_type": {"type": "str", "choices": list(CONTENT_TYPES)},
        "size": {"type": "str"},
        "filesystem_size": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "rename_from": {"type": "str"},
        "properties": {"type": "dict"},
        "drbd_options": {
            "type": "dict",
            "options": {
                "on_no_quorum": {"type": "str", "choices": list(ON_NO_QUORUM_VALUES)},
                "auto_diskful": {"type": "str"},
                "auto_add_quorum_tiebreaker": {"type": "bool"},
            },
        },
    }


# --- What the user asked for ---------------------------------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    """The volume a new volume is copied from (``source``), or one of its snapshots."""

    volume: str
    volume_type: str
    project: str
    incus_name: str
    snapshot: str | None = None


@dataclass(frozen=True)
class VolumeRequest:
    """Every option of one run, checked and normalised (sizes in bytes, types in API form)."""

    name: str
    volume_type: str
    project: str
    content_type: str
    content_type_given: bool
    prefix: str
    resource_group: str
    state: str
    incus_name: str
    size_bytes: int | None = None
    filesystem_size_bytes: int | None = None
    drbd_properties: dict[str, str] = field(default_factory=dict)
    user_properties: dict[str, str] = field(default_factory=dict)
    removed_properties: tuple[str, ...] = ()
    """``properties`` keys given as null: removed from an existing RD (or a copy) that has them."""
    drbd_options: dict[str, Any] = field(default_factory=dict)
    rename_from: str | None = None
    rename_from_incus_name: str | None = None
    source: SourceSpec | None = None
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    delete_retries: int = DEFAULT_DELETE_RETRIES
    delete_retry_delay: float = DEFAULT_DELETE_RETRY_DELAY
    remove_unmapped_snapshots: bool = False

    @property
    def desired_properties(self) -> dict[str, str]:
        """Properties the user manages on an existing volume (DRBD options and ``properties``)."""
        return {**self.user_properties, **self.drbd_properties}


def _optional_size(params: Mapping[str, Any], parameter: str) -> int | None:
    value = params.get(parameter)
    return None if value is None else parse_size(value, parameter)


def check_wait_option(value: Any, parameter: str) -> Any:
    """``value`` when it is a finite number from 0 to :data:`MAX_WAIT_SECONDS`, else raise naming ``parameter``."""
    if value is None or not math.isfinite(value) or not 0 <= value <= MAX_WAIT_SECONDS:
        raise NamingError(parameter, f"{parameter} must be a number from 0 to {MAX_WAIT_SECONDS}, got {value!r}")
    return value


def parse_source(params: Mapping[str, Any], volume_type: str, project: str, prefix: str) -> SourceSpec | None:
    """The ``source`` option checked; ``type`` and ``project`` default to the new volume's."""
    source = params.get("source")
    if not source:
        return None
    if not source.get("volume"):
        raise NamingError("source.volume", "source.volume is required when source is given")
    source_type = normalize_volume_type(source.get("type") or volume_type, "source.type")
    source_project = validate_project(project if source.get("project") is None else source["project"],
                                      "source.project")
    validate_volume_name(source_type, source["volume"], "source.volume")
    try:
        incus_name = aux_name(prefix, source_type, source_project, source["volume"])
    except NamingError as error:
        raise error.renamed({"name": "source.volume", "project": "source.project"}) from error
    snapshot = source.get("snapshot")
    if snapshot is not None:
        validate_snapshot_name(snapshot, "source.snapshot", existing=True)
    return SourceSpec(source["volume"], source_type, source_project, incus_name, snapshot)


def parse_request(params: Mapping[str, Any]) -> VolumeRequest:
    """Check every option and combination that can be checked without LINSTOR; raise NamingError."""
    prefix = validate_prefix(params.get("prefix"))
    volume_type = normalize_volume_type(params["type"], "type")
    project = validate_project("default" if params.get("project") is None else params["project"])
    name = params["name"]
    incus_name = aux_name(prefix, volume_type, project, name)
    content_type = validate_content_type(volume_type, params.get("content_type"))
    state = params.get("state") or "present"
    resource_group = validate_resource_group(params.get("resource_group"))
    size_bytes = _optional_size(params, "size")
    filesystem_size_bytes = _optional_size(params, "filesystem_size")
    if filesystem_size_bytes is not None and not has_filesystem_volume(volume_type, content_type):
        raise NamingError(
            "filesystem_size",
            f"filesystem_size only applies to virtual machines and block images (their filesystem volume), "
            f"not to {volume_type} volumes of content type {content_type}",
        )
    drbd_options = {key: value for key, value in (params.get("drbd_options") or {}).items() if value is not None}
    drbd_properties = drbd_option_properties(**drbd_options)
    user_properties = validate_user_properties(params.get("properties"))
    removed_properties = tuple(removed_user_properties(params.get("properties")))
    both = sorted(set(drbd_properties) & set(removed_properties))
    if both:
        raise NamingError("properties", f"{both[0]!r} is set by drbd_options and removed by properties; give one of "
                                        "them")

    rename_from = params.get("rename_from")
    rename_from_incus_name = None
    if rename_from is not None:
        if state == "absent":
            raise NamingError("rename_from", "rename_from cannot be used with state=absent; delete the volume by name")
        if volume_type == TYPE_IMAGES:
            raise NamingError("rename_from", "rename_from cannot be used with type image: an image volume is named by "
                                             "its image's fingerprint (the hash of its content), and Incus never "
                                             "renames one; under another fingerprint it would hand out the wrong image")
        validate_volume_name(volume_type, rename_from, "rename_from")
        try:
            rename_from_incus_name = aux_name(prefix, volume_type, project, rename_from)
        except NamingError as error:
            raise NamingError("rename_from", f"rename_from: {error.message}") from error
        if rename_from_incus_name == incus_name:
            raise NamingError("rename_from", f"rename_from {rename_from!r} is the same volume as name {name!r}")

    source = parse_source(params, volume_type, project, prefix)
    if source is not None:
        if state == "absent":
            raise NamingError("source", "source cannot be used with state=absent")
        if rename_from is not None:
            raise NamingError("source", "source and rename_from cannot be used together: copy, then rename")
        if volume_type == TYPE_IMAGES:
            raise NamingError("source", "source cannot be used with type image: an image volume holds the image its "
                                        "fingerprint names, which Incus unpacks into it itself; a copy of another "
                                        "volume under that name would hand out the wrong image (an instance or custom "
                                        "volume can be copied from an image: source.type image)")
        if source.incus_name == incus_name and source.volume_type == volume_type and source.snapshot is None:
            raise NamingError("source", f"source is volume {name!r} itself; name a different volume to copy")
    return VolumeRequest(
        name=name,
        volume_type=volume_type,
        project=project,
        content_type=content_type,
        content_type_given=params.get("content_type") is not None,
        prefix=prefix,
        resource_group=resource_group,
        state=state,
        incus_name=incus_name,
        size_bytes=size_bytes,
        filesystem_size_bytes=filesystem_size_bytes,
        drbd_properties=drbd_properties,
        user_properties=user_properties,
        removed_properties=removed_properties,
        drbd_options=drbd_options,
        rename_from=rename_from,
        rename_from_incus_name=rename_from_incus_name,
        source=source,
        wait_timeout=check_wait_option(params.get("wait_timeout", DEFAULT_WAIT_TIMEOUT), "wait_timeout"),
        delete_retries=check_wait_option(params.get("delete_retries", DEFAULT_DELETE_RETRIES), "delete_retries"),
        delete_retry_delay=check_wait_option(params.get("delete_retry_delay", DEFAULT_DELETE_RETRY_DELAY),
                                             "delete_retry_delay"),
        remove_unmapped_snapshots=bool(params.get("remove_unmapped_snapshots")),
    )


# --- Finding volumes ------------------------------------------------------------------------------


def other_prefix_warnings(rds: Iterable[Mapping[str, Any]], resource_group: str, prefix: str) -> list[str]:
    """A listing of the group's Incus volumes holding some whose ``Aux/Incus/name`` lacks ``prefix``: another Incus
    pool's (another ``linstor.volume.prefix``), or a ``prefix`` option that is not the pool's, which makes every
    volume of the pool invisible to the task (and a volume it declares, a second one beside Incus's)."""
    rd_prefixes: dict[str, int] = {}
    for rd in rds:
        incus_name = (rd.get("props") or {}).get(AUX_NAME)
        if not in_group(rd, resource_group) or incus_name is None or incus_name.startswith(prefix):
            continue
        rd_prefix = generated_prefix(rd.get("name") or "")
        shown = repr(rd_prefix) if rd_prefix is not None else "another prefix"
        rd_prefixes[shown] = rd_prefixes.get(shown, 0) + 1
    if not rd_prefixes:
        return []
    named = ", ".join(f"{shown} ({count})" for shown, count in sorted(rd_prefixes.items()))
    return [f"resource group {resource_group} holds {sum(rd_prefixes.values())} Incus volume(s) whose Aux/Incus/name "
            f"does not start with prefix {prefix!r}, which this task does not see (their resource definitions are "
            f"named with {named}): they are another Incus pool's, with another linstor.volume.prefix, or prefix is not "
            "this pool's linstor.volume.prefix"]


def claims_by_identity(rds: Iterable[Mapping[str, Any]], resource_group: str) -> dict[tuple[str, str], list[Any]]:
    """Incus's lookup over a listing: the RDs of ``resource_group`` carrying ``Aux/Incus/type`` and
    ``Aux/Incus/name``, by (type, name) as the keys hold them, whatever else they lack (their content type).
    More than one RD under an identity is a volume Incus refuses to use."""
    claims: dict[tuple[str, str], list[Any]] = {}
    for rd in rds:
        props = rd.get("props") or {}
        if in_group(rd, resource_group) and AUX_NAME in props and AUX_TYPE in props:
            claims.setdefault((props[AUX_TYPE], props[AUX_NAME]), []).append(rd)
    return claims


Claims = dict[Any, list[dict[str, Any]]]
"""A lookup's answer: each volume (by name, or by type and Incus name) -> the RDs claiming it."""


def being_deleted(rd: Mapping[str, Any]) -> bool:
    """Whether LINSTOR is deleting the RD (or, given a resource, the resource: the same flag): a controller lists it
    with flag DELETE until its satellites have removed the resources (moments; as long as a satellite is offline).
    Such an RD is no longer the volume's: a twin giving way (:func:`settle_concurrent_create`), or a volume deleted,
    maybe created again meanwhile. A lookup drops the flag of an RD whose delete LINSTOR refused
    (:func:`tell_flagged_deletes_apart`)."""
    return "DELETE" in (rd.get("flags") or [])


def resource_in_use(resource: Mapping[str, Any]) -> bool:
    """Whether LINSTOR reports the resource in use (mounted, or the disk of a running instance)."""
    return bool((resource.get("state") or {}).get("in_use"))


DELETE_REFUSED = "linstor_incus_delete_refused"
"""Key a lookup adds to an RD flagged DELETE whose delete LINSTOR refused while a resource was in use: the lookup
drops the flag, as the RD is still the volume's (:func:`tell_flagged_deletes_apart`)."""

DELETE_STALLED = "linstor_incus_delete_stalled"
"""Key a lookup adds to an RD flagged DELETE none of whose resources is flagged DELETE or in use: a delete LINSTOR
refused earlier while in use, which goes on only when sent again (or when the satellites reconnect), or a delete in
its first moments, before it flags a resource (:func:`tell_flagged_deletes_apart`)."""


def flagged_delete_states(client: LinstorClient, rds: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Lower-cased name -> :data:`DELETE_REFUSED` or :data:`DELETE_STALLED`, for the RDs among ``rds`` flagged DELETE
    that are not simply being deleted. LINSTOR 1.31.0 to 1.33.1 flag an RD before they check that none of its
    resources is in use, and keep the flag when they refuse: such an RD has a resource in use and not flagged
    (refused; every release checks use before it flags a resource), or, once no longer in use, no resource flagged
    (stalled). A delete under way has its resources flagged, or gone. One ``GET /v1/view/resources``, only when an
    RD is flagged DELETE."""
    flagged = [rd["name"] for rd in rds if being_deleted(rd)]
    if not flagged:
        return {}
    placed: dict[str, list[dict[str, Any]]] = {name.lower(): [] for name in flagged}
    for resource in client.view_resources(flagged):
        placed.setdefault(str(resource.get("name", "")).lower(), []).append(resource)
    states = {}
    for name, resources in placed.items():
        if any(resource_in_use(resource) and not being_deleted(resource) for resource in resources):
            states[name] = DELETE_REFUSED
        elif not any(being_deleted(resource) for resource in resources):
            states[name] = DELETE_STALLED
    return states


def tell_flagged_deletes_apart(client: LinstorClient, claims: Claims) -> Claims:
    """``claims`` with the RDs flagged DELETE told apart (:func:`flagged_delete_states`): one whose delete LINSTOR
    refused loses the flag and is marked :data:`DELETE_REFUSED` (still the volume's, in use:
    :func:`refused_delete_warnings`); one whose delete is stalled keeps it and is marked :data:`DELETE_STALLED`
    (``state=absent`` sends its delete again: :func:`stalled_deletes`)."""
    states = flagged_delete_states(client, (rd for rds in claims.values() for rd in rds))
    if not states:
        return claims

    def as_told(rd: dict[str, Any]) -> dict[str, Any]:
        state = states.get(rd["name"].lower())
        if state == DELETE_REFUSED:
            return {**rd, "flags": [flag for flag in rd.get("flags") or [] if flag != "DELETE"], DELETE_REFUSED: True}
        return {**rd, DELETE_STALLED: True} if state == DELETE_STALLED else rd

    return {key: [as_told(rd) for rd in rds] for key, rds in claims.items()}


def refused_delete_warnings(rd: Mapping[str, Any] | None, incus_name: str) -> list[str]:
    """For a run that takes ``rd`` for the volume: that LINSTOR will still delete it, when its delete was refused
    (:func:`tell_flagged_deletes_apart`)."""
    if not rd or not rd.get(DELETE_REFUSED):
        return []
    return [f"resource definition {rd['name']} of volume {incus_name} keeps flag DELETE from a delete LINSTOR refused "
            "while a resource was in use (LINSTOR 1.31.0 to 1.33.1 keep it): this run takes it for the volume, in use, "
            "but the controller deletes it, data and all, once no resource is in use and its satellites reconnect "
            "(a restart or an upgrade keeps the flag); copy the volume if it must outlive that"]


def live(rds: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The RDs LINSTOR is not deleting (:func:`being_deleted`): the ones that may be the volume's."""
    return [rd for rd in rds if not being_deleted(rd)]


def duplicated(rds: Iterable[dict[str, Any]]) -> bool:
    """Whether several live RDs claim one volume: twins about to settle (:func:`read_until_settled`), or a volume
    Incus refuses (:func:`single`)."""
    return len(live(rds)) > 1


def deleting_warnings(rds: Iterable[dict[str, Any]], incus_name: str, absent: bool = False) -> list[str]:
    """For a run that finds no volume (or, ``absent``, a ``state=absent`` run that leaves them to LINSTOR): the RDs
    claiming it that LINSTOR has yet to delete, which Incus's lookup still finds."""
    going = sorted(rd["name"] for rd in rds if being_deleted(rd))
    if not going:
        return []
    if absent:
        return [f"LINSTOR is deleting resource definition {', '.join(going)} of volume {incus_name} (flag DELETE, "
                "and it has begun on the resources, or the content type is not the task's): this run sends nothing; "
                "it is gone once the satellites have removed its resources, which they do when online, and until "
                "then Incus's lookup still finds it"]
    return [f"LINSTOR is deleting resource definition {', '.join(going)} of volume {incus_name} (flag DELETE): it is "
            "gone once the satellites have removed its resources, which they do when online (a delete that LINSTOR "
            "1.31.0 to 1.33.1 refused while the volume was in use goes on only when its satellites reconnect, or "
            f"when it is sent again: state=absent, or linstor resource-definition delete {going[0]}); until then "
            "Incus's lookup still "
            "finds it (next to a new resource definition of the volume: a duplicate Incus refuses)"]


def read_until_settled(client: LinstorClient, read: Callable[[], Claims],
                       unsettled: Callable[[Claims], bool]) -> Claims:
    """``read()``, read again while ``unsettled`` says that several RDs claim a volume the run is about, with pauses
    doubling from :data:`DUPLICATE_SETTLE_DELAY` for :data:`DUPLICATE_SETTLE_WAIT` seconds in all: twins may be runs
    creating it right now, about to settle on one (:func:`settle_concurrent_create`). A duplicate still there after
    that is one to fail on. A stop cuts a pause short, and ends the run at the next read."""
    found = read()
    waited, pause = 0.0, DUPLICATE_SETTLE_DELAY
    while unsettled(found) and waited < DUPLICATE_SETTLE_WAIT:
        pause = min(pause, DUPLICATE_SETTLE_WAIT - waited)
        client.pause(pause)
        waited += pause
        pause *= 2
        found = read()
    return found


def find_volumes(
    client: LinstorClient,
    prefix: str,
    volume_type: str,
    project: str,
    names: list[str],
    resource_group: str,
) -> dict[str, list[dict[str, Any]]]:
    """The RDs of ``resource_group`` that claim each named volume, read in ONE request.

    One name is looked up as Incus does (``props`` filters on ``Aux/Incus/name`` and
    ``Aux/Incus/type``). Two names (a rename needs the old and the new one) cannot be expressed
    in LINSTOR's filters, which must all match; they are read with the type filter alone (every
    volume of that type) and told apart here.
    Returns volume name -> the RDs claiming it (more than one is a conflict).
    """
    # Two names: Incus's type filter alone. Content type is not filtered on, as in lookup_filters,
    # so an RD claiming a name with a broken content type is still seen (and refused by single()).
    filters = lookup_filters(prefix, volume_type, project, names[0]) if len(names) == 1 else [type_filter(volume_type)]
    claims = claims_by_identity(client.list_resource_definitions(props=filters, with_volume_definitions=True),
                                resource_group)
    return tell_flagged_deletes_apart(
        client, {name: claims.get((volume_type, aux_name(prefix, volume_type, project, name)), []) for name in names})


def find_source_rd(client: LinstorClient, request: VolumeRequest, outcome: Outcome,
                   check_mode: bool) -> dict[str, Any] | None:
    """The RD of the volume a copy is made from (one lookup). When it is missing, fail naming ``source.volume``
    (``resource_group`` when that group does not exist); in check mode, predict the copy instead
    (:func:`predict_copy`) and return None."""
    source = request.source
    if source is None:  # pragma: no cover - only copies call this
        raise ValueError("find_source_rd needs request.source")
    found = read_until_settled(
        client,
        lambda: find_volumes(client, request.prefix, source.volume_type, source.project, [source.volume],
                             request.resource_group),
        lambda found: duplicated(found[source.volume]))
    source_rd = single(found[source.volume], source.incus_name, "source.volume", request.prefix)
    if source_rd is None:
        if not check_mode:  # check mode asked before any create (ensure_volume)
            require_group(client, request.resource_group, check_mode, outcome.warnings)
        problem = (f"source.volume {source.volume!r} ({source.volume_type}, project {source.project}) does not exist "
                   f"in resource group {request.resource_group} (no resource definition with "
                   f"{AUX_NAME}={source.incus_name})")
        if not check_mode:
            raise NamingError("source.volume", problem)
        predict_copy(request, outcome, problem)
    return source_rd


def predict_copy(request: VolumeRequest, outcome: Outcome, problem: str, source_rd: str | None = None) -> None:
    """Check mode's copy of a source that is not there (yet): a new volume, what it will hold not known (its
    content type is the source's: null), and a warning, as an earlier task of the same check run may make the
    source. ``source_rd``: the source volume's RD when only its snapshot is missing."""
    outcome.changed = True
    outcome.volume = {**_outline(request), "name": request.name, "incus_name": request.incus_name,
                      "content_type": request.content_type if request.content_type_given else None}
    outcome.extra["source_resource_definition"] = source_rd
    outcome.warnings.append(check_mode_warning(problem, "the source"))


def single(rds: list[dict[str, Any]], incus_name: str, parameter: str, prefix: str) -> dict[str, Any] | None:
    """The one RD of a volume, None when there is none; more than one fails naming every RD. RDs LINSTOR is deleting
    are not counted (:func:`being_deleted`)."""
    rds = live(rds)
    if len(rds) > 1:
        names = sorted(rd["name"] for rd in rds)
        raise ModuleFailure(
            f"Multiple resource definitions found for volume {incus_name}: {', '.join(names)}, still after "
            f"{DUPLICATE_SETTLE_WAIT:g} seconds (runs creating the volume at the same moment would have settled on one "
            "by then). Incus refuses such a volume too; remove or re-label all but one of them, then run again.",
            parameter,
            duplicates=names,
        )
    if not rds:
        return None
    rd = rds[0]
    if volume_view(rd, prefix) is None:
        raise ModuleFailure(
            f"Resource definition {rd['name']} claims volume {incus_name} but its Incus properties are "
            f"incomplete or invalid ({AUX_CONTENT_TYPE}={(rd.get('props') or {}).get(AUX_CONTENT_TYPE)!r}); "
            "fix them, or delete the resource definition, then run again.",
            parameter,
            resource_definition=rd["name"],
        )
    return rd


# --- Planning -------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What a run changes on an existing volume (empty = nothing)."""

    override_props: dict[str, str] = field(default_factory=dict)
    delete_props: list[str] = field(default_factory=list)
    resize_kib: dict[int, int] = field(default_factory=dict)
    grown_filesystems: list[int] = field(default_factory=list)
    """The volumes of ``resize_kib`` that hold a filesystem, which stays as large as it was
    (:func:`filesystem_grow_warnings`)."""

    @property
    def empty(self) -> bool:
        return not (self.override_props or self.delete_props or self.resize_kib)


def definition_sizes(rd: Mapping[str, Any]) -> dict[int, int]:
    """Volume number -> size in KiB of an RD read with its volume definitions."""
    return {vd["volume_number"]: vd.get("size_kib") or 0 for vd in rd.get("volume_definitions") or []}


def describe_size(size_bytes: int) -> str:
    """A size for messages: ``10GiB (10737418240 bytes)``, or plain bytes when no binary unit divides it."""
    for unit, factor in (("TiB", KIB**4), ("GiB", KIB**3), ("MiB", KIB**2), ("KiB", KIB)):
        if size_bytes >= factor and size_bytes % factor == 0:
            return f"{size_bytes // factor}{unit} ({size_bytes} bytes)"
    return f"{size_bytes} bytes"


def resize_target_kib(current_kib: int, wanted_bytes: int, parameter: str, content_type: str,
                      subject: str = "the volume") -> int | None:
    """The new ``size_kib`` for a volume, None when the size is already right; refuses to shrink.

    As Incus (``SetVolumeQuota``): the size is rounded up first (:func:`volume_size_bytes`), then
    within 512 bytes of the current one is no change, so 100 bytes more than the current size is a
    grow by one 8 KiB block. LINSTOR cannot shrink a deployed volume; Incus refuses it for block
    volumes, and a filesystem would need shrinking first, which this module cannot do.
    """
    current_bytes = current_kib * KIB
    target_bytes = volume_size_bytes(wanted_bytes)
    if sizes_equal_within_tolerance(current_bytes, target_bytes):
        return None
    if target_bytes < current_bytes:
        reason = ("block volumes cannot be shrunk" if content_type != CONTENT_FILESYSTEM else
                  "shrinking a filesystem volume needs the filesystem shrunk first, which only Incus can do, "
                  "and LINSTOR cannot shrink a deployed volume")
        raise NamingError(
            parameter,
            f"{parameter} {describe_size(wanted_bytes)} is smaller than {subject}'s "
            f"{describe_size(current_bytes)}: {reason}",
        )
    return target_bytes // KIB


def drbd_device(rd: Mapping[str, Any], number: int) -> str | None:
    """The DRBD device of the RD's volume ``number`` (``/dev/drbd<minor>``), when its definition was read with it."""
    for definition in rd.get("volume_definitions") or []:
        if definition.get("volume_number") != number:
            continue
        for layer in definition.get("layer_data") or []:
            minor = (layer.get("data") or {}).get("minor_number") if layer.get("type") == "DRBD" else None
            if isinstance(minor, int):
                return f"/dev/drbd{minor}"
    return None


def filesystem_grow_warnings(incus_name: str, rd: Mapping[str, Any], plan: Plan) -> list[str]:
    """What growing a filesystem volume through LINSTOR leaves undone: the filesystem on it, which Incus grows only
    in a resize it makes itself (``SetVolumeQuota`` returns early once LINSTOR has the size). ``rd``: the RD grown
    (its name, and its DRBD minors when read with them); empty for a copy not made yet."""
    warnings = []
    rd_name = rd.get("name")
    for number in plan.grown_filesystems:
        device, minor_hint = drbd_device(rd, number), ""
        if device is None:
            device = "/dev/drbd<minor>"
            minor_hint = f"; `linstor volume list -r {rd_name}` shows the minor" if rd_name else ""
        warnings.append(
            f"volume {incus_name}: LINSTOR grows volume {number} to {describe_size(plan.resize_kib[number] * KIB)}, "
            "but a filesystem on it keeps its size, and Incus will not grow it later (it grows a filesystem only in a "
            "resize it makes itself, and LINSTOR has the size now). Grow it on a node where the volume is placed: "
            f"`resize2fs {device}` (ext4) or `xfs_growfs <mount point>` (xfs, mounted){minor_hint}")
    return warnings


def refuse_filesystem_keys(keys: Iterable[str], volume_type: str, content_type: str) -> None:
    """Fail naming ``properties`` when LINSTOR's mkfs keys would reach a raw disk (:func:`filesystem_keys_problem`)."""
    problem = filesystem_keys_problem(keys, volume_type, content_type)
    if problem:
        raise NamingError("properties", f"properties {problem}")


def refuse_other_content_type(request: VolumeRequest, rd: Mapping[str, Any]) -> None:
    """Fail naming ``content_type`` when it is given and the volume has another: a volume is never converted,
    and one the task did not describe is not deleted either."""
    current_content = (rd.get("props") or {}).get(AUX_CONTENT_TYPE)
    if not request.content_type_given or current_content == request.content_type:
        return
    if request.state == "absent":
        remedy = "it is not deleted (remove content_type to delete it whatever its content type)"
    else:
        remedy = "the content type of a volume cannot be converted (remove content_type, or delete the volume first)"
    raise NamingError("content_type", f"volume {request.incus_name} has content type {current_content!r}, not "
                                      f"{request.content_type!r}; {remedy}")


def plan_changes(request: VolumeRequest, rd: Mapping[str, Any], rename: bool = False,
                 subject: str = "the volume") -> Plan:
    """What must change on an existing volume's RD; raises before any write when it cannot.

    ``subject`` names the RD in messages (a copy is planned on its source's sizes).
    """
    props = rd.get("props") or {}
    current_content = props.get(AUX_CONTENT_TYPE)
    refuse_other_content_type(request, rd)
    plan = Plan()
    if rename:
        plan.override_props[AUX_NAME] = request.incus_name
    for key, value in request.desired_properties.items():
        if not property_values_match(key, props.get(key), value):
            plan.override_props[key] = value
    plan.delete_props.extend(key for key in request.removed_properties if key in props)
    refuse_filesystem_keys(plan.override_props, request.volume_type, current_content or "")
    sizes = definition_sizes(rd)
    wanted = {BLOCK_VOLUME: request.size_bytes}
    if has_filesystem_volume(request.volume_type, current_content or ""):
        wanted[FILESYSTEM_VOLUME] = request.filesystem_size_bytes
    elif request.filesystem_size_bytes is not None:
        raise NamingError("filesystem_size", f"volume {request.incus_name} has no filesystem volume to resize")
    for number, wanted_bytes in wanted.items():
        if wanted_bytes is None or number not in sizes:
            continue
        parameter = "size" if number == BLOCK_VOLUME else "filesystem_size"
        content = current_content if number == BLOCK_VOLUME else CONTENT_FILESYSTEM
        target = resize_target_kib(sizes[number], wanted_bytes, parameter, content or "", subject)
        if target is not None:
            plan.resize_kib[number] = target
            if content == CONTENT_FILESYSTEM:
                plan.grown_filesystems.append(number)
    if plan.resize_kib and EXACT_SIZE_KEY in props:
        plan.delete_props.append(EXACT_SIZE_KEY)
    return plan


def user_properties_written(request: VolumeRequest, plan: Plan | None) -> dict[str, str | None]:
    """The ``properties`` a run writes, with their values: all of them for a new volume, the changed ones under
    ``plan``; and, as None, those it removes (LINSTOR checks a key it is asked to delete against its whitelist
    too): on an existing volume, those it has; on a copy, all of them, as the source's properties are not read
    yet."""
    if plan is None:
        removed = request.removed_properties if request.source else ()
        return {**request.user_properties, **dict.fromkeys(removed)}
    return {**{key: value for key, value in plan.override_props.items() if key in request.user_properties},
            **dict.fromkeys(key for key in plan.delete_props if key in request.removed_properties)}


def apply_plan_to_view(view: dict[str, Any], plan: Plan, prefix: str) -> dict[str, Any]:
    """The volume's Incus view once ``plan`` is applied (what check mode and the result report)."""
    rd = rd_from_view(view)
    rd["props"] = {key: value for key, value in rd["props"].items() if key not in plan.delete_props}
    rd["props"].update(plan.override_props)
    for definition in rd["volume_definitions"]:
        definition["size_kib"] = plan.resize_kib.get(definition["volume_number"], definition["size_kib"])
    planned = volume_view(rd, prefix)
    return {**planned, "port": view.get("port")} if planned is not None else view


def planned_sizes_kib(request: VolumeRequest, size_bytes: int) -> list[int]:
    """``volume_sizes`` of a new RD: the main volume, then the filesystem volume of a VM (block image)."""
    sizes = [volume_size_kib(size_bytes)]
    if has_filesystem_volume(request.volume_type, request.content_type):
        fs_bytes = request.filesystem_size_bytes or DEFAULT_VM_FILESYSTEM_SIZE_BYTES
        sizes.append(volume_size_kib(fs_bytes))
    return sizes


def new_volume_view(request: VolumeRequest, props: dict[str, str], sizes_kib: list[int]) -> dict[str, Any]:
    """The Incus view of a volume about to be created: its RD name is None (drawn at random when it is made)."""
    rd = {
        "name": None,
        "resource_group_name": request.resource_group,
        "props": props,
        "volume_definitions": [{"volume_number": n, "size_kib": s} for n, s in enumerate(sizes_kib)],
    }
    view = volume_view(rd, request.prefix)
    if view is None:  # pragma: no cover - creation_properties always makes a valid view
        raise AssertionError(f"no Incus view for {props!r}")
    return view


# --- Writing --------------------------------------------------------------------------------------


class Reverter:
    """Undo steps registered as things are made; run in reverse order when a later step fails.

    The steps' requests go out even when a stop signal ended the run (``client.unstoppable()``).
    """

    def __init__(self, client: LinstorClient) -> None:
        self._client = client
        self._steps: list[tuple[str, Callable[[], Any]]] = []
        self.undone: list[str] = []
        """What the last :meth:`fail` removed."""

    def add(self, description: str, step: Callable[[], Any]) -> None:
        self._steps.append((description, step))

    def success(self) -> None:
        self._steps.clear()

    def fail(self) -> list[str]:
        """Run every undo step; return the descriptions of those that failed (what is left behind)."""
        left: list[str] = []
        self.undone = []
        with self._client.unstoppable():
            for description, step in reversed(self._steps):
                try:
                    step()
                    self.undone.append(description)
                except Exception as error:  # noqa: BLE001 - every failure is reported, none may stop the undo
                    left.append(f"{description} ({str(error).rstrip().rstrip('.')})")
        self._steps.clear()
        return left


def _reraise_after_revert(error: Exception, reverter: Reverter) -> None:
    """Undo what the run made, then fail with ``error``, saying what the undo removed or left behind."""
    left = reverter.fail()
    if left:
        why = (" (a resource definition left behind carries the volume's Incus keys, so the next run takes it for "
               "the volume, placed or not)" if any(item.startswith("resource definition ") for item in left) else "")
        found = dict(error.result) if isinstance(error, ModuleFailure) else \
            {"linstor_error": error.to_dict()} if isinstance(error, LinstorError) else {}
        raise ModuleFailure(
            f"{full_stop(error)} Undoing the steps already made also failed; left behind: {'; '.join(left)}. Remove "
            f"what is left behind by hand before running the task again{why}.",
            error.parameter if isinstance(error, ModuleFailure) else None,
            **{**found, "changed": True, "left_behind": list(found.get("left_behind") or []) + left},
        ) from error
    if isinstance(error, LinstorConnectionError) and reverter.undone:
        # the write whose reply was lost may have been applied: say that this run removed what it may have made
        sent = error.message.removesuffix(CHECK_THE_CONTROLLER).rstrip()
        raise LinstorConnectionError(f"{sent} This run then removed what it may have made "
                                     f"({'; '.join(reverter.undone)}), so nothing of it is left.") from error
    raise error


class Outcome:
    """The result of one run, filled in as it goes."""

    def __init__(self, before: dict[str, Any] | None, warnings: list[str] | None = None) -> None:
        """``warnings``: the list to gather warnings into (the run's, :data:`._module.Operation`), else a new one."""
        self.changed = False
        self.diff = Diff(before)
        self.volume: dict[str, Any] = before or {}
        self.warnings: list[str] = [] if warnings is None else warnings
        self.extra: dict[str, Any] = {}
        self.offline_told: set[str] = set()
        """The nodes the warnings named as not connected (:meth:`warn`)."""

    def warn(self, entries: list[dict[str, Any]], not_connected: str | None = None) -> None:
        """Pass on the warnings of a write's reply (:func:`._client.reply_warnings`; ``not_connected``: what an
        offline satellite means for this write, when not that it gets the change later, which is said once per
        node)."""
        self.warnings.extend(reply_warnings(entries or [], not_connected, self.offline_told))

    def result(self, diff: bool) -> dict[str, Any]:
        self.diff.after = self.volume or None
        result: dict[str, Any] = {"changed": self.changed, "volume": self.volume, **self.extra}
        if diff:
            result["diff"] = self.diff.result()
        return result


def apply_plan(client: LinstorClient, rd_name: str, plan: Plan, outcome: Outcome,
               written: list[str] | None = None) -> None:
    """Write a plan: properties (and ExactSize dropped) in one PUT, then each volume's new size.

    ``written``, when given, records each write that went through (``properties``, ``volume <number>``).
    """
    progress = written if written is not None else []
    if plan.override_props or plan.delete_props:
        outcome.warn(client.modify_resource_definition(rd_name, override_props=plan.override_props,
                                                       delete_props=plan.delete_props))
        progress.append("properties")
    for number, size_kib in sorted(plan.resize_kib.items()):
        outcome.warn(client.modify_volume_definition(rd_name, number, size_kib))
        progress.append(f"volume {number}")


def update_volume(client: LinstorClient, rd_name: str, plan: Plan, outcome: Outcome) -> None:
    """:func:`apply_plan` on an existing volume (nothing to undo): a failure after a write raises
    :class:`ModuleFailure` with ``changed`` and ``written``; running the task again finishes the plan."""
    written: list[str] = []
    try:
        apply_plan(client, rd_name, plan, outcome, written)
    except LinstorError as error:
        if not written:
            raise
        raise ModuleFailure(f"{error} Already written to {rd_name}: {', '.join(written)}; run the task again to "
                            "finish.", None, changed=True, written=written, linstor_error=error.to_dict()) from error


def creation_request(request: VolumeRequest) -> tuple[dict[str, str], list[int]]:
    """The properties and volume sizes (KiB) a new volume's RD is spawned with."""
    if request.size_bytes is None:
        raise NamingError("size", f"size is required to create volume {request.incus_name} (it does not exist yet)")
    props = creation_properties(request.prefix, request.volume_type, request.project, request.name,
                                request.content_type, request.drbd_options, request.user_properties)
    return props, planned_sizes_kib(request, request.size_bytes)


def new_rd_with_undo(client: LinstorClient, prefix: str) -> tuple[str, Reverter]:
    """A new random RD name, and a reverter already holding that RD's delete.

    The delete is registered before the RD is asked for: a request whose reply is lost may still
    have made it. The caller runs ``reverter.success()`` once the new volume is confirmed.
    """
    rd_name = generate_name(prefix)
    reverter = Reverter(client)
    reverter.add(f"resource definition {rd_name}", lambda: delete_own_rd(client, rd_name))
    return rd_name, reverter


def delete_own_rd(client: LinstorClient, rd_name: str) -> None:
    """Delete an RD this run made and did not keep.

    LINSTOR refuses while the RD has snapshots. Only a run that took it for the volume meanwhile can have made one,
    and that run takes it back once its read-back shows the RD giving way (:func:`._snapshots.create_snapshot`);
    while the RD carries such a run's claim (:func:`._naming.open_claims`), the delete is tried again, for as long as
    :data:`SNAPSHOT_TAKE_BACK_REQUESTS` requests of this run's ``timeout`` may take (plus one pause). Once no claim
    is left, it is tried once more (the snapshot may have gone with it); a refusal then (a snapshot mapped, or not
    made by this collection) is reported.
    """
    deadline: float | None = None  # from the first refusal
    delay = DUPLICATE_SETTLE_DELAY
    claimed = True
    while True:
        try:
            client.delete_resource_definition(rd_name)
            return
        except LinstorError as error:
            if error.code != FAIL_EXISTS_SNAPSHOT_DFN or not claimed:
                raise
            if deadline is None:
                deadline = time.monotonic() + SNAPSHOT_TAKE_BACK_REQUESTS * client.settings.timeout + CLONE_POLL_MAX
            if time.monotonic() + delay > deadline:
                raise
            try:
                rd = client.get_resource_definition(rd_name)
            except LinstorError:
                raise error from None  # the refusal is what is left behind
            if rd is None:
                return
            claimed = bool(open_claims(rd.get("props") or {}))
        if claimed:
            time.sleep(delay)
            delay = min(delay * 2, CLONE_POLL_MAX)


def missing_group_message(resource_group: str) -> str:
    """What a run says when LINSTOR has no resource group ``resource_group`` (a misspelt group must not
    look like a pool without the volume)."""
    return (f"resource_group {resource_group!r} does not exist in LINSTOR; give the resource group of the Incus "
            "storage pool (its linstor.resource_group.name, by default the pool's name)")


def check_mode_sentence(problem: str, why: str, real_run_fails: str) -> str:
    """What check mode says instead of failing on ``problem``, which may be mended by then (``why``: how). Its words
    "In check mode this is a warning" tell a failure the real run meets before any write (the volumes role's loop
    method stops on them); a refusal LINSTOR gives a real run at a later step is :func:`foreseen_refusal`."""
    return f"{problem}. In check mode this is a warning, as {why}; the real run fails {real_run_fails}"


def foreseen_refusal(problem: str, real_run_fails: str) -> str:
    """What check mode says of a step LINSTOR will refuse in the real run, which then fails there (not before its
    first write, unlike :func:`check_mode_sentence`)."""
    return f"{problem}. Check mode foresees LINSTOR's refusal: the real run fails {real_run_fails}"


def check_mode_warning(problem: str, missing: str) -> str:
    """What check mode says instead of failing on ``problem``: an earlier task of the same check run (the
    pool role, linstor_incus_resource_group, a volume create) may be what creates ``missing``."""
    return check_mode_sentence(problem, f"an earlier task may create {missing}", "unless it exists by then")


def rename_onto_existing(request: VolumeRequest, rd: Mapping[str, Any], old_rd: Mapping[str, Any],
                         parameter: str = "rename_from") -> ModuleFailure:
    """The refusal of a rename whose ``name`` volume exists beside its ``rename_from`` volume (``parameter``: the
    option as the module names it, indexed in linstor_incus_volumes)."""
    subject = "" if parameter == "rename_from" else f"{parameter}: "
    return ModuleFailure(
        f"{subject}cannot rename {request.rename_from_incus_name} to {request.incus_name}: both volumes exist "
        f"(resource definitions {old_rd['name']} and {rd['name']}); delete one of them first",
        parameter, resource_definitions=[old_rd["name"], rd["name"]])


def rename_source_missing_message(request: VolumeRequest) -> str:
    """What a rename says when neither its ``rename_from`` volume nor its ``name`` volume exists."""
    return (f"cannot rename: neither {request.rename_from_incus_name} (rename_from) nor {request.incus_name} (name) "
            f"exists as a {request.volume_type} volume in resource group {request.resource_group}")


def predicted_rename_views(request: VolumeRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check mode's before and after of a rename whose ``rename_from`` volume is not there (yet): they
    differ in the name only, as what the volume will hold is not known."""
    outline = _outline(request)
    return ({**outline, "name": request.rename_from, "incus_name": request.rename_from_incus_name},
            {**outline, "name": request.name, "incus_name": request.incus_name})


def _outline(request: VolumeRequest) -> dict[str, Any]:
    """A volume check mode predicts without knowing what it holds: the request's identity, nothing more."""
    return {"project": request.project, "type": request.volume_type, "content_type": request.content_type,
            "resource_definition": None, "resource_group": request.resource_group, "port": None,
            "volume_definitions": [], "snapshots": {}, "properties": {}}


def missing_group_warning(resource_group: str) -> str:
    """:func:`check_mode_warning` for a missing resource group."""
    return check_mode_warning(missing_group_message(resource_group), "the group")


def require_group(client: LinstorClient, resource_group: str, check_mode: bool,
                  warnings: list[str]) -> dict[str, Any] | None:
    """When a volume the task needs was not found in the group, or the group holds none (a list), and before a
    create in check mode: fail naming ``resource_group`` when LINSTOR has no such group (one request; a misspelt
    group, not a missing volume); in check mode, warn (:func:`missing_group_warning`) and let the prediction
    go on. Returns the group (None when missing, in check mode)."""
    group = client.get_resource_group(resource_group)
    if group is None:
        if not check_mode:
            raise ModuleFailure(missing_group_message(resource_group), "resource_group")
        warnings.append(missing_group_warning(resource_group))
    return group


def placement_warnings(client: LinstorClient, group: Mapping[str, Any] | None) -> list[str]:
    """Check mode, before a create that autoplaces in ``group``: what will keep LINSTOR from placing it (one read of
    the storage pools, :func:`._resource_groups.group_placement_problem`); the real run fails with LINSTOR's error
    then, its new RD deleted again."""
    try:
        problem = group_placement_problem(client, group) if group is not None else None
    except LinstorError as error:
        return [unread_pools_warning(group.get("name") or "", error)]
    if problem is None:
        return []
    return [foreseen_refusal(problem, "at that volume's placement unless that changes first (its new RD is deleted "
                             "again)")]


def warn_if_group_missing(client: LinstorClient, resource_group: str, warnings: list[str]) -> None:
    """A delete that found nothing: no failure (deleting a group after its volumes is a teardown), but a warning
    when the group itself does not exist, as a misspelt one would (one request)."""
    if client.get_resource_group(resource_group) is None:
        warnings.append(missing_group_message(resource_group) + "; nothing was deleted")


def spawn_and_place(client: LinstorClient, request: VolumeRequest, props: dict[str, str], sizes: list[int],
                    outcome: Outcome) -> tuple[str, Reverter]:
    """Spawn a new RD born with every property (definitions only), then autoplace it.

    The RD's delete is registered before the spawn (:func:`new_rd_with_undo`), and runs if
    either step fails. Returns the RD name and the reverter still holding that delete:
    the caller confirms, then calls ``success()``.
    """
    rd_name, reverter = new_rd_with_undo(client, request.prefix)
    try:
        outcome.warn(client.spawn(request.resource_group, rd_name, sizes, props,
                                  partial=len(sizes) > 1))
    except LinstorConnectionError as error:
        # The spawn may have reached the controller: delete what it may have made (a warning if nothing).
        # A spawn LINSTOR refused made nothing (its transactions are atomic): nothing to undo.
        _reraise_after_revert(error, reverter)
    except LinstorError as error:
        if error.code == FAIL_NOT_FOUND_RSC_GRP:
            raise ModuleFailure(missing_group_message(request.resource_group), "resource_group",
                                linstor_error=error.to_dict()) from error
        raise
    try:
        placed = client.autoplace(rd_name)
        outcome.warn(placed)
        if any(code_of(entry["ret_code"]) == WARN_RSC_ALREADY_DEPLOYED for entry in placed):
            # a new RD "already deployed on 0 nodes": the group's select filter has no place count
            raise ModuleFailure(
                f"LINSTOR placed no resource of the new resource definition {rd_name}, which is deleted again: "
                f"resource group {request.resource_group} has no place count; set one (linstor_incus_resource_group "
                "place_count, as the Incus pool key linstor.resource_group.place_count does)", "resource_group")
    except (LinstorError, ModuleFailure) as error:
        _reraise_after_revert(error, reverter)
    return rd_name, reverter


def create_volume(client: LinstorClient, request: VolumeRequest, outcome: Outcome, check_mode: bool) -> None:
    """Spawn the RD with every property, autoplace, confirm with Incus's lookup; undo on failure."""
    props, sizes = creation_request(request)
    outcome.changed = True
    if check_mode:
        outcome.volume = new_volume_view(request, props, sizes)
        return
    rd_name, reverter = spawn_and_place(client, request, props, sizes, outcome)
    rd = settle_concurrent_create(client, request, rd_name, reverter, outcome)
    outcome.volume = volume_view(put_back_overwritten(client, request, rd, outcome), request.prefix)


def put_back_overwritten(client: LinstorClient, request: VolumeRequest, rd: dict[str, Any],
                         outcome: Outcome) -> dict[str, Any]:
    """Put back, in one PUT, the requested properties LINSTOR changed while placing a new RD; returns the RD so.

    Before 1.31 LINSTOR's auto-quorum (``DrbdOptions/auto-quorum``, ``io-error`` on the controller unless set
    otherwise) writes ``DrbdOptions/Resource/quorum`` and ``on-no-quorum`` on an RD whose placement makes quorum
    feasible, over the values it was spawned with (``drbd_options.on_no_quorum`` among them), and also where the
    request gave that property as null (to inherit the group's). A modify of those keys runs no auto-quorum, so
    the volume ends as requested and a second run changes nothing; the warning says that LINSTOR sets them again
    at the next change of the volume's resources.
    """
    planned = plan_changes(request, rd)
    plan = Plan(override_props=planned.override_props,
                delete_props=[key for key in planned.delete_props if key in request.removed_properties])
    if plan.empty:
        return rd
    props = rd.get("props") or {}
    changes = ", ".join(f"set {key} to {props[key]!r}" if key in props else f"removed {key}"
                        for key in sorted([*plan.override_props, *plan.delete_props]))
    try:
        apply_plan(client, rd["name"], plan, outcome)
    except LinstorError as error:
        raise ModuleFailure(
            f"{error} Volume {request.incus_name} was created as resource definition {rd['name']}, but LINSTOR "
            f"{changes} while placing it and putting back the requested values failed; run the task again to "
            "finish.", None, changed=True, linstor_error=error.to_dict()) from error
    outcome.changed = True
    outcome.warnings.append(
        f"LINSTOR {changes} on resource definition {rd['name']} while placing volume {request.incus_name}; "
        "put back as requested. LINSTOR before 1.31 sets DrbdOptions/Resource/quorum and on-no-quorum again at "
        "each change of the volume's resources, unless DrbdOptions/auto-quorum (volume, resource group or "
        "controller) is disabled or, for on-no-quorum, holds the policy wanted")
    kept = {key: value for key, value in props.items() if key not in plan.delete_props}
    return {**rd, "props": {**kept, **plan.override_props}}


def _claimants(client: LinstorClient, request: VolumeRequest) -> list[dict[str, Any]]:
    """Every RD of the group that claims the requested volume (Incus's lookup)."""
    return find_volumes(client, request.prefix, request.volume_type, request.project, [request.name],
                        request.resource_group)[request.name]


def settle_concurrent_create(client: LinstorClient, request: VolumeRequest, rd_name: str, reverter: Reverter,
                             outcome: Outcome) -> dict[str, Any]:
    """Confirm the new volume with Incus's lookup; runs that created it at the same moment keep one RD, which this
    returns as the lookup read it.

    Every run that found no volume makes its own RD, so runs started together may each make one.
    Each confirms with the same lookup once its RD is placed. When twins claim the volume, the RD
    placed first survives (:func:`first_placed`, by the controller's clock); every other run deletes
    its own RD and reports the survivor (``concurrent_create``, changed=false). A twin placed before
    this run's RD is visible to this run's confirm, so every run agrees on the survivor, and an RD
    that confirmed alone is never a loser: a twin whose lookup was answered late is placed later,
    sees it and yields. No run deletes an RD it did not make.
    """
    try:
        with client.unstoppable():  # placed: settle first (a twin may rely on this RD), then stop
            claimants = live(_claimants(client, request))  # an RD being deleted is no twin
            own = next((rd for rd in claimants if rd["name"] == rd_name), None)
            if own is not None and len(claimants) == 1:
                reverter.success()
                return own
            if not claimants:
                raise ModuleFailure(
                    f"resource definition {rd_name}, just created for volume {request.incus_name}, is no longer "
                    "found by Incus's lookup (deleted meanwhile?); run the task again", None, changed=True)
            survivor = first_placed(client, claimants)
    except LinstorError as error:
        # Placed, the RD may be a twin's survivor already: it is kept, whole (its aux keys came with it).
        raise ModuleFailure(
            f"{error} Resource definition {rd_name} was created and placed for volume {request.incus_name} and "
            "is kept, since a run creating the same volume at this moment may already rely on it; run the task "
            "again to confirm it.", None, changed=True,
            linstor_error=error.to_dict()) from error
    if survivor["name"] == rd_name:
        reverter.success()
        return survivor
    left = reverter.fail()
    if left:
        raise ModuleFailure(
            f"another run created volume {request.incus_name} at the same moment (resource definition "
            f"{survivor['name']}); deleting this run's duplicate failed, left behind: {'; '.join(left)}",
            None, changed=True, left_behind=left)
    outcome.changed = False
    outcome.extra["concurrent_create"] = {"deleted": rd_name, "survivor": survivor["name"]}
    outcome.warnings.append(
        f"another run created volume {request.incus_name} at the same moment as resource definition "
        f"{survivor['name']}; this run's resource definition {rd_name} was deleted again")
    return survivor


def first_placed(client: LinstorClient, rds: list[dict[str, Any]]) -> dict[str, Any]:
    """The RD whose first resource LINSTOR created earliest (its ``create_timestamp``); names break ties.

    An RD not placed yet sorts last: it will be placed after every RD placed now. Costs one request
    (``GET /v1/view/resources``), made only when twins claim one volume.
    """
    first: dict[str, float] = {}
    for resource in client.view_resources([rd["name"] for rd in rds]):
        created = resource.get("create_timestamp")
        key = resource["name"].lower()
        first[key] = min(first.get(key, math.inf), created if isinstance(created, int) else math.inf)
    return min(rds, key=lambda rd: (first.get(rd["name"].lower(), math.inf), rd["name"]))


def wait_for_clone(client: LinstorClient, source_rd: str, target_rd: str, timeout: float) -> None:
    """Poll LINSTOR's clone status until COMPLETE; raise on FAILED or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = CLONE_POLL_FIRST
    while True:
        status = (client.clone_status(source_rd, target_rd) or {}).get("status")
        if status == "COMPLETE":
            return
        if status == "FAILED":
            raise ModuleFailure(f"LINSTOR reported the clone of {source_rd} into {target_rd} as FAILED")
        if time.monotonic() + delay > deadline:
            raise ModuleFailure(
                f"the clone of {source_rd} into {target_rd} did not complete within {timeout:g} seconds "
                f"(last status {status!r}); raise wait_timeout for large volumes",
                "wait_timeout",
            )
        time.sleep(delay)
        delay = min(delay * 2, CLONE_POLL_MAX)


def copy_request_for(request: VolumeRequest, source_props: Mapping[str, str], sizes: Mapping[int, int],
                     parameter: str, source_described: str) -> VolumeRequest:
    """The request of a copy: it keeps the source's content type, and needs the volume definitions that implies.

    ``sizes`` are the source's volume definitions (number -> KiB); a mismatch fails naming ``parameter``.
    """
    source_content = source_props.get(AUX_CONTENT_TYPE) or ""
    content_type = request.content_type if request.content_type_given else source_content
    if content_type != source_content:
        raise NamingError("content_type", f"content_type {content_type!r} differs from the content type "
                          f"{source_content!r} of {source_described}; a copy keeps the content type")
    try:
        content_type = validate_content_type(request.volume_type, content_type)
    except NamingError as error:
        if request.content_type_given:
            raise
        raise NamingError(parameter, f"{source_described} has content type {source_content!r}, and a copy keeps its "
                          f"source's: {error.message}") from error
    wanted_count = 2 if has_filesystem_volume(request.volume_type, content_type) else 1
    if sorted(sizes) != list(range(wanted_count)):
        raise NamingError(
            parameter,
            f"{source_described} has volume definitions {sorted(sizes)}, but a {request.volume_type} "
            f"volume of content type {content_type} has {list(range(wanted_count))}",
        )
    refuse_filesystem_keys(request.user_properties, request.volume_type, content_type)
    return dataclasses.replace(request, content_type=content_type, content_type_given=True)


def copy_volume(client: LinstorClient, request: VolumeRequest, outcome: Outcome, check_mode: bool) -> None:
    """Clone the source volume's RD into a new RD born with the copy's own identity; undo on failure.

    The clone request's ``override_props`` carry the copy's aux keys (and the properties Incus
    sets on a new volume), and ``delete_namespaces`` drops the inherited snapshot mappings, so
    no moment exists in which two RDs claim one volume or the copy maps snapshots it lacks.
    A controller older than LINSTOR 1.32 takes neither field (one request asks its version): there
    the copy is cloned with the source's properties and given its own in one PUT right after (Incus
    sets them once the clone completes: later); for that moment it claims the source volume as well.
    """
    source = request.source
    if source is None:  # pragma: no cover - ensure_volume only copies when source is given
        raise ValueError("copy_volume needs request.source")
    source_rd = find_source_rd(client, request, outcome, check_mode)
    if source_rd is None:  # check mode, predicted
        return
    source_props = source_rd.get("props") or {}
    sizes = definition_sizes(source_rd)
    copy_request = copy_request_for(request, source_props, sizes, "source.volume", f"source volume {source.incus_name}")
    props = copy_properties(request, copy_request.content_type)
    # LINSTOR refuses ExactSize=true in a clone of deployed resources; the copy inherits the source's.
    props.pop(EXACT_SIZE_KEY, None)
    after_props = without_snapshot_keys(source_props) | props
    after_props[CLONED_FROM_KEY] = source_rd["name"]
    plan = plan_copy(request, copy_request, source_rd["name"], after_props, sizes,
                     f"the source volume {source.incus_name}", outcome, check_mode)
    if plan is None:
        return
    born_whole = client.rest_api_version() >= CLONE_PROPERTIES_REST_API
    rd_name, reverter = new_rd_with_undo(client, request.prefix)
    try:
        if born_whole:
            outcome.warn(client.clone(source_rd["name"], rd_name, resource_group=request.resource_group,
                                      override_props=props, delete_namespaces=SNAPSHOT_KEY_NAMESPACES))
        else:  # the source is in the copy's group (find_source_rd), which a clone keeps
            outcome.warn(client.clone(source_rd["name"], rd_name))
        with client.unstoppable():  # cloned, so placed: a twin may rely on it; the copy is finished first
            if not born_whole:  # at once, not after the clone completes: until then the copy claims the source
                # (delete_namespaces is applied with overrides before 1.32 too: keys copied since the lookup)
                outcome.warn(client.modify_resource_definition(rd_name, override_props=props,
                                                               delete_props=per_snapshot_keys(source_props),
                                                               delete_namespaces=SNAPSHOT_KEY_NAMESPACES))
            wait_for_clone(client, source_rd["name"], rd_name, request.wait_timeout)
            apply_plan(client, rd_name, plan, outcome)
    except (LinstorError, ModuleFailure) as error:
        _reraise_after_revert(error, reverter)
    settle_copy(client, request, rd_name, reverter, outcome, plan)


def copy_properties(request: VolumeRequest, content_type: str) -> dict[str, str]:
    """The properties a copy is made with: a new volume's (:func:`creation_properties`), of the content type it
    takes from its source (:func:`copy_request_for`)."""
    return creation_properties(request.prefix, request.volume_type, request.project, request.name, content_type,
                               request.drbd_options, request.user_properties)


def plan_copy(request: VolumeRequest, copy_request: VolumeRequest, source_rd_name: str, after_props: dict[str, str],
              sizes: Mapping[int, int], subject: str, outcome: Outcome, check_mode: bool) -> Plan | None:
    """What a copy changes beyond what it inherits (a grow): the plan of a copy holding ``after_props`` and
    ``sizes`` (volume number -> KiB), ``subject`` its source in messages. Check mode reports the copy as planned
    and gets None (nothing more to do)."""
    definitions = [{"volume_number": number, "size_kib": size} for number, size in sorted(sizes.items())]
    plan = plan_changes(copy_request, {"props": after_props, "volume_definitions": definitions}, subject=subject)
    plan.override_props.clear()
    outcome.changed = True
    outcome.extra["source_resource_definition"] = source_rd_name
    if not check_mode:
        return plan
    template = new_volume_view(copy_request, after_props, [sizes[number] for number in sorted(sizes)])
    outcome.warnings += filesystem_grow_warnings(request.incus_name, {}, plan)
    outcome.volume = apply_plan_to_view(template, plan, request.prefix)
    return None


def settle_copy(client: LinstorClient, request: VolumeRequest, rd_name: str, reverter: Reverter, outcome: Outcome,
                plan: Plan) -> None:
    """Confirm a copy made larger than its source, or not, as a create is (:func:`settle_concurrent_create`), and
    warn of the filesystems its grow leaves undone, naming their DRBD devices. When another run's copy stays, that
    run grew it and warns."""
    settled = settle_concurrent_create(client, request, rd_name, reverter, outcome)
    if settled["name"] == rd_name:
        outcome.warnings += filesystem_grow_warnings(request.incus_name, settled, plan)
    outcome.volume = volume_view(settled, request.prefix)


def list_snapshot_names(client: LinstorClient, rd_name: str) -> list[str]:
    """Names of the LINSTOR snapshots of an RD."""
    return sorted(snapshot["name"] for snapshot in client.list_snapshots(rd_name))


def snapshots_to_remove(props: Mapping[str, str], linstor_snapshots: list[str]) -> list[dict[str, Any]]:
    """Each snapshot a delete removes: ``{name, linstor_name}``, ``name`` None for unmapped ones."""
    by_linstor = {linstor.lower(): incus for incus, linstor in snapshot_mappings(props).items()}
    return [{"name": by_linstor.get(snap.lower()), "linstor_name": snap} for snap in linstor_snapshots]


def foreign_snapshots(props: Mapping[str, str], linstor_snapshots: list[str]) -> list[str]:
    """The RD's LINSTOR snapshots that are not the volume's in Incus's eyes: no mapping names them,
    and no snapshot create (running, or killed before its mapping) claims them for a name no mapping holds
    (:func:`._naming.open_claims`: the losing twin of a mapped name left its snapshot unmapped)."""
    claimed = {name.lower() for name in open_claims(props)}
    return [snap for snap in unmapped_snapshots(props, linstor_snapshots) if snap.lower() not in claimed]


def refuse_unmapped_snapshots(request: VolumeRequest, rd: Mapping[str, Any], linstor_snapshots: list[str]) -> None:
    """Fail, before anything is deleted, when the RD has LINSTOR snapshots no Incus snapshot maps, unless
    ``remove_unmapped_snapshots`` says to delete them too. Incus would fail there: it deletes the volume's
    snapshots, and LINSTOR then refuses to delete an RD that still has any. They may be an operator's
    (``linstor snapshot create``, a backup) that nothing else keeps."""
    if request.remove_unmapped_snapshots:
        return
    unmapped = foreign_snapshots(rd.get("props") or {}, linstor_snapshots)
    if unmapped:
        raise ModuleFailure(
            f"volume {request.incus_name} (resource definition {rd['name']}) has LINSTOR snapshots that no Incus "
            f"snapshot maps: {', '.join(unmapped)}. They are not the volume's in Incus's eyes (made with the linstor "
            "client or by a backup, or left by an interrupted run), and Incus would refuse to delete the volume. "
            "Nothing was deleted. Delete them first, or set remove_unmapped_snapshots=true to delete them with "
            "the volume",
            "remove_unmapped_snapshots",
            unmapped_snapshots=unmapped,
            resource_definition=rd["name"],
        )


def rd_delete_waits(rd_name: str) -> str:
    """What an offline satellite means for an RD's delete (CtrlRscDfnTruncateApiCallHandler waits for it)."""
    return (f"LINSTOR marked resource definition {rd_name} for deletion, and deletes it once connected (it is listed "
            "with flag DELETE until then, and Incus's lookup still finds it)")


def snapshot_copy_left(linstor_name: str) -> str:
    """What an offline satellite means for a snapshot's delete: LINSTOR deletes the snapshot at once all the same
    (CtrlSnapshotDeleteApiCallHandler only warns) and does not send that delete again."""
    return (f"LINSTOR deleted LINSTOR snapshot {linstor_name} all the same, and does not send that delete again when "
            "the satellite reconnects: the snapshot's data may stay on that node's storage")


def not_connected_nodes(client: LinstorClient, nodes: Iterable[str]) -> list[str]:
    """The nodes among ``nodes`` whose satellite the controller has no working connection to (``connection_status``
    other than ONLINE), sorted, with ONE ``GET /v1/nodes``; none is read when ``nodes`` is empty. A node LINSTOR does
    not list is not counted."""
    wanted = sorted({node.lower(): node for node in nodes}.values(), key=str.lower)
    if not wanted:
        return []
    return sorted((str(node.get("name", "")) for node in client.list_nodes(wanted)
                   if node.get("connection_status") != "ONLINE"), key=str.lower)


RD_DELETE_RETRIED = (FAIL_IN_USE, FAIL_UNKNOWN_ERROR)
"""The failures Incus retries an RD delete on: DRBD demotes a resource some time after its last user closed
it, and udev may hold the device open a moment longer."""


def delete_rd(client: LinstorClient, rd_name: str, retries: int, delay: float, outcome: Outcome) -> None:
    """Delete an RD, retrying on :data:`RD_DELETE_RETRIED` (``retries`` more tries, ``delay`` apart). A stop ends
    the retries (cutting a pause short): the failure names it, and the last refusal."""
    attempt = 0
    while True:
        try:
            outcome.warn(client.delete_resource_definition(rd_name), rd_delete_waits(rd_name))
            return
        except LinstorError as error:
            if error.code not in RD_DELETE_RETRIED or attempt >= retries:
                raise
            client.pause(delay)
            if client.stop_pending:
                raise client.stopped_retrying(f"the delete of resource definition {rd_name}", error) from error
        attempt += 1


def busy_nodes(client: LinstorClient, rd_names: list[str], retries: int, delay: float, check_mode: bool,
               resources: list[dict[str, Any]] | None = None) -> dict[str, list[str]]:
    """RD name (lower case) -> the nodes where its resource is in use (mounted, or the disk of a running instance),
    read with ONE ``GET /v1/view/resources`` for all of them (or taken from ``resources``, a read the caller has),
    read again up to ``retries`` times ``delay`` apart while any is in use (DRBD lets go of a device a moment
    after its last user closed it); in check mode, the first read is the answer."""
    attempt = 0
    while True:
        if resources is None:
            resources = client.view_resources(rd_names)
        busy: dict[str, list[str]] = {}
        for resource in resources:
            if resource_in_use(resource):
                busy.setdefault((resource.get("name") or "").lower(), []).append(resource.get("node_name") or "?")
        if not busy or check_mode or attempt >= retries or client.stop_pending:
            return {name: sorted(nodes) for name, nodes in busy.items()}
        attempt += 1
        client.pause(delay)  # a stop cuts it short: the next read ends the run (or, unstoppable, is the last)
        resources = None


def in_use_statement(operation: str, rd_name: str, nodes: list[str]) -> str:
    """How every refusal and warning of an RD in use begins: the ``operation``, the RD, the nodes."""
    return (f"{operation}: resource definition {rd_name} is in use on {', '.join(nodes)} (mounted, or the disk of a "
            "running instance)")


def in_use_problem(operation: str, rd_name: str, nodes: list[str], doomed: str) -> str:
    """Why an ``operation`` that would delete ``doomed`` (snapshots) first is refused on an RD in use."""
    return (f"{in_use_statement(operation, rd_name, nodes)}. LINSTOR refuses that while it is in use, but only after "
            "this run would have deleted "
            f"{doomed}. Nothing was deleted; stop what uses it (Incus does not do it on a running instance either) "
            "and run again")


def in_use_warning(problem: str) -> str:
    """What check mode says instead of failing on :func:`in_use_problem`."""
    return check_mode_sentence(problem, "an earlier task may stop what uses it", "if it is still in use then")


def refuse_in_use(client: LinstorClient, rd_name: str, operation: str, doomed: str, retries: int, delay: float,
                  check_mode: bool, warnings: list[str], resources: list[dict[str, Any]] | None = None) -> None:
    """Before an ``operation`` deletes ``doomed`` (snapshots) on its way to a step LINSTOR refuses on a resource in
    use (:func:`busy_nodes`): fail, nothing written, naming the nodes; in check mode, warn (an earlier task may
    stop what uses it). Incus does not do such operations on a running instance; LINSTOR refuses only at that
    step, after the snapshots went."""
    nodes = busy_nodes(client, [rd_name], retries, delay, check_mode, resources).get(rd_name.lower())
    if not nodes:
        return
    problem = in_use_problem(operation, rd_name, nodes, doomed)
    if not check_mode:
        raise ModuleFailure(problem, None, in_use_nodes=nodes, resource_definition=rd_name)
    warnings.append(in_use_warning(problem))


def refuse_delete_in_use(client: LinstorClient, request: VolumeRequest, rd_name: str, linstor_snapshots: list[str],
                         check_mode: bool, warnings: list[str]) -> None:
    """:func:`refuse_in_use` for a volume delete with snapshots to delete first. Without any, the RD's delete
    is the only step, and LINSTOR refuses it whole while in use (:func:`delete_rd` retries it): only check mode
    reads, to warn (:func:`delete_in_use_warning`)."""
    if linstor_snapshots:
        refuse_in_use(client, rd_name, delete_operation(request), snapshots_phrase(linstor_snapshots),
                      request.delete_retries, request.delete_retry_delay, check_mode, warnings)
    elif check_mode:
        nodes = busy_nodes(client, [rd_name], 0, 0, True).get(rd_name.lower())
        if nodes:
            warnings.append(delete_in_use_warning(request, rd_name, nodes))


def delete_in_use_warning(request: VolumeRequest, rd_name: str, nodes: list[str]) -> str:
    """What check mode says of a delete (without snapshots) that LINSTOR will refuse if the RD is still in use."""
    problem = (f"{in_use_statement(delete_operation(request), rd_name, nodes)}, and LINSTOR refuses to delete it "
               "while it is")
    return foreseen_refusal(problem, f"at that delete if it is still in use after {request.delete_retries} retries "
                            f"{request.delete_retry_delay:g} s apart")


def delete_operation(request: VolumeRequest) -> str:
    """How a volume delete names itself in a refusal."""
    return f"cannot delete volume {request.incus_name}"


def snapshots_phrase(linstor_snapshots: list[str]) -> str:
    """The snapshots a delete would remove first, as a refusal names them."""
    return f"its snapshots ({', '.join(linstor_snapshots)})"


def delete_volume(client: LinstorClient, request: VolumeRequest, rd: dict[str, Any], outcome: Outcome,
                  check_mode: bool) -> None:
    """Delete the volume's snapshots (each LINSTOR snapshot, then the mappings), then its RD. Snapshots
    that no mapping or claim names fail the delete first (:func:`refuse_unmapped_snapshots`)."""
    props = rd.get("props") or {}
    linstor_snapshots = list_snapshot_names(client, rd["name"])
    refuse_unmapped_snapshots(request, rd, linstor_snapshots)
    refuse_delete_in_use(client, request, rd["name"], linstor_snapshots, check_mode, outcome.warnings)
    removed = snapshots_to_remove(props, linstor_snapshots)
    outcome.extra["snapshots_removed"] = outcome.extra.get("snapshots_removed", []) + removed
    outcome.changed = True
    outcome.volume = {}
    if check_mode:
        return
    deleted: list[str] = []
    try:
        with client.run_to_the_end(f"deleting volume {request.incus_name}"):
            for snapshot in linstor_snapshots:
                outcome.warn(client.delete_snapshot(rd["name"], snapshot), snapshot_copy_left(snapshot))
                deleted.append(snapshot)
            keys = per_snapshot_keys(props)
            if keys:
                outcome.warn(client.modify_resource_definition(rd["name"], delete_props=keys))
            delete_rd(client, rd["name"], request.delete_retries, request.delete_retry_delay, outcome)
    except LinstorError as error:
        if not deleted:
            raise
        # Part of the volume is gone already (as when Incus fails half-way): say so, and what went.
        raise ModuleFailure(str(error), None, changed=True,
                            snapshots_removed=[entry for entry in removed if entry["linstor_name"] in deleted],
                            linstor_error=error.to_dict()) from error


def first_doomed(rd: dict[str, Any] | None, stalled: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The RD a ``state=absent`` run reports as the volume before (its diff): the volume's, else the first stalled."""
    return rd if rd is not None else next(iter(stalled), None)


def doomed_rds(rd: dict[str, Any] | None, stalled: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The RDs a ``state=absent`` run deletes, in their order (:func:`delete_volume_rds`): the stalled ones (being
    deleted already), then the volume's."""
    return stalled + ([rd] if rd is not None else [])


def stalled_deletes(request: VolumeRequest, rds: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """For ``state=absent``: the RDs claiming the volume whose delete is stalled (:data:`DELETE_STALLED`), which the
    run sends again, as Incus's delete of what its lookup finds does; not one of another content type than a given
    ``content_type`` (the task does not describe it)."""
    return [rd for rd in rds if being_deleted(rd) and rd.get(DELETE_STALLED) and (
        not request.content_type_given or (rd.get("props") or {}).get(AUX_CONTENT_TYPE) == request.content_type)]


def delete_volume_rds(client: LinstorClient, request: VolumeRequest, rd: dict[str, Any] | None,
                      stalled: list[dict[str, Any]], outcome: Outcome, check_mode: bool) -> None:
    """``state=absent``: send the delete of each RD in ``stalled`` (:func:`stalled_deletes`) again, then delete the
    volume's RD ``rd``, each as :func:`delete_volume` does (its snapshots first). LINSTOR runs a delete sent again as
    the first one (its checks again, nothing removed twice); one that is gone by then was finished meanwhile, and is
    skipped. ``resource_definitions_deleted`` names the RDs deleted, ``snapshots_removed`` their snapshots; a
    failure after one went says what went. The stalled ones go first: they were being deleted already."""
    deleted: list[str] = []
    outcome.extra.update(resource_definitions_deleted=deleted, snapshots_removed=[])
    for doomed in doomed_rds(rd, stalled):
        removed_before = list(outcome.extra["snapshots_removed"])  # delete_volume adds the ones it plans to delete
        try:
            delete_volume(client, request, doomed, outcome, check_mode)
        except LinstorError as error:
            if doomed is not rd and error.not_found:  # LINSTOR finished that delete meanwhile
                continue
            if not deleted:
                raise
            raise ModuleFailure(str(error), None, changed=True, resource_definitions_deleted=deleted,
                                snapshots_removed=removed_before, linstor_error=error.to_dict()) from error
        except ModuleFailure as failure:  # a refusal (unmapped snapshots, in use) or a failure part-way
            failure.result.update(resource_definitions_deleted=deleted,
                                  snapshots_removed=removed_before + failure.result.get("snapshots_removed", []))
            if deleted:
                failure.result["changed"] = True
            raise
        deleted.append(doomed["name"])


# --- One run --------------------------------------------------------------------------------------


def ensure_volume(client: LinstorClient, params: Mapping[str, Any], check_mode: bool = False,
                  diff: bool = False, *, warnings: list[str]) -> dict[str, Any]:
    """Bring one Incus volume to the state the module's options describe; return the module result.
    ``warnings``: the run's list (:data:`._module.Operation`), the outcome's warnings."""
    request = parse_request(params)
    names = [request.name] if request.rename_from is None else [request.name, request.rename_from]
    found = read_until_settled(
        client,
        lambda: find_volumes(client, request.prefix, request.volume_type, request.project, names,
                             request.resource_group),
        lambda found: any(duplicated(rds) for rds in found.values()))
    rd = single(found[request.name], request.incus_name, "name", request.prefix)
    old_rd = None
    if request.rename_from is not None:
        old_rd = single(found[request.rename_from], request.rename_from_incus_name, "rename_from", request.prefix)
        if rd is not None and old_rd is not None:
            raise rename_onto_existing(request, rd, old_rd)
        if rd is None and old_rd is None:
            require_group(client, request.resource_group, check_mode, warnings)
            message = rename_source_missing_message(request)
            if not check_mode:
                raise ModuleFailure(message, "rename_from")
            # an earlier task of the same check run may create rename_from: predict the rename, and say so
            before, after = predicted_rename_views(request)
            outcome = Outcome(before, warnings)
            outcome.volume = after
            outcome.changed = True
            outcome.warnings.append(check_mode_warning(message, request.rename_from_incus_name or ""))
            return outcome.result(diff)
    if request.state == "absent":
        if rd is not None:
            refuse_other_content_type(request, rd)
        stalled = stalled_deletes(request, found[request.name])
        doomed = first_doomed(rd, stalled)
        outcome = Outcome(volume_view(doomed, request.prefix) if doomed is not None else None, warnings)
        outcome.warnings += deleting_warnings([other for other in found[request.name] if other not in stalled],
                                              request.incus_name, absent=True)
        if doomed is None:  # gone, going, or never in a group that exists?
            warn_if_group_missing(client, request.resource_group, outcome.warnings)
        delete_volume_rds(client, request, rd, stalled, outcome, check_mode)
        return outcome.result(diff)

    existing = rd if rd is not None else old_rd
    before = volume_view(existing, request.prefix) if existing is not None else None
    outcome = Outcome(before, warnings)
    if rd is None:  # gone or going, to be created, or renamed to
        outcome.warnings += deleting_warnings(found[request.name], request.incus_name)
    outcome.warnings += refused_delete_warnings(existing, request.incus_name)
    if existing is None:
        if check_mode:  # a real create learns both from LINSTOR's refusals, without these requests
            group = require_group(client, request.resource_group, check_mode, outcome.warnings)
            if request.source is None:  # a copy is placed where its source is
                outcome.warnings += placement_warnings(client, group)
        if request.source is None:  # a copy has its source's content type: copy_request_for checks it
            refuse_filesystem_keys(request.user_properties, request.volume_type, request.content_type)
        rules = refuse_invalid_properties(client.property_rules,
                                          {"properties": user_properties_written(request, None)})
        if request.source is not None and request.source.snapshot is not None:
            # _snapshots builds on this module; imported here to keep the import graph one-way.
            from ansible_collections.linstor.incus.plugins.module_utils._snapshots import copy_from_snapshot

            copy_from_snapshot(client, request, outcome, check_mode)
        elif request.source is not None:
            copy_volume(client, request, outcome, check_mode)
        else:
            create_volume(client, request, outcome, check_mode)
        outcome.volume = stored_view(outcome.volume, rules)
        return outcome.result(diff)

    plan = plan_changes(request, existing, rename=existing is old_rd)
    if plan.empty:
        return outcome.result(diff)
    rules = refuse_invalid_properties(client.property_rules, {"properties": user_properties_written(request, plan)})
    outcome.warnings += filesystem_grow_warnings(request.incus_name, existing, plan)
    outcome.changed = True
    outcome.volume = stored_view(apply_plan_to_view(before, plan, request.prefix), rules)
    if not check_mode:
        update_volume(client, existing["name"], plan, outcome)
    return outcome.result(diff)


def stored_view(view: dict[str, Any] | None, rules: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any] | None:
    """A volume view with its property values as LINSTOR stores them (``Yes`` as ``yes``), when a whitelist was
    read for them (:func:`._naming.stored_properties`): a view planned from the request shows what a read shows."""
    if not rules or not view:
        return view
    return dict(view, properties=stored_properties(rules, view["properties"]))
