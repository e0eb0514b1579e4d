# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The linstor.incus.misspelt_role_variables filter: warn about a role variable set under a misspelt name."""

from __future__ import annotations

DOCUMENTATION = r"""
name: misspelt_role_variables
short_description: Warn about variables that look like a role's variables, misspelt
version_added: 0.1.0
description:
  - Ansible ignores a variable that no task reads, so a role variable set under a misspelt name (C(volumes_timout),
    C(pool_place_cont)) leaves the role on its default without a word. This filter tells such names apart, for a
    role's first task.
  - Takes the names of the variables set (as the C(ansible.builtin.varnames) lookup gives them) and the role's
    directory. A name the role knows passes (an option of its C(meta/argument_specs.yml), a key of its
    C(defaults/main.yml) or C(vars/main.yml), or a name its tasks register, set as a fact or as task C(vars)), and
    so does a name unlike every option (the variable of another role or of the play). A name the role does not
    know that is close to one of its options (difflib's ratio of at least 0.8) is returned with that option, and
    shown as a warning.
positional: _input
options:
  _input:
    description: Names of the variables set, such as C(query('ansible.builtin.varnames', '^volumes?_')).
    type: list
    elements: str
    required: true
  role_path:
    description: The role's directory (C(role_path)).
    type: path
    required: true
  role:
    description: The role's name, for the warning (C(ansible_role_name)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Warn about variables that look like this role's, misspelt (Ansible would ignore them)
  ansible.builtin.assert:
    that: misspelt is sequence  # the filter warns about each name it returns
    quiet: true
  vars:
    misspelt: >-
      {{ query('ansible.builtin.varnames', '^volumes?_')
         | linstor.incus.misspelt_role_variables(role_path, ansible_role_name) }}
"""

RETURN = r"""
_value:
  description:
    - "One message per misspelt name, such as C(volumes_timout is set, but the linstor.incus.volumes role has no
      such variable and ignores it: did you mean volumes_timeout?); empty when there is none."
    - Each message is also shown as a warning of the task.
  type: list
  elements: str
"""

import difflib  # noqa: E402
import os  # noqa: E402
from collections.abc import Iterable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402
from ansible.utils.display import Display  # noqa: E402

SET_FACT_ACTIONS = ("ansible.builtin.set_fact", "set_fact")
CLOSENESS = 0.8


def _yaml(path: str) -> Any:
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def _names_set_by(tasks: Any) -> Iterator[str]:
    """The names that ``tasks`` (a task file's content, blocks included) register, set as facts or as task vars."""
    if isinstance(tasks, list):
        for item in tasks:
            yield from _names_set_by(item)
    elif isinstance(tasks, dict):
        if isinstance(tasks.get("register"), str):
            yield tasks["register"]
        for action in SET_FACT_ACTIONS:
            if isinstance(tasks.get(action), dict):
                yield from (name for name in tasks[action] if name != "cacheable")
        if isinstance(tasks.get("vars"), dict):
            yield from tasks["vars"]
        for section in ("block", "rescue", "always"):
            yield from _names_set_by(tasks.get(section))


def role_variables(role_path: str) -> tuple[list[str], set[str]]:
    """The options of the role at ``role_path`` (what a user sets) and every name the role knows."""
    specs = _yaml(os.path.join(role_path, "meta", "argument_specs.yml")) or {}
    options = sorted(((specs.get("argument_specs") or {}).get("main") or {}).get("options") or {})
    known = set(options)
    for source in ("defaults", "vars"):
        known.update(_yaml(os.path.join(role_path, source, "main.yml")) or {})
    tasks_dir = os.path.join(role_path, "tasks")
    for task_file in sorted(os.listdir(tasks_dir)) if os.path.isdir(tasks_dir) else []:
        if task_file.endswith((".yml", ".yaml")):
            known.update(_names_set_by(_yaml(os.path.join(tasks_dir, task_file))))
    return options, known


def misspelt_role_variables(names: Iterable[str], role_path: str, role: str) -> list[str]:
    """A message for each of ``names`` the role does not know and that is close to one of its options."""
    options, known = role_variables(role_path)
    messages = []
    for name in sorted(set(names) - known):
        close = difflib.get_close_matches(name, options, n=1, cutoff=CLOSENESS)
        if close:
            messages.append(f"{name} is set, but the {role} role has no such variable and ignores it: "
                            f"did you mean {close[0]}?")
    for message in messages:
        Display().warning(message)
    return messages


class FilterModule:
    """linstor.incus filters."""

    def filters(self) -> dict:
        return {"misspelt_role_variables": misspelt_role_variables}
