"""Indexes over one dataset's call trackings: a page costs about its size, not the table's.

``query.run_query`` scans and filters every record, a third of a second at 100,000. This
index keeps, per sort key, the records in order, and per exact-match filter the ids for each
value, both built on first use. A request with one indexed filter (or none) then walks the
sorted order and stops at the end of its page; with several, it scans only the smallest
matching set. The pages are the ones ``run_query`` gives (tests/core/test_query_index.py).

``IndexedDataset`` keeps it exact: a handler names what it changed (``Change``) when it
reports the change, and the index moves exactly those records. A change without that detail
(a reset, an import) drops the index; the next list request rebuilds it.
"""

from __future__ import annotations

import copy
import threading
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import CallTracking, Lead, Property
from .query import SORT_FIELDS, SORT_KEYS, ListQuery, Page, build_predicates, cut_page, sort_key

EMPTY: frozenset[int] = frozenset()
MAX_MOVES = 256  # records moved one by one; a larger change rebuilds (if also > 1/32 of all)
FIELDS: dict[str, Callable[[CallTracking], Any]] = {
    "user_id": lambda ct: ct.user_id,
    "status": lambda ct: ct.status,
    "assigned": lambda ct: ct.lead_id is not None,
    "phone_digits": lambda ct: ct.phone_digits,
    "reference": lambda ct: ct.reference,
    "property_id": lambda ct: ct.property_id,
    "lead_id": lambda ct: ct.lead_id,
}


@dataclass(frozen=True)
class Change:
    """Which call trackings a handler changed (or created) and which it deleted; and, so
    that the change can be undone, each of those records as it was before (a handler
    replaces records, it never edits one in place)."""

    changed: frozenset[int] = EMPTY
    deleted: frozenset[int] = EMPTY
    before: Mapping[int, CallTracking] = field(default_factory=dict, compare=False, repr=False)


class SortedOrder:
    """The records ascending by one sort key.

    Each record's sort value is remembered (not its key tuple: a dict of values costs half
    the memory), so that a changed record can be found where its old value placed it.
    """

    def __init__(self, sort: str, records: Mapping[int, CallTracking]) -> None:
        self.attr, self.nullable = SORT_FIELDS[sort]
        self.value_of = {ct.id: getattr(ct, self.attr) for ct in records.values()}
        self.items = sorted(records.values(), key=SORT_KEYS[sort])

    def _stored(self, ct: CallTracking) -> tuple[Any, ...]:
        return sort_key(self.value_of[ct.id], ct.id, self.nullable)

    def remove(self, record_id: int) -> None:
        if record_id not in self.value_of:
            return
        old = sort_key(self.value_of[record_id], record_id, self.nullable)
        del self.items[bisect_left(self.items, old, key=self._stored)]
        del self.value_of[record_id]

    def copy(self) -> SortedOrder:
        """The same order, to move independently (the records themselves are shared)."""
        made = copy.copy(self)
        made.value_of, made.items = dict(self.value_of), list(self.items)
        return made

    def place(self, ct: CallTracking) -> None:
        value = getattr(ct, self.attr)
        new = sort_key(value, ct.id, self.nullable)
        self.items.insert(bisect_left(self.items, new, key=self._stored), ct)
        self.value_of[ct.id] = value


class Buckets:
    """The ids of the records for each value of one field.

    A value held by one record maps to its id alone: phone numbers and references are
    nearly unique, and a set per record would cost 20 MB at 100,000 records.
    """

    def __init__(self, value: Callable[[CallTracking], Any], records: Mapping[int, CallTracking]):
        self.value = value
        self.value_of: dict[int, Any] = {}
        self.ids: dict[Any, int | set[int]] = {}
        for ct in records.values():
            self.place(ct)

    def get(self, value: Any) -> set[int] | frozenset[int]:
        found = self.ids.get(value)
        if found is None:
            return EMPTY
        return frozenset((found,)) if isinstance(found, int) else found

    def copy(self) -> Buckets:
        """The same buckets, to change independently (the sets are copied, not shared)."""
        made = copy.copy(self)
        made.value_of = dict(self.value_of)
        made.ids = {v: set(i) if isinstance(i, set) else i for v, i in self.ids.items()}
        return made

    def remove(self, record_id: int) -> None:
        if record_id not in self.value_of:
            return
        old = self.value_of.pop(record_id)
        found = self.ids[old]
        if isinstance(found, int):
            del self.ids[old]
            return
        found.discard(record_id)
        if not found:
            del self.ids[old]

    def place(self, ct: CallTracking) -> None:
        value = self.value(ct)
        self.value_of[ct.id] = value
        found = self.ids.get(value)
        if found is None:
            self.ids[value] = ct.id
        elif isinstance(found, int):
            self.ids[value] = {found, ct.id}
        else:
            found.add(ct.id)


class CallTrackingIndex:
    """The structures built so far over one table of records.

    An index may be read by many sessions at once (all those sharing the baseline): each
    structure is built once under ``_building``, and copied under it too, so a copy never
    meets a half-added structure. Moving records (``apply``) is for the index's one owner,
    under its owner's lock.
    """

    def __init__(self, records: dict[int, CallTracking]) -> None:
        self.records = records
        self._orders: dict[str, SortedOrder] = {}
        self._buckets: dict[str, Buckets] = {}
        self._building = threading.Lock()
        self.last_plan = ""  # "walk", "sort" or "scan": how the last page was found

    def order(self, sort: str) -> SortedOrder:
        found = self._orders.get(sort)
        if found is None:
            with self._building:
                found = self._orders.get(sort)
                if found is None:
                    found = self._orders[sort] = SortedOrder(sort, self.records)
        return found

    def buckets(self, name: str) -> Buckets:
        found = self._buckets.get(name)
        if found is None:
            with self._building:
                found = self._buckets.get(name)
                if found is None:
                    found = self._buckets[name] = Buckets(FIELDS[name], self.records)
        return found

    def copy(self, records: dict[int, CallTracking]) -> CallTrackingIndex:
        """This index over ``records``, a copy of the table it indexes, for a new owner."""
        made = CallTrackingIndex(records)
        with self._building:
            made._orders = {k: order.copy() for k, order in self._orders.items()}
            made._buckets = {k: buckets.copy() for k, buckets in self._buckets.items()}
        return made

    def apply(self, change: Change) -> bool:
        """Move the changed records, drop the deleted ones, in every structure built.

        Returns False, changing nothing, when the change is so large that rebuilding is
        cheaper (each move shifts a list of every record): the caller drops the index.
        """
        gone = change.changed | change.deleted
        if len(gone) > max(MAX_MOVES, len(self.records) // 32):
            return False
        present = [self.records[i] for i in sorted(change.changed) if i in self.records]
        structures: list[SortedOrder | Buckets] = [*self._orders.values(), *self._buckets.values()]
        for structure in structures:
            for record_id in gone:
                structure.remove(record_id)
            for ct in present:
                structure.place(ct)
        return True

    def select(
        self,
        q: ListQuery,
        leads: Mapping[int, Lead],
        properties: Mapping[int, Property],
        owner: int | None = None,
    ) -> Page:
        """``run_query`` over the records (only ``owner``'s, if given), without a full scan."""
        preds = build_predicates(q, leads, properties)
        if owner is not None:
            preds.append(lambda ct: ct.user_id == owner)
        sets = self._candidate_sets(q, leads, properties, owner)
        if len(preds) <= 1 and (sets or not preds):
            # the one filter (if any) is indexed: its set is exactly the matches
            count = len(sets[0]) if sets else len(self.records)
            end = q.page * q.per_page
            if end * len(self.records) <= count * count * 4:
                return self._walk(q, preds, count)
            matched = [self.records[i] for i in sets[0]] if sets else list(self.records.values())
        else:
            pool = [self.records[i] for i in min(sets, key=len)] if sets else self.records.values()
            matched = [ct for ct in pool if all(p(ct) for p in preds)]
        self.last_plan = "sort" if len(preds) <= 1 else "scan"
        return Page(cut_page(matched, q), len(matched), q.page, q.per_page)

    def _walk(self, q: ListQuery, preds: list[Callable[[CallTracking], bool]], count: int) -> Page:
        """Follow the sort order, keeping matches, until the end of the page."""
        self.last_plan = "walk"
        start = (q.page - 1) * q.per_page
        items: list[CallTracking] = []
        if start < count:
            ordered = self.order(q.sort or "id").items
            sequence = reversed(ordered) if q.descending else iter(ordered)
            matches = (ct for ct in sequence if preds[0](ct)) if preds else sequence
            for position, ct in enumerate(matches):
                if position >= start:
                    items.append(ct)
                    if len(items) == q.per_page:
                        break
        return Page(items, count, q.page, q.per_page)

    def _candidate_sets(
        self,
        q: ListQuery,
        leads: Mapping[int, Lead],
        properties: Mapping[int, Property],
        owner: int | None,
    ) -> list[set[int] | frozenset[int]]:
        """For each indexed filter of the query, the ids that pass it."""
        sets = []
        for name, value in [("user_id", q.user_id), ("user_id", owner), ("status", q.status),
                            ("reference", q.reference), ("lead_id", q.lead_id)]:
            if value is not None:
                sets.append(self.buckets(name).get(value))
        if q.state is not None:
            sets.append(self.buckets("assigned").get(q.state == "assigned"))
        if q.phone_digits is not None:
            sets.append(self.buckets("phone_digits").get(q.phone_digits or None))
        sets.extend(self.buckets("property_id").get(i) for i in q.property_ids)
        if q.property_reference is not None:
            ids = [p.id for p in properties.values() if p.reference == q.property_reference]
            sets.append(self._union("property_id", ids))
        if q.lead_name is not None:
            ids = [lead.id for lead in leads.values() if q.lead_name in lead.name.casefold()]
            sets.append(self._union("lead_id", ids))
        return sets

    def _union(self, field: str, values: list[int]) -> set[int]:
        buckets = self.buckets(field)
        found: set[int] = set()
        for value in values:
            found |= buckets.get(value)
        return found
