"""The mock's own endpoints under ``/__mock/``, outside the upstream's URL space."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from . import __version__
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
    body = request.get_json(silent=True) or {}
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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
