"""Checking requests and responses against the contract.

``Validator`` is the seam: the pipeline only calls ``check_request`` and
``check_response``. ``OpenApiCoreValidator`` is the reference implementation (openapi-core,
the ``OpenAPI`` object built once); a faster implementation must give the same verdicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .errors import BadRequest, ContractViolation, Problem
from .http import HttpRequest, HttpResponse
from .spec import Spec

if TYPE_CHECKING:
    from openapi_core.validation.request import exceptions as req_errors

INVALID_REQUEST = "The request does not match the API contract."


@dataclass
class CheckedRequest:
    """Parameters cast to their types and defaults applied, keyed by their spec names."""

    query: dict[str, Any] = field(default_factory=dict)
    path: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    body: Any = None


class Validator(Protocol):
    def check_request(self, request: HttpRequest, body: Any) -> CheckedRequest:
        """Raise ``BadRequest`` naming every problem, or return the typed request."""

    def check_response(self, request: HttpRequest, response: HttpResponse) -> None:
        """Raise ``ContractViolation`` if the mock's own response breaks the contract."""


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
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            "The request body is not valid JSON.",
            [Problem("body", "", f"{exc.msg} at line {exc.lineno} column {exc.colno}")],
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. integers beyond Python's digit limit
        raise BadRequest(
            "The request body is not valid JSON.", [Problem("body", "", str(exc)[:200])]
        ) from None


class OpenApiCoreValidator:
    """The reference validator: openapi-core, with its errors turned into ``Problem`` s.

    openapi-core is imported here rather than at the top: importing it costs a quarter of a
    second, and the fast validator only needs it for the first rejected request.
    """

    def __init__(self, spec: Spec) -> None:
        from openapi_core import OpenAPI

        self.spec = spec
        self.openapi = OpenAPI.from_dict(any_host(spec.document))

    def check_request(self, request: HttpRequest, body: Any) -> CheckedRequest:
        result = self.openapi.unmarshal_request(request)
        problems = [p for error in result.errors for p in _problems(error)]
        if problems:
            raise BadRequest(INVALID_REQUEST, problems)
        params = result.parameters
        return CheckedRequest(
            query=dict(params.query),
            path=dict(params.path),
            headers=dict(params.header),
            body=body,
        )

    def check_response(self, request: HttpRequest, response: HttpResponse) -> None:
        errors = list(self.openapi.iter_response_errors(request, response))
        if errors:
            raise ContractViolation(
                "The mock produced a response that breaks the contract: "
                + "; ".join(_describe(e) for e in errors)
            )


def any_host(document: dict[str, Any]) -> dict[str, Any]:
    """The document with one relative server, so requests match on their path alone.

    The spec lists the upstream and ``localhost:8080``; the mock may be reached on any host
    and port (tests pick free ports), and that must not make a request invalid.
    """
    return {**document, "servers": [{"url": "/"}]}


def _problems(error: Exception) -> Iterable[Problem]:
    """One ``Problem`` per schema error, located where the client can fix it."""
    from openapi_core.validation.request import exceptions as req_errors
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

    if isinstance(error, req_errors.SecurityValidationError):
        return []  # bearer tokens are checked by the pipeline, before validation
    if isinstance(error, req_errors.ParameterValidationError):
        return [Problem(error.location, error.name, r) for r in _reasons(error)]
    if isinstance(error, req_errors.MissingRequestBodyError):
        return [Problem("body", "", "a JSON request body is required")]
    if isinstance(error, req_errors.RequestBodyValidationError):
        cause = error.__cause__
        if isinstance(cause, InvalidSchemaValue):
            return [
                Problem("body", "/".join(str(p) for p in e.path), e.message)
                for e in cause.schema_errors
            ]
        return [Problem("body", "", "the body could not be read as JSON")]
    return [Problem("body", "", type(error).__name__)]


def _reasons(error: req_errors.ParameterValidationError) -> list[str]:
    from openapi_core.casting.schemas.exceptions import CastError
    from openapi_core.validation.request import exceptions as req_errors
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

    cause = error.__cause__
    if isinstance(error, req_errors.MissingParameterError):
        return ["is required"]
    if isinstance(cause, InvalidSchemaValue):
        return [e.message for e in cause.schema_errors] or ["is not valid"]
    if isinstance(cause, CastError):
        return [f"{cause.value!r} is not a valid {cause.type}"]
    return ["is not valid"]


def _describe(error: Exception) -> str:
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

    cause = error.__cause__
    if isinstance(cause, InvalidSchemaValue):
        details = ", ".join(
            f"{'/'.join(str(p) for p in e.path) or '(root)'}: {e.message}"
            for e in cause.schema_errors
        )
        return f"{type(error).__name__}: {details}"
    return f"{type(error).__name__}: {error}"
