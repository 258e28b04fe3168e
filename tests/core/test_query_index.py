"""The indexed list path gives the pages of the naive one, before and after changes.

Random small datasets with few distinct values (so ties, nulls and empty results are
common), random queries over every filter, sort key, direction and page, and random changes
reported to the index: ``CallTrackingIndex.select`` must equal ``run_query`` every time.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from random_calltrackings import expected, make_dataset, make_record, random_query

from mockserver.core.dataset import Dataset
from mockserver.core.model import digits_of
from mockserver.core.query import ListQuery, run_query
from mockserver.core.query_index import CallTrackingIndex, Change
from mockserver.sandbox.sessions import Store


def change_some(rng: random.Random, data: Dataset, next_id: int) -> Change:
    """Update, delete and create a few records, as handlers would; say which."""
    records = data.call_trackings
    changed, deleted = set(), set()
    for ct in rng.sample(list(records.values()), min(3, len(records))):
        fresh = make_record(rng, ct.id)
        for name in rng.sample(["status", "user_id", "lead_id", "call_start", "phone",
                                "call_time", "property_id", "reference"], 2):
            setattr(ct, name, getattr(fresh, name))
        ct.phone_digits = digits_of(ct.phone)
        ct.updated_at = fresh.updated_at
        changed.add(ct.id)
    for record_id in rng.sample(sorted(records), min(2, len(records))):
        del records[record_id]
        deleted.add(record_id)
    for record_id in range(next_id, next_id + rng.randint(0, 2)):
        records[record_id] = make_record(rng, record_id)
        changed.add(record_id)
    return Change(frozenset(changed - deleted), frozenset(deleted))


@pytest.mark.parametrize("seed", range(12))
def test_indexed_pages_equal_the_scanned_pages_through_changes(seed: int) -> None:
    rng = random.Random(seed)
    data = make_dataset(rng, rng.choice([0, 1, 5, 40, 120]))
    index = CallTrackingIndex(data.call_trackings)
    plans: Counter[str] = Counter()
    next_id = 1000
    for round_number in range(8):
        for _ in range(40):
            q = random_query(rng)
            owner = rng.choice([None, None, 1, 2, 5])
            page = index.select(q, data.leads, data.properties, owner)
            assert ([ct.id for ct in page.items], page.count) == expected(data, q, owner), q
            assert (page.page, page.per_page) == (q.page, q.per_page)
            plans[index.last_plan] += 1
        if data.call_trackings or round_number == 0:
            index.apply(change_some(rng, data, next_id))
            next_id += 10
    if len(data.call_trackings) >= 40:
        assert set(plans) == {"walk", "sort", "scan"}, plans


def test_a_change_the_store_cannot_describe_rebuilds_the_index() -> None:
    rng = random.Random(99)
    store = Store(make_dataset(rng, 30))
    session = store.session()
    session.writable()  # its own records, as a handler takes them before a change
    first = session.call_tracking_index()
    q = ListQuery(sort="status")
    first.select(q, session.data.leads, session.data.properties)
    victim = next(iter(session.data.call_trackings.values()))
    victim.status = "voicemail" if victim.status != "voicemail" else "answered"
    store.notify(session)  # no Change: the index is dropped
    second = session.call_tracking_index()
    assert second is not first
    page = second.select(q, session.data.leads, session.data.properties)
    assert [ct.id for ct in page.items] == expected(session.data, q, None)[0]


def test_a_described_change_keeps_the_index_and_moves_the_record() -> None:
    rng = random.Random(5)
    store = Store(make_dataset(rng, 30))
    session = store.session()
    session.writable()  # its own records, as a handler takes them before a change
    index = session.call_tracking_index()
    q = ListQuery(sort="date", descending=True, status="answered", per_page=100)
    index.select(q, session.data.leads, session.data.properties)
    ct = min(session.data.call_trackings.values(), key=lambda c: c.call_start)
    ct.status, ct.call_start = "answered", "2030-01-01T00:00:00+04:00"
    store.notify(session, Change(changed=frozenset({ct.id})))
    assert session.call_tracking_index() is index
    page = index.select(q, session.data.leads, session.data.properties)
    assert page.items[0] is ct
    assert ([c.id for c in page.items], page.count) == expected(session.data, q, None)


def test_property_reference_and_lead_name_filters_each_use_their_own_ids() -> None:
    """Both filters once shared one closure variable, so the property filter read lead ids."""
    rng = random.Random(3)
    data = make_dataset(rng, 60)
    q = ListQuery(property_reference="pf-1", lead_name="john", per_page=500)
    page = run_query(data.call_trackings.values(), q, data.leads, data.properties)
    wanted = sorted(
        ct.id for ct in data.call_trackings.values()
        if ct.property_id in (1, 3) and ct.lead_id in (2, 4)  # pf-1; John Doe, Johnny Cash
    )
    assert [ct.id for ct in page.items] == wanted
    assert len(wanted) > 0


def test_a_change_to_most_records_rebuilds_rather_than_moves() -> None:
    rng = random.Random(11)
    store = Store(make_dataset(rng, 400))
    session = store.session()
    session.writable()  # its own records, as a handler takes them before a change
    index = session.call_tracking_index()
    q = ListQuery(sort="updated", descending=True, per_page=50)
    index.select(q, session.data.leads, session.data.properties)
    for ct in session.data.call_trackings.values():
        ct.updated_at = "2031-01-01T00:00:00+04:00"
    everything = frozenset(session.data.call_trackings)
    assert index.apply(Change(changed=everything)) is False
    store.notify(session, Change(changed=everything))
    assert session.call_tracking_index() is not index
    page = session.call_tracking_index().select(q, session.data.leads, session.data.properties)
    assert ([c.id for c in page.items], page.count) == expected(session.data, q, None)
