#!/usr/bin/python
# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: linstor_incus_volumes
short_description: Reconcile a declared list of Incus volumes kept in LINSTOR, and their snapshots, in one run
version_added: 0.1.0
description:
  - Brings every volume of O(volumes) to its declared state in one module run, reading the volumes of
    O(resource_group) with one request and writing only what differs, so that a playbook managing hundreds of
    volumes pays one task and one request when nothing changed, instead of one task per volume.
  - Each item does what M(linstor.incus.linstor_incus_volume) does for one volume (create, rename, grow, set
    properties and DRBD options, delete with its snapshots), and its O(volumes[].snapshots) what
    M(linstor.incus.linstor_incus_snapshot) does (create, delete). The same functions plan and write both, so the
    two ways reach the same LINSTOR state.
  - New volumes are spawned from O(resource_group). Volumes of the group that O(volumes) does not mention are left
    alone.
  - Every item is checked, then planned against the listing, before anything is written; an error names the item
    and option, for example C(volumes[3].size).
  - Items are written in the declared order. The first item that fails while writing stops the run; the step that
    failed is undone, so nothing is half-made (a new volume that could not be placed is removed again, a snapshot that
    could not be mapped is deleted), and the failure reports in RV(changes) what the items did. A new volume once
    placed is kept, with the snapshots made on it by then, as M(linstor.incus.linstor_incus_volume) keeps it (a run
    creating it at the same moment may already rely on it). Later items are not touched. Running again once the
    cause is fixed completes the rest. If undoing the failed step fails too (the controller went away), the failure
    names what is left in RV(left_behind); remove it by hand before running again.
author:
  - linstor.incus contributors (@linstor-incus)
extends_documentation_fragment:
  - linstor.incus.connection
  - linstor.incus.attributes
  - linstor.incus.attributes.writes
  - linstor.incus.volume
options:
  volumes:
    description:
      - The declared volumes. A volume (its type, project and name) may appear once, as O(volumes[].name) or as
        O(volumes[].rename_from) of one item.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the volume in Incus, as O(linstor.incus.linstor_incus_volume#module:name).
        type: str
        required: true
      type:
        description:
          - Incus volume type. Singular (CLI) and plural (API) forms are accepted.
        type: str
        required: true
        choices: [container, containers, virtual-machine, virtual-machines, image, images, custom]
      project:
        description:
          - Incus project of the volume. Images always live in C(default).
        type: str
        default: default
      content_type:
        description:
          - Content type of the volume, as O(linstor.incus.linstor_incus_volume#module:content_type); it defaults by
            type for a new volume, is kept for an existing one, and is never converted.
        type: str
        choices: [filesystem, block, iso]
      size:
        description:
          - Size of the volume (a virtual machine's block disk), with Incus units such as C(10GiB).
          - Required to create a volume. An existing volume is grown when it is larger; a smaller size fails before
            anything is written. Sizes are rounded as by M(linstor.incus.linstor_incus_volume).
          - Growing a filesystem volume (or O(volumes[].filesystem_size)) grows the LINSTOR volume only; a filesystem
            on it keeps its size and Incus will not grow it afterwards. The run warns, naming the DRBD device to run
            C(resize2fs) on.
        type: str
      filesystem_size:
        description:
          - Size of the filesystem volume of a virtual machine or block image (C(500MiB) when created).
        type: str
      state:
        description:
          - V(present) creates, renames (O(volumes[].rename_from)), grows or updates the volume.
          - V(absent) deletes it with its snapshots, as M(linstor.incus.linstor_incus_volume) does.
        type: str
        choices: [present, absent]
        default: present
      rename_from:
        description:
          - Current name of the volume (same type and project) to rename to O(volumes[].name). Once renamed, a
            re-run finds O(volumes[].name) and does nothing. Not for an image, which is named by its fingerprint and
            which Incus never renames.
          - If neither exists the run fails before anything is written, naming the item's O(volumes[].rename_from).
            In check mode it warns instead and predicts the rename (and the item's snapshots), as an earlier task of
            the same check run may create the volume.
        type: str
      properties:
        description:
          - Extra properties of the volume's RD; properties not listed are left alone, and a key given as null
            (C(~)) is removed. C(Aux/Incus/) keys are refused.
          - Keys outside C(Aux/) are checked against the controller's list of resource-definition properties
            (C(GET /v1/resource-definitions/properties/info)) before anything is written; a key LINSTOR does not
            know, or a value its rule refuses, fails the task, naming the item's O(volumes[].properties) (for
            example C(volumes[3].properties)).
            That list is read with one more request per run, only when such a key is about to be written or removed.
          - C(FileSystem/) keys (LINSTOR's mkfs) are refused on volumes that are not filesystem volumes, as
            O(linstor.incus.linstor_incus_volume#module:properties) says.
        type: dict
      drbd_options:
        description:
          - DRBD options set as properties of the volume's RD, as the Incus pool keys C(drbd.*). One is removed by
            giving its property as null in O(volumes[].properties), as in M(linstor.incus.linstor_incus_volume).
        type: dict
        suboptions:
          on_no_quorum:
            description:
              - C(DrbdOptions/Resource/on-no-quorum).
              - LINSTOR before 1.31 writes it itself when it places a volume (its auto-quorum); a create writes the
                value given back with one more request and warns, as M(linstor.incus.linstor_incus_volume) does.
            type: str
            choices: [io-error, suspend-io]
          auto_diskful:
            description: C(DrbdOptions/auto-diskful), a duration of at least C(1m).
            type: str
          auto_add_quorum_tiebreaker:
            description: C(DrbdOptions/auto-add-quorum-tiebreaker).
            type: bool
      snapshots:
        description:
          - Snapshots of the volume. Snapshots not listed are left alone.
          - Deletes run before creates. Snapshots cannot be declared V(present) on a volume declared V(absent).
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description:
              - Name of the snapshot in Incus, checked as M(linstor.incus.linstor_incus_snapshot) checks its
                O(linstor.incus.linstor_incus_snapshot#module:name) (Incus's API name rule for one V(present); for
                one V(absent), only no white space or C(/)).
            type: str
            required: true
          state:
            description:
              - V(present) creates the snapshot when it does not exist (a LINSTOR snapshot with a random name, then
                its mapping C(Aux/Incus/snapshot-name/<name>)); V(absent) deletes it when it exists, and drops a
                claim on the name that a create killed before its mapping left, as
                M(linstor.incus.linstor_incus_snapshot) does (counted as C(snapshot_deleted) even when only such
                a claim held the name, no LINSTOR snapshot).
            type: str
            choices: [present, absent]
            default: present
  delete_retries:
    description:
      - How many more times to try deleting an RD while LINSTOR answers that a resource is in use or that a
        satellite failed (C(FAIL_IN_USE), C(FAIL_UNKNOWN_ERROR)), as
        O(linstor.incus.linstor_incus_volume#module:delete_retries) says; for a volume with snapshots, also how many
        more times to read whether it is still in use before its delete fails with nothing of it deleted.
    type: int
    default: 5
  delete_retry_delay:
    description:
      - Seconds to wait between those tries.
    type: float
    default: 2
  remove_unmapped_snapshots:
    description:
      - For volumes declared absent, also delete their LINSTOR snapshots that no Incus snapshot mapping names, as
        O(linstor.incus.linstor_incus_volume#module:remove_unmapped_snapshots).
      - When V(false) and a volume to delete has any, the run fails before anything is written (in check mode too),
        naming the item and the snapshots (RV(unmapped_snapshots)).
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - Check mode sends the GETs a real run sends before its first write - the listing, the snapshots of
        volumes to delete and of volumes with mapped declared snapshots, the resources of volumes to delete that have
        snapshots (a warning in check mode when one is in use), LINSTOR's property list when keys outside
        C(Aux/) would be written, and, when a volume would be created in a group without volumes, the resource
        group - so it fails where the real run would fail before writing, or warns where an earlier task of the
        same check run may create what is missing (the resource group, a O(volumes[].rename_from) volume).
      - It also sends GETs the real run does not, to foresee what LINSTOR will refuse at a later step - the
        resources of volumes to delete without snapshots (one in use), and, when volumes would be created, the
        resource group and the cluster's storage pools (too few nodes for its C(place_count)) - and warns of it
        ("Check mode foresees LINSTOR's refusal").
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details:
      - One diff per changed volume, its view before and after (empty for a volume created or deleted). In check mode
        a new volume's RD and a new snapshot's LINSTOR name are null.
notes:
  - "Requests sent, which the integration tests assert against the LINSTOR emulator's request log: a run that
    changes nothing sends one, whatever the number of volumes (two when snapshots are declared present and mapped:
    the snapshot list of their volumes, which tells a real snapshot from a mapping to one the RD lacks, as an Incus
    copy keeps its source's mappings; such a snapshot is created again), and a run that writes to volumes that stay
    sends one more listing at the end, which reads them back. Each new volume sends three (spawn with every property,
    autoplace, and Incus's lookup, which confirms it and settles runs creating the same volume at the same moment,
    as M(linstor.incus.linstor_incus_volume) does; plus one GET of the resources when such twins are found). A
    rename, a property change or a grow sends one PUT (plus one PUT per resized volume definition). A
    snapshot create sends four (claim, snapshot, Incus's lookup of the volume, which settles concurrent twins,
    mapping, as M(linstor.incus.linstor_incus_snapshot)); a snapshot delete two. Volumes to delete send one GET of their
    snapshots, all of them in one, before anything is written; then each reads its snapshots again (one made since
    stops its delete before anything of it is deleted), when it has any reads its resources (it is not deleted while
    one is in use, as M(linstor.incus.linstor_incus_volume) says; those with snapshots are read so while planning
    too, all in one GET, and the run fails before any write while one is in use; in check mode all of them are, to
    warn of one in use) and sends one DELETE per snapshot, one PUT for their mappings (when there are any) and the
    RD's DELETE."
  - "Runs of the same list at the same moment (a play on several hosts without C(run_once)) settle as
    M(linstor.incus.linstor_incus_volume) does: each new volume is confirmed with Incus's lookup once placed, the RD
    LINSTOR placed first stays, and a run whose RD is not that one deletes its own and goes on with the survivor
    (RV(concurrent_creates)). When the listing shows two RDs claiming a declared volume, it is read again after
    pauses doubling from half a second, for ten seconds (they may be such twins, about to settle) before the run
    fails naming them; an RD LINSTOR is deleting (flag C(DELETE)) is not counted, nor taken for the volume, and
    an item with O(volumes[].state=absent) sends a stalled delete again, as M(linstor.incus.linstor_incus_volume) says.
    A late
    run whose listing found the RD of a twin that then gives way, and which snapshots that volume, moves its
    snapshot to the survivor as M(linstor.incus.linstor_incus_snapshot) does (its item reports the survivor)."
  - "When the group has no volume (none of Incus's), one GET of the resource group tells a missing (misspelt) group
    apart before anything is written: the run fails naming O(resource_group); in check mode it warns, as an
    earlier task of the same check run may be what creates the group. A list that only deletes, or an empty one,
    warns instead (nothing was deleted), so that a teardown that also deleted the group can run again."
  - "In check mode, a list that creates volumes (not copies) reads the group (when not read already) and the
    cluster's storage pools, one GET each, and warns when LINSTOR cannot place the group's C(place_count) replicas
    (too few online nodes with its storage pool, or with any diskful one), where the real run fails at that volume's
    placement."
seealso:
  - module: linstor.incus.linstor_incus_volume
  - module: linstor.incus.linstor_incus_snapshot
  - module: linstor.incus.linstor_incus_volume_info
"""

EXAMPLES = r"""
- name: The volumes of the pool whose resource group is "remote"
  linstor.incus.linstor_incus_volumes:
    resource_group: remote
    volumes:
      - name: c1
        type: container
        size: 10GiB
        snapshots:
          - name: before-upgrade
      - name: v1
        type: virtual-machine
        project: web
        size: 20GiB
        filesystem_size: 1GiB
      # renames data, which must exist unless archive does already (a rename never creates a volume)
      - name: archive
        rename_from: data
        type: custom
        content_type: block
        size: 60GiB
      - name: old
        type: custom
        state: absent
  register: reconciled

- name: Show what was done
  ansible.builtin.debug:
    var: reconciled.summary
"""

RETURN = r"""
volumes:
  description:
    - Each declared volume of O(volumes[].state=present), in the declared order, as it is after the run (in check
      mode, as it would be), in the shape of the RV(linstor.incus.linstor_incus_volume#module:volume) that
      M(linstor.incus.linstor_incus_volume) returns.
  returned: success
  type: list
  elements: dict
  sample:
    - name: c1
      project: default
      type: containers
      content_type: filesystem
      incus_name: incus-volume-c1
      resource_definition: incus-volume-61be43e12fed4845ab3f2443cccbe50c
      resource_group: remote
      volume_definitions: [{"number": 0, "size_kib": 10485760}]
      snapshots: {"before-upgrade": "incus-volume-19dd0b015d22445f8097ba5e740948de"}
      properties: {"Aux/Incus/name": "incus-volume-c1"}
changes:
  description:
    - One entry per volume the run changed (in check mode, would change), in the declared order. On failure, what
      the items before the failing one did (and what the failing one did and kept).
    - C(actions) holds C(created), C(renamed), C(resized), C(updated) (properties or DRBD options), C(deleted),
      C(snapshot_created) and C(snapshot_deleted) (once per snapshot); on a failure, C(deleted_partly) for a
      volume whose snapshots, or RD, were deleted before a later delete failed (C(snapshots_removed) and
      C(resource_definitions_deleted) list them).
    - On a failure part-way through an update, the entry also has C(written) - C(properties) and C(volume <number>)
      for each write that went through - and C(actions) names what those writes did.
    - A deleted volume's entry has C(snapshots_removed), the LINSTOR snapshots deleted with it (in check mode, that
      would be deleted). C(name) is null for a LINSTOR snapshot no mapping names, one a snapshot create claims or
      any with O(remove_unmapped_snapshots=true).
    - "A deleted volume's entry has C(resource_definitions_deleted), the resource definitions deleted (in check mode,
      that would be): any claiming it whose delete was stalled (flag C(DELETE), no resource flagged or in use), which
      the run sent again, then the volume's. C(resource_definition) is the volume's, or the first of those when it
      had none else."
  returned: on success, and on a failure while writing (with RV(failed_index))
  type: list
  elements: dict
  sample:
    - index: 0
      name: c1
      type: containers
      project: default
      incus_name: incus-volume-c1
      resource_definition: incus-volume-61be43e12fed4845ab3f2443cccbe50c
      actions: [created, snapshot_created]
      snapshots_created: [before-upgrade]
      snapshots_deleted: []
summary:
  description: How many volumes each action touched (snapshot actions count snapshots) and how many were unchanged.
  returned: success
  type: dict
  sample: {"created": 1, "renamed": 0, "resized": 0, "updated": 0, "deleted": 0, "snapshot_created": 1,
           "snapshot_deleted": 0, "unchanged": 3}
concurrent_creates:
  description:
    - The volumes this run created at the same moment as another run (twins, for example the same play on several
      hosts without C(run_once)), where the other run's resource definition stays, as LINSTOR placed it first. This
      run deleted its own, went on with the survivor (the item's snapshots are made on it) and reports no creation
      for that item, as M(linstor.incus.linstor_incus_volume) does, with a warning.
  returned: when such a twin was found, on success and on a failure while writing
  type: list
  elements: dict
  contains:
    index:
      description: The item's index in O(volumes).
      type: int
    deleted:
      description: The RD this run created and deleted again.
      type: str
    survivor:
      description: The RD that claims the volume.
      type: str
  sample: [{"index": 0, "deleted": "incus-volume-0e6c2f3f8f7a4f9c9b1d2a3b4c5d6e7f",
            "survivor": "incus-volume-61be43e12fed4845ab3f2443cccbe50c"}]
failed_index:
  description: On a failure while writing, the index in O(volumes) of the item that failed.
  returned: on such failures
  type: int
  sample: 3
left_behind:
  description:
    - On such a failure, what undoing the failed item's steps could not remove, to remove by hand before running
      the task again (a resource definition left behind carries the volume's Incus keys, so the next run takes it
      for the volume, placed or not).
  returned: when undoing failed
  type: list
  elements: str
parameter:
  description:
    - On failure, the option to change, with the item's index, for example C(volumes[3].size); when LINSTOR
      refused a write, the item, for example C(volumes[3]).
  returned: on failure
  type: str
  sample: volumes[3].size
in_use_nodes:
  description:
    - When volumes to delete that have snapshots are in use, each of them with the C(index) of its item in
      O(volumes), its C(resource_definition) (the RD in use, the volume's or one whose delete LINSTOR left stalled,
      see O(volumes[].state)) and the C(nodes) where it is in use. The run fails while planning,
      before writing anything, naming every such volume; one in use since is refused when its turn comes, before
      anything of it is deleted (the items before it are done, see RV(changes) and RV(failed_index)).
  returned: failed
  type: list
  elements: dict
  sample: [{"index": 3, "resource_definition": "incus-volume-61be43e12fed4845ab3f2443cccbe50c", "nodes": ["server01"]}]
unmapped_snapshots:
  description:
    - When volumes to delete have LINSTOR snapshots that no mapping names and O(remove_unmapped_snapshots=false),
      each of those snapshots, with the C(index) of its item in O(volumes) and its C(resource_definition) (the
      volume's RD, or one whose delete LINSTOR left stalled). The run
      fails before writing anything, naming every such volume; a snapshot made after the run read them fails that
      volume's delete when its turn comes, before anything of it is deleted (the items before it are done, see
      RV(changes)).
    - Unlike RV(linstor.incus.linstor_incus_volume_info#module:anomalies.unmapped_snapshots), every LINSTOR snapshot
      counts, not only those named with the prefix, and those a snapshot create claims do not.
  returned: on such failures
  type: list
  elements: dict
  sample: [{"index": 3, "resource_definition": "incus-volume-61be43e12fed4845ab3f2443cccbe50c",
            "linstor_name": "backup-2026-11-01"}]
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
duplicates:
  description: On failure because several RDs claim one volume, their names (the failure names the option).
  returned: on that failure
  type: list
  elements: str
  sample: [incus-volume-0a1b2c3d4e5f60718293a4b5c6d7e8f9, incus-volume-9f8e7d6c5b4a39281706f5e4d3c2b1a0]
resource_definition:
  description:
    - When the RD found for a volume lacks a valid C(Aux/Incus/content-type), that RD.
    - When an item's delete is refused at its turn (LINSTOR snapshots no mapping names, or a resource in use), the
      RD that refused it, as in RV(unmapped_snapshots) and RV(in_use_nodes).
  returned: on those failures
  type: str
  sample: incus-volume-4df9f0598bd14d73953151614428d298
resource_definitions:
  description: When an item's O(volumes[].rename_from) fails because both names exist, the two RDs.
  returned: on that failure
  type: list
  elements: str
  sample: [incus-volume-4df9f0598bd14d73953151614428d298, incus-volume-61be43e12fed4845ab3f2443cccbe50c]
written:
  description:
    - When the failing item's update failed after part of it was written, what went through, as
      RV(linstor.incus.linstor_incus_volume#module:written) says (its RV(changes) entry has it too).
  returned: on that failure
  type: list
  elements: str
  sample: [properties]
snapshots_removed:
  description:
    - When the failing item's delete failed after some of its snapshots were deleted, those snapshots (its
      RV(changes) entry, with the action C(deleted_partly), has them too).
  returned: on that failure
  type: list
  elements: dict
  sample: [{"name": "snap0", "linstor_name": "incus-volume-19dd0b015d22445f8097ba5e740948de"}]
resource_definitions_deleted:
  description:
    - When the failing item's delete failed after one of its resource definitions was deleted (first any whose
      stalled delete it sends again, then the volume's), those deleted (its RV(changes) entry, with the action
      C(deleted_partly), has them too).
  returned: on that failure
  type: list
  elements: str
  sample: [incus-volume-4df9f0598bd14d73953151614428d298]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._module import argument_spec, run_ensure  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._naming import DEFAULT_PREFIX  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._reconcile import reconcile  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._volumes import (  # noqa: E402
    DEFAULT_DELETE_RETRIES,
    DEFAULT_DELETE_RETRY_DELAY,
    volume_option_spec,
)

VOLUME_OPTIONS = {
    **volume_option_spec(),
    "snapshots": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
    },
}

MODULE_OPTIONS = {
    "volumes": {"type": "list", "elements": "dict", "required": True, "options": VOLUME_OPTIONS},
    "resource_group": {"type": "str", "required": True},
    "prefix": {"type": "str", "default": DEFAULT_PREFIX},
    "delete_retries": {"type": "int", "default": DEFAULT_DELETE_RETRIES},
    "delete_retry_delay": {"type": "float", "default": DEFAULT_DELETE_RETRY_DELAY},
    "remove_unmapped_snapshots": {"type": "bool", "default": False},
}


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(MODULE_OPTIONS), supports_check_mode=True)
    run_ensure(module, reconcile)


if __name__ == "__main__":
    main()
