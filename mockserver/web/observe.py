"""What happened to each request, handed to observers (the log line, the journal).

The adapter builds one ``RequestRecord`` (``core.http``) per API request and passes it to
every observer, so logging formats and the request journal never reach into the pipeline.
Requests outside the API (``/__mock/*``, unknown paths) get a record too, with no
``operation_id``, for the log only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from ..core.http import RequestRecord

log = logging.getLogger("mockserver")

Observer = Callable[[RequestRecord], None]


def log_fields(record: RequestRecord) -> dict[str, Any]:
    """The request as JSON log fields; ``errors`` has the Error body's ``in/name/reason``."""
    return {
        "event": "request",
        "method": record.method,
        "path": record.path,
        "query": record.query,
        "status": record.status,
        "duration_ms": round(record.duration_ms, 3),
        "session": record.session,
        "operationId": record.operation_id,
        "persona": record.persona,
        "error": record.error,
        "errors": [p.to_json() for p in record.problems],
        "fault": record.fault,
    }


def log_request(record: RequestRecord, level: int = logging.INFO) -> None:
    """One line per request: method, path, status, duration, validation errors.

    The text form is the message; the JSON form adds every field of ``log_fields``.
    """
    if not log.isEnabledFor(level):
        return
    target = record.path + (f"?{record.query}" if record.query else "")
    problems = "; ".join(f"{p.location}:{p.name}: {p.reason}" for p in record.problems)
    log.log(
        level,
        "%s %s %s %.1fms%s%s",
        record.method,
        target,
        "dropped" if record.status is None else record.status,
        record.duration_ms,
        f" fault={record.fault}" if record.fault else "",
        f" errors=[{problems}]" if problems else "",
        extra={"fields": partial(log_fields, record)},  # made by the JSON formatter only
    )


HEALTH_PATH = "/__mock/health"


def log_request_quietly(record: RequestRecord) -> None:
    """The log observer: health probes (every few seconds from an orchestrator) at DEBUG."""
    quiet = record.path == HEALTH_PATH and record.status == 200
    log_request(record, logging.DEBUG if quiet else logging.INFO)
