"""Waits that a shutting-down server can cut short, and that never take every thread.

Faults and ``Prefer: delay=`` hold a request on purpose, on one of the server's threads. At
most ``limit`` requests are held at once; the server runs that many threads more than it
serves with, so delays never slow the requests of others (health among them), and a
request beyond the limit is refused at once instead of waiting for a place. On SIGTERM the
server cancels every wait, and the delayed requests are answered straight away.
"""

from __future__ import annotations

import threading


class Delays:
    def __init__(self, limit: int = 32) -> None:
        self.limit = limit
        self.held = 0  # requests waiting now (health shows it)
        self._lock = threading.Lock()
        self._cancelled = threading.Event()

    def wait(self, milliseconds: int) -> bool:
        """Hold the caller for ``milliseconds``; False, at once, if ``limit`` already wait."""
        if milliseconds <= 0:
            return True
        with self._lock:
            if self.held >= self.limit:
                return False
            self.held += 1
        try:
            self._cancelled.wait(milliseconds / 1000)
        finally:
            with self._lock:
                self.held -= 1
        return True

    def cancel(self) -> None:
        self._cancelled.set()
