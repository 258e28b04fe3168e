"""Waits that a shutting-down server can cut short, so that draining never stalls.

Faults and ``Prefer: delay=`` hold a request on purpose; on SIGTERM the server cancels
every such wait at once, and the delayed requests are answered straight away.
"""

from __future__ import annotations

import threading


class Delays:
    def __init__(self) -> None:
        self._cancelled = threading.Event()

    def wait(self, milliseconds: int) -> None:
        if milliseconds > 0:
            self._cancelled.wait(milliseconds / 1000)

    def cancel(self) -> None:
        self._cancelled.set()
