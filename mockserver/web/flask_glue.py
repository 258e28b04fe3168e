"""Between Flask and the Flask-free pipelines: requests in, responses out, records noted.

The API views (``app``) and the admin views (``admin_routes``) share these conversions, so both
see requests the same way and both feed the observers the same records.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request as WerkzeugRequest

from ..core.errors import Problem, shorten
from ..core.http import HttpRequest, HttpResponse, RequestRecord
from ..core.spec import Operation

flask_request = request  # note_request's default, under a name its parameter does not hide

DROP_KEY = "mockserver.drop_connection"  # set in the WSGI environ; the server acts on it
NOTED_KEY = "mockserver.noted"  # set once the request's record went to the observers
# What a record keeps of a request, so that no log line or journal entry grows with it: a
# record holds a few kilobytes, whatever was sent (problems are capped by ``ApiError``).
TEXT_KEPT, HEADER_KEPT, MAX_HEADERS, BODY_KEPT = 1024, 256, 64, 1024
RESPONSE_KEPT = 4096  # bytes of a response body a record keeps


def to_http_request(
    op: Operation, path_params: dict[str, str], req: WerkzeugRequest | None = None
) -> HttpRequest:
    """The framework-free request; ``req`` is Flask's current request unless given (the
    fast path hands over the werkzeug request it made)."""
    req = req or request
    return HttpRequest(
        method=op.method.lower(),
        path=req.path,
        path_pattern=op.path,
        host_url=req.host_url,
        query=req.args,
        headers=req.headers,  # type: ignore[arg-type]
        path_params=path_params,
        body=req.get_data(cache=True),
        content_type=req.content_type or "",
        query_string=req.query_string.decode("latin-1"),
    )


def to_flask(response: HttpResponse) -> Response:
    return Response(
        response.data,
        status=response.status_code,
        headers=list(response.headers.items()),
        content_type=response.content_type or None,
    )


def drop_connection(environ: dict[str, Any]) -> Response:
    """Ask the server to close the connection without answering (see ``server``).

    Served by waitress, the client sees the connection closed and no response at all. A
    server without that support (Flask's test client) gets this 500 instead.
    """
    environ[DROP_KEY] = True
    return Response(b'{"code":500,"message":"The connection was dropped on purpose."}', 500,
                    content_type="application/json")


def mark_arrival(environ: dict[str, Any] | None = None) -> None:
    """Stamp the request on arrival, so durations include faults' and overrides' delays."""
    environ = request.environ if environ is None else environ
    environ["mockserver.started"] = time.perf_counter()
    environ["mockserver.received"] = time.time()


def note_request(
    status: int | None,
    session: str,
    operation_id: str | None,
    *,
    persona: str | None = None,
    problems: tuple[Problem, ...] = (),
    fault: str | None = None,
    error: str | None = None,
    secret_body: bool = False,
    response: Answer | None = None,
    req: WerkzeugRequest | None = None,
    observers: list[Any] | None = None,
) -> None:
    """Hand the record of the current request to every observer (log line, journal).

    ``secret_body``: the bodies may hold secrets (a token request's ``client_secret``, the
    token answered), so the record keeps neither. ``response``: what was answered (its
    headers and the start of its body go into the record), None when the connection is
    dropped.
    """
    request = req or flask_request  # the fast path gives its own; else Flask's current one
    started = request.environ.get("mockserver.started", time.perf_counter())
    try:
        body = b"" if secret_body else request.get_data(cache=True)
    except HTTPException:  # a body over the limit: the record says 413, without it
        body = b""
    text = body[:BODY_KEPT].decode("utf-8", errors="replace") if body else None
    record = RequestRecord(
        method=request.method,
        path=shorten(request.path, TEXT_KEPT),
        query=shorten(request.query_string.decode("latin-1"), TEXT_KEPT),
        status=status,
        duration_ms=(time.perf_counter() - started) * 1000,
        session=session,
        operation_id=operation_id,
        headers={k: v[:HEADER_KEPT] for k, v in list(request.headers.items())[:MAX_HEADERS]},
        problems=problems,
        persona=persona,
        fault=fault,
        error=None if error is None else shorten(error, TEXT_KEPT),
        body=text,
        body_truncated=len(body) > BODY_KEPT,
        started_at=request.environ.get("mockserver.received", time.time()),
        **_answer_fields(response, keep_body=not secret_body),
    )
    request.environ[NOTED_KEY] = True
    for observer in observers or current_app.extensions["mockserver"]["observers"]:
        observer(record)


@dataclass(frozen=True)
class Answer:
    """What a request was answered, as the record keeps it: headers and body bytes."""

    headers: list[tuple[str, str]]
    body: bytes | None

    @classmethod
    def of(cls, response: HttpResponse | Response) -> Answer:
        if isinstance(response, Response):
            return cls(list(response.headers.items()),
                       None if response.is_streamed else response.get_data())
        headers = [("Content-Type", response.content_type)] if response.content_type else []
        return cls(headers + list(response.headers.items()), response.data)


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
