"""The Flask adapter: routes derived from the spec, one view that feeds the pipeline.

``create_app(settings)`` is the only place that wires the parts together. Flask is kept at
this edge: it maps URLs to operations, enforces the body limit, and turns the pipeline's
``HttpResponse`` into a real one; everything else lives in Flask-free modules.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.wrappers import Request as WerkzeugRequest

from .. import __version__
from ..core.access import Personas
from ..core.clock import Clock
from ..core.errors import ApiError, error_body
from ..core.responses import dump
from ..core.spec import ADMIN_SPEC, AUTH_SPEC, Operation, Spec
from ..data.fixtures import fixtures_digest, load_fixtures
from ..data.recordings import shipped_recordings
from ..data.seed import generate
from ..data.state_file import StateFile
from ..identity.callers import Callers
from ..identity.keys import KeyProblem, SigningKey
from ..identity.tokens import ISSUER, Tokens
from ..pipeline.admin import AdminPipeline
from ..pipeline.api import Pipeline
from ..pipeline.response_cache import ResponseCache
from ..pipeline.token import TokenPipeline
from ..sandbox.admin_operations import AdminContext
from ..sandbox.delays import Delays
from ..sandbox.persistence import persist_default_session, save_default_session
from ..sandbox.redis_state import RedisState
from ..sandbox.sessions import DEFAULT_SESSION, SESSION_HEADER, Store, session_name
from ..sandbox.shared_store import SharedStore, agree_on_origin
from ..settings import Settings, default_fixtures_dir
from ..validation.reference import OpenApiCoreValidator
from ..validation.validator import Validator
from . import admin_routes, auth_routes, cors, docs
from .dashboard import dashboard_page
from .direct import DirectHandler
from .flask_glue import (
    NOTED_KEY,
    answer_of,
    drop_connection,
    mark_arrival,
    note_request,
    to_flask,
    to_http_request,
)
from .observe import RequestRecord, log_request_quietly
from .records import outcome_fields

log = logging.getLogger("mockserver")
# Paths that are the mock's own, not attempts at the API: never journaled.
OWN_PREFIXES = ("/__mock/", "/docs", "/static/", "/openapi.yaml", "/favicon.ico")
SIGNING_KEY_FILE = "signing-key.pem"  # beside the fixtures: public on purpose


def create_app(settings: Settings | None = None, spec: Spec | None = None) -> Flask:
    """Wire everything; raises ``FixtureError`` or ``StateError`` for bad files."""
    settings = settings or Settings()
    spec = spec or Spec.load()
    clock = Clock(settings.now)
    shared = None
    if settings.state_backend == "redis":
        shared = RedisState(settings.redis_url, settings.threads + settings.max_delayed + 8)
        started = agree_on_origin(shared, _origin(settings, spec, clock))
        clock = Clock(settings.now, started)  # every replica's data ends where the first's did
    fixtures = load_fixtures(settings.fixtures, spec, clock.started)
    baseline = generate(settings.seed, settings.count, fixtures, now=clock.started,
                        history_days=settings.history_days)
    store: Store
    if shared is not None:
        store = SharedStore(baseline, shared, settings.max_sessions,
                            settings.session_idle_seconds, settings.seed, settings.journal_size)
        store.session(DEFAULT_SESSION)  # the default session exists for every replica
    else:
        store = Store(baseline, settings.max_sessions, settings.session_idle_seconds,
                      seed=settings.seed, journal_size=settings.journal_size)
    personas = Personas(fixtures.personas)
    callers = Callers(personas, make_tokens(settings), clock)
    state_file = _open_state_file(settings, spec, personas, store)
    validator = make_validator(settings, spec)
    check_responses = not (settings.no_response_validation or settings.no_validation)
    delays = Delays(settings.max_delayed)
    pipeline = Pipeline(
        store,
        callers,
        validator,
        validator if check_responses else None,
        clock,
        spec,
        settings.max_delay_ms,
        delays,
        ResponseCache(settings.response_cache) if settings.response_cache else None,
    )
    admin_spec = Spec.load(ADMIN_SPEC)
    admin_validator = checking_validator(settings, admin_spec)  # never off: it guards state
    auth_spec = Spec.load(AUTH_SPEC)
    auth_validator = checking_validator(settings, auth_spec)
    token_pipeline = TokenPipeline(
        auth_spec, callers.tokens, personas, clock, auth_validator,
        None if settings.no_response_validation else auth_validator,
    )
    recordings = shipped_recordings(default_fixtures_dir() / "recordings")
    context = AdminContext(spec, admin_spec, auth_spec, store, personas, fixtures, recordings,
                           settings.seed, settings.count, settings.max_delay_ms,
                           clock.started, settings.history_days, settings.max_reset_count,
                           delays, callers, state_file, dashboard=dashboard_page())
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.extensions["mockserver"] = {
        "settings": settings,
        "spec": spec,
        "store": store,
        "personas": personas,
        "callers": callers,
        "pipeline": pipeline,
        "fixtures": fixtures,
        "observers": [log_request_quietly, _journal_observer(store)],
        "delays": delays,
        "state_file": state_file,
        "save_state": (
            None if state_file is None else lambda: save_default_session(state_file, store)
        ),
        "started": context.started,
        # what `serve` warms up once it listens: openapi-core behind the fast validators,
        # the baseline's list order
        "warm_ups": [v for v in (validator, admin_validator, auth_validator, store)
                     if hasattr(v, "warm_up")],
    }
    app.before_request(mark_arrival)  # first: durations include a preflight's answer
    cors.init_app(app)
    _add_api_routes(app, spec, pipeline)
    admin_routes.init_app(app, AdminPipeline(
        context, admin_validator, None if settings.no_response_validation else admin_validator,
        settings.admin_token,
    ))
    auth_routes.init_app(app, token_pipeline)
    docs.init_app(app, spec, personas)
    _add_error_handlers(app)
    app.after_request(_note_the_rest)
    return app


def serving_handler(app: Flask) -> DirectHandler:
    """What the server runs: the API's operations directly, the rest through Flask."""
    state = app.extensions["mockserver"]
    return DirectHandler(app.wsgi_app, state["spec"], state["pipeline"], state["observers"])


def _origin(settings: Settings, spec: Spec, clock: Clock) -> dict[str, Any]:
    """What replicas must agree on to hold the same baseline and bounds (``started``: the
    first replica's, unless ``--now`` pins it)."""
    return {
        "started": clock.started.isoformat(),
        "mock": __version__,
        "contract": spec.document["info"]["version"],
        "fixtures": fixtures_digest(settings.fixtures),
        **{name: getattr(settings, name) for name in (
            "seed", "count", "now", "history_days", "max_sessions", "session_idle_seconds",
            "journal_size")},
    }


def _open_state_file(
    settings: Settings, spec: Spec, personas: Personas, store: Store
) -> StateFile | None:
    if settings.state_file is None:
        return None
    state_file = StateFile(settings.state_file)
    persist_default_session(state_file, store, spec, personas.all)
    return state_file


def _journal_observer(store: Store) -> Any:
    """Journal API requests (admin ones are logged only: the journal shows the client's)."""

    def journal(record: RequestRecord) -> None:
        if record.path.startswith(OWN_PREFIXES) or record.path == "/":
            return
        found = store.journal_of(record.session)
        if found is not None:
            found.add(record)

    return journal


def make_tokens(settings: Settings) -> Tokens:
    """The key and issuer of the tokens this server issues and accepts."""
    path = settings.signing_key or default_fixtures_dir() / SIGNING_KEY_FILE
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise KeyProblem(f"{path}: cannot be read ({exc.strerror or exc})") from None
    key = SigningKey.from_pem(pem, str(path))
    return Tokens(key, settings.token_issuer or ISSUER)


def make_validator(settings: Settings, spec: Spec) -> Validator:
    """The validator the settings ask for; ``--no-validation`` is for benchmarks only."""
    from ..validation.compiled import UncheckedValidator

    if settings.no_validation:
        log.warning(
            "VALIDATION IS OFF (--no-validation): requests and responses are not checked "
            "against the contract. Use this for benchmarking only."
        )
        return UncheckedValidator(spec)
    return checking_validator(settings, spec)


def checking_validator(settings: Settings, spec: Spec) -> Validator:
    """The fast validator (compiled from the spec), or openapi-core when asked for."""
    from ..validation.compiled import CompiledValidator

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
        if not request.host:  # werkzeug's answer to a Host header with invalid characters
            raise BadRequest("The Host header is not a valid host name: URLs cannot be built.")
        state = current_app.extensions["mockserver"]
        return answer_api(pipeline, state["observers"], op, path_params,
                          request._get_current_object())  # type: ignore[attr-defined]

    return view


def answer_api(
    pipeline: Pipeline, observers: list[Any], op: Operation, path_params: dict[str, str],
    req: WerkzeugRequest,
) -> Response:
    """An API request through the pipeline, noted for the log and the journal: the body of
    the Flask view (the server's own lane, ``direct``, does the same without Flask)."""
    outcome = pipeline.handle(op, to_http_request(op, path_params, req))
    note_request(req=req, observers=observers, **outcome_fields(op, outcome))
    if outcome.response is None:
        return drop_connection(req.environ)
    return to_flask(outcome.response)


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
            if name.lower() in ("allow", "content-range"):
                response.headers[name] = value
        _journal_stray(status, response)
        return response


def _journal_stray(status: int, response: Response) -> None:
    """A request the API's routes did not take (a wrong path, say) is journaled too."""
    if request.path.startswith(OWN_PREFIXES) or request.path == "/":
        return
    try:
        name = session_name(request.headers.get(SESSION_HEADER))
    except ApiError:
        return
    state = current_app.extensions["mockserver"]
    if state["callers"].is_caller(request.headers.get("Authorization", "")):
        state["store"].session(name)  # a first request counts too, if it says who sent it
    _sort_allow(response)  # before the journal keeps the answer
    note_request(status, name, None, error=g.get("mock_error"), response=answer_of(response))


def _sort_allow(response: Response) -> None:
    """Werkzeug builds ``Allow`` from a set, whose order changes between processes."""
    if "Allow" in response.headers:
        methods = {m.strip() for m in response.headers["Allow"].split(",") if m.strip()}
        response.headers["Allow"] = ", ".join(sorted(methods))


def _note_the_rest(response: Response) -> Response:
    """Every request gets its log line: also preflights, docs and ``/__mock/`` misses."""
    _sort_allow(response)
    if not request.environ.get(NOTED_KEY):
        note_request(response.status_code, DEFAULT_SESSION, None, error=g.get("mock_error"))
    return response
