"""The indexed list path gives the pages of the naive one, before and after changes.

Random small datasets with few distinct values (so ties, nulls and empty results are
common), random queries over every filter, sort key, direction and page, and random changes
reported to the index: ``CallTrackingIndex.select`` must equal ``run_query`` every time.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from mockserver.core.dataset import Dataset
from mockserver.core.model import CALL_STATUSES, CallTracking, Lead, Property, digits_of
from mockserver.core.query import SORT_KEYS, ListQuery, run_query
from mockserver.core.query_index import CallTrackingIndex, Change
from mockserver.sandbox.sessions import Store

STAMPS = ["2023-01-01T10:00:00+04:00", "2023-01-02T09:00:00+04:00", "2024-05-05T12:00:00+04:00"]
PHONES = ["+971 50 111 2222", "+971501112222", "+971 4 333 4444", "no digits"]
NAMES = ["Amal Haddad", "John Doe", "Reem Al Shamsi", "Johnny Cash"]


def maybe(rng: random.Random, value: object, p_none: float = 0.3) -> object:
    return None if rng.random() < p_none else value


def make_record(rng: random.Random, record_id: int) -> CallTracking:
    return CallTracking(
        id=record_id, reference=f"ref-{rng.randint(1, 4)}", phone=rng.choice(PHONES),
        status=rng.choice(CALL_STATUSES), call_start=rng.choice(STAMPS),
        call_end=rng.choice(STAMPS), talk_time=rng.randint(0, 3), call_time=rng.randint(0, 3),
        wait_time=0, user_id=maybe(rng, rng.randint(1, 4)),  # type: ignore[arg-type]
        lead_id=maybe(rng, rng.randint(1, 4)),  # type: ignore[arg-type]
        property_id=maybe(rng, rng.randint(1, 3)),  # type: ignore[arg-type]
        download_url=None, imported_id="AE-1", imported_from="propertyfinder",
        created_at=rng.choice(STAMPS), updated_at=rng.choice(STAMPS),
        marked_as_seen=rng.random() < 0.5,
    )


def make_dataset(rng: random.Random, size: int) -> Dataset:
    leads = {}
    for i, name in enumerate(NAMES, start=1):
        first, last = name.split(" ", 1)
        leads[i] = Lead(
            id=i, user_id=None, title=None, first_name=first, middle_name=None, last_name=last,
            email=None, mobile=None, phone=None, status="prospect", source="other",
            created_at=STAMPS[0], updated_at=STAMPS[0],
        )
    properties = {
        i: Property(i, f"pf-{i % 2}", "available", "residential", "villa", "rent", 1, "Dubai",
                    "Marina", None, 1, 1, 100, None)
        for i in range(1, 4)
    }
    ids = rng.sample(range(1, size * 3), size)
    records = {i: make_record(rng, i) for i in ids}
    return Dataset(leads=leads, properties=properties, call_trackings=records)


def random_query(rng: random.Random) -> ListQuery:
    filters: dict[str, object] = {}
    pick = rng.random
    if pick() < 0.3:
        filters["user_id"] = rng.randint(1, 5)
    if pick() < 0.4:
        filters["status"] = rng.choice(CALL_STATUSES)
    if pick() < 0.2:
        filters["state"] = rng.choice(["assigned", "unassigned"])
    if pick() < 0.15:
        filters["date_from"] = rng.choice(["2023-01-02", "2024-01-01"])
    if pick() < 0.15:
        filters["date_to"] = rng.choice(["2023-01-01", "2024-12-31"])
    if pick() < 0.15:
        filters["phone_digits"] = rng.choice(["971501112222", "97143334444", "", "1"])
    if pick() < 0.1:
        filters["reference"] = f"ref-{rng.randint(1, 5)}"
    if pick() < 0.15:
        filters["property_ids"] = frozenset(rng.sample([1, 2, 3, 9], rng.randint(1, 2)))
    if pick() < 0.1:
        filters["property_reference"] = rng.choice(["pf-0", "pf-1", "pf-9"])
    if pick() < 0.15:
        filters["lead_id"] = rng.randint(1, 5)
    if pick() < 0.15:
        filters["lead_name"] = rng.choice(["john", "al", "zz", "a"])
    return ListQuery(
        **filters,  # type: ignore[arg-type]
        sort=rng.choice([None, *SORT_KEYS]),
        descending=pick() < 0.5,
        page=rng.choice([1, 1, 1, 2, 3, 7]),
        per_page=rng.choice([1, 2, 3, 5, 10, 100]),
    )


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


def expected(data: Dataset, q: ListQuery, owner: int | None) -> tuple[list[int], int]:
    records = [ct for ct in data.call_trackings.values() if owner is None or ct.user_id == owner]
    page = run_query(records, q, data.leads, data.properties)
    return [ct.id for ct in page.items], page.count


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
