# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the options that say which Incus volumes a linstor.incus module works on.

- ``linstor.incus.volume``: the Incus storage pool in LINSTOR (``resource_group``, ``prefix``),
  for every module that reads or writes the volumes of a pool.
- ``linstor.incus.volume.type_project``: the Incus type and project of the one volume a module
  manages (``type`` required, ``project`` defaulting to ``default``), as the argument specs of
  linstor_incus_volume and linstor_incus_snapshot declare them.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  resource_group:
    description:
      - LINSTOR resource group of the Incus storage pool (the pool key C(linstor.resource_group.name), which defaults
        to the pool name).
      - Only the resource definitions (RDs) of this group are considered; RDs of other groups are ignored, even when
        their C(Aux/Incus/) properties match.
    type: str
    required: true
  prefix:
    description:
      - Prefix of the pool's LINSTOR names; the pool key C(linstor.volume.prefix). Incus, and the modules of
        this collection, name every RD and every LINSTOR snapshot of the pool with this prefix followed by 32 hex
        digits, and start every C(Aux/Incus/name) value with it.
      - At most 16 characters (LINSTOR names are at most 48), starting with a letter or C(_), then letters, digits,
        C(_) or C(-), with at least one letter.
      - A volume named with another prefix is not seen. A task that reads the group's volumes with one listing
        (M(linstor.incus.linstor_incus_volume_info) unless it looks one volume up by name, type and project, and
        M(linstor.incus.linstor_incus_volumes)) warns when the group holds such volumes, naming their prefixes; a
        prefix that is not the pool's would otherwise show an empty pool, and create a second volume beside each
        of Incus's.
    type: str
    default: incus-volume-
"""

    TYPE_PROJECT = r"""
options:
  type:
    description:
      - Incus type of the volume. Singular (CLI) and plural (API) forms are accepted; C(Aux/Incus/type) holds the
        plural form.
    type: str
    required: true
    choices: [container, containers, virtual-machine, virtual-machines, image, images, custom]
  project:
    description:
      - Incus project of the volume. Images always live in C(default); another project fails for them.
      - For a custom volume, the project Incus keeps it in. A project without C(features.storage.volumes=true)
        keeps its custom volumes in C(default) (Incus's StorageVolumeProject), so give C(default) for them; the
        project given here is not looked up in Incus.
    type: str
    default: default
"""
