"""Any WSGI app behind the server: the environ PEP 3333 describes, run on a worker thread.

The environ is the one waitress gave (the app was served by waitress before; the proxy and
the test servers are plain WSGI apps): the path percent-decoded as Latin-1, the query as
sent, a chunked body already decoded and its length given, headers whose name holds an
underscore left out. A fault may ask to drop the connection without an answer: WSGI has no
way to say that, so the app marks the request (``DROP_KEY`` in its environ) and the server
closes the connection without writing a byte of the response.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any

from .exchange import Exchange, Later, Reply, environ_headers

DROP_KEY = "mockserver.drop_connection"  # set in the environ by the app; the server acts
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ_of(exchange: Exchange) -> dict[str, Any]:
    server_host, server_port = exchange.server
    environ: dict[str, Any] = {
        "REMOTE_ADDR": exchange.client[0],
        "REMOTE_HOST": exchange.client[0],
        "REMOTE_PORT": str(exchange.client[1]),
        "REQUEST_METHOD": exchange.method.upper(),
        "SERVER_PORT": str(server_port),
        "SERVER_NAME": server_host,
        "SERVER_SOFTWARE": "mockserver",
        "SERVER_PROTOCOL": f"HTTP/{exchange.version}",
        "SCRIPT_NAME": "",
        "PATH_INFO": exchange.path_info,
        "REQUEST_URI": exchange.path + (f"?{exchange.query}" if exchange.query else ""),
        "QUERY_STRING": exchange.query,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input": io.BytesIO(exchange.body),
        "wsgi.input_terminated": True,
    }
    for key, value in environ_headers(exchange).items():
        environ.setdefault(key, value)
    return environ


def run_wsgi(app: WSGIApp, exchange: Exchange,
             environ: dict[str, Any] | None = None) -> Reply:
    """Call the app and collect its whole answer."""
    environ = environ if environ is not None else environ_of(exchange)
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return written.append

    written: list[bytes] = []
    result = app(environ, start_response)
    try:
        written.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if environ.get(DROP_KEY):
        return Reply(0, drop=True)
    status, headers = started
    return Reply(int(status.split(" ", 1)[0]), list(headers), b"".join(written))


class WsgiHandler:
    """Every request to ``app``, on a worker thread."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def respond(self, exchange: Exchange) -> Later:
        return lambda: run_wsgi(self.app, exchange)
