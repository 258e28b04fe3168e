"""One client connection: HTTP/1.1 read with httptools, answered in order, within limits.

The event loop reads every connection (``server``); this protocol turns bytes into
``Exchange`` values with llhttp (through httptools: the parser Node.js uses), asks the
handler for each in turn, and writes the answers in the order the requests came, pipelined
or not. What a client may take is bounded here:

- the request line and headers: ``MAX_HEAD`` bytes (431 beyond);
- the body: ``max_body`` bytes, refused from its ``Content-Length`` before it is sent, or
  cut off once a chunked body passes it (413);
- time: the server's sweep closes a request that is not whole after the header or body
  timeout from its first byte, and a connection idle past the idle timeout;
- memory: while an answer waits to be written (a client that does not read), no further
  request is taken; while requests wait their turn, reading stops.

A request the parser refuses gets the contract's ``Error`` body with a 4xx, then the
connection closes after a short lingering read, so that the client, still sending, reads
the answer instead of a reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import httptools

from ..core.errors import error_body
from ..core.responses import dump
from .exchange import Exchange, Reply, encode

log = logging.getLogger("mockserver")
MAX_HEAD = 256 * 1024  # bytes of request line and headers (waitress's default)
QUEUE_LIMIT = 16  # whole requests waiting their turn before reading stops
LINGER_SECONDS = 2.0  # after a refusal, how long the rest of the request is read and dropped
LINGER_BYTES = 1 << 20
VERSIONS = ("1.1", "1.0")


class Refused(Exception):
    """A request the server answers itself, without the handler: a 4xx or 5xx."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def refusal_reply(status: int, message: str) -> Reply:
    """The contract's ``Error`` body, as the app words its own errors."""
    return Reply(status, [("Content-Type", "application/json")], dump(error_body(status, message)))


@dataclass(frozen=True)
class Limits:
    """What one client may take of the server (see ``server``'s docstring)."""

    threads: int = 8
    delayed: int = 32  # more threads, for requests held by a delay
    connection_limit: int = 4096
    backlog: int = 1024
    channel_timeout: int = 30
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_body: int = 1 << 20
    grace: float = 5.0


class Owner(Protocol):
    """What a connection needs of the server that accepted it (``server.Server``)."""

    limits: Limits
    address: tuple[str, int]
    stopping: bool

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    def date(self) -> str: ...

    def answer(self, connection: Connection, exchange: Exchange) -> Reply | None: ...

    def opened(self, connection: Connection) -> None: ...

    def closed(self, connection: Connection) -> None: ...

    def settled(self, connection: Connection) -> None: ...


class Connection(asyncio.Protocol):
    def __init__(self, server: Owner) -> None:
        self.server = server
        self.limits = server.limits
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.client: tuple[str, int] = ("", 0)
        self.queue: deque[Exchange | Reply] = deque()  # a Reply: a refusal, then close
        self.busy = False  # an answer of this connection is being made
        self.closing = False  # nothing more is read as requests
        self.closed = False
        self.write_paused = False
        self.reading_paused = False
        self.receiving_since: float | None = None  # first byte of the request being read
        self.idle_since = time.monotonic()
        self.write_paused_since = 0.0
        self._lingered = 0
        self._reset_request()

    # --- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else ("", 0)
        self.server.opened(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.queue.clear()
        self.server.closed(self)

    def data_received(self, data: bytes) -> None:
        if self.closing:
            self._linger(len(data))
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.closing = True  # the request is queued; nothing after it is HTTP/1.1
        except httptools.HttpParserCallbackError as exc:
            refused = exc.__context__
            if isinstance(refused, Refused):
                self._refuse(refused.status, refused.message)
            else:
                log.error("unexpected error reading a request", exc_info=refused)
                self._refuse(500, "Internal Server Error")
        except httptools.HttpParserError as exc:
            if not self.closing:  # after "Connection: close", what follows is not read
                self._refuse(400, f"Bad Request: {exc}")
        if len(self.queue) >= QUEUE_LIMIT and not self.reading_paused:
            self.reading_paused = True
            assert self.transport is not None
            self.transport.pause_reading()
        self._next()

    def eof_received(self) -> bool | None:
        self.closing = True
        if not self.busy and not self.queue:
            self.close()
        return True  # keep the write side open: answers still owed are sent, then closed

    def pause_writing(self) -> None:
        self.write_paused = True
        self.write_paused_since = time.monotonic()

    def resume_writing(self) -> None:
        self.write_paused = False
        self._next()

    # --- httptools callbacks ---------------------------------------------------------------

    def _reset_request(self) -> None:
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._head_size = 0
        self._body_size = 0
        self._head_done = False

    def on_message_begin(self) -> None:
        self._reset_request()
        self.receiving_since = time.monotonic()

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self._head_done = True
        version = self.parser.get_http_version()
        if version not in VERSIONS:
            raise Refused(505, f"HTTP/{version} is not supported: send HTTP/1.1.")
        length, expect = None, None
        for name, value in self._headers:
            lower = name.lower()
            if lower == "content-length":
                length = int(value)  # llhttp let only digits through
            elif lower == "expect":
                expect = value.strip().lower()
        if length is not None and length > self.limits.max_body:
            raise Refused(413, self._too_large())
        chunked = length is None and any(
            n.lower() == "transfer-encoding" and "chunked" in v.lower() for n, v in self._headers)
        if expect == "100-continue" and (chunked or (length or 0) > 0) and self._writable():
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > self.limits.max_body:
            raise Refused(413, self._too_large())
        self._body.append(body)

    def on_message_complete(self) -> None:
        target = self._url.decode("latin-1")
        path, query = self._split_target(target)
        exchange = Exchange(
            method=self.parser.get_method().decode("latin-1"),
            path=path,
            query=query,
            version=self.parser.get_http_version(),
            headers=self._headers,
            body=b"".join(self._body),
            client=self.client,
            server=self.server.address,
            keep_alive=self.parser.should_keep_alive(),
        )
        self.queue.append(exchange)
        self.receiving_since = None
        if not exchange.keep_alive:
            self.closing = True
        self._reset_request()

    def _count_head(self, size: int) -> None:
        self._head_size += size
        if self._head_size > MAX_HEAD:
            raise Refused(431, f"The request line and headers are larger than the limit of "
                               f"{MAX_HEAD} bytes.")

    def _too_large(self) -> str:
        return f"The request body is larger than the limit of {self.limits.max_body} bytes."

    @staticmethod
    def _split_target(target: str) -> tuple[str, str]:
        """Path and query of an origin-form or absolute-form target (``*`` stays as is)."""
        if not target.startswith("/") and "://" in target:
            rest = target.split("://", 1)[1]
            slash = rest.find("/")
            question = rest.find("?")
            start = slash if slash >= 0 and (question < 0 or slash < question) else question
            target = "/" if start < 0 else rest[start:]
            if target.startswith("?"):
                target = "/" + target
        path, _, query = target.partition("?")
        return path, query.partition("#")[0]

    # --- answering, in order ---------------------------------------------------------------

    def _writable(self) -> bool:
        return not self.busy and not self.queue and not self.closed

    def _next(self) -> None:
        """Answer the waiting requests in order, while nothing holds the connection."""
        while self.queue and not self.busy and not self.write_paused and not self.closed:
            item = self.queue.popleft()
            if isinstance(item, Reply):  # a refusal: the last thing this connection says
                self._write(item, head_only=False, close=True, linger=True)
                break
            self.busy = True
            reply = self.server.answer(self, item)
            if reply is not None:  # answered on the loop; else ``deliver`` comes later
                self._answered(item, reply)
        if self.closed:
            return
        if not self.queue and self.reading_paused:
            self.reading_paused = False
            assert self.transport is not None
            self.transport.resume_reading()
        if not self.busy and not self.queue:
            self.idle_since = time.monotonic()
            if self.closing:
                self.close()
            self.server.settled(self)

    def deliver(self, exchange: Exchange, reply: Reply) -> None:
        """The answer a worker thread made for ``exchange``: write it, then go on."""
        self._answered(exchange, reply)
        self._next()

    def _answered(self, exchange: Exchange, reply: Reply) -> None:
        self.busy = False
        if self.closed:
            return
        if reply.drop:  # a fault: no answer at all, the connection closed
            self.closing = True
            self.queue.clear()
            self.close()
            return
        close = not exchange.keep_alive or self.server.stopping or (
            self.closing and not self.queue)
        if close:
            self.queue.clear()
        self._write(reply, head_only=exchange.method == "HEAD", close=close,
                    keep_alive_1_0=exchange.version == "1.0")

    def _write(self, reply: Reply, *, head_only: bool, close: bool, linger: bool = False,
               keep_alive_1_0: bool = False) -> None:
        assert self.transport is not None
        self.transport.write(encode(reply, self.server.date(), head_only=head_only,
                                    close=close, keep_alive_1_0=keep_alive_1_0))
        if not close:
            return
        self.closing = True
        if linger and self.transport.can_write_eof():
            # The client may still be sending what we refused: say we are done, read and
            # drop the rest for a moment, so that it reads this answer instead of a reset.
            self.transport.write_eof()
            self.server.loop.call_later(LINGER_SECONDS, self.close)
        else:
            self.close()

    def _refuse(self, status: int, message: str) -> None:
        """Answer a request the parser refused once those before it are answered; read
        nothing more as requests."""
        self.closing = True
        self.receiving_since = None
        self.queue.append(refusal_reply(status, message))

    def _linger(self, size: int) -> None:
        self._lingered += size
        if self._lingered > LINGER_BYTES:
            self.abort()

    # --- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close once what is written is sent."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        """Close now, whatever is unsent."""
        if self.transport is not None:
            self.transport.abort()

    def reset(self) -> None:
        """Close now, dropping what the kernel still holds to send too (a TCP reset): a
        client that does not read its answers must not keep the server's memory."""
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def in_flight(self) -> bool:
        """Whether a request is arriving, waiting, being answered, or its answer unsent."""
        if self.closed:
            return False
        unsent = self.transport is not None and self.transport.get_write_buffer_size() > 0
        return bool(self.busy or self.queue or self.receiving_since is not None or unsent)

    def overdue(self, now: float) -> bool:
        """Whether the client has taken longer than the limits allow: a request arriving
        too slowly, an idle keep-alive, or an answer it does not read."""
        if self.closed:
            return False
        limits = self.limits
        if self.write_paused:
            return now - self.write_paused_since > limits.channel_timeout
        if self.busy or self.queue:
            return False  # the server is the one taking its time
        since = self.receiving_since
        if since is not None:
            allowed = limits.body_timeout if self._head_done else limits.header_timeout
            return now - since > allowed
        return now - self.idle_since > limits.channel_timeout
