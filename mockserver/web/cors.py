"""CORS for browser apps on other origins (a frontend's dev server on another port).

Any origin may call the mock: it is a development and test tool holding fake data. The
preflight allows the headers the API uses, and the warning header is exposed to scripts.
"""

from __future__ import annotations

from flask import Flask, Response, request

from ..core.http import HttpResponse
from .flask_glue import to_flask

ALLOWED_HEADERS = (
    "Authorization, Content-Type, X-MyCRM-Expand-Data, X-Mock-Session, X-Mock-Admin-Token, "
    "Prefer, Range"
)
EXPOSED_HEADERS = "X-MyCRM-API-Warning"
ALLOWED_METHODS = "GET, PATCH, DELETE, PUT, POST, OPTIONS"


def init_app(app: Flask) -> None:
    @app.before_request
    def preflight() -> Response | None:
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return to_flask(HttpResponse(204, b"", content_type=""))  # no body, no type
        return None

    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        for name, value in cors_headers(request.headers.get("Origin"), request.method):
            response.headers[name] = value
        return response


def cors_headers(origin: str | None, method: str) -> list[tuple[str, str]]:
    """The CORS headers of an answer to a request from ``origin`` (none without one)."""
    if origin is None:
        return []
    headers = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
               ("Access-Control-Expose-Headers", EXPOSED_HEADERS)]
    if method == "OPTIONS":
        headers += [("Access-Control-Allow-Methods", ALLOWED_METHODS),
                    ("Access-Control-Allow-Headers", ALLOWED_HEADERS),
                    ("Access-Control-Max-Age", "600")]
    return headers
