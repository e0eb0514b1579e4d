# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The linstor.incus.role_failure_message filter: a module's failure told in the role variables a user set."""

from __future__ import annotations

DOCUMENTATION = r"""
name: role_failure_message
short_description: Tell a module's failure in the names of the role variables behind its options
version_added: 0.1.0
description:
  - The collection's roles pass their variables on to module options (C(pool_place_count) to C(place_count),
    C(volumes_list) to C(volumes)). A module names its own option when it refuses a value, and this filter rewrites
    such a failure in the role's names, for a role's C(rescue).
  - Takes the failed result (a looped task's result is told by its first failed item). When the result names a
    parameter (C(volumes[1].size)) whose option the mapping knows, the message starts with the role variable
    (C(volumes_list[1].size) followed by the module's reason) instead of the option. An option path with an index
    anywhere in the message (C(volumes[2].rename_from) after a semicolon, say) is renamed the same way, and a
    message that starts with an option the mapping knows and its quoted value (C(resource_group 'x' does not
    exist), a check-mode warning the role fails on) starts with the role variable. An option of two words or more
    named on its own later in the message, as its advice does (C(or set allow_insecure_auth)), is renamed too, and
    so is any option the message calls C(the controllers option) (told as C(the volumes_controllers role
    variable)). Any other text stays.
positional: _input, variables
options:
  _input:
    description: The failed result, as C(ansible_failed_result).
    type: dict
    required: true
  variables:
    description: Module option -> role variable, for example C(place_count) -> C(pool_place_count).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Fail naming the role variable
  ansible.builtin.fail:
    msg: "{{ ansible_failed_result | linstor.incus.role_failure_message({'place_count': 'pool_place_count'}) }}"
"""

RETURN = r"""
_value:
  description: The failure's message, in the role's names.
  type: str
"""

import re  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from typing import Any  # noqa: E402


def _first_failure(result: Mapping[str, Any]) -> Mapping[str, Any]:
    items = [item for item in result.get("results") or [] if isinstance(item, Mapping) and item.get("failed")]
    return items[0] if items else result


def _renamed(path: str, variables: Mapping[str, str]) -> str | None:
    """``path`` (``volumes[1].size``, ``drbd_options.auto_diskful``) with its option renamed; None if unknown."""
    option = re.match(r"[^.\[]*", path).group(0)
    return variables[option] + path[len(option):] if option in variables else None


def _advice_renamed(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with each option of two words or more (``allow_insecure_auth``) renamed where it stands as a word of
    the prose, as in a message's advice ("or set allow_insecure_auth"): after a space or an opening parenthesis, and
    before a space, punctuation or the end. Not inside a name, a path, a quoted value or a key (``ca_cert.pem``,
    ``'storage_pool'``, ``linstor.resource_group.name``), nor as the subject the message starts with (after the role
    variable it is told under). One-word options (``timeout``, ``volumes``) are words of the text too, and stay,
    except as "the controllers option", told as "the volumes_controllers role variable". An option path with an
    index (``volumes[2].rename_from``) is renamed wherever it starts a word."""
    text = re.sub(r"(?<![\w./'-])([A-Za-z_]+)(?=\[\d+\])",
                  lambda match: variables.get(match.group(1), match.group(1)), text)
    text = re.sub(r"\bthe ([a-z_]+) option\b",
                  lambda match: (f"the {variables[match.group(1)]} role variable" if match.group(1) in variables
                                 else match.group(0)), text)
    options = sorted((option for option in variables if "_" in option), key=len, reverse=True)
    if not options:
        return text
    pattern = r"(?<=[\s(\[])(" + "|".join(map(re.escape, options)) + r")(?=[\s=,;:?!)\]]|\.(?:[\s)]|$)|$)"
    return re.sub(pattern, lambda match: variables[match.group(1)], text)


def role_failure_message(result: Mapping[str, Any], variables: Mapping[str, str]) -> str:
    """The failure's message with the module's option names replaced by ``variables``' role variables."""
    failure = _first_failure(result or {})
    message = str(failure.get("msg") or "")
    parameter = str(failure.get("parameter") or "")
    variable = _renamed(parameter, variables) if parameter else None
    if variable is not None:  # the message starts with the option, and where its value came from if not the task
        subject = re.match(re.escape(parameter) + r"( \(from [^)]*\))?: ", message)
        source, told = (subject.group(1) or "", message[subject.end():]) if subject else ("", message)
        return f"{variable}{source}: {_advice_renamed(told, variables)}"
    quoted = re.match(r"([A-Za-z_]+) '", message)  # a message naming an option and quoting its value
    if quoted and quoted.group(1) in variables:
        return f"{variables[quoted.group(1)]}: {_advice_renamed(message, variables)}"
    return _advice_renamed(message, variables)


class FilterModule:
    """linstor.incus filters."""

    def filters(self) -> dict:
        return {"role_failure_message": role_failure_message}
