"""The seam between the pipelines and the contract: what a validator is and returns.

The pipelines only call ``check_request`` and ``check_response``. ``reference`` implements
them with openapi-core; ``compiled`` implements them faster with the same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..core.http import HttpRequest, HttpResponse

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
