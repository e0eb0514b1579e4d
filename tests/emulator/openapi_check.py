"""Validate emulator replies against LINSTOR's OpenAPI spec (rest_v1_openapi.yaml).

For a request (method, concrete path) and its reply (status, JSON body), ``SpecChecker.check``
finds the spec operation, the response listed for that status (or the operation's ``default``),
and validates the body against that response's schema with $refs resolved through a
``referencing`` registry holding the whole spec. It raises ``SpecViolation`` when the status is
not listed or the body does not match.

Where the spec is known to differ from what LINBIT's controller sends, the rule applied is
written down here, once, with its source:

* ``components/responses/OperationFailed`` declares a single ApiCallRc object; the controller
  always answers with a list of ApiCallRc (ApiCallRcRestUtils.toResponse serialises the whole
  ApiCallRc list). Such bodies are validated as ``ApiCallRcList``.
* Operations whose entry lists no error status: the controller still maps an error entry to
  404 (codes 300-399), 403 (400-499) or 500 (any other) for every operation
  (ApiCallRcRestUtils.toResponse, RequestHelper.notFoundResponse). Those statuses are accepted
  only with an ``ApiCallRcList`` body whose first error entry's code gives exactly that status
  (400 only for API_CALL_PARSE_ERROR). Any other unlisted status, in particular a 2xx other
  than the listed one, fails.
* A clone that fails inside its transaction answers, from LINSTOR 1.32.2, HTTP 500 with the
  ``ResourceDefinitionCloneStarted`` object its 201 carries, errors in ``messages``
  (ResourceDefinitions.mapToCloneStarted), not an ApiCallRc list. Such a reply is validated
  against that schema, and its first error entry must hold an error (``CLONE_FAILED``).
* A few single-object GETs the controller serves are missing from the spec
  (``EXTRA_OPERATIONS``); they are validated against the schema of the list's items.
* ``VolumeLayer.data`` is a ``oneOf`` of the layers' volume schemas, none of which requires a
  property, so the controller's data (Json.apiToVolume fills it for the layer named by ``type``)
  matches several and the ``oneOf`` never holds. It is validated instead against the schema of
  the layer its entry's ``type`` names (``VOLUME_LAYER_SCHEMAS``).
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_URI = "urn:linstor:rest_v1_openapi"
SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared/linstor/rest_v1_openapi.yaml"

MASK_ERROR = 0xC000000000000000
CLONE_FAILED = ("post", "/v1/resource-definitions/{resource}/clone", 500)

# Paths the controller serves (LINBIT/linstor-server, controller/.../api/rest/v1) that the spec leaves out.
EXTRA_OPERATIONS = {
    ("get", "/v1/resource-definitions/{resource}"): "ResourceDefinition",
    ("get", "/v1/resource-groups/{resource_group}"): "ResourceGroup",
    ("get", "/v1/resource-definitions/{resource}/resources/{node}"): "Resource",
    ("get", "/v1/resource-definitions/{resource}/volume-definitions/{volume_number}"): "VolumeDefinition",
    ("get", "/v1/nodes/{node}"): "Node",
}


# VolumeLayer.type -> the schema its data follows (Json.apiToVolume).
VOLUME_LAYER_SCHEMAS = {"DRBD": "DrbdVolume", "LUKS": "LUKSVolume", "STORAGE": "StorageVolume",
                        "NVME": "NVMEVolume", "WRITECACHE": "WritecacheVolume", "CACHE": "CacheVolume",
                        "BCACHE": "BCacheVolume"}


class SpecViolation(AssertionError):
    pass


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _volume_layers(instance) -> list[dict]:
    """Every entry of a ``layer_data_list`` anywhere in a reply."""
    found: list[dict] = []
    if isinstance(instance, dict):
        for key, value in instance.items():
            if key == "layer_data_list" and isinstance(value, list):
                found.extend(entry for entry in value if isinstance(entry, dict))
            else:
                found.extend(_volume_layers(value))
    elif isinstance(instance, list):
        for item in instance:
            found.extend(_volume_layers(item))
    return found


class SpecChecker:
    def __init__(self, spec_path: Path = SPEC_PATH):
        with open(spec_path, encoding="utf-8") as handle:
            self.spec = yaml.safe_load(handle)
        self.spec["components"]["schemas"]["VolumeLayer"]["properties"]["data"] = {"type": "object"}
        self.registry = Registry().with_resource(SPEC_URI, Resource.from_contents(self.spec,
                                                                                   default_specification=DRAFT4))
        self.checked = 0

    @cached_property
    def _paths(self) -> list[tuple[re.Pattern, str]]:
        templates = set(self.spec["paths"]) | {path for _, path in EXTRA_OPERATIONS}
        compiled = []
        for template in templates:
            regex = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")
            compiled.append((regex, template))
        # literal segments win over parameters, as a router would choose
        compiled.sort(key=lambda item: (item[1].count("{"), -len(item[1])))
        return compiled

    def template_for(self, path: str) -> str:
        for regex, template in self._paths:
            if regex.match(path):
                return template
        raise SpecViolation(f"no path of the spec matches {path}")

    def _validate(self, instance, pointer: str, where: str) -> None:
        validator = OAS30Validator({"$ref": f"{SPEC_URI}#/{pointer}"}, registry=self.registry,
                                   format_checker=oas30_format_checker)
        problems = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if not problems:
            for layer in _volume_layers(instance):
                schema = VOLUME_LAYER_SCHEMAS.get(layer.get("type"))
                if schema is not None and "data" in layer:
                    self._validate(layer["data"], _pointer("components", "schemas", schema),
                                   f"{where}: {layer['type']} volume layer data")
        if problems:
            first = problems[0]
            raise SpecViolation(f"{where}: {first.message} at {list(first.absolute_path)} "
                                f"(schema {list(first.absolute_schema_path)})")

    def _list_schema_pointer(self) -> str:
        return "components/schemas/ApiCallRcList"

    def check(self, method: str, path: str, status: int, body) -> str:
        """Validate one reply; returns the schema pointer used."""
        method = method.lower()
        template = self.template_for(path)
        where = f"{method.upper()} {path} -> {status}"
        operation = self.spec["paths"].get(template, {}).get(method)
        if operation is None:
            name = EXTRA_OPERATIONS.get((method, template))
            if name is None:
                raise SpecViolation(f"{where}: the spec has no {method.upper()} operation on {template}")
            if status == 200:
                pointer = _pointer("components", "schemas", name)
            elif status in (404, 500):
                pointer = self._list_schema_pointer()
                self._check_error_status(status, body, where)
            else:
                raise SpecViolation(f"{where}: status {status} for an operation the spec lacks")
            self._validate(body, pointer, where)
            self.checked += 1
            return pointer
        if (method, template, status) == CLONE_FAILED and isinstance(body, dict):
            pointer = _pointer("components", "schemas", "ResourceDefinitionCloneStarted")
            self._validate(body, pointer, where)
            codes = [entry.get("ret_code", 0) & 0xFFFFFFFFFFFFFFFF for entry in body.get("messages") or []]
            if not any(code & MASK_ERROR == MASK_ERROR for code in codes):
                raise SpecViolation(f"{where}: a failed clone's messages hold no error")
            self.checked += 1
            return pointer
        responses = operation["responses"]
        key = str(status) if str(status) in responses else ("default" if "default" in responses else None)
        if key is None:
            if self._controller_error_rule(operation, status, body, where):
                pointer = self._list_schema_pointer()
                self._validate(body, pointer, where)
                self.checked += 1
                return pointer
            raise SpecViolation(f"{where}: status {status} is not listed for {method.upper()} {template} "
                                f"(listed: {sorted(responses)})")
        if status >= 400:  # listed or default: the status must still agree with the error entry
            self._check_error_status(status, body, where)
        response = responses[key]
        base = ("paths", template, method, "responses", key)
        if "$ref" in response:
            ref = response["$ref"]
            if ref == "#/components/responses/OperationFailed":
                self._validate(body, self._list_schema_pointer(), where)
                self.checked += 1
                return self._list_schema_pointer()
            base = tuple(ref.lstrip("#/").split("/"))
            response = self.spec
            for part in base:
                response = response[part]
        content = response.get("content", {}).get("application/json")
        if content is None:
            if body not in (None, b"", ""):
                raise SpecViolation(f"{where}: the spec declares no JSON body, got {body!r:.200}")
            return ""
        pointer = _pointer(*base, "content", "application/json", "schema")
        self._validate(body, pointer, where)
        self.checked += 1
        return pointer

    @staticmethod
    def _check_error_status(status: int, body, where: str) -> None:
        if not isinstance(body, list):
            raise SpecViolation(f"{where}: an error reply must be an ApiCallRc list")
        for entry in body:
            code = entry.get("ret_code", 0) & 0xFFFFFFFFFFFFFFFF
            if code & MASK_ERROR == MASK_ERROR:
                stripped = code & 0x7FFF
                expected = 404 if 300 <= stripped <= 399 else 403 if 400 <= stripped <= 499 else 500
                if status == 400 and code == (0x0FFFFFFFFFFFFFFD | MASK_ERROR):
                    return
                if expected != status:
                    raise SpecViolation(f"{where}: error code {stripped} should give HTTP {expected}")
                return
        raise SpecViolation(f"{where}: HTTP {status} without an error entry")

    def _controller_error_rule(self, operation: dict, status: int, body, where: str) -> bool:
        """An error status the spec omits but the controller's ApiCallRcRestUtils produces.

        Only 400 (unparseable input), 403, 404 and 500 qualify, and only with an ApiCallRc list
        whose first error entry's code gives that status.
        """
        if status not in (400, 403, 404, 500):
            return False
        self._check_error_status(status, body, where)
        return True
