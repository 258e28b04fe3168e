"""The contract, loaded once: the raw document, its operations, and schema validators.

Everything the mock knows about the API comes from here, so nothing restates
``openapi.yaml`` by hand: routes, validation, fixture checks and the docs page all read it.
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

# libyaml parses the 42 KB spec in 10 ms, the pure-Python loader in 100 ms (start-up time).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# In a checkout this is a symlink to the repository's openapi.yaml; a wheel holds a copy.
PACKAGE_DIR = Path(__file__).parents[1]  # the contracts ship at the package's top
PACKAGE_SPEC = PACKAGE_DIR / "openapi.yaml"
ADMIN_SPEC = PACKAGE_DIR / "admin-openapi.yaml"
AUTH_SPEC = PACKAGE_DIR / "auth-openapi.yaml"
SERVED_CACHE_SIZE = 16  # distinct Host headers remembered; a few in practice


def default_spec_path() -> Path:
    return PACKAGE_SPEC


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # the spec's template, e.g. /calltrackings/{id}
    definition: dict[str, Any]

    @property
    def rights(self) -> list[str]:
        return list(self.definition.get("x-rights", []))

    @property
    def statuses(self) -> list[int]:
        return sorted(int(code) for code in self.definition["responses"] if code.isdigit())


class Spec:
    """An OpenAPI document with the lookups the mock needs, computed once."""

    def __init__(self, document: dict[str, Any], path: Path | None = None) -> None:
        self.document = document
        self.path = path
        self._served: dict[str, str] = {}
        self._served_lock = threading.Lock()
        self.operations: dict[str, Operation] = {}
        for template, item in document.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    op = item[method]
                    self.operations[op["operationId"]] = Operation(
                        op["operationId"], method.upper(), template, op
                    )

    @classmethod
    def load(cls, path: Path | None = None) -> Spec:
        path = path or default_spec_path()
        with path.open(encoding="utf-8") as fh:
            return cls(yaml.load(fh, Loader=YAML_LOADER), path)

    @cached_property
    def text(self) -> str:
        """The document as written, for serving to browsers and tools."""
        if self.path is None:
            return yaml.safe_dump(self.document, sort_keys=False)
        return self.path.read_text(encoding="utf-8")

    def served_text(self, base_url: str) -> str:
        """The document for browsers and tools, with the running mock as its first server.

        Swagger UI's "Try it out" and generated clients call the first server; whatever
        host and port the mock runs on, that must be the mock itself.
        """
        base = base_url.rstrip("/")
        with self._served_lock:
            text = self._served.get(base)
            if text is None:
                if len(self._served) >= SERVED_CACHE_SIZE:
                    self._served.clear()
                text = self._served[base] = _with_first_server(self.document, base)
            return text

    def paths(self) -> dict[str, dict[str, Operation]]:
        """Path template -> method -> operation."""
        table: dict[str, dict[str, Operation]] = {}
        for op in self.operations.values():
            table.setdefault(op.path, {})[op.method] = op
        return table

    def parameters(self, method: str, template: str) -> list[dict[str, Any]]:
        """An operation's parameters, resolved; one of the operation's own overrides the
        path item's of the same name and location."""
        item = self.document["paths"][template]
        seen: set[tuple[str, str]] = set()
        found = []
        for raw in [*item[method.lower()].get("parameters", []), *item.get("parameters", [])]:
            param = self.resolve(raw)
            key = (param["name"], param["in"])
            if key not in seen:
                seen.add(key)
                found.append(param)
        return found

    def resolve(self, node: Any) -> Any:
        """Follow a local ``$ref`` (one level at a time until a non-ref node)."""
        while isinstance(node, dict) and "$ref" in node:
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported: {ref}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def standalone_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A JSON Schema that carries the spec's components, so its $refs resolve alone."""
        wrapped = copy.deepcopy(schema)
        wrapped["components"] = self.document.get("components", {})
        return wrapped

    def validator(self, schema: dict[str, Any]) -> jsonschema_rs.Validator:
        """A compiled Draft 2020-12 validator for a schema of this document."""
        return jsonschema_rs.Draft202012Validator(
            self.standalone_schema(schema), validate_formats=True
        )

    def component_validator(self, name: str) -> jsonschema_rs.Validator:
        return self.validator({"$ref": f"#/components/schemas/{name}"})


class _ReadableDumper(yaml.SafeDumper):
    """Multi-line descriptions as ``|`` blocks, as they are written in the source."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(str, _represent_text)


def _with_first_server(document: dict[str, Any], base: str) -> str:
    others = [s for s in document.get("servers", []) if s.get("url", "").rstrip("/") != base]
    first = {"url": base, "description": "This running mock (the server you fetched this from)."}
    served = {**document, "servers": [first, *others]}
    return yaml.dump(served, Dumper=_ReadableDumper, sort_keys=False, allow_unicode=True,
                     width=100)


def template_to_regex(template: str) -> re.Pattern[str]:
    """``/calltrackings/{id}`` -> a regex with one named group per path parameter."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")
