"""LINSTOR's name rules (com.linbit.Checks.nameCheck and the identifier classes), without HTTP.

Resource, resource group and snapshot names: 2 to 48 bytes, at least one ASCII letter, first
byte a letter or ``_``, then letters, digits, ``_`` or ``-``. Resource names must not be ``all``
or ``proxy`` (any case): DRBD reserves them. Storage pool names are the same from 3 bytes.
Names are unique ignoring case (LINSTOR compares the upper-cased value), and keep the case
they were created with for display.
"""

from __future__ import annotations

RESERVED_RSC_NAMES = ("all", "proxy")


class InvalidName(ValueError):
    """The cause LINSTOR reports for a name that fails its checks."""


def _is_alpha(byte: int) -> bool:
    return (0x61 <= byte <= 0x7A) or (0x41 <= byte <= 0x5A)


def _is_digit(byte: int) -> bool:
    return 0x30 <= byte <= 0x39


def name_check(name: str, min_length: int, max_length: int, first_chars: bytes = b"_",
               inner_chars: bytes = b"_-") -> None:
    """Checks.nameCheck: raises InvalidName with LINSTOR's own cause text."""
    data = name.encode("utf-8")
    if len(data) < min_length:
        raise InvalidName(f"Invalid name: Name length {len(data)} is less than minimum length {min_length}")
    if len(data) > max_length:
        raise InvalidName(f"Invalid name: Name length {len(data)} is greater than maximum length {max_length}")
    if not any(_is_alpha(byte) for byte in data):
        raise InvalidName("Invalid name: Name must contain at least one character that matches [a-zA-Z]")
    if not _is_alpha(data[0]) and data[0] not in first_chars:
        raise InvalidName(f"Invalid name: Cannot begin with character '{chr(data[0])}'")
    for byte in data[1:]:
        if not (_is_alpha(byte) or _is_digit(byte) or byte in inner_chars):
            raise InvalidName(f"Invalid name: Cannot contain character '{chr(byte)}'")


def check_resource_name(name: str) -> None:
    if name.lower() in RESERVED_RSC_NAMES:
        raise InvalidName(f"The specified name '{name}' cannot be used because it matches a keyword reserved for DRBD.")
    name_check(name, 2, 48)


def check_resource_group_name(name: str) -> None:
    name_check(name, 2, 48)


def check_snapshot_name(name: str) -> None:
    name_check(name, 2, 48)


def check_storage_pool_name(name: str) -> None:
    name_check(name, 3, 48)


def check_node_name(name: str) -> None:
    """Checks.hostNameCheck (NodeName): RFC 1123 host names, raising InvalidName with LINSTOR's cause text."""
    if name.startswith("."):
        raise InvalidName("Hostname cannot begin with '.'")
    if name.startswith("-"):
        raise InvalidName("Hostname cannot begin with '-'")
    if name.endswith("-"):
        raise InvalidName("Hostname cannot end with '-'")
    data = name.encode("utf-8")
    if len(data) < 2:
        raise InvalidName(f"Hostname length of {len(data)} violates RFC1123 minimum length of 2")
    if len(data) > 255:
        raise InvalidName(f"Hostname length of {len(data)} violates RFC1123 maximum length of 255")
    label = 0
    for byte in data:
        if byte == 0x2E:
            label = 0
            continue
        label += 1
        if label > 63:
            raise InvalidName(f"Domain name component length of {label} violates RFC1123 maximum length of 63")
        if not (_is_alpha(byte) or _is_digit(byte) or byte == 0x2D):
            raise InvalidName(f"Domain name cannot contain character '{chr(byte)}'")
