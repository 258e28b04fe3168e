"""One error vocabulary: typed exceptions, each with its HTTP status, one JSON body shape.

Every 4xx/5xx the mock sends is built here, in the ``Error`` shape of ``openapi.yaml``:
``{"code": ..., "message": ..., "errors": [{"in", "name", "reason"}]}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: where (query/header/path/body), which field, why."""

    location: str
    name: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"in": self.location, "name": self.name, "reason": self.reason}


MAX_PROBLEMS = 20  # listed per error body; the rest are counted (``errors_omitted``)
MAX_LISTED_IDS = 10  # ids named in one message


@dataclass
class ApiError(Exception):
    """An answer that is an error. However many problems a request has, the error keeps
    the first ``MAX_PROBLEMS`` and counts the rest, so that no body, journal entry or log
    line grows with what a client sent."""

    message: str
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    omitted: int = 0
    status: ClassVar[int] = 500

    def __post_init__(self) -> None:
        if len(self.problems) > MAX_PROBLEMS:
            self.omitted += len(self.problems) - MAX_PROBLEMS
            self.problems = self.problems[:MAX_PROBLEMS]

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message, self.problems, self.omitted)


def error_body(
    status: int, message: str, problems: list[Problem] | None = None, omitted: int = 0
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": status, "message": message}
    if problems:
        body["errors"] = [p.to_json() for p in problems]
    if omitted:
        body["errors_omitted"] = omitted
    return body


def listed_ids(ids: Sequence[int]) -> str:
    """``1, 2, 3`` or, for many, ``1, 2, ... 10 and 990 more``: a message stays short."""
    shown = ", ".join(map(str, ids[:MAX_LISTED_IDS]))
    extra = len(ids) - MAX_LISTED_IDS
    return shown + (f" and {extra} more" if extra > 0 else "")


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class ContractViolation(ApiError):
    """The mock itself produced a response that breaks the contract: a bug in the mock."""

    status = 500


class ServiceUnavailable(ApiError):
    status = 503


_CLASSES: dict[int, type[ApiError]] = {
    cls.status: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed,
                PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable)
}


def error_class(status: int) -> type[ApiError]:
    """The error type of an HTTP status; one is made (and kept) for a status without one."""
    found = _CLASSES.get(status)
    if found is None:
        found = type(f"Error{status}", (ApiError,), {"status": status})
        _CLASSES[status] = found
    return found


def shorten(text: str, limit: int = 200) -> str:
    """Echoed input stays readable in a response and a log line, however long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"
