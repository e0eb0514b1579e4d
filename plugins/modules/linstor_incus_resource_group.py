#!/usr/bin/python
# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: linstor_incus_resource_group
short_description: Ensure the LINSTOR resource group of an Incus storage pool
version_added: 0.1.0
description:
  - Creates, repairs or deletes the LINSTOR resource group that an Incus C(linstor) storage pool spawns
    its volumes from, exactly as Incus creates it when the pool is made with C(incus storage create POOL linstor).
  - The group gets the description C(Resource group managed by Incus), a select filter with O(place_count) and,
    when given, O(storage_pool), the DRBD options of O(drbd_options) and the extra O(properties) as properties,
    and C(DrbdOptions/Disk/rs-discard-granularity=1048576) unless O(properties) gives it another value.
  - When the group exists, settings that drifted (place count, storage pool, description, the DRBD option
    properties, the discard granularity, the O(properties) given) are put back with a single request. Other
    properties of the group and other select filter fields are left alone.
  - Incus adopts an existing group with the same name when a pool is created (it then reads the place count and
    storage pool from the group), so preparing the group with this module first and then creating the pool gives
    the same result as letting Incus create it.
  - Deleting refuses, and changes nothing, while any resource definition still belongs to the group;
    the error lists them.
author:
  - linstor.incus contributors (@linstor-incus)
extends_documentation_fragment:
  - linstor.incus.connection
  - linstor.incus.attributes
  - linstor.incus.attributes.writes
options:
  name:
    description:
      - Name of the resource group; the Incus pool key C(linstor.resource_group.name), which defaults to the pool name.
      - LINSTOR accepts 2 to 48 characters, starting with a letter or C(_), then letters, digits, C(_) or C(-).
    type: str
    required: true
  state:
    description:
      - V(present) creates the group or repairs its settings.
      - V(absent) deletes the group, only when no resource definition belongs to it. The other options are still
        checked (a bad value fails naming it) though only O(name) is used.
    type: str
    choices: [present, absent]
    default: present
  place_count:
    description:
      - Number of diskful replicas; the select filter's C(place_count) and the Incus pool key
        C(linstor.resource_group.place_count).
      - Raising it on a group that already has volumes makes LINSTOR add replicas to them. When LINSTOR cannot
        place them (too few nodes or too little storage), it keeps the group's new count all the same; the task fails
        naming O(place_count) and reports C(changed=true), and a second run has nothing left to repair; place the
        missing replicas with C(linstor resource-group adjust) once there is room.
    type: int
    default: 2
  storage_pool:
    description:
      - LINSTOR storage pool the group places its resources in; the select filter's C(storage_pool) and the Incus
        pool key C(linstor.resource_group.storage_pool).
      - When not set, a new group gets no storage pool (as Incus creates it) and an existing group keeps
        the storage pool it has.
    type: str
  description:
    description:
      - Description of the group. Incus writes C(Resource group managed by Incus); change it only on purpose.
    type: str
    default: Resource group managed by Incus
  drbd_options:
    description:
      - DRBD options of the pool, set as properties of the group. The same keys as the Incus pool keys C(drbd.*)
        and as the C(drbd_options) of the M(linstor.incus.linstor_incus_volume) module.
      - Defaults as Incus fills them in when a pool is created. As Incus applies a pool's whole configuration, an
        option left out is set to its default, not left as it is (a task that raises only O(place_count) puts
        C(on_no_quorum) back to V(suspend-io)), so give every option the pool needs in every task that manages it.
    type: dict
    suboptions:
      on_no_quorum:
        description:
          - What DRBD does when a resource loses quorum; the Incus pool key C(drbd.on_no_quorum), the property
            C(DrbdOptions/Resource/on-no-quorum).
          - On LINSTOR before 1.31 it does not reach the volumes LINSTOR places, for Incus either; LINSTOR's
            auto-quorum writes C(DrbdOptions/Resource/on-no-quorum) on each of them with its own value (the
            controller's C(DrbdOptions/auto-quorum), C(io-error) unless set otherwise). Give the group
            C(DrbdOptions/auto-quorum) with the same value in O(properties) to make it hold. A run that creates the
            group, or writes its C(on-no-quorum) or C(DrbdOptions/auto-quorum), warns when it would not hold; it
            reads the controller's version, and on LINSTOR before 1.31, unless the group sets
            C(DrbdOptions/auto-quorum), the controller's properties (one or two more reads).
        type: str
        choices: [io-error, suspend-io]
        default: suspend-io
      auto_diskful:
        description:
          - Time after which a primary diskless resource is made diskful if the node has storage, as a duration
            such as C(1m), C(90s) or C(1h30m), at least one minute; the Incus pool key C(drbd.auto_diskful), the
            property C(DrbdOptions/auto-diskful) (written in seconds).
          - LINSTOR reads that property in minutes (its AutoDiskfulTask) while Incus writes seconds, so LINSTOR waits
            60 times the duration given (C(10m) is written C(600), ten hours for LINSTOR). The module writes what
            Incus writes, so that Incus finds its own value; give the duration with that in mind.
          - When not set the group must not carry the property, and it is removed if present, as Incus does when
            the pool key is unset.
        type: str
      auto_add_quorum_tiebreaker:
        description:
          - Whether LINSTOR may add diskless tiebreaker resources for quorum; the Incus pool key
            C(drbd.auto_add_quorum_tiebreaker), the property C(DrbdOptions/auto-add-quorum-tiebreaker).
        type: bool
        default: true
  properties:
    description:
      - Extra properties of the group, as the Incus pool keys C(linstor.raw.*) set them (C(linstor.raw.BCache/PoolName)
        is the key C(BCache/PoolName) here). Values may be strings, integers or booleans. LINSTOR applies them to
        every volume of the group that does not set the key itself.
      - The same keys are refused as in the O(linstor.incus.linstor_incus_volume#module:properties) of a volume (Incus
        refuses them in C(linstor.raw.*) too) - keys under C(Aux/Incus/), the keys of O(drbd_options) and the DRBD
        properties Incus manages itself. C(FileSystem/) keys are refused too (on the group they would reach every
        volume, and LINSTOR would make that filesystem on the raw disks of virtual machines and block volumes).
      - C(DrbdOptions/Disk/rs-discard-granularity) replaces Incus's C(1048576). Not listed, or given as null (C(~)),
        it is set to C(1048576), as Incus does for a pool without that key; so, as with O(drbd_options), a task
        that leaves it out puts back a value an earlier task changed.
      - Keys outside C(Aux/) are checked against the controller's list of resource-group properties
        (C(GET /v1/resource-groups/properties/info)) before anything is written; a key LINSTOR does not know, or a
        value its rule refuses (C(DrbdOptions/Net/max-buffers=abc)), fails the task, naming O(properties). That list
        is read with one more request, only when such a key is about to be written or removed.
      - Other properties the group has but that are not listed here are left alone. Any other key given as null is
        removed from the group if it is there.
    type: dict
notes:
  - A run that finds the group as wanted sends one request (a GET). Creating sends four (GET, a GET of the cluster's
    storage pools, a POST that creates the group, a PUT that sets its properties, as Incus does, because LINSTOR
    ignores properties in a create; if the PUT fails, the group is deleted again). Repairing drift sends a GET and
    one PUT, and the GET of the storage pools before when O(place_count) or O(storage_pool) changes. Writing or
    removing a key of O(properties) outside C(Aux/) adds one GET of LINSTOR's property list before the writes.
    Deleting sends a GET, a listing of the resource definitions and a DELETE.
  - The storage pools are read to warn, before anything is written, when no node has O(storage_pool), or when
    O(place_count) is more than the online nodes with a diskful storage pool (with O(storage_pool), that pool;
    LINSTOR places on nodes whose satellite is connected only, and the warning names the others); the group is
    made all the same, as nodes and pools may come after it, but LINSTOR cannot place its volumes until then.
  - LINSTOR clears a group's node list (C(linstor resource-group modify --nodes)) on every change of its select filter
    that does not name the list, and does not show the list in its replies. Repairing O(place_count) or
    O(storage_pool) therefore clears such a list, as a change of the pool's keys through Incus or the C(linstor)
    client does; set it again afterwards. A run that changes neither leaves it.
  - Incus deletes a pool's resource group only when it created it itself (C(volatile.pool.pristine)); a group made by
    this module is adopted by Incus and therefore stays when the Incus pool is deleted. Delete it with O(state=absent).
seealso:
  - name: Incus LINSTOR driver
    description: The pool keys and how Incus uses the resource group.
    link: https://linuxcontainers.org/incus/docs/main/reference/storage_linstor/
  - module: linstor.incus.linstor_incus_volume
  - module: linstor.incus.linstor_incus_volume_info
"""

EXAMPLES = r"""
- name: Prepare the resource group of the Incus pool "remote", three replicas on the LINSTOR pool "thin"
  linstor.incus.linstor_incus_resource_group:
    name: remote
    place_count: 3
    storage_pool: thin
    controllers: linstor://ctrl1,linstor://ctrl2

- name: Pool where losing quorum gives I/O errors and diskless primaries turn diskful (Incus's drbd.auto_diskful=1m)
  linstor.incus.linstor_incus_resource_group:
    name: vms
    drbd_options:
      on_no_quorum: io-error
      auto_diskful: 1m  # written as 60, which LINSTOR reads as 60 minutes

- name: Pool whose resync discards in 64 KiB units and whose volumes use DRBD protocol A (Incus linstor.raw.* keys)
  linstor.incus.linstor_incus_resource_group:
    name: async
    properties:
      DrbdOptions/Disk/rs-discard-granularity: 65536
      DrbdOptions/Net/protocol: A

- name: Delete the group once no volume uses it
  linstor.incus.linstor_incus_resource_group:
    name: old-pool
    state: absent
"""

RETURN = r"""
resource_group:
  description:
    - The resource group's settings after the run (in check mode, as they would be); empty when the group is absent.
  returned: success
  type: dict
  contains:
    name:
      description: Name of the group, as LINSTOR spells it.
      type: str
    description:
      description: Description of the group.
      type: str
    place_count:
      description: The select filter's place count.
      type: int
    storage_pool:
      description: The select filter's storage pool when it names exactly one, else null.
      type: str
    storage_pool_list:
      description: The storage pools of the select filter.
      type: list
      elements: str
    props:
      description: Every property of the group.
      type: dict
    drbd_options:
      description:
        - The DRBD options the group's properties set, as O(drbd_options) takes them (null for one the group does
          not carry); C(auto_diskful) in seconds, as written on the group.
      type: dict
      contains:
        on_no_quorum:
          description: C(DrbdOptions/Resource/on-no-quorum).
          type: str
        auto_diskful:
          description: C(DrbdOptions/auto-diskful), a string of seconds as the group holds it (C("60")).
          type: str
        auto_add_quorum_tiebreaker:
          description: C(DrbdOptions/auto-add-quorum-tiebreaker); the text as it is when it is not a boolean.
          type: bool
  sample:
    name: remote
    description: Resource group managed by Incus
    place_count: 3
    storage_pool: thin
    storage_pool_list: [thin]
    props:
      DrbdOptions/Disk/rs-discard-granularity: "1048576"
      DrbdOptions/Resource/on-no-quorum: suspend-io
      DrbdOptions/auto-add-quorum-tiebreaker: "true"
    drbd_options:
      on_no_quorum: suspend-io
      auto_diskful: null
      auto_add_quorum_tiebreaker: true
resource_definitions:
  description: On a refused delete, the resource definitions that still belong to the group.
  returned: failure
  type: list
  elements: str
  sample: [incus-volume-4df9f0598bd14d73953151614428d298]
linstor_error:
  description:
    - When LINSTOR answered with an error (or could not be reached), the error as it came - C(message), C(cause),
      C(correction), C(details) and C(ret_code) of its first error entry (C(ret_code) and C(http_status) null when
      no controller answered), and every error and warning entry of the reply in C(errors) and C(warnings) (each with
      C(message), C(cause), C(correction), C(details) and C(ret_code); empty when no controller answered). The
      failure's C(msg) tells them all.
  returned: on such failures
  type: dict
  sample: {"message": "Not enough available nodes", "cause": "", "correction": "", "details": "",
           "ret_code": -4611686018407201820, "http_status": 500,
           "errors": [{"message": "Not enough available nodes", "cause": "", "correction": "", "details": "",
                       "ret_code": -4611686018407201820}], "warnings": []}
left_behind:
  description:
    - When a failed run could not undo what it had made, what is left (to remove by hand, or by running again).
  returned: on such failures
  type: list
  elements: str
  sample: ["resource group remote"]
parameter:
  description: On failure caused by an option, the option to change.
  returned: on such failures
  type: str
  sample: place_count
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._module import Diff, argument_spec, run_module  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._naming import ON_NO_QUORUM_VALUES  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._resource_groups import (  # noqa: E402
    DEFAULT_AUTO_ADD_QUORUM_TIEBREAKER,
    DEFAULT_ON_NO_QUORUM,
    DEFAULT_PLACE_COUNT,
    INCUS_DESCRIPTION,
    desired_group,
    ensure_absent,
    ensure_present,
)

MODULE_OPTIONS = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "place_count": {"type": "int", "default": DEFAULT_PLACE_COUNT},
    "storage_pool": {"type": "str"},
    "description": {"type": "str", "default": INCUS_DESCRIPTION},
    "drbd_options": {
        "type": "dict",
        "apply_defaults": True,
        "options": {
            "on_no_quorum": {"type": "str", "choices": list(ON_NO_QUORUM_VALUES), "default": DEFAULT_ON_NO_QUORUM},
            "auto_diskful": {"type": "str"},
            "auto_add_quorum_tiebreaker": {"type": "bool", "default": DEFAULT_AUTO_ADD_QUORUM_TIEBREAKER},
        },
    },
    "properties": {"type": "dict"},
}


def operation(module: AnsibleModule, client, warnings: list) -> dict:
    params = module.params
    desired = desired_group(params["name"], params["place_count"], params["storage_pool"],
                            params["drbd_options"], params["description"], params["properties"])
    if params["state"] == "absent":
        outcome = ensure_absent(client, desired.name, module.check_mode, warnings)
    else:
        outcome = ensure_present(client, desired, module.check_mode, warnings)
    result = {"changed": outcome.changed, "resource_group": outcome.after}
    if module._diff:
        diff = Diff(outcome.before)
        diff.after = outcome.after
        result["diff"] = diff.result()
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(MODULE_OPTIONS), supports_check_mode=True)
    run_module(module, operation)


if __name__ == "__main__":
    main()
