"""The contract's operations answered without Flask's dispatch: the common case, faster.

Flask's request context, URL map, hooks and error handlers cost about 75 us of a 185 us
cached read (pyinstrument, in process). This WSGI middleware, in front of Flask, takes a
request only when nothing about it needs them: a method the spec declares on a path it
matches (HEAD, OPTIONS and other methods go to Flask), a Host werkzeug accepts, and a body
that is absent or whose ``Content-Length`` is within the limit (chunked, or over the limit:
Flask answers, 413 included). For those it does what Flask would, with the same functions:
the arrival stamp, the API view's body (``answer``), the CORS headers. Everything else is
Flask's, so an answer does not depend on which way it went; ``tests/web/test_fast_path.py``
sends the same requests both ways and compares the answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from ..core.errors import error_body
from ..core.responses import dump
from ..core.spec import Operation, Spec, template_to_regex
from .cors import cors_headers
from .flask_glue import mark_arrival

log = logging.getLogger("mockserver")
Answer = Callable[[Operation, dict[str, str], Request], Response]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FastPath:
    def __init__(self, flask_app: WSGIApp, spec: Spec, answer: Answer, max_body: int) -> None:
        self.flask_app = flask_app
        self.answer = answer
        self.max_body = max_body
        self.routes: list[tuple[re.Pattern[str], dict[str, Operation]]] = [
            (template_to_regex(template), methods) for template, methods in spec.paths().items()
        ]
        self.methods = frozenset(m for _, methods in self.routes for m in methods)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        taken = self.take(environ)
        if taken is None:
            return self.flask_app(environ, start_response)
        op, path_params, request = taken
        mark_arrival(environ)
        try:
            response = self.answer(op, path_params, request)
        except Exception:  # what Flask would have answered for an unexpected error
            log.exception("unexpected error in %s %s", op.method, request.path)
            response = Response(dump(error_body(500, "Internal Server Error")), 500,
                                content_type="application/json")
        for name, value in cors_headers(request.headers.get("Origin"), request.method):
            response.headers[name] = value
        return response(environ, start_response)

    def take(self, environ: dict[str, Any]) -> tuple[Operation, dict[str, str], Request] | None:
        """The operation, its path parameters and the request, if this path may take it."""
        method = environ.get("REQUEST_METHOD", "")
        if method not in self.methods or not self._body_fits(environ):
            return None
        request = Request(environ, populate_request=False)  # no cycle through the environ
        path = request.path
        for pattern, methods in self.routes:
            match = pattern.fullmatch(path)
            if match is not None:
                op = methods.get(method)
                if op is None or not request.host:
                    return None  # 405, or a Host URLs cannot be built on: Flask's answers
                request.max_content_length = self.max_body
                return op, match.groupdict(), request
        return None

    def _body_fits(self, environ: dict[str, Any]) -> bool:
        length = environ.get("CONTENT_LENGTH") or ""
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return False
        if not length:
            return True
        return length.isdigit() and int(length) <= self.max_body
