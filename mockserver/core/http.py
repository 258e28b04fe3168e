"""Framework-free HTTP values: the request and response the pipelines work on, and the
record of what happened to a request, which the log and the journal are made from.

``HttpRequest`` and ``HttpResponse`` implement openapi-core's ``Request``/``Response``
protocols, so the reference validator reads them directly, and any web server can be
adapted to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers, ImmutableMultiDict, MultiDict

from .errors import Problem

if TYPE_CHECKING:
    from openapi_core.datatypes import RequestParameters


@dataclass
class HttpRequest:
    method: str  # lower case, as openapi-core expects
    path: str
    path_pattern: str
    host_url: str
    query: MultiDict[str, str]
    headers: Headers
    path_params: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str = "application/octet-stream"
    query_string: str | None = None  # as sent (Latin-1), when the server said; else unknown
    _parameters: RequestParameters | None = field(default=None, init=False, repr=False)

    @property
    def parameters(self) -> RequestParameters:
        """openapi-core's view of the parameters, made on first use (only it needs them)."""
        if self._parameters is None:
            from openapi_core.datatypes import RequestParameters

            self._parameters = RequestParameters(
                query=self.query,
                header=self.headers,
                cookie=ImmutableMultiDict(),
                path=dict(self.path_params),
            )
        return self._parameters

    @parameters.setter
    def parameters(self, value: RequestParameters) -> None:
        self._parameters = value

    @property
    def full_url_pattern(self) -> str:
        return self.host_url.rstrip("/") + self.path_pattern

    @property
    def mimetype(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()


@dataclass
class HttpResponse:
    status_code: int
    data: bytes | None = None
    headers: Headers = field(default_factory=Headers)
    content_type: str = "application/json"
    json: Any = None  # the body before serialisation, for fast validators
    # The web edge's form of this response, made the first time it is sent: a response
    # kept for repeated reads is sent many times, and is never changed once made.
    wire: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    status: int | None  # None: the connection was dropped on purpose, no response
    duration_ms: float
    session: str
    operation_id: str | None
    headers: dict[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    persona: str | None = None
    error: str | None = None  # the error body's message, when the answer is an error
    fault: str | None = None  # "delay", "error" or "drop" when a fault rule fired
    body: str | None = None  # the request body as text (its start, if long), if any
    body_truncated: bool = False  # whether ``body`` is only the start of it
    started_at: float = 0.0  # seconds since the epoch
    # what was answered (None: nothing, the connection was dropped): headers as the mock
    # set them, and the body's start as text
    response_headers: dict[str, str] | None = None
    response_body: str | None = None
    response_truncated: bool = False
