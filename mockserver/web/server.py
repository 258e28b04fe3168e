"""Serving the WSGI app with waitress, in one process, with a graceful stop.

One process because the state is in memory. On SIGTERM or SIGINT the server stops
accepting connections, lets in-flight requests finish and flush (up to ``grace`` seconds),
runs the ``on_stop`` callback (saving state, for instance), and returns, so the command
exits 0 within a known bound: what an orchestrator's stop timeout needs.

A request counts as in flight from its first byte: one whose body is still arriving is
finished too, not cut off, as long as it completes within the grace period.

A fault may ask to drop a connection without answering. WSGI has no way to say that, so
the app marks the request (``DROP_KEY`` in its environ) and ``DropConnections`` raises
waitress's ``ClientDisconnected`` before a byte of the response is written: waitress then
closes the connection, and the client sees it closed with no response.

No client can hold the server: connections are cheap (waitress reads them on one loop, with
``poll``, thousands at once), a request whose headers take longer than ``header_timeout``
from its first byte, or that is not whole after ``body_timeout``, is closed, an idle
keep-alive connection after ``channel_timeout``, and a body larger than ``max_body`` is
refused from its ``Content-Length`` (or, chunked, from the bytes counted) before it is
read. Delayed requests run on threads of their own (``Delays``): ``threads`` serve the rest.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

from ..core.errors import error_body
from .flask_glue import DROP_KEY

log = logging.getLogger("mockserver")
ACCEPT_BATCH = 128  # connections taken from the listen backlog in one turn of the loop
# waitress warns on every queued task; under load that is thousands of lines a second, which
# slow the server down and drown the request log. Queueing is normal with more clients than
# threads, so only errors from that logger are kept.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class JsonErrorTask(ErrorTask):  # type: ignore[misc]
    """Errors waitress answers itself (a malformed request line, headers too large, a
    broken chunked body) in the contract's ``Error`` shape, like every other error."""

    def execute(self) -> None:
        error = self.request.error
        message = f"{error.reason}: {error.body}".strip().rstrip(":")
        if error.code == 413:  # worded as the app words it: waitress's limit is one more
            limit = self.channel.adj.max_request_body_size - 1
            message = f"The request body is larger than the limit of {limit} bytes."
        body = json.dumps(error_body(error.code, message)).encode("utf-8")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):  # type: ignore[misc]
    """A connection that remembers when the request it is reading began to arrive."""

    error_task_class = JsonErrorTask
    receiving_since: float | None = None

    def send_continue(self) -> None:
        """waitress answers ``Expect: 100-continue`` by waiting for a body, even when the
        request has none (a GET, ``Content-Length: 0``): the client then hangs until the
        body timeout. A request that is already whole gets its answer instead."""
        if self.request is not None and self.request.completed:
            self.request.expect_continue = False
            return
        super().send_continue()

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.receiving_since = time.monotonic()
        accepted: bool = super().received(data)
        if self.request is None:
            self.receiving_since = None
        return accepted

    def overdue(self, now: float, limits: Limits) -> bool:
        """Whether the request being read has taken longer than the limits allow."""
        since, request = self.receiving_since, self.request
        if since is None or request is None or request.completed:
            return False
        allowed = limits.body_timeout if request.headers_finished else limits.header_timeout
        return now - since > allowed


@dataclass(frozen=True)
class Limits:
    """What one client may take of the server (see the module's docstring)."""

    threads: int = 8
    delayed: int = 32  # more threads, for requests held by a delay
    connection_limit: int = 4096
    backlog: int = 1024
    channel_timeout: int = 30
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_body: int = 1 << 20
    grace: float = 5.0


class DropConnections:
    """WSGI middleware: turn the app's "drop this connection" mark into a closed socket."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        result = self.app(environ, start_response)
        if environ.get(DROP_KEY):
            if hasattr(result, "close"):
                result.close()
            raise ClientDisconnected("dropped on purpose by a fault rule")
        return result


class Server:
    def __init__(self, app: Any, host: str, port: int, limits: Limits | None = None) -> None:
        self.limits = limits = limits or Limits()
        self.grace = limits.grace
        self._stop = threading.Event()
        self._signal: str | None = None
        self._map: dict[int, Any] = {}
        self._next_sweep = 0.0
        self.waitress = create_server(
            DropConnections(app),
            map=self._map,
            host=host,
            port=port,
            threads=limits.threads + limits.delayed,
            connection_limit=limits.connection_limit,
            backlog=limits.backlog,
            channel_timeout=limits.channel_timeout,
            cleanup_interval=1,  # idle connections are looked at every second, not every 30
            max_request_body_size=limits.max_body + 1,  # waitress refuses from the limit on
            asyncore_use_poll=True,  # select() stops at 1,024 connections
            ident="mockserver",
            clear_untrusted_proxy_headers=True,
        )
        self.waitress.channel_class = JsonErrorChannel  # the connections it accepts from now
        self.waitress.handle_accept = self._accept_waiting(self.waitress.handle_accept)

    @property
    def port(self) -> int:
        return int(self.waitress.effective_port)

    @property
    def host(self) -> str:
        return str(self.waitress.effective_host)

    def install_signal_handlers(self, on_signal: Callable[[], None] | None = None) -> None:
        """Stop on SIGTERM/SIGINT; ``on_signal`` runs first (cutting delays short, say)."""

        def handle(signum: int, _frame: object) -> None:
            # No logging here: a handler may run while the main thread holds a logging lock.
            if on_signal is not None:
                on_signal()
            self._signal = signal.Signals(signum).name
            self.stop()

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, handle)

    def stop(self) -> None:
        """Ask the loop to stop; safe from a signal handler or another thread."""
        self._stop.set()
        self.waitress.pull_trigger()

    def serve(self, on_stop: Callable[[], None] | None = None) -> None:
        """Serve until ``stop``; then drain in-flight requests and run ``on_stop``."""
        loop = self.waitress.asyncore.loop
        while not self._stop.is_set():
            loop(timeout=0.5, map=self._map, use_poll=True, count=1)
            self._sweep()
        self.waitress.del_channel()
        self.waitress.socket.close()
        started = time.monotonic()
        in_flight = self._in_flight()
        log.info(
            "stopping%s: no new connections; finishing %d in-flight request(s) within %gs",
            f" on {self._signal}" if self._signal else "",
            in_flight,
            self.grace,
            extra={"fields": {"event": "stopping", "signal": self._signal,
                              "in_flight": in_flight, "grace_seconds": self.grace}},
        )
        deadline = started + self.grace
        while self._in_flight() and time.monotonic() < deadline:
            loop(timeout=0.05, map=self._map, use_poll=True, count=1)
        abandoned = self._in_flight()
        if abandoned:
            log.warning(
                "grace period of %gs over: closing %d unfinished request(s)",
                self.grace,
                abandoned,
                extra={"fields": {"event": "grace_expired", "abandoned": abandoned}},
            )
        self.waitress.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        if on_stop is not None:
            on_stop()
        for channel in list(self._map.values()):
            channel.close()
        drained = time.monotonic() - started
        log.info(
            "stopped after %.3fs",
            drained,
            extra={"fields": {"event": "stopped", "drain_seconds": round(drained, 3),
                              "abandoned": abandoned}},
        )

    def _accept_waiting(self, accept_one: Callable[[], None]) -> Callable[[], None]:
        """waitress accepts one connection per turn of its loop, and a turn costs a look at
        every open connection: with thousands open, the listen backlog would fill and new
        clients wait seconds. Take every connection that is waiting (up to a batch)."""

        def accept() -> None:
            for _ in range(ACCEPT_BATCH):
                before = len(self._map)
                accept_one()
                if len(self._map) == before or len(self._map) >= self.limits.connection_limit:
                    return

        return accept

    def _sweep(self) -> None:
        """Close, at most twice a second, the connections whose request is overdue."""
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + 0.5
        for channel in list(self._map.values()):
            if isinstance(channel, JsonErrorChannel) and channel.overdue(now, self.limits):
                channel.will_close = True
                channel.receiving_since = None

    def _in_flight(self) -> int:
        """How many connections have a request arriving, running, or its answer unsent.

        Idle keep-alive connections are told to close now: they hold no request.
        """
        busy = 0
        for channel in list(self._map.values()):
            if not isinstance(channel, HTTPChannel):
                continue
            if channel.request is not None or channel.requests or channel.total_outbufs_len:
                busy += 1
            else:
                channel.will_close = True
        return busy
