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

    def call_tracking_index(self) -> CallTrackingIndex:
        """The index over the call trackings, built on first use."""
        if self._index is None or self._index.records is not self.data.call_trackings:
            self._index = CallTrackingIndex(self.data.call_trackings)
        return self._index
