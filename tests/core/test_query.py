"""Filtering, sorting and paging (``mockserver/core/query.py``) on small hand-built data.

The expected ids are written out by hand from the rules in ``openapi.yaml`` (filters AND,
phone on digits, dates inclusive in UAE time, null first in ASC and last in DESC, ties by
id in the same direction), never recomputed with the code under test.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from mockserver.core import query
from mockserver.core.model import CallTracking, Lead, Property
from mockserver.core.query import (
    KNOWN_PARAMETERS,
    SORT_KEYS,
    ListQuery,
    build_predicates,
    parse_list_query,
    run_query,
    unknown_filters,
)

# --- building blocks -------------------------------------------------------------------------


def call(id: int, **fields: Any) -> CallTracking:
    """A call tracking whose fields are all equal to every other's, except those given."""
    values: dict[str, Any] = {
        "reference": f"pfflex-{id}",
        "phone": "+971 50 000 0000",
        "status": "answered",
        "call_start": "2022-11-10T12:00:00+04:00",
        "call_end": "2022-11-10T12:01:00+04:00",
        "talk_time": 50,
        "call_time": 60,
        "wait_time": 0,
        "user_id": 1,
        "lead_id": None,
        "property_id": None,
        "download_url": None,
        "imported_id": f"AE-{id}",
        "imported_from": "propertyfinder",
        "created_at": "2022-11-10T12:02:00+04:00",
        "updated_at": "2022-11-10T12:02:00+04:00",
    }
    values.update(fields)
    return CallTracking(id=id, **values)


def lead(id: int, first: str, middle: str | None, last: str) -> Lead:
    return Lead(
        id=id, user_id=None, title=None, first_name=first, middle_name=middle, last_name=last,
        email=None, mobile=None, phone=None, status="prospect", source="propertyfinder",
        created_at="2022-10-01T10:00:00+04:00", updated_at="2022-10-01T10:00:00+04:00",
    )  # fmt: skip


def prop(id: int, reference: str) -> Property:
    return Property(
        id=id, reference=reference, status="available", category="residential",
        type_name="apartment", offering_type="rent", price=100_000, city="Dubai",
        community="Dubai Marina", sub_community=None, bedrooms=1, bathrooms=1, size=700,
        user_id=None,
    )  # fmt: skip


def ids(records: Iterable[CallTracking]) -> list[int]:
    return [ct.id for ct in records]


def listed(
    records: Iterable[CallTracking],
    params: Mapping[str, Any],
    leads: Mapping[int, Lead] | None = None,
    properties: Mapping[int, Property] | None = None,
) -> list[int]:
    """The ids of the page the parameters select, as the list operation computes it."""
    page = run_query(records, parse_list_query(params), leads or {}, properties or {})
    return ids(page.items)


# --- filters ---------------------------------------------------------------------------------

LEADS = {
    1: lead(1, "John", None, "Doe"),
    2: lead(2, "Aisha", "Khalid", "Al Mansoori"),
    3: lead(3, "Élodie", None, "Straße"),
}
PROPERTIES = {10: prop(10, "pfflex-123"), 11: prop(11, "DR-1"), 12: prop(12, "PFFLEX-123")}
# +971 55 487 9009 as typed on an Arabic keyboard
ARABIC_INDIC_PHONE = "+\u0669\u0667\u0661 \u0665\u0665 \u0664\u0668\u0667 \u0669\u0660\u0660\u0669"
# The first call of the day at local midnight, the last at 23:59:59; user 10 next to user 1
# (an exact match, not a prefix); a caller without digits (a withheld number).
FILTERED = [
    call(1, user_id=1, status="answered", call_start="2022-11-01T00:00:00+04:00",
         phone="+971 55 487 9009", lead_id=1, property_id=10),
    call(2, user_id=2, status="notanswered", call_start="2022-11-01T23:59:59+04:00",
         phone="+971 4 338 5521", lead_id=None, property_id=11),
    call(3, user_id=None, status="canceled", call_start="2022-11-02T12:00:00+04:00",
         phone="+971554879009", lead_id=2, property_id=None),
    call(4, user_id=1, status="voicemail", call_start="2022-11-03T08:00:00+04:00",
         phone="+971 50 000 0000", lead_id=3, property_id=12),
    call(5, user_id=2, status="answered", call_start="2022-11-04T18:30:00+04:00",
         phone="+971 55 487 9009", lead_id=1, property_id=10),
    call(6, user_id=10, status="answered", call_start="2022-11-05T09:00:00+04:00",
         phone="withheld", lead_id=None, property_id=None),
]  # fmt: skip

FILTER_CASES: list[tuple[str, dict[str, Any], list[int]]] = [
    ("no filter -> all", {}, [1, 2, 3, 4, 5, 6]),
    ("user_id=1 -> exact, not user 10", {"filters[user_id]": 1}, [1, 4]),
    ("user_id=10", {"filters[user_id]": 10}, [6]),
    ("user_id unknown -> empty", {"filters[user_id]": 99}, []),
    ("status=answered", {"filters[status]": "answered"}, [1, 5, 6]),
    ("status=notanswered", {"filters[status]": "notanswered"}, [2]),
    ("status=canceled", {"filters[status]": "canceled"}, [3]),
    ("status=voicemail", {"filters[status]": "voicemail"}, [4]),
    ("state=assigned -> has a lead", {"filters[state]": "assigned"}, [1, 3, 4, 5]),
    ("state=unassigned -> no lead", {"filters[state]": "unassigned"}, [2, 6]),
    ("date_from is inclusive", {"filters[date_from]": "2022-11-02"}, [3, 4, 5, 6]),
    ("date_to includes 23:59:59", {"filters[date_to]": "2022-11-01"}, [1, 2]),
    ("date_from=date_to -> that day, midnight included",
     {"filters[date_from]": "2022-11-01", "filters[date_to]": "2022-11-01"}, [1, 2]),
    ("date[from] alone", {"filters[date][from]": "2022-11-02"}, [3, 4, 5, 6]),
    ("date[to] alone", {"filters[date][to]": "2022-11-01"}, [1, 2]),
    ("date[from] and date[to]",
     {"filters[date][from]": "2022-11-02", "filters[date][to]": "2022-11-03"}, [3, 4]),
    ("date_from and date[from] -> both apply (the later wins)",
     {"filters[date_from]": "2022-11-02", "filters[date][from]": "2022-11-04"}, [5, 6]),
    ("date[from] and date_from -> both apply, whichever spelling is later",
     {"filters[date_from]": "2022-11-04", "filters[date][from]": "2022-11-02"}, [5, 6]),
    ("date_to and date[to] -> both apply (the earlier wins)",
     {"filters[date_to]": "2022-11-04", "filters[date][to]": "2022-11-02"}, [1, 2, 3]),
    ("date_from with date[to] -> mixed spellings combine",
     {"filters[date_from]": "2022-11-02", "filters[date][to]": "2022-11-03"}, [3, 4]),
    ("all four date bounds",
     {"filters[date_from]": "2022-11-01", "filters[date][from]": "2022-11-02",
      "filters[date_to]": "2022-11-05", "filters[date][to]": "2022-11-04"}, [3, 4, 5]),
    ("date_to before date_from -> nothing",
     {"filters[date_from]": "2022-11-04", "filters[date_to]": "2022-11-02"}, []),
    ("date[to] before date_from -> nothing",
     {"filters[date_from]": "2022-11-04", "filters[date][to]": "2022-11-03"}, []),
    ("dates as datetime.date (unmarshalled)",
     {"filters[date_from]": date(2022, 11, 3), "filters[date][to]": date(2022, 11, 4)}, [4, 5]),
    ("phone as stored", {"filters[phone]": "+971 55 487 9009"}, [1, 3, 5]),
    ("phone with dashes", {"filters[phone]": "+971-55-487-9009"}, [1, 3, 5]),
    ("phone digits only", {"filters[phone]": "971554879009"}, [1, 3, 5]),
    ("phone with brackets", {"filters[phone]": "+971 (4) 338-5521"}, [2]),
    ("phone in Arabic-Indic digits",
     {"filters[phone]": ARABIC_INDIC_PHONE}, [1, 3, 5]),
    ("phone part -> nothing (whole number only)", {"filters[phone]": "554879009"}, []),
    ("phone with 00 prefix -> other digits, nothing", {"filters[phone]": "00971554879009"}, []),
    ("phone without digits -> nothing, not the withheld caller",
     {"filters[phone]": "withheld"}, []),
    ("phone of superscripts -> no digits, nothing", {"filters[phone]": "\u00b2\u00b3"}, []),
    ("reference exact", {"filters[reference]": "pfflex-3"}, [3]),
    ("reference is case-sensitive", {"filters[reference]": "PFFLEX-3"}, []),
    ("reference prefix -> nothing", {"filters[reference]": "pfflex"}, []),
    ("property shorthand", {"filters[property]": 10}, [1, 5]),
    ("property[id]", {"filters[property][id]": 10}, [1, 5]),
    ("property and property[id] agree",
     {"filters[property]": 10, "filters[property][id]": 10}, [1, 5]),
    ("property and property[id] differ -> both must hold, nothing",
     {"filters[property]": 10, "filters[property][id]": 11}, []),
    ("property[reference]", {"filters[property][reference]": "pfflex-123"}, [1, 5]),
    ("property[reference] is case-sensitive",
     {"filters[property][reference]": "PFFLEX-123"}, [4]),
    ("property[reference] unknown -> nothing", {"filters[property][reference]": "nope"}, []),
    ("property id and another property's reference -> nothing",
     {"filters[property]": 10, "filters[property][reference]": "DR-1"}, []),
    ("lead[id]", {"filters[lead][id]": 1}, [1, 5]),
    ("lead[id] of the middle-named lead", {"filters[lead][id]": 2}, [3]),
    ("lead[name] full, other case", {"filters[lead][name]": "JOHN DOE"}, [1, 5]),
    ("lead[name] first name", {"filters[lead][name]": "john"}, [1, 5]),
    ("lead[name] across middle and last", {"filters[lead][name]": "khalid al"}, [3]),
    ("lead[name] skipping the middle name -> nothing", {"filters[lead][name]": "aisha al"}, []),
    ("lead[name] all three names", {"filters[lead][name]": "Aisha Khalid Al Mansoori"}, [3]),
    ("lead[name] two spaces -> nothing (one space joins)",
     {"filters[lead][name]": "John  Doe"}, []),
    ("lead[name] folds ß to ss", {"filters[lead][name]": "STRASSE"}, [4]),
    ("lead[name] accented, upper case", {"filters[lead][name]": "ÉLODIE"}, [4]),
    ("lead[name] one letter in three names", {"filters[lead][name]": "o"}, [1, 3, 4, 5]),
    ("status and user_id", {"filters[status]": "answered", "filters[user_id]": 2}, [5]),
    ("state and date_to",
     {"filters[state]": "assigned", "filters[date_to]": "2022-11-02"}, [1, 3]),
    ("lead name, property and date_from",
     {"filters[lead][name]": "john", "filters[property]": 10,
      "filters[date_from]": "2022-11-02"}, [5]),
    ("phone and status", {"filters[phone]": "971554879009", "filters[status]": "canceled"}, [3]),
    ("property[reference] and lead[name] -> each checks its own ids",
     {"filters[property][reference]": "pfflex-123", "filters[lead][name]": "john"}, [1, 5]),
    ("property[reference] and lead[name] of another record -> nothing",
     {"filters[property][reference]": "PFFLEX-123", "filters[lead][name]": "john"}, []),
    ("lead[name] and property[reference], ids that differ",
     {"filters[lead][name]": "élodie", "filters[property][reference]": "PFFLEX-123"}, [4]),
    ("every filter at once",
     {"filters[user_id]": 2, "filters[status]": "answered", "filters[state]": "assigned",
      "filters[date_from]": "2022-11-04", "filters[date_to]": "2022-11-04",
      "filters[date][from]": "2022-11-01", "filters[date][to]": "2022-11-30",
      "filters[phone]": "971554879009", "filters[reference]": "pfflex-5",
      "filters[property]": 10, "filters[property][id]": 10,
      "filters[property][reference]": "pfflex-123", "filters[lead][id]": 1,
      "filters[lead][name]": "doe"}, [5]),
    ("status and lead[id] disagree -> nothing",
     {"filters[status]": "voicemail", "filters[lead][id]": 1}, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"), [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES]
)
def test_filter(params: dict[str, Any], expected: list[int]) -> None:
    page = run_query(FILTERED, parse_list_query(params), LEADS, PROPERTIES)
    assert ids(page.items) == expected
    assert page.count == len(expected)


def test_no_active_filter_means_no_predicate() -> None:
    assert build_predicates(ListQuery(), LEADS, PROPERTIES) == []


def test_lead_name_reads_the_leads_it_is_given() -> None:
    """A renamed lead is found by its new name: the filter reads the current leads."""
    renamed = {**LEADS, 1: replace(LEADS[1], first_name="Jonathan")}
    assert listed(FILTERED, {"filters[lead][name]": "jonathan doe"}, renamed) == [1, 5]
    assert listed(FILTERED, {"filters[lead][name]": "john doe"}, renamed) == []


# --- parsing ---------------------------------------------------------------------------------

PARSE_CASES: list[tuple[str, dict[str, Any], ListQuery]] = [
    ("nothing -> defaults", {}, ListQuery()),
    ("date forms -> the later from, the earlier to",
     {"filters[date_from]": "2022-11-02", "filters[date][from]": date(2022, 11, 5),
      "filters[date_to]": date(2022, 12, 1), "filters[date][to]": "2022-11-30"},
     ListQuery(date_from="2022-11-05", date_to="2022-11-30")),
    ("phone -> its digits", {"filters[phone]": "+971 55-487 9009"},
     ListQuery(phone_digits="971554879009")),
    ("phone without digits -> empty digits", {"filters[phone]": "n/a"},
     ListQuery(phone_digits="")),
    ("both property forms -> both ids",
     {"filters[property]": 10, "filters[property][id]": 11},
     ListQuery(property_ids=frozenset({10, 11}))),
    ("same property twice -> one id",
     {"filters[property]": 10, "filters[property][id]": 10},
     ListQuery(property_ids=frozenset({10}))),
    ("lead name -> case-folded", {"filters[lead][name]": "Straße"},
     ListQuery(lead_name="strasse")),
    ("sort_order DESC", {"sort": "phone", "sort_order": "DESC"},
     ListQuery(sort="phone", descending=True)),
    ("sort_order desc (lowercase)", {"sort": "phone", "sort_order": "desc"},
     ListQuery(sort="phone", descending=True)),
    ("sort_order asc (lowercase)", {"sort": "user", "sort_order": "asc"},
     ListQuery(sort="user", descending=False)),
    ("page and per_page", {"page": 3, "per_page": 500}, ListQuery(page=3, per_page=500)),
    ("unknown filters are not read", {"filters[foo]": "x"}, ListQuery()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"), [c[1:] for c in PARSE_CASES], ids=[c[0] for c in PARSE_CASES]
)
def test_parse_list_query(params: dict[str, Any], expected: ListQuery) -> None:
    assert parse_list_query(params) == expected


def test_defaults() -> None:
    q = parse_list_query({})
    assert (q.page, q.per_page, q.sort, q.descending) == (1, 100, None, False)


# --- sorting ---------------------------------------------------------------------------------

# key, the field it reads, (id, value) pairs, the ASC order worked out by hand. Each table has
# ties (broken by id) and, for user and lead, nulls (first in ASC); numbers sort as numbers.
SORT_TABLES: list[tuple[str, str, list[tuple[int, Any]], list[int]]] = [
    ("id", "reference", [(4, "x"), (2, "x"), (5, "x"), (1, "x"), (3, "x")], [1, 2, 3, 4, 5]),
    ("phone", "phone",
     [(1, "+971 55 487 9009"), (2, "+971 4 338 5521"), (3, "+971 55 487 9009"),
      (4, "+971 50 312 6645"), (5, "+44 20 7946 0000")], [5, 2, 4, 1, 3]),
    ("user", "user_id",
     [(1, 10), (2, None), (3, 9), (4, 10), (5, None), (6, 2)], [2, 5, 6, 3, 1, 4]),
    ("status", "status",
     [(1, "voicemail"), (2, "answered"), (3, "notanswered"), (4, "answered"),
      (5, "canceled")], [2, 4, 5, 3, 1]),
    ("date", "call_start",
     [(1, "2022-11-02T09:00:00+04:00"), (2, "2022-11-01T23:59:59+04:00"),
      (3, "2022-11-02T09:00:00+04:00"), (4, "2022-11-02T10:00:00+04:00")], [2, 1, 3, 4]),
    ("call_time", "call_time", [(1, 100), (2, 20), (3, 0), (4, 100), (5, 20)], [3, 2, 5, 1, 4]),
    ("lead", "lead_id",
     [(1, None), (2, 101), (3, None), (4, 7), (5, 101)], [1, 3, 4, 2, 5]),
    ("created", "created_at",
     [(1, "2022-11-03T10:00:00+04:00"), (2, "2022-11-01T10:00:00+04:00"),
      (3, "2022-11-03T10:00:00+04:00")], [2, 1, 3]),
    ("updated", "updated_at",
     [(1, "2022-12-01T00:00:00+04:00"), (2, "2022-12-01T00:00:00+04:00"),
      (3, "2022-11-30T23:59:59+04:00"), (4, "2022-12-02T08:00:00+04:00")], [3, 1, 2, 4]),
]  # fmt: skip


def sort_cases() -> Iterator[Any]:
    for key, field, values, ascending in SORT_TABLES:
        for order, expected in (("ASC", ascending), ("DESC", ascending[::-1])):
            yield pytest.param(key, field, values, order, expected,
                               id=f"sort={key} {order} -> {expected}")  # fmt: skip


@pytest.mark.parametrize(("key", "field", "values", "order", "expected"), sort_cases())
def test_sort(key: str, field: str, values: list[tuple[int, Any]], order: str,
              expected: list[int]) -> None:  # fmt: skip
    records = [call(i, **{field: v}) for i, v in values]
    params = {"sort": key, "sort_order": order}
    # In either input order: ties are broken by id, not by where a record happened to be.
    assert listed(records, params) == expected
    assert listed(records[::-1], params) == expected
    # One record a page: the first pages take the heap path, the later ones a full sort.
    pages = [listed(records, {**params, "page": p, "per_page": 1}) for p in range(1, 8)]
    assert [i for page in pages for i in page] == expected


def test_default_order_is_id_ascending() -> None:
    records = [call(i) for i in (7, 3, 9, 1)]
    assert listed(records, {}) == [1, 3, 7, 9]
    assert listed(records, {"sort_order": "DESC"}) == [9, 7, 3, 1]


def test_sort_keys_are_the_spec_enum(spec_document: dict[str, Any]) -> None:
    enum = spec_document["components"]["parameters"]["Sort"]["schema"]["enum"]
    assert set(SORT_KEYS) == set(enum)
    assert {t[0] for t in SORT_TABLES} == set(enum)  # every key has a table above


# --- heap path and full sort agree -----------------------------------------------------------

FIELD_OF = {
    "id": "id", "phone": "phone", "user": "user_id", "status": "status", "date": "call_start",
    "call_time": "call_time", "lead": "lead_id", "created": "created_at", "updated": "updated_at",
}  # fmt: skip
BIG = 200


def many_calls() -> list[CallTracking]:
    """Few distinct values per field, so that ties and nulls abound; shuffled ids."""
    rng = random.Random(3)
    stamps = [f"2023-0{m}-1{d}T1{h}:00:00+04:00" for m in (1, 2) for d in (1, 2) for h in (0, 5)]
    order = list(range(1, BIG + 1))
    rng.shuffle(order)
    return [
        call(
            i,
            phone=rng.choice(["+971 55 100 2000", "+971 4 300 4000", "+971 50 999 0000"]),
            user_id=rng.choice([None, 1, 2, 9, 10]),
            status=rng.choice(["answered", "notanswered", "canceled", "voicemail"]),
            call_start=rng.choice(stamps),
            call_time=rng.choice([0, 9, 10, 100]),
            lead_id=rng.choice([None, None, 3, 20, 100]),
            created_at=rng.choice(stamps),
            updated_at=rng.choice(stamps),
        )
        for i in order
    ]


def reference_order(records: list[CallTracking], key: str, descending: bool) -> list[int]:
    """The documented order, computed independently of ``SORT_KEYS``."""
    field = FIELD_OF[key]
    nulls = sorted(ct.id for ct in records if getattr(ct, field) is None)
    present = [(getattr(ct, field), ct.id) for ct in records if getattr(ct, field) is not None]
    ascending = nulls + [i for _, i in sorted(present)]
    return ascending[::-1] if descending else ascending


PAGES = [(1, 1), (1, 10), (3, 10), (5, 10), (2, 49), (1, 100), (7, 30), (1, 500), (21, 10)]


class HeapSpy:
    """Counts the partial heap sorts ``run_query`` makes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import heapq

        self.calls = 0
        for name in ("nsmallest", "nlargest"):
            real = getattr(heapq, name)
            monkeypatch.setattr(query.heapq, name, self._counting(real))

    def _counting(self, real: Any) -> Any:
        def spy(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        return spy


@pytest.mark.parametrize("order", ["ASC", "DESC"])
@pytest.mark.parametrize("key", sorted(SORT_KEYS))
@pytest.mark.parametrize(
    ("path", "heap_factor"), [("heap path", 0), ("full sort", 10**9)], ids=["heap", "full"]
)
def test_heap_path_and_full_sort_give_the_documented_order(
    monkeypatch: pytest.MonkeyPatch, path: str, heap_factor: int, key: str, order: str
) -> None:
    """Every page of every sort, forced through one path, is the slice of the same order."""
    records = many_calls()
    expected = reference_order(records, key, order == "DESC")
    monkeypatch.setattr(query, "HEAP_FACTOR", heap_factor)
    spy = HeapSpy(monkeypatch)
    for page, per_page in PAGES:
        params = {"sort": key, "sort_order": order, "page": page, "per_page": per_page}
        got = run_query(records, parse_list_query(params), {}, {})
        start = (page - 1) * per_page
        assert ids(got.items) == expected[start : start + per_page], (page, per_page)
        assert got.count == BIG
    pages_with_items = sum(1 for page, per_page in PAGES if (page - 1) * per_page < BIG)
    assert spy.calls == (pages_with_items if path == "heap path" else 0)


def test_the_default_factor_takes_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without forcing: early pages of a big list use the heap, the last ones a full sort."""
    records = many_calls()
    expected = reference_order(records, "date", descending=True)
    spy = HeapSpy(monkeypatch)
    first = run_query(records, parse_list_query({"sort": "date", "sort_order": "DESC",
                                                 "per_page": 10}), {}, {})  # fmt: skip
    assert (ids(first.items), spy.calls) == (expected[:10], 1)
    last = run_query(records, parse_list_query({"sort": "date", "sort_order": "DESC",
                                                "page": 20, "per_page": 10}), {}, {})  # fmt: skip
    assert (ids(last.items), spy.calls) == (expected[190:], 1)


# --- pagination ------------------------------------------------------------------------------

PAGE_CASES: list[tuple[str, int, int, int, list[int]]] = [
    ("page=1 per_page=2 items=5 -> first two", 1, 2, 5, [1, 2]),
    ("page=2 per_page=2 items=5 -> middle", 2, 2, 5, [3, 4]),
    ("page=3 per_page=2 items=5 -> partial last page", 3, 2, 5, [5]),
    ("page=4 per_page=2 items=5 -> just beyond: empty", 4, 2, 5, []),
    ("page=9 per_page=2 items=5 -> empty", 9, 2, 5, []),
    ("page=1 per_page=5 items=5 -> all, one full page", 1, 5, 5, [1, 2, 3, 4, 5]),
    ("page=2 per_page=5 items=5 -> empty", 2, 5, 5, []),
    ("page=1 per_page=1 items=5 -> first (heap path)", 1, 1, 5, [1]),
    ("page=5 per_page=1 items=5 -> last", 5, 1, 5, [5]),
    ("page=1 per_page=500 items=5 -> all", 1, 500, 5, [1, 2, 3, 4, 5]),
    ("page=1 per_page=100 items=0 -> empty", 1, 100, 0, []),
    ("page=3 per_page=100 items=0 -> empty", 3, 100, 0, []),
    ("page=10**12 per_page=500 items=5 -> empty", 10**12, 500, 5, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "per_page", "items", "expected"),
    [c[1:] for c in PAGE_CASES],
    ids=[c[0] for c in PAGE_CASES],
)
def test_pagination(page: int, per_page: int, items: int, expected: list[int]) -> None:
    records = [call(i) for i in range(items, 0, -1)]
    got = run_query(records, parse_list_query({"page": page, "per_page": per_page}), {}, {})
    assert (ids(got.items), got.count, got.page, got.per_page) == (
        expected, items, page, per_page
    )


def test_count_is_of_matches_not_of_the_page() -> None:
    got = run_query(FILTERED, parse_list_query({"filters[status]": "answered", "per_page": 2,
                                               "page": 2}), LEADS, PROPERTIES)  # fmt: skip
    assert (ids(got.items), got.count) == ([6], 3)


def test_records_may_be_a_one_shot_iterator() -> None:
    """The list operation passes a generator (the records a persona may see)."""
    got = run_query((ct for ct in FILTERED if ct.user_id == 2), parse_list_query({}), {}, {})
    assert (ids(got.items), got.count) == ([2, 5], 2)


# --- unknown filters and the spec's parameter list -------------------------------------------

UNKNOWN_CASES: list[tuple[str, list[str], list[str]]] = [
    ("known only -> none", ["filters[status]", "filters[date][from]", "sort", "page"], []),
    ("unknown, sorted", ["filters[zeta]", "filters[status]", "filters[alpha]"],
     ["filters[alpha]", "filters[zeta]"]),
    ("case matters", ["filters[Status]"], ["filters[Status]"]),
    ("unknown sub-key of a known group", ["filters[lead][email]", "filters[date][on]"],
     ["filters[date][on]", "filters[lead][email]"]),
    ("group without sub-key", ["filters[date]", "filters[property]"], ["filters[date]"]),
    ("not a filter -> not ours to name", ["filters", "filter[status]", "foo"], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("names", "expected"), [c[1:] for c in UNKNOWN_CASES], ids=[c[0] for c in UNKNOWN_CASES]
)
def test_unknown_filters(names: list[str], expected: list[str]) -> None:
    assert unknown_filters(names) == expected


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_known_parameters_are_the_specs_filters(spec_document: dict[str, Any]) -> None:
    """``KNOWN_PARAMETERS`` and the spec's ``filters[...]`` parameters cannot drift apart."""
    operation = spec_document["paths"]["/calltrackings"]["get"]
    assert operation["operationId"] == "listCallTrackings"
    params = [_resolve(spec_document, p) for p in operation["parameters"]]
    declared = {p["name"] for p in params if p["name"].startswith("filters[")}
    assert declared == KNOWN_PARAMETERS
    assert len(declared) == 14
