"""The request body before any schema: its media type, and JSON decoded safely.

A client's body is decoded here, not by a validator library, so that malformed input
(bad UTF-8, broken JSON, a number too long for ``int()``, nesting deep enough to exhaust
the validators' recursion) gets a precise 4xx, never a 500.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from ..core.errors import BadRequest, Problem, UnsupportedMediaType, shorten
from ..core.http import HttpRequest
from ..core.responses import JSON_TYPE
from .validator import CheckedRequest, Validator


def read_request(validator: Validator, request: HttpRequest) -> CheckedRequest:
    """Refuse a non-JSON body, decode the JSON safely, then check it all against the spec."""
    return validator.check_request(request, read_body(request))


def read_body(request: HttpRequest) -> Any:
    """The decoded JSON body (None if empty), or the 4xx that stops it before validation."""
    if request.body and request.mimetype != JSON_TYPE:
        raise UnsupportedMediaType(
            f"The request body must be {JSON_TYPE}, not {request.mimetype or 'untyped'}."
        )
    if request.body and not well_formed_parameters(request.content_type):
        # openapi-core raises ValueError (a 500) on a parameter without '='
        raise UnsupportedMediaType(
            f"The Content-Type parameters are malformed: {request.content_type!r}; "
            "each must be name=value."
        )
    return parse_json_body(request)


def well_formed_parameters(content_type: str) -> bool:
    """Whether each ``;``-separated parameter of a media type is one ``name=value``."""
    return all(part.count("=") == 1 for part in content_type.split(";")[1:])


def parse_json_body(request: HttpRequest) -> Any:
    """Decode the body ourselves, so malformed input gets a precise, safe message."""
    if not request.body:
        return None
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            "The request body is not valid UTF-8.",
            [Problem("body", "", f"byte {exc.start} is not valid UTF-8")],
        ) from None
    try:
        value = json.loads(
            text, parse_int=_integer, parse_float=_number, parse_constant=_no_constant,
            object_pairs_hook=_unique_keys,
        )
    except DuplicateKey as exc:
        raise BadRequest(
            "The request body names a key twice in one object; nothing was changed.",
            [Problem("body", shorten(exc.key), "appears twice in one object: which one counts "
                     "is anyone's guess, so neither does")],
        ) from None
    except json.JSONDecodeError as exc:
        raise BadRequest(
            "The request body is not valid JSON.",
            [Problem("body", "", f"{exc.msg} at line {exc.lineno} column {exc.colno}")],
        ) from None
    except (ValueError, RecursionError) as exc:  # from the hooks below, or nesting
        raise BadRequest(
            "The request body is not valid JSON.", [Problem("body", "", shorten(str(exc)))]
        ) from None
    _check_depth(value)
    return value


MAX_DEPTH = 32  # the contract's deepest body has 3 levels; validators recurse per level
MAX_DIGITS = 4300  # Python's own limit for int(); beyond it int() raises


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise ValueError(f"a number has {digits} digits, more than the {MAX_DIGITS} accepted")
    return int(text)


def _number(text: str) -> int | float:
    """JSON Schema counts ``2.0`` and ``1e2`` as integers, so the handlers get them as ``int``."""
    value = float(text)
    if math.isfinite(value):  # so at most ~309 digits: int() below stays cheap
        exact = Decimal(text)
        if exact == exact.to_integral_value():
            return int(exact)
    return value


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object, or ``DuplicateKey``: ``{"calltrackings": [1], "calltrackings": []}`` would
    otherwise keep the last and delete everything."""
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _check_depth(value: Any) -> None:
    """Refuse deep nesting before any recursive validator sees it (a RecursionError is a 500)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(
                "The request body is nested too deeply.",
                [Problem("body", "", f"nested deeper than {MAX_DEPTH} levels")],
            )
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
