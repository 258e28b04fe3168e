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
from ..core.clock import UAE, format_time
from ..core.dataset import Dataset
from ..core.errors import BadRequest, NotFound, Problem
from ..core.http import HttpResponse
from ..core.operations import Reply
from ..core.spec import Spec
from ..data.fixtures import Fixtures
from ..data.recordings import AUDIO_TYPE, recording_file
from ..data.seed import generate
from ..data.snapshots import StateError, export_state, import_error, import_state
from ..data.state_file import StateFile
from ..identity.callers import Callers
from ..identity.tokens import LIFETIME, Grant
from .delays import Delays
from .faults import ANY_OPERATION, documented_errors, parse_rules
from .sessions import SESSION_HEADER, Session, Store

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
    auth_spec: Spec  # the token endpoint's
    store: Store
    personas: Personas
    fixtures: Fixtures
    recordings: list[Path]
    seed: int  # the baseline's seed: what a reset without one goes back to
    count: int  # how many call trackings a reset with only a seed generates
    max_delay_ms: int  # the longest delay a fault rule may ask for
    now: datetime  # where generated data ends: the mock's now at start
    history_days: int  # how far back generated calls reach
    max_reset_count: int  # the largest count a reset may generate
    delays: Delays  # the requests held by faults and Prefer now
    callers: Callers  # who a request's Authorization names
    state_file: StateFile | None = None  # where the default session is saved, if anywhere
    dashboard: HttpResponse | None = None  # the dashboard page, as the web layer renders it
    started: float = field(default_factory=time.monotonic)


@dataclass
class AdminCall:
    context: AdminContext
    session_name: str
    found: Session | None  # None: no such session (health and recordings never make one)
    base_url: str
    query: dict[str, Any]
    path: dict[str, Any]
    body: Any
    named_in: tuple[str, str] = ("header", SESSION_HEADER)  # where the request named it

    @property
    def session(self) -> Session:
        if self.found is None:
            raise no_such_session(self.session_name, self.named_in)
        return self.found


def no_such_session(name: str, named_in: tuple[str, str]) -> NotFound:
    return NotFound(
        f"No session named {name!r}: a session is made by the first request that carries a "
        "persona's token (or the admin token), from the baseline.",
        [Problem(*named_in, f"no session named {name!r}")],
    )


AdminHandler = Callable[[AdminCall], Reply | FileReply | HttpResponse]


def get_health(call: AdminCall) -> Reply:
    """Liveness and readiness; ``mock: true`` tells contract runs they face the mock."""
    ctx = call.context
    failure = ctx.state_file.failure if ctx.state_file is not None else None
    backend = ctx.store.backend_health()
    if backend is not None and not backend["reachable"]:
        return Reply(503, {  # not ready: a load balancer sends the requests elsewhere
            "status": "unavailable", "mock": True, "version": __version__, "seed": ctx.seed,
            "uptime_seconds": round(time.monotonic() - ctx.started, 3),
            "session": call.session_name, "state_backend": backend,
        }, {"Retry-After": "1"})
    body: dict[str, Any] = {
        "status": "degraded" if failure else "ok",
        "mock": True,
        "version": __version__,
        "seed": ctx.seed,
        "uptime_seconds": round(time.monotonic() - ctx.started, 3),
        "session": call.session_name,
        "session_exists": call.found is not None,
        "sessions": {"count": len(ctx.store.names()), "max_named": ctx.store.max_sessions},
        "delayed": {"held": ctx.delays.held, "limit": ctx.delays.limit},
        "counts": (call.found.data if call.found is not None else ctx.store.baseline).counts(),
    }
    if backend is not None:
        body["state_backend"] = backend
    if ctx.state_file is not None:
        body["state_file"] = {"saving": "failing" if failure else "ok", "error": failure}
    return Reply(200, body)


def get_admin_spec(call: AdminCall) -> HttpResponse:
    text = call.context.admin_spec.served_text(call.base_url).encode("utf-8")
    return HttpResponse(200, text, Headers(), YAML_TYPE)


def get_auth_spec(call: AdminCall) -> HttpResponse:
    text = call.context.auth_spec.served_text(call.base_url).encode("utf-8")
    return HttpResponse(200, text, Headers(), YAML_TYPE)


def reset_session(call: AdminCall) -> Reply:
    """Back to the baseline, or to data generated from a new seed and/or count."""
    ctx, body = call.context, call.body or {}
    seed, count = body.get("seed"), body.get("count")
    if count is not None and count > ctx.max_reset_count:
        reason = f"{count} is more than the {ctx.max_reset_count} this server allows"
        raise BadRequest(f"The count is too large: at most {ctx.max_reset_count} "
                         "(--max-reset-count).", [Problem("body", "count", reason)])
    data: Dataset | None = None  # None: share the baseline again
    if seed is None and count is None:
        seed = ctx.seed
    else:
        seed = ctx.seed if seed is None else seed
        count = ctx.count if count is None else count
        data = generate(seed, count, ctx.fixtures, now=ctx.now, history_days=ctx.history_days)
    ctx.store.replace(call.session, data, seed=seed)
    return Reply(200, {"status": "reset", "session": call.session.name, "seed": seed,
                       "counts": (data or ctx.store.baseline).counts()})


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
                       "counts": (data or ctx.store.baseline).counts()})


def list_requests(call: AdminCall) -> Reply:
    journal = call.session.journal
    entries = journal.newest_first(call.query.get("limit"), call.query.get("after", 0))
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


def get_fault_options(call: AdminCall) -> Reply:
    """What ``setFaults`` accepts, from the spec, so that a form offers it."""
    spec = call.context.spec
    every = {"operation": ANY_OPERATION, "method": None, "path": None,
             "summary": "Every operation", "error_statuses": documented_errors(spec, ANY_OPERATION)}
    operations = [
        {"operation": op.operation_id, "method": op.method, "path": op.path,
         "summary": op.definition.get("summary", ""),
         "error_statuses": documented_errors(spec, op.operation_id)}
        for op in sorted(spec.operations.values(), key=lambda o: o.operation_id)
    ]
    return Reply(200, {"operations": [every, *operations],
                       "max_delay_ms": call.context.max_delay_ms})


def list_personas(call: AdminCall) -> Reply:
    """The personas, and the rights the operations check (own and ``.other``)."""
    ctx = call.context
    checked = {right for op in ctx.spec.operations.values() for base in op.rights
               for right in (base, f"{base}.other")}
    personas = [{"name": p.name, "token": p.token, "user_id": p.user_id,
                 "rights": sorted(p.rights), "description": p.description}
                for p in ctx.personas.all]
    return Reply(200, {"personas": personas, "rights": sorted(checked)})


def get_dashboard(call: AdminCall) -> HttpResponse:
    if call.context.dashboard is None:
        raise NotFound("This server has no dashboard page.")
    return call.context.dashboard


def clear_faults(call: AdminCall) -> Reply:
    call.session.faults.replace([], seed=call.session.seed)
    return Reply(204)


def get_recording(call: AdminCall) -> FileReply:
    session = call.session  # a recording URL never makes a session
    with session.lock:
        path = recording_file(session.data, call.path["id"], call.context.recordings)
    return FileReply(path, AUDIO_TYPE)


def mint_token(call: AdminCall) -> Reply:
    """A token as the grant issues them, for any user, rights and lifetime."""
    ctx, body = call.context, call.body
    users = (call.found.data if call.found is not None else ctx.store.baseline).users
    if body["user"] not in users:
        raise NotFound(f"No user with id {body['user']}.",
                       [Problem("body", "user", f"no user with id {body['user']}")])
    lifetime = body.get("lifetime_seconds", LIFETIME)
    grant = Grant(body.get("client_id", "mock-minted"), body["user"], tuple(body["roles"]),
                  lifetime)
    tokens, now = ctx.callers.tokens, ctx.callers.clock.timestamp()
    return Reply(200, {
        "access_token": tokens.issue(grant, now),
        "token_type": "Bearer",
        "expires_in": lifetime,
        "expires_at": format_time(datetime.fromtimestamp(now + lifetime, UAE)),
        "claims": tokens.claims(grant, now),
    })


HANDLERS: dict[str, AdminHandler] = {
    "getHealth": get_health,
    "getAdminSpec": get_admin_spec,
    "getAuthSpec": get_auth_spec,
    "resetSession": reset_session,
    "exportState": export_session_state,
    "importState": import_session_state,
    "listRequests": list_requests,
    "clearRequests": clear_requests,
    "getFaults": get_faults,
    "setFaults": set_faults,
    "clearFaults": clear_faults,
    "getRecording": get_recording,
    "mintToken": mint_token,
    "getFaultOptions": get_fault_options,
    "listPersonas": list_personas,
    "getDashboard": get_dashboard,
}
