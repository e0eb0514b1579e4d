# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the attributes linstor.incus modules share.

- ``linstor.incus.attributes``: membership of the ``linstor.incus.linstor_incus`` action group
  (every module; meta/runtime.yml lists them).
- ``linstor.incus.attributes.writes``: full check mode and diff support, for the modules that write.
- ``linstor.incus.attributes.info``: check mode of a module that only reads, and no diff.

A module may still give one of these attributes itself (e.g. to add ``details``); its entry wins.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  action_group:
    description: Use C(group/linstor.incus.linstor_incus) in C(module_defaults) to set the connection options once for
      every module of the collection.
    support: full
    membership:
      - linstor.incus.linstor_incus
"""

    WRITES = r"""
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
"""

    INFO = r"""
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same way in check mode.
  diff_mode:
    support: none
    description: The module only reads, so there is nothing to show a difference for.
"""
