"""Replies and errors as HTTP responses: the contract's error body, stable bytes.

Both pipelines (the API's and the admin's) and the web edge answer through these, so every
error has the one ``Error`` shape and the same data always gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.datastructures import Headers

from .errors import ApiError
from .http import HttpResponse
from .operations import Reply

JSON_TYPE = "application/json"


def respond(reply: Reply) -> HttpResponse:
    headers = Headers(reply.headers)
    if reply.body is None:
        return HttpResponse(reply.status, b"", headers, content_type="", json=None)
    return HttpResponse(reply.status, dump(reply.body), headers, JSON_TYPE, reply.body)


def dump(body: Any) -> bytes:
    """Compact, key order as built: the same data gives the same bytes."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_response(error: ApiError) -> HttpResponse:
    headers = Headers(error.headers)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="mycrm"'
    body = error.body()
    return HttpResponse(error.status, dump(body), headers, JSON_TYPE, body)
