"""Copy on write: a holder that shares another's data reads it, index and all, until it first
writes; then it has its own table and its own copy of the index, and neither side ever sees
the other's changes again.

The random part runs the list index of a sharer that has written (its index copied from the
shared one, after structures were built on it) against ``run_query``, and the shared source
against ``run_query`` on a snapshot taken before anything was written.
"""

from __future__ import annotations

import random
import threading
from dataclasses import replace

import pytest
from random_calltrackings import expected, make_dataset, make_record, random_query

from mockserver.core import query_index
from mockserver.core.indexed_dataset import IndexedDataset
from mockserver.core.query import ListQuery
from mockserver.core.query_index import Change


def test_a_sharer_reads_the_source_data_and_index_until_it_writes() -> None:
    base = IndexedDataset(make_dataset(random.Random(1), 50))
    sharer = IndexedDataset.sharing(base)
    assert sharer.data is base.data
    assert sharer.shares is base
    assert sharer.call_tracking_index() is base.call_tracking_index()
    own = sharer.writable()
    assert own is sharer.data is not base.data
    assert sharer.shares is None
    assert own.call_trackings == base.data.call_trackings
    assert own.call_trackings is not base.data.call_trackings
    assert own.leads is base.data.leads and own.properties is base.data.properties
    assert sharer.call_tracking_index() is not base.call_tracking_index()
    assert sharer.writable() is own  # the second write copies nothing


def test_the_index_built_on_the_source_is_copied_not_rebuilt_nor_shared() -> None:
    base = IndexedDataset(make_dataset(random.Random(2), 80))
    sharer = IndexedDataset.sharing(base)
    q = ListQuery(sort="date", descending=True, status="answered", per_page=100)
    data = base.data
    sharer.call_tracking_index().select(q, data.leads, data.properties)  # builds on the base
    shared_order = base.call_tracking_index().order("date")
    records = sharer.writable().call_trackings
    copied = sharer.call_tracking_index().order("date")
    assert copied is not shared_order
    assert copied.items == shared_order.items and copied.items is not shared_order.items
    first = min(records.values(), key=lambda ct: ct.call_start)
    moved = replace(first, status="answered", call_start="2030-01-01T00:00:00+04:00")
    records[first.id] = moved
    sharer.changed(Change(changed=frozenset({first.id}), before={first.id: first}))
    page = sharer.call_tracking_index().select(q, data.leads, data.properties)
    assert page.items[0] is moved
    assert base.call_tracking_index().order("date") is shared_order
    assert moved not in base.call_tracking_index().order("date").items
    base_page = base.call_tracking_index().select(q, data.leads, data.properties)
    assert ([c.id for c in base_page.items], base_page.count) == expected(base.data, q, None)


def test_a_sharer_of_a_sharer_shares_the_owner() -> None:
    base = IndexedDataset(make_dataset(random.Random(3), 10))
    first = IndexedDataset.sharing(base)
    second = IndexedDataset.sharing(first)
    assert second.shares is base
    first.writable()
    assert second.shares is base and second.data is base.data


def test_own_and_share_swap_the_data_whole() -> None:
    base = IndexedDataset(make_dataset(random.Random(4), 10))
    holder = IndexedDataset.sharing(base)
    other = make_dataset(random.Random(5), 7)
    holder.own(other)
    assert holder.data is other and holder.shares is None
    assert len(holder.call_tracking_index().records) == 7
    holder.share(base)
    assert holder.data is base.data and holder.call_tracking_index() is base.call_tracking_index()


def test_a_revert_after_the_first_write_never_touches_the_source() -> None:
    data = make_dataset(random.Random(6), 20)
    data.call_trackings = dict(sorted(data.call_trackings.items()))  # id order, as seeded
    base = IndexedDataset(data)
    before = dict(base.data.call_trackings)
    holder = IndexedDataset.sharing(base)
    victim = next(iter(before.values()))
    records = holder.writable().call_trackings
    del records[victim.id]
    change = Change(deleted=frozenset({victim.id}), before={victim.id: victim})
    holder.changed(change)
    holder.revert(change)
    assert holder.data.call_trackings == before
    assert list(holder.data.call_trackings) == list(before)  # id order kept
    assert base.data.call_trackings == before


@pytest.mark.parametrize("seed", range(10))
def test_sharers_that_write_and_their_source_each_give_the_scanned_pages(seed: int) -> None:
    rng = random.Random(seed)
    base = IndexedDataset(make_dataset(rng, rng.choice([1, 5, 40, 120])))
    snapshot = replace(base.data, call_trackings=dict(base.data.call_trackings))
    sharers = [IndexedDataset.sharing(base) for _ in range(3)]
    next_id = 5000
    for round_number in range(6):
        for holder in [base, *sharers]:
            for _ in range(15):
                q, owner = random_query(rng), rng.choice([None, 1, 2])
                page = holder.call_tracking_index().select(q, holder.data.leads,
                                                           holder.data.properties, owner)
                source = snapshot if holder is base else holder.data
                assert ([c.id for c in page.items], page.count) == expected(source, q, owner)
        writer = sharers[round_number % len(sharers)]
        records = writer.writable().call_trackings
        changed, before = set(), {}
        for record_id in rng.sample(sorted(records), min(2, len(records))):
            before[record_id] = records[record_id]
            fresh = make_record(rng, record_id)
            records[record_id] = replace(records[record_id], status=fresh.status,
                                         call_start=fresh.call_start, user_id=fresh.user_id)
            changed.add(record_id)
        for record_id in range(next_id, next_id + rng.randint(0, 2)):
            records[record_id] = make_record(rng, record_id)
            changed.add(record_id)
        next_id += 10
        writer.changed(Change(changed=frozenset(changed), before=before))
    assert base.data.call_trackings == snapshot.call_trackings


def test_concurrent_first_readers_of_a_shared_index_build_each_structure_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = IndexedDataset(make_dataset(random.Random(7), 200))
    built: list[str] = []
    original = query_index.SortedOrder.__init__

    def counting(self: query_index.SortedOrder, sort: str, records: object) -> None:
        built.append(sort)
        original(self, sort, records)  # type: ignore[arg-type]

    monkeypatch.setattr(query_index.SortedOrder, "__init__", counting)
    sharers = [IndexedDataset.sharing(base) for _ in range(8)]
    start = threading.Barrier(len(sharers))
    orders = []

    def read(holder: IndexedDataset) -> None:
        start.wait()
        orders.append(holder.call_tracking_index().order("date"))

    threads = [threading.Thread(target=read, args=(h,)) for h in sharers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == ["date"]
    assert len({id(order) for order in orders}) == 1
