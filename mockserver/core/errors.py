"""One error vocabulary: typed exceptions, each with its HTTP status, one JSON body shape.

Every 4xx/5xx the mock sends is built here, in the ``Error`` shape of ``openapi.yaml``:
``{"code": ..., "message": ..., "errors": [{"in", "name", "reason"}]}``.
"""

from __future__ import annotations

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


@dataclass
class ApiError(Exception):
    message: str
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: ClassVar[int] = 500

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message, self.problems)


def error_body(status: int, message: str, problems: list[Problem] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": status, "message": message}
    if problems:
        body["errors"] = [p.to_json() for p in problems]
    return body


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
