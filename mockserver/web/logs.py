"""Where log lines go and how they look: plain text for people, JSON lines for collectors.

Every message of the mock, request lines and start/stop events alike, goes through the
standard ``logging`` module to one handler on stderr, so ``--log-format`` changes them all
at once, waitress's own warnings included. Structured data rides on a record as
``extra={"fields": {...}}``: the JSON formatter writes those fields, the text formatter
only the message.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

OUR_LOGGERS = ("mockserver", "waitress")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"


CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


class TextFormatter(logging.Formatter):
    """Plain lines, one per record: control characters in a message (a ``%0a`` in a request
    path, say) are written as ``\\x0a``, so no client can forge a line of the log."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        safe = CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), message)
        if safe != message:
            record = copy.copy(record)
            record.msg, record.args = safe, None
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC, ms), level, logger, message, then fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` (stderr) in ``log_format``, at ``level``.

    ``DEBUG`` applies to the mock's and waitress's loggers only: other libraries' debug
    chatter (Faker's locale search, say) would drown the lines a user asked for.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    numeric = logging.getLevelName(level)
    root.setLevel(max(numeric, logging.INFO))
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(numeric)
