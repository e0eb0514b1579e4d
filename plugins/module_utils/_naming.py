# Copyright: (c) 2026, linstor.incus contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How Incus names its volumes in LINSTOR: the one place that knows the rules.

Everything here follows the Incus LINSTOR driver (lxc/incus,
``internal/server/storage/drivers/driver_linstor*.go``) and the collection's naming document.
No other file formats an ``Aux/Incus/...`` key, joins a project to a name or splits one.
Pure functions, standard library only; errors are raised as :class:`NamingError`.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

# --- Property keys (as the Incus driver declares them) ---------------------------------------

AUX_NAMESPACE = "Aux/"
FREE_PROPERTY_NAMESPACES = (AUX_NAMESPACE, "EBS/Tags/")
"""LINSTOR accepts any well-formed key under these; every other key must be on its whitelist."""
DRBD_OPTIONS_NAMESPACE = "DrbdOptions/"
INCUS_KEY_PREFIX = AUX_NAMESPACE + "Incus/"
AUX_NAME = INCUS_KEY_PREFIX + "name"
AUX_TYPE = INCUS_KEY_PREFIX + "type"
AUX_CONTENT_TYPE = INCUS_KEY_PREFIX + "content-type"
SNAPSHOT_KEY_PREFIX = INCUS_KEY_PREFIX + "snapshot-name/"
"""Snapshot mapping keys as the driver writes and reads them."""
LEGACY_SNAPSHOT_KEY_PREFIX = INCUS_KEY_PREFIX + "SnapshotName/"
"""Snapshot mapping keys as the Incus internals document shows them; read, never written."""
SNAPSHOT_CLAIM_PREFIX = AUX_NAMESPACE + "linstor-incus/snapshot-claim/"
"""Transient key of a run creating a snapshot, written before its LINSTOR snapshot (``...claim/<LINSTOR name>``
= the Incus snapshot name), so that runs creating the same snapshot see each other; removed with the
mapping write. Not an Incus key: Incus neither reads nor writes it."""
SNAPSHOT_KEY_NAMESPACES = (SNAPSHOT_KEY_PREFIX.rstrip("/"), LEGACY_SNAPSHOT_KEY_PREFIX.rstrip("/"),
                           SNAPSHOT_CLAIM_PREFIX.rstrip("/"))
"""Namespaces of per-snapshot keys: a copy (a new RD without snapshots) and a deleted volume drop them,
e.g. through a clone request's ``delete_namespaces``."""

ALLOW_TWO_PRIMARIES_KEY = "DrbdOptions/Net/allow-two-primaries"
EXACT_SIZE_KEY = "DrbdOptions/ExactSize"
FILESYSTEM_NAMESPACE = "FileSystem/"
"""LINSTOR's mkfs keys (``FileSystem/Type``, ``FileSystem/MkfsParams``...): its satellite makes that filesystem on
every volume of the RD that blkid finds none on, when the RD's first resource is made (and, from LINSTOR
1.33.2, on a volume restored from a snapshot)."""
ON_NO_QUORUM_KEY = "DrbdOptions/Resource/on-no-quorum"
AUTO_DISKFUL_KEY = "DrbdOptions/auto-diskful"
AUTO_ADD_QUORUM_TIEBREAKER_KEY = "DrbdOptions/auto-add-quorum-tiebreaker"
AUTO_QUORUM_KEY = "DrbdOptions/auto-quorum"
"""LINSTOR's auto-quorum policy before 1.31 (``io-error``, ``suspend-io`` or ``disabled``); not an Incus key."""

CREATE_PROPERTIES = {ALLOW_TWO_PRIMARIES_KEY: "yes", EXACT_SIZE_KEY: "true"}
"""Properties Incus sets on every RD it creates (besides the aux keys and DRBD options)."""

DRBD_OPTION_KEYS = {
    "on_no_quorum": ON_NO_QUORUM_KEY,
    "auto_diskful": AUTO_DISKFUL_KEY,
    "auto_add_quorum_tiebreaker": AUTO_ADD_QUORUM_TIEBREAKER_KEY,
}
"""``drbd_options`` sub-option -> the DRBD property it sets."""
ON_NO_QUORUM_VALUES = ("io-error", "suspend-io")
AUTO_DISKFUL_MINIMUM_SECONDS = 60
GO_DURATION_MAX_SECONDS = (2**63 - 1) // 10**9
"""The longest duration Go's time.ParseDuration reads (about 2562047h), as Incus reads ``drbd.auto_diskful``."""

DRIVER_MANAGED_KEYS = (ALLOW_TWO_PRIMARIES_KEY, "DrbdOptions/Resource/quorum", "DrbdOptions/auto-verify-alg")
"""DRBD properties Incus refuses to let users set by hand (``linstor.raw.*``)."""

# --- Names -----------------------------------------------------------------------------------

DEFAULT_PREFIX = "incus-volume-"
DEFAULT_PROJECT = "default"
PROJECT_SEPARATOR = "_"
GENERATED_SUFFIX_LENGTH = 32
"""A version-4 UUID written as lowercase hex without dashes."""
PREFIX_MAX_LENGTH = 16
"""LINSTOR names are at most 48 bytes; 48 - 32 hex digits leaves 16 for the prefix."""
LINSTOR_NAME_MIN_LENGTH = 2
LINSTOR_NAME_MAX_LENGTH = 48
LINSTOR_RESERVED_NAMES = ("all", "proxy")
LINSTOR_PROPERTY_KEY_MAX_LENGTH = 255  # PropsContainer's 256-character path limit counts one more than the key

# --- Volume and content types ----------------------------------------------------------------

TYPE_CONTAINERS = "containers"
TYPE_VIRTUAL_MACHINES = "virtual-machines"
TYPE_IMAGES = "images"
TYPE_CUSTOM = "custom"
VOLUME_TYPES = {
    "container": TYPE_CONTAINERS,
    "virtual-machine": TYPE_VIRTUAL_MACHINES,
    "image": TYPE_IMAGES,
    "custom": TYPE_CUSTOM,
}
"""Incus CLI singular -> API plural (the form stored in ``Aux/Incus/type``)."""
INSTANCE_TYPES = (TYPE_CONTAINERS, TYPE_VIRTUAL_MACHINES)

CONTENT_FILESYSTEM = "filesystem"
CONTENT_BLOCK = "block"
CONTENT_ISO = "iso"
CONTENT_TYPES = (CONTENT_FILESYSTEM, CONTENT_BLOCK, CONTENT_ISO)
ALLOWED_CONTENT_TYPES = {
    TYPE_CONTAINERS: (CONTENT_FILESYSTEM,),
    TYPE_VIRTUAL_MACHINES: (CONTENT_BLOCK,),
    TYPE_IMAGES: (CONTENT_FILESYSTEM, CONTENT_BLOCK),
    TYPE_CUSTOM: (CONTENT_FILESYSTEM, CONTENT_BLOCK, CONTENT_ISO),
}
"""Content types each volume type can have (a VM image is block, a container image filesystem)."""

# --- Sizes -----------------------------------------------------------------------------------

KIB = 1024
MIB = 1024 * KIB
MIN_VOLUME_SIZE_BYTES = 4 * MIB
"""Smallest volume DRBD supports (room for its metadata); Incus raises smaller sizes to it."""
BLOCK_BOUNDARY_BYTES = 8192
"""Incus rounds every volume size up to this boundary (``MinBlockBoundary``)."""
DEFAULT_VM_FILESYSTEM_SIZE_BYTES = 500 * MIB
"""Incus's ``size.state`` default: the size of a VM's filesystem volume unless filesystem_size is given."""
RESIZE_TOLERANCE_BYTES = 512
MAX_SIZE_BYTES = 2**40 * 1024
"""LINSTOR's largest volume definition: 2^40 KiB (1 PiB; "Valid sizes range from 4 to 1099511627776")."""

_DECIMAL_UNITS = {"kB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4, "PB": 1000**5, "EB": 1000**6}
_BINARY_UNITS = {"KiB": KIB, "MiB": KIB**2, "GiB": KIB**3, "TiB": KIB**4, "PiB": KIB**5, "EiB": KIB**6}
_SHORT_BINARY_UNITS = {"K": KIB, "M": KIB**2, "G": KIB**3, "T": KIB**4, "P": KIB**5, "E": KIB**6}
SIZE_UNITS = {"": 1, "B": 1, "bytes": 1, **_DECIMAL_UNITS, **_BINARY_UNITS, **_SHORT_BINARY_UNITS}
"""Incus's units (``units.ParseByteSizeString``), plus bare K/M/G/T/P/E as binary units."""

_DURATION_UNIT_SECONDS = {
    "ns": Fraction(1, 10**9),
    "us": Fraction(1, 10**6),
    "µs": Fraction(1, 10**6),
    "μs": Fraction(1, 10**6),
    "ms": Fraction(1, 10**3),
    "s": Fraction(1),
    "m": Fraction(60),
    "h": Fraction(3600),
}
_DURATION_PART = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)"

_LINSTOR_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9-]+")
_API_NAME_EDGES_RE = re.compile(r"[A-Za-z0-9](.*[A-Za-z0-9])?", re.DOTALL)
_API_NAME_RESERVED_CHARS = ("$", "?", "&", "+", '"', "'", "`", "*", "/")
_FINGERPRINT_RE = re.compile(r"[0-9a-f]{64}")
_SIZE_RE = re.compile(r"\s*([0-9]+)\s*([A-Za-z]*)\s*", re.ASCII)
_DURATION_RE = re.compile(r"[+-]?(?:" + _DURATION_PART + r")+")
_TRUE_STRINGS = ("true", "yes", "on", "1")
_FALSE_STRINGS = ("false", "no", "off", "0")


class NamingError(ValueError):
    """A value breaks an Incus or LINSTOR naming rule; ``parameter`` is the option to change."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message

    def renamed(self, names: Mapping[str, str]) -> NamingError:
        """The same error told under the option ``names`` gives its parameter (``name`` checked for a snapshot's
        ``volume``, say), its message's leading parameter renamed too; itself when ``names`` has none."""
        parameter = names.get(self.parameter)
        if parameter is None:
            return self
        told = (parameter + self.message[len(self.parameter):] if self.message.startswith(self.parameter + " ")
                else f"{parameter}: {self.message}")
        return NamingError(parameter, told)


# --- LINSTOR names and the prefix ------------------------------------------------------------


def _checked_name(value: object, parameter: str, problem_of: Callable[[str], str | None], what: str) -> str:
    """Return ``value`` if it is a string ``problem_of`` finds nothing wrong with; else raise naming ``parameter``
    and saying it is not ``what`` (e.g. "a valid LINSTOR name") and why."""
    if not isinstance(value, str):
        raise NamingError(parameter, f"{parameter} must be a string, got {value!r}")
    problem = problem_of(value)
    if problem:
        raise NamingError(parameter, f"{parameter} {value!r} is not {what}: {problem}")
    return value


def validate_linstor_name(value: str, parameter: str) -> str:
    """Return ``value`` if LINSTOR accepts it as a resource or snapshot name, else raise."""
    return _checked_name(value, parameter, _linstor_name_problem, "a valid LINSTOR name")


def validate_resource_group(value: object) -> str:
    """Return ``value`` if it can name the LINSTOR resource group of an Incus pool, else raise naming
    ``resource_group`` (before anything is sent: a blank or malformed name is a typo, not a missing group)."""
    if not value:
        raise NamingError("resource_group", "resource_group is required: the LINSTOR resource group of the Incus pool")
    return validate_linstor_name(value, "resource_group")


def _linstor_name_problem(value: str) -> str | None:
    if not LINSTOR_NAME_MIN_LENGTH <= len(value.encode()) <= LINSTOR_NAME_MAX_LENGTH:
        return f"it must be {LINSTOR_NAME_MIN_LENGTH} to {LINSTOR_NAME_MAX_LENGTH} bytes long"
    if not _LINSTOR_NAME_RE.fullmatch(value):
        return "it must start with a letter or '_' and contain only letters, digits, '_' and '-'"
    if not any(char.isalpha() for char in value):
        return "it must contain at least one letter"
    if value.lower() in LINSTOR_RESERVED_NAMES:
        return f"{value!r} is reserved by LINSTOR"
    return None


@functools.lru_cache(maxsize=64)
def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if every name it generates (prefix + 32 hex digits) is a valid LINSTOR name.

    Incus itself only requires fewer than 24 characters, and replaces an empty prefix with
    ``incus-volume-``; a LINSTOR name is at most 48 bytes, so 16 is the real limit.
    """
    if not isinstance(prefix, str) or not prefix:
        raise NamingError(
            "prefix",
            f"prefix must be a non-empty string (Incus uses {DEFAULT_PREFIX!r} when linstor.volume.prefix "
            "is unset); set prefix to the storage pool's linstor.volume.prefix",
        )
    if len(prefix) > PREFIX_MAX_LENGTH:
        raise NamingError(
            "prefix",
            f"prefix {prefix!r} is {len(prefix)} characters long; at most {PREFIX_MAX_LENGTH} are allowed "
            f"because LINSTOR names are at most {LINSTOR_NAME_MAX_LENGTH} characters and "
            f"{GENERATED_SUFFIX_LENGTH} hex digits are appended",
        )
    if not _LINSTOR_NAME_RE.fullmatch(prefix):
        raise NamingError(
            "prefix",
            f"prefix {prefix!r} must start with a letter or '_' and contain only letters, digits, '_' and '-', "
            "because it begins every LINSTOR resource and snapshot name",
        )
    if not any(char.isalpha() for char in prefix):
        raise NamingError(
            "prefix",
            f"prefix {prefix!r} must contain a letter, because LINSTOR names need one and "
            "the random hex digits appended may have none",
        )
    return prefix


def generate_name(prefix: str) -> str:
    """Return a new RD or snapshot name: ``prefix`` + a random version-4 UUID as 32 lowercase hex digits."""
    return validate_prefix(prefix) + uuid.uuid4().hex


def is_generated_name(prefix: str, value: str) -> bool:
    """Tell whether ``value`` looks like a name :func:`generate_name` would make with ``prefix``."""
    suffix = value[len(prefix) :] if value.startswith(prefix) else ""
    return len(suffix) == GENERATED_SUFFIX_LENGTH and all(char in "0123456789abcdef" for char in suffix)


def generated_prefix(value: str) -> str | None:
    """The prefix of a name :func:`generate_name` could have made (``incus-volume-`` of
    ``incus-volume-<32 hex digits>``); None for any other name, or one without a prefix."""
    prefix = value[:-GENERATED_SUFFIX_LENGTH]
    return prefix if prefix and is_generated_name(prefix, value) else None


# --- Types -----------------------------------------------------------------------------------


def normalize_volume_type(value: str, parameter: str = "type") -> str:
    """Return the plural API form of a volume type given in singular (CLI) or plural form."""
    if value in VOLUME_TYPES.values():
        return value
    if value in VOLUME_TYPES:
        return VOLUME_TYPES[value]
    accepted = ", ".join(list(VOLUME_TYPES) + list(VOLUME_TYPES.values()))
    raise NamingError(parameter, f"{parameter} {value!r} is not an Incus volume type; use one of: {accepted}")


def default_content_type(volume_type: str) -> str:
    """Content type Incus gives a volume of this type when none is asked for."""
    volume_type = normalize_volume_type(volume_type)
    return CONTENT_BLOCK if volume_type in (TYPE_VIRTUAL_MACHINES, TYPE_IMAGES) else CONTENT_FILESYSTEM


def check_content_type(content_type: str, parameter: str = "content_type") -> None:
    """Fail naming ``parameter`` unless ``content_type`` is one of Incus's content types."""
    if content_type not in CONTENT_TYPES:
        raise NamingError(
            parameter,
            f"{parameter} {content_type!r} is not an Incus content type; use one of: {', '.join(CONTENT_TYPES)}",
        )


def validate_content_type(volume_type: str, content_type: str | None, parameter: str = "content_type") -> str:
    """Return the content type for a volume (the default when ``None``) after checking the type allows it."""
    volume_type = normalize_volume_type(volume_type)
    if content_type is None:
        return default_content_type(volume_type)
    check_content_type(content_type, parameter)
    allowed = ALLOWED_CONTENT_TYPES[volume_type]
    if content_type not in allowed:
        raise NamingError(
            parameter,
            f"{parameter} {content_type!r} is not possible for {volume_type} volumes; use {' or '.join(allowed)}",
        )
    return content_type


def filesystem_keys_problem(keys: Iterable[str], volume_type: str, content_type: str) -> str | None:
    """Why the RD of this volume may not carry :data:`FILESYSTEM_NAMESPACE` keys, or None when it may.

    Only a filesystem volume (one volume definition, the filesystem Incus mounts) takes them. On any other
    RD they reach the raw disk too, where blkid finds no filesystem (a partition table is not one), so a
    later restore (LINSTOR 1.33.2 and later) can make a filesystem over the data.
    """
    found = sorted(key for key in keys if key.startswith(FILESYSTEM_NAMESPACE))
    if not found or content_type == CONTENT_FILESYSTEM:
        return None
    return (f"{', '.join(found)}: with it LINSTOR makes a filesystem on every volume of the RD that blkid finds "
            f"none on, and a {normalize_volume_type(volume_type)} volume of content type {content_type} is a raw "
            "disk (a restore of it can get a filesystem over its data, from LINSTOR 1.33.2); only "
            "filesystem volumes take FileSystem/ keys")


def has_filesystem_volume(volume_type: str, content_type: str) -> bool:
    """Whether the RD carries a filesystem volume (number 1) next to its block disk (volume 0).

    Incus's ``IsVMBlock``: a virtual machine and a block image (what VMs are made from) hold
    their block disk and the small filesystem volume for their configuration; every other RD
    holds one volume.
    """
    volume_type = normalize_volume_type(volume_type)
    return volume_type in (TYPE_VIRTUAL_MACHINES, TYPE_IMAGES) and content_type == CONTENT_BLOCK


# --- Incus names -----------------------------------------------------------------------------


def api_name_problem(value: str) -> str | None:
    """Incus's rule for API object names (``validate.IsAPIName``): storage pools, projects, custom volumes and
    snapshots; None when ``value`` obeys it."""
    if len(value.encode()) > 64:  # Go's len: bytes
        return "it must be at most 64 bytes long"
    if any(char.isspace() for char in value):
        return "it must not contain white space"
    for char in _API_NAME_RESERVED_CHARS:
        if char in value:
            return f"it must not contain {char!r}"
    if not _API_NAME_EDGES_RE.fullmatch(value):
        return "it must start and end with a letter or digit"
    return None


def validate_project(value: str, parameter: str = "project") -> str:
    """Return ``value`` if Incus accepts it as a project name (which also keeps ``<project>_<name>`` splittable)."""
    return _checked_name(value, parameter, _project_name_problem, "a valid Incus project name")


def _project_name_problem(value: str) -> str | None:
    problem = api_name_problem(value)
    if problem is None and PROJECT_SEPARATOR in value:
        return f"Incus project names may not contain {PROJECT_SEPARATOR!r}"
    return problem


def _instance_name_problem(value: str) -> str | None:
    """Incus's rule for instance names (``validate.IsHostname``)."""
    if not 1 <= len(value) <= 63:
        return "it must be 1 to 63 characters long"
    if not value.isascii() or not _HOSTNAME_RE.fullmatch(value):
        return "it may contain only letters, digits and '-'"
    if value.startswith("-") or value.endswith("-"):
        return "it must not start or end with '-'"
    if value.isdigit():
        return "it cannot be a number"
    return None


def validate_volume_name(volume_type: str, value: str, parameter: str = "name") -> str:
    """Return ``value`` if Incus accepts it as the name of a volume of this type.

    Instances follow the hostname rule, custom volumes the API name rule, and images are named
    by their full SHA-256 fingerprint (64 lowercase hex digits), as Incus stores it.
    """
    volume_type = normalize_volume_type(volume_type)
    if volume_type in INSTANCE_TYPES:
        return _checked_name(value, parameter, _instance_name_problem, "a valid Incus instance name")
    if volume_type == TYPE_CUSTOM:
        return _checked_name(value, parameter, api_name_problem, "a valid Incus custom volume name")
    return _checked_name(value, parameter, _image_name_problem, "a valid Incus image name")


def _image_name_problem(value: str) -> str | None:
    return None if _FINGERPRINT_RE.fullmatch(value) else "use the full fingerprint, 64 lowercase hex digits"


def validate_listed_name(value: object, volume_type: str | None, parameter: str = "name") -> str:
    """Return ``value`` if it can name a volume of ``volume_type`` (of any type when ``None``).

    Every name Incus accepts for an instance or an image also obeys its API name rule, so that rule
    is what a name of no given type must obey.
    """
    if volume_type is not None:
        return validate_volume_name(volume_type, value, parameter)
    return _checked_name(value, parameter, api_name_problem, "the name of any Incus volume")


def _validate_identity(volume_type: str, project: str, name: str) -> str:
    volume_type = normalize_volume_type(volume_type)
    validate_project(project)
    if volume_type == TYPE_IMAGES and project != DEFAULT_PROJECT:
        raise NamingError(
            "project",
            f"project must be {DEFAULT_PROJECT!r} for images: Incus keeps image volumes in the default "
            f"project and names them by fingerprint alone, not {project!r}",
        )
    validate_volume_name(volume_type, name)
    return volume_type


def incus_volume_name(volume_type: str, project: str, name: str) -> str:
    """The volume name Incus stores after the prefix in ``Aux/Incus/name``.

    Instances: bare in the default project, ``<project>_<name>`` elsewhere; custom volumes:
    always ``<project>_<name>``; images: the fingerprint.
    """
    volume_type = _validate_identity(volume_type, project, name)
    if volume_type == TYPE_IMAGES or (volume_type in INSTANCE_TYPES and project == DEFAULT_PROJECT):
        return name
    return project + PROJECT_SEPARATOR + name


def parse_incus_volume_name(volume_type: str, value: str) -> tuple[str, str]:
    """Return ``(project, name)`` from an ``Aux/Incus/name`` value without its prefix.

    The exact inverse of :func:`incus_volume_name`: custom names split at the first ``_`` as
    Incus does (project names cannot contain one); a value that function would never produce
    (an invalid part, ``default_<name>`` for an instance) is refused.
    """
    volume_type = normalize_volume_type(volume_type)
    if volume_type == TYPE_IMAGES:
        project, name = DEFAULT_PROJECT, value
    elif PROJECT_SEPARATOR in value:
        project, name = value.split(PROJECT_SEPARATOR, 1)
    elif volume_type == TYPE_CUSTOM:
        raise NamingError("name", f"custom volume name {value!r} lacks the '<project>_' Incus puts before it")
    else:
        project, name = DEFAULT_PROJECT, value
    try:
        canonical = incus_volume_name(volume_type, project, name)
    except NamingError as error:
        raise NamingError("name", f"{value!r} is not an Incus {volume_type} volume name: {error.message}") from error
    if canonical != value:
        raise NamingError("name", f"{value!r} is not an Incus {volume_type} volume name: Incus writes {canonical!r}")
    return project, name


def aux_name(prefix: str, volume_type: str, project: str, name: str) -> str:
    """The ``Aux/Incus/name`` value: the prefix followed by :func:`incus_volume_name`."""
    return validate_prefix(prefix) + incus_volume_name(volume_type, project, name)


def aux_properties(prefix: str, volume_type: str, project: str, name: str, content_type: str | None) -> dict[str, str]:
    """The three aux keys Incus sets on a volume's RD (content type defaults by type when ``None``)."""
    volume_type = normalize_volume_type(volume_type)
    return {
        AUX_NAME: aux_name(prefix, volume_type, project, name),
        AUX_TYPE: volume_type,
        AUX_CONTENT_TYPE: validate_content_type(volume_type, content_type),
    }


def creation_properties(
    prefix: str,
    volume_type: str,
    project: str,
    name: str,
    content_type: str | None,
    drbd_options: dict[str, object] | None = None,
    properties: dict[str, object] | None = None,
) -> dict[str, str]:
    """Every property an RD is born with, as Incus creates it: the user's ``properties``, the DRBD
    options (``drbd_options`` as keyword arguments of :func:`drbd_option_properties`), the
    properties Incus always sets, and the aux keys; later ones cannot be overridden by earlier ones.
    """
    return {
        **validate_user_properties(properties),
        **drbd_option_properties(**(drbd_options or {})),
        **CREATE_PROPERTIES,
        **aux_properties(prefix, volume_type, project, name, content_type),
    }


def type_filter(volume_type: str) -> str:
    """The ``props`` query value that selects every volume of one type (Incus's type filter)."""
    return f"{AUX_TYPE}={normalize_volume_type(volume_type)}"


def lookup_filters(prefix: str, volume_type: str, project: str, name: str) -> list[str]:
    """The ``props`` query values Incus uses to find a volume's RD (content type is not filtered)."""
    return [f"{AUX_NAME}={aux_name(prefix, volume_type, project, name)}", type_filter(volume_type)]


def listing_filters(volume_type: str | None = None) -> list[str]:
    """``props`` query values selecting the RDs Incus can find (those carrying its name and type keys), optionally
    of one type. Never the content type: Incus finds an RD by name and type, so an RD lacking its content type,
    or a twin of another content type, must be listed for an audit to report it."""
    type_filter = AUX_TYPE if volume_type is None else f"{AUX_TYPE}={normalize_volume_type(volume_type)}"
    return [AUX_NAME, type_filter]


# --- Snapshots -------------------------------------------------------------------------------


def _snapshot_name_problem(value: str) -> str | None:
    """What the name of any snapshot, old or new, obeys: the mapping key ``snapshot-name/<name>`` needs it."""
    if not value:
        return "it must not be empty"
    if any(char.isspace() for char in value) or "/" in value:
        return "it must not contain white space or '/'"
    if len(SNAPSHOT_KEY_PREFIX + value) > LINSTOR_PROPERTY_KEY_MAX_LENGTH:
        return f"it must be at most {LINSTOR_PROPERTY_KEY_MAX_LENGTH - len(SNAPSHOT_KEY_PREFIX)} characters long"
    return None


def validate_snapshot_name(value: str, parameter: str = "name", existing: bool = False) -> str:
    """Return ``value`` if Incus accepts it as the name of a snapshot.

    Incus (from 6.16) gives a snapshot of any volume type, made or renamed, a name by its API name rule
    (``validate.IsAPIName``). A name that only refers to a snapshot (``existing``: to delete, restore,
    rename or copy from) need only make a mapping key, since an older Incus let instance snapshots hold
    anything but white space and ``/``.
    """
    def problem_of(name: str) -> str | None:
        return (api_name_problem(name) if name and not existing else None) or _snapshot_name_problem(name)

    return _checked_name(value, parameter, problem_of, "a valid Incus snapshot name")


def snapshot_key(snapshot_name: str) -> str:
    """The RD property key that maps an Incus snapshot to its LINSTOR snapshot (the driver's form)."""
    problem = _snapshot_name_problem(snapshot_name) if isinstance(snapshot_name, str) else "it must be a string"
    if problem:
        raise NamingError("name", f"name {snapshot_name!r} is not a valid Incus snapshot name: {problem}")
    return SNAPSHOT_KEY_PREFIX + snapshot_name


def snapshot_name_from_key(key: str) -> str | None:
    """The Incus snapshot name a mapping key (either form) is for, or ``None`` for any other key."""
    for key_prefix in (SNAPSHOT_KEY_PREFIX, LEGACY_SNAPSHOT_KEY_PREFIX):
        if key.startswith(key_prefix) and len(key) > len(key_prefix):
            return key[len(key_prefix) :]
    return None


def unmapped_snapshots(props: Mapping[str, str], rd_snapshots: Iterable[str]) -> list[str]:
    """The RD's LINSTOR snapshots (names, or a mapping keyed by them) that no mapping names, sorted."""
    mapped = {linstor.lower() for linstor in snapshot_mappings(props).values()}
    return sorted(name for name in rd_snapshots if name.lower() not in mapped)


def snapshot_claim_key(linstor_name: str) -> str:
    """The transient claim key of a run creating LINSTOR snapshot ``linstor_name``."""
    return SNAPSHOT_CLAIM_PREFIX + linstor_name


def claimed_snapshots(props: Mapping[str, str]) -> dict[str, str]:
    """Every claim in an RD's properties: LINSTOR snapshot name -> the Incus snapshot name claimed."""
    return {key[len(SNAPSHOT_CLAIM_PREFIX):]: value for key, value in props.items()
            if key.startswith(SNAPSHOT_CLAIM_PREFIX) and len(key) > len(SNAPSHOT_CLAIM_PREFIX)}


def open_claims(props: Mapping[str, str]) -> dict[str, str]:
    """The claims (:func:`claimed_snapshots`) on Incus snapshot names no mapping names: a create running, or one
    killed before its mapping. A claim on a mapped name holds nothing: a twin's that yields to the mapping, or
    one LINSTOR copied back from a snapshot's captured properties (a copy or restore of a snapshot taken while
    the claim was on the RD); no create, delete or rename reads it."""
    mapped = set(snapshot_mappings(dict(props)))
    return {linstor_name: claimed for linstor_name, claimed in claimed_snapshots(props).items()
            if claimed not in mapped}


def snapshot_claims(props: Mapping[str, str], snapshot_name: str) -> list[str]:
    """The LINSTOR snapshots that runs creating Incus snapshot ``snapshot_name`` have claimed, sorted."""
    return sorted(linstor_name for linstor_name, claimed in claimed_snapshots(props).items()
                  if claimed == snapshot_name)


def snapshot_mappings(props: dict[str, str]) -> dict[str, str]:
    """Map Incus snapshot name -> LINSTOR snapshot name from an RD's properties.

    Both key forms are read. When one snapshot has both, the driver's ``snapshot-name`` form
    wins, because it is the only one Incus itself reads.
    """
    legacy = {}
    current = {}
    for key, value in props.items():
        snapshot_name = snapshot_name_from_key(key)
        if snapshot_name is not None:
            target = current if key.startswith(SNAPSHOT_KEY_PREFIX) else legacy
            target[snapshot_name] = value
    return {**legacy, **current}


def snapshot_keys(props: dict[str, str], snapshot_name: str) -> list[str]:
    """Every mapping key (both forms) present in ``props`` for one snapshot, to delete or move them all."""
    keys = (SNAPSHOT_KEY_PREFIX + snapshot_name, LEGACY_SNAPSHOT_KEY_PREFIX + snapshot_name)
    return [key for key in keys if key in props]


def snapshot_claim_keys(props: Mapping[str, str], snapshot_name: str) -> list[str]:
    """The claim keys in ``props`` on Incus snapshot ``snapshot_name``, sorted."""
    return [snapshot_claim_key(linstor_name) for linstor_name in snapshot_claims(props, snapshot_name)]


def snapshot_keys_and_claims(props: dict[str, str], snapshot_name: str) -> list[str]:
    """:func:`snapshot_keys` and the claim keys on the same Incus snapshot: what deleting it drops."""
    return snapshot_keys(props, snapshot_name) + snapshot_claim_keys(props, snapshot_name)


def per_snapshot_keys(props: Mapping[str, str]) -> list[str]:
    """The keys of ``props`` in :data:`SNAPSHOT_KEY_NAMESPACES` (mappings of both forms, claims), sorted.

    Dropped by name: LINSTOR before 1.32 ignores a PUT whose only change is ``delete_namespaces``."""
    return sorted(key for key in props
                  if any(key.startswith(namespace + "/") for namespace in SNAPSHOT_KEY_NAMESPACES))


def without_snapshot_keys(props: Mapping[str, str]) -> dict[str, str]:
    """``props`` without :func:`per_snapshot_keys`: what a new RD keeps of the properties it inherits (a
    clone's from its source, a restored RD's from the snapshot)."""
    dropped = set(per_snapshot_keys(props))
    return {key: value for key, value in props.items() if key not in dropped}


# --- User properties and DRBD options --------------------------------------------------------


def is_incus_key(key: str) -> bool:
    """Tell whether a property key belongs to Incus's metadata (``Aux/Incus/...``)."""
    return key.startswith(INCUS_KEY_PREFIX)


def property_key_problem(key: str) -> str | None:
    """Why LINSTOR would refuse ``key`` as a property key whatever its whitelist says, or None.

    LINSTOR keys are paths: segments separated by ``/``, none empty, at most 255 characters.
    """
    if len(key) > LINSTOR_PROPERTY_KEY_MAX_LENGTH:
        return f"it must be at most {LINSTOR_PROPERTY_KEY_MAX_LENGTH} characters long"
    if any(not segment for segment in key.split("/")):
        return "its segments between '/' must not be empty (no leading, trailing or double '/')"
    return None


def needs_whitelist_check(key: str) -> bool:
    """Tell whether LINSTOR checks ``key`` against its property whitelist (keys outside ``Aux/`` and ``EBS/Tags/``)."""
    return not key.startswith(FREE_PROPERTY_NAMESPACES)


def refuse_invalid_properties(rules: Callable[[str], Mapping[str, Mapping[str, Any]] | None],
                              properties_by_parameter: Mapping[str, Mapping[str, str | None]],
                              objects: str = "resource-definitions") -> Mapping[str, Mapping[str, Any]] | None:
    """Fail naming the parameter when LINSTOR's whitelist for ``objects`` would refuse a property about to be
    written (its key, or its value) or removed (its key; the value given is None).

    ``rules`` is the client's ``property_rules``. LINSTOR would refuse the whole write
    (``FAIL_INVLD_PROP``); asking first turns that into an error on the option, before anything is
    written. Keys LINSTOR does not check (:func:`needs_whitelist_check`) need no request; a controller
    that does not list its whitelist is left to decide itself. Returns the whitelist read (for
    :func:`stored_properties`), None when none was needed or the controller lists none.
    """
    pending = {parameter: {key: value for key, value in sorted(properties.items()) if needs_whitelist_check(key)}
               for parameter, properties in properties_by_parameter.items()}
    pending = {parameter: properties for parameter, properties in pending.items() if properties}
    if not pending:
        return None
    whitelist = rules(objects)
    if whitelist is None:
        return None
    source = f"its whitelist, GET /v1/{objects}/properties/info"
    for parameter, properties in pending.items():
        unknown = [key for key in properties if key not in whitelist]
        if unknown:
            raise NamingError(
                parameter,
                f"{parameter}: LINSTOR does not allow the {objects[:-1]} property key(s) "
                f"{', '.join(repr(key) for key in unknown)} (not in {source}); keys under "
                f"{' and '.join(repr(namespace) for namespace in FREE_PROPERTY_NAMESPACES)} are free-form",
            )
        for key, value in properties.items():
            requirement = None if value is None else property_value_problem(whitelist[key], value)
            if requirement:
                raise NamingError(parameter, f"{parameter}: LINSTOR does not accept {value!r} for {key!r}: it must "
                                             f"be {requirement} ({source})")
    return whitelist


def stored_properties(rules: Mapping[str, Mapping[str, Any]] | None, props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` as LINSTOR stores them (:func:`stored_values`, with each key's rule); every value as given when
    ``rules`` is None, and one that is not a string (a prediction's unknown)."""
    if rules is None:
        return dict(props)
    return {key: stored_values(key, value, rules.get(key) or {})[0] if isinstance(value, str) else value
            for key, value in props.items()}


_LONG = re.compile(r"[+-]?[0-9]{1,19}")
_RANGE = re.compile(r"\(\s*(-?[0-9]+)\s*-\s*(-?[0-9]+)\s*\)")


def _long(value: str) -> int | None:
    """``value`` as Java's Long.parseLong reads it, or None."""
    if not _LONG.fullmatch(value):
        return None
    number = int(value)
    return number if -(2**63) <= number < 2**63 else None


def _in_range(pattern: str, value: str) -> bool | None:
    """Whether ``value`` is a whole number within a rule's ``(min - max)``; None if the pattern is not one."""
    bounds = _RANGE.fullmatch(pattern.strip())
    if bounds is None:
        return None
    number = _long(value)
    return number is not None and int(bounds.group(1)) <= number <= int(bounds.group(2))


def _matches(pattern: str, value: str) -> bool | None:
    """Whether ``value`` matches a rule's (Java) regular expression whole; None if Python cannot read it."""
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return None


def property_value_problem(rule: Mapping[str, Any], value: str) -> str | None:
    """What LINSTOR's whitelist ``rule`` (a PropsInfo) requires of a value, when ``value`` is not that; else None.

    Only what is certain is checked: a rule of another type, or one whose pattern cannot be read here, is
    left to the controller (None)."""
    kind, pattern = str(rule.get("prop_type") or "").lower(), str(rule.get("value") or "")
    unit = f" ({rule['unit']})" if rule.get("unit") else ""
    if kind == "long":
        valid, requirement = _long(value) is not None, f"a whole number{unit}"
    elif kind == "boolean":
        valid, requirement = value.lower() in ("yes", "no"), "yes or no"
    elif kind == "boolean_true_false":
        valid, requirement = value.lower() in BOOLEAN_WORDS, "yes, no, true or false"
    elif kind == "range":
        valid, requirement = _in_range(pattern, value), f"a whole number in {pattern}{unit}"
    elif kind == "numeric_or_symbol" and " or " in pattern:
        numbers, symbols = pattern.split(" or ", 1)
        valid = _in_range(numbers, value) if _long(value) is not None else _matches(symbols, value)
        requirement = f"a whole number in {numbers} or one of {symbols}{unit}"
    elif kind == "regex":
        valid, requirement = _matches(pattern, value), f"a value matching {pattern}"
    else:
        return None
    return None if valid is None or valid else requirement


BOOLEAN_WORDS = ("yes", "no", "true", "false")
LINSTOR_TRUE_FALSE = {"yes": "true", "no": "false"}
"""How LINSTOR writes yes/no for a whitelisted property whose rule is true/false."""


def stored_values(key: str, value: str, rule: Mapping[str, Any] | None) -> tuple[str, ...]:
    """What LINSTOR may store for ``value`` of ``key`` (its Property.normalize): with the rule known, the one value;
    with it unknown, ``value`` as given first.

    A whitelisted key whose rule is boolean keeps a boolean word lower-cased; one whose rule is true/false keeps
    ``yes``/``no`` as ``true``/``false``. With ``rule`` None (the whitelist not read), every form it may take;
    under ``Aux/`` and ``EBS/Tags/``, and for any other value, ``value`` as given.
    """
    folded = value.lower()
    if not needs_whitelist_check(key) or folded not in BOOLEAN_WORDS:
        return (value,)
    kind = None if rule is None else rule.get("prop_type")
    if kind == "boolean":
        return (folded,)
    if kind == "boolean_true_false":
        return (LINSTOR_TRUE_FALSE.get(folded, folded),)
    if rule is not None:
        return (value,)
    return tuple(dict.fromkeys((value, folded, LINSTOR_TRUE_FALSE.get(folded, folded))))


def property_values_match(key: str, stored: str | None, wanted: str) -> bool:
    """Tell whether ``stored`` already holds ``wanted`` as LINSTOR keeps it (:func:`stored_values`, the rule
    unknown: a no-change run reads no whitelist), so that ``Yes`` read back as ``yes`` is no change."""
    return stored is not None and stored in stored_values(key, wanted, None)


def validate_user_properties(properties: dict[str, object] | None) -> dict[str, str]:
    """Return extra RD properties as strings, refusing the keys Incus refuses to let users set. A key given
    as None is a removal (:func:`removed_user_properties`), checked here but not returned."""
    validated: dict[str, str] = {}
    for key, value in (properties or {}).items():
        _check_user_key(key, removal=value is None)
        if value is not None:
            validated[key] = _property_value(key, value)
    return validated


def removed_user_properties(properties: dict[str, object] | None) -> list[str]:
    """The keys of ``properties`` given as None: to be removed from the RD (checked as any key)."""
    removed = sorted(key for key, value in (properties or {}).items() if value is None)
    for key in removed:
        _check_user_key(key, removal=True)
    return removed


def _check_user_key(key: object, removal: bool = False) -> None:
    """Refuse a ``properties`` key Incus refuses to let users set (or that is no valid LINSTOR key). A key of
    ``drbd_options`` may be removed through ``properties`` (null), which ``drbd_options`` cannot say."""
    options_by_key = {option_key: option for option, option_key in DRBD_OPTION_KEYS.items()}
    if not isinstance(key, str) or not key:
        raise NamingError("properties", f"properties keys must be non-empty strings, got {key!r}")
    problem = property_key_problem(key)
    if problem:
        raise NamingError("properties", f"properties key {key!r} is not a valid LINSTOR property key: {problem}")
    if is_incus_key(key) or key.startswith(SNAPSHOT_CLAIM_PREFIX):
        raise NamingError(
            "properties",
            f"Incus metadata cannot be manually set: remove {key!r} from properties (keys under "
            f"{INCUS_KEY_PREFIX!r} are derived from name, type, project and content_type, and keys under "
            f"{SNAPSHOT_CLAIM_PREFIX!r} are written by snapshot creates)",
        )
    if key in options_by_key and not removal:
        raise NamingError("properties", f"set {key!r} with drbd_options.{options_by_key[key]}, not in properties "
                                        "(properties only removes it, given as null)")
    if key in DRIVER_MANAGED_KEYS:
        raise NamingError("properties", f"DRBD property {key!r} cannot be manually set: remove it from properties")
    if key == EXACT_SIZE_KEY:
        raise NamingError("properties", f"{key!r} cannot be set through properties: the volume modules set it on "
                                        "each volume as Incus does (on create, and remove it before a resize), and "
                                        "LINSTOR refuses it on a resource group; remove it from properties")


def _property_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        # DRBD's boolean options take yes/no only (LINSTOR's true/false rules accept yes/no as well)
        if key.startswith(DRBD_OPTIONS_NAMESPACE):
            return "yes" if value else "no"
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    raise NamingError("properties", f"properties value of {key!r} must be a string, a whole number or a boolean, got "
                                    f"{value!r}")


def parse_duration_seconds(value: str | int, parameter: str) -> int:
    """Whole seconds in a duration: a Go duration (``90s``, ``1m``, ``1h30m``) or plain seconds.

    Fractions of a second are dropped, as Incus does when it sends ``drbd.auto_diskful``.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise NamingError(parameter, f"{parameter} must be a duration such as '1m' or '90s', got {value!r}")
    if isinstance(value, int):
        return value
    text = value.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if not _DURATION_RE.fullmatch(text):
        raise NamingError(
            parameter, f"{parameter} {value!r} is not a duration; write it like '90s', '1m', '2h' or '1h30m'"
        )
    seconds = sum(
        (Fraction(number) * _DURATION_UNIT_SECONDS[unit] for number, unit in re.findall(_DURATION_PART, text)),
        Fraction(0),
    )
    return int(-seconds if text.startswith("-") else seconds)


def _boolean(value: bool | str, parameter: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE_STRINGS + _FALSE_STRINGS:
        return value.lower() in _TRUE_STRINGS
    raise NamingError(parameter, f"{parameter} must be a boolean (true or false), got {value!r}")


def drbd_option_properties(
    on_no_quorum: str | None = None,
    auto_diskful: str | int | None = None,
    auto_add_quorum_tiebreaker: bool | str | None = None,
) -> dict[str, str]:
    """The DRBD properties for the options given (``None`` = not set), with values as Incus writes them."""
    props: dict[str, str] = {}
    if on_no_quorum is not None:
        if on_no_quorum not in ON_NO_QUORUM_VALUES:
            raise NamingError(
                "drbd_options.on_no_quorum",
                f"drbd_options.on_no_quorum {on_no_quorum!r} is not valid; use {' or '.join(ON_NO_QUORUM_VALUES)}",
            )
        props[ON_NO_QUORUM_KEY] = on_no_quorum
    if auto_diskful is not None:
        seconds = parse_duration_seconds(auto_diskful, "drbd_options.auto_diskful")
        if seconds < AUTO_DISKFUL_MINIMUM_SECONDS:
            raise NamingError(
                "drbd_options.auto_diskful",
                f"drbd_options.auto_diskful {auto_diskful!r} is too short; Incus requires at least 1m (60 seconds)",
            )
        if seconds > GO_DURATION_MAX_SECONDS:
            raise NamingError(
                "drbd_options.auto_diskful",
                f"drbd_options.auto_diskful {auto_diskful!r} is too long; Incus reads it as a Go duration, at most "
                f"{GO_DURATION_MAX_SECONDS // 3600}h",
            )
        props[AUTO_DISKFUL_KEY] = str(seconds)
    if auto_add_quorum_tiebreaker is not None:
        enabled = _boolean(auto_add_quorum_tiebreaker, "drbd_options.auto_add_quorum_tiebreaker")
        props[AUTO_ADD_QUORUM_TIEBREAKER_KEY] = "true" if enabled else "false"
    return props


def drbd_options_of(props: Mapping[str, str]) -> dict[str, Any]:
    """The ``drbd_options`` the DRBD properties of ``props`` set (None for a property not there), as
    :func:`drbd_option_properties` takes them: ``auto_diskful`` in seconds, as Incus writes it."""
    tiebreaker = props.get(AUTO_ADD_QUORUM_TIEBREAKER_KEY)
    try:
        enabled = None if tiebreaker is None else _boolean(tiebreaker, "drbd_options.auto_add_quorum_tiebreaker")
    except NamingError:  # a value set by hand that LINSTOR took: shown as it is
        enabled = tiebreaker
    return {"on_no_quorum": props.get(ON_NO_QUORUM_KEY), "auto_diskful": props.get(AUTO_DISKFUL_KEY),
            "auto_add_quorum_tiebreaker": enabled}


# --- Sizes -----------------------------------------------------------------------------------


def parse_size(value: str | int, parameter: str) -> int:
    """Bytes in a size: an int (bytes) or a string such as ``10GiB``, ``500MiB``, ``1GB`` or ``1048576``.

    Units follow Incus: ``kB``/``MB``/``GB``... are powers of 1000, ``KiB``/``MiB``/``GiB``...
    powers of 1024. Bare ``K``/``M``/``G``/``T``/``P``/``E``, which Incus refuses, are read as
    binary units, as LINSTOR's client and LVM read them.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise NamingError(parameter, f"{parameter} must be a size such as '10GiB' or a number of bytes, got {value!r}")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE_RE.fullmatch(value)
        if not match or match.group(2) not in SIZE_UNITS:
            units = ", ".join(unit for unit in SIZE_UNITS if unit)
            raise NamingError(
                parameter,
                f"{parameter} {value!r} is not a size; write a whole number with an optional unit ({units}), "
                "e.g. '10GiB'",
            )
        size = int(match.group(1)) * SIZE_UNITS[match.group(2)]
    if size <= 0:
        raise NamingError(parameter, f"{parameter} must be greater than zero, got {value!r}")
    if size > MAX_SIZE_BYTES:
        raise NamingError(parameter, f"{parameter} {value!r} is too large: LINSTOR's largest volume is 1PiB")
    return size


def volume_size_bytes(size_bytes: int) -> int:
    """The size Incus actually gives a volume: at least 4 MiB, rounded up to the 8 KiB block boundary."""
    size_bytes = max(size_bytes, MIN_VOLUME_SIZE_BYTES)
    return -(-size_bytes // BLOCK_BOUNDARY_BYTES) * BLOCK_BOUNDARY_BYTES


def volume_size_kib(size_bytes: int) -> int:
    """The ``size_kib`` LINSTOR gets for a requested size in bytes, as Incus computes it."""
    return volume_size_bytes(size_bytes) // KIB


def sizes_equal_within_tolerance(a_bytes: int, b_bytes: int) -> bool:
    """Tell whether two sizes differ by less than 512 bytes, which Incus treats as no resize."""
    return abs(a_bytes - b_bytes) < RESIZE_TOLERANCE_BYTES


# --- Reading an RD back ----------------------------------------------------------------------


def _volume_identity(props: dict, prefix: str) -> tuple[str, str, str, str]:
    """(type, content type, project, name) from an RD's aux keys; NamingError saying why they are not Incus's."""
    missing = [key for key in (AUX_NAME, AUX_TYPE, AUX_CONTENT_TYPE) if key not in props]
    if missing:
        raise NamingError(missing[0], "missing " + ", ".join(missing))
    incus_name, volume_type, content_type = props[AUX_NAME], props[AUX_TYPE], props[AUX_CONTENT_TYPE]
    if not incus_name.startswith(prefix):
        raise NamingError(AUX_NAME, f"{AUX_NAME} {incus_name!r} does not start with the prefix {prefix!r}")
    volume, separator, snapshot = incus_name[len(prefix) :].partition("/")
    if separator:  # Incus's MountVolumeSnapshot: an RD restored from the snapshot (a VM's: its filesystem volume)
        raise NamingError(AUX_NAME, f"{AUX_NAME} {incus_name!r} names snapshot {snapshot!r} of {prefix}{volume}: a "
                          "temporary resource definition Incus makes to mount that snapshot and deletes when it "
                          "unmounts it; delete it by hand only if no Incus server has the snapshot mounted")
    if volume_type not in VOLUME_TYPES.values():
        types = ", ".join(sorted(VOLUME_TYPES.values()))
        raise NamingError(AUX_TYPE, f"{AUX_TYPE} {volume_type!r} is not one of {types}")
    if content_type not in ALLOWED_CONTENT_TYPES[volume_type]:
        raise NamingError(AUX_CONTENT_TYPE, f"{AUX_CONTENT_TYPE} {content_type!r} is not one Incus writes for "
                          f"{volume_type} ({', '.join(ALLOWED_CONTENT_TYPES[volume_type])})")
    try:
        project, name = parse_incus_volume_name(volume_type, incus_name[len(prefix) :])
    except NamingError as error:
        raise NamingError(AUX_NAME, f"{AUX_NAME} {incus_name!r}: {error.message}") from error
    return volume_type, content_type, project, name


def mounted_snapshot(rd: dict, prefix: str) -> dict | None:
    """The snapshot an RD mounts when it is the temporary RD Incus makes to mount one (``MountVolumeSnapshot``: an RD
    restored from the snapshot, its ``Aux/Incus/name`` ``<prefix><volume>/<snapshot>``, a VM's with content type
    filesystem): the volume's identity, the snapshot's Incus name, the RD. None for any other RD."""
    props = rd.get("props") or {}
    incus_name, volume_type = props.get(AUX_NAME) or "", props.get(AUX_TYPE)
    volume, separator, snapshot = incus_name[len(prefix):].partition("/")
    if not (is_generated_name(prefix, rd.get("name") or "") and incus_name.startswith(prefix) and separator
            and _snapshot_name_problem(snapshot) is None and volume_type in VOLUME_TYPES.values()):
        return None
    content_types = ALLOWED_CONTENT_TYPES[volume_type] + ((CONTENT_FILESYSTEM,) if volume_type == TYPE_VIRTUAL_MACHINES
                                                          else ())
    if props.get(AUX_CONTENT_TYPE) not in content_types:
        return None
    try:
        project, name = parse_incus_volume_name(volume_type, volume)
    except NamingError:
        return None
    return {"name": name, "project": project, "type": volume_type, "content_type": props[AUX_CONTENT_TYPE],
            "incus_name": prefix + volume, "snapshot": snapshot, "resource_definition": rd["name"],
            "resource_group": rd.get("resource_group_name")}


def volume_problem(rd: dict, prefix: str) -> str | None:
    """Why an RD is not an Incus volume under ``prefix``, in words a user can act on; None when it is one."""
    validate_prefix(prefix)
    try:
        _volume_identity(rd.get("props") or {}, prefix)
    except NamingError as error:
        return error.message
    return None


def drbd_port(rd: dict) -> int | None:
    """The RD's DRBD TCP port (``linstor resource-definition list``'s Port column), if it has a DRBD layer and one.

    From LINSTOR 1.32 each resource has its own port and an RD without one reports -1 (Json.COMPAT_RD_PORT): None.
    """
    for layer in rd.get("layer_data") or []:
        if isinstance(layer, dict) and layer.get("type") == "DRBD":
            port = (layer.get("data") or {}).get("port")
            return port if isinstance(port, int) and port >= 0 else None
    return None


def rd_from_view(view: Mapping[str, Any]) -> dict[str, Any]:
    """An RD as LINSTOR lists it, rebuilt from its Incus view (:func:`volume_view`): its name, group, properties
    and volume definitions, what the steps after a lookup read."""
    return {
        "name": view["resource_definition"],
        "resource_group_name": view["resource_group"],
        "props": dict(view["properties"]),
        "volume_definitions": [{"volume_number": vd["number"], "size_kib": vd["size_kib"]}
                               for vd in view["volume_definitions"]],
    }


def volume_view(rd: dict, prefix: str) -> dict | None:
    """The Incus view of one RD as LINSTOR returns it (``with_volume_definitions=true``).

    ``None`` when the RD is not an Incus volume under ``prefix`` (see :func:`volume_problem`):
    an aux key is missing, the name lacks the prefix, or a value is not one Incus would write.
    """
    validate_prefix(prefix)
    props = rd.get("props") or {}
    try:
        volume_type, content_type, project, name = _volume_identity(props, prefix)
    except NamingError:
        return None
    definitions = sorted(rd.get("volume_definitions") or [], key=lambda definition: definition["volume_number"])
    return {
        "name": name,
        "project": project,
        "type": volume_type,
        "content_type": content_type,
        "incus_name": props[AUX_NAME],
        "resource_definition": rd["name"],
        "resource_group": rd.get("resource_group_name"),
        "port": drbd_port(rd),
        "volume_definitions": [{"number": vd["volume_number"], "size_kib": vd.get("size_kib")} for vd in definitions],
        "snapshots": snapshot_mappings(props),
        "properties": dict(props),
    }
