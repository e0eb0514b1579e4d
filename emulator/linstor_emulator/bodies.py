"""Request bodies, read as the controller reads them.

The controller maps each JSON body onto a generated Java class with Jackson's default
ObjectMapper (JsonGenTypes): a field the class does not have is an error
(``FAIL_ON_UNKNOWN_PROPERTIES``), a value of the wrong type is an error, and scalars are coerced
the way Jackson does (a number where a string is expected becomes its text, ``"12"`` where an
integer is expected becomes 12, ``"true"`` becomes true). Every such failure is answered with
API_CALL_PARSE_ERROR "Unable to parse input json." (see ``rest.py``).

The shapes below are the request schemas of the OpenAPI spec (rest_v1_openapi.yaml, REST API
1.28.0), written out so the emulator needs no YAML parser at run time.
"""

from __future__ import annotations

ANY = object()


class BodyError(ValueError):
    """Jackson's complaint about a body, for the ``details`` of the parse-error reply."""


class MapOf:
    def __init__(self, values):
        self.values = values


class ListOf:
    def __init__(self, items):
        self.items = items


PROPS = MapOf(str)
STRINGS = ListOf(str)

AUTO_SELECT_FILTER = {
    "place_count": int, "additional_place_count": int, "node_name_list": STRINGS, "storage_pool": str,
    "storage_pool_list": STRINGS, "storage_pool_diskless_list": STRINGS, "not_place_with_rsc": STRINGS,
    "not_place_with_rsc_regex": str, "replicas_on_same": STRINGS, "replicas_on_different": STRINGS,
    "x_replicas_on_different_map": MapOf(int), "layer_stack": STRINGS, "provider_list": STRINGS,
    "diskless_on_remaining": bool, "diskless_type": str, "overprovision": float, "port_count": int,
}
RESOURCE_GROUP = {"name": str, "description": str, "props": PROPS, "select_filter": AUTO_SELECT_FILTER,
                  "uuid": str, "peer_slots": int}
CONTROLLER_PROPS_MODIFY = {"override_props": PROPS, "delete_props": STRINGS, "delete_namespaces": STRINGS}
RESOURCE_GROUP_MODIFY = {"description": str, "override_props": PROPS, "delete_props": STRINGS,
                         "delete_namespaces": STRINGS, "select_filter": AUTO_SELECT_FILTER, "peer_slots": int,
                         "snap_names": STRINGS, "copy_all_snaps": bool}
RESOURCE_GROUP_SPAWN = {"resource_definition_name": str, "resource_definition_external_name": str,
                        "volume_sizes": ListOf(int), "select_filter": AUTO_SELECT_FILTER, "partial": bool,
                        "definitions_only": bool, "peer_slots": int, "volume_passphrases": STRINGS,
                        "resource_definition_props": PROPS}
VOLUME_GROUP = {"volume_number": int, "props": PROPS, "uuid": str, "flags": STRINGS}
VOLUME_GROUP_MODIFY = {"override_props": PROPS, "flags": STRINGS, "delete_props": STRINGS,
                       "delete_namespaces": STRINGS}
LAYER = {"type": str, "data": ANY}
VOLUME_DEFINITION = {"volume_number": int, "size_kib": int, "props": PROPS, "flags": STRINGS,
                     "layer_data": ListOf(LAYER), "uuid": str}
RESOURCE_DEFINITION = {"name": str, "external_name": str, "props": PROPS, "flags": STRINGS,
                       "layer_data": ListOf(LAYER), "uuid": str, "resource_group_name": str,
                       "volume_definitions": ListOf(VOLUME_DEFINITION)}
RESOURCE_DEFINITION_CREATE = {"drbd_port": int, "drbd_secret": str, "drbd_peer_slots": int,
                              "drbd_transport_type": str, "resource_definition": RESOURCE_DEFINITION}
RESOURCE_DEFINITION_MODIFY = {"override_props": PROPS, "delete_props": STRINGS, "delete_namespaces": STRINGS,
                              "drbd_port": int, "drbd_peer_slots": int, "layer_stack": STRINGS,
                              "resource_group": str}
CLONE_REQUEST = {"name": str, "external_name": str, "use_zfs_clone": bool, "layer_list": STRINGS,
                 "volume_passphrases": STRINGS, "resource_group": str, "override_props": PROPS,
                 "delete_props": STRINGS, "delete_namespaces": STRINGS}
CLONE_GROUP_FIELDS = ("resource_group", "layer_list")
CLONE_PROPS_FIELDS = ("override_props", "delete_props", "delete_namespaces")


def clone_request(group_fields: bool, props_fields: bool) -> dict:
    """CLONE_REQUEST as an older controller's class has it: without the group fields (before LINSTOR 1.30)
    or the property fields (before 1.32)."""
    dropped = (() if group_fields else CLONE_GROUP_FIELDS) + (() if props_fields else CLONE_PROPS_FIELDS)
    return {key: value for key, value in CLONE_REQUEST.items() if key not in dropped}


VOLUME_DEFINITION_CREATE = {"volume_definition": VOLUME_DEFINITION, "drbd_minor_number": int, "passphrase": str}
VOLUME_DEFINITION_MODIFY = {"size_kib": int, "override_props": PROPS, "delete_props": STRINGS,
                            "delete_namespaces": STRINGS, "flags": STRINGS}
RESOURCE = {"name": str, "node_name": str, "props": PROPS, "effective_props": ANY, "flags": STRINGS,
            "layer_object": ANY, "state": ANY, "uuid": str, "create_timestamp": int}
RESOURCE_CREATE = {"resource": RESOURCE, "layer_list": STRINGS, "drbd_node_id": int, "drbd_tcp_port_count": int,
                   "drbd_tcp_ports": ListOf(int), "snap_names": STRINGS, "copy_all_snaps": bool,
                   "drbd_client": bool}
RESOURCE_MODIFY = {"override_props": PROPS, "delete_props": STRINGS, "delete_namespaces": STRINGS,
                   "drbd_tiebreaker": bool, "drbd_client": bool}
AUTO_PLACE_REQUEST = {"diskless_on_remaining": bool, "select_filter": AUTO_SELECT_FILTER, "layer_list": STRINGS,
                      "snap_names": STRINGS, "copy_all_snaps": bool}
SNAPSHOT = {"name": str, "resource_name": str, "nodes": STRINGS, "props": PROPS, "snapshot_definition_props": PROPS,
            "resource_definition_props": PROPS, "flags": STRINGS, "volume_definitions": ANY, "uuid": str,
            "snapshots": ANY}
SNAPSHOT_RESTORE = {"to_resource": str, "nodes": STRINGS, "stor_pool_rename": PROPS}
SNAPSHOT_ROLLBACK = {"zfs_rollback_strategy": str}


def _type_name(schema) -> str:
    if isinstance(schema, dict):
        return "object"
    if isinstance(schema, (ListOf, list)):
        return "array"
    if isinstance(schema, MapOf):
        return "object"
    return {str: "String", int: "int", bool: "boolean", float: "double"}.get(schema, "value")


def conform(value, schema, where: str = "$"):
    """The value as Jackson would read it into ``schema``, or BodyError."""
    if schema is ANY or value is None:
        return value
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise BodyError(f"Cannot deserialize value of type object from {type(value).__name__} at {where}")
        result = {}
        for key, item in value.items():
            if key not in schema:
                raise BodyError(f'Unrecognized field "{key}" at {where}, not marked as ignorable '
                                f"({len(schema)} known properties: {', '.join(sorted(schema))})")
            result[key] = conform(item, schema[key], f"{where}.{key}")
        return result
    if isinstance(schema, ListOf):
        if not isinstance(value, list):
            raise BodyError(f"Cannot deserialize value of type array from {type(value).__name__} at {where}")
        return [conform(item, schema.items, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(schema, MapOf):
        if not isinstance(value, dict):
            raise BodyError(f"Cannot deserialize value of type map from {type(value).__name__} at {where}")
        return {str(key): conform(item, schema.values, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, (dict, list)):
        raise BodyError(f"Cannot deserialize value of type {_type_name(schema)} from "
                        f"{'object' if isinstance(value, dict) else 'array'} at {where}")
    if schema is str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)
    if schema is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise BodyError(f"Cannot coerce {value!r} to boolean at {where}")
    if schema is int:
        if isinstance(value, bool):
            raise BodyError(f"Cannot coerce boolean to int at {where}")
        if isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                raise BodyError(f"Numeric value ({value}) out of range of long at {where}")
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise BodyError(f"Cannot deserialize value of type int from {value!r} at {where}: not a valid integer")
    if schema is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise BodyError(f"Cannot deserialize value of type double from {value!r} at {where}") from None
    return value
