"""Where the contract guesses: lookups of ``x-assumed`` in the OpenAPI document.

Every question is answered with JSON pointers (``#/components/responses/NotFound``) to the
document nodes a request or response element is made of, the inline node first and then
each ``$ref`` target. A node is assumed when it carries ``x-assumed: true``; the classifier
needs nothing else, so it never reads the document itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..core.spec import Spec

ASSUMED = "x-assumed"
JSON = "application/json"
MAX_DEPTH = 64  # schema nodes followed from one start: far beyond this contract's nesting


def escape(segment: str | int) -> str:
    return str(segment).replace("~", "~0").replace("/", "~1")


def join(pointer: str, *segments: str | int) -> str:
    return pointer + "".join("/" + escape(s) for s in segments)


class AssumptionIndex:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._branches: dict[int, Any] = {}  # compiled anyOf/oneOf branches, by node

    # --- nodes -------------------------------------------------------------------------

    def node(self, pointer: str) -> Any:
        try:
            return self.spec.pointer(pointer)
        except (KeyError, IndexError, TypeError, ValueError):
            return None

    def is_assumed(self, pointer: str) -> bool:
        node = self.node(pointer)
        return isinstance(node, dict) and node.get(ASSUMED) is True

    def assumed(self, pointers: Iterable[str]) -> tuple[str, ...]:
        """The assumed ones among ``pointers``, each once, in order."""
        return tuple(dict.fromkeys(p for p in pointers if self.is_assumed(p)))

    def summary(self, pointer: str) -> str:
        """The first sentence of a node's description, to show next to its pointer."""
        node = self.node(pointer)
        text = " ".join(str(node.get("description", "")).split()) if isinstance(node, dict) else ""
        sentence, dot, _ = text.partition(". ")
        return sentence + ("." if dot else "")

    def follow(self, pointer: str) -> list[str]:
        """``pointer``, then the target of each ``$ref`` it leads through."""
        chain = [pointer]
        node = self.node(pointer)
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            target = node["$ref"]
            if target in chain:
                break
            chain.append(target)
            node = self.node(target)
        return chain

    # --- operations --------------------------------------------------------------------

    def operation(self, operation_id: str) -> str:
        op = self.spec.operations[operation_id]
        return join("#/paths", op.path, op.method.lower())

    def response(self, operation_id: str, status: int) -> list[str]:
        """The response object documented for ``status`` (exact, ``4XX`` or ``default``)."""
        responses = join(self.operation(operation_id), "responses")
        documented = self.node(responses) or {}
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in documented:
                return self.follow(join(responses, key))
        return []

    def responses_in_class(self, operation_id: str, status: int) -> dict[str, list[str]]:
        """Every documented response of the same class as ``status`` (4xx for 422...)."""
        responses = join(self.operation(operation_id), "responses")
        documented = self.node(responses) or {}
        digit = str(status // 100)
        return {
            key: self.follow(join(responses, key))
            for key in documented
            if key.startswith(digit) and (key.isdigit() or key.upper() == f"{digit}XX")
        }

    def response_schema(self, operation_id: str, status: int) -> str | None:
        """Pointer to the JSON schema of the response documented for ``status``."""
        chain = self.response(operation_id, status)
        if not chain:
            return None
        pointer = join(chain[-1], "content", JSON, "schema")
        return pointer if self.node(pointer) is not None else None

    def response_header(self, operation_id: str, status: int, name: str) -> list[str]:
        chain = self.response(operation_id, status)
        if not chain:
            return []
        headers = self.node(join(chain[-1], "headers")) or {}
        for key in headers:
            if key.lower() == name.lower():
                return self.follow(join(chain[-1], "headers", key))
        return []

    def parameter(self, operation_id: str, location: str, name: str) -> list[str]:
        """The parameter object (path-level or operation-level) and its schema's refs."""
        op = self.operation(operation_id)
        path_item = op.rsplit("/", 1)[0]
        for owner in (op, path_item):  # operation-level parameters override path-level ones
            for index, _ in enumerate(self.node(join(owner, "parameters")) or []):
                chain = self.follow(join(owner, "parameters", index))
                found = self.node(chain[-1])
                if found.get("in") == location and found.get("name") == name:
                    return chain + self.follow(join(chain[-1], "schema"))
        return []

    def body_property(self, operation_id: str, name: str) -> list[str]:
        """The request body, its schema, and the named top-level property of that schema."""
        body = self.follow(join(self.operation(operation_id), "requestBody"))
        if self.node(body[-1]) is None:
            return []
        schema = self.follow(join(body[-1], "content", JSON, "schema"))
        prop = join(schema[-1], "properties", name)
        return body + schema + (self.follow(prop) if self.node(prop) is not None else [])

    def security(self, operation_id: str) -> list[str]:
        """The security schemes the operation requires (its own list, else the root's)."""
        op = self.spec.operations[operation_id].definition
        requirements = op.get("security", self.spec.document.get("security", []))
        names = dict.fromkeys(name for requirement in requirements for name in requirement)
        return [join("#/components/securitySchemes", name) for name in names]

    # --- schemas -----------------------------------------------------------------------

    def schema_chain(self, start: str, evaluation_path: Sequence[str | int]) -> list[str]:
        """The schema nodes a validator went through, from ``start`` along its path.

        ``evaluation_path`` is jsonschema's: keywords and names, with ``$ref`` where the
        validator followed a reference, so the chain names every component on the way.
        """
        chain = [start]
        pointer = start
        for segment in evaluation_path:
            node = self.node(pointer)
            if segment == "$ref" and isinstance(node, dict) and isinstance(node.get("$ref"), str):
                pointer = node["$ref"]
            else:
                pointer = join(pointer, segment)
            if isinstance(self.node(pointer), dict):
                chain.append(pointer)
        return chain

    # --- what a request or response went through ----------------------------------------

    def all_assumed(self) -> list[str]:
        """Every node of the document marked ``x-assumed``, in document order."""
        found: list[str] = []

        def walk(node: Any, pointer: str) -> None:
            if isinstance(node, dict):
                if node.get(ASSUMED) is True:
                    found.append(pointer)
                for key, value in node.items():
                    walk(value, join(pointer, key))
            elif isinstance(node, list):
                for position, value in enumerate(node):
                    walk(value, join(pointer, position))

        walk(self.spec.document, "#")
        return found

    def schema_nodes(self, start: str, instance: Any) -> list[str]:
        """The schema nodes an instance reaches from ``start``: through ``$ref`` and
        ``allOf``, into the ``anyOf``/``oneOf`` branches it matches, into the properties
        it has and the items it holds. What a valid body exercised, in other words."""
        seen: dict[str, None] = {}
        self._visit(start, instance, seen, 0)
        return list(seen)

    def _visit(self, pointer: str, instance: Any, seen: dict[str, None], depth: int) -> None:
        node = self.node(pointer)
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return
        seen[pointer] = None
        if isinstance(node.get("$ref"), str):
            self._visit(node["$ref"], instance, seen, depth + 1)
        for position, _ in enumerate(node.get("allOf", [])):
            self._visit(join(pointer, "allOf", position), instance, seen, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            for position, branch in enumerate(node.get(keyword, [])):
                if self._matches(branch, instance):
                    self._visit(join(pointer, keyword, position), instance, seen, depth + 1)
        if isinstance(instance, dict):
            for name, value in instance.items():
                if name in node.get("properties", {}):
                    self._visit(join(pointer, "properties", name), value, seen, depth + 1)
        if isinstance(instance, list) and isinstance(node.get("items"), dict):
            for item in instance:
                self._visit(join(pointer, "items"), item, seen, depth + 1)

    def _matches(self, schema: Any, instance: Any) -> bool:
        key = id(schema)
        validator = self._branches.get(key)
        if validator is None:
            validator = self._branches[key] = self.spec.validator(schema)
        return bool(validator.is_valid(instance))
