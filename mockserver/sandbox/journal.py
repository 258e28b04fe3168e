"""The request journal: what clients actually sent, per session, newest first, bounded.

A tester asks "what did my app send?" and gets it here rather than in a server log shared
with everyone. Each session keeps its own ring of entries, and an entry a few KiB at most
(a record keeps 1 KiB of path, query and body, 4 KiB of the response's body, 256
characters a header, 20 problems), so the journal's memory is bounded by the session
limits times ``--journal-size``. Secrets never reach it: the ``Authorization`` value is
masked to its scheme, the persona it named is given instead, and the token endpoint's
bodies are not kept.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

from ..core.http import RequestRecord

# The request headers worth seeing when debugging a client; the rest is noise.
JOURNALED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Prefer",
    "X-MyCRM-Expand-Data",
    "X-Mock-Session",
    "Origin",
    "User-Agent",
)
MASK = "***"
BODY_LIMIT = 1024  # characters of the request body kept per entry


def mask_authorization(value: str) -> str:
    """``Bearer admin-token`` -> ``Bearer ***``; a value without a scheme is masked whole."""
    scheme, sep, secret = value.strip().partition(" ")
    if sep and secret.strip():
        return f"{scheme} {MASK}"
    return MASK


def selected_headers(headers: dict[str, str]) -> dict[str, str]:
    """The journaled headers present in the request, in a fixed order, token masked."""
    by_lower = {k.lower(): v for k, v in headers.items()}
    picked = {}
    for name in JOURNALED_HEADERS:
        value = by_lower.get(name.lower())
        if value is not None:
            picked[name] = mask_authorization(value) if name == "Authorization" else value
    return picked


class Journal:
    """A bounded, thread-safe ring of request entries for one session.

    It keeps each request's record and numbers it; the JSON entry is made when the journal
    is read, which is rare, not on every request (the record is already bounded).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._records: deque[tuple[int, RequestRecord]] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append((next(self._ids), record))

    def newest_first(self, limit: int | None = None, after: int = 0) -> list[dict[str, Any]]:
        """The newest ``limit`` entries (all by default) whose id is above ``after``."""
        with self._lock:
            kept = [(i, r) for i, r in reversed(self._records) if i > after]
        return [entry_of(i, r) for i, r in (kept if limit is None else kept[:limit])]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def entry_of(entry_id: int, record: RequestRecord) -> dict[str, Any]:
    """The journal's JSON form of one request (see ``JournalEntry`` in the admin spec)."""
    body = record.body
    return {
        "id": entry_id,
        "at": datetime.fromtimestamp(record.started_at, UTC).isoformat(timespec="milliseconds"),
        "method": record.method,
        "path": record.path,
        "query": record.query,
        "operation_id": record.operation_id,
        "headers": selected_headers(record.headers),
        "persona": record.persona,
        "body": None if body is None else body[:BODY_LIMIT],
        "body_truncated": record.body_truncated or (body is not None and len(body) > BODY_LIMIT),
        "status": record.status,
        "fault": record.fault,
        "duration_ms": round(record.duration_ms, 3),
        "errors": [p.to_json() for p in record.problems],
        "response": None if record.response_headers is None else {
            "headers": record.response_headers,
            "body": record.response_body,
            "body_truncated": record.response_truncated,
        },
    }
