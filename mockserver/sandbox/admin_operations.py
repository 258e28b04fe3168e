"""What each admin endpoint under ``/__mock/`` does, keyed by operationId; no framework.

``admin-openapi.yaml`` describes these endpoints; ``pipeline.admin`` checks the token and
the request against it, then calls a handler here. A handler receives an ``AdminCall``
(the caller's session, the parsed body and parameters) and returns a JSON ``Reply``, a
text document, or a file to stream.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from werkzeug.datastructures import Headers

from .. import __version__
from ..core.access import Personas
from ..core.http import HttpResponse
from ..core.operations import Reply
from ..core.spec import Spec
from ..data.fixtures import Fixtures
from ..data.recordings import AUDIO_TYPE, recording_file
from ..data.seed import generate
from ..data.snapshots import StateError, export_state, import_error, import_state
from .faults import parse_rules
from .sessions import Session, Store

YAML_TYPE = "application/yaml"


@dataclass
class FileReply:
    """A file to stream (with Range support, which the web adapter provides)."""

    path: Path
    mimetype: str


@dataclass
class AdminContext:
    """What the admin handlers may read or change; built once by ``create_app``."""

    spec: Spec  # the main API's contract
    admin_spec: Spec
    store: Store
    personas: Personas
    fixtures: Fixtures
    recordings: list[Path]
    seed: int  # the baseline's seed: what a reset without one goes back to
    count: int  # how many call trackings a reset with only a seed generates
    max_delay_ms: int  # the longest delay a fault rule may ask for
    now: datetime  # where generated data ends: the mock's now at start
    history_days: int  # how far back generated calls reach
    started: float = field(default_factory=time.monotonic)


@dataclass
class AdminCall:
    context: AdminContext
    session: Session
    base_url: str
    query: dict[str, Any]
    path: dict[str, Any]
    body: Any


AdminHandler = Callable[[AdminCall], Reply | FileReply | HttpResponse]


def get_health(call: AdminCall) -> Reply:
    """Liveness and readiness; ``mock: true`` tells contract runs they face the mock."""
    ctx = call.context
    return Reply(200, {
        "status": "ok",
        "mock": True,
        "version": __version__,
        "seed": ctx.seed,
        "uptime_seconds": round(time.monotonic() - ctx.started, 3),
        "session": call.session.name,
        "sessions": {"count": len(ctx.store.names()), "max_named": ctx.store.max_sessions},
        "counts": call.session.data.counts(),
    })


def get_admin_spec(call: AdminCall) -> HttpResponse:
    text = call.context.admin_spec.served_text(call.base_url).encode("utf-8")
    return HttpResponse(200, text, Headers(), YAML_TYPE)


def reset_session(call: AdminCall) -> Reply:
    """Back to the baseline, or to data generated from a new seed and/or count."""
    ctx, body = call.context, call.body or {}
    seed, count = body.get("seed"), body.get("count")
    if seed is None and count is None:
        data, seed = ctx.store.baseline.copy(), ctx.seed
    else:
        seed = ctx.seed if seed is None else seed
        count = ctx.count if count is None else count
        data = generate(seed, count, ctx.fixtures, now=ctx.now, history_days=ctx.history_days)
    ctx.store.replace(call.session, data, seed=seed)
    return Reply(200, {"status": "reset", "session": call.session.name, "seed": seed,
                       "counts": data.counts()})


def export_session_state(call: AdminCall) -> Reply:
    with call.session.lock:
        return Reply(200, export_state(call.session.data))


def import_session_state(call: AdminCall) -> Reply:
    """Check every record aside, then swap the data whole; a bad document changes nothing."""
    ctx = call.context
    try:
        data = import_state(call.body, ctx.spec, ctx.personas.all, "state")
    except StateError as exc:
        raise import_error(exc) from exc
    ctx.store.replace(call.session, data)
    return Reply(200, {"status": "imported", "session": call.session.name,
                       "counts": data.counts()})


def list_requests(call: AdminCall) -> Reply:
    journal = call.session.journal
    entries = journal.newest_first(call.query.get("limit"))
    return Reply(200, {"requests": entries, "count": len(entries), "capacity": journal.size})


def clear_requests(call: AdminCall) -> Reply:
    call.session.journal.clear()
    return Reply(204)


def get_faults(call: AdminCall) -> Reply:
    return Reply(200, call.session.faults.to_json())


def set_faults(call: AdminCall) -> Reply:
    ctx, body = call.context, call.body
    rules = parse_rules(body["rules"], ctx.spec, ctx.max_delay_ms)
    call.session.faults.replace(rules, seed=body.get("seed", call.session.seed))
    return Reply(200, call.session.faults.to_json())


def clear_faults(call: AdminCall) -> Reply:
    call.session.faults.replace([], seed=call.session.seed)
    return Reply(204)


def get_recording(call: AdminCall) -> FileReply:
    with call.session.lock:
        path = recording_file(call.session.data, call.path["id"], call.context.recordings)
    return FileReply(path, AUDIO_TYPE)


HANDLERS: dict[str, AdminHandler] = {
    "getHealth": get_health,
    "getAdminSpec": get_admin_spec,
    "resetSession": reset_session,
    "exportState": export_session_state,
    "importState": import_session_state,
    "listRequests": list_requests,
    "clearRequests": clear_requests,
    "getFaults": get_faults,
    "setFaults": set_faults,
    "clearFaults": clear_faults,
    "getRecording": get_recording,
}
