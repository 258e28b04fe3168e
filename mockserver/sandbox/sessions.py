"""Sessions of data: each one a private view of the seeded baseline, behind its own lock.

The default session (no ``X-Mock-Session`` header) is what most clients share. A named
session is created from the baseline on first use, so parallel testers never see each
other's changes. A session shares the baseline's records and list index until it first
changes something (copy on write, ``core/indexed_dataset.py``): making one costs nothing at
any size of data, and a reset to the baseline is sharing it again. Sessions are bounded in
number and idle time; the oldest idle session is evicted first so that no client can
exhaust memory.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..core.dataset import Dataset
from ..core.errors import ApiError, BadRequest, Problem, ServiceUnavailable
from ..core.indexed_dataset import IndexedDataset
from ..core.query_index import Change
from .faults import Faults
from .journal import Journal

DEFAULT_SESSION = "default"
SESSION_HEADER = "X-Mock-Session"
# Names appear in URLs, logs and file names: keep them short and plain.
SESSION_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_SESSION_NAME = re.compile(SESSION_NAME_PATTERN)
_SESSION_NUMBERS = itertools.count(1)


def session_name(value: str | None, location: str = "header", name: str = SESSION_HEADER) -> str:
    """The session a request names (the default without one), or a 400 saying what is wrong."""
    if value is None:
        return DEFAULT_SESSION
    if not _SESSION_NAME.match(value):
        shown = value if len(value) <= 80 else value[:80] + "..."
        reason = (f"{shown!r} is not a session name: 1 to 64 letters, digits, '.', '_' or '-', "
                  "starting with a letter or digit")
        raise BadRequest("The session name is not valid.", [Problem(location, name, reason)])
    return value


class WriteConflict(ServiceUnavailable):
    """Another replica changed the session first (``shared_store``): the change was undone,
    and the pipeline runs the operation again on the newer data."""

    def __init__(self) -> None:
        super().__init__("Other replicas kept changing this session at the same moment; "
                         "nothing was changed. Try again.", headers={"Retry-After": "1"})


class Session(IndexedDataset):
    """A named view of the data (shared until written), with its own lock, fault rules and
    request journal."""

    def __init__(
        self,
        name: str,
        data: Dataset | IndexedDataset,
        seed: int = 0,
        journal: Journal | None = None,
        last_used: float | None = None,
    ) -> None:
        if isinstance(data, IndexedDataset):
            super().__init__(data.data)
            self.share(data)
        else:
            super().__init__(data)
        self.name = name
        self.seed = seed  # the seed the data came from; fault draws start from it too
        self.journal = journal if journal is not None else Journal(200)
        self.faults = Faults(seed, name)
        self.lock = threading.RLock()
        self.last_used = time.monotonic() if last_used is None else last_used
        self.uid = next(_SESSION_NUMBERS)  # never reused: a remade session is another one

    @property
    def link_name(self) -> str | None:
        """The name recording URLs carry (browsers' audio cannot send headers); the default
        session needs none."""
        return None if self.name == DEFAULT_SESSION else self.name


class Store:
    def __init__(
        self,
        baseline: Dataset,
        max_sessions: int = 100,
        idle_seconds: float = 3600.0,
        on_change: Callable[[Session], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int = 0,
        journal_size: int = 200,
    ) -> None:
        self.baseline = baseline
        self.shared_baseline = IndexedDataset(baseline)  # never written: sessions copy first
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.on_change = on_change
        self.seed = seed
        self.journal_size = journal_size
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._pending: dict[str, threading.Event] = {}  # names whose copy is being made
        self._sessions[DEFAULT_SESSION] = self._new(DEFAULT_SESSION, clock())

    def session(self, name: str | None = None) -> Session:
        """The named session, created from the baseline on first use.

        Callers create sessions only for authenticated requests (see the pipelines). A
        session is made outside the store's lock, so that making one never stalls the
        requests of the others; two first requests for one name share one session.
        """
        name = name or DEFAULT_SESSION
        now = self._clock()
        with self._lock:
            self._expire(now)
            found = self._sessions.get(name)
            if found is not None:
                return self._used(found, now)
            pending = self._pending.get(name)
            creating = pending is None
            if pending is None:
                pending = self._pending[name] = threading.Event()
        if not creating:
            pending.wait()
            return self.session(name)
        try:
            made = self._new(name, now)
        finally:
            with self._lock:
                del self._pending[name]
            pending.set()
        with self._lock:
            existing = self._sessions.get(name)  # only if a reset made it meanwhile
            if existing is not None:
                return self._used(existing, now)
            self._make_room()
            self._sessions[name] = made
            return self._used(made, now)

    def at_hand(self, name: str) -> Session | None:
        """The session, counted as used, if it can be had without waiting: it exists in
        this process and needs nothing from elsewhere. None means ``session()`` is needed
        (to make it, or, with replicas, to bring it up to date first)."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            found = self._sessions.get(name)
            return None if found is None else self._used(found, now)

    def warm_up(self) -> threading.Thread:
        """Build the baseline's default list order now, in the background: every session
        reads it until it writes, and the first list request would otherwise build it
        (about 50 ms at 100,000 records)."""
        index = self.shared_baseline.call_tracking_index
        thread = threading.Thread(target=lambda: index().order("id"), name="warm-up",
                                  daemon=True)
        thread.start()
        return thread

    def refresh(self, session: Session, create: bool = True) -> bool:
        """Bring ``session`` up to date with what other replicas did: nothing to do when the
        sessions live in this process alone (``shared_store`` does more)."""
        return True

    def journal_of(self, name: str) -> Journal | None:
        """The session's journal, without creating the session or counting a use."""
        found = self.find(name)
        return None if found is None else found.journal

    def backend_health(self) -> dict[str, Any] | None:
        """How the shared state backend is doing; None for this process's memory."""
        return None

    def _used(self, session: Session, now: float) -> Session:
        session.last_used = now
        self._sessions.move_to_end(session.name)
        return session

    def find(self, name: str) -> Session | None:
        """The session if it exists, without creating it or counting as a use."""
        with self._lock:
            return self._sessions.get(name)

    def names(self) -> list[str]:
        """The sessions that exist now: those idle too long are dropped first."""
        with self._lock:
            self._expire(self._clock())
            return list(self._sessions)

    def replace(self, session: Session, data: Dataset | None, seed: int | None = None) -> None:
        """Swap a session's data whole (``None``: back to sharing the baseline; or an
        import, new generated data): readers see old or new, never a mix.

        If the change cannot be kept (the state file cannot be written), the old data is put
        back and the error raised: nothing was changed.
        """
        with session.lock:
            old_data, old_shared, old_seed = session.data, session.shares, session.seed
            if data is None:
                session.share(self.shared_baseline)
            else:
                session.own(data)
            if seed is not None:
                session.seed = seed
            try:
                self.notify(session)
            except ApiError:
                if old_shared is not None:
                    session.share(old_shared)
                else:
                    session.own(old_data)
                session.seed = old_seed
                session.changed()
                raise

    def _new(self, name: str, now: float) -> Session:
        return Session(name, self.shared_baseline, seed=self.seed,
                       journal=Journal(self.journal_size), last_used=now)

    def notify(self, session: Session, change: Change | None = None) -> None:
        """Call after every change to a session's data, naming the changed call trackings
        when known (the list index then stays built).

        The change hook (the state file) may refuse the change with an ``ApiError``: the
        records the change names are then put back as they were, and the error raised, so
        that nothing is answered as done that was not kept.
        """
        session.changed(change)
        if self.on_change is None:
            return
        try:
            self.on_change(session)
        except ApiError:
            if change is not None:
                session.revert(change)
            raise

    def _expire(self, now: float) -> None:
        """Drop the named sessions idle too long. The sessions are kept least recently used
        first, so the look stops at the first one still in use: no cost per request."""
        stale = []
        for name, s in self._sessions.items():
            if now - s.last_used <= self.idle_seconds:
                break
            if name != DEFAULT_SESSION:
                stale.append(name)
        for name in stale:
            del self._sessions[name]

    def _make_room(self) -> None:
        """Evict the least recently used named sessions until a new one fits."""
        while len(self._sessions) >= self.max_sessions + 1:  # +1: the default never counts
            victim = next(n for n in self._sessions if n != DEFAULT_SESSION)
            del self._sessions[victim]
