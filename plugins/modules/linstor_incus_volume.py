#!/usr/bin/python
# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: linstor_incus_volume
short_description: Create, rename, resize, copy or delete an Incus storage volume kept in LINSTOR
version_added: 0.1.0
description:
  - Manages one Incus storage volume of a C(linstor) storage pool directly in LINSTOR, named exactly the way the
    Incus LINSTOR driver names it, so that Incus and playbooks see the same volumes.
  - LINSTOR cannot rename its objects, so Incus gives every resource definition (RD) a random name (O(prefix) followed
    by 32 hex digits) and records the volume in auxiliary properties of the RD
    (C(Aux/Incus/name), C(Aux/Incus/type), C(Aux/Incus/content-type)). This module finds a volume the way Incus does,
    with one request filtered on those properties, keeping only the RDs of O(resource_group).
  - A new volume's RD is spawned from O(resource_group) already carrying every property (the aux keys,
    C(DrbdOptions/Net/allow-two-primaries=yes), C(DrbdOptions/ExactSize=true), O(drbd_options) and O(properties)),
    then placed with LINSTOR's autoplacer. If placing fails, the new RD is deleted again and the module fails with
    LINSTOR's message.
  - A virtual machine (and a block image, which virtual machines are made from) is one RD with two volume
    definitions, the block disk (O(size)) and a small filesystem volume (O(filesystem_size)).
  - An existing volume is grown when O(size) or O(filesystem_size) is larger (Incus drops C(DrbdOptions/ExactSize)
    first, and so does this module), and its O(drbd_options) and O(properties) are set when they differ;
    properties not mentioned are left alone. Nothing else of an existing volume is changed.
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
  name:
    description:
      - Name of the volume in Incus.
      - Instances (O(type=container), O(type=virtual-machine)) follow Incus's instance name rule (letters, digits and
        C(-), up to 63 characters); custom volumes Incus's API name rule; images are named by their full fingerprint
        (64 lowercase hex digits).
      - Stored in C(Aux/Incus/name) as O(prefix) followed by the name, C(<project>_<name>) for instances outside the
        C(default) project and for every custom volume, or the fingerprint for images.
    type: str
    required: true
  content_type:
    description:
      - Content type of the volume (C(Aux/Incus/content-type)).
      - Defaults to C(filesystem) for containers and custom volumes and to C(block) for virtual machines and images
        when a volume is created or copied (a copy keeps the source's content type).
      - When not set for an existing volume, its content type is kept. When set and different from the existing
        volume's, the module fails before writing anything; a content type is never converted, and with
        O(state=absent) a volume of another content type than the one given is not deleted.
      - Containers are always C(filesystem) and virtual machines always C(block); C(iso) is for custom volumes only.
    type: str
    choices: [filesystem, block, iso]
  size:
    description:
      - Size of the volume (a virtual machine's block disk), with Incus units such as C(10GiB), C(500MiB), C(1GB), or
        a number of bytes. Bare C(K), C(M), C(G)... are read as binary units.
      - Required to create a volume (not for a copy, which defaults to the source's size).
      - As Incus, sizes are raised to at least 4 MiB and rounded up to 8 KiB.
      - Growing a filesystem volume grows the LINSTOR volume only; a filesystem on it keeps its size, and Incus will
        not grow it afterwards (it does that only in a resize it makes itself, which it skips once LINSTOR has the
        size). The task warns, naming the DRBD device to run C(resize2fs) on; or resize through Incus instead.
      - For an existing volume, the size is rounded up first, then, as Incus, a size within 512 bytes of the current
        one is no change (so 1 GiB less 300 bytes is 1 GiB, and 1 GiB and 100 bytes grows a 1 GiB volume by 8 KiB);
        a larger size grows it; a smaller size fails, because LINSTOR cannot shrink a deployed volume (Incus refuses
        to shrink block volumes, and a filesystem volume would need its filesystem shrunk first, which only Incus
        can do).
    type: str
  filesystem_size:
    description:
      - Size of the filesystem volume (volume 1) of a virtual machine or block image, which holds the instance's
        configuration files.
      - Defaults to C(500MiB) when a volume is created. For an existing volume it is only grown when given; the
        filesystem on it keeps its size (see O(size)).
      - Fails for other volume types.
    type: str
  state:
    description:
      - V(present) creates the volume (or copies it from O(source)), renames it (O(rename_from)) and grows or
        updates it.
      - V(absent) deletes it as Incus does, its snapshots first (the LINSTOR snapshot of each Incus snapshot, then
        the snapshot mappings), then the RD, retrying while LINSTOR reports it in use (see O(delete_retries)).
        LINSTOR snapshots that no mapping names fail the delete before anything is deleted, unless
        O(remove_unmapped_snapshots=true). Deleting a volume that does not exist is no change.
      - A volume with snapshots is read first (one GET of its resources) and not deleted while a resource of it is
        in use (mounted, or the disk of a running instance), retried as O(delete_retries) says; the run then
        fails naming the nodes (RV(in_use_nodes)), nothing deleted. LINSTOR would refuse to delete the RD only
        after its snapshots went; Incus refuses to delete a running instance's volume before anything too. In
        check mode that is a warning (an earlier task may stop the instance).
      - A node whose satellite is not connected does not stop the delete. LINSTOR deletes the snapshots at once (the
        data of one on that node may stay on its storage; on ZFS before LINSTOR 1.31 that may then stop the RD's
        delete there), marks the RD for deletion (flag C(DELETE)) and finishes once the node is back; the run warns,
        naming the nodes. Until then Incus's lookup still finds the RD.
    type: str
    choices: [present, absent]
    default: present
  rename_from:
    description:
      - Current name of a volume (same O(type) and O(project)) to rename to O(name).
      - Only C(Aux/Incus/name) changes; the RD keeps its name, resources, snapshots and data.
      - If O(name) already exists and O(rename_from) does not, nothing is renamed (the rename was done before).
        If neither exists the module fails naming both (in check mode it warns and predicts the rename, as an
        earlier task of the same check run may create O(rename_from)); if both exist it fails without writing anything.
      - Cannot be used with O(state=absent) or O(source), nor for an image (O(type=image)), which is named by its
        fingerprint and which Incus never renames.
      - Finding both names takes one request filtered on the volume type alone (LINSTOR's property filters must all
        match, so two names cannot be asked for at once); it returns every volume of that type.
    type: str
  drbd_options:
    description:
      - DRBD options set as properties of the volume's RD, as the Incus pool keys C(drbd.*) set them.
      - Options not given are left as they are (a new RD inherits them from its resource group). To remove one from
        an existing RD, so that it inherits the group's again, give its property as null in O(properties) (for
        example the key C(DrbdOptions/Resource/on-no-quorum) with the value C(~)).
    type: dict
    suboptions:
      on_no_quorum:
        description:
          - C(DrbdOptions/Resource/on-no-quorum), the pool key C(drbd.on_no_quorum).
          - LINSTOR before 1.31 writes this property itself (its auto-quorum, C(DrbdOptions/auto-quorum), C(io-error)
            unless set otherwise) when it places the volume and at each later change of its resources. A create
            writes the value given back with one more request and warns; a later run puts it back if LINSTOR changed
            it again. Set C(DrbdOptions/auto-quorum) on the resource group to this value, or to C(disabled), to keep
            LINSTOR from changing it.
        type: str
        choices: [io-error, suspend-io]
      auto_diskful:
        description:
          - C(DrbdOptions/auto-diskful), the pool key C(drbd.auto_diskful), a duration such as C(1m), C(90s) or
            C(1h30m) of at least one minute, written in seconds as Incus writes it. LINSTOR reads the property in
            minutes, so it waits 60 times the duration given (C(10m) is written C(600), ten hours for LINSTOR).
        type: str
      auto_add_quorum_tiebreaker:
        description:
          - C(DrbdOptions/auto-add-quorum-tiebreaker), the pool key C(drbd.auto_add_quorum_tiebreaker).
        type: bool
  properties:
    description:
      - Extra properties of the volume's RD, as key/value pairs. Values may be strings, integers or booleans.
      - Keys under C(Aux/Incus/) are refused (Incus refuses them too, "Incus metadata cannot be manually set"), as
        are the keys of O(drbd_options) (which O(properties) may only remove, given as null) and the DRBD properties
        Incus manages itself.
      - Keys outside C(Aux/) are checked against the controller's list of resource-definition properties
        (C(GET /v1/resource-definitions/properties/info)) before anything is written; a key LINSTOR does not know,
        or a value its rule refuses (C(FileSystem/Type=btrfs)), fails the task, naming O(properties). That list is
        read with one more request, only when such a key is about to be written or removed (LINSTOR refuses to
        delete a key outside its whitelist too, such as the C(cloned-from) it sets on a copy).
      - Properties the RD has but that are not listed here are left alone. A key given as null (C(~)) is removed
        from the RD if it is there (the keys refused above cannot be removed either).
      - C(FileSystem/Type) (V(ext4) or V(xfs), the volume's C(block.filesystem) in Incus) has LINSTOR make the
        filesystem of a new filesystem volume, which the module cannot (see the notes). C(FileSystem/) keys are
        refused on block and ISO volumes and on virtual machines, where they would reach the raw disk.
    type: dict
  source:
    description:
      - Another volume to copy when this volume does not exist yet, with LINSTOR's clone.
      - Not for an image (O(type=image)), as Incus unpacks an image into the volume its fingerprint names, never copies
        another volume into it. An instance or custom volume can be copied from an image (O(source.type=image)).
      - The copy is a new RD in O(resource_group) whose clone request already carries the copy's own aux keys and drops
        the snapshot mappings inherited from the source, so no moment exists in which two RDs claim one volume.
        LINSTOR records C(cloned-from) on it. Snapshots are not copied.
      - O(size) and O(filesystem_size) default to the source's sizes; a larger size grows the copy after the clone,
        a smaller one fails before anything is written.
      - The module waits for the clone to complete (O(wait_timeout)); if the clone fails or times out, the new RD is
        deleted again.
      - When this volume already exists, O(source) is ignored and nothing is copied (idempotent); the existing
        volume is kept as it is, except for the size and property updates any run makes.
      - A source volume or snapshot that does not exist fails the run, naming O(source.volume) or
        O(source.snapshot); in check mode it is a warning and the copy is predicted, as an earlier task of the same
        check run may make the source.
    type: dict
    suboptions:
      volume:
        description:
          - Name of the volume to copy.
        type: str
        required: true
      type:
        description:
          - Incus type of the volume to copy; defaults to O(type).
        type: str
        choices: [container, containers, virtual-machine, virtual-machines, image, images, custom]
      project:
        description:
          - Incus project of the volume to copy; defaults to O(project).
        type: str
      snapshot:
        description:
          - Copy this Incus snapshot of O(source.volume) instead of the volume's current data, as Incus does - a new
            random RD in O(resource_group), carrying the copy's aux keys from the start, the snapshot's volume
            definitions restored into it, then its resources. If a step fails, the new RD is deleted again.
          - Only the snapshot is copied, never the volume's other snapshots (Incus refuses to copy a volume
            together with its snapshots onto LINSTOR too).
        type: str
        version_added: 0.1.0
  wait_timeout:
    description:
      - Seconds to wait for a LINSTOR clone (O(source)) to complete. The clone status is polled every 0.1 to 2 seconds.
    type: float
    default: 600
  delete_retries:
    description:
      - How many more times to try deleting the RD while LINSTOR answers that a resource is in use
        (C(FAIL_IN_USE)) or that a satellite failed (C(FAIL_UNKNOWN_ERROR), e.g. a device udev still holds), as
        Incus retries. Any other error fails at once.
      - For a volume with snapshots, also how many more times to read whether a resource is still in use before
        giving up, with nothing deleted (see O(state=absent)).
    type: int
    default: 5
  delete_retry_delay:
    description:
      - Seconds to wait between the tries of O(delete_retries).
    type: float
    default: 2
  remove_unmapped_snapshots:
    description:
      - With O(state=absent), also delete the RD's LINSTOR snapshots that no Incus snapshot mapping names (made with
        the linstor client, by a backup, or left by an interrupted run).
      - When V(false) and the RD has any, the delete fails before anything is deleted (in check mode too), naming
        them in RV(unmapped_snapshots). Incus fails there too, as LINSTOR refuses to delete an RD that still has
        snapshots.
      - A LINSTOR snapshot that a snapshot create claims (running, or killed before its mapping) is the volume's
        and goes with it either way.
    type: bool
    default: false
notes:
  - The module works only through LINSTOR's REST API. Incus also makes a filesystem on every new filesystem volume
    (and a virtual machine's config volume), grows it after a resize and gives a copy a new filesystem UUID, on the
    host; a volume made here is an empty block device, which Incus finds but cannot mount until a filesystem is
    made on it. For a filesystem volume, O(properties) C(FileSystem/Type) has LINSTOR make it when the volume is
    first placed. See the collection's guide (docs/guide.md).
  - Requests sent, which the integration tests assert against the LINSTOR emulator's request log.
    A run that changes nothing on an existing volume sends one request (the lookup, a GET; a delete of a volume
    that is gone reads the resource group too, below). Creating a volume sends four (lookup, spawn with
    every property, autoplace, and the lookup again, which confirms the new RD and tells apart twins made at the same
    moment). A rename sends two (lookup, one PUT). Check mode sends only GETs.
  - A copy of a volume sends six (lookup, the source's lookup, the controller's REST API version, the clone, its
    status until complete, the confirming lookup); LINSTOR before 1.32 takes no properties in a clone request, so
    there the copy gets its own in one more PUT after the clone. A copy from a snapshot sends eight (lookup, the
    source's lookup, its snapshots, the new RD, the restore of the volume definitions, then of the resources, one PUT
    giving the copy its own identity, the confirming lookup). A delete, a check-mode create, a rename or a copy whose
    volume (O(rename_from), O(source)) is not found reads the resource group too, so that a misspelt
    O(resource_group) fails naming it (a delete only warns, so that a teardown that also deleted the group can run
    again). In check mode a missing
    group is a warning, not a failure, as an earlier task of the same check run may be what creates it.
  - A check-mode create (not a copy) also reads the cluster's storage pools (one GET) and warns when LINSTOR cannot
    place the group's C(place_count) replicas (fewer online nodes with a diskful storage pool, or none with the
    group's pool), where the real run fails with LINSTOR's refusal of the placement and deletes its new RD again.
  - Deleting sends the lookup, a listing of the RD's snapshots (when there are any, a GET of its resources, see
    O(state=absent)), one DELETE per snapshot, one PUT dropping the snapshot mappings (when there are any) and the
    DELETE of the RD. In check mode the resources are read whether or not there are snapshots, to warn of a
    resource in use, which LINSTOR's delete refuses.
  - An RD that matches the lookup but lacks a valid C(Aux/Incus/content-type), or two RDs claiming the same volume,
    make the module fail without writing anything, naming the RDs; Incus refuses such volumes too. Before failing
    on two RDs, the lookup is sent again, after pauses doubling from half a second, for ten seconds (six lookups in
    all), as they may be twins of runs creating the volume at that moment, about to settle on one once the slower
    is placed.
  - "An RD LINSTOR is deleting (listed with flag C(DELETE) until the satellites have removed its resources: moments,
    or as long as one is offline) is not the volume: it is not counted as a second RD claiming it, and a create
    meanwhile makes a new RD (a volume deleted and created again at once); both it and O(state=absent) warn naming
    it (Incus's lookup finds it until it is gone). A delete LINSTOR 1.31.0 to 1.33.1 refused while the volume was in
    use keeps the flag and goes on only when sent again (or once the satellites reconnect): an RD flagged C(DELETE)
    none of whose resources is flagged or in use is such a stalled delete, and O(state=absent) sends it again, as
    Incus's delete does, deleting it as it deletes a volume (its snapshots first; RV(resource_definitions_deleted)
    names it); the first moments of a delete, before it flags a resource, look the same, and LINSTOR takes a delete
    sent again then as the first one. One whose resources are flagged (a delete under way, or stuck while a
    satellite is offline) is left to LINSTOR, with a warning and no change. An RD flagged C(DELETE) with a
    resource in use and not flagged (LINSTOR 1.31.0 to 1.33.1 keep the flag on an RD whose delete they refused
    while in use) is still the volume, with a warning that the controller deletes it once no resource is in use
    and its satellites reconnect: a lookup that meets an RD flagged C(DELETE) sends one more request, a GET of its
    resources."
  - Runs that create (or copy) the same volume at the same moment each confirm with the lookup once their RD is
    placed; when twins claim the volume, the RD placed first (the earliest resource C(create_timestamp) on the
    controller) stays, read with one more request, and every other run deletes its own RD and returns
    RV(concurrent_create). No run deletes an RD it did not make.
seealso:
  - name: Incus LINSTOR driver internals
    description: How Incus names its volumes in LINSTOR.
    link: https://linuxcontainers.org/incus/docs/main/reference/storage_linstor/
  - module: linstor.incus.linstor_incus_volume_info
  - module: linstor.incus.linstor_incus_resource_group
"""

EXAMPLES = r"""
# Each task stands alone. Pasted into one playbook, some clash with others on the next run (the create at 20GiB
# fails once the grow made the volume 40GiB, as nothing shrinks; the create of data after its rename makes a new
# data, and the rename then fails, as both exist): a rename or a grow is an event, not a state, so guard such tasks
# with what linstor_incus_volume_info reads, as playbooks/demo.yml does.
- name: Root volume of the container c1 in the pool whose resource group is "remote"
  linstor.incus.linstor_incus_volume:
    name: c1
    type: container
    size: 10GiB
    resource_group: remote

- name: Virtual machine v1 in project web, a 20 GiB disk and the default 500 MiB filesystem volume
  linstor.incus.linstor_incus_volume:
    name: v1
    type: virtual-machine
    project: web
    size: 20GiB
    resource_group: remote
    drbd_options:
      on_no_quorum: io-error

- name: Custom block volume with an extra RD property
  linstor.incus.linstor_incus_volume:
    name: data
    type: custom
    content_type: block
    size: 50GiB
    resource_group: remote
    properties:
      DrbdOptions/Net/max-buffers: 8000

- name: Rename the custom volume data to archive (one PUT; nothing happens once it is done)
  linstor.incus.linstor_incus_volume:
    name: archive
    rename_from: data
    type: custom
    resource_group: remote

# LINSTOR grows the volumes, not what is on them: move the disk's GPT backup header (sgdisk -e, or the guest's
# growpart) and grow the config volume's filesystem (resize2fs on its DRBD device; the task's warning names it).
# Incus will not grow that filesystem later. To have Incus do both, resize through Incus instead.
- name: Grow the virtual machine's disk and its filesystem volume
  linstor.incus.linstor_incus_volume:
    name: v1
    type: virtual-machine
    project: web
    size: 40GiB
    filesystem_size: 1GiB
    resource_group: remote

- name: Make the virtual machine v2 as a copy of the image it is created from
  linstor.incus.linstor_incus_volume:
    name: v2
    type: virtual-machine
    resource_group: remote
    source:
      volume: d21a26af7d5a95c3aa6e923257a1cb5cd765b102796b92ab111fb29ebfb86137
      type: image

- name: Restore-test the custom volume vol from its snapshot nightly into a new volume vol-check
  linstor.incus.linstor_incus_volume:
    name: vol-check
    type: custom
    resource_group: remote
    source:
      volume: vol
      snapshot: nightly

- name: Delete the container's volume together with its snapshots; show which snapshots go
  linstor.incus.linstor_incus_volume:
    name: c1
    type: container
    state: absent
    resource_group: remote
  diff: true
"""

RETURN = r"""
volume:
  description:
    - The volume as Incus sees it after the run (in check mode, as it would be). Empty after O(state=absent).
  returned: success
  type: dict
  contains:
    name:
      description: Incus name of the volume, without prefix or project.
      type: str
      sample: c1
    project:
      description: Incus project of the volume.
      type: str
      sample: default
    type:
      description: Incus volume type, in the plural form of the API.
      type: str
      sample: containers
    content_type:
      description: Content type of the volume.
      type: str
      sample: filesystem
    incus_name:
      description: Value of C(Aux/Incus/name).
      type: str
      sample: incus-volume-c1
    resource_definition:
      description: Name of the volume's LINSTOR RD; null in check mode for a volume that would be created.
      type: str
      sample: incus-volume-61be43e12fed4845ab3f2443cccbe50c
    resource_group:
      description: Resource group of the RD.
      type: str
      sample: remote
    port:
      description:
        - The RD's DRBD TCP port, when it has a DRBD layer (null in check mode for a new volume).
        - Null from LINSTOR 1.32 for an RD without a port of its own (each resource has its own port then).
      type: int
      sample: 7004
    volume_definitions:
      description: Volume definitions of the RD by volume number; a virtual machine has its block disk as 0 and its
        filesystem volume as 1.
      type: list
      elements: dict
      sample: [{"number": 0, "size_kib": 10485760}, {"number": 1, "size_kib": 512000}]
      contains:
        number:
          description: Volume number.
          type: int
        size_kib:
          description: Size in KiB.
          type: int
    snapshots:
      description: Snapshots of the volume, Incus snapshot name -> LINSTOR snapshot name.
      type: dict
      sample: {"snap0": "incus-volume-19dd0b015d22445f8097ba5e740948de"}
    properties:
      description:
        - Every property of the RD, including those LINSTOR adds itself.
        - In check mode, those the run would write; what LINSTOR adds when it places a new volume (its
          C(DrbdOptions/Resource/quorum), say) shows after the real run, and a snapshot mapping the run would write
          holds null (the LINSTOR snapshot name is drawn when the snapshot is made).
      type: dict
      sample:
        Aux/Incus/name: incus-volume-c1
        Aux/Incus/type: containers
        Aux/Incus/content-type: filesystem
        DrbdOptions/Net/allow-two-primaries: "yes"
        DrbdOptions/ExactSize: "true"
snapshots_removed:
  description:
    - With O(state=absent), the LINSTOR snapshots deleted with the volume, and with any resource definition in
      RV(resource_definitions_deleted) (in check mode, that would be deleted).
    - C(name) is the Incus snapshot name, null for a LINSTOR snapshot no mapping names (one a snapshot create
      claims, or any with O(remove_unmapped_snapshots=true)).
  returned: when O(state=absent), and on its failures except an error of LINSTOR's before anything was deleted
  type: list
  elements: dict
  sample: [{"name": "snap0", "linstor_name": "incus-volume-19dd0b015d22445f8097ba5e740948de"}]
resource_definitions_deleted:
  description:
    - "With O(state=absent), the resource definitions this run deleted (in check mode, would delete): first any
      claiming the volume whose delete was stalled (flag C(DELETE), no resource flagged or in use), which the run sent
      again, as Incus does, then the volume's. Empty when there was nothing to delete."
    - On a failure after one of them was deleted, the ones deleted.
  returned: when O(state=absent), and on its failures except an error of LINSTOR's before anything was deleted
  type: list
  elements: str
  sample: [incus-volume-4df9f0598bd14d73953151614428d298]
in_use_nodes:
  description:
    - When the delete of a volume with snapshots fails because a resource of it is in use, the nodes where it is
      (nothing was deleted; see O(state=absent)).
  returned: failed
  type: list
  elements: str
  sample: [server01]
unmapped_snapshots:
  description:
    - When a delete fails because the RD has LINSTOR snapshots that no mapping names, their names (see
      O(remove_unmapped_snapshots)).
    - Unlike RV(linstor.incus.linstor_incus_volume_info#module:anomalies.unmapped_snapshots), every LINSTOR snapshot
      counts, not only those named with the prefix, and those a snapshot create claims do not.
  returned: failed
  type: list
  elements: str
  sample: ["backup-2026-11-01"]
source_resource_definition:
  description:
    - The RD that was (or in check mode would be) cloned, when O(source) made a copy.
    - Null in check mode when the source does not exist yet (an earlier task of the same check run may make it).
  returned: when a copy is made
  type: str
  sample: incus-volume-d0531e21ce6b4218b9b8996582b9bf31
concurrent_create:
  description:
    - When another run created the same volume at the same moment and its RD was placed first (the earliest
      resource C(create_timestamp) on the controller), the RD this run made and deleted again, and that survivor.
      The result is then C(changed=false) and RV(volume) describes the survivor.
  returned: when this run yielded to a concurrent twin
  type: dict
  contains:
    deleted:
      description: The RD this run created and deleted again.
      type: str
    survivor:
      description: The RD that claims the volume.
      type: str
  sample:
    deleted: incus-volume-f1e2d3c4b5a697887766554433221100
    survivor: incus-volume-0a1b2c3d4e5f60718293a4b5c6d7e8f9
duplicates:
  description: On failure because several RDs claim the volume, their names.
  returned: on that failure
  type: list
  elements: str
  sample: [incus-volume-0a1b2c3d4e5f60718293a4b5c6d7e8f9, incus-volume-9f8e7d6c5b4a39281706f5e4d3c2b1a0]
written:
  description:
    - On failure of an update after part of it was written (the run then reports C(changed=true)), what went
      through - C(properties) (names, properties and DRBD options, one request), C(volume <number>) for each
      volume definition grown. Running the task again writes the rest.
  returned: on that failure
  type: list
  elements: str
  sample: [properties]
parameter:
  description: On failure caused by an option, the option to change.
  returned: on such failures
  type: str
  sample: size
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
resource_definitions:
  description: When O(rename_from) fails because both names exist, the two RDs.
  returned: on that failure
  type: list
  elements: str
  sample: [incus-volume-4df9f0598bd14d73953151614428d298, incus-volume-61be43e12fed4845ab3f2443cccbe50c]
resource_definition:
  description:
    - When the RD found for the volume lacks a valid C(Aux/Incus/content-type), that RD.
    - When a delete is refused because of LINSTOR snapshots no mapping names (RV(unmapped_snapshots)) or a resource
      in use (RV(in_use_nodes)), the RD that refused it (the volume's, or one whose delete LINSTOR left stalled, see
      O(state)).
  returned: on those failures
  type: str
  sample: incus-volume-4df9f0598bd14d73953151614428d298
source_snapshot:
  description: The snapshot a copy was made from (its Incus and LINSTOR names), when O(source.snapshot) made it.
  returned: when a copy is made from a snapshot
  type: dict
  sample: {"name": "snap0", "linstor_name": "incus-volume-19dd0b015d22445f8097ba5e740948de"}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._module import argument_spec, run_ensure  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._naming import DEFAULT_PREFIX  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._volumes import (  # noqa: E402
    DEFAULT_DELETE_RETRIES,
    DEFAULT_DELETE_RETRY_DELAY,
    DEFAULT_WAIT_TIMEOUT,
    VOLUME_TYPE_CHOICES,
    ensure_volume,
    volume_option_spec,
)

MODULE_OPTIONS = {
    **volume_option_spec(),
    "resource_group": {"type": "str", "required": True},
    "prefix": {"type": "str", "default": DEFAULT_PREFIX},
    "source": {
        "type": "dict",
        "options": {
            "volume": {"type": "str", "required": True},
            "type": {"type": "str", "choices": VOLUME_TYPE_CHOICES},
            "project": {"type": "str"},
            "snapshot": {"type": "str"},
        },
    },
    "wait_timeout": {"type": "float", "default": DEFAULT_WAIT_TIMEOUT},
    "delete_retries": {"type": "int", "default": DEFAULT_DELETE_RETRIES},
    "delete_retry_delay": {"type": "float", "default": DEFAULT_DELETE_RETRY_DELAY},
    "remove_unmapped_snapshots": {"type": "bool", "default": False},
}


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(MODULE_OPTIONS),
        supports_check_mode=True,
        mutually_exclusive=[("rename_from", "source")],
    )
    run_ensure(module, ensure_volume)


if __name__ == "__main__":
    main()
