"""One request as the server read it, and the answer a handler gives: plain values.

The server (``server``, ``connection``) parses HTTP/1.1 into an ``Exchange`` and writes a
``Reply``; what happens in between is a ``Handler``'s: the mock's own lane for the API
(``direct``) or any WSGI app (``wsgi``). Header names and values are kept as sent
(Latin-1); ``environ_headers`` gives them the way a WSGI server presents them, which both
lanes use, so an operation sees the same headers whichever lane answers it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Protocol
from urllib.parse import unquote_to_bytes

# Headers about the connection, not the answer: the server sets them, never a handler.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade",
                        "proxy-connection", "te", "trailer"})
SPECIAL_ENVIRON = {"CONTENT_TYPE", "CONTENT_LENGTH"}  # WSGI names them without HTTP_
NO_BODY_STATUSES = frozenset({204, 304})
SERVER_NAME = "mockserver"


@dataclass(slots=True)
class Exchange:
    """A whole request: head and body read (a chunked body decoded), nothing judged yet."""

    method: str
    path: str  # as sent: percent-encoded, Latin-1
    query: str  # as sent, without the "?"
    version: str  # "1.1" or "1.0"
    headers: list[tuple[str, str]]  # in the order sent, names as sent
    body: bytes
    client: tuple[str, int]
    server: tuple[str, int]
    keep_alive: bool = True
    received: float = field(default_factory=time.time)  # wall clock, for the journal
    started: float = field(default_factory=time.perf_counter)  # for the duration

    @property
    def path_info(self) -> str:
        """The path percent-decoded, as WSGI's ``PATH_INFO`` (bytes as Latin-1), leading
        slashes collapsed to one as waitress did."""
        decoded = unquote_to_bytes(self.path).decode("latin-1")
        return "/" + decoded.lstrip("/") if decoded.startswith("/") else decoded


@dataclass(slots=True)
class Reply:
    """An answer: status, headers (the server adds length, date and connection), body.

    ``drop``: close the connection without answering (a fault asked for it).
    """

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    drop: bool = False


Later = Callable[[], Reply]  # work a handler hands back to run on a worker thread


class Handler(Protocol):
    """What the server asks of the application, on its event loop: answer now, when that
    cannot wait (no lock held long, no sleep, no I/O), or hand back the work to run on a
    worker thread."""

    def respond(self, exchange: Exchange) -> Reply | Later: ...


def environ_headers(exchange: Exchange) -> dict[str, str]:
    """The request's headers keyed as in a WSGI environ (``HTTP_X_MOCK_SESSION``,
    ``CONTENT_TYPE``), as waitress gave them: a repeated header joined with ", ", one whose
    name has an underscore dropped (it would pass for the one with a dash), in the order
    first sent; a chunked body's ``Transfer-Encoding`` replaced by the length it had."""
    found: dict[str, str] = {}
    for name, value in exchange.headers:
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        if key not in SPECIAL_ENVIRON:
            key = "HTTP_" + key
        found[key] = f"{found[key]}, {value}" if key in found else value
    if found.pop("HTTP_TRANSFER_ENCODING", None) is not None or exchange.body:
        found["CONTENT_LENGTH"] = str(len(exchange.body))
    return found


_REASONS = {status.value: status.phrase for status in HTTPStatus}


def status_line(status: int) -> bytes:
    return f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n".encode("latin-1")


class DateHeader:
    """The ``Date`` header's value, formatted once a second, not once a request."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._second = -1
        self._value = ""

    def __call__(self) -> str:
        now = self._clock()
        second = int(now)
        if second != self._second:
            self._second, self._value = second, formatdate(now, usegmt=True)
        return self._value


def _header_line(name: str, value: str) -> bytes:
    """``Name: value``; a line break in a handler's value cannot start another header, and
    a character Latin-1 cannot hold becomes "?" rather than failing the answer."""
    line = f"{name}: {value}"
    if "\r" in line or "\n" in line:
        line = line.replace("\r", " ").replace("\n", " ")
    return line.encode("latin-1", errors="replace") + b"\r\n"


def encode(reply: Reply, date: str, *, head_only: bool, close: bool,
           keep_alive_1_0: bool = False) -> bytes:
    """The answer's bytes: status line, the handler's headers (less those about the
    connection), length, date, server, connection; then the body unless there is none."""
    no_body = reply.status in NO_BODY_STATUSES or reply.status < 200
    lines = [status_line(reply.status)]
    length: str | None = None
    for name, value in reply.headers:
        lower = name.lower()
        if lower == "content-length":
            length = value
            continue
        if lower in HOP_BY_HOP:
            continue
        lines.append(_header_line(name, value))
    if not no_body:
        # A HEAD answer tells the length the GET would have; every other one its own.
        shown = length if head_only and length is not None else str(len(reply.body))
        lines.append(b"Content-Length: " + shown.encode("ascii") + b"\r\n")
    lines.append(f"Date: {date}\r\nServer: {SERVER_NAME}\r\n".encode("latin-1"))
    if close:
        lines.append(b"Connection: close\r\n")
    elif keep_alive_1_0:
        lines.append(b"Connection: keep-alive\r\n")
    lines.append(b"\r\n")
    if not (head_only or no_body):
        lines.append(reply.body)
    return b"".join(lines)
