"""Checked answers to repeated reads, reused until anything that shapes them changes.

A list page costs its rendering, its encoding and its check against the contract: about
1.4 ms for 100 items, every time, although a frontend asks for the same page again and
again. This cache keeps the answer of a successful read, after it was checked, under a key
that holds everything the answer is made from:

- the session (a number unique to the session object, so a session dropped and made again
  never meets the old one's answers) and the version of its data, which every change bumps
  before the change is acknowledged: the very next request sees the change;
- the caller, as the persona its credentials resolved to (rights and user included);
- the operation, the path, the query string exactly as sent, the value of every header the
  operation declares (the expand header, say), and the base URL the links are built on.

Whatever is not in the key does not shape the answer: the handlers read only the checked
parameters, the session's data and the caller, and the request check reads only the path,
the query and the declared headers (a read with a body, or a ``Prefer`` header, is never
cached). Faults, delays, authentication and rights run before the lookup on every request,
and the log line and the journal get every request too.

Bounded: at most ``max_entries`` answers and ``max_bytes`` of bodies, least recently used
dropped first; an answer larger than a quarter of the bytes is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from ..core.http import HttpResponse

DEFAULT_ENTRIES = 2048
DEFAULT_BYTES = 64 << 20


class ResponseCache:
    def __init__(self, max_entries: int = DEFAULT_ENTRIES, max_bytes: int = DEFAULT_BYTES):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, HttpResponse] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> HttpResponse | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, response: HttpResponse) -> None:
        size = len(response.data or b"")
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.data or b"")
            self._entries[key] = response
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.data or b"")

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes
