"""Serving the WSGI app with waitress, in one process, with a graceful stop.

One process because the state is in memory. On SIGTERM or SIGINT the server stops
accepting connections, lets in-flight requests finish and flush (up to ``grace`` seconds),
runs the ``on_stop`` callbacks (saving state, for instance), and returns.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import create_server

log = logging.getLogger("mockserver")
# waitress warns on every queued task; under load that is thousands of lines a second, which
# slow the server down and drown the request log. Queueing is normal with more clients than
# threads, so only errors from that logger are kept.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class Server:
    def __init__(self, app: Any, host: str, port: int, threads: int, grace: float = 10.0) -> None:
        self.grace = grace
        self._stop = threading.Event()
        self._map: dict[int, Any] = {}
        self.waitress = create_server(
            app,
            map=self._map,
            host=host,
            port=port,
            threads=threads,
            ident="mockserver",
            clear_untrusted_proxy_headers=True,
            channel_timeout=120,
        )

    @property
    def port(self) -> int:
        return int(self.waitress.effective_port)

    @property
    def host(self) -> str:
        return str(self.waitress.effective_host)

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())

    def stop(self) -> None:
        """Ask the loop to stop; safe from a signal handler or another thread."""
        self._stop.set()
        self.waitress.pull_trigger()

    def serve(self, on_stop: Callable[[], None] | None = None) -> None:
        """Serve until ``stop``; then drain in-flight requests and run ``on_stop``."""
        loop = self.waitress.asyncore.loop
        while not self._stop.is_set():
            loop(timeout=0.5, map=self._map, use_poll=True, count=1)
        log.info("stopping: no new connections, finishing in-flight requests")
        self.waitress.del_channel()
        self.waitress.socket.close()
        deadline = time.monotonic() + self.grace
        while self._busy() and time.monotonic() < deadline:
            loop(timeout=0.05, map=self._map, use_poll=True, count=1)
        self.waitress.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        if on_stop is not None:
            on_stop()
        for channel in list(self._map.values()):
            channel.close()
        log.info("stopped")

    def _busy(self) -> bool:
        """Whether any connection still has a request running or bytes to send."""
        busy = False
        for channel in list(self._map.values()):
            if not isinstance(channel, HTTPChannel):
                continue
            if channel.requests or channel.total_outbufs_len:
                busy = True
            else:
                channel.will_close = True  # idle keep-alive connections close now
        return busy
