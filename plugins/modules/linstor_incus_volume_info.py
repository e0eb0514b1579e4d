#!/usr/bin/python
# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""List the Incus volumes of a LINSTOR resource group, and what is wrong around them."""

from __future__ import annotations

DOCUMENTATION = r"""
module: linstor_incus_volume_info
short_description: List the Incus volumes kept in a LINSTOR resource group
version_added: 0.1.0
description:
  - Lists the Incus storage volumes of one Incus storage pool, that is the resource definitions (RDs) of its
    LINSTOR resource group that carry Incus's auxiliary properties (C(Aux/Incus/name), C(Aux/Incus/type),
    C(Aux/Incus/content-type)) with a C(Aux/Incus/name) that starts with O(prefix), each in the shape
    M(linstor.incus.linstor_incus_volume) returns.
  - Reads with one C(GET /v1/resource-definitions) whose C(props) filters select, on the controller, the RDs
    carrying C(Aux/Incus/name) and C(Aux/Incus/type) (the keys Incus finds a volume by), whatever the number of
    volumes; with O(name) and O(type) (and O(project), except for images) it is the exact lookup Incus itself
    makes. The content type is not filtered on the controller (Incus's lookup does not filter on it either);
    O(content_type) selects among the RDs read, so that a twin of the other content type is still read and
    reported (RV(anomalies.duplicates)). LINSTOR cannot filter RDs by resource group, so the RDs of other groups
    are dropped after the reply.
  - O(include_resources) and O(include_snapshots) each add one request.
  - Reports what an operator should look at - orphans, duplicates, dangling snapshot mappings, unmapped
    snapshots and snapshot claims left behind (see RV(anomalies)).
  - Never changes anything.
author:
  - linstor.incus contributors (@linstor-incus)
extends_documentation_fragment:
  - linstor.incus.connection
  - linstor.incus.attributes
  - linstor.incus.attributes.info
  - linstor.incus.volume
options:
  name:
    description:
      - Only the volume with this logical name (without prefix or project), for example V(c1), V(vol) or an
        image fingerprint.
      - A name Incus could not give a volume of O(type) (of any type, without O(type)) is refused, so that a
        misspelt filter fails instead of listing nothing.
    type: str
  type:
    description:
      - Only volumes of this type. Singular (Incus CLI) and plural (API) forms are accepted.
    type: str
    choices: [container, containers, virtual-machine, virtual-machines, image, images, custom]
  project:
    description:
      - Only volumes of this Incus project. Images always belong to V(default).
      - When not set, volumes of every project are listed.
    type: str
  content_type:
    description:
      - Only volumes of this content type.
    type: str
    choices: [filesystem, block, iso]
  include_resources:
    description:
      - Also return where each volume's resources are placed (RV(volumes[].resources)), read with one more request
        (C(GET /v1/view/resources)).
    type: bool
    default: false
  include_snapshots:
    description:
      - Also read the LINSTOR snapshots, with one more request (C(GET /v1/view/snapshots)), to return each
        snapshot's nodes, sizes and creation time (RV(volumes[].snapshot_details)) and to find
        RV(anomalies.dangling_snapshot_mappings) and RV(anomalies.unmapped_snapshots).
      - Without it, RV(volumes[].snapshots) still maps every Incus snapshot to its LINSTOR snapshot, as recorded
        on the RD, and the two snapshot anomaly lists are empty.
    type: bool
    default: false
  scan_all:
    description:
      - List every RD of the controller instead of only those carrying Incus's name and type keys (still one
        request), so that orphans which lack either (an RD spawned by Incus that never got its keys) are found.
      - Without it, the controller filters on those two keys, as Incus looks volumes up, and only orphans that
        carry both are found (one lacking only C(Aux/Incus/content-type), or whose keys are not what Incus writes).
        Use it for audits; it transfers every RD of the cluster.
    type: bool
    default: false
  query:
    description:
      - A JMESPath expression applied to the result (a dict with RV(volumes), RV(snapshot_mounts) and
        RV(anomalies)); its value is returned as RV(query_result).
      - Needs the Python library C(jmespath) on the managed node, imported only when this option is set.
    type: str
notes:
  - Requests per run, whatever the number of volumes, 1 for the listing, plus 1 for O(include_resources),
    plus 1 for O(include_snapshots).
  - When the listing holds no RD of O(resource_group), one more request checks that the group exists, and the
    module fails if it does not, so that a misspelt group is not mistaken for a pool without volumes. In check
    mode it warns instead and returns no volumes, as an earlier task of the same check run may create the group.
  - Volumes are sorted by type, project, name and RD name.
requirements:
  - jmespath (only for O(query))
seealso:
  - module: linstor.incus.linstor_incus_volume
"""

EXAMPLES = r"""
- name: List every Incus volume of the pool "linstor"
  linstor.incus.linstor_incus_volume_info:
    resource_group: linstor
  register: pool

- name: Show the RD behind the container c1
  ansible.builtin.debug:
    msg: "{{ pool.volumes | selectattr('name', '==', 'c1') | map(attribute='resource_definition') | first }}"

- name: Find one volume exactly as Incus looks it up (one filtered request)
  linstor.incus.linstor_incus_volume_info:
    resource_group: linstor
    type: virtual-machine
    project: default
    name: v1
  register: v1

- name: Disaster recovery - Incus name -> RD name for every volume, to rebuild Incus's database
  linstor.incus.linstor_incus_volume_info:
    resource_group: linstor
    query: "volumes[].{incus: incus_name, type: type, rd: resource_definition}"
  register: dr

- name: Audit - fail when anything needs attention
  linstor.incus.linstor_incus_volume_info:
    resource_group: linstor
    include_snapshots: true
    include_resources: true
    scan_all: true
    query: "[anomalies.orphans, anomalies.duplicates, anomalies.dangling_snapshot_mappings,
      anomalies.unmapped_snapshots, anomalies.snapshot_claims, anomalies.unplaced][] | length(@)"
  register: audit
  failed_when: audit.query_result > 0

- name: Where are the replicas of the project web's custom volumes?
  linstor.incus.linstor_incus_volume_info:
    resource_group: linstor
    type: custom
    project: web
    include_resources: true
    query: "volumes[].{volume: name, nodes: resources[?!diskless].node}"
  register: placement

- name: Block volumes larger than 100 GiB
  linstor.incus.linstor_incus_volume_info:
    resource_group: linstor
    content_type: block
    query: "volumes[?volume_definitions[0].size_kib > `104857600`].incus_name"
  register: big
"""

RETURN = r"""
volumes:
  description:
    - The Incus volumes of the group that match the filters, in the shape M(linstor.incus.linstor_incus_volume)
      returns as RV(linstor.incus.linstor_incus_volume#module:volume), with the RD's C(flags).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Logical name, without prefix or project (an image's is its fingerprint).
      type: str
      sample: c1
    project:
      description: Incus project.
      type: str
      sample: default
    type:
      description: Volume type, in the plural API form.
      type: str
      sample: containers
    content_type:
      description: C(filesystem), C(block) or C(iso).
      type: str
      sample: filesystem
    incus_name:
      description: The C(Aux/Incus/name) value.
      type: str
      sample: incus-volume-c1
    resource_definition:
      description: The LINSTOR RD name.
      type: str
      sample: incus-volume-61be43e12fed4845ab3f2443cccbe50c
    resource_group:
      description: The RD's resource group.
      type: str
      sample: linstor
    port:
      description:
        - The RD's DRBD TCP port, when it has a DRBD layer.
        - Null from LINSTOR 1.32 for an RD without a port of its own (each resource has its own port then).
      type: int
      sample: 7004
    volume_definitions:
      description: Volume number and size of each volume definition (a VM has 0, its disk, and 1, its filesystem).
      type: list
      elements: dict
      sample: [{"number": 0, "size_kib": 10485760}, {"number": 1, "size_kib": 512000}]
    snapshots:
      description: Incus snapshot name -> LINSTOR snapshot name, as recorded on the RD.
      type: dict
      sample: {"snap0": "incus-volume-19dd0b015d22445f8097ba5e740948de"}
    snapshot_details:
      description:
        - Each mapped snapshot, oldest first (C(name), C(linstor_name), C(exists), C(nodes), C(created_on) as
          ISO 8601 UTC, C(volume_definitions)), in the shape M(linstor.incus.linstor_incus_snapshot) returns its
          snapshot list. A mapping whose LINSTOR snapshot is missing has C(exists=false) and no details.
      returned: when O(include_snapshots=true)
      type: list
      elements: dict
    properties:
      description: Every property of the RD.
      type: dict
    flags:
      description:
        - The RD's LINSTOR flags. C(DELETE) while LINSTOR deletes it, which a controller lists until the satellites
          have removed its resources (for as long as one is offline); the other modules no longer take such an RD
          for the volume, unless one of its resources is in use and not flagged C(DELETE) (LINSTOR 1.31.0 to
          1.33.1 keep the flag on an RD whose delete they refused because a resource is in use).
      type: list
      elements: str
      sample: []
    resources:
      description:
        - One entry per node holding a resource of the volume - C(node), C(diskless), C(tie_breaker), C(in_use),
          C(flags), and C(volumes) (C(number), C(storage_pool), C(device_path), C(disk_state),
          C(allocated_size_kib), C(usable_size_kib)).
      returned: when O(include_resources=true)
      type: list
      elements: dict
snapshot_mounts:
  description:
    - The temporary RDs Incus makes to mount a snapshot (to read from it, or to back it up) and deletes when it
      unmounts it - an RD restored from the snapshot, whose C(Aux/Incus/name) is the volume's followed by
      C(/<snapshot>) (a VM's holds its filesystem volume). Not volumes, and not anomalies while Incus has the
      snapshot mounted; one left after an Incus server died with it mounted stays, and is deleted by hand
      (C(linstor resource-definition delete <rd>)) once no Incus server has the snapshot mounted (none of its
      C(resources) in use).
    - Each with the mounted volume's C(name), C(project), C(type) and C(incus_name), the C(snapshot) (its Incus
      name), the RD's C(content_type), C(resource_definition) and C(resource_group), and with
      O(include_resources=true) its C(resources) (as RV(volumes[].resources)). O(name), O(type), O(project) and
      O(content_type) select them as they select volumes, except that Incus's exact lookup (O(name) with O(type),
      and O(project) unless the type is images) asks LINSTOR for the volume's own C(Aux/Incus/name), which leaves
      them out of the listing (O(scan_all=true) lists them then).
  returned: success
  type: list
  elements: dict
  sample: [{"name": "c1", "project": "default", "type": "containers", "content_type": "filesystem",
            "incus_name": "incus-volume-c1", "snapshot": "snap0",
            "resource_definition": "incus-volume-0f3e1c2b4a5d46e7980a1b2c3d4e5f60", "resource_group": "linstor"}]
anomalies:
  description: What needs an operator's attention. Every list is empty when all is well.
  returned: success
  type: dict
  contains:
    orphans:
      description:
        - RDs of the group named like Incus's (prefix + 32 hex digits) that are not a valid Incus volume - aux keys
          missing or not what Incus writes - with C(resource_definition), C(resource_group), C(reason) and their
          C(aux_properties).
        - Orphans lacking C(Aux/Incus/name) or C(Aux/Incus/type) are only found with O(scan_all=true).
        - The RD Incus mounts a snapshot through is not one (RV(snapshot_mounts)).
      type: list
      elements: dict
    duplicates:
      description:
        - Incus volumes claimed by more than one RD (Incus refuses to use them, "Multiple resource definitions
          found"), with C(name), C(project), C(type), C(incus_name), C(snapshot) (null) and the
          C(resource_definitions).
        - Snapshots mounted through more than one RD (RV(snapshot_mounts); Incus fails to mount or unmount such a
          snapshot), the same way, with the mounted volume's identity and C(snapshot) set to the snapshot's name.
        - As Incus's lookup, every RD of the group with the volume's C(Aux/Incus/name) and C(Aux/Incus/type)
          counts, whatever else it lacks or holds (an RD without C(Aux/Incus/content-type), of the other content
          type, or not named with the prefix, or one LINSTOR is deleting, flag C(DELETE)), so such an RD is named
          here next to the volume it blocks.
      type: list
      elements: dict
    dangling_snapshot_mappings:
      description:
        - Snapshot mappings (C(Aux/Incus/snapshot-name/...)) naming a LINSTOR snapshot the RD does not have, with
          the volume's identity, C(snapshot) and C(linstor_snapshot). Only checked with O(include_snapshots=true).
      type: list
      elements: dict
    unmapped_snapshots:
      description:
        - LINSTOR snapshots named with the prefix on a listed RD that no mapping names, with the volume's identity,
          C(linstor_snapshot) and C(created_on). Only checked with O(include_snapshots=true).
      type: list
      elements: dict
    snapshot_claims:
      description:
        - Claims that M(linstor.incus.linstor_incus_snapshot) writes on the RD while it creates a snapshot
          (C(Aux/linstor-incus/snapshot-claim/<LINSTOR snapshot>) = the Incus snapshot name), on snapshot names
          no mapping holds, with the volume's identity, C(snapshot) (the Incus name) and C(linstor_snapshot).
          A claim on a mapped name holds nothing and is not listed.
        - A claim lives for the second a create runs. One that stays was left by a run killed between its claim
          and its mapping; Incus ignores it. The next create of that snapshot name drops it, taking the claimed
          LINSTOR snapshot as that snapshot if it was made less than 15 minutes before its own; an older one
          stays unmapped (RV(anomalies.unmapped_snapshots)). M(linstor.incus.linstor_incus_snapshot) with
          O(linstor.incus.linstor_incus_snapshot#module:state=absent) for the name drops it too, and deletes no
          LINSTOR snapshot, since the name is not mapped.
        - LINSTOR keeps the RD's properties in every snapshot, the claim included (it is written before the
          snapshot is taken), and copies them onto an RD made from the snapshot. So a volume Incus makes from a
          snapshot this collection took (a copy from it, or the RD Incus mounts it through) carries that claim,
          naming a LINSTOR snapshot of the source volume. It is as harmless, and goes the same ways; on the RD of a
          mounted snapshot (RV(snapshot_mounts)), which goes at unmount, it is not listed. On an RD listed among
          RV(anomalies.orphans), the identity fields are null and C(resource_definition) names the RD.
      type: list
      elements: dict
    unplaced:
      description:
        - Volumes with no diskful resource, which hold no data, with the volume's identity and C(nodes) (the
          diskless resources it has, if any). Only checked with O(include_resources=true).
        - A create whose undo failed leaves such an RD (the module's failure names it in C(left_behind)), and every
          later lookup takes it for the volume. Delete it (C(linstor resource-definition delete <rd>)), or place it
          (C(linstor resource-definition auto-place <rd>)) when its volume is meant to be new and empty.
      type: list
      elements: dict
query_result:
  description: The value of O(query) applied to C({volumes, snapshot_mounts, anomalies}).
  returned: when O(query) is set
  type: raw
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
parameter:
  description: On failure caused by an option, the option to change.
  returned: on such failures
  type: str
  sample: query
"""

# Imports follow the documentation, as ansible-test requires.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._inventory import volume_info  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._module import argument_spec, run_ensure  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._naming import CONTENT_TYPES, DEFAULT_PREFIX  # noqa: E402
from ansible_collections.linstor.incus.plugins.module_utils._volumes import VOLUME_TYPE_CHOICES  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec({
            "resource_group": {"type": "str", "required": True},
            "prefix": {"type": "str", "default": DEFAULT_PREFIX},
            "name": {"type": "str"},
            "type": {"type": "str", "choices": VOLUME_TYPE_CHOICES},
            "project": {"type": "str"},
            "content_type": {"type": "str", "choices": list(CONTENT_TYPES)},
            "include_resources": {"type": "bool", "default": False},
            "include_snapshots": {"type": "bool", "default": False},
            "scan_all": {"type": "bool", "default": False},
            "query": {"type": "str"},
        }),
        supports_check_mode=True,
    )
    run_ensure(module, volume_info)


if __name__ == "__main__":
    main()
