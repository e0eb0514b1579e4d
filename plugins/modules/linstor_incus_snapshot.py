#!/usr/bin/python
# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: linstor_incus_snapshot
short_description: Create, rename, restore or delete a snapshot of an Incus volume kept in LINSTOR
version_added: 0.1.0
description:
  - Manages one snapshot of an Incus storage volume of a C(linstor) storage pool directly in LINSTOR, the way the
    Incus LINSTOR driver keeps it, so that Incus and playbooks see the same snapshots.
  - The volume is found as Incus finds it (one request filtered on C(Aux/Incus/name) and C(Aux/Incus/type), keeping
    the resource definitions (RDs) of O(resource_group)); see M(linstor.incus.linstor_incus_volume).
  - A snapshot is a LINSTOR snapshot of the volume's RD with a random name (O(prefix) followed by 32 hex digits,
    never derived from the Incus name), and the RD property C(Aux/Incus/snapshot-name/<name>) records which LINSTOR
    snapshot the Incus snapshot O(name) is. Mappings written as C(Aux/Incus/SnapshotName/<name>), the form the Incus
    internals document shows, are read too; the module writes the driver's C(snapshot-name) form only.
  - Copies of a volume from one of its snapshots are made with the O(linstor.incus.linstor_incus_volume#module:source)
    option of M(linstor.incus.linstor_incus_volume) (C(source.snapshot)).
  - Nothing is written before every option has been checked and the volume has been looked up; every error names the
    option to change.
author:
  - linstor.incus contributors (@linstor-incus)
extends_documentation_fragment:
  - linstor.incus.connection
  - linstor.incus.attributes
  - linstor.incus.attributes.writes
  - linstor.incus.volume
  - linstor.incus.volume.type_project
options:
  volume:
    description:
      - Name of the volume in Incus, as O(linstor.incus.linstor_incus_volume#module:name) of
        M(linstor.incus.linstor_incus_volume).
    type: str
    required: true
  name:
    description:
      - Name of the snapshot in Incus. A snapshot about to be created (or renamed to) must follow Incus's API name
        rule, as Incus checks it for every volume type; at most 64 bytes, no white space, none of
        C($ ? & + " ' ` * /), a letter or digit first and last. This is checked after the lookup, before any write.
      - A snapshot that exists (declared present, or to delete or restore) may have any name without white space or
        C(/), as an older Incus named instance snapshots.
    type: str
    required: true
  state:
    description:
      - V(present) creates the snapshot (a LINSTOR snapshot of the volume's RD on every node holding its data, then
        the mapping on the RD). If a step fails, what the run made is deleted again, so no unmapped snapshot is left
        behind. A snapshot that exists is left alone (no change, two requests). A mapping whose LINSTOR snapshot
        the RD does not have (an Incus copy keeps its source's mappings) is not taken for the snapshot; a new
        snapshot is made and replaces it, with a warning, as Incus would. With O(rename_from), renames instead.
      - V(absent) deletes the LINSTOR snapshot, then its mapping keys (both forms) and the claims on the name (see
        the notes on concurrent runs) in one PUT. A mapping whose LINSTOR snapshot is already gone (a dangling
        mapping) is removed; so is a claim left by a run killed before its mapping, although no snapshot goes then.
        Deleting a snapshot, or a volume, that does not exist is no change.
      - V(restored) rolls the volume back to the snapshot. As Incus, only the most recent snapshot can be restored,
        whatever the LINSTOR version allows, decided by the snapshots' created-on times. If newer snapshots exist,
        the module fails naming them unless O(remove_newer_snapshots) is true, in which case they are deleted
        (each LINSTOR snapshot, then their mappings) before the rollback. LINSTOR sets the volume sizes back to
        the snapshot's from 1.31.3 on; an older controller leaves them, and the module reports what it leaves.
      - From LINSTOR 1.31 a rollback may restore the snapshot into the RD (before 1.32 always; from 1.32 unless the
        volume is on ZFS and rolled back in place), which also sets the RD properties the snapshot captured back,
        among them the volume's Incus name and mappings of snapshots deleted since. The module then puts every
        C(Aux/) property back as it was before the rollback (one more GET, and a PUT when one changed), so Incus
        still finds the volume by its name. Other properties (DRBD options) keep the values LINSTOR's rollback
        gave them; the result shows them, check mode does not predict them.
      - A restore always reports changed, because LINSTOR keeps no record that would tell whether the volume still
        holds the snapshot's data.
    type: str
    choices: [present, absent, restored]
    default: present
  rename_from:
    description:
      - Current Incus name of a snapshot of O(volume) to rename to O(name). Only the mapping key moves (one request
        setting the new key and deleting the old ones); the LINSTOR snapshot keeps its name and data.
      - If O(name) exists and O(rename_from) does not, nothing is done (the rename was done before). If neither
        exists the module fails naming both (in check mode it warns and predicts the rename, as an earlier task may
        take O(rename_from)); if both exist it fails without writing anything. A mapping of O(name) to a LINSTOR
        snapshot the RD does not have (as an Incus copy inherits) counts as none, and is replaced.
      - A mapping of O(rename_from) to a LINSTOR snapshot the RD does not have is not moved; the module fails
        without writing (delete that mapping with O(state=absent)).
      - Only with O(state=present).
    type: str
  remove_newer_snapshots:
    description:
      - With O(state=restored), delete the snapshots newer than O(name) first, as the Incus pool key
        C(linstor.remove_snapshots) does. Without it, newer snapshots make the restore fail, naming them. With
        another O(state) it is refused, before anything is done.
      - LINSTOR snapshots newer than O(name) that no Incus snapshot maps to are never deleted; they make the restore
        fail.
      - Mappings whose LINSTOR snapshot no longer exists (dangling, e.g. left by a restore whose reply was lost) are
        removed too, in the same request as the newer snapshots' mappings; RV(removed_dangling_mappings) names them.
    type: bool
    default: false
attributes:
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details:
      - The diff shows the volume as M(linstor.incus.linstor_incus_volume) returns it, whose C(snapshots) lists the
        Incus snapshot names and their LINSTOR snapshots, before and after; a restore with O(remove_newer_snapshots)
        shows the snapshots that go. In check mode a new snapshot's LINSTOR name is null (it is drawn when made).
notes:
  - "Requests sent, which the integration tests assert against the LINSTOR emulator's request log: a run that
    changes nothing sends one for a delete (the lookup, whose RD properties hold the mappings) and two for a create
    or a rename (the lookup, then the RD's snapshot list, which tells a real snapshot from a mapping to a missing
    one, which a create or rename replaces). Creating sends five (lookup, claim, snapshot, Incus's lookup again,
    which settles races, mapping), six when it replaces a mapping to a missing snapshot; deleting three (lookup,
    snapshot delete, one PUT removing the keys); renaming three (lookup, the RD's snapshot list, one PUT); restoring
    four (lookup, the RD's snapshot list, the controller's version, rollback), five from LINSTOR 1.31 (a read of the RD
    after the rollback, and a PUT when its Aux/ properties must be put back) plus, when newer snapshots are removed,
    one GET of the resources (below; against LINSTOR 1.31.0 and 1.31.1 always, for the diskless resources their
    rollback drops), one GET of their nodes, one delete per newer snapshot and one PUT for their mappings. When the
    volume is not found, the resource group is read too, so that a misspelt O(resource_group) fails naming it (a
    delete only warns, as a teardown that also deleted the group may run again). Check mode sends only the GETs (and,
    for a restore of the most recent snapshot, those of the resources and their nodes, which the real run does not
    send: see below)."
  - "LINSTOR refuses to roll back a volume in use (mounted, or the disk of a running instance), but only at the
    rollback, after the newer snapshots would be gone. So a restore that removes newer snapshots first reads the
    volume's resources, and fails before deleting anything while one is in use, naming the nodes
    (RV(in_use_nodes)); Incus stops a running instance before it restores its volume. In check mode that is a
    warning (an earlier task may stop the instance). The read is not repeated: right after an instance stopped,
    DRBD may still hold the device for a moment; run again."
  - "The same read finds disks on nodes the snapshot was not taken on (a replica added after it, or a node offline
    when it was taken). Where LINSTOR's rollback needs the snapshot on every disk - before 1.31.2, and from 1.32
    when every disk is ZFS and the RD's C(StorDriver/Zfs/RollbackStrategy) is not C(clone) (the group's or
    controller's value is not read) - it refuses the rollback otherwise, after the newer snapshots went; there such a
    restore fails before deleting anything, naming O(name) and the nodes (RV(uncovered_nodes)): remove those
    resources first, or make a new volume from the snapshot. Unlike a volume in use, this fails in check mode too
    (no earlier task of the collection removes a replica). Elsewhere LINSTOR restores the snapshot's nodes and
    recreates the others, and the restore goes ahead."
  - "LINSTOR refuses a rollback while the satellite of a node with a resource of the volume is not connected, also
    only at the rollback. So such a restore also reads those nodes (one GET), and fails before deleting anything
    while one is offline, naming the nodes (RV(offline_nodes)); in check mode that is a warning (so is it when the
    rollback is the only write, which LINSTOR refuses whole)."
  - "Deleting a snapshot (O(state=absent)) while a node holding it is offline goes ahead: LINSTOR deletes the
    snapshot at once all the same and does not send that delete to the node again, so the snapshot's data may stay
    on that node's storage; the run warns, naming the nodes."
  - "A restore of the most recent snapshot deletes no snapshot before the rollback (only mappings to missing ones,
    with O(remove_newer_snapshots)), which LINSTOR refuses whole in either case: the real run sends no such read
    (except the resources against LINSTOR 1.31.0 and 1.31.1, for the diskless resources) and fails with LINSTOR's
    error, while check mode reads the resources and, when there are any, their nodes (up to two more GETs) to warn
    of it."
  - "A restore reports the volume's sizes after the rollback: the snapshot's from LINSTOR 1.31.3 on, whose
    rollback sets them back; before, LINSTOR leaves them as they are (hence the version request)."
  - "LINSTOR 1.31.0 to 1.31.2 roll a volume back by deleting its resources and restoring the snapshot into them,
    and that restore fails when a volume's size has changed since the snapshot (the volume was grown), leaving
    the volume with no resource (fixed in 1.31.3). Against those releases such a restore fails before anything is
    deleted, naming O(name); upgrade LINSTOR, or make a new volume from the snapshot. 1.31.0 and 1.31.1 also
    restore the snapshot on its nodes only, so the volume's diskless resources are not made again: the run warns,
    naming their nodes (Incus makes one again where it next uses the volume)."
  - "Concurrent runs creating the same snapshot (twins): LINSTOR has no conditional write, so a run first claims
    the name on the RD (the key C(Aux/linstor-incus/snapshot-claim/<LINSTOR snapshot>), which Incus ignores), then
    creates its LINSTOR snapshot, then reads the RD back (with Incus's lookup), and only then records the mapping,
    in the same PUT that
    drops every claim on the name. A mapping found at the read-back is a finished twin's and stays; otherwise, of
    the claimed snapshots, the one LINSTOR created first stays (one more request, only when twins claim the name).
    A twin created before this run's snapshot claimed before it, so every run agrees, and a run whose replies came
    late finds the finished twin's mapping. A run whose snapshot does not stay records the survivor's mapping,
    deletes its own LINSTOR snapshot and reports the survivor in RV(race), with C(changed=false)."
  - "A snapshot made while other runs create the volume (the same play on several hosts without C(run_once)) may
    find the resource definition of one of them that later gives way to another placed first
    (M(linstor.incus.linstor_incus_volume), RV(linstor.incus.linstor_incus_volume#module:concurrent_create)). The
    read-back is Incus's lookup, so it sees both: the run then deletes its claim and snapshot on the one that gives
    way (whose maker waits for that before it deletes it) and makes the snapshot on the other, with a warning naming
    both; RV(volume) is the survivor. The same when that resource definition is already deleted (or being deleted:
    flag C(DELETE)), or not placed yet (LINSTOR refuses the snapshot: no diskful resource): the volume is looked up
    again half a second later (the same resource definition, once placed, needs no warning). Three such moves at
    most: a fourth attempt that meets the same takes back what it wrote and fails. When a lookup finds two
    resource definitions claiming the volume, it is sent again after pauses doubling from half a second, for ten
    seconds (they may be such twins, about to settle) before the run fails naming them; a resource definition being
    deleted is not counted."
  - "A run killed between its claim and its mapping leaves the claim (and maybe its LINSTOR snapshot) behind;
    M(linstor.incus.linstor_incus_volume_info) lists such claims. The next create of the name drops it: a claimed
    snapshot LINSTOR made less than 15 minutes before the new run's own is taken as that snapshot (the killed run's
    work is finished), an older one stays unmapped, with a warning. O(state=absent) drops it too. Check mode, which
    makes no snapshot to compare times with, predicts a new snapshot in either case."
  - "The returned RV(snapshot) carries the nodes and created-on time of the LINSTOR snapshot when the run reads the
    snapshot list (a restore); other runs stay within their request budget and return null there.
    M(linstor.incus.linstor_incus_volume_info) shows every snapshot with its details."
  - "Copying a volume together with its snapshots is not offered: Incus refuses it for LINSTOR pools too (a copy is
    made from the volume or from one snapshot, and starts without snapshots)."
seealso:
  - name: Incus LINSTOR driver internals
    description: How Incus names its volumes and snapshots in LINSTOR.
    link: https://linuxcontainers.org/incus/docs/main/reference/storage_linstor/
  - module: linstor.incus.linstor_incus_volume
  - module: linstor.incus.linstor_incus_volume_info
"""

EXAMPLES = r"""
# Each task stands alone. Pasted into one playbook, some clash with others on the next run (snap0 is made again
# after its rename, and the rename then fails, as both names exist): a rename or a restore is an event, not a
# state, so guard such tasks with what linstor_incus_volume_info reads, as playbooks/demo.yml does.
- name: Snapshot snap0 of the container c1 in the pool whose resource group is "remote"
  linstor.incus.linstor_incus_snapshot:
    volume: c1
    type: container
    name: snap0
    resource_group: remote

- name: Rename it (only the mapping key moves; nothing happens once it is done)
  linstor.incus.linstor_incus_snapshot:
    volume: c1
    type: container
    name: before-upgrade
    rename_from: snap0
    resource_group: remote

- name: Roll the virtual machine v1 of project web back to snap3, deleting newer snapshots; show which would go first
  linstor.incus.linstor_incus_snapshot:
    volume: v1
    type: virtual-machine
    project: web
    name: snap3
    state: restored
    remove_newer_snapshots: true
    resource_group: remote
  check_mode: true
  diff: true

- name: A new custom volume in project web from snapshot nightly of data (linstor_incus_volume's source.snapshot)
  linstor.incus.linstor_incus_volume:
    name: data-restored
    type: custom
    project: web
    resource_group: remote
    source:
      volume: data
      snapshot: nightly

- name: Then delete that snapshot
  linstor.incus.linstor_incus_snapshot:
    volume: data
    type: custom
    project: web
    name: nightly
    state: absent
    resource_group: remote
"""

RETURN = r"""
snapshot:
  description:
    - The snapshot after the run (in check mode, as it would be); empty after O(state=absent).
  returned: success
  type: dict
  contains:
    name:
      description: Incus name of the snapshot.
      type: str
      sample: snap0
    linstor_name:
      description: Name of the LINSTOR snapshot; null in check mode for a snapshot that would be created.
      type: str
      sample: incus-volume-19dd0b015d22445f8097ba5e740948de
    nodes:
      description: Nodes holding the LINSTOR snapshot; null unless the run read the snapshot list (a restore, or a
        create that finds the snapshot made).
      type: list
      elements: str
      sample: [server01, server02]
    volume_definitions:
      description: Size of each volume of the snapshot by volume number (a virtual machine has its block disk as 0
        and its filesystem volume as 1); for a new snapshot, the volume's sizes when it was taken; null when not read.
      type: list
      elements: dict
      sample: [{"number": 0, "size_kib": 10485760}, {"number": 1, "size_kib": 512000}]
    created_on:
      description: When LINSTOR took the snapshot (ISO 8601, UTC); null unless the run read the snapshot list (a
        restore, a create that finds the snapshot made, a rename found done).
      type: str
      sample: "2026-11-25T15:04:05.123Z"
snapshots:
  description:
    - The volume's snapshots after the run, oldest first when their created-on times were read, with the same keys
      as RV(snapshot) and C(exists) (false for a mapping whose LINSTOR snapshot is missing). C(exists) and the
      details are null unless the run read the RD's snapshots and wrote nothing after - a restore (read before its
      rollback, which changes no snapshot), a create that finds the snapshot made (the read that tells a mapping
      to a missing snapshot), a rename found done; a create or rename that writes reads them only before its
      writes.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "snap0", "linstor_name": "incus-volume-19dd0b015d22445f8097ba5e740948de", "exists": true,
            "nodes": ["server01", "server02"], "created_on": "2026-11-25T15:04:05.123Z",
            "volume_definitions": [{"number": 0, "size_kib": 10485760}, {"number": 1, "size_kib": 512000}]}]
removed_snapshots:
  description:
    - Snapshots deleted by the run (in check mode, that would be deleted) as C(name) and C(linstor_name) - the
      snapshot itself with O(state=absent), the newer snapshots with O(state=restored) and O(remove_newer_snapshots).
    - With O(state=absent) the snapshot's mapping is listed even when its LINSTOR snapshot was gone already (a
      dangling mapping, which the run removes without reading the RD's snapshots); a name held only by a claim
      gives an empty list.
  returned: when O(state=absent) deletes a snapshot, with O(state=restored), and when a restore fails after
    deleting newer snapshots (the failure then reports C(changed=true) and which snapshots already went)
  type: list
  elements: dict
  sample: [{"name": "snap1", "linstor_name": "incus-volume-0a1b2c3d4e5f60718293a4b5c6d7e8f9"}]
removed_dangling_mappings:
  description:
    - With O(state=restored) and O(remove_newer_snapshots), the Incus snapshot names whose mapping named a missing
      LINSTOR snapshot and was removed (in check mode, would be removed).
  returned: with O(state=restored)
  type: list
  elements: str
  sample: [snap4]
volume:
  description: The volume as M(linstor.incus.linstor_incus_volume) returns it, after the run; empty when the volume
    does not exist.
  returned: success
  type: dict
race:
  description:
    - When a concurrent run created the same snapshot and its LINSTOR snapshot was created first (or already
      mapped), C(survivor) names it and C(deleted_own) the LINSTOR snapshot this run made and deleted again.
    - C(wrote_mapping) is true when this run wrote the survivor's mapping because it was not written yet (its
      maker still running, or killed before its mapping); the run then reports C(changed), as the snapshot
      became Incus's through its write. Otherwise it changed nothing and reports no change.
  returned: when that happened
  type: dict
  sample: {"survivor": "incus-volume-19dd0b015d22445f8097ba5e740948de",
           "deleted_own": "incus-volume-0a1b2c3d4e5f60718293a4b5c6d7e8f9", "wrote_mapping": false}
volume_missing:
  description:
    - In check mode, true when the volume does not exist (yet) and the snapshot would be created (or renamed, or
      restored) with it; the run warns instead of failing, as an earlier task of the same check run may create the
      volume.
  returned: in check mode, when that happened
  type: bool
  sample: true
snapshot_missing:
  description:
    - In check mode, true when a rename finds neither O(rename_from) nor O(name) on the volume, or a restore does
      not find O(name); the run predicts the rename (the restore, of the most recent snapshot, removing nothing) and
      warns instead of failing, as an earlier task of the same check run may take that snapshot.
  returned: in check mode, when that happened
  type: bool
  sample: true
in_use_nodes:
  description:
    - When a restore that would remove newer snapshots fails because a resource of the volume is in use, the nodes
      where it is (nothing was deleted).
  returned: on that failure
  type: list
  elements: str
  sample: [server01]
offline_nodes:
  description:
    - When a restore that would remove newer snapshots fails because a node with a resource of the volume has no
      connected satellite, those nodes (nothing was deleted).
  returned: on that failure
  type: list
  elements: str
  sample: [server02]
uncovered_nodes:
  description:
    - When a restore that would remove newer snapshots fails because the volume has disks on nodes the snapshot was
      not taken on, those nodes (nothing was deleted).
  returned: on that failure
  type: list
  elements: str
  sample: [server03]
newer_snapshots:
  description: On a failed restore, the newer snapshots that stand in the way.
  returned: on that failure
  type: list
  elements: str
  sample: [snap1, snap2]
parameter:
  description: On failure caused by an option, the option to change.
  returned: on such failures
  type: str
  sample: remove_newer_snapshots
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
    - When a failed run could not undo what it had made, what is left, to remove by hand before running the task
      again. A resource definition left behind carries the volume's Incus keys, so the next run takes it for
      the volume, placed or not; a left claim or unmapped snapshot stays one (see
      M(linstor.incus.linstor_incus_volume_info)'s RV(linstor.incus.linstor_incus_volume_info#module:anomalies)).
  returned: on such failures
  type: list
  elements: str
  sample: ["resource definition incus-volume-4df9f0598bd14d73953151614428d298"]
duplicates:
  description: On failure because several RDs claim one volume, their names (the failure names the option).
  returned: on that failure
  type: list
  elements: str
  sample: [incus-volume-0a1b2c3d4e5f60718293a4b5c6d7e8f9, incus-volume-9f8e7d6c5b4a39281706f5e4d3c2b1a0]
resource_definition:
  description:
    - When the RD found for a volume lacks a valid C(Aux/Incus/content-type), that RD.
    - When a restore is refused because a resource is in use (RV(in_use_nodes)) or a node offline
      (RV(offline_nodes)), the volume's RD.
  returned: on those failures
  type: str
  sample: incus-volume-4df9f0598bd14d73953151614428d298
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._module import argument_spec, run_ensure  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._naming import DEFAULT_PREFIX, DEFAULT_PROJECT  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._snapshots import ensure_snapshot  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._volumes import VOLUME_TYPE_CHOICES  # noqa: E402

MODULE_OPTIONS = {
    "volume": {"type": "str", "required": True},
    "type": {"type": "str", "required": True, "choices": VOLUME_TYPE_CHOICES},
    "project": {"type": "str", "default": DEFAULT_PROJECT},
    "resource_group": {"type": "str", "required": True},
    "prefix": {"type": "str", "default": DEFAULT_PREFIX},
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent", "restored"], "default": "present"},
    "rename_from": {"type": "str"},
    "remove_newer_snapshots": {"type": "bool", "default": False},
}


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(MODULE_OPTIONS), supports_check_mode=True)
    run_ensure(module, ensure_snapshot)


if __name__ == "__main__":
    main()
