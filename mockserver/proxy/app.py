"""The proxy as a WSGI app: the live report under ``/__proxy/``, every other request
refused by the safety rules or forwarded, and each exchange inspected on its way back.

Refusals and the proxy's own errors (502, 504) have the API's ``Error`` shape. A request
is inspected after its answer is read and before it is sent on, in the thread serving it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from werkzeug.datastructures import Headers
from werkzeug.http import HTTP_STATUS_CODES

from ..contract.policy import lists_ids
from ..core.errors import Problem, error_body
from ..core.spec import Operation
from .examine import Inspector
from .exchange import Exchange
from .observations import Observations
from .record import Recorder
from .report import page
from .upstream import Upstream, UpstreamError

REPORT, REPORT_PAGE = "/__proxy/report", "/__proxy/report.html"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BULK_DELETE = "bulkDeleteCallTrackings"
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Safety:
    read_only: bool = False
    allow_delete_all: bool = False
    refuse_undescribed: bool = False


class ProxyApp:
    def __init__(self, upstream: Upstream, inspector: Inspector, seen: Observations,
                 safety: Safety, mask: Callable[[str], str], learn: Callable[[str], None],
                 recorder: Recorder | None = None) -> None:
        self.upstream = upstream
        self.inspector = inspector
        self.seen = seen
        self.safety = safety
        self.mask = mask
        self.learn = learn  # remembers a secret, so that every report masks it
        self.recorder = recorder

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        query = environ.get("QUERY_STRING", "")
        if path in (REPORT, REPORT_PAGE) and method in ("GET", "HEAD"):
            return self._report(path, start_response)
        headers = Headers([(k[5:].replace("_", "-").title(), v) for k, v in environ.items()
                           if k.startswith("HTTP_")])
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        credentials = headers.get("Authorization", "")
        if credentials:
            self.learn(credentials.partition(" ")[2].strip() or credentials)
        length = int(environ.get("CONTENT_LENGTH") or 0)  # the server refused bodies too large
        body = environ["wsgi.input"].read(length) if length else b""
        target = quote(path, safe="/:@!$&'()*+,;=-._~") + (f"?{query}" if query else "")
        op, path_params = self.inspector.operation(method, path)
        refusal = self._refusal(op, method, body)
        if refusal is not None:
            self.seen.refuse(method, target, refusal.reason)
            return self._error(start_response, 403, refusal.reason, [refusal])
        try:
            answer = self.upstream.forward(method, target, headers, body)
        except UpstreamError as exc:
            self.seen.upstream_failed(method, target, exc.status, str(exc))
            return self._error(start_response, exc.status,
                               f"The upstream {self.upstream.base_url} gave no answer: {exc}.")
        exchange = Exchange(method, path, query, headers, body, answer.status, answer.headers,
                            answer.decoded(self.upstream.max_response))
        if op is None:
            self.seen.passed_through(exchange)
        else:
            self.seen.exchanged(op.operation_id, self.inspector.inspect(op, path_params, exchange),
                                exchange)
            if self.recorder is not None:
                self.recorder.observe(op.operation_id, exchange)
        reason = answer.reason or HTTP_STATUS_CODES.get(answer.status, "")
        start_response(f"{answer.status} {reason}".strip(),
                       [*answer.headers.items(), ("Content-Length", answer.content_length)])
        return [answer.body]

    def _refusal(self, op: Operation | None, method: str, body: bytes) -> Problem | None:
        """Why a request must not reach the upstream, if it must not."""
        if self.safety.read_only and method not in SAFE_METHODS:
            return Problem("path", method, "the proxy runs with --read-only: no write is "
                           "forwarded")
        if op is not None and op.operation_id == BULK_DELETE and not lists_ids(body) \
                and not self.safety.allow_delete_all:
            return Problem("body", "calltrackings", "a bulk DELETE without ids deletes every "
                           "call tracking: never forwarded without --allow-delete-all")
        if op is None and self.safety.refuse_undescribed:
            return Problem("path", method, "openapi.yaml does not describe this request, and "
                           "the proxy runs with --undescribed refuse")
        return None

    def _report(self, path: str, start_response: StartResponse) -> Iterable[bytes]:
        data = self.seen.to_json()
        if path == REPORT_PAGE:
            body, kind = page(data), "text/html; charset=utf-8"
        else:
            body, kind = json.dumps(data, indent=2, ensure_ascii=False), "application/json"
        encoded = self.mask(body).encode("utf-8")
        start_response("200 OK", [("Content-Type", kind), ("Cache-Control", "no-store"),
                                  ("Content-Length", str(len(encoded)))])
        return [encoded]

    @staticmethod
    def _error(start_response: StartResponse, status: int, message: str,
               problems: list[Problem] | None = None) -> Iterable[bytes]:
        if problems:
            message = f"Refused by the proxy: {problems[0].reason}."
        body = json.dumps(error_body(status, message, problems)).encode("utf-8")
        start_response(f"{status} {HTTP_STATUS_CODES[status]}",
                       [("Content-Type", "application/json"),
                        ("Content-Length", str(len(body)))])
        return [body]
