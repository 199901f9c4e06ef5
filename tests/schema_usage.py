"""Checks a program's use of the package against its schema: resource types, input names at
any depth, required inputs, enum values and literal types, and the outputs it reads.

Values computed by the program (a YAML ``${...}`` interpolation, a TypeScript expression,
given as ``{"$expr": text}``) are not type-checked: only their place is."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

TOKEN = re.compile(r"^(?P<pkg>[\w-]+):(?:index:)?(?P<name>\w+)$")
INTERPOLATION = re.compile(r"\$\{([^}]+)\}")


def is_computed(value: Any) -> bool:
    return (isinstance(value, str) and value.startswith("${") and value.endswith("}")) or (
        isinstance(value, dict) and set(value) == {"$expr"}
    )


class Checker:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.problems: list[str] = []

    def resource(self, token: str, props: Mapping[str, Any], where: str) -> None:
        spec = self._resource(token, where)
        if spec is not None:
            self._object(
                spec.get("inputProperties", {}), spec.get("requiredInputs", []), props, where
            )

    def read(self, token: str, output: str, where: str) -> None:
        spec = self._resource(token, where)
        if spec is not None and output not in spec.get("properties", {}):
            self._unknown(output, spec.get("properties", {}), f"{where} (an output)")

    def _resource(self, token: str, where: str) -> Mapping[str, Any] | None:
        match = TOKEN.match(token)
        full = f"{match['pkg']}:index:{match['name']}" if match else token
        spec = self.schema["resources"].get(full)
        if spec is None:
            self.problems.append(f"{where}: no resource type {token!r} in the schema")
        return spec

    def _unknown(self, key: str, known: Mapping[str, Any], where: str) -> None:
        close = difflib.get_close_matches(key, list(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        self.problems.append(f"{where}: {key!r} is not in the schema{hint}")

    def _object(
        self, properties: Mapping[str, Any], required: list[str], value: Any, where: str
    ) -> None:
        if is_computed(value):
            return
        if not isinstance(value, dict):
            self.problems.append(f"{where}: is {value!r}, not an object")
            return
        for key, item in value.items():
            if key not in properties:
                self._unknown(key, properties, f"{where}.{key}")
            else:
                self._value(properties[key], item, f"{where}.{key}")
        for key in required:
            if key not in value:
                self.problems.append(f"{where}: required input {key!r} is missing")

    def _value(self, spec: Mapping[str, Any], value: Any, where: str) -> None:
        if is_computed(value):
            return
        ref = spec.get("$ref", "")
        if ref.startswith("#/types/"):
            type_spec = self.schema["types"][ref.removeprefix("#/types/")]
            if "enum" in type_spec:
                allowed = [e["value"] for e in type_spec["enum"]]
                if value not in allowed:
                    self.problems.append(f"{where}: {value!r} is not one of {allowed}")
            else:
                self._object(
                    type_spec.get("properties", {}), type_spec.get("required", []), value, where
                )
            return
        kind = spec.get("type")
        if kind == "array":
            if not isinstance(value, list):
                self.problems.append(f"{where}: is {value!r}, not a list")
                return
            for i, item in enumerate(value):
                self._value(spec["items"], item, f"{where}[{i}]")
        elif kind == "object":
            if not isinstance(value, dict):
                self.problems.append(f"{where}: is {value!r}, not a map")
                return
            inner = spec.get("additionalProperties")
            for key, item in value.items():
                if inner:
                    self._value(inner, item, f"{where}.{key}")
        elif kind in ("string", "integer", "number", "boolean"):
            python = {"string": str, "integer": int, "number": int | float, "boolean": bool}[kind]
            if not isinstance(value, python) or (kind != "boolean" and isinstance(value, bool)):
                self.problems.append(f"{where}: {value!r} is not a {kind}")
