"""A dataset that changes, with its list index kept exact through the changes it is told of.

The operations read and change ``data`` and report each change; the index then moves only
the records the change names, or is dropped and rebuilt on next use when the change is not
described. Whoever holds the data (a sandbox session, a dry run's copy) holds one of these.

Copy on write: a holder may *share* another's data and index (a new session shares the
seeded baseline, a dry run its session) and reads them until it first writes. Only then,
in ``writable``, does it take its own call-tracking table and its own copy of the index
built so far: references, not records, because handlers replace a record, never edit one,
and no operation changes users, leads or properties, which stay shared for good. So a new
session costs nothing until it changes something, at any size of data.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from .dataset import Dataset
from .model import CallTracking
from .query_index import CallTrackingIndex, Change


class IndexedDataset:
    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.version = 0  # bumped on every change, for persistence and tests
        self._index: CallTrackingIndex | None = None
        self._shared: IndexedDataset | None = None  # whose data this reads until it writes
        self._building = threading.Lock()  # one build of the index, however many readers

    @classmethod
    def sharing(cls, source: IndexedDataset) -> IndexedDataset:
        """A holder that reads ``source``'s data and index until its first write."""
        made = cls(source.data)
        made.share(source)
        return made

    def share(self, source: IndexedDataset) -> None:
        """Read ``source``'s data and index from now on, until the next write.

        ``source`` must not change meanwhile, or must only change under a lock that the
        readers of this holder take too (a dry run shares its session under its lock).
        """
        while source._shared is not None:  # share the owner, never a chain of sharers
            source = source._shared
        self.data, self._index, self._shared = source.data, None, source

    def own(self, data: Dataset) -> None:
        """Hold ``data`` as this holder's own (an import, a reset to new data)."""
        self.data, self._index, self._shared = data, None, None

    @property
    def shares(self) -> IndexedDataset | None:
        """The holder whose data this one reads, or None once it has its own."""
        return self._shared

    def writable(self) -> Dataset:
        """The data, for a handler about to change it: this holder's own from now on."""
        source = self._shared
        if source is not None:
            self._shared = None
            records = dict(source.data.call_trackings)
            self.data = replace(source.data, call_trackings=records)
            index = source._index
            self._index = None if index is None else index.copy(records)
        return self.data

    def changed(self, change: Change | None = None) -> None:
        """Count the change; keep the index exact by moving what ``change`` names, or drop
        it when the change is not described."""
        self.version += 1
        if self._index is None:
            return
        if (
            change is None
            or self._index.records is not self.data.call_trackings
            or not self._index.apply(change)
        ):
            self._index = None

    def revert(self, change: Change) -> None:
        """Put back every record ``change`` replaced or deleted, as it was before it."""
        records = self.writable().call_trackings
        reinserted = any(i not in records for i in change.before)
        records.update(change.before)
        if reinserted:
            keep_id_order(records)
        for record_id in change.changed - change.before.keys():
            records.pop(record_id, None)  # created by the change: gone again
        self.changed(Change(changed=frozenset(change.before), deleted=change.changed
                            - change.before.keys()))

    def call_tracking_index(self) -> CallTrackingIndex:
        """The index over the call trackings (the shared one while sharing), built on first
        use, once: concurrent first readers wait for one build instead of each building."""
        if self._shared is not None:
            return self._shared.call_tracking_index()
        index = self._index
        if index is None or index.records is not self.data.call_trackings:
            with self._building:
                index = self._index
                if index is None or index.records is not self.data.call_trackings:
                    index = self._index = CallTrackingIndex(self.data.call_trackings)
        return index


def keep_id_order(records: dict[int, CallTracking]) -> None:
    """Put records added at the end back in id order, as the dataset keeps its records."""
    ordered = sorted(records.items())
    records.clear()
    records.update(ordered)
