"""The HTTP server: one process, an asyncio event loop, worker threads, a graceful stop.

One process because the state is in memory. The loop accepts and reads every connection
(``connection``); each whole request goes to the ``Handler``, which either answers on the
loop, when that cannot wait (the mock's kept answers to repeated reads: no lock held for
long, no sleep, no I/O), or hands back work that ``threads`` worker threads run, plus one
per delayed request. So a read answered before costs the loop tens of microseconds and no
thread switch, and nothing slow ever runs on the loop.

On SIGTERM or SIGINT the server stops accepting connections, lets in-flight requests finish
and flush (up to ``grace`` seconds), runs the ``on_stop`` callback (saving state, for
instance), and returns, so the command exits 0 within a known bound: what an
orchestrator's stop timeout needs. A request counts as in flight from its first byte: one
whose body is still arriving is finished too, not cut off, as long as it completes within
the grace period.

No client can hold the server: connections are cheap (one loop reads thousands at once;
past ``connection_limit`` more wait in the listen backlog), a request whose headers take
longer than ``header_timeout`` from its first byte, or that is not whole after
``body_timeout``, is closed, as is an idle keep-alive connection after ``channel_timeout``
or one that does not read its answer for as long; a body larger than ``max_body`` is refused
from its ``Content-Length`` (or, chunked, from the bytes counted) before it is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from .connection import Connection, Limits, refusal_reply
from .exchange import DateHeader, Exchange, Handler, Reply

log = logging.getLogger("mockserver")
ACCEPT_BATCH = 128  # connections taken from the listen backlog in one turn of the loop
SWEEP_SECONDS = 0.5  # how often overdue connections are looked for
WORKERS_STOP_SECONDS = 1.0  # how long the stop waits for a worker still running


class Workers:
    """Daemon threads running the work handlers hand back.

    The thread idle the shortest time takes the next job (a stack, not a queue): under a
    light load the same few threads do all the work, so memory freed by one request is
    reused by the next instead of being kept by every thread's allocator arena (parsing a
    700 KB body on forty threads in turn held 40 MB more). A stop waits a bounded time for
    jobs still running: a daemon thread never holds the process's exit.
    """

    def __init__(self, count: int, name: str = "mockserver-worker") -> None:
        self._lock = threading.Lock()
        self._waiting: deque[Callable[[], None]] = deque()
        self._idle: list[_Worker] = []
        self._stopping = False
        self._threads = [_Worker(self, f"{name}-{n}") for n in range(count)]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._idle:
                self._idle.pop().give(job)
            else:
                self._waiting.append(job)

    def next_job(self, worker: _Worker) -> Callable[[], None] | None:
        """The job waiting longest, or None: the worker is idle (or told to stop)."""
        with self._lock:
            if self._waiting:
                return self._waiting.popleft()
            if not self._stopping:
                self._idle.append(worker)
            return None

    def stop(self, timeout: float) -> None:
        with self._lock:
            self._stopping = True
            self._waiting.clear()
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.give(None)
        for worker in self._threads:
            worker.give(None)  # one still running ends after its job
        deadline = time.monotonic() + timeout
        for worker in self._threads:
            worker.join(max(0.0, deadline - time.monotonic()))


class _Worker(threading.Thread):
    def __init__(self, pool: Workers, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._pool = pool
        self._given: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()

    def give(self, job: Callable[[], None] | None) -> None:
        self._given.put(job)

    def run(self) -> None:
        while True:
            job = self._pool.next_job(self)
            if job is None:
                job = self._given.get()
                if job is None:
                    return
            job()


class Server:
    def __init__(self, handler: Handler, host: str, port: int,
                 limits: Limits | None = None) -> None:
        self.handler = handler
        self.limits = limits = limits or Limits()
        self.grace = limits.grace
        self._date = DateHeader()
        self.stopping = False
        self._stop_asked = False
        self._signal: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._connections: set[Connection] = set()
        self._accepting = False
        self._connecting: set[asyncio.Future[None]] = set()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(limits.backlog)
            self.socket.setblocking(False)
        except OSError:
            self.socket.close()
            raise
        bound = self.socket.getsockname()
        self.address: tuple[str, int] = (str(bound[0]), int(bound[1]))
        self._workers: Workers | None = None

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def host(self) -> str:
        return self.address[0]

    def date(self) -> str:
        return self._date()

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None
        return self._loop

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
        """Ask the server to stop; safe from a signal handler or another thread."""
        self._stop_asked = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile: it is stopping
                loop.call_soon_threadsafe(wake.set)

    def serve(self, on_stop: Callable[[], None] | None = None) -> None:
        """Serve until ``stop``; then drain in-flight requests and run ``on_stop``."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._workers = Workers(self.limits.threads + self.limits.delayed)
        try:
            loop.run_until_complete(self._serve(on_stop))
        finally:
            loop.close()

    async def _serve(self, on_stop: Callable[[], None] | None) -> None:
        self._wake = asyncio.Event()
        if self._stop_asked:
            self._wake.set()
        self._accept(True)
        sweeper = asyncio.ensure_future(self._sweep_forever())
        await self._wake.wait()
        sweeper.cancel()
        started = time.monotonic()
        abandoned = await self._drain()
        assert self._workers is not None
        self._workers.stop(WORKERS_STOP_SECONDS)
        if on_stop is not None:
            on_stop()
        for connection in list(self._connections):
            connection.abort()
        await asyncio.sleep(0)  # the aborted transports tell their protocols
        drained = time.monotonic() - started
        log.info(
            "stopped after %.3fs",
            drained,
            extra={"fields": {"event": "stopped", "drain_seconds": round(drained, 3),
                              "abandoned": abandoned}},
        )

    async def _drain(self) -> int:
        """Stop accepting; wait (up to ``grace``) for every in-flight request to finish.
        How many were still unfinished then."""
        self._accept(False)
        self.socket.close()
        self.stopping = True
        in_flight = self._in_flight()
        log.info(
            "stopping%s: no new connections; finishing %d in-flight request(s) within %gs",
            f" on {self._signal}" if self._signal else "",
            in_flight,
            self.grace,
            extra={"fields": {"event": "stopping", "signal": self._signal,
                              "in_flight": in_flight, "grace_seconds": self.grace}},
        )
        assert self._wake is not None
        self._wake.clear()
        if in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.grace)
        abandoned = self._in_flight()
        if abandoned:
            log.warning(
                "grace period of %gs over: closing %d unfinished request(s)",
                self.grace,
                abandoned,
                extra={"fields": {"event": "grace_expired", "abandoned": abandoned}},
            )
        return abandoned

    # --- connections -----------------------------------------------------------------------

    def _accept(self, on: bool) -> None:
        """Listen for new connections, or stop (at the connection limit, or stopping)."""
        if on == self._accepting:
            return
        self._accepting = on
        if on:
            self.loop.add_reader(self.socket.fileno(), self._accept_waiting)
        else:
            self.loop.remove_reader(self.socket.fileno())

    def _accept_waiting(self) -> None:
        """Take every connection waiting in the backlog (up to a batch)."""
        for _ in range(ACCEPT_BATCH):
            if len(self._connections) >= self.limits.connection_limit:
                self._accept(False)
                return
            try:
                sock, _ = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors, say: try again later
                log.warning("cannot accept a connection: %s", exc)
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = Connection(self)
            self._connections.add(connection)  # counted now, so the limit holds
            task = asyncio.ensure_future(self._connect(sock, connection))
            self._connecting.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._connecting.discard)

    async def _connect(self, sock: socket.socket, connection: Connection) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: connection, sock)
        except OSError:
            sock.close()
            self.closed(connection)

    def opened(self, connection: Connection) -> None:
        self._connections.add(connection)

    def closed(self, connection: Connection) -> None:
        self._connections.discard(connection)
        if not self.stopping and len(self._connections) < self.limits.connection_limit:
            self._accept(True)
        self.settled(connection)

    def settled(self, connection: Connection) -> None:
        """A connection has nothing in flight: while stopping, close it; once none is left
        in flight, the drain is over."""
        if not self.stopping:
            return
        if not connection.in_flight():
            connection.close()
        if self._wake is not None and not self._in_flight():
            self._wake.set()

    def _in_flight(self) -> int:
        """How many connections have a request arriving, running, or its answer unsent;
        while stopping, the others (idle keep-alives) are closed."""
        busy = 0
        for connection in list(self._connections):
            if connection.in_flight():
                busy += 1
            elif self.stopping:
                connection.close()
        return busy

    async def _sweep_forever(self) -> None:
        """Close, twice a second, the connections that took longer than the limits allow."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = time.monotonic()
            for connection in list(self._connections):
                if connection.overdue(now):
                    connection.reset() if connection.write_paused else connection.abort()

    # --- answering -------------------------------------------------------------------------

    def answer(self, connection: Connection, exchange: Exchange) -> Reply | None:
        """The handler's answer if it gives one on the loop; else None, and the work runs
        on a worker thread, whose answer the connection gets through ``deliver``."""
        try:
            result = self.handler.respond(exchange)
        except Exception:
            log.exception("unexpected error answering %s %s", exchange.method, exchange.path)
            return refusal_reply(500, "Internal Server Error")
        if isinstance(result, Reply):
            return result
        loop, workers = self.loop, self._workers
        assert workers is not None

        def job() -> None:
            try:
                reply = result()
            except Exception:
                log.exception("unexpected error answering %s %s", exchange.method,
                              exchange.path)
                reply = refusal_reply(500, "Internal Server Error")
            with contextlib.suppress(RuntimeError):  # the loop closed: the server stopped
                loop.call_soon_threadsafe(connection.deliver, exchange, reply)

        workers.submit(job)
        return None
