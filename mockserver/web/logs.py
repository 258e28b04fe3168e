"""Where log lines go and how they look: plain text for people, JSON lines for collectors.

Every message of the mock, request lines and start/stop events alike, goes through the
standard ``logging`` module to one handler on stderr, so ``--log-format`` changes them all
at once. Structured data rides on a record as
``extra={"fields": {...}}``: the JSON formatter writes those fields, the text formatter
only the message.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any, TextIO

OUR_LOGGERS = ("mockserver",)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"


CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


class TextFormatter(logging.Formatter):
    """Plain lines, one per record: control characters in a message (a ``%0a`` in a request
    path, say) are written as ``\\x0a``, so no client can forge a line of the log."""

    _second: tuple[int, str] = (-1, "")  # the second last formatted, and its text

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """logging's own stamp (local time, milliseconds), its date and time worked out
        once a second rather than once a line."""
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        known, stamp = self._second  # one read: other threads replace the pair whole
        if second != known:
            stamp = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, stamp)
        msec_format = self.default_msec_format
        return msec_format % (stamp, record.msecs) if msec_format else stamp

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
        if callable(fields):  # fields made only when a JSON line is written
            fields = fields()
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class BackgroundWriter(logging.Handler):
    """Lines are formatted on the request's thread and written by one thread of their own.

    A handler that writes to stderr itself makes every request thread block in ``write``:
    it lets go of the interpreter lock, and under load waits a whole switch interval to get
    it back, which cost about 40 % of the throughput at the default log level. Here a
    request only appends its line; the writer takes every line waiting and writes them in
    one call, in order. It writes at most every ``interval`` seconds (5 ms), sooner once
    ``batch`` lines wait: under load one write carries many lines, and the writer takes the
    interpreter lock from the requests a few hundred times a second, not once a request
    (15-20 % of a kept read's CPU at the default log level). At most ``limit`` lines wait: a
    request that finds the queue full waits for room (as a blocked stderr would have held
    it anyway), so memory stays bounded.
    ``flush`` returns once every line handed over so far is written: the server calls it
    when it stops. ``close`` (``logging.shutdown`` calls it at exit) writes what is left and
    ends the thread: a daemon thread still inside ``write`` when the interpreter finalizes
    holds stderr's lock, and Python aborts the process (SIGABRT) instead of exiting 0.
    Lines logged after that are written by the caller itself.
    """

    def __init__(self, stream: TextIO, limit: int = 10_000, batch: int = 1_000,
                 interval: float = 0.005) -> None:
        super().__init__()
        self.stream = stream
        self.limit = limit
        self.batch = batch
        self.interval = interval
        self._lines: list[str] = []
        self._queued = self._written = 0
        self._flushing = 0  # callers of flush waiting: write at once
        self._closing = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._write_forever, name="log-writer",
                                        daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
        except Exception:  # a bad record must not fail the request
            self.handleError(record)
            return
        with self._changed:
            if self._closing:  # the writer has ended: write it here, in order
                self._write([line])
                return
            while len(self._lines) >= self.limit:
                self._changed.wait()
            self._lines.append(line)
            self._queued += 1
            if len(self._lines) in (1, self.batch):  # the writer waits for a first or a full
                self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        super().close()

    def flush(self) -> None:
        with self._changed:
            target = self._queued
            self._flushing += 1
            self._changed.notify_all()
            try:
                while self._written < target and self._thread.is_alive():
                    self._changed.wait(timeout=1.0)
            finally:
                self._flushing -= 1

    def _write_forever(self) -> None:
        while True:
            with self._changed:
                while not self._lines and not self._closing:
                    self._changed.wait()
                if not (self._closing or self._flushing):  # let a batch gather
                    self._changed.wait_for(self._write_now, self.interval)
                if not self._lines:  # closing, and everything written
                    return
                lines, self._lines = self._lines, []
                self._changed.notify_all()  # room again for requests waiting
            self._write(lines)
            with self._changed:
                self._written += len(lines)
                self._changed.notify_all()

    def _write_now(self) -> bool:
        return self._closing or self._flushing > 0 or len(self._lines) >= self.batch

    def _write(self, lines: list[str]) -> None:
        try:
            self.stream.write("".join(lines))
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed or gone: nothing to write to
            pass


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` (stderr) in ``log_format``, at ``level``.

    ``DEBUG`` applies to the mock's logger only: other libraries' debug
    chatter (Faker's locale search, say) would drown the lines a user asked for.
    """
    # What no line of ours shows, the logging HOWTO's "Optimization" turns off: the caller's
    # frame, the thread's and process's names (a third of a request's line).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = BackgroundWriter(stream or sys.stderr)
    formatter = JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    numeric = logging.getLevelName(level)
    root.setLevel(max(numeric, logging.INFO))
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(numeric)


def flush_logs() -> None:
    """Wait until every line logged so far is written (before the process ends)."""
    for handler in logging.getLogger().handlers:
        handler.flush()
