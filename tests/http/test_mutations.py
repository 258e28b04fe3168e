"""Bulk PATCH, single and bulk DELETE, and the recording: exact records before and after.

Fixture facts used here (fixtures/records.yaml): call trackings 1-20; owners admin (user 1):
1, 12, 13, 19; agent (2): 2, 3, 7, 14, 18; viewer (3): 4, 11; norights (4): 5, 17; nobody:
6, 8, 20. Calls 1, 2, 5 have recordings; 3, 4, 8, 9 (notanswered/canceled) have none.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from apitools import (
    SUPERVISOR,
    assert_error,
    call,
    fixtures_with_persona,
    ids_of,
    list_all,
    replace_ops,
    reset,
    snapshot,
)
from conftest import PINNED_NOW, make_app
from flask import Flask
from flask.testing import FlaskClient

Records = dict[int, dict[str, Any]]
SUPERVISOR_AUTH = {"Authorization": "Bearer supervisor-token"}
NOTHING_CHANGED = "Some operations name records that do not exist; nothing was changed."


@pytest.fixture
def app(reset_app: Flask) -> Flask:
    """One app for the module, its data reset before each test."""
    return reset_app


@pytest.fixture(scope="module")
def supervisor_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_app(fixtures=fixtures_with_persona(tmp_path_factory.mktemp("sv"), SUPERVISOR))


def everything(client: FlaskClient) -> Records:
    return {r["id"]: r for r in list_all(client)}


def with_changes(before: Records, changes: dict[int, dict[str, Any]]) -> Records:
    """``before`` with the given fields replaced and ``updated_at`` stamped where they differ."""
    after = copy.deepcopy(before)
    for record_id, fields in changes.items():
        after[record_id].update(fields)
        after[record_id]["updated_at"] = PINNED_NOW
    return after


# --- bulk PATCH: what changes --------------------------------------------------------------

USER_5, USER_4, USER_6 = {"user": {"id": 5}}, {"user": {"id": 4}}, {"user": {"id": 6}}
SEEN, UNSEEN = {"marked_as_seen": True}, {"marked_as_seen": False}

PATCH_CASES = [
    # (case, ids, operations, {id: fields that change}); listed targets not in the dict
    # already had the value and must keep their updated_at.
    ("assign user", [1, 4, 6], [("/assignment/user", 5)], {1: USER_5, 4: USER_5, 6: USER_5}),
    ("assign user, one already has it", [5, 1], [("/assignment/user", 4)], {1: USER_4}),
    ("assign property", [1, 5, 7], [("/assignment/property", 203)],
     {1: {"property": {"id": 203}}, 7: {"property": {"id": 203}}}),
    ("assign lead", [4, 8, 12], [("/assignment/lead", 104)],
     {4: {"lead": {"id": 104}}, 12: {"lead": {"id": 104}}}),
    ("seen true", [1, 3, 4], [("/seen", True)], {3: SEEN, 4: SEEN}),
    ("seen false", [1, 3], [("/seen", False)], {1: UNSEEN}),
    ("seen 0 is false", [2, 5], [("/seen", 0)], {2: UNSEEN}),
    ("seen 2 is true", [5, 6], [("/seen", 2)], {5: SEEN}),
    ("seen -1 is true", [7], [("/seen", -1)], {7: SEEN}),
    ("later seen wins: net no change", [3], [("/seen", True), ("/seen", False)], {}),
    ("later user wins", [1], [("/assignment/user", 5), ("/assignment/user", 6)], {1: USER_6}),
    ("upstream's mixed example", [4, 9],
     [("/assignment/property", 201), ("/assignment/user", 2), ("/seen", 2)],
     {4: {"property": {"id": 201}, "user": {"id": 2}, **SEEN},
      9: {"property": {"id": 201}, "user": {"id": 2}}}),
    ("repeated ids count once", [3, 3], [("/seen", True)], {3: SEEN}),
    ("value already everywhere", [1], [("/assignment/user", 1)], {}),
]


@pytest.mark.parametrize(("case", "ids", "ops", "changes"), PATCH_CASES,
                         ids=[c[0] for c in PATCH_CASES])
def test_bulk_patch(app: Flask, client: FlaskClient, case: str, ids: list[int],
                    ops: list[tuple[str, Any]], changes: dict[int, dict[str, Any]]) -> None:
    before = everything(client)
    untouched = snapshot(app)
    response = call(client, "PATCH", "/calltrackings",
                    json_body={"calltrackings": ids, "operations": replace_ops(*ops)})
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = with_changes(before, changes)
    assert everything(client) == expected  # the next GET shows it; nothing else moved
    targets = sorted(set(ids))
    assert response.get_json() == {
        "call_trackings": [expected[i] for i in targets],
        "count": len(targets),
    }
    if not changes:
        assert snapshot(app) == untouched  # not even the change counter moved


def test_assigning_a_lead_makes_the_call_assigned(client: FlaskClient) -> None:
    assigned = set(ids_of(list_all(client, **{"filters[state]": "assigned"})))
    unassigned = set(ids_of(list_all(client, **{"filters[state]": "unassigned"})))
    assert {4, 6} <= unassigned
    body = {"calltrackings": [4, 6], "operations": replace_ops(("/assignment/lead", 105))}
    assert call(client, "PATCH", "/calltrackings", json_body=body).status_code == 200
    assert set(ids_of(list_all(client, **{"filters[state]": "assigned"}))) == assigned | {4, 6}
    assert set(ids_of(list_all(client, **{"filters[state]": "unassigned"}))) == (
        unassigned - {4, 6}
    )
    assert ids_of(list_all(client, **{"filters[lead][id]": 105})) == [4, 6, 9, 16]


@pytest.mark.parametrize(("persona", "owner"), [("agent", 2), ("admin", None)])
def test_patch_without_ids_targets_what_the_caller_may_update(
    client: FlaskClient, persona: str, owner: int | None
) -> None:
    before = everything(client)
    mine = [i for i, r in before.items() if owner is None or (r["user"] or {}).get("id") == owner]
    if owner == 2:
        assert {2, 3, 7, 14, 18} <= set(mine) and len(mine) < len(before)
    response = call(client, "PATCH", "/calltrackings", persona,
                    json_body={"operations": replace_ops(("/seen", False))})
    assert response.status_code == 200
    changes = {i: UNSEEN for i in mine if before[i]["marked_as_seen"]}
    assert changes  # some targets were seen, so the test shows updated_at moving
    expected = with_changes(before, changes)
    assert everything(client) == expected
    body = response.get_json()
    assert ids_of(body["call_trackings"]) == sorted(mine)
    assert body["count"] == len(mine)
    if owner == 2:  # the agent sees its records with its own acl_rule
        assert {r["acl_rule"] for r in body["call_trackings"]} == {"full"}


def test_agent_gives_its_call_away_and_loses_sight_of_it(client: FlaskClient) -> None:
    body = {"calltrackings": [3], "operations": replace_ops(("/assignment/user", 1))}
    response = call(client, "PATCH", "/calltrackings", "agent", json_body=body)
    assert response.status_code == 200
    assert [(r["id"], r["user"]) for r in response.get_json()["call_trackings"]] == [
        (3, {"id": 1})
    ]
    assert 3 not in ids_of(list_all(client, "agent"))
    assert call(client, "GET", "/calltrackings/3/recording", "agent").status_code == 404


def test_patch_response_honours_expansion(client: FlaskClient) -> None:
    body = {"calltrackings": [2], "operations": replace_ops(("/seen", True))}
    response = call(client, "PATCH", "/calltrackings", json_body=body,
                    headers={"X-MyCRM-Expand-Data": "lead, bogus"})
    assert response.status_code == 200
    record = response.get_json()["call_trackings"][0]
    assert record["lead"]["id"] == 101 and record["lead"]["first_name"] == "John"
    assert record["user"] == {"id": 2} and record["property"] == {"id": 201}
    assert response.headers["X-MyCRM-API-Warning"] == "Unknown expand names ignored: bogus"


# --- bulk PATCH: atomicity -----------------------------------------------------------------


def problem(name: str, reason: str) -> dict[str, str]:
    return {"in": "body", "name": name, "reason": reason}


ATOMIC_CASES = [
    # (case, persona, body, status, message, errors)
    ("unknown user in the second operation", "admin",
     {"calltrackings": [1, 3],
      "operations": replace_ops(("/seen", True), ("/assignment/user", 99))},
     404, NOTHING_CHANGED, [problem("operations/1/value", "no user with id 99")]),
    ("unknown lead and property", "admin",
     {"calltrackings": [4], "operations": replace_ops(
         ("/assignment/lead", 999), ("/assignment/property", 1), ("/assignment/user", 5))},
     404, NOTHING_CHANGED, [problem("operations/0/value", "no lead with id 999"),
                            problem("operations/1/value", "no property with id 1")]),
    ("unknown user, no ids", "admin",
     {"operations": replace_ops(("/seen", False), ("/assignment/user", 100000))},
     404, NOTHING_CHANGED, [problem("operations/1/value", "no user with id 100000")]),
    ("a lead id is not a user id", "admin",
     {"calltrackings": [1], "operations": replace_ops(("/assignment/user", 101))},
     404, NOTHING_CHANGED, [problem("operations/0/value", "no user with id 101")]),
    ("unknown target", "admin",
     {"calltrackings": [1, 99999, 3], "operations": replace_ops(("/seen", True))},
     404, "No call tracking with id 99999; nothing was changed.",
     [problem("calltrackings", "no call tracking with id 99999")]),
    ("target beyond int64", "admin",
     {"calltrackings": [2, 99999999999999999999999], "operations": replace_ops(("/seen", True))},
     404, "No call tracking with id 99999999999999999999999; nothing was changed.",
     [problem("calltrackings", "no call tracking with id 99999999999999999999999")]),
    ("agent names a record it cannot read", "agent",
     {"calltrackings": [2, 1], "operations": replace_ops(("/seen", False))},
     404, "No call tracking with id 1; nothing was changed.",
     [problem("calltrackings", "no call tracking with id 1")]),
    ("viewer has no update right", "viewer",
     {"calltrackings": [4], "operations": replace_ops(("/seen", True))},
     403, "This operation needs the right lead.update.", None),
    ("norights", "norights",
     {"calltrackings": [5], "operations": replace_ops(("/seen", True))},
     403, "This operation needs the right lead.update.", None),
    ("one invalid operation", "admin",
     {"calltrackings": [3], "operations": [*replace_ops(("/seen", True)),
                                           {"op": "replace", "path": "/foo", "value": 1}]},
     400, "The request does not match the API contract.", None),
]


@pytest.mark.parametrize(("case", "persona", "body", "status", "message", "errors"),
                         ATOMIC_CASES, ids=[c[0] for c in ATOMIC_CASES])
def test_failed_patch_changes_nothing(app: Flask, client: FlaskClient, case: str, persona: str,
                                      body: dict[str, Any], status: int, message: str,
                                      errors: list[dict[str, str]] | None) -> None:
    before = snapshot(app)
    response = call(client, "PATCH", "/calltrackings", persona, json_body=body)
    assert_error(response, status, message, errors)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("PATCH", "/calltrackings", {"calltrackings": [13, 1],
                                     "operations": replace_ops(("/seen", True))},
         "Your rights do not allow lead.update on call tracking 1, 13 (it belongs to another "
         "user); nothing was changed."),
        ("DELETE", "/calltrackings", {"calltrackings": [1]},
         "Your rights do not allow lead.delete on call tracking 1 (it belongs to another user); "
         "nothing was changed."),
        ("DELETE", "/calltrackings/2", None,
         "Your rights do not allow lead.delete on call tracking 2 (it belongs to another user); "
         "nothing was changed."),
    ],
)
def test_readable_but_not_changeable_is_403(supervisor_app: Flask, method: str, path: str,
                                            body: Any, message: str) -> None:
    reset(supervisor_app)
    client = supervisor_app.test_client()
    before = snapshot(supervisor_app)
    response = client.open(path, method=method, headers=SUPERVISOR_AUTH, json=body)
    assert_error(response, 403, message)
    assert snapshot(supervisor_app) == before


# --- DELETE --------------------------------------------------------------------------------


def test_delete_one(client: FlaskClient) -> None:
    before = ids_of(list_all(client))
    response = call(client, "DELETE", "/calltrackings/7")
    assert (response.status_code, response.data) == (204, b"")
    assert ids_of(list_all(client)) == [i for i in before if i != 7]
    assert_error(call(client, "DELETE", "/calltrackings/7"), 404, "No call tracking with id 7.",
                 [{"in": "path", "name": "id", "reason": "no call tracking with id 7"}])
    assert_error(call(client, "GET", "/calltrackings/7/recording"), 404,
                 "No call tracking with id 7.")


@pytest.mark.parametrize(
    ("persona", "record_id", "status", "message"),
    [
        ("agent", 2, 204, None),
        ("agent", 1, 404, "No call tracking with id 1."),  # the agent cannot read it
        ("agent", 6, 404, "No call tracking with id 6."),  # nobody's: still not the agent's
        ("viewer", 4, 403, "This operation needs the right lead.delete."),
        ("norights", 5, 403, "This operation needs the right lead.delete."),
        ("admin", 99999, 404, "No call tracking with id 99999."),
    ],
)
def test_delete_one_rights(app: Flask, client: FlaskClient, persona: str, record_id: int,
                           status: int, message: str | None) -> None:
    before = snapshot(app)
    all_ids = ids_of(list_all(client))
    response = call(client, "DELETE", f"/calltrackings/{record_id}", persona)
    if status == 204:
        assert (response.status_code, response.data) == (204, b"")
        assert ids_of(list_all(client)) == [i for i in all_ids if i != record_id]
    else:
        assert_error(response, status, message)
        assert snapshot(app) == before


@pytest.mark.parametrize(
    ("persona", "ids", "deleted"),
    [
        ("admin", [1, 2, 3], {1, 2, 3}),
        ("admin", [5, 4, 5, 4], {4, 5}),
        ("agent", [18, 2], {2, 18}),
        ("admin", [20], {20}),
    ],
)
def test_bulk_delete_ids(client: FlaskClient, persona: str, ids: list[int],
                         deleted: set[int]) -> None:
    before = ids_of(list_all(client))
    response = call(client, "DELETE", "/calltrackings", persona, json_body={"calltrackings": ids})
    assert (response.status_code, response.data) == (204, b"")
    assert ids_of(list_all(client)) == [i for i in before if i not in deleted]


@pytest.mark.parametrize(
    ("persona", "ids", "status", "message"),
    [
        ("admin", [1, 99999], 404, "No call tracking with id 99999; nothing was changed."),
        ("admin", [99998, 2, 99999], 404,
         "No call tracking with id 99998, 99999; nothing was changed."),
        ("agent", [2, 1], 404, "No call tracking with id 1; nothing was changed."),
        ("viewer", [4], 403, "This operation needs the right lead.delete."),
        ("norights", [5], 403, "This operation needs the right lead.delete."),
    ],
)
def test_failed_bulk_delete_deletes_nothing(app: Flask, client: FlaskClient, persona: str,
                                            ids: list[int], status: int, message: str) -> None:
    before = snapshot(app)
    response = call(client, "DELETE", "/calltrackings", persona, json_body={"calltrackings": ids})
    assert_error(response, status, message)
    assert snapshot(app) == before


BODY_MEANING_ALL = {"no body": None, "empty object": {}}


@pytest.mark.parametrize("body", list(BODY_MEANING_ALL), ids=list(BODY_MEANING_ALL))
@pytest.mark.parametrize("persona", ["admin", "agent"])
def test_bulk_delete_without_ids_deletes_what_the_caller_may(
    client: FlaskClient, body: str, persona: str
) -> None:
    before = list_all(client)
    kept = [] if persona == "admin" else [r["id"] for r in before if r["user"] != {"id": 2}]
    json_body = BODY_MEANING_ALL[body]
    kwargs = {} if json_body is None else {"json_body": json_body}
    response = call(client, "DELETE", "/calltrackings", persona, **kwargs)
    assert (response.status_code, response.data) == (204, b"")
    assert ids_of(list_all(client)) == kept
    if persona == "agent":
        assert list_all(client, "agent") == []
        assert {1, 4, 5, 6, 20} <= set(kept) and not {2, 3, 7, 14, 18} & set(kept)


@pytest.mark.parametrize("persona", ["admin", "agent"])
def test_an_empty_id_list_deletes_nothing(app: Flask, client: FlaskClient, persona: str) -> None:
    """A selection that came out empty must not mean "everything" (assumed, see the spec)."""
    before = snapshot(app)
    response = call(client, "DELETE", "/calltrackings", persona, json_body={"calltrackings": []})
    assert_error(response, 400, "The request does not match the API contract.")
    assert response.get_json()["errors"] == [
        {"in": "body", "name": "calltrackings", "reason": "[] should be non-empty"}]
    assert snapshot(app) == before


# --- the recording -------------------------------------------------------------------------

HOST = "http://calls.example.test:8123"


@pytest.mark.parametrize(("persona", "record_id"),
                         [("admin", 1), ("admin", 5), ("agent", 2), ("viewer", 19)])
def test_recording(client: FlaskClient, persona: str, record_id: int) -> None:
    response = call(client, "GET", f"/calltrackings/{record_id}/recording", persona,
                    base_url=HOST)
    assert response.status_code == 200
    assert response.get_json() == {
        "recording": {"url": f"{HOST}/__mock/recordings/{record_id}.mp3"}
    }


@pytest.mark.parametrize(("record_id", "status"),
                         [(3, "notanswered"), (4, "canceled"), (8, "notanswered"),
                          (9, "canceled")])
def test_no_recording(client: FlaskClient, record_id: int, status: str) -> None:
    response = call(client, "GET", f"/calltrackings/{record_id}/recording")
    assert_error(response, 404, f"Call tracking {record_id} has no recording (status {status}).",
                 [{"in": "path", "name": "id",
                   "reason": f"call tracking {record_id} has no recording"}])


@pytest.mark.parametrize(("persona", "record_id"), [("admin", 99999), ("agent", 1)])
def test_recording_of_unknown_or_unreadable_call(client: FlaskClient, persona: str,
                                                 record_id: int) -> None:
    response = call(client, "GET", f"/calltrackings/{record_id}/recording", persona)
    assert_error(response, 404, f"No call tracking with id {record_id}.")


def test_supervisor_reads_all_but_may_change_none_of_the_fixtures(supervisor_app: Flask) -> None:
    """Guards the 403 tests: the extra persona reads others' records and owns none of 1-20."""
    reset(supervisor_app)
    response = supervisor_app.test_client().get("/calltrackings?per_page=20",
                                                 headers=SUPERVISOR_AUTH)
    body = response.get_json()
    assert ids_of(body["call_trackings"]) == list(range(1, 21))
    assert {r["acl_rule"] for r in body["call_trackings"]} == {"read"}
