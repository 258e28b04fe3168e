"""String formats checked exactly as openapi-core checks them, mostly without Python.

openapi-core (through jsonschema) checks ``format`` with Python functions; jsonschema_rs
has its own, stricter checks, and calling back into Python for each string cost more than
the rest of a response's validation (200 timestamps on a 50-item page). So each format the
spec uses is either rewritten into keywords jsonschema_rs runs natively and that accept
exactly what the reference accepts (``date-time``, ``email``), dropped where the reference
does not check it at all (``uri`` without rfc3987), or left to the reference's own function.
The choice is made from the reference's checker as installed, not assumed;
``tests/validation/test_validation_differential.py`` holds each rewrite equal to its function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

# Formats that apply to numbers: jsonschema_rs only calls custom format checks on strings.
NUMERIC_FORMATS = frozenset({"int32", "int64", "float", "double"})
# Keywords whose values are data, not schemas: a "format" key in them is not a format.
DATA_KEYWORDS = frozenset({"const", "enum", "default", "example", "examples"})


class UnmirroredFormats(Exception):
    """Formats whose reference check cannot be reproduced in jsonschema_rs."""


def reference_formats(document: Any) -> tuple[dict[str, Callable[[str], bool]], Rewrites]:
    """How to check every format the spec uses exactly as openapi-core checks it.

    Returns the Python checks to hand jsonschema_rs, and the formats to rewrite into
    keywords it runs natively (a Python callback per string cost more than the rest of the
    validation). A format openapi-core's checker does not know (``uri`` without rfc3987)
    passes there, so its keyword is dropped here, overriding jsonschema_rs's own check.
    """
    from openapi_schema_validator import oas31_format_checker

    names = set(_formats_in(document))
    numeric = names & NUMERIC_FORMATS
    if numeric:
        raise UnmirroredFormats(f"numeric formats {sorted(numeric)}")
    checkers = oas31_format_checker.checkers
    callbacks: dict[str, Callable[[str], bool]] = {}
    rewrites: Rewrites = {}
    for name in names:
        if name not in checkers:
            rewrites[name] = None
        elif _checker_name(checkers[name][0]) in NATIVE_EQUIVALENTS:
            rewrites[name] = NATIVE_EQUIVALENTS[_checker_name(checkers[name][0])]
        else:
            callbacks[name] = partial(oas31_format_checker.conforms, format=name)
    return callbacks, rewrites


def _checker_name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__name__}"


# jsonschema checks date-time as rfc3339_validator.validate_rfc3339(value.upper()): its regex
# (ASCII digits, hours < 24, no leap second, ``$`` also before a final newline), year 0000
# refused, the day within its month. Here the same rule as patterns. ``t`` and ``z`` are the
# only characters that upper() turns into ones the regex accepts.
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_MONTH_DAY = (
    "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"  # any month: 01-28
    "|(?:0[13-9]|1[0-2])-(?:29|30)"  # all but February: 29, 30
    "|(?:0[13578]|1[02])-31)"  # the months of 31 days
)
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?"
_OFFSET = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
RFC3339_PATTERN = f"^(?:[0-9]{{4}}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)[Tt]{_TIME}{_OFFSET}\\n?$"
Rewrites = dict[str, "dict[str, Any] | None"]
NATIVE_EQUIVALENTS: dict[str, dict[str, Any]] = {
    "jsonschema._format.is_datetime": {
        "allOf": [{"pattern": RFC3339_PATTERN}, {"not": {"pattern": "^0000"}}]
    },
    "jsonschema._format.is_email": {"pattern": "@"},  # '"@" in instance'
}


def rewrite_formats(node: Any, rewrites: Rewrites) -> Any:
    """A copy of a schema where each rewritten ``format`` is its equivalent (or nothing)."""
    if isinstance(node, list):
        return [rewrite_formats(v, rewrites) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: v if k in DATA_KEYWORDS else rewrite_formats(v, rewrites) for k, v in node.items()}
    name = out.get("format")
    if isinstance(name, str) and name in rewrites:
        del out["format"]
        equivalent = rewrites[name]
        if equivalent is not None:
            out["allOf"] = [*out.get("allOf", []), equivalent]
    return out


def _formats_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            yield node["format"]
        for key, value in node.items():
            if key not in DATA_KEYWORDS:
                yield from _formats_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _formats_in(value)
