"""The Flask adapter: routes derived from the spec, one view that feeds the pipeline.

``create_app(settings)`` is the only place that wires the parts together. Flask is kept at
this edge: it maps URLs to operations, enforces the body limit, and turns the pipeline's
``HttpResponse`` into a real one; everything else lives in Flask-free modules.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import BadRequest, HTTPException

from . import admin, cors
from .access import Personas
from .clock import Clock
from .errors import error_body
from .fixtures import load_fixtures
from .http import HttpRequest, HttpResponse
from .observe import RequestRecord, log_request_quietly
from .pipeline import SESSION_HEADER, Outcome, Pipeline, dump
from .seed import generate
from .settings import Settings
from .spec import Operation, Spec
from .store import DEFAULT_SESSION, Store
from .validation import OpenApiCoreValidator

log = logging.getLogger("mockserver")


def create_app(settings: Settings | None = None, spec: Spec | None = None) -> Flask:
    settings = settings or Settings()
    spec = spec or Spec.load()
    fixtures = load_fixtures(settings.fixtures, spec)
    baseline = generate(settings.seed, settings.count, fixtures)
    store = Store(baseline)
    personas = Personas(fixtures.personas)
    validator = OpenApiCoreValidator(spec)
    pipeline = Pipeline(
        store,
        personas,
        validator,
        None if settings.no_response_validation else validator,
        Clock(settings.now),
    )
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.extensions["mockserver"] = {
        "settings": settings,
        "spec": spec,
        "store": store,
        "personas": personas,
        "pipeline": pipeline,
        "fixtures": fixtures,
        "observers": [log_request_quietly],
        "started": time.monotonic(),
    }
    _add_request_log(app)  # first: its clock must start before CORS may answer a preflight
    cors.init_app(app)
    _add_api_routes(app, spec, pipeline)
    admin.init_app(app)
    _add_error_handlers(app)
    return app


def _add_api_routes(app: Flask, spec: Spec, pipeline: Pipeline) -> None:
    for template, methods in spec.paths().items():
        rule = template.replace("{", "<").replace("}", ">")
        view = _make_view(pipeline, methods)
        app.add_url_rule(rule, endpoint=template, view_func=view, methods=list(methods))


def _make_view(pipeline: Pipeline, methods: dict[str, Operation]) -> Any:
    def view(**path_params: str) -> Response:
        op = methods.get(request.method) or methods["GET"]  # HEAD is served as GET
        if not request.host:  # werkzeug's answer to a Host header with invalid characters
            raise BadRequest("The Host header is not a valid host name: URLs cannot be built.")
        g.operation = op
        g.outcome = pipeline.handle(op, _to_http_request(op, path_params))
        return _to_flask(g.outcome.response)

    return view


def _to_http_request(op: Operation, path_params: dict[str, str]) -> HttpRequest:
    return HttpRequest(
        method=op.method.lower(),
        path=request.path,
        path_pattern=op.path,
        host_url=request.host_url,
        query=request.args,
        headers=request.headers,  # type: ignore[arg-type]
        path_params=path_params,
        body=request.get_data(cache=False),
        content_type=request.content_type or "",
    )


def _to_flask(response: HttpResponse) -> Response:
    return Response(
        response.data,
        status=response.status_code,
        headers=list(response.headers.items()),
        content_type=response.content_type or None,
    )


def _add_request_log(app: Flask) -> None:
    """One record per request, whatever answered it: the pipeline, an admin endpoint, or
    Flask itself (unknown path 404, 405, 413, preflight), so every request gets its line."""

    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def notify(response: Response) -> Response:
        started = g.get("started")
        duration_ms = 0.0 if started is None else (time.perf_counter() - started) * 1000
        op: Operation | None = g.get("operation")
        outcome: Outcome | None = g.get("outcome")
        error = outcome.error if outcome is not None else None
        record = RequestRecord(
            method=request.method,
            path=request.path,
            query=request.query_string.decode("latin-1"),
            status=response.status_code,
            duration_ms=duration_ms,
            session=request.headers.get(SESSION_HEADER) or DEFAULT_SESSION,
            operation_id=op.operation_id if op is not None else None,
            problems=tuple(error.problems) if error is not None else (),
            persona=outcome.persona.name if outcome and outcome.persona else None,
            error=error.message if error is not None else g.get("mock_error"),
        )
        for observer in current_app.extensions["mockserver"]["observers"]:
            observer(record)
        return response


def _add_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = {
            404: f"No such endpoint: {request.path}",
            405: f"{request.method} is not allowed on {request.path}.",
            413: f"The request body is larger than the limit of "
            f"{app.config['MAX_CONTENT_LENGTH']} bytes.",
        }.get(status, exc.description or exc.name)
        g.mock_error = message
        response = Response(dump(error_body(status, message)), status,
                            content_type="application/json")
        for name, value in exc.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
        return response

    @app.after_request
    def stable_allow(response: Response) -> Response:
        """Werkzeug builds ``Allow`` from a set, whose order changes between processes."""
        if "Allow" in response.headers:
            methods = {m.strip() for m in response.headers["Allow"].split(",") if m.strip()}
            response.headers["Allow"] = ", ".join(sorted(methods))
        return response
