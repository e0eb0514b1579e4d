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
    role's first task. It reads the role as this collection's roles are laid out (C(meta/argument_specs.yml), and
    C(main.yml) files in C(defaults/) and C(vars/)); a file it cannot read fails it, naming the file.
  - Takes the names of the variables set (as the C(ansible.builtin.varnames) lookup gives them, a list) and the
    role's directory. A name the role knows passes (an option of its C(meta/argument_specs.yml), a key of its
    C(defaults/main.yml) or C(vars/main.yml), or a name its tasks register, set as a fact, set as task C(vars) or
    loop over), and so does a name that is not a misspelling of an option (the variable of another role or of the
    play). A misspelling is one edit away from an option (a character added, dropped, changed, or two swapped), or
    two for an option of 16 characters or more, and not the option with a suffix of a user's own
    (C(volumes_list_host), C(volumes_list_common)) or its plural (C(pool_names)).
  - Each one found is returned with the option it looks like, and shown as a warning. Ansible shows a warning once
    per run, whichever hosts set the variable.
positional: _input, role_path, role
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

import os  # noqa: E402
from collections.abc import Iterable, Iterator, Sequence  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402
from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible.utils.display import Display  # noqa: E402

SET_FACT_ACTIONS = ("ansible.builtin.set_fact", "set_fact")
LONG_OPTION = 16
"""Options of at least this many characters are matched within two edits, shorter ones within one."""
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader: the filter runs for every host


def _yaml(path: str) -> Any:
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as stream:
            return yaml.load(stream, Loader=_LOADER)  # a safe loader (CSafeLoader or SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise AnsibleFilterError(f"misspelt_role_variables: cannot read {path} ({error})") from error


def _names_set_by(tasks: Any) -> Iterator[str]:
    """The names that ``tasks`` (a task file's content, blocks included) register, set as facts, set as task vars
    or loop over."""
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
        loop_control = tasks.get("loop_control")
        if isinstance(loop_control, dict) and isinstance(loop_control.get("loop_var"), str):
            yield loop_control["loop_var"]
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


def edits(a: str, b: str) -> int:
    """How many single-character insertions, deletions, substitutions or swaps of neighbours turn ``a`` into ``b``
    (the optimal string alignment distance)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def misspelling_of(name: str, options: Iterable[str]) -> str | None:
    """The option ``name`` looks like a misspelling of: one or two edits away (two for long options), and not the
    option with a suffix of its own (``volumes_list_host``, ``pool_names``: a user's variable built on it)."""
    candidates = []
    for option in options:
        if name.startswith(option + "_") or name == option + "s":
            continue
        distance = edits(name, option)
        if 0 < distance <= (2 if len(option) >= LONG_OPTION else 1):
            candidates.append((distance, option))
    return min(candidates)[1] if candidates else None


def misspelt_role_variables(names: Sequence[str], role_path: str, role: str) -> list[str]:
    """A message for each of ``names`` the role does not know and that looks like a misspelling of its options."""
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise AnsibleFilterError("misspelt_role_variables: give the variable names as a list (query('varnames', "
                                 f"...), not lookup(...)), got {type(names).__name__}")
    options, known = role_variables(role_path)
    messages = []
    for name in sorted(set(names) - known):
        option = misspelling_of(name, options)
        if option is not None:
            messages.append(f"{name} is set, but the {role} role has no such variable and ignores it: "
                            f"did you mean {option}?")
    for message in messages:
        Display().warning(message)
    return messages


class FilterModule:
    """linstor.incus filters."""

    def filters(self) -> dict:
        return {"misspelt_role_variables": misspelt_role_variables}
