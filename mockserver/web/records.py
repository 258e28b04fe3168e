"""What the log line and the journal keep of one request: a ``RequestRecord``, bounded.

Both ways a request is answered (Flask's routes, and the server's own lane for the API in
``direct``) build their record here from plain values, so a request is journaled and
logged the same whichever way it went. A record holds a few kilobytes whatever was sent
(problems are capped by ``ApiError``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..core.errors import Problem, shorten
from ..core.http import HttpResponse, RequestRecord
from ..core.spec import Operation
from ..pipeline.api import Outcome
from ..sandbox.sessions import DEFAULT_SESSION

TEXT_KEPT, HEADER_KEPT, MAX_HEADERS, BODY_KEPT = 1024, 256, 64, 1024
RESPONSE_KEPT = 4096  # bytes of a response body a record keeps


@dataclass(frozen=True)
class Answer:
    """What a request was answered, as the record keeps it: headers and body bytes."""

    headers: list[tuple[str, str]]
    body: bytes | None

    @classmethod
    def of(cls, response: HttpResponse) -> Answer:
        headers = [("Content-Type", response.content_type)] if response.content_type else []
        return cls(headers + list(response.headers.items()), response.data)


def request_record(
    *,
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    started: float,
    received: float,
    status: int | None,
    session: str,
    operation_id: str | None,
    persona: str | None = None,
    problems: tuple[Problem, ...] = (),
    fault: str | None = None,
    error: str | None = None,
    secret_body: bool = False,
    response: Answer | None = None,
) -> RequestRecord:
    """``secret_body``: the bodies may hold secrets (a token request's ``client_secret``,
    the token answered), so the record keeps neither. ``response``: what was answered, None
    when the connection was dropped."""
    if secret_body:
        body = b""
    kept_headers: dict[str, str] = {}
    for count, (name, value) in enumerate(headers):
        if count == MAX_HEADERS:
            break
        kept_headers[name] = value[:HEADER_KEPT]
    return RequestRecord(
        method=method,
        path=shorten(path, TEXT_KEPT),
        query=shorten(query, TEXT_KEPT),
        status=status,
        duration_ms=(time.perf_counter() - started) * 1000,
        session=session,
        operation_id=operation_id,
        headers=kept_headers,
        problems=problems,
        persona=persona,
        fault=fault,
        error=None if error is None else shorten(error, TEXT_KEPT),
        body=body[:BODY_KEPT].decode("utf-8", errors="replace") if body else None,
        body_truncated=len(body) > BODY_KEPT,
        started_at=received,
        **_answer_fields(response, keep_body=not secret_body),
    )


def outcome_fields(op: Operation, outcome: Outcome) -> dict[str, Any]:
    """What the record of an API request says of the pipeline's outcome (both lanes)."""
    response, error = outcome.response, outcome.error
    return {
        "status": None if response is None else response.status_code,
        "session": outcome.session or DEFAULT_SESSION,
        "operation_id": op.operation_id,
        "persona": outcome.persona.name if outcome.persona is not None else None,
        "problems": tuple(error.problems) if error is not None else (),
        "fault": outcome.fault,
        "error": error.message if error is not None else None,
        "response": None if response is None else Answer.of(response),
    }


def _answer_fields(response: Answer | None, keep_body: bool) -> dict[str, Any]:
    if response is None:
        return {}
    headers = {k: v[:HEADER_KEPT] for k, v in response.headers[:MAX_HEADERS]}
    body = (response.body or b"") if keep_body else b""
    return {
        "response_headers": headers,
        "response_body": body[:RESPONSE_KEPT].decode("utf-8", errors="replace") if body else None,
        "response_truncated": len(body) > RESPONSE_KEPT,
    }
