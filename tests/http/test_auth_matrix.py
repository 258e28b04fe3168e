"""Every operation x every persona x broken credentials: exact statuses, and no leaks.

Record 2 is the agent's (user 2) and has a recording; record 1 is the admin's (user 1).
"""

from __future__ import annotations

from typing import Any

import pytest
from apitools import (
    WWW_AUTHENTICATE,
    assert_error,
    call,
    ids_of,
    list_all,
    replace_ops,
    snapshot,
)
from flask import Flask
from flask.testing import FlaskClient

PERSONAS = ("admin", "agent", "viewer", "norights")
UNSEE = replace_ops(("/seen", False))

# operation -> (method, path, JSON body or None)
OPERATIONS: dict[str, tuple[str, str, Any]] = {
    "list": ("GET", "/calltrackings", None),
    "recording, agent's call": ("GET", "/calltrackings/2/recording", None),
    "recording, admin's call": ("GET", "/calltrackings/1/recording", None),
    "patch, agent's call": ("PATCH", "/calltrackings", {"calltrackings": [2], "operations": UNSEE}),
    "patch, admin's call": ("PATCH", "/calltrackings", {"calltrackings": [1], "operations": UNSEE}),
    "patch, no ids": ("PATCH", "/calltrackings", {"operations": UNSEE}),
    "delete, agent's call": ("DELETE", "/calltrackings/2", None),
    "delete, admin's call": ("DELETE", "/calltrackings/1", None),
    "bulk delete, agent's call": ("DELETE", "/calltrackings", {"calltrackings": [2]}),
    "bulk delete, admin's call": ("DELETE", "/calltrackings", {"calltrackings": [1]}),
    "bulk delete, no ids": ("DELETE", "/calltrackings", None),
}

# operation -> status for admin, agent, viewer, norights
EXPECTED: dict[str, tuple[int, int, int, int]] = {
    "list": (200, 200, 200, 403),
    "recording, agent's call": (200, 200, 200, 403),
    "recording, admin's call": (200, 404, 200, 403),
    "patch, agent's call": (200, 200, 403, 403),
    "patch, admin's call": (200, 404, 403, 403),
    "patch, no ids": (200, 200, 403, 403),
    "delete, agent's call": (204, 204, 403, 403),
    "delete, admin's call": (204, 404, 403, 403),
    "bulk delete, agent's call": (204, 204, 403, 403),
    "bulk delete, admin's call": (204, 404, 403, 403),
    "bulk delete, no ids": (204, 204, 403, 403),
}

MISSING = "The Authorization header is missing: send 'Bearer <token>'."
MALFORMED = "The Authorization header must be 'Bearer <token>'."
UNKNOWN = "The bearer token is unknown or expired."
# name -> (Authorization header or None, message of the 401)
BAD_CREDENTIALS: dict[str, tuple[str | None, str]] = {
    "no header": (None, MISSING),
    "empty header": ("", MISSING),
    "unknown token": ("Bearer nobody-token", UNKNOWN),
    "token with extra words": ("Bearer admin-token x", UNKNOWN),
    "basic scheme": ("Basic x", MALFORMED),
    "bearer alone": ("Bearer", MALFORMED),
    "bearer and blanks": ("Bearer   ", MALFORMED),
    "token without scheme": ("admin-token", MALFORMED),
}


@pytest.fixture
def app(reset_app: Flask) -> Flask:
    """One app for the module, its data reset before each test."""
    return reset_app


def send(client: FlaskClient, operation: str, headers: dict[str, str]) -> Any:
    method, path, body = OPERATIONS[operation]
    kwargs = {} if body is None else {"json": body}
    return client.open(path, method=method, headers=headers, **kwargs)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_persona_status(app: Flask, client: FlaskClient, operation: str, persona: str) -> None:
    expected = EXPECTED[operation][PERSONAS.index(persona)]
    before = snapshot(app)
    response = call(client, *OPERATIONS[operation][:2], persona,
                    **({} if OPERATIONS[operation][2] is None
                       else {"json_body": OPERATIONS[operation][2]}))
    if expected >= 400:
        assert_error(response, expected)
        assert snapshot(app) == before
        if expected == 403 and persona in ("viewer", "norights"):
            right = {"GET": "read", "PATCH": "update", "DELETE": "delete"}[response.request.method]
            assert response.get_json()["message"] == f"This operation needs the right lead.{right}."
    else:
        assert response.status_code == expected, response.get_data(as_text=True)
        changed = OPERATIONS[operation][0] != "GET"
        assert (snapshot(app) != before) is changed


@pytest.mark.parametrize("credentials", list(BAD_CREDENTIALS))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_bad_credentials_get_401(app: Flask, client: FlaskClient, operation: str,
                                 credentials: str) -> None:
    header, message = BAD_CREDENTIALS[credentials]
    before = snapshot(app)
    response = send(client, operation, {} if header is None else {"Authorization": header})
    assert_error(response, 401, message)
    assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),  # who you are comes first,
        ({"Authorization": "Bearer norights-token"}, 403),  # then whether you may,
        ({"Authorization": "Bearer viewer-token"}, 403),
        ({"Authorization": "Bearer admin-token"}, 400),  # then what you sent
    ],
)
def test_credentials_are_checked_before_the_body(app: Flask, client: FlaskClient,
                                                 headers: dict[str, str], status: int) -> None:
    before = snapshot(app)
    response = client.patch("/calltrackings", data=b"{not json", headers=headers,
                            content_type="application/json")
    assert_error(response, status)
    assert snapshot(app) == before


def test_scheme_is_case_insensitive(client: FlaskClient) -> None:
    response = client.get("/calltrackings?per_page=1",
                          headers={"Authorization": "bearer agent-token"})
    assert response.status_code == 200
    assert response.get_json()["call_trackings"][0]["user"] == {"id": 2}


# --- reads never leak ------------------------------------------------------------------------


def owner(record: dict[str, Any]) -> int | None:
    return (record["user"] or {}).get("id")


@pytest.mark.parametrize(
    ("persona", "sees", "acl_rule"),
    [("admin", "all", "full"), ("viewer", "all", "read"), ("agent", "own", "full")],
)
def test_list_shows_exactly_what_the_persona_may_read(
    client: FlaskClient, persona: str, sees: str, acl_rule: str
) -> None:
    everything = list_all(client, "admin")
    expected = [r["id"] for r in everything if sees == "all" or owner(r) == 2]
    seen = list_all(client, persona, per_page=37)  # several pages, the last one partial
    assert ids_of(seen) == expected
    assert {r["acl_rule"] for r in seen} == {acl_rule}
    if persona == "agent":
        assert {owner(r) for r in seen} == {2}
        assert {2, 3, 7, 14, 18} <= set(expected)
        assert len(expected) < len(everything)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filters[user_id]": 1}, "none"),  # asking for someone else's records by filter
        ({"filters[reference]": "pfflex-1"}, "none"),
        ({"filters[lead][id]": 102}, "none"),  # calls 1 and 11, neither the agent's
        ({"filters[property][id]": 202}, "none"),
        ({"filters[lead][id]": 101}, [2, 3]),  # 19 has this lead too, but is the admin's
        ({"sort": "user", "sort_order": "DESC"}, "own"),
    ],
)
def test_agent_filters_never_reach_other_records(client: FlaskClient, params: dict[str, Any],
                                                 expected: str | list[int]) -> None:
    records = list_all(client, "agent", per_page=50, **params)
    if expected == "none":
        assert records == []
    elif expected == "own":
        own = [r["id"] for r in list_all(client, "admin") if owner(r) == 2]
        assert sorted(ids_of(records)) == own
    else:
        assert ids_of(records) == expected


def test_expanded_relations_do_not_widen_the_list(client: FlaskClient) -> None:
    response = client.get("/calltrackings?per_page=500",
                          headers={"Authorization": "Bearer agent-token",
                                   "X-MyCRM-Expand-Data": "true"})
    records = response.get_json()["call_trackings"]
    assert {r["user"]["id"] for r in records} == {2}
    assert ids_of(records) == ids_of(list_all(client, "agent"))
