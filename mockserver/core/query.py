"""Filtering, sorting and paginating call trackings: pure functions, no web framework.

The semantics are those written in ``openapi.yaml`` for ``listCallTrackings``; the
parameters arrive already validated and typed, keyed by their literal names
(``filters[lead][name]``...).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import CallTracking, Lead, Property, digits_of

FILTER_PREFIX = "filters["
KNOWN_PARAMETERS = frozenset(
    {
        "filters[user_id]", "filters[status]", "filters[state]", "filters[date_from]",
        "filters[date_to]", "filters[date][from]", "filters[date][to]", "filters[phone]",
        "filters[reference]", "filters[property]", "filters[property][id]",
        "filters[property][reference]", "filters[lead][id]", "filters[lead][name]",
    }
)  # checked against the spec's parameters by tests/core/test_query.py

DEFAULT_PER_PAGE = 100
# A partial heap sort beats a full sort while the page ends before 1/HEAP_FACTOR of the
# matches (the first pages of a big list); both paths must give the same order.
HEAP_FACTOR = 4


@dataclass(frozen=True, slots=True)
class ListQuery:
    user_id: int | None = None
    status: str | None = None
    state: str | None = None
    date_from: str | None = None  # YYYY-MM-DD, inclusive
    date_to: str | None = None
    phone_digits: str | None = None
    reference: str | None = None
    property_ids: frozenset[int] = frozenset()
    property_reference: str | None = None
    lead_id: int | None = None
    lead_name: str | None = None  # case-folded
    sort: str | None = None
    descending: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


@dataclass(frozen=True, slots=True)
class Page:
    items: list[CallTracking]
    count: int
    page: int
    per_page: int


def unknown_filters(names: Iterable[str]) -> list[str]:
    """The ``filters[...]`` keys the spec does not define, ignored and warned about."""
    return sorted(n for n in names if n.startswith(FILTER_PREFIX) and n not in KNOWN_PARAMETERS)


def parse_list_query(params: Mapping[str, Any]) -> ListQuery:
    """Build a query from validated parameters; both spellings of a filter combine."""
    dates_from = [params.get("filters[date_from]"), params.get("filters[date][from]")]
    dates_to = [params.get("filters[date_to]"), params.get("filters[date][to]")]
    property_ids = {params.get("filters[property]"), params.get("filters[property][id]")}
    phone = params.get("filters[phone]")
    lead_name = params.get("filters[lead][name]")
    return ListQuery(
        user_id=params.get("filters[user_id]"),
        status=params.get("filters[status]"),
        state=params.get("filters[state]"),
        date_from=max((_date(d) for d in dates_from if d is not None), default=None),
        date_to=min((_date(d) for d in dates_to if d is not None), default=None),
        phone_digits=None if phone is None else digits_of(phone),
        reference=params.get("filters[reference]"),
        property_ids=frozenset(i for i in property_ids if i is not None),
        property_reference=params.get("filters[property][reference]"),
        lead_id=params.get("filters[lead][id]"),
        lead_name=None if lead_name is None else lead_name.casefold(),
        sort=params.get("sort"),
        descending=str(params.get("sort_order", "ASC")).upper() == "DESC",
        page=params.get("page", 1),
        per_page=params.get("per_page", DEFAULT_PER_PAGE),
    )


def _date(value: Any) -> str:
    """Dates may arrive as ``datetime.date`` (unmarshalled) or as text."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


Predicate = Callable[[CallTracking], bool]


def build_predicates(
    q: ListQuery, leads: Mapping[int, Lead], properties: Mapping[int, Property]
) -> list[Predicate]:
    """One predicate per active filter; a record matches when all hold.

    Predicates over a set of ids are made by the factories below, each with its own scope:
    two lambdas closing over one local here would both see its last value.
    """
    preds: list[Predicate] = []
    if q.user_id is not None:
        preds.append(lambda ct: ct.user_id == q.user_id)
    if q.status is not None:
        preds.append(lambda ct: ct.status == q.status)
    if q.state is not None:
        assigned = q.state == "assigned"
        preds.append(lambda ct: (ct.lead_id is not None) is assigned)
    if q.date_from is not None:
        preds.append(lambda ct: ct.call_start[:10] >= q.date_from)  # type: ignore[operator]
    if q.date_to is not None:
        preds.append(lambda ct: ct.call_start[:10] <= q.date_to)  # type: ignore[operator]
    if q.phone_digits is not None:
        preds.append(lambda ct: bool(q.phone_digits) and ct.phone_digits == q.phone_digits)
    if q.reference is not None:
        preds.append(lambda ct: ct.reference == q.reference)
    for property_id in q.property_ids:
        preds.append(_property_in({property_id}))
    if q.property_reference is not None:
        ref = q.property_reference
        preds.append(_property_in({p.id for p in properties.values() if p.reference == ref}))
    if q.lead_id is not None:
        preds.append(lambda ct: ct.lead_id == q.lead_id)
    if q.lead_name is not None:
        needle = q.lead_name
        preds.append(_lead_in({ld.id for ld in leads.values() if needle in ld.name.casefold()}))
    return preds


def _property_in(ids: set[int]) -> Predicate:
    return lambda ct: ct.property_id in ids


def _lead_in(ids: set[int]) -> Predicate:
    return lambda ct: ct.lead_id in ids


# sort key -> (the attribute it sorts on, whether that may be null)
SORT_FIELDS: dict[str, tuple[str, bool]] = {
    "id": ("id", False),
    "phone": ("phone", False),
    "user": ("user_id", True),
    "status": ("status", False),
    "date": ("call_start", False),
    "call_time": ("call_time", False),
    "lead": ("lead_id", True),
    "created": ("created_at", False),
    "updated": ("updated_at", False),
}


def sort_key(value: Any, record_id: int, nullable: bool) -> tuple[Any, ...]:
    """Null sorts before every value; ties break by id, so the order is total."""
    if nullable:
        return (0, 0, record_id) if value is None else (1, value, record_id)
    return (value, record_id)


def _key_function(attr: str, nullable: bool) -> Callable[[CallTracking], tuple[Any, ...]]:
    def key(ct: CallTracking) -> tuple[Any, ...]:
        return sort_key(getattr(ct, attr), ct.id, nullable)

    return key


SORT_KEYS: dict[str, Callable[[CallTracking], tuple[Any, ...]]] = {
    name: _key_function(attr, nullable) for name, (attr, nullable) in SORT_FIELDS.items()
}


def run_query(
    records: Iterable[CallTracking],
    q: ListQuery,
    leads: Mapping[int, Lead],
    properties: Mapping[int, Property],
) -> Page:
    """Filter, count, sort and cut one page by scanning every record.

    The reference for the list semantics; ``query_index`` gives the same pages faster.
    """
    preds = build_predicates(q, leads, properties)
    matched = [ct for ct in records if all(p(ct) for p in preds)] if preds else list(records)
    return Page(items=cut_page(matched, q), count=len(matched), page=q.page, per_page=q.per_page)


def cut_page(matched: list[CallTracking], q: ListQuery) -> list[CallTracking]:
    """The page's records in order; only the page's records are fully ordered."""
    key = SORT_KEYS[q.sort or "id"]
    end = q.page * q.per_page
    start = end - q.per_page
    if start >= len(matched):
        return []
    if end * HEAP_FACTOR < len(matched):
        pick = heapq.nlargest if q.descending else heapq.nsmallest
        return pick(end, matched, key=key)[start:end]
    return sorted(matched, key=key, reverse=q.descending)[start:end]
