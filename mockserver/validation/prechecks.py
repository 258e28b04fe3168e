"""What the validators refuse besides the schemas: integers not written in ASCII digits, and
body lists longer than the spec allows, checked before anything else. Both validators call
it, so they agree.

Python's ``int()`` reads ``' 1'``, ``'+8'``, ``'1_0'`` and the digits of every script
(Arabic-Indic ``'\u0663'``, full-width ``'\uff14'``), and so does openapi-core:
``DELETE /calltrackings/%D9%A3`` deleted record 3. The contract's integers are written as
JSON writes them: an optional ``-`` and ASCII digits (a negative then meets the schema's
``minimum``). A body list longer than its ``maxItems`` is refused from its length alone, so
that 100,000 ids cost no more than ten: the validators would otherwise check every one, and
openapi-core word a problem for each.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.errors import BadRequest, Problem, shorten
from ..core.http import HttpRequest
from ..core.spec import Spec
from .validator import INVALID_REQUEST

INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
Where = tuple[str, str]  # (method in lower case, path template)


class Prechecks:
    def __init__(self, spec: Spec) -> None:
        self.integers: dict[Where, list[tuple[str, str]]] = {}
        self.lists: dict[Where, list[tuple[str, int]]] = {}
        for op in spec.operations.values():
            where = (op.method.lower(), op.path)
            self.integers[where] = [
                (p["in"], p["name"]) for p in spec.parameters(*where)
                if spec.resolve(p.get("schema", {})).get("type") == "integer"
            ]  # fmt: skip
            self.lists[where] = _bounded_lists(spec, op.definition)

    def check_sizes(self, request: HttpRequest, body: Any) -> None:
        """Raise ``BadRequest`` for a body list longer than its ``maxItems``, at once."""
        if not isinstance(body, dict):
            return
        for key, limit in self.lists.get((request.method, request.path_pattern), ()):
            value = body.get(key)
            if isinstance(value, list) and len(value) > limit:
                reason = f"has {len(value)} items, more than the {limit} allowed"
                raise BadRequest(INVALID_REQUEST, [Problem("body", key, reason)])

    def integer_problems(self, request: HttpRequest) -> list[Problem]:
        """The integer parameters that ``int()`` would read although they are not written
        in ASCII digits (what it cannot read at all, the validators report themselves)."""
        sources: dict[str, Any] = {  # each has .get(name): the first value, as validators read
            "query": request.query, "header": request.headers, "path": request.path_params,
        }
        problems = []
        for location, name in self.integers.get((request.method, request.path_pattern), ()):
            raw = sources[location].get(name) if location in sources else None
            if raw is not None and not INTEGER.fullmatch(raw) and _int_reads(raw):
                reason = f"{shorten(repr(raw))} is not a valid integer"
                problems.append(Problem(location, name, reason))
        return problems


def _int_reads(raw: str) -> bool:
    try:
        int(raw)
    except ValueError:
        return False
    return True


def _bounded_lists(spec: Spec, definition: dict[str, Any]) -> list[tuple[str, int]]:
    """The body's top-level properties that are lists with a ``maxItems``."""
    body = spec.resolve(definition.get("requestBody", {}))
    schema = spec.resolve(body.get("content", {}).get("application/json", {}).get("schema", {}))
    found = []
    for key, prop in schema.get("properties", {}).items():
        prop = spec.resolve(prop)
        if prop.get("type") == "array" and isinstance(prop.get("maxItems"), int):
            found.append((key, prop["maxItems"]))
    return found
