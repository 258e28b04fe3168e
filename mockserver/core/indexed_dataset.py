"""A dataset that changes, with its list index kept exact through the changes it is told of.

The operations read and change ``data`` and report each change; the index then moves only
the records the change names, or is dropped and rebuilt on next use when the change is not
described. Whoever holds the data (a sandbox session, a dry run's copy) holds one of these.
"""

from __future__ import annotations

from .dataset import Dataset
from .query_index import CallTrackingIndex, Change


class IndexedDataset:
    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.version = 0  # bumped on every change, for persistence and tests
        self._index: CallTrackingIndex | None = None

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
        records = self.data.call_trackings
        reinserted = any(i not in records for i in change.before)
        records.update(change.before)
        if reinserted:  # back in id order, as the dataset keeps its records
            ordered = sorted(records.items())
            records.clear()
            records.update(ordered)
        for record_id in change.changed - change.before.keys():
            records.pop(record_id, None)  # created by the change: gone again
        self.changed(Change(changed=frozenset(change.before), deleted=change.changed
                            - change.before.keys()))

    def call_tracking_index(self) -> CallTrackingIndex:
        """The index over the call trackings, built on first use."""
        if self._index is None or self._index.records is not self.data.call_trackings:
            self._index = CallTrackingIndex(self.data.call_trackings)
        return self._index
