"""CORS for browser apps on other origins (a frontend's dev server on another port).

Any origin may call the mock: it is a development and test tool holding fake data. The
preflight allows the headers the API uses, and the warning header is exposed to scripts.
"""

from __future__ import annotations

from flask import Flask, Response, request

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
            return Response(status=204)
        return None

    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin is None:
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        return response
