"""The mock's handler: the contract's operations in the common case without Flask, and
the answers kept for repeated reads given on the server's event loop.

Flask's request context, URL map, hooks and error handlers cost more than a kept answer
itself. This handler takes a request only when nothing about it needs them: a method the
spec declares on a path it matches (HEAD, OPTIONS and other methods go to Flask), and a Host
werkzeug accepts. For those it does what Flask's API view does, with the same functions:
the pipeline (``pipeline.api``), the record for the log and the journal (``records``), the
CORS headers; the request is built from the same values werkzeug would build it from
(``environ_headers``, werkzeug's own query parsing and host rules). Everything else goes to
Flask, so an answer does not depend on which way it went: ``tests/web/test_direct.py``
sends the same requests both ways and compares answers and journals.

What runs on the loop is ``Pipeline.admit``: it never waits (the session must be at hand,
no delay applies), so the loop answers a kept read, a 401, a 403 or an injected error
itself, and hands everything else (running an operation, a delay, making a session) to a
worker thread.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import EnvironHeaders, Headers, ImmutableMultiDict
from werkzeug.sansio.utils import get_current_url, get_host

from ..core.http import HttpRequest, HttpResponse
from ..core.spec import Operation, Spec, template_to_regex
from ..pipeline.api import Admitted, Outcome, Pipeline
from .cors import cors_headers
from .exchange import Exchange, Later, Reply, environ_headers
from .records import outcome_fields, request_record
from .wsgi import WSGIApp, run_wsgi

log = logging.getLogger("mockserver")
Observer = Callable[[Any], None]
MEMO_SIZE = 1024  # Host values and query strings whose reading is kept


class DirectHandler:
    def __init__(self, flask_app: WSGIApp, spec: Spec, pipeline: Pipeline,
                 observers: list[Observer]) -> None:
        self.flask_app = flask_app
        self.pipeline = pipeline
        self.observers = observers
        self.routes: list[tuple[re.Pattern[str], dict[str, Operation]]] = [
            (template_to_regex(template), methods) for template, methods in spec.paths().items()
        ]
        self.methods = frozenset(m for _, methods in self.routes for m in methods)
        # Pure functions of a value that comes again and again: worked out once each.
        self._hosts: dict[tuple[str | None, tuple[str, int]], str] = {}
        self._queries: dict[str, ImmutableMultiDict[str, str]] = {}

    def respond(self, exchange: Exchange) -> Reply | Later:
        taken = self.take(exchange)
        if taken is None:
            return lambda: run_wsgi(self.flask_app, exchange)
        op, request = taken
        step = self.pipeline.admit(op, request, may_wait=False)
        if isinstance(step, Outcome):
            return self.reply(exchange, op, request, step)
        return lambda: self.reply(exchange, op, request, self.finish(op, request, step))

    def finish(self, op: Operation, request: HttpRequest, step: Admitted | None) -> Outcome:
        """On a worker: what ``admit`` left, or the whole pipeline if it gave up."""
        if step is None:
            return self.pipeline.handle(op, request)
        return self.pipeline.complete(step)

    def take(self, exchange: Exchange) -> tuple[Operation, HttpRequest] | None:
        """The operation and its request, if this handler may take the exchange."""
        method = exchange.method
        if method not in self.methods:
            return None
        path = "/" + exchange.path_info.encode("latin-1").decode(errors="replace").lstrip("/")
        for pattern, methods in self.routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            op = methods.get(method)
            headers = RequestHeaders(environ_headers(exchange))
            host_url = self.host_url(headers.get("Host"), exchange.server)
            if op is None or not host_url:
                return None  # 405, or a Host URLs cannot be built on: Flask's answers
            return op, HttpRequest(
                method=op.method.lower(),
                path=path,
                path_pattern=op.path,
                host_url=host_url,
                query=self._query(exchange.query),
                headers=headers,
                path_params=match.groupdict(),
                body=exchange.body,
                content_type=headers.get("Content-Type") or "",
                query_string=exchange.query,
            )
        return None

    def host_url(self, host_header: str | None, server: tuple[str, int]) -> str:
        """werkzeug's ``host_url`` for this Host, or "" where werkzeug finds no host."""
        key = (host_header, server)
        found = self._hosts.get(key)
        if found is None:
            host = get_host("http", host_header, server)
            found = _kept(self._hosts, key, get_current_url("http", host) if host else "")
        return found

    def _query(self, query: str) -> ImmutableMultiDict[str, str]:
        """werkzeug's ``request.args`` of this query string (immutable: shared safely)."""
        found = self._queries.get(query)
        if found is None:
            found = _kept(self._queries, query, ImmutableMultiDict(parse_qsl(
                query.encode("latin-1").decode(), keep_blank_values=True,
                errors="werkzeug.url_quote")))
        return found

    def reply(self, exchange: Exchange, op: Operation, request: HttpRequest,
              outcome: Outcome) -> Reply:
        """Note the request for the log and the journal; the answer as Flask's view gives
        it, CORS headers included."""
        response = outcome.response
        record = request_record(
            method=exchange.method,
            path=request.path,
            query=exchange.query,
            headers=request.headers.items(),
            body=exchange.body,
            started=exchange.started,
            received=exchange.received,
            **outcome_fields(op, outcome),
        )
        for observer in self.observers:
            observer(record)
        if response is None:
            return Reply(0, drop=True)
        if response.wire is None:
            response.wire = self._wire(response)
        headers, body = response.wire
        # The pipeline never sets CORS headers, so adding them is what werkzeug's setting
        # them would do.
        cors = cors_headers(request.headers.get("Origin"), exchange.method)
        return Reply(response.status_code, headers + cors if cors else headers, body)

    @staticmethod
    def _wire(response: HttpResponse) -> tuple[list[tuple[str, str]], bytes]:
        """Headers and body as ``flask_glue.to_flask`` makes them of this response; the
        same every time it is sent."""
        headers = Headers(response.headers)
        if response.content_type:
            headers["Content-Type"] = response.content_type
        return list(headers.items()), response.data or b""


class RequestHeaders(EnvironHeaders):
    """The request's headers as Flask's ``request.headers`` gives them (werkzeug's
    ``EnvironHeaders`` over the same keys): a repeated header is one joined value there, so
    ``getlist`` is that value alone, found by its key rather than by a walk through all."""

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        value = self.get(key)
        if value is None:
            return []
        if type is None:
            return [value]
        try:
            return [type(value)]
        except ValueError:  # as werkzeug: a value that does not convert is left out
            return []


def _kept(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    """Remember ``value`` under ``key``, forgetting everything once the memo is full."""
    if len(memo) >= MEMO_SIZE:
        memo.clear()
    memo[key] = value
    return value
