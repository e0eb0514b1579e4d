# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The linstor.incus.prefix_problem filter: the modules' prefix rule, for roles and playbooks."""

from __future__ import annotations

DOCUMENTATION = r"""
name: prefix_problem
short_description: Say what is wrong with a volume prefix for an Incus storage pool on LINSTOR
version_added: 0.1.0
description:
  - Applies the rule every module of the collection applies to its O(linstor.incus.linstor_incus_volume#module:prefix)
    option, before anything is made, for a prefix that is about to be given to Incus as the pool's
    C(linstor.volume.prefix), which Incus never lets change.
  - A prefix begins every LINSTOR resource definition and snapshot name the pool makes, followed by 32 hex digits,
    so it must be at most 16 characters, start with a letter or C(_), hold only letters, digits, C(_) and C(-), and
    contain a letter.
positional: _input
options:
  _input:
    description: The prefix.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a prefix that would make invalid LINSTOR names, before the pool is made
  ansible.builtin.assert:
    that: (pool_volume_prefix | linstor.incus.prefix_problem) == ''
    fail_msg: "pool_volume_prefix: {{ pool_volume_prefix | linstor.incus.prefix_problem }}"
"""

RETURN = r"""
_value:
  description: Why the prefix cannot be used, in the modules' words; an empty string when it can.
  type: str
"""

from ansible_collections.linstor.incus.plugins.module_utils._naming import NamingError, validate_prefix  # noqa: E402


def prefix_problem(prefix: object) -> str:
    """The modules' message about ``prefix``, or ``""`` when every name it makes is a valid LINSTOR name."""
    try:
        validate_prefix(prefix if isinstance(prefix, str) else "")  # anything else gets the non-empty-string message
    except NamingError as error:
        return error.message
    return ""


class FilterModule:
    """linstor.incus filters."""

    def filters(self) -> dict:
        return {"prefix_problem": prefix_problem}
