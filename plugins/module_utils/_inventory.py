# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listing the Incus volumes of a resource group, with what is wrong around them.

Request budget (whatever the number of volumes):

- the listing itself is ONE ``GET /v1/resource-definitions``;
- ``include_resources`` adds one ``GET /v1/view/resources``;
- ``include_snapshots`` adds one ``GET /v1/view/snapshots``;
- only when the listing holds no RD of the group, one ``GET /v1/resource-groups/<group>`` tells
  an empty group from a missing (misspelt) one, which fails.

LINSTOR cannot filter RDs by resource group on the server (``/v1/resource-definitions`` takes
only ``resource_definitions``, ``with_volume_definitions``, ``props``, ``offset`` and ``limit``),
so the listing filters on the aux keys on the server (:func:`listing_filters`, or Incus's exact
lookup filters when one volume is named) and keeps the group's RDs here. The filter asks for the
name and type keys, as Incus's lookup does, never the content type (an RD lacking only its content
type is listed, and reported as an orphan, and like a twin of the other content type named among the
duplicates of the volume it blocks); the price: an RD that lacks its name or type key (spawned, then its creator
died before setting them) is invisible to that filter. ``scan_all`` trades the server-side filter
for an unfiltered listing, still one request, that sees such orphans too; it transfers every RD of
the controller, so it is for audits.

Pure functions (:func:`build_inventory`, :func:`resource_view`) do the work on LINSTOR's
replies, with the snapshot views of ``_snapshots`` (one shape for every module);
:func:`list_volumes` only adds the requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.linstor.incus.plugins.module_utils._client import LinstorClient, is_diskless, is_tie_breaker
from ansible_collections.linstor.incus.plugins.module_utils._module import ModuleFailure
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    DEFAULT_PREFIX,
    TYPE_IMAGES,
    check_content_type,
    is_generated_name,
    is_incus_key,
    listing_filters,
    lookup_filters,
    mounted_snapshot,
    normalize_volume_type,
    open_claims,
    unmapped_snapshots,
    validate_content_type,
    validate_listed_name,
    validate_prefix,
    validate_project,
    validate_resource_group,
    volume_problem,
    volume_view,
)
from ansible_collections.linstor.incus.plugins.module_utils._resource_groups import in_group
from ansible_collections.linstor.incus.plugins.module_utils._snapshots import (
    dangling_mappings,
    snapshot_details,
    volume_snapshots,
)
from ansible_collections.linstor.incus.plugins.module_utils._volumes import (
    claims_by_identity,
    missing_group_message,
    missing_group_warning,
    other_prefix_warnings,
)


class InventoryError(ValueError):
    """The listing cannot be made as asked; ``parameter`` names the option to change."""

    parameter = ""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if parameter:
            self.parameter = parameter


QUERY_REASON_LIMIT = 300
"""How much of jmespath's reason a failed query's message quotes."""


class QueryError(InventoryError):
    """The ``query`` option is not a valid JMESPath expression, or fails on the result."""

    parameter = "query"


@dataclass(frozen=True)
class Selection:
    """Which Incus volumes of a group to list: every field ``None`` means no filter on it."""

    name: str | None = None
    volume_type: str | None = None
    project: str | None = None
    content_type: str | None = None

    @classmethod
    def from_options(
        cls,
        name: str | None = None,
        volume_type: str | None = None,
        project: str | None = None,
        content_type: str | None = None,
    ) -> Selection:
        """Validate and normalise the filters as a user gives them (singular or plural type)."""
        if volume_type is not None:
            volume_type = normalize_volume_type(volume_type)
        if project is not None:
            validate_project(project)
        if content_type is not None:
            if volume_type is not None:
                validate_content_type(volume_type, content_type)
            else:
                check_content_type(content_type)
        if name is not None:
            validate_listed_name(name, volume_type)
        return cls(name, volume_type, project, content_type)

    def server_filters(self, prefix: str) -> list[str]:
        """The ``props`` filters of the one listing request.

        With ``name`` and ``type`` given (and ``project``, except for images, which live in the
        default project), this is Incus's own exact lookup; otherwise the listing filter. Neither
        filters on the content type (:meth:`matches` does): Incus does not, so a twin of another
        content type is read, and reported among the duplicates.
        """
        exact_project = self.project if self.volume_type != TYPE_IMAGES else (self.project or "default")
        if self.name is not None and self.volume_type is not None and exact_project is not None:
            return lookup_filters(prefix, self.volume_type, exact_project, self.name)
        return listing_filters(self.volume_type)

    def matches(self, volume: dict[str, Any]) -> bool:
        return all(wanted is None or volume[key] == wanted for key, wanted in (
            ("name", self.name), ("type", self.volume_type), ("project", self.project),
            ("content_type", self.content_type)))


# --- Views of LINSTOR objects ----------------------------------------------------------------


def resource_view(resource: dict[str, Any]) -> dict[str, Any]:
    """Where one replica of a volume is placed, from LINSTOR's ResourceWithVolumes."""
    flags = list(resource.get("flags") or [])
    diskless = is_diskless(resource)
    volumes = sorted(resource.get("volumes") or [], key=lambda volume: volume.get("volume_number", 0))
    return {
        "node": resource.get("node_name"),
        "diskless": diskless,
        "tie_breaker": is_tie_breaker(resource),
        "in_use": (resource.get("state") or {}).get("in_use"),
        "flags": flags,
        "volumes": [{
            "number": volume.get("volume_number"),
            "storage_pool": volume.get("storage_pool_name"),
            "device_path": volume.get("device_path"),
            "disk_state": (volume.get("state") or {}).get("disk_state"),
            "allocated_size_kib": volume.get("allocated_size_kib"),
            "usable_size_kib": volume.get("usable_size_kib"),
        } for volume in volumes],
    }


# --- The inventory ---------------------------------------------------------------------------


def build_inventory(
    rds: Iterable[dict[str, Any]],
    resource_group: str,
    prefix: str = DEFAULT_PREFIX,
    selection: Selection | None = None,
    snapshots: Iterable[dict[str, Any]] | None = None,
    resources: Iterable[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Volumes and anomalies from LINSTOR's replies (no I/O).

    ``rds``: RDs as ``GET /v1/resource-definitions?with_volume_definitions=true`` returns them
    (any superset of the group's is fine). ``snapshots``: ``/v1/view/snapshots`` items, or
    ``None`` when not read (then each volume has no ``snapshot_details`` and the two snapshot
    anomaly lists stay empty). ``resources``: ``/v1/view/resources`` items, or ``None`` (then no
    ``resources`` key, and no ``unplaced`` anomaly).
    """
    validate_prefix(prefix)
    selection = selection or Selection()
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    orphans: list[dict[str, Any]] = []
    orphan_claims: list[dict[str, Any]] = []
    rds = list(rds)
    for rd in rds:
        if not in_group(rd, resource_group):
            continue
        props = rd.get("props") or {}
        view = volume_view(rd, prefix)
        mount = mounted_snapshot(rd, prefix) if view is None else None
        if mount is not None:  # Incus's, while it has the snapshot mounted: its claims, captured, hold nothing
            if selection.matches(mount):
                mounts.append(mount)
            continue
        if view is None:
            if is_generated_name(prefix, rd.get("name", "")):
                orphan_claims += [{**_orphan_identity(rd["name"]), "snapshot": incus_snapshot,
                                   "linstor_snapshot": linstor_snapshot}
                                  for linstor_snapshot, incus_snapshot in sorted(open_claims(props).items())]
                orphans.append({
                    "resource_definition": rd["name"],
                    "resource_group": rd.get("resource_group_name"),
                    "reason": volume_problem(rd, prefix),
                    "aux_properties": {key: value for key, value in sorted(props.items())
                                       if is_incus_key(key)},
                })
            continue
        if selection.matches(view):
            volumes.append({**view, "flags": list(rd.get("flags") or [])})  # DELETE: LINSTOR is deleting it
    volumes.sort(key=lambda v: (v["type"], v["project"], v["name"], v["resource_definition"]))
    orphans.sort(key=lambda orphan: orphan["resource_definition"])
    mounts.sort(key=lambda mount: (mount["type"], mount["project"], mount["name"], mount["snapshot"],
                                   mount["resource_definition"]))

    # A volume or snapshot mount listed is a duplicate when Incus's lookup finds more RDs than its own: any RD of
    # the group with its name and type keys, whatever else it lacks (its content type) or however it differs
    listed = {item["resource_definition"]: item for item in volumes + mounts}
    duplicates = []
    claims = claims_by_identity(rds, resource_group)
    for identity in sorted(claims):
        rd_names = [rd["name"] for rd in claims[identity]]
        shown = [listed[name] for name in sorted(rd_names) if name in listed]
        if len(rd_names) > 1 and shown:
            duplicates.append({**{key: shown[0][key] for key in ("name", "project", "type", "incus_name")},
                               "snapshot": shown[0].get("snapshot"), "resource_definitions": sorted(rd_names)})
    snapshot_claims = [{**_identity(volume), "snapshot": incus_snapshot, "linstor_snapshot": linstor_snapshot}
                       for volume in volumes
                       for linstor_snapshot, incus_snapshot in sorted(open_claims(volume["properties"]).items())]
    snapshot_claims += orphan_claims

    dangling: list[dict[str, Any]] = []
    unmapped: list[dict[str, Any]] = []
    if snapshots is not None:
        # RD name -> LINSTOR snapshot name -> details; LINSTOR names ignore case
        details = {name.lower(): value for name, value in snapshot_details(snapshots).items()}
        for volume in volumes:
            rd_snapshots = details.get(volume["resource_definition"].lower(), {})
            volume["snapshot_details"] = volume_snapshots(volume["properties"], rd_snapshots)
            dangling += [{**_identity(volume), "snapshot": name, "linstor_snapshot": volume["snapshots"][name]}
                         for name in dangling_mappings(volume["properties"], rd_snapshots)]
            unmapped += _unmapped(_identity(volume), volume["properties"], rd_snapshots, prefix)
        for orphan in orphans:
            rd_snapshots = details.get(orphan["resource_definition"].lower(), {})
            identity = _orphan_identity(orphan["resource_definition"])
            unmapped += _unmapped(identity, orphan["aux_properties"], rd_snapshots, prefix)

    unplaced: list[dict[str, Any]] = []
    if resources is not None:
        placed: dict[str, list[dict[str, Any]]] = {}
        for resource in resources:
            placed.setdefault(resource.get("name", "").lower(), []).append(resource_view(resource))
        for volume in volumes + mounts:
            volume["resources"] = sorted(placed.get(volume["resource_definition"].lower(), []),
                                         key=lambda item: item["node"] or "")
        for volume in volumes:
            if not any(not resource["diskless"] for resource in volume["resources"]):
                unplaced.append({**_identity(volume), "nodes": [resource["node"] for resource in volume["resources"]]})

    return {
        "volumes": volumes,
        "snapshot_mounts": mounts,
        "anomalies": {
            "orphans": orphans,
            "duplicates": duplicates,
            "dangling_snapshot_mappings": dangling,
            "unmapped_snapshots": unmapped,
            "snapshot_claims": snapshot_claims,
            "unplaced": unplaced,
        },
    }


def _orphan_identity(rd_name: str) -> dict[str, Any]:
    """The identity fields of an anomaly on an orphan RD: no Incus identity, its RD."""
    return {"name": None, "project": None, "type": None, "incus_name": None, "resource_definition": rd_name}


def _unmapped(identity: dict[str, Any], props: dict[str, str], rd_snapshots: dict[str, dict[str, Any]],
              prefix: str) -> list[dict[str, Any]]:
    """The RD's LINSTOR snapshots named with the prefix that no mapping names."""
    return [{**identity, "linstor_snapshot": name, "created_on": rd_snapshots[name]["created_on"]}
            for name in unmapped_snapshots(props, rd_snapshots) if is_generated_name(prefix, name)]


def _identity(volume: dict[str, Any]) -> dict[str, Any]:
    return {key: volume[key] for key in ("name", "project", "type", "incus_name", "resource_definition")}


def list_volumes(
    client: Any,
    resource_group: str,
    prefix: str = DEFAULT_PREFIX,
    selection: Selection | None = None,
    include_resources: bool = False,
    include_snapshots: bool = False,
    scan_all: bool = False,
    check_mode: bool = False,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    """The Incus volumes of ``resource_group`` and the anomalies around them, read from LINSTOR.

    Requests: 1 listing, +1 with ``include_resources``, +1 with ``include_snapshots``. When the
    listing holds no RD of the group, one more request tells an empty group from a missing one
    (a misspelt group must not look like a pool without volumes): :class:`InventoryError` then, or in
    check mode a warning appended to ``warnings`` (an earlier task of the check run may create the group).
    """
    validate_resource_group(resource_group)
    validate_prefix(prefix)
    selection = selection or Selection()
    props = [] if scan_all else selection.server_filters(prefix)
    rds = [rd for rd in client.list_resource_definitions(props=props, with_volume_definitions=True)
           if in_group(rd, resource_group)]
    if not rds and client.get_resource_group(resource_group) is None:
        if not check_mode:
            raise InventoryError(missing_group_message(resource_group), "resource_group")
        if warnings is not None:
            warnings.append(missing_group_warning(resource_group))
    if warnings is not None:
        warnings += other_prefix_warnings(rds, resource_group, prefix)
    names = sorted(rd["name"] for rd in rds)
    snapshots = resources = None
    if include_snapshots:
        snapshots = client.view_snapshots(names) if names else []
    if include_resources:
        resources = client.view_resources(names) if names else []
    return build_inventory(rds, resource_group, prefix, selection, snapshots, resources)


def volume_info(client: LinstorClient, params: Mapping[str, Any], check_mode: bool = False,
                diff: bool = False, *, warnings: list[str]) -> dict[str, Any]:
    """linstor_incus_volume_info: :func:`list_volumes` as the options ask, with ``query`` applied (never a change,
    so no diff). ``warnings``: the run's list (:data:`._module.Operation`)."""
    try:
        compiled = None if params["query"] is None else compile_query(params["query"])
    except ImportError as error:
        raise ModuleFailure(missing_required_lib("jmespath"), None, exception=str(error)) from error
    except QueryError as error:
        raise ModuleFailure(error.message, parameter=error.parameter) from error
    selection = Selection.from_options(params["name"], params["type"], params["project"], params["content_type"])
    try:
        result = list_volumes(client, params["resource_group"], params["prefix"], selection,
                              include_resources=params["include_resources"],
                              include_snapshots=params["include_snapshots"], scan_all=params["scan_all"],
                              check_mode=check_mode, warnings=warnings)
        if compiled is not None:
            result["query_result"] = apply_query(compiled, result)
    except InventoryError as error:
        raise ModuleFailure(error.message, parameter=error.parameter) from error
    return {"changed": False, **result}


# --- JMESPath ----------------------------------------------------------------------------------


def compile_query(expression: str) -> Any:
    """Compile a JMESPath expression; jmespath is imported here, only when a query is given.

    Raises ImportError when jmespath is missing, :class:`QueryError` for an invalid expression.
    """
    import jmespath  # noqa: PLC0415 - imported only when a query is given
    from jmespath.exceptions import JMESPathError  # noqa: PLC0415

    try:
        return jmespath.compile(expression)
    except JMESPathError as error:
        raise QueryError(f"query {expression!r} is not a valid JMESPath expression: {error}") from error


def apply_query(compiled: Any, data: dict[str, Any]) -> Any:
    """Apply a compiled expression to the result (``volumes``, ``snapshot_mounts``, ``anomalies``)."""
    from jmespath.exceptions import JMESPathError  # noqa: PLC0415

    try:
        return compiled.search(data)
    except (JMESPathError, TypeError, ValueError) as error:  # jmespath lets Python's own comparison errors through
        reason = str(error)  # jmespath's type errors quote the whole value they got: keep the start
        if len(reason) > QUERY_REASON_LIMIT:
            reason = reason[:QUERY_REASON_LIMIT] + "... (cut)"
        raise QueryError(f"query {compiled.expression!r} failed on the result: {reason}") from error
