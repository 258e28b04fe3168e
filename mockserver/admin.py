"""The mock's own endpoints under ``/__mock/``, outside the upstream's URL space."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from . import __version__
from .errors import Problem, error_body
from .pipeline import SESSION_HEADER, dump
from .seed import generate

bp = Blueprint("admin", __name__, url_prefix="/__mock")


def _state() -> dict[str, Any]:
    return current_app.extensions["mockserver"]  # type: ignore[no-any-return]


def _json(body: Any, status: int = 200) -> Response:
    return Response(dump(body), status, content_type="application/json")


@bp.get("/health")
def health() -> Response:
    """Liveness and readiness; ``mock: true`` tells contract runs they face the mock."""
    state = _state()
    session = state["store"].session(request.headers.get(SESSION_HEADER))
    return _json(
        {
            "status": "ok",
            "mock": True,
            "version": __version__,
            "seed": state["settings"].seed,
            "uptime_seconds": round(time.monotonic() - state["started"], 3),
            "counts": session.data.counts(),
        }
    )


@bp.post("/reset")
def reset() -> Response:
    """Put the caller's session back to the baseline (or to a new seed/count's data)."""
    state = _state()
    body: Any = request.get_json(silent=True) if request.get_data() else {}
    problem = _reset_problem(body)
    if problem is not None:
        name, reason = problem
        return _json(error_body(400, "The reset body is not valid.",
                                [Problem("body", name, reason)]), 400)
    store = state["store"]
    session = store.session(request.headers.get(SESSION_HEADER))
    seed, count = body.get("seed"), body.get("count")
    if seed is None and count is None:
        data = store.baseline.copy()
    else:
        settings = state["settings"]
        data = generate(
            settings.seed if seed is None else seed,
            settings.count if count is None else count,
            state["fixtures"],
        )
    store.replace(session, data)
    return _json({"status": "reset", "session": session.name, "counts": data.counts()})


MAX_RESET_COUNT = 1_000_000  # about ten seconds of generation, under the session's lock


def _reset_problem(body: Any) -> tuple[str, str] | None:
    """(field, reason) when the body is not ``{"seed"?: int, "count"?: 0..MAX}``."""
    if not isinstance(body, dict):
        return "", "must be a JSON object with optional integer seed and count"
    for name in ("seed", "count"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return name, "must be an integer"
    count = body.get("count")
    if count is not None and not 0 <= count <= MAX_RESET_COUNT:
        return "count", f"must be from 0 to {MAX_RESET_COUNT}"
    return None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
