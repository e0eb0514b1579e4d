# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource group of an Incus LINSTOR pool: what Incus makes, how to read it, how to repair it.

Incus (``internal/server/storage/drivers/driver_linstor*.go``) creates a pool's resource group
with the description "Resource group managed by Incus", a select filter holding
``linstor.resource_group.place_count`` and, when set, ``linstor.resource_group.storage_pool``,
the DRBD options of the pool (``drbd.on_no_quorum`` defaults to ``suspend-io`` and
``drbd.auto_add_quorum_tiebreaker`` to ``true``; ``drbd.auto_diskful`` is unset unless given)
and ``DrbdOptions/Disk/rs-discard-granularity=1048576``, unless the pool's ``linstor.raw.*`` keys (extra
properties of the group) give that key another value. When a DRBD option is unset on the pool, Incus
removes its property from the group.

This module computes that desired state (:func:`desired_group`), compares it with the group
LINSTOR returns (:func:`changes`) and applies the difference in one request. Deleting refuses
while any resource definition still belongs to the group (:func:`ensure_absent`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.linstor.incus.plugins.module_utils._client import (
    AUTO_QUORUM_REWORK_RELEASE,
    MODIFIED,
    WARN_NOT_CONNECTED,
    LinstorClient,
    LinstorError,
    code_of,
    release_text,
)
from ansible_collections.linstor.incus.plugins.module_utils._module import ModuleFailure
from ansible_collections.linstor.incus.plugins.module_utils._naming import (
    AUTO_ADD_QUORUM_TIEBREAKER_KEY,
    AUTO_DISKFUL_KEY,
    AUTO_QUORUM_KEY,
    DRBD_OPTION_KEYS,
    FILESYSTEM_NAMESPACE,
    ON_NO_QUORUM_KEY,
    NamingError,
    drbd_option_properties,
    drbd_options_of,
    property_values_match,
    refuse_invalid_properties,
    removed_user_properties,
    stored_properties,
    validate_linstor_name,
    validate_user_properties,
)

# --- What Incus writes (declared once) --------------------------------------------------------

INCUS_DESCRIPTION = "Resource group managed by Incus"
"""The description Incus gives the resource groups it creates."""
RS_DISCARD_GRANULARITY_KEY = "DrbdOptions/Disk/rs-discard-granularity"
RS_DISCARD_GRANULARITY = "1048576"
"""Incus's resync tuning, set on every resource group it creates."""
DEFAULT_PLACE_COUNT = 2
"""``linstor.resource_group.place_count`` when the pool does not set it."""
DEFAULT_ON_NO_QUORUM = "suspend-io"
"""``drbd.on_no_quorum`` when the pool does not set it (Incus fills it in at pool creation)."""
DEFAULT_AUTO_ADD_QUORUM_TIEBREAKER = True
"""``drbd.auto_add_quorum_tiebreaker`` when the pool does not set it."""

STORAGE_POOL_NAME_RE = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9_-]{2,47}")
"""LINSTOR's rule for storage pool names (``StorPoolName`` in the REST API spec): 3 to 48 characters."""

MANAGED_PROPERTY_KEYS = (ON_NO_QUORUM_KEY, AUTO_DISKFUL_KEY, AUTO_ADD_QUORUM_TIEBREAKER_KEY,
                         RS_DISCARD_GRANULARITY_KEY)
"""The group properties this collection owns; every other property of the group is left alone."""


class ResourceGroupInUse(ModuleFailure):
    """The group cannot be deleted: resource definitions still belong to it (listed in the result)."""

    def __init__(self, name: str, resource_definitions: list[str]) -> None:
        super().__init__(
            f"state=absent: resource group {name!r} is used by {len(resource_definitions)} resource "
            f"definition(s): {', '.join(resource_definitions)}; delete those volumes first (nothing was deleted)",
            parameter="state", resource_definitions=resource_definitions)


@dataclass(frozen=True)
class DesiredGroup:
    """The resource group as Incus would create it for the given pool settings."""

    name: str
    description: str
    place_count: int
    storage_pool: str | None
    """``None``: no storage pool is requested; an existing group keeps whatever it has."""
    props: dict[str, str] = field(default_factory=dict)
    """Managed and user properties, and the values they must have."""
    absent_props: tuple[str, ...] = ()
    """Properties the group must not carry (an unset DRBD option, a user property given as null)."""
    user_keys: tuple[str, ...] = ()
    """The keys of the ``properties`` option (set or removed): those LINSTOR's whitelist is asked about."""


def desired_group(
    name: str,
    place_count: int = DEFAULT_PLACE_COUNT,
    storage_pool: str | None = None,
    drbd_options: dict[str, Any] | None = None,
    description: str = INCUS_DESCRIPTION,
    properties: dict[str, Any] | None = None,
) -> DesiredGroup:
    """Validate the options and return the group Incus would create; raises NamingError naming the option."""
    validate_linstor_name(name, "name")
    if isinstance(place_count, bool) or not isinstance(place_count, int) or place_count < 1:
        raise NamingError("place_count", f"place_count must be a whole number of at least 1, got {place_count!r}")
    if storage_pool is not None:
        validate_storage_pool_name(storage_pool)
    if description is None or not isinstance(description, str):
        raise NamingError("description", f"description must be a string, got {description!r}")
    options = {"on_no_quorum": DEFAULT_ON_NO_QUORUM, "auto_diskful": None,
               "auto_add_quorum_tiebreaker": DEFAULT_AUTO_ADD_QUORUM_TIEBREAKER}
    options.update({key: value for key, value in (drbd_options or {}).items() if value is not None})
    unknown = sorted(set(options) - {"on_no_quorum", "auto_diskful", "auto_add_quorum_tiebreaker"})
    if unknown:
        raise NamingError(f"drbd_options.{unknown[0]}", f"drbd_options.{unknown[0]} is not a DRBD option Incus sets")
    user_props = validate_user_properties(properties)
    removed = removed_user_properties(properties)
    filesystem_keys = sorted(key for key in user_props if key.startswith(FILESYSTEM_NAMESPACE))
    if filesystem_keys:
        raise NamingError("properties", f"{filesystem_keys[0]!r} on a resource group reaches every volume spawned "
                                        "from it, and LINSTOR would make that filesystem on raw disks too (virtual "
                                        "machines, block volumes); set it per filesystem volume "
                                        "(linstor_incus_volume's properties)")
    for option, key in DRBD_OPTION_KEYS.items():
        if key in removed:  # a group's DRBD options follow drbd_options, as a pool's drbd.* keys do
            raise NamingError("properties", f"{key!r} of a resource group follows drbd_options.{option}; it cannot "
                                            "be removed through properties")
    props = drbd_option_properties(**options)
    # Incus sets its resync tuning unless linstor.raw.* gives it, and puts it back when that key is unset
    props[RS_DISCARD_GRANULARITY_KEY] = user_props.pop(RS_DISCARD_GRANULARITY_KEY, RS_DISCARD_GRANULARITY)
    props.update(user_props)
    absent = tuple(key for key in MANAGED_PROPERTY_KEYS if key not in props) + tuple(
        key for key in removed if key != RS_DISCARD_GRANULARITY_KEY)
    user_keys = tuple(sorted(key for key, value in (properties or {}).items()  # a discard granularity given too
                             if key != RS_DISCARD_GRANULARITY_KEY or value is not None))
    return DesiredGroup(name, description, place_count, storage_pool, props, absent, user_keys)


def validate_storage_pool_name(value: str, parameter: str = "storage_pool") -> str:
    """Return ``value`` if LINSTOR accepts it as a storage pool name, else raise NamingError."""
    if not isinstance(value, str) or not STORAGE_POOL_NAME_RE.fullmatch(value):
        raise NamingError(
            parameter, f"{parameter} {value!r} is not a valid LINSTOR storage pool name: it must be 3 to 48 "
            "characters, letters, digits, '_' and '-', not starting with '-'")
    return value


# --- Reading a group back ------------------------------------------------------------------


def storage_pools(select_filter: dict[str, Any]) -> list[str]:
    """The storage pools of a select filter: ``storage_pool_list``, else the single ``storage_pool``."""
    pools = list(select_filter.get("storage_pool_list") or [])
    if not pools and select_filter.get("storage_pool"):
        pools = [select_filter["storage_pool"]]
    return pools


def group_view(group: dict[str, Any] | None) -> dict[str, Any]:
    """The settings of a group as LINSTOR returns it, as the module reports them (``{}`` if missing)."""
    if not group:
        return {}
    select_filter = group.get("select_filter") or {}
    pools = storage_pools(select_filter)
    return {
        "name": group.get("name"),
        "description": group.get("description") or "",
        "place_count": select_filter.get("place_count"),
        "storage_pool": pools[0] if len(pools) == 1 else None,
        "storage_pool_list": pools,
        "props": dict(sorted((group.get("props") or {}).items())),
        "drbd_options": drbd_options_of(group.get("props") or {}),
    }


def desired_view(desired: DesiredGroup, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The view the group will have once ``desired`` is applied to ``current`` (``None``: a new group)."""
    view = group_view(current) if current else {
        "name": desired.name, "description": "", "place_count": None, "storage_pool": None,
        "storage_pool_list": [], "props": {}}
    props = {key: value for key, value in view["props"].items() if key not in desired.absent_props}
    # a value LINSTOR keeps normalised ("Yes" as "yes") is no change, and the view shows it as LINSTOR keeps it
    props.update({key: value for key, value in desired.props.items()
                  if not property_values_match(key, props.get(key), value)})
    view.update(description=desired.description, place_count=desired.place_count,
                props=dict(sorted(props.items())), drbd_options=drbd_options_of(props))
    if desired.storage_pool is not None:
        view.update(storage_pool=desired.storage_pool, storage_pool_list=[desired.storage_pool])
    return view


# --- Request bodies ------------------------------------------------------------------------


def creation_body(desired: DesiredGroup) -> dict[str, Any]:
    """The POST body creating the group. LINSTOR ignores properties in it ("currently props are not
    supported on creation", ResourceGroups.java), so Incus, and :func:`ensure_present`, set them next."""
    select_filter: dict[str, Any] = {"place_count": desired.place_count}
    if desired.storage_pool is not None:
        select_filter["storage_pool"] = desired.storage_pool
    return {"name": desired.name, "description": desired.description, "select_filter": select_filter}


def changes(current: dict[str, Any], desired: DesiredGroup) -> dict[str, Any]:
    """The smallest modify (PUT) body taking ``current`` to ``desired``; ``{}`` when nothing differs."""
    body: dict[str, Any] = {}
    if (current.get("description") or "") != desired.description:
        body["description"] = desired.description
    current_filter = current.get("select_filter") or {}
    select_filter: dict[str, Any] = {}
    if current_filter.get("place_count") != desired.place_count:
        select_filter["place_count"] = desired.place_count
    if desired.storage_pool is not None and storage_pools(current_filter) != [desired.storage_pool]:
        # Both fields: LINSTOR keeps the list, and a stale list would otherwise outlive the change.
        select_filter["storage_pool"] = desired.storage_pool
        select_filter["storage_pool_list"] = [desired.storage_pool]
    if select_filter:
        body["select_filter"] = select_filter
    props = current.get("props") or {}
    override = {key: value for key, value in desired.props.items()
                if not property_values_match(key, props.get(key), value)}
    if override:
        body["override_props"] = override
    delete = [key for key in desired.absent_props if key in props]
    if delete:
        body["delete_props"] = delete
    return body


# --- Operations ----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What an operation did: whether it changed anything, the views for diff (its warnings go to the run's list)."""

    changed: bool
    before: dict[str, Any]
    after: dict[str, Any]


def _messages(entries: list[dict[str, Any]]) -> list[str]:
    return [entry.get("message") or str(entry) for entry in entries or []]


def ensure_present(client: LinstorClient, desired: DesiredGroup, check_mode: bool, warnings: list[str]) -> Outcome:
    """Create the group, then set its properties (two writes, as Incus), or repair its drift with one write;
    each after one read. ``warnings``: the run's list, which what is found goes into as it is found (a failure
    after it still reports it; :func:`._module.run_module`)."""
    current = client.get_resource_group(desired.name)
    body = changes(current, desired) if current is not None else {}
    if current is not None and not body:
        view = group_view(current)
        return Outcome(False, view, view)
    # what is written: every property of a new group; the properties the modify sets, and (None) removes
    written = desired.props if current is None else {
        **(body.get("override_props") or {}), **dict.fromkeys(body.get("delete_props") or [])}
    rules = refuse_invalid_properties(client.property_rules, {
        "properties": {key: value for key, value in written.items() if key in desired.user_keys}},
        "resource-groups")
    after = desired_view(desired, current)
    after["props"] = stored_properties(rules, after["props"])  # "Yes" shown as LINSTOR keeps it
    quorum_written = bool({ON_NO_QUORUM_KEY, AUTO_QUORUM_KEY} & written.keys())
    if quorum_written:
        warnings += auto_quorum_warnings(client, desired, current)
    if current is None or "select_filter" in body:
        warnings += placement_warnings(client, desired, current)
    if current is None:
        warnings += [] if check_mode else _create(client, desired)
        return Outcome(True, {}, after)
    warnings += [] if check_mode else _modify(client, current["name"], body)
    return Outcome(True, group_view(current), after)


def auto_quorum_warnings(client: LinstorClient, desired: DesiredGroup, current: dict[str, Any] | None) -> list[str]:
    """Before LINSTOR 1.31, whether the group's on-no-quorum reaches the volumes LINSTOR places: its auto-quorum
    writes ``on-no-quorum`` on each RD whose placement allows quorum, with the value of ``DrbdOptions/auto-quorum``
    (RD, group, controller: ``io-error`` as LINSTOR installs it) over the one the RD inherits, unless that is
    ``disabled``. Asked when the group is created or either property is written (any other run reads no more than
    before): one read of the controller's version, and before 1.31 of its properties when the group does not set
    ``DrbdOptions/auto-quorum``."""
    wanted = desired.props.get(ON_NO_QUORUM_KEY)
    if wanted is None or client.release() >= AUTO_QUORUM_REWORK_RELEASE:
        return []
    if AUTO_QUORUM_KEY in desired.props:
        policy, where = desired.props[AUTO_QUORUM_KEY], "the group (properties)"
    elif AUTO_QUORUM_KEY in desired.absent_props:
        policy, where = None, ""
    else:
        policy, where = ((current or {}).get("props") or {}).get(AUTO_QUORUM_KEY), "the group"
    if policy is None:
        try:
            policy, where = client.controller_properties().get(AUTO_QUORUM_KEY), "the controller"
        except LinstorError as error:
            return [f"could not read the controller's properties to check that drbd_options.on_no_quorum reaches the "
                    f"volumes of resource group {desired.name} on LINSTOR before "
                    f"{release_text(AUTO_QUORUM_REWORK_RELEASE)}: {error}"]
    if policy is None or policy.lower() in ("disabled", wanted):
        return []
    return [f"drbd_options.on_no_quorum {wanted} does not reach the volumes LINSTOR places in resource group "
            f"{desired.name}: before {release_text(AUTO_QUORUM_REWORK_RELEASE)} (this controller runs "
            f"{release_text(client.release())}) LINSTOR's auto-quorum sets "
            f"{ON_NO_QUORUM_KEY} on each volume whose placement allows quorum to the value of {AUTO_QUORUM_KEY}, "
            f"{policy!r} on {where}. Give the group the property {AUTO_QUORUM_KEY}: {wanted} (properties) so that "
            "both agree (LINSTOR then sets it on the group's volumes at once)"]


def placement_warnings(client: LinstorClient, desired: DesiredGroup, current: dict[str, Any] | None) -> list[str]:
    """What will keep LINSTOR from placing the group's volumes, from one read of the cluster's storage pools: a
    storage pool no node has as a diskful pool, a place count above the nodes that can hold a replica. Warnings, not
    errors: the nodes and pools may come after the group (and a failed read is only a warning too)."""
    given = desired.storage_pool is not None
    pools = [desired.storage_pool] if given else storage_pools((current or {}).get("select_filter") or {})
    try:
        problem = placement_problem(client, desired.name, desired.place_count, pools, given)
    except LinstorError as error:
        return [unread_pools_warning(desired.name, error)]
    return [problem] if problem else []


def unread_pools_warning(group_name: str, error: LinstorError) -> str:
    """What a placement check says when the storage pools could not be read."""
    return (f"could not read the cluster's storage pools to check that volumes of resource group {group_name} "
            f"can be placed: {error}")


def group_placement_problem(client: LinstorClient, group: Mapping[str, Any]) -> str | None:
    """:func:`placement_problem` of an existing group, as its select filter stands (None without a place count)."""
    select_filter = group.get("select_filter") or {}
    place_count = select_filter.get("place_count")
    if not isinstance(place_count, int):
        return None
    return placement_problem(client, group.get("name") or "", place_count, storage_pools(select_filter), False)


def placement_problem(client: LinstorClient, group_name: str, place_count: int, pools: list[str],
                      pools_given: bool) -> str | None:
    """What keeps LINSTOR from placing ``place_count`` replicas of a group's volume, from one read of the cluster's
    storage pools (``GET /v1/view/storage-pools``): a storage pool no node has as a diskful pool, a place count above
    the nodes that can hold a replica. LINSTOR's autoplacer takes online nodes only: a pool that reports its node not
    connected does not count, and the problem names such nodes. ``pools_given``: the pools are an option's, not the
    group's. A failed read raises LinstorError (:func:`unread_pools_warning`)."""
    listing = client.view_storage_pools()
    wanted = {name.lower() for name in pools}
    candidates = [pool for pool in listing if str(pool.get("provider_kind") or "").upper() != "DISKLESS"
                  and (not wanted or str(pool.get("storage_pool_name") or "").lower() in wanted)]
    offline = sorted({pool.get("node_name") for pool in candidates if _not_connected(pool)})
    hosts = {pool.get("node_name") for pool in candidates} - set(offline)
    named = f"storage_pool {', '.join(pools)}" if pools_given else f"the group's storage pool {', '.join(pools)}"
    where = f"storage pool {', '.join(pools)}" if pools else "a diskful storage pool"
    if pools and not candidates:
        return (f"{named}: no node has it as a diskful storage pool (GET /v1/view/storage-pools), so LINSTOR cannot "
                f"place volumes of resource group {group_name} until one has")
    if len(hosts) < place_count:
        nodes = (f"{len(hosts)} online node(s) with {where} (LINSTOR places on online nodes only; not connected: "
                 f"{', '.join(offline)})") if offline else f"{len(hosts)} node(s) with {where}"
        return (f"place_count {place_count} is more than the {nodes}, so LINSTOR cannot give volumes of resource "
                f"group {group_name} {place_count} replicas until there are more")
    return None


def _not_connected(pool: Mapping[str, Any]) -> bool:
    """Whether a listed storage pool reports its node's satellite not connected (WARN_NOT_CONNECTED)."""
    return any(code_of(report.get("ret_code") or 0) == WARN_NOT_CONNECTED for report in pool.get("reports") or [])


def _modify(client: LinstorClient, name: str, body: dict[str, Any]) -> list[str]:
    """Repair the group's drift. A modify that sets ``place_count`` makes LINSTOR autoplace each RD of the
    group with fewer resources, after committing the modify: when placing fails, the group has changed and
    the volumes are short (LINSTOR's reply names them), which the failure says."""
    try:
        return _messages(client.modify_resource_group(name, body))
    except LinstorError as error:
        if not error.also_reports(MODIFIED):
            raise
        place_count = (body.get("select_filter") or {}).get("place_count")
        raise ModuleFailure(
            f"resource group {name} was changed, but LINSTOR could not give every volume of it {place_count} "
            f"replicas: {error} The group keeps the new place_count, so running this task again changes nothing; "
            "once there are enough nodes and storage, place the missing replicas with `linstor resource-group "
            f"adjust {name}`, or lower place_count.", "place_count", changed=True,
            linstor_error=error.to_dict()) from error


def _create(client: LinstorClient, desired: DesiredGroup) -> list[str]:
    """Create the group and set its properties; a group whose properties could not be set is deleted again."""
    warnings = _messages(client.create_resource_group(creation_body(desired)))
    if not desired.props:
        return warnings
    try:
        return warnings + _messages(client.modify_resource_group(desired.name, {"override_props": dict(desired.props)}))
    except LinstorError as error:
        try:
            with client.unstoppable():  # an undo
                client.delete_resource_group(desired.name)
        except LinstorError as undo_error:
            raise ModuleFailure(f"{error} Resource group {desired.name} was created without its properties, and "
                                f"deleting it again failed: {undo_error}", None, changed=True,
                                left_behind=[f"resource group {desired.name}"],
                                linstor_error=error.to_dict()) from error
        raise ModuleFailure(f"{error} Resource group {desired.name} was created and deleted again.", None,
                            linstor_error=error.to_dict()) from error


def in_group(rd: Mapping[str, Any], resource_group: str) -> bool:
    """Whether an RD belongs to the resource group (LINSTOR names are case-insensitive)."""
    return (rd.get("resource_group_name") or "").lower() == resource_group.lower()


def resource_definitions_of(client: LinstorClient, group_name: str) -> list[str]:
    """Names of the RDs that belong to the group."""
    return sorted(rd["name"] for rd in client.list_resource_definitions(with_volume_definitions=False)
                  if in_group(rd, group_name))


def ensure_absent(client: LinstorClient, name: str, check_mode: bool, warnings: list[str]) -> Outcome:
    """Delete the group unless an RD still uses it (then raise ResourceGroupInUse, having written nothing).
    ``warnings`` as :func:`ensure_present`'s."""
    validate_linstor_name(name, "name")
    current = client.get_resource_group(name)
    if current is None:
        return Outcome(False, {}, {})
    users = resource_definitions_of(client, current["name"])
    if users:
        raise ResourceGroupInUse(current["name"], users)
    warnings += [] if check_mode else _messages(client.delete_resource_group(current["name"]))
    return Outcome(True, group_view(current), {})
