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
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

from ..core.errors import error_body
from .flask_glue import DROP_KEY

log = logging.getLogger("mockserver")
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
        body = json.dumps(error_body(error.code, message)).encode("utf-8")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):  # type: ignore[misc]
    error_task_class = JsonErrorTask


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
    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        threads: int = 8,
        *,
        grace: float = 5.0,
        connection_limit: int = 100,
        backlog: int = 1024,
        channel_timeout: int = 120,
    ) -> None:
        self.grace = grace
        self._stop = threading.Event()
        self._signal: str | None = None
        self._map: dict[int, Any] = {}
        self.waitress = create_server(
            DropConnections(app),
            map=self._map,
            host=host,
            port=port,
            threads=threads,
            connection_limit=connection_limit,
            backlog=backlog,
            channel_timeout=channel_timeout,
            ident="mockserver",
            clear_untrusted_proxy_headers=True,
        )
        self.waitress.channel_class = JsonErrorChannel  # the connections it accepts from now

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
