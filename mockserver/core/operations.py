"""What each operation of the contract does, keyed by operationId; no web framework here.

A handler receives a validated ``Call`` (who, which parameters, which body, which data)
and returns a ``Reply``. Changes are all-or-nothing: every check runs before the first
write, under the lock of whoever holds the data (the pipeline takes it). The core knows
nothing of sessions: it reads and changes an ``IndexedDataset`` and reports each change to
``notify``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from .access import DELETE, READ, UPDATE, Persona
from .clock import Clock
from .errors import ApiError, Forbidden, NotFound, Problem, listed_ids
from .indexed_dataset import IndexedDataset
from .model import CallTracking
from .query import parse_list_query, unknown_filters
from .query_index import Change
from .render import absolute_url, parse_expand, readable_relation, render_call_tracking

WARNING_HEADER = "X-MyCRM-API-Warning"
EXPAND_HEADER = "X-MyCRM-Expand-Data"


@dataclass
class Call:
    operation_id: str
    persona: Persona
    records: IndexedDataset  # the caller's data: a session's, or a dry run's copy
    notify: Callable[[Change], None]  # after each change: keeps the index exact, persists
    clock: Clock
    base_url: str
    link_session: str | None = None  # the session recording URLs name (audio sends no headers)
    query: dict[str, Any] = field(default_factory=dict)
    path: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    raw_query_names: list[str] = field(default_factory=list)
    repeated_query_names: list[str] = field(default_factory=list)
    body: Any = None


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


def list_call_trackings(call: Call) -> Reply:
    q = parse_list_query(call.query)
    expand, unknown_expand = parse_expand(call.headers.get(EXPAND_HEADER))
    data = call.records.data
    persona = call.persona
    owner = None if persona.sees_all() else persona.user_id
    page = call.records.call_tracking_index().select(q, data.leads, data.properties, owner)
    link = call.base_url, call.link_session
    body = {
        "call_trackings": [
            render_call_tracking(ct, persona, data, expand, *link) for ct in page.items
        ],
        "count": page.count,
        "page": page.page,
        "per_page": page.per_page,
    }
    warnings = _warnings(
        unknown_filters(call.raw_query_names), unknown_expand, call.repeated_query_names
    )
    return Reply(200, body, warnings)


def bulk_update_call_trackings(call: Call) -> Reply:
    data, persona = call.records.data, call.persona
    body = call.body or {}
    targets = _targets(call, body.get("calltrackings"), UPDATE)
    changes = _planned_changes(call, body["operations"])
    now = call.clock.now()
    replacements: dict[int, CallTracking] = {}
    before: dict[int, CallTracking] = {}
    for ct in targets:
        updates = {k: v for k, v in changes.items() if getattr(ct, k) != v}
        if updates:
            replacements[ct.id] = replace(ct, **updates, updated_at=now)
            before[ct.id] = ct
    records = data.call_trackings
    if before:
        data = call.records.writable()
        records = data.call_trackings
        records.update(replacements)
        call.notify(Change(changed=frozenset(before), before=before))
    expand, unknown_expand = parse_expand(call.headers.get(EXPAND_HEADER))
    link = call.base_url, call.link_session
    rendered = [render_call_tracking(records[ct.id], persona, data, expand, *link)
                for ct in targets]  # fmt: skip
    return Reply(
        200, {"call_trackings": rendered, "count": len(rendered)}, _warnings([], unknown_expand)
    )


def bulk_delete_call_trackings(call: Call) -> Reply:
    ids = (call.body or {}).get("calltrackings") if isinstance(call.body, dict) else None
    _delete(call, _targets(call, ids, DELETE))
    return Reply(204)


def delete_call_tracking(call: Call) -> Reply:
    ct = _readable(call, call.path["id"])
    _require(call.persona, DELETE, [ct])
    _delete(call, [ct])
    return Reply(204)


def _delete(call: Call, targets: list[CallTracking]) -> None:
    if not targets:
        return
    records = call.records.writable().call_trackings
    for ct in targets:
        del records[ct.id]
    before = {ct.id: ct for ct in targets}
    call.notify(Change(deleted=frozenset(before), before=before))


def get_call_tracking_recording(call: Call) -> Reply:
    ct = _readable(call, call.path["id"])
    url = absolute_url(ct.download_url, call.base_url, call.link_session)
    if url is None:
        raise NotFound(
            f"Call tracking {ct.id} has no recording (status {ct.status}).",
            [Problem("path", "id", f"call tracking {ct.id} has no recording")],
        )
    return Reply(200, {"recording": {"url": url}})


HANDLERS: dict[str, Handler] = {
    "listCallTrackings": list_call_trackings,
    "bulkUpdateCallTrackings": bulk_update_call_trackings,
    "bulkDeleteCallTrackings": bulk_delete_call_trackings,
    "deleteCallTracking": delete_call_tracking,
    "getCallTrackingRecording": get_call_tracking_recording,
}


# --- helpers -----------------------------------------------------------------------------

SEEN = "/seen"
ASSIGNMENTS = {
    "/assignment/user": ("user_id", "users", "user"),
    "/assignment/property": ("property_id", "properties", "property"),
    "/assignment/lead": ("lead_id", "leads", "lead"),
}


def _planned_changes(call: Call, operations: list[dict[str, Any]]) -> dict[str, Any]:
    """Field -> new value after all operations, in order; refuses referenced ids that do
    not exist or that name a lead or property the caller may not read (the same 404: the
    caller cannot learn that a record it may not read exists)."""
    data = call.records.data
    changes: dict[str, Any] = {}
    missing: list[Problem] = []
    for index, op in enumerate(operations):
        value = as_int(op["value"]) if op["path"] != SEEN else op["value"]
        if op["path"] == SEEN:
            changes["marked_as_seen"] = bool(value)  # 0 is false, any other integer true
            continue
        attr, table, noun = ASSIGNMENTS[op["path"]]
        if not readable_relation(call.persona, getattr(data, table).get(value)):
            where = f"operations/{index}/value"
            missing.append(Problem("body", where, f"no {noun} with id {value}"))
        changes[attr] = value
    if missing:
        raise NotFound("Some operations name records that do not exist; nothing was changed.",
                       missing)
    return changes


def _targets(call: Call, ids: list[int] | None, action: str) -> list[CallTracking]:
    """The records an operation acts on, all checked before anything changes.

    Without ids: every record the caller may act on. With ids: each must be readable
    (else 404, naming them) and actionable (else 403, naming them).
    """
    records = call.records.data.call_trackings
    persona = call.persona
    if ids is None:
        return [ct for _, ct in sorted(records.items()) if persona.may(action, ct)]
    unique = sorted({as_int(i) for i in ids})
    unseen = [i for i in unique if i not in records or not persona.may(READ, records[i])]
    if unseen:
        raise NotFound(
            f"No call tracking with id {listed_ids(unseen)}; nothing was changed.",
            [Problem("body", "calltrackings", f"no call tracking with id {i}") for i in unseen],
        )
    targets = [records[i] for i in unique]
    _require(persona, action, targets)
    return targets


def as_int(value: Any) -> Any:
    """JSON Schema counts 7.0 as an integer; ids are looked up and echoed as 7."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _readable(call: Call, record_id: int) -> CallTracking:
    ct = call.records.data.call_trackings.get(record_id)
    if ct is None or not call.persona.may(READ, ct):
        raise NotFound(
            f"No call tracking with id {record_id}.",
            [Problem("path", "id", f"no call tracking with id {record_id}")],
        )
    return ct


def _require(persona: Persona, action: str, targets: list[CallTracking]) -> None:
    denied = [ct.id for ct in targets if not persona.may(action, ct)]
    if denied:
        raise Forbidden(
            f"Your rights do not allow lead.{action} on call tracking {listed_ids(denied)} "
            "(it belongs to another user); nothing was changed."
        )


MAX_WARNED_NAMES = 10  # a header line stays short whatever a client sends


def _warnings(
    filters: list[str], expand_names: list[str], repeated: list[str] | None = None
) -> dict[str, str]:
    """The warning header; names are percent-encoded so any input is a safe header value."""
    notes = []
    if filters:
        notes.append("Unknown filters ignored: " + _names(filters))
    if expand_names:
        notes.append("Unknown expand names ignored: " + _names(_header_names(expand_names)))
    if repeated:
        notes.append("Repeated parameters, only the first value used: " + _names(repeated))
    return {WARNING_HEADER: "; ".join(notes)} if notes else {}


def _names(names: Sequence[str] | Sequence[bytes]) -> str:
    shown = ", ".join(_safe(n) for n in names[:MAX_WARNED_NAMES])
    extra = len(names) - MAX_WARNED_NAMES
    return shown + (f" and {extra} more" if extra > 0 else "")


def _safe(name: str | bytes) -> str:
    return quote(name[:100], safe="[]_-.")


def _header_names(names: list[str]) -> list[bytes]:
    """Names read from a header, as the bytes the client sent: WSGI hands header values
    over decoded as Latin-1, and quoting that text again would encode UTF-8 twice."""
    return [n.encode("latin-1", errors="replace") for n in names]


__all__ = ["HANDLERS", "ApiError", "Call", "Reply"]
