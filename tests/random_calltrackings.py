"""Random small call-tracking data and list queries, for the tests that compare the list
index with the scanning ``run_query``: few distinct values, so that ties, nulls and empty
results are common."""

from __future__ import annotations

import random

from mockserver.core.dataset import Dataset
from mockserver.core.model import CALL_STATUSES, CallTracking, Lead, Property
from mockserver.core.query import SORT_KEYS, ListQuery, run_query

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


def expected(data: Dataset, q: ListQuery, owner: int | None) -> tuple[list[int], int]:
    records = [ct for ct in data.call_trackings.values() if owner is None or ct.user_id == owner]
    page = run_query(records, q, data.leads, data.properties)
    return [ct.id for ct in page.items], page.count
