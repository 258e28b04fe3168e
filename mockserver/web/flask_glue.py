"""Between Flask and the Flask-free pipelines: requests in, responses out, records noted.

The API views (``app``) and the admin views (``admin_routes``) share these conversions, so both
see requests the same way and both feed the observers the same records.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request as WerkzeugRequest

from ..core.errors import Problem
from ..core.http import HttpRequest, HttpResponse
from ..core.spec import Operation
from ..sandbox.sessions import DEFAULT_SESSION
from .records import Answer, request_record
from .wsgi import DROP_KEY

flask_request = request  # note_request's default, under a name its parameter does not hide

NOTED_KEY = "mockserver.noted"  # set once the request's record went to the observers


def to_http_request(
    op: Operation, path_params: dict[str, str], req: WerkzeugRequest | None = None
) -> HttpRequest:
    """The framework-free request; ``req`` is Flask's current request unless given."""
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
    """Flask's response; one without a body (a 204) gets no ``Content-Type`` (Flask would
    give it ``text/html``)."""
    flask_response = Response(
        response.data,
        status=response.status_code,
        headers=list(response.headers.items()),
        content_type=response.content_type or None,
    )
    if not response.content_type and "Content-Type" not in response.headers:
        del flask_response.headers["Content-Type"]
    return flask_response


def drop_connection(environ: dict[str, Any]) -> Response:
    """Ask the server to close the connection without answering (see ``wsgi``).

    Served by the mock's server, the client sees the connection closed and no response at
    all. A server without that support (Flask's test client) gets this 500 instead.
    """
    environ[DROP_KEY] = True
    return Response(b'{"code":500,"message":"The connection was dropped on purpose."}', 500,
                    content_type="application/json")


def mark_arrival(environ: dict[str, Any] | None = None) -> None:
    """Stamp the request on arrival, so durations include faults' and overrides' delays."""
    environ = request.environ if environ is None else environ
    environ["mockserver.started"] = time.perf_counter()
    environ["mockserver.received"] = time.time()


def answer_of(response: HttpResponse | Response) -> Answer:
    """What the record keeps of an answer, from the pipeline's response or Flask's."""
    if isinstance(response, Response):
        return Answer(list(response.headers.items()),
                      None if response.is_streamed else response.get_data())
    return Answer.of(response)


def note_request(
    status: int | None = None,
    session: str = DEFAULT_SESSION,
    operation_id: str | None = None,
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
    """Hand the record of the current request to every observer (log line, journal); see
    ``records.request_record`` for what it keeps."""
    request = req or flask_request
    environ = request.environ
    try:
        body = b"" if secret_body else request.get_data(cache=True)
    except HTTPException:  # a body over the limit: the record says 413, without it
        body = b""
    record = request_record(
        method=request.method,
        path=request.path,
        query=request.query_string.decode("latin-1"),
        headers=request.headers.items(),
        body=body,
        started=environ.get("mockserver.started", time.perf_counter()),
        received=environ.get("mockserver.received", time.time()),
        status=status,
        session=session,
        operation_id=operation_id,
        persona=persona,
        problems=problems,
        fault=fault,
        error=error,
        secret_body=secret_body,
        response=response,
    )
    environ[NOTED_KEY] = True
    for observer in observers or current_app.extensions["mockserver"]["observers"]:
        observer(record)
