"""Sessions shared by every replica through Redis (``--state-backend redis``).

Each replica keeps what the memory store keeps (each session's data and list index, so a
page is still served from memory) and Redis keeps the truth (``redis_state``). Before a
request uses a session, the replica asks Redis what it has not seen, in one round trip,
and applies it: usually nothing; else the changes other replicas made, each carrying its
resolved records and timestamps, so every replica computes the same data; after a reset or
an import, the new data whole. A change is kept only if its replica was current when it
made it (``append`` checks the version atomically); else it is undone, the replica
catches up and the operation runs again (``WriteConflict``), so concurrent writes through
different replicas are serialised, never lost, never half-applied. Fault rules, their
draws, the journal, expiry and eviction live in Redis too. When Redis cannot be reached, a
request that needs state gets a 503 and nothing is changed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from ..core.dataset import Dataset
from ..core.http import RequestRecord
from ..core.indexed_dataset import keep_id_order
from ..core.query_index import Change
from ..data.fixtures import KINDS, stored_form
from ..data.snapshots import dataset_document, trusted_dataset
from .faults import NO_FAULT, FaultDecision, Faults, _draw, _rule_of
from .journal import Journal, entry_of
from .redis_state import OriginMismatch, RedisState, Seen, StateUnavailable
from .sessions import DEFAULT_SESSION, Session, Store, WriteConflict

log = logging.getLogger("mockserver")
MIN_COMPACT_CHANGES = 1000  # a snapshot is taken when the log is longer than this...
COMPACT_SHARE = 20  # ...and than one change per 20 records


class SharedFaults(Faults):
    """Fault rules kept in Redis; each draw numbered across replicas, so that the n-th
    request a rule sees has the same fate whichever replica serves it."""

    def __init__(self, seed: int, session: str, state: RedisState) -> None:
        super().__init__(seed, session)
        self.state = state
        self.revision = 0
        self._taken: dict[str, int] = {}  # draws made on this replica's generators

    def replace(self, rules: list[Any], seed: int | None = None) -> None:
        """Install the rules for every replica (the admin endpoints call this)."""
        document = {"seed": self.seed if seed is None else seed,
                    "rules": [r.to_json() for r in rules]}
        revision = self.state.set_faults(self.session, json.dumps(document))
        if revision is not None:
            self.load(document, revision)

    def load(self, document: dict[str, Any] | None, revision: int) -> None:
        """The rules another replica installed (``None``: none yet)."""
        rules = [] if document is None else [_rule_of(item) for item in document["rules"]]
        Faults.replace(self, rules, None if document is None else document["seed"])
        self.revision = revision
        self._taken = {}

    def decide(self, operation_id: str) -> FaultDecision:
        with self._lock:
            key, rule = self.matching(operation_id)
        if rule is None:
            return NO_FAULT
        number = self.state.draw(self.session, key)
        with self._lock:
            if self._rules.get(key) is not rule:  # replaced meanwhile: the new rule decides
                return NO_FAULT
            taken = self._taken.get(key, 0)
            if taken >= number:  # a later draw was made here first: replay from the start
                self._draws[key].seed(f"{self.seed}:{self.session}:{key}")
                taken = 0
            for _ in range(number - 1 - taken):
                _draw(rule, self._draws[key])
            self._taken[key] = number
            return _draw(rule, self._draws[key])


class SharedJournal(Journal):
    """The session's journal in Redis: every replica adds to it, every replica reads it."""

    def __init__(self, size: int, session: str, state: RedisState) -> None:
        super().__init__(size)
        self.session = session
        self.state = state

    def add(self, record: RequestRecord) -> None:
        text = json.dumps(entry_of(0, record), ensure_ascii=False, separators=(",", ":"))
        try:
            self.state.journal_add(self.session, text, self.size)
        except StateUnavailable as exc:  # the request was answered 503 for the same reason
            log.debug("journal entry not kept: %s", exc.message)

    def newest_first(self, limit: int | None = None, after: int = 0) -> list[dict[str, Any]]:
        entries = []
        for number, text in reversed(self.state.journal(self.session)):
            if number > after:
                entry = json.loads(text)
                entry["id"] = number
                entries.append(entry)
        return entries if limit is None else entries[:limit]

    def clear(self) -> None:
        self.state.journal_clear(self.session)


class SharedSession(Session):
    """A session as this replica last saw it in Redis."""

    def __init__(self, name: str, store: SharedStore, last_used: float) -> None:
        super().__init__(name, store.shared_baseline, seed=store.seed,
                         journal=SharedJournal(store.journal_size, name, store.state),
                         last_used=last_used)
        self.faults: SharedFaults = SharedFaults(store.seed, name, store.state)
        self.gen: str | None = None  # the generation seen; None: not synced yet
        self.synced = 0  # the version of that generation this replica's data is at
        self.compaction: threading.Thread | None = None  # the snapshot being taken, if any


class SharedStore(Store):
    """The ``Store`` of a replica: sessions in Redis, their data and index here too."""

    def __init__(self, baseline: Dataset, state: RedisState, max_sessions: int = 100,
                 idle_seconds: float = 3600.0, seed: int = 0, journal_size: int = 200,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.state = state
        self._wall_clock = wall_clock
        super().__init__(baseline, max_sessions, idle_seconds, seed=seed,
                         journal_size=journal_size)

    def _new(self, name: str, now: float) -> Session:
        return SharedSession(name, self, now)

    def session(self, name: str | None = None) -> Session:
        found = self._synced(name or DEFAULT_SESSION, create=True)
        assert found is not None
        return found

    def at_hand(self, name: str) -> Session | None:
        """Never: every use of a session asks Redis first (one round trip, which may wait)."""
        return None

    def find(self, name: str) -> Session | None:
        return self._synced(name, create=name == DEFAULT_SESSION)

    def _synced(self, name: str, create: bool) -> Session | None:
        local = super().session(name)  # this replica's copy: made (sharing) on first use
        if self.refresh(local, create):
            return local
        with self._lock:  # gone from Redis (expired, evicted): forget it here too
            if self._sessions.get(name) is local:
                del self._sessions[name]
        return None

    def names(self) -> list[str]:
        return self.state.names(self._wall_clock(), self.idle_seconds)

    def refresh(self, session: Session, create: bool = True) -> bool:
        """Bring the session up to what Redis holds (one round trip); False if Redis has
        no such session and ``create`` is false."""
        assert isinstance(session, SharedSession)
        with session.lock:
            seen = self.state.sync(
                session.name, create, session.gen, session.synced, session.faults.revision,
                secrets.token_hex(8), self.seed, self._wall_clock(), self.idle_seconds,
                self.max_sessions)
            if seen is None:
                return False
            self._apply(session, seen)
        return True

    def _apply(self, session: SharedSession, seen: Seen) -> None:
        if seen.snapshot is not None:
            if seen.snapshot:
                session.own(trusted_dataset(seen.snapshot))
            else:
                session.share(self.shared_baseline)
            session.changed()
            session.gen, session.synced = seen.gen, seen.base
        for text in seen.changes:
            apply_change(session, json.loads(text))
            session.synced += 1
        session.seed = seen.seed
        if seen.faults is not None:
            session.faults.load(json.loads(seen.faults) if seen.faults else None,
                                seen.faults_revision)

    def notify(self, session: Session, change: Change | None = None) -> None:
        """Keep the change in Redis before it is answered; undo it if another replica
        changed the session first (``WriteConflict``) or Redis cannot be reached."""
        assert isinstance(session, SharedSession) and session.gen is not None
        assert change is not None, "handlers describe their changes"
        session.changed(change)
        records = session.data.call_trackings
        document = json.dumps({
            "changed": [stored_form("call_trackings", records[i])
                        for i in sorted(change.changed) if i in records],
            "deleted": sorted(change.deleted),
        }, ensure_ascii=False, separators=(",", ":"))
        try:
            kept = self.state.append(session.name, session.gen, session.synced, document)
        except StateUnavailable:
            session.revert(change)
            raise
        if kept is None:
            session.revert(change)
            raise WriteConflict()
        session.synced, length = kept
        if length > max(MIN_COMPACT_CHANGES, len(records) // COMPACT_SHARE):
            self._compact_soon(session)

    def replace(self, session: Session, data: Dataset | None, seed: int | None = None) -> None:
        """A reset or an import, for every replica: Redis first, then this replica."""
        assert isinstance(session, SharedSession)
        with session.lock:
            seed = session.seed if seed is None else seed
            gen = secrets.token_hex(8)
            document = "" if data is None else dataset_document(data)
            self.state.replace(session.name, gen, document, seed, self._wall_clock())
            if data is None:
                session.share(self.shared_baseline)
            else:
                session.own(data)
            session.seed, session.gen, session.synced = seed, gen, 0
            session.changed()

    def journal_of(self, name: str) -> Journal | None:
        """The journal needs no sync: it is read and written in Redis."""
        with self._lock:
            found = self._sessions.get(name)
        return None if found is None else found.journal

    def backend_health(self) -> dict[str, Any]:
        with contextlib.suppress(StateUnavailable):
            self.state.ping()
        return {"kind": "redis", "reachable": self.state.failure is None,
                "error": self.state.failure}

    def _compact_soon(self, session: SharedSession) -> None:
        """A new snapshot in the background, so that a replica catching up replays a short
        log; one at a time per session."""
        if session.compaction is not None:
            return
        gen, version = session.gen, session.synced
        data = session.data
        frozen = Dataset(data.users, data.leads, data.properties, dict(data.call_trackings))

        def compact() -> None:
            try:
                assert gen is not None
                self.state.compact(session.name, gen, version, dataset_document(frozen))
            except StateUnavailable as exc:
                log.warning("could not compact session %s: %s", session.name, exc.message)
            finally:
                session.compaction = None

        session.compaction = threading.Thread(target=compact, name="compact", daemon=True)
        session.compaction.start()


def agree_on_origin(state: RedisState, mine: dict[str, Any]) -> str:
    """The start every replica's data ends at: the first replica's. ``OriginMismatch``
    names each option this replica was started with that differs from the first's."""
    first = state.claim_origin(mine)
    differing = sorted(k for k in mine.keys() | first.keys()
                       if k != "started" and mine.get(k) != first.get(k))
    if differing:
        shown = "; ".join(f"{k}: {mine.get(k)!r} here, {first.get(k)!r} in Redis"
                          for k in differing)
        raise OriginMismatch("this replica would not hold the same sandbox as the others "
                             f"on {state.url}: {shown}")
    return str(first["started"])


def apply_change(session: Session, change: dict[str, Any]) -> None:
    """A change another replica made, applied as the handler applied it there."""
    records = session.writable().call_trackings
    before = {}
    created = False
    for item in change["changed"]:
        record = KINDS["call_trackings"].from_json(item)
        old = records.get(record.id)
        if old is None:
            created = True
        else:
            before[record.id] = old
        records[record.id] = record
    for record_id in change["deleted"]:
        old = records.pop(record_id, None)
        if old is not None:
            before[record_id] = old
    if created:
        keep_id_order(records)
    session.changed(Change(changed=frozenset(r["id"] for r in change["changed"]),
                           deleted=frozenset(change["deleted"]), before=before))
