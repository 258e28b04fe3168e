"""What happened to each request, handed to observers (the log line, the journal).

The adapter builds one ``RequestRecord`` per API request and passes it to every observer,
so logging formats and the request journal never reach into the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import Problem

log = logging.getLogger("mockserver")


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    status: int | None  # None: the connection was dropped on purpose, no response
    duration_ms: float
    session: str
    operation_id: str | None
    headers: dict[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    persona: str | None = None
    fault: str | None = None  # "delay", "error" or "drop" when a fault rule fired
    body: str | None = None  # the request body as text, if any
    started_at: float = 0.0  # seconds since the epoch


Observer = Callable[[RequestRecord], None]


def log_text(record: RequestRecord) -> None:
    """One line per request: method, path, status, duration, validation errors."""
    target = record.path + (f"?{record.query}" if record.query else "")
    problems = "; ".join(f"{p.location}:{p.name}: {p.reason}" for p in record.problems)
    log.info(
        "%s %s %s %.1fms%s%s",
        record.method,
        target,
        "dropped" if record.status is None else record.status,
        record.duration_ms,
        f" fault={record.fault}" if record.fault else "",
        f" errors=[{problems}]" if problems else "",
    )
