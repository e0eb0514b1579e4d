# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The linstor.incus.pool_name_problem filter: Incus's rule for storage pool names, for roles and playbooks."""

from __future__ import annotations

DOCUMENTATION = r"""
name: pool_name_problem
short_description: Say what is wrong with a name for an Incus storage pool
version_added: 0.1.0
description:
  - Applies the rule Incus applies to a new storage pool's name (its API name rule), so that a role or playbook can
    refuse a name before it writes anything for the pool (such as its LINSTOR resource group).
  - At most 64 bytes (UTF-8), no white space, none of C($ ? & + " ' ` * /), a letter or digit first and last.
positional: _input
options:
  _input:
    description: The pool name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a pool name Incus would refuse, before the resource group is made
  ansible.builtin.assert:
    that: (pool_name | linstor.incus.pool_name_problem) == ''
    fail_msg: "pool_name: {{ pool_name | linstor.incus.pool_name_problem }}"
"""

RETURN = r"""
_value:
  description: Why Incus would refuse the name; an empty string when it takes it.
  type: str
"""

from ansible_collections.linstor.incus.plugins.module_utils._naming import api_name_problem  # noqa: E402


def pool_name_problem(name: object) -> str:
    """Why Incus would refuse ``name`` for a storage pool, or ``""``."""
    if not isinstance(name, str) or not name:
        return f"{name!r} is not a valid Incus storage pool name: it must be a non-empty string"
    problem = api_name_problem(name)
    return f"{name!r} is not a valid Incus storage pool name: {problem}" if problem else ""


class FilterModule:
    """linstor.incus filters."""

    def filters(self) -> dict:
        return {"pool_name_problem": pool_name_problem}
