"""The Flask adapter: routes derived from the spec, one view that feeds the pipeline.

``create_app(settings)`` is the only place that wires the parts together. Flask is kept at
this edge: it maps URLs to operations, enforces the body limit, and turns the pipeline's
``HttpResponse`` into a real one; everything else lives in Flask-free modules.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from . import admin, cors
from .access import Personas
from .clock import Clock
from .errors import error_body
from .fixtures import load_fixtures
from .http import HttpRequest, HttpResponse
from .observe import RequestRecord, log_text
from .pipeline import SESSION_HEADER, Outcome, Pipeline, dump
from .seed import generate
from .settings import Settings
from .spec import Operation, Spec
from .store import DEFAULT_SESSION, Store
from .validation import OpenApiCoreValidator, Validator

log = logging.getLogger("mockserver")


def create_app(settings: Settings | None = None, spec: Spec | None = None) -> Flask:
    settings = settings or Settings()
    spec = spec or Spec.load()
    fixtures = load_fixtures(settings.fixtures, spec)
    baseline = generate(settings.seed, settings.count, fixtures)
    store = Store(baseline)
    personas = Personas(fixtures.personas)
    validator = make_validator(settings, spec)
    check_responses = not (settings.no_response_validation or settings.no_validation)
    pipeline = Pipeline(
        store, personas, validator, validator if check_responses else None, Clock(settings.now)
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
        "observers": [log_text],
        "started": time.monotonic(),
    }
    cors.init_app(app)
    _add_api_routes(app, spec, pipeline)
    admin.init_app(app)
    _add_error_handlers(app)
    return app


def make_validator(settings: Settings, spec: Spec) -> Validator:
    """The validator the settings ask for; ``--no-validation`` is for benchmarks only."""
    from .compiled_validation import CompiledValidator, UncheckedValidator

    if settings.no_validation:
        log.warning(
            "VALIDATION IS OFF (--no-validation): requests and responses are not checked "
            "against the contract. Use this for benchmarking only."
        )
        return UncheckedValidator(spec)
    if settings.validator == "openapi-core":
        return OpenApiCoreValidator(spec)
    return CompiledValidator(spec)


def _add_api_routes(app: Flask, spec: Spec, pipeline: Pipeline) -> None:
    for template, methods in spec.paths().items():
        rule = template.replace("{", "<").replace("}", ">")
        view = _make_view(pipeline, methods)
        app.add_url_rule(rule, endpoint=template, view_func=view, methods=list(methods))


def _make_view(pipeline: Pipeline, methods: dict[str, Operation]) -> Any:
    def view(**path_params: str) -> Response:
        op = methods.get(request.method) or methods["GET"]  # HEAD is served as GET
        started = time.perf_counter()
        outcome = pipeline.handle(op, _to_http_request(op, path_params))
        _notify(op, outcome, (time.perf_counter() - started) * 1000)
        return _to_flask(outcome.response)

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


def _notify(op: Operation, outcome: Outcome, duration_ms: float) -> None:
    error = outcome.error
    record = RequestRecord(
        method=request.method,
        path=request.path,
        query=request.query_string.decode("latin-1"),
        status=outcome.response.status_code,
        duration_ms=duration_ms,
        session=request.headers.get(SESSION_HEADER) or DEFAULT_SESSION,
        operation_id=op.operation_id,
        problems=tuple(error.problems) if error is not None else (),
        persona=outcome.persona.name if outcome.persona is not None else None,
    )
    for observer in current_app.extensions["mockserver"]["observers"]:
        observer(record)


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
        response = Response(dump(error_body(status, message)), status,
                            content_type="application/json")
        for name, value in exc.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
        return response
