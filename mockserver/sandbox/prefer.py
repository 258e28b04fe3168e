"""``Prefer: code=<status>`` and ``Prefer: delay=<ms>``: per-request overrides, as in Prism.

A frontend developer forces the error screen they are building with ``Prefer: code=404``,
or a slow answer with ``Prefer: delay=1500``. Decoding is strict: a malformed header, an
unknown preference, a repeated one, or a status the operation does not document is a 400
naming the problem, because an override silently ignored is worse than none.

What a forced status returns:
- an error status: a valid ``Error`` body of the contract, nothing runs;
- a success status with an example in the contract: that example, nothing runs;
- a success status without a body (204): no body, nothing runs;
- a success status with a body but no example: the operation's real answer, computed on a
  throwaway copy of the session's data, so that nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.errors import ApiError, BadRequest, Problem, error_class
from ..core.operations import Reply
from ..core.spec import Operation, Spec

HEADER = "Prefer"
PREFERENCES = ("code", "delay")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_NUMBER = re.compile(r'^(?:"(\d{1,9})"|(\d{1,9}))$')


@dataclass(frozen=True, slots=True)
class Preference:
    code: int | None = None
    delay_ms: int = 0


NO_PREFERENCE = Preference()


def parse_prefer(values: list[str], max_delay_ms: int) -> Preference:
    """Decode every ``Prefer`` header of a request; raise ``BadRequest`` on anything odd."""
    if not values:
        return NO_PREFERENCE
    found: dict[str, int] = {}
    for item in ",".join(values).split(","):
        name, number = _parse_item(item)
        if name in found:
            raise _bad(f"{name} is given twice")
        found[name] = number
    delay = found.get("delay", 0)
    if delay > max_delay_ms:
        raise _bad(f"delay={delay} is more than the server's limit of {max_delay_ms} ms")
    return Preference(code=found.get("code"), delay_ms=delay)


def _parse_item(item: str) -> tuple[str, int]:
    """``code=404`` -> ("code", 404); the value may be quoted, as RFC 7240 allows."""
    name, sep, value = (part.strip() for part in item.partition("="))
    if not sep or not _NAME.match(name):
        shown = item.strip() or "(empty)"
        raise _bad(f"{shown!r} is not of the form code=<status> or delay=<milliseconds>")
    name = name.lower()
    if name not in PREFERENCES:
        raise _bad(f"unknown preference {name!r}; the mock understands {', '.join(PREFERENCES)}")
    number = _NUMBER.match(value)
    if number is None:
        raise _bad(f"{name} must be a whole number, not {value!r}")
    return name, int(number.group(1) or number.group(2))


def forced_reply(
    spec: Spec, op: Operation, status: int, run_on_copy: Callable[[], Reply]
) -> Reply:
    """The reply for ``Prefer: code=<status>``; see the module docstring for the rules."""
    if status not in op.statuses:
        documented = ", ".join(map(str, op.statuses))
        raise _bad(f"code={status} is not documented for {op.operation_id}; one of {documented}")
    if status >= 400:
        raise forced_error(status, f"Forced by the request header 'Prefer: code={status}'.")
    content = spec.resolve(op.definition["responses"][str(status)]).get("content")
    if not content:
        return Reply(status)
    example = first_example(spec, content)
    if example is not None:
        return Reply(status, example)
    return run_on_copy()


def forced_error(status: int, message: str) -> ApiError:
    """An error of the given status in the contract's ``Error`` shape."""
    return error_class(status)(message)


def first_example(spec: Spec, content: dict[str, Any]) -> Any:
    """The JSON media type's ``example``, else its first ``examples`` entry, else None."""
    media = content.get("application/json") or {}
    if "example" in media:
        return media["example"]
    for example in (media.get("examples") or {}).values():
        return spec.resolve(example).get("value")
    return None


def _bad(reason: str) -> BadRequest:
    return BadRequest("The Prefer header is not valid.", [Problem("header", HEADER, reason)])
