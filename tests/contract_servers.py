"""Servers the contract tests run against: a drifted deployment and an OAuth token endpoint.

Both are plain WSGI apps served by the project's ``Server`` in a thread of the
test process, so a test can read what they received.

The drifted deployment is the real mock behind a middleware that breaks the contract in
known ways, one named drift each. Starting from the mock (which passes the contract run
with no failure) makes every finding of a run attributable to one of these drifts. It hides
``/__mock/*``, so the contract run treats it as a real deployment, and it logs every request
it receives, before anything else, as proof of what a run sent.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus, urlencode

from mockserver.settings import Settings
from mockserver.web.app import create_app
from mockserver.web.server import Limits, Server
from mockserver.web.wsgi import WsgiHandler

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Each drift, and the contract element it breaks.
WRONG_TYPE = "wrong type"  # list items: call_time is a string ("154"), the contract says integer
MISSING_FIELD = "missing field"  # list items lack the required `reference`
UNDOCUMENTED_STATUS = "undocumented status"  # single DELETE answers 200 + JSON, not 204
SERVER_ERROR = "server error"  # GET /calltrackings?sort=call_time answers 500 (HTML)
FILTER_IGNORED = "filter ignored"  # filters[status] is dropped before the list is built
AUTH_NOT_ENFORCED = "auth not enforced"  # the recording answers without Authorization
ERROR_WITHOUT_CODE = "error without code"  # error bodies lack `code` (an assumed element)
ALL_DRIFTS = frozenset({WRONG_TYPE, MISSING_FIELD, UNDOCUMENTED_STATUS, SERVER_ERROR,
                        FILTER_IGNORED, AUTH_NOT_ENFORCED, ERROR_WITHOUT_CODE})
ADMIN = "Bearer admin-token"
# How each drift reads in a report of `mockserver contract` and of `mockserver proxy` alike
# (one classifier, one wording): a part of its headline.
DRIFT_HEADLINES = {
    WRONG_TYPE: 'GET /calltrackings: response breaks its schema — CallTracking.call_time: "',
    MISSING_FIELD: "GET /calltrackings: response breaks its schema — CallTracking.reference: "
                   '"reference" is a required property',
    SERVER_ERROR: "GET /calltrackings: server error — Server error",
    FILTER_IGNORED: "GET /calltrackings: filter not applied — filters[status]=",
    AUTH_NOT_ENFORCED: "GET /calltrackings/{id}/recording: authentication not enforced",
    UNDOCUMENTED_STATUS: "DELETE /calltrackings/{id}: undocumented status code",
    ERROR_WITHOUT_CODE: 'response breaks its schema — Error.code: "code" is a required property',
}


@dataclass(frozen=True)
class Received:
    method: str
    path: str  # percent-decoded
    query: str
    body: bytes


class DriftedDeployment:
    def __init__(self, drifts: Iterable[str] = ALL_DRIFTS) -> None:
        self.drifts = frozenset(drifts)
        self.app = create_app(Settings(no_response_validation=True))
        self.received: list[Received] = []  # list.append is atomic: safe across threads

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        method, path = environ["REQUEST_METHOD"], unquote(environ.get("PATH_INFO", ""))
        self.received.append(Received(method, path, environ.get("QUERY_STRING", ""), body))
        if path.startswith("/__mock/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        early = self._drift_request(environ, method, path)
        if early is not None:
            start_response(early[0], [("Content-Type", "text/html")])
            return [early[1]]
        status, headers, content = _call(self.app, environ)
        status, headers, content = self._drift_response(method, path, status, headers, content)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(content)))])
        return [content]

    def _drift_request(self, environ: dict[str, Any], method: str, path: str
                       ) -> tuple[str, bytes] | None:
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        listing = method == "GET" and path == "/calltrackings"
        if SERVER_ERROR in self.drifts and listing and ("sort", "call_time") in query:
            return "500 Internal Server Error", b"<h1>Internal Server Error</h1>"
        if FILTER_IGNORED in self.drifts and listing:
            environ["QUERY_STRING"] = urlencode([(k, v) for k, v in query
                                                 if k != "filters[status]"])
        unauthenticated = not environ.get("HTTP_AUTHORIZATION")
        if AUTH_NOT_ENFORCED in self.drifts and path.endswith("/recording") and unauthenticated:
            environ["HTTP_AUTHORIZATION"] = ADMIN
        return None

    def _drift_response(self, method: str, path: str, status: str, headers: list[Any],
                        content: bytes) -> tuple[str, list[Any], bytes]:
        code = int(status.split()[0])
        if method == "GET" and path == "/calltrackings" and code == 200:
            document = json.loads(content)
            for item in document["call_trackings"]:
                if WRONG_TYPE in self.drifts:
                    item["call_time"] = str(item["call_time"])
                if MISSING_FIELD in self.drifts:
                    item.pop("reference", None)
            content = json.dumps(document).encode()
        if ERROR_WITHOUT_CODE in self.drifts and code >= 400 and content.startswith(b"{"):
            document = json.loads(content)
            document.pop("code", None)
            content = json.dumps(document).encode()
        single_delete = method == "DELETE" and path.startswith("/calltrackings/")
        if UNDOCUMENTED_STATUS in self.drifts and single_delete and code == 204:
            status, headers = "200 OK", [("Content-Type", "application/json")]
            content = b'{"deleted": true}'
        return status, headers, content

    def sent(self, *methods: str) -> list[Received]:
        return [r for r in self.received if r.method in methods]


def _call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[Any], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, headers

    content = b"".join(app(environ, start_response))
    return captured["status"], captured["headers"], content


class TokenEndpoint:
    """A token endpoint for one client that accepts one request style only: the upstream's
    documented one (``json``: Basic ``base64(key:secret)``, a JSON body with
    ``scope: openid``), or RFC 6749's form-encoded one (``form``). It hands out
    ``access_token`` with ``expires_in`` and records every request it received."""

    def __init__(self, client_id: str, client_secret: str, access_token: str,
                 accepts: str = "json", expires_in: int = 1800) -> None:
        self.client = (client_id, client_secret)
        self.access_token = access_token
        self.accepts = accepts
        self.expires_in = expires_in
        self.received: list[dict[str, str]] = []
        self.agents: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        self.agents.append(environ.get("HTTP_USER_AGENT", ""))
        fields = self._fields(environ.get("CONTENT_TYPE", ""), body)
        self.received.append(fields if fields is not None else {"unreadable": body})
        if fields is None:
            answer = ("400 Bad Request", {"error": "invalid_request",
                                          "error_description": f"only {self.accepts} requests"})
        elif self._client(environ.get("HTTP_AUTHORIZATION", "")) != self.client:
            answer = ("401 Unauthorized", {"error": "invalid_client",
                                           "error_description": "Invalid client credentials"})
        elif fields.get("grant_type") != "client_credentials":
            answer = ("400 Bad Request", {"error": "unsupported_grant_type"})
        elif self.accepts == "json" and fields.get("scope") != "openid":
            answer = ("400 Bad Request", {"error": "invalid_scope"})
        else:
            answer = ("200 OK", {"access_token": self.access_token, "token_type": "Bearer",
                                 "expires_in": self.expires_in})
        start_response(answer[0], [("Content-Type", "application/json")])
        return [json.dumps(answer[1]).encode()]

    def _fields(self, content_type: str, body: str) -> dict[str, str] | None:
        if self.accepts == "json" and content_type.startswith("application/json"):
            try:
                document = json.loads(body)
            except ValueError:
                return None
            return document if isinstance(document, dict) else None
        if self.accepts == "form" and content_type.startswith(
                "application/x-www-form-urlencoded"):
            return dict(parse_qsl(body))
        return None

    def _client(self, header: str) -> tuple[str, str] | None:
        """HTTP Basic: as documented, or with form-encoded parts (RFC 6749 2.3.1)."""
        scheme, _, encoded = header.partition(" ")
        if scheme != "Basic":
            return None
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        if self.accepts == "form":
            return unquote_plus(user), unquote_plus(password)
        return user, password


def answering(status: str, body: Any) -> WsgiApp:
    """An app that answers every request with this status and JSON (or raw bytes) body."""
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "application/json")])
        return [body if isinstance(body, bytes) else json.dumps(body).encode()]
    return app


@contextmanager
def serving(app: WsgiApp) -> Iterator[str]:
    """Serve ``app`` with the project's server on a free port in a thread; yield its URL."""
    server = Server(WsgiHandler(app), "127.0.0.1", 0, Limits(threads=4, delayed=1, grace=2))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()  # the socket already listens: connections queue until the loop runs
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()
        thread.join(timeout=10)
