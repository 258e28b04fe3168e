"""GET /calltrackings through the app: filters, sorts, pages, expansion, rights, warnings.

The expected ids are read by hand off ``fixtures/records.yaml`` (calls 1-20, dated 61 to 3
days before the pinned now: ``day(n)`` is the date ``!ago nd`` names). Most cases run on
``only_fixtures``, an app with no generated calls, so a date filter finds exactly the
hand-written records. Generated calls never use the fixtures' users 5-8, leads, properties
or phone numbers, so a filter on such a value finds exactly the fixtures on the default
data too: those cases run on both. Responses are checked against the contract by the app
itself (on by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import PINNED_NOW, auth, make_app
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

ALL_FIXTURES = list(range(1, 21))
GENERATED = list(range(1001, 1231))  # the default --count of 250: 230 generated calls
WARNING = "X-MyCRM-API-Warning"
EXPAND = "X-MyCRM-Expand-Data"
CONTRACT_ERROR = "The request does not match the API contract."
# +971 55 487 9009 as typed on an Arabic keyboard
ARABIC_INDIC_PHONE = "+\u0669\u0667\u0661 \u0665\u0665 \u0664\u0668\u0667 \u0669\u0660\u0660\u0669"


@pytest.fixture(scope="module")
def reader() -> FlaskClient:
    """One app for the tests that only read: building an app per case would dominate."""
    return make_app().test_client()


@pytest.fixture(scope="module")
def only_fixtures() -> FlaskClient:
    """The hand-written calls alone (``--count 20``): generated users, leads and properties
    exist, but no generated call."""
    return make_app(count=20).test_client()


@pytest.fixture
def fixtures_client() -> FlaskClient:
    """A fresh ``only_fixtures`` app, for a test that changes the data."""
    return make_app(count=20).test_client()


def day(days_ago: int) -> str:
    """The UAE date ``days_ago`` days before the pinned now, as ``!ago <days_ago>d`` reads."""
    return (date.fromisoformat(PINNED_NOW[:10]) - timedelta(days=days_ago)).isoformat()


def at(days_ago: int, time_of_day: str) -> str:
    return f"{day(days_ago)}T{time_of_day}+04:00"


def get(
    client: FlaskClient, params: dict[str, Any] | None = None, persona: str = "admin",
    **headers: str,
) -> TestResponse:  # fmt: skip
    return client.get("/calltrackings", query_string=params or {}, headers=auth(persona, **headers))


def listed(client: FlaskClient, params: dict[str, Any], persona: str = "admin") -> list[int]:
    response = get(client, params, persona)
    assert response.status_code == 200, response.get_json()
    return [ct["id"] for ct in response.get_json()["call_trackings"]]


def every_page(
    client: FlaskClient, params: dict[str, Any], persona: str = "admin", per_page: int = 50
) -> Iterator[dict[str, Any]]:
    """The records of all pages, in order, checking each envelope on the way."""
    page, seen, count = 1, 0, None
    while True:
        response = get(client, {**params, "page": page, "per_page": per_page}, persona)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        count = body["count"] if count is None else count
        assert (body["count"], body["page"], body["per_page"]) == (count, page, per_page)
        if not body["call_trackings"]:
            assert seen == count
            return
        seen += len(body["call_trackings"])
        yield from body["call_trackings"]
        page += 1


# --- filters ---------------------------------------------------------------------------------

# Cases whose expected ids hold on the hand-written calls alone: dates, and values that
# generated calls share (users 1-4, statuses, states).
FIXTURES_ONLY_CASES: list[tuple[str, dict[str, Any], list[int]]] = [
    ("no filter", {}, ALL_FIXTURES),
    ("user_id=1", {"filters[user_id]": 1}, [1, 12, 13, 19]),
    ("user_id=2", {"filters[user_id]": 2}, [2, 3, 7, 14, 18]),
    ("status=answered", {"filters[status]": "answered"},
     [1, 2, 6, 10, 11, 13, 15, 18, 19]),
    ("status=notanswered", {"filters[status]": "notanswered"}, [3, 8, 12, 17]),
    ("status=canceled", {"filters[status]": "canceled"}, [4, 9, 14, 20]),
    ("status=voicemail", {"filters[status]": "voicemail"}, [5, 7, 16]),
    ("state=assigned -> a lead", {"filters[state]": "assigned"},
     [1, 2, 3, 7, 8, 9, 10, 11, 14, 16, 17, 18, 19, 20]),
    ("state=unassigned -> no lead", {"filters[state]": "unassigned"},
     [4, 5, 6, 12, 13, 15]),
    ("date_from and date_to: the last month of them",
     {"filters[date_from]": day(31), "filters[date_to]": day(1)},
     [15, 16, 17, 18, 19, 20]),
    ("one day, both bounds inclusive",
     {"filters[date_from]": day(38), "filters[date_to]": day(38)}, [12, 13]),
    ("date[from] and date[to]: one day",
     {"filters[date][from]": day(38), "filters[date][to]": day(38)}, [12, 13]),
    ("date[to] alone", {"filters[date][to]": day(54)}, [1, 2, 3, 4]),
    ("both spellings of both bounds: the tighter ones apply",
     {"filters[date_from]": day(61), "filters[date][from]": day(42),
      "filters[date_to]": day(1), "filters[date][to]": day(32)},
     [10, 11, 12, 13, 14]),
    ("date_to before date_from -> nothing",
     {"filters[date_from]": day(31), "filters[date_to]": day(32)}, []),
    ("lead[name] first name", {"filters[lead][name]": "john"}, [2, 3, 19]),
    ("lead[name] full, upper case", {"filters[lead][name]": "JOHN DOE"},
     [2, 3, 19]),
    ("lead[name] middle and last", {"filters[lead][name]": "khalid al"},
     [1, 11]),
    ("lead[name] skipping the middle -> nothing",
     {"filters[lead][name]": "aisha al"}, []),
    ("lead[name] all three names",
     {"filters[lead][name]": "Aisha Khalid Al Mansoori"}, [1, 11]),
    ("lead[name] kumar sharma", {"filters[lead][name]": "kumar sharma"},
     [7, 14]),
    ("status and user_id",
     {"filters[status]": "answered", "filters[user_id]": 2}, [2, 18]),
    ("state and status",
     {"filters[state]": "assigned", "filters[status]": "canceled"},
     [9, 14, 20]),
    ("lead[name] and date_from",
     {"filters[lead][name]": "john", "filters[date_from]": day(31)},
     [19]),
]  # fmt: skip

# Cases on values only fixtures hold: they find the same ids among generated calls.
FIXTURE_VALUE_CASES: list[tuple[str, dict[str, Any], list[int]]] = [
    ("user_id=5 (fixture-only user, all dates)", {"filters[user_id]": 5}, [9]),
    ("user_id=8 (fixture-only user, all dates)", {"filters[user_id]": 8}, [16]),
    ("user_id unknown -> empty", {"filters[user_id]": 99999}, []),
    ("phone as stored", {"filters[phone]": "+971 55 487 9009"}, [2, 3, 19]),
    ("phone with dashes", {"filters[phone]": "+971-55-487-9009"}, [2, 3, 19]),
    ("phone digits only", {"filters[phone]": "971554879009"}, [2, 3, 19]),
    ("landline", {"filters[phone]": "+971 4 338 5521"}, [12, 13]),
    ("landline with brackets", {"filters[phone]": "+971 (4) 3385521"}, [12, 13]),
    ("phone in Arabic-Indic digits", {"filters[phone]": ARABIC_INDIC_PHONE}, [2, 3, 19]),
    ("phone without digits -> nothing", {"filters[phone]": "private"}, []),
    ("reference", {"filters[reference]": "pfflex-7"}, [7]),
    ("reference is case-sensitive", {"filters[reference]": "PFFLEX-7"}, []),
    ("property shorthand", {"filters[property]": 201}, [2, 3, 12, 13, 20]),
    ("property[id]", {"filters[property][id]": 201}, [2, 3, 12, 13, 20]),
    ("property and property[id] agree",
     {"filters[property]": 201, "filters[property][id]": 201}, [2, 3, 12, 13, 20]),
    ("property and property[id] differ -> nothing",
     {"filters[property]": 201, "filters[property][id]": 202}, []),
    ("property[reference] pfflex-123", {"filters[property][reference]": "pfflex-123"},
     [2, 3, 12, 13, 20]),
    ("property[reference] DR-S-202", {"filters[property][reference]": "DR-S-202"}, [1, 11]),
    ("property[reference] is case-sensitive",
     {"filters[property][reference]": "dr-s-202"}, []),
    ("property id and its reference",
     {"filters[property]": 202, "filters[property][reference]": "DR-S-202"}, [1, 11]),
    ("property id and another's reference -> nothing",
     {"filters[property]": 201, "filters[property][reference]": "DR-S-202"}, []),
    ("lead[id]=101", {"filters[lead][id]": 101}, [2, 3, 19]),
    ("lead[id]=106", {"filters[lead][id]": 106}, [10, 17, 20]),
    ("lead[id] and status", {"filters[lead][id]": 101, "filters[status]": "notanswered"}, [3]),
    ("phone and status", {"filters[phone]": "+971 54 266 8031", "filters[status]": "canceled"},
     [20]),
    ("property, status and user_id",
     {"filters[property]": 201, "filters[status]": "answered", "filters[user_id]": 1}, [13]),
]  # fmt: skip
FILTER_CASES = FIXTURES_ONLY_CASES + FIXTURE_VALUE_CASES


@pytest.mark.parametrize(
    ("params", "expected"), [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES]
)
def test_filter(only_fixtures: FlaskClient, params: dict[str, Any], expected: list[int]) -> None:
    response = get(only_fixtures, params)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [ct["id"] for ct in body["call_trackings"]] == expected
    assert (body["count"], body["page"], body["per_page"]) == (len(expected), 1, 100)
    assert WARNING not in response.headers


@pytest.mark.parametrize(
    ("params", "expected"), [c[1:] for c in FIXTURE_VALUE_CASES],
    ids=[c[0] for c in FIXTURE_VALUE_CASES],
)  # fmt: skip
def test_fixture_values_find_only_fixtures_among_generated_calls(
    reader: FlaskClient, params: dict[str, Any], expected: list[int]
) -> None:
    assert listed(reader, {**params, "per_page": 500}) == expected


def test_no_filter_lists_everything_in_id_order(reader: FlaskClient) -> None:
    body = get(reader).get_json()
    assert [ct["id"] for ct in body["call_trackings"]] == ALL_FIXTURES + GENERATED[:80]
    assert (body["count"], body["page"], body["per_page"]) == (250, 1, 100)


# --- sorting ---------------------------------------------------------------------------------

# The ascending order of the fixture calls for each key, read off records.yaml. DESC is the
# exact reverse: nulls last, and ties (same user, lead, phone, status) by id descending.
SORTED_FIXTURES: dict[str, list[int]] = {
    "id": ALL_FIXTURES,
    "phone": [12, 13, 9, 16, 1, 11, 5, 6, 7, 14, 10, 17, 20, 2, 3, 19, 4, 15, 8, 18],
    "user": [6, 8, 20, 1, 12, 13, 19, 2, 3, 7, 14, 18, 4, 11, 5, 17, 9, 10, 15, 16],
    "status": [1, 2, 6, 10, 11, 13, 15, 18, 19, 4, 9, 14, 20, 3, 8, 12, 17, 5, 7, 16],
    "date": ALL_FIXTURES,
    "call_time": [14, 9, 4, 20, 13, 12, 3, 8, 7, 17, 5, 19, 16, 10, 2, 1, 15, 6, 11, 18],
    "lead": [4, 5, 6, 12, 13, 15, 2, 3, 19, 1, 11, 7, 14, 8, 18, 9, 16, 10, 17, 20],
    "created": ALL_FIXTURES,
    "updated": ALL_FIXTURES,
}


def sort_cases() -> Iterator[Any]:
    for key, ascending in SORTED_FIXTURES.items():
        for order, expected in (("ASC", ascending), ("DESC", ascending[::-1])):
            yield pytest.param(key, order, expected, id=f"sort={key} {order}")


@pytest.mark.parametrize(("key", "order", "expected"), sort_cases())
def test_sort(only_fixtures: FlaskClient, key: str, order: str, expected: list[int]) -> None:
    assert listed(only_fixtures, {"sort": key, "sort_order": order}) == expected


@pytest.mark.parametrize("key", sorted(SORTED_FIXTURES))
def test_lowercase_sort_order(only_fixtures: FlaskClient, key: str) -> None:
    params = {"sort": key}
    assert listed(only_fixtures, {**params, "sort_order": "desc"}) == SORTED_FIXTURES[key][::-1]
    assert listed(only_fixtures, {**params, "sort_order": "asc"}) == SORTED_FIXTURES[key]


def test_sort_order_alone_defaults_to_id(only_fixtures: FlaskClient) -> None:
    assert listed(only_fixtures, {"sort_order": "DESC"}) == ALL_FIXTURES[::-1]


SORTED_FIELD = {
    "id": lambda ct: ct["id"], "phone": lambda ct: ct["phone"],
    "user": lambda ct: ct["user"] and ct["user"]["id"], "status": lambda ct: ct["status"],
    "date": lambda ct: ct["call_start"], "call_time": lambda ct: ct["call_time"],
    "lead": lambda ct: ct["lead"] and ct["lead"]["id"], "created": lambda ct: ct["created_at"],
    "updated": lambda ct: ct["updated_at"],
}  # fmt: skip


@pytest.mark.parametrize("order", ["ASC", "DESC"])
@pytest.mark.parametrize("key", sorted(SORTED_FIELD))
def test_pages_of_every_sort_tile_the_documented_order(
    reader: FlaskClient, key: str, order: str
) -> None:
    """All 250 records, 50 a page (the first page takes the heap path): no overlap, no gap."""
    records = list(every_page(reader, {"sort": key, "sort_order": order}))
    value = SORTED_FIELD[key]
    nulls = sorted(ct["id"] for ct in records if value(ct) is None)
    present = sorted((value(ct), ct["id"]) for ct in records if value(ct) is not None)
    ascending = nulls + [i for _, i in present]
    assert [ct["id"] for ct in records] == (ascending if order == "ASC" else ascending[::-1])
    assert sorted(ct["id"] for ct in records) == ALL_FIXTURES + GENERATED


def test_sort_by_updated_follows_a_change(fixtures_client: FlaskClient) -> None:
    """A record changed now sorts last by ``updated``; the others keep their order."""
    client = fixtures_client
    change = {"calltrackings": [5], "operations": [{"op": "replace", "path": "/seen",
                                                     "value": True}]}  # fmt: skip
    assert client.patch("/calltrackings", json=change, headers=auth()).status_code == 200
    params = {"sort": "updated"}
    assert listed(client, params) == [1, 2, 3, 4, *range(6, 21), 5]
    newest = get(client, {"sort": "updated", "sort_order": "DESC", "per_page": 1}).get_json()
    assert [(ct["id"], ct["updated_at"]) for ct in newest["call_trackings"]] == [(5, PINNED_NOW)]


# --- pagination ------------------------------------------------------------------------------

PAGE_CASES: list[tuple[str, dict[str, Any], list[int], int, int]] = [
    ("no page or per_page -> 1 and 100", {}, ALL_FIXTURES, 1, 100),
    ("page=1 per_page=7 items=20 -> first", {"page": 1, "per_page": 7}, [1, 2, 3, 4, 5, 6, 7],
     1, 7),
    ("page=2 per_page=7 items=20 -> middle", {"page": 2, "per_page": 7},
     [8, 9, 10, 11, 12, 13, 14], 2, 7),
    ("page=3 per_page=7 items=20 -> partial last", {"page": 3, "per_page": 7},
     [15, 16, 17, 18, 19, 20], 3, 7),
    ("page=4 per_page=7 items=20 -> just beyond: empty", {"page": 4, "per_page": 7}, [], 4, 7),
    ("page=10 per_page=2 items=20 -> last", {"page": 10, "per_page": 2}, [19, 20], 10, 2),
    ("page=11 per_page=2 items=20 -> empty", {"page": 11, "per_page": 2}, [], 11, 2),
    ("page=1 per_page=20 items=20 -> all", {"page": 1, "per_page": 20}, ALL_FIXTURES, 1, 20),
    ("page=2 per_page=20 items=20 -> empty", {"page": 2, "per_page": 20}, [], 2, 20),
    ("page=1 per_page=1 items=20 -> first (heap path)", {"per_page": 1}, [1], 1, 1),
    ("page=20 per_page=1 items=20 -> last", {"page": 20, "per_page": 1}, [20], 20, 1),
    ("page=999999 per_page=500 items=20 -> empty", {"page": 999999, "per_page": 500}, [],
     999999, 500),
]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected", "page", "per_page"),
    [c[1:] for c in PAGE_CASES],
    ids=[c[0] for c in PAGE_CASES],
)
def test_pagination(
    only_fixtures: FlaskClient, params: dict[str, Any], expected: list[int], page: int,
    per_page: int,
) -> None:
    body = get(only_fixtures, params).get_json()
    assert body == {**body, "count": 20, "page": page, "per_page": per_page}
    assert [ct["id"] for ct in body["call_trackings"]] == expected


def test_per_page_500_is_the_largest_page(reader: FlaskClient) -> None:
    body = get(reader, {"per_page": 500}).get_json()
    assert [ct["id"] for ct in body["call_trackings"]] == ALL_FIXTURES + GENERATED
    assert (body["count"], body["page"], body["per_page"]) == (250, 1, 500)


BAD_PAGING: list[tuple[str, dict[str, Any], str, str]] = [
    ("per_page=501", {"per_page": 501}, "per_page", "501 is greater than the maximum of 500"),
    ("per_page=0", {"per_page": 0}, "per_page", "0 is less than the minimum of 1"),
    ("page=0", {"page": 0}, "page", "0 is less than the minimum of 1"),
    ("page=-3", {"page": -3}, "page", "-3 is less than the minimum of 1"),
]


@pytest.mark.parametrize(
    ("params", "name", "reason"), [c[1:] for c in BAD_PAGING], ids=[c[0] for c in BAD_PAGING]
)
def test_paging_out_of_range(
    reader: FlaskClient, params: dict[str, Any], name: str, reason: str
) -> None:
    response = get(reader, params)
    assert response.status_code == 400
    assert response.get_json() == {
        "code": 400, "message": CONTRACT_ERROR,
        "errors": [{"in": "query", "name": name, "reason": reason}],
    }  # fmt: skip


# --- expansion and the collapsed form --------------------------------------------------------

CALL_1 = {
    "id": 1, "reference": "pfflex-1", "phone": "+971 50 312 6645", "status": "answered",
    "call_start": at(61, "09:12:05"), "call_end": at(61, "09:14:50"),
    "call_time": 165, "talk_time": 155, "wait_time": 3,
    "user": {"id": 1}, "lead": {"id": 102}, "property": {"id": 202},
    "download_url": "http://localhost/__mock/recordings/1.mp3",
    "imported_id": "AE-7755601", "imported_from": "propertyfinder",
    "created_at": at(61, "09:15:34"), "updated_at": at(61, "09:15:34"),
    "acl_rule": "full", "marked_as_seen": True,
}  # fmt: skip
CALL_6 = {
    "id": 6, "reference": "pfflex-6", "phone": "+971 52 455 0917", "status": "answered",
    "call_start": at(51, "11:02:58"), "call_end": at(51, "11:10:11"),
    "call_time": 433, "talk_time": 412, "wait_time": 12,
    "user": None, "lead": None, "property": None,
    "download_url": "http://localhost/__mock/recordings/6.mp3",
    "imported_id": "AE-7755606", "imported_from": "propertyfinder",
    "created_at": at(51, "11:12:21"), "updated_at": at(51, "11:12:21"),
    "acl_rule": "full", "marked_as_seen": True,
}  # fmt: skip
USER_1 = {
    "id": 1,
    "public": {"first_name": "Layla", "last_name": "Haddad",
               "email": "layla.haddad@dunesrealty.example", "phone": "+971 50 118 2040"},
}  # fmt: skip
LEAD_102 = {
    "id": 102, "user": {"id": 1}, "title": "Ms", "first_name": "Aisha", "middle_name": "Khalid",
    "last_name": "Al Mansoori", "email": "aisha.almansoori@outlook.com",
    "mobile": "+971 50 312 6645", "phone": None, "status": "qualified",
    "source": "propertyfinder", "created_at": at(63, "11:45:09"),
    "updated_at": at(48, "15:05:41"), "acl_rule": "full", "marked_as_seen": True,
}  # fmt: skip
PROPERTY_202 = {
    "id": 202, "reference": "DR-S-202", "status": "available", "category": "residential",
    "type": {"name": "villa", "category": "residential"},
    "price": {"offering_type": "sale", "value": 18500000},
    "location": {"city": "Dubai", "community": "Palm Jumeirah", "sub_community": "Frond G"},
    "bedrooms": 5, "bathrooms": 6, "size": 7400, "user": {"id": 1},
}  # fmt: skip
FULL = {"user": USER_1, "lead": LEAD_102, "property": PROPERTY_202}

EXPAND_CASES: list[tuple[str, str | None, set[str], str | None]] = [
    ("no header -> collapsed", None, set(), None),
    ("true -> all three", "true", {"user", "lead", "property"}, None),
    ("True -> all three (case ignored)", "True", {"user", "lead", "property"}, None),
    ("user", "user", {"user"}, None),
    ("lead", "lead", {"lead"}, None),
    ("property", "property", {"property"}, None),
    ("user,lead", "user,lead", {"user", "lead"}, None),
    ("spaces around names", " user , property ", {"user", "property"}, None),
    ("a name twice", "lead,lead", {"lead"}, None),
    ("false -> collapsed, no warning", "false", set(), None),
    ("empty -> collapsed, no warning", "", set(), None),
    ("unknown name -> collapsed, warned", "users", set(), "Unknown expand names ignored: users"),
    ("known and unknown names", "user,foo,bar", {"user"},
     "Unknown expand names ignored: foo, bar"),
    ("an unknown name twice is named once", "foo,foo", set(),
     "Unknown expand names ignored: foo"),
    ("yes is no relation name", "yes", set(), "Unknown expand names ignored: yes"),
    ("1 is no relation name", "1", set(), "Unknown expand names ignored: 1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("header", "expanded", "warning"), [c[1:] for c in EXPAND_CASES],
    ids=[c[0] for c in EXPAND_CASES],
)  # fmt: skip
def test_expand(
    reader: FlaskClient, header: str | None, expanded: set[str], warning: str | None
) -> None:
    headers = {} if header is None else {EXPAND: header}
    response = get(reader, {"filters[reference]": "pfflex-1"}, **headers)
    assert response.status_code == 200
    expected = {**CALL_1, **{name: FULL[name] for name in expanded}}
    assert response.get_json() == {
        "call_trackings": [expected], "count": 1, "page": 1, "per_page": 100
    }
    assert response.headers.get(WARNING) == warning


@pytest.mark.parametrize("header", [None, "true", "user,lead,property"])
def test_null_relations_stay_null(reader: FlaskClient, header: str | None) -> None:
    headers = {} if header is None else {EXPAND: header}
    body = get(reader, {"filters[reference]": "pfflex-6"}, **headers).get_json()
    assert body["call_trackings"] == [CALL_6]


def test_collapsed_relations_in_a_page(only_fixtures: FlaskClient) -> None:
    """``{"id": n}`` for a relation, null for none: calls 4-6 show every combination."""
    body = get(only_fixtures, {"page": 2, "per_page": 3}).get_json()
    relations = [(ct["id"], ct["user"], ct["lead"], ct["property"])
                 for ct in body["call_trackings"]]  # fmt: skip
    assert relations == [
        (4, {"id": 3}, None, None),
        (5, {"id": 4}, None, {"id": 203}),
        (6, None, None, None),
    ]


# --- rights: acl_rule and what each persona sees ---------------------------------------------

ACL_CASES: list[tuple[str, str, list[tuple[int, str]]]] = [
    ("admin: full on everything", "admin", [(i, "full") for i in ALL_FIXTURES]),
    ("viewer: read on everything", "viewer", [(i, "read") for i in ALL_FIXTURES]),
    ("agent: full on its own, sees only those", "agent",
     [(2, "full"), (3, "full"), (7, "full"), (14, "full"), (18, "full")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "expected"), [c[1:] for c in ACL_CASES], ids=[c[0] for c in ACL_CASES]
)
def test_acl_rule(
    only_fixtures: FlaskClient, persona: str, expected: list[tuple[int, str]]
) -> None:
    response = get(only_fixtures, {}, persona)
    assert response.status_code == 200
    assert [(ct["id"], ct["acl_rule"]) for ct in response.get_json()["call_trackings"]] == expected


# (call, lead, the lead's acl_rule), None when the lead stays collapsed: the caller may not
# read it (assumed: another user's lead, or an unowned one, needs lead.read.other)
LEAD_ACL_CASES: list[tuple[str, str, str, list[tuple[int, int, str | None]]]] = [
    ("agent: own lead full, others' and unowned collapsed", "agent", day(1),
     [(2, 101, "full"), (3, 101, "full"), (7, 103, None), (14, 103, None), (18, 104, None)]),
    ("viewer: read", "viewer", day(54), [(1, 102, "read"), (2, 101, "read"),
                                              (3, 101, "read")]),
    ("admin: full, unowned lead too", "admin", day(47),
     [(1, 102, "full"), (2, 101, "full"), (3, 101, "full"), (7, 103, "full"),
      (8, 104, "full")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "date_to", "expected"), [c[1:] for c in LEAD_ACL_CASES],
    ids=[c[0] for c in LEAD_ACL_CASES],
)  # fmt: skip
def test_expanded_lead_acl_rule(
    only_fixtures: FlaskClient, persona: str, date_to: str,
    expected: list[tuple[int, int, str | None]],
) -> None:
    params = {"filters[date_to]": date_to, "filters[state]": "assigned"}
    response = get(only_fixtures, params, persona, **{EXPAND: "lead"})
    calls = response.get_json()["call_trackings"]
    leads = [(ct["id"], ct["lead"]["id"], ct["lead"].get("acl_rule")) for ct in calls]
    assert leads == expected
    assert all(ct["lead"] == {"id": ct["lead"]["id"]} for ct, (*_, acl) in
               zip(calls, expected, strict=True) if acl is None)  # collapsed, nothing more


def test_agent_sees_only_its_own_records_on_every_page(reader: FlaskClient) -> None:
    own = list(every_page(reader, {}, "agent", per_page=25))
    assert {ct["user"]["id"] if ct["user"] else None for ct in own} == {2}
    assert [ct["acl_rule"] for ct in own] == ["full"] * len(own)
    by_admin = list(every_page(reader, {"filters[user_id]": 2}, "admin", per_page=500))
    assert [ct["id"] for ct in own] == [ct["id"] for ct in by_admin]
    assert [ct["id"] for ct in own][:5] == [2, 3, 7, 14, 18]
    assert len(own) > 5  # generated calls of the agent are listed too


AGENT_CASES: list[tuple[str, dict[str, Any], list[int]]] = [
    ("another user's filter -> nothing", {"filters[user_id]": 1}, []),
    ("a shared lead -> only the agent's calls", {"filters[lead][id]": 101}, [2, 3]),
    ("a shared phone -> only the agent's calls", {"filters[phone]": "+971 55 487 9009"}, [2, 3]),
    ("another user's reference -> nothing", {"filters[reference]": "pfflex-1"}, []),
    ("no filter", {}, [2, 3, 7, 14, 18]),
    ("sorted by call_time DESC", {"sort": "call_time", "sort_order": "DESC"},
     [18, 2, 7, 3, 14]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"), [c[1:] for c in AGENT_CASES], ids=[c[0] for c in AGENT_CASES]
)
def test_agent_filters_within_its_records(
    only_fixtures: FlaskClient, params: dict[str, Any], expected: list[int]
) -> None:
    body = get(only_fixtures, params, "agent").get_json()
    assert [ct["id"] for ct in body["call_trackings"]] == expected
    assert body["count"] == len(expected)


def test_viewer_sees_everything(reader: FlaskClient) -> None:
    ids = [ct["id"] for ct in every_page(reader, {}, "viewer", per_page=500)]
    assert ids == ALL_FIXTURES + GENERATED


# --- unknown filters -------------------------------------------------------------------------

WARNING_CASES: list[tuple[str, dict[str, Any], dict[str, str], str]] = [
    ("one unknown filter", {"filters[foo]": "1"}, {},
     "Unknown filters ignored: filters[foo]"),
    ("two, named in sorted order", {"filters[zz]": "1", "filters[bar][baz]": "2"}, {},
     "Unknown filters ignored: filters[bar][baz], filters[zz]"),
    ("unknown sub-key of a known group", {"filters[lead][email]": "a@b.c"}, {},
     "Unknown filters ignored: filters[lead][email]"),
    ("the group alone", {"filters[date]": day(61)}, {},
     "Unknown filters ignored: filters[date]"),
    ("a space is percent-encoded", {"filters[fo o]": "1"}, {},
     "Unknown filters ignored: filters[fo%20o]"),
    ("non-ASCII is percent-encoded", {"filters[\u00f1]": "1"}, {},
     "Unknown filters ignored: filters[%C3%B1]"),
    ("with an unknown expand name", {"filters[foo]": "1"}, {EXPAND: "user,foo"},
     "Unknown filters ignored: filters[foo]; Unknown expand names ignored: foo"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "headers", "warning"), [c[1:] for c in WARNING_CASES],
    ids=[c[0] for c in WARNING_CASES],
)  # fmt: skip
def test_unknown_filters_are_ignored_and_named(
    only_fixtures: FlaskClient, params: dict[str, Any], headers: dict[str, str], warning: str
) -> None:
    response = get(only_fixtures, {"filters[status]": "voicemail", **params}, **headers)
    assert response.status_code == 200
    assert response.headers[WARNING] == warning
    assert [ct["id"] for ct in response.get_json()["call_trackings"]] == [5, 7, 16]


def test_no_warning_without_unknown_filters(reader: FlaskClient) -> None:
    every_known = {
        "filters[user_id]": 2, "filters[status]": "answered", "filters[state]": "assigned",
        "filters[date_from]": day(61), "filters[date_to]": day(32),
        "filters[date][from]": day(61), "filters[date][to]": day(32),
        "filters[phone]": "+971 55 487 9009", "filters[reference]": "pfflex-2",
        "filters[property]": 201, "filters[property][id]": 201,
        "filters[property][reference]": "pfflex-123", "filters[lead][id]": 101,
        "filters[lead][name]": "john", "sort": "date", "sort_order": "DESC",
        "page": 1, "per_page": 10,
    }  # fmt: skip
    response = get(reader, every_known)
    assert response.status_code == 200
    assert WARNING not in response.headers
    assert [ct["id"] for ct in response.get_json()["call_trackings"]] == [2]


def test_a_repeated_parameter_uses_its_first_value_and_says_so(
    only_fixtures: FlaskClient,
) -> None:
    response = only_fixtures.get(
        "/calltrackings?filters[status]=canceled&filters[status]=answered"
        f"&filters[date_to]={day(1)}",
        headers=auth(),
    )
    assert response.status_code == 200
    assert [ct["id"] for ct in response.get_json()["call_trackings"]] == [4, 9, 14, 20]
    assert response.headers["X-MyCRM-API-Warning"] == (
        "Repeated parameters, only the first value used: filters[status]"
    )


def test_the_warning_names_ten_unknown_filters_at_most(client: FlaskClient) -> None:
    query = "&".join(f"filters[x{i:02d}]=1" for i in range(12))
    response = client.get(f"/calltrackings?per_page=1&{query}", headers=auth())
    names = ", ".join(f"filters[x{i:02d}]" for i in range(10))
    assert response.headers["X-MyCRM-API-Warning"] == (
        f"Unknown filters ignored: {names} and 2 more"
    )
