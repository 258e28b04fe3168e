"""Reset, export and import over real HTTP: exact baselines, exact round trips, and imports
that are refused whole, naming the record and the field, with the old state intact."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
from conftest import RunningServer
from helpers import Api

State = dict[str, Any]


def change_something(api: Api, state: State) -> None:
    """A PATCH and a DELETE, so that the state differs from ``state`` in two ways."""
    unseen = next(r["id"] for r in state["call_trackings"] if not r["marked_as_seen"])
    assert api.mark_seen([unseen]).status_code == 200
    assert api.delete(f"/calltrackings/{state['call_trackings'][-1]['id']}").status_code == 204
    assert api.state() != state


def test_reset_restores_the_exact_baseline(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    baseline = api.get("/__mock/state").content
    listed = api.get("/calltrackings", params={"per_page": 500}).content
    change_something(api, json.loads(baseline))

    response = api.post("/__mock/reset", json={})
    assert response.status_code == 200
    assert response.json() == {
        "status": "reset", "session": session_name, "seed": 42,
        "counts": {"users": 20, "leads": 89, "properties": 68, "call_trackings": 250},
    }
    assert api.get("/__mock/state").content == baseline
    assert api.get("/calltrackings", params={"per_page": 500}).content == listed


def test_reset_with_a_new_seed_and_count_is_deterministic(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    baseline = api.state()
    first = api.post("/__mock/reset", json={"seed": 7, "count": 60})
    assert first.status_code == 200
    assert first.json()["seed"] == 7
    assert first.json()["counts"]["call_trackings"] == 60
    seeded = api.get("/__mock/state").content
    assert json.loads(seeded) != baseline
    assert api.post("/__mock/reset", json={"seed": 7, "count": 60}).status_code == 200
    assert api.get("/__mock/state").content == seeded
    only_count = api.post("/__mock/reset", json={"count": 30}).json()
    assert (only_count["seed"], only_count["counts"]["call_trackings"]) == (42, 30)
    assert api.post("/__mock/reset", json={}).status_code == 200
    assert api.state() == baseline


def test_regenerating_the_start_s_seed_and_count_gives_the_baseline(
    sandbox: RunningServer, session_name: str
) -> None:
    """Generated again, not copied: with the same now as at start (pinned), not the wall clock."""
    api = Api(sandbox.url, session=session_name)
    baseline = api.get("/__mock/state").content
    assert api.post("/__mock/reset", json={"seed": 7, "count": 60}).status_code == 200
    assert api.post("/__mock/reset", json={"seed": 42, "count": 250}).status_code == 200
    assert api.get("/__mock/state").content == baseline


@pytest.mark.parametrize(
    ("body", "where", "headers"),
    [
        ({"seed": -1}, "seed", {}),
        ({"count": 100001}, "count", {}),
        ({"count": "ten"}, "count", {}),
        ({"colour": "red"}, "", {}),
    ],
)
def test_reset_refuses_bad_bodies(
    sandbox: RunningServer, session_name: str, body: Any, where: str, headers: dict[str, str]
) -> None:
    api = Api(sandbox.url, session=session_name)
    before = api.get("/__mock/state").content
    response = api.post("/__mock/reset", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == 400
    assert [(e["in"], e["name"]) for e in response.json()["errors"]] == [("body", where)]
    assert api.get("/__mock/state").content == before


def test_a_reset_generates_at_most_the_servers_max_reset_count(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    assert api.post("/__mock/reset", json={"count": 10_000}).json()["counts"][
        "call_trackings"] == 10_000
    response = api.post("/__mock/reset", json={"count": 10_001})
    assert (response.status_code, response.json()) == (400, {
        "code": 400, "message": "The count is too large: at most 10000 (--max-reset-count).",
        "errors": [{"in": "body", "name": "count",
                    "reason": "10001 is more than the 10000 this server allows"}]})
    assert len(api.state()["call_trackings"]) == 10_000  # unchanged


def test_reset_refuses_a_body_that_is_not_json(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    response = api.post("/__mock/reset", data="seed=1", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json() == {"code": 415, "message":
                               "The request body must be application/json, not text/plain."}


def test_export_change_import_restores_the_exact_state(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    change_something(api, api.state())  # start from a state that is not the baseline
    exported = api.get("/__mock/state").content
    listed = api.get("/calltrackings", params={"per_page": 500}).content
    change_something(api, json.loads(exported))

    response = api.put("/__mock/state", data=exported,
                       headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "imported", "session": session_name,
                               "counts": {"users": 20, "leads": 89, "properties": 68,
                                          "call_trackings": 249}}
    assert api.get("/__mock/state").content == exported
    assert api.get("/calltrackings", params={"per_page": 500}).content == listed


def test_state_moves_between_sessions(sandbox: RunningServer, session_name: str) -> None:
    source = Api(sandbox.url, session=f"{session_name}-a")
    target = Api(sandbox.url, session=f"{session_name}-b")
    change_something(source, source.state())
    assert target.put("/__mock/state", json=source.state()).status_code == 200
    assert target.state() == source.state()
    assert Api(sandbox.url).state() != source.state()


def _records(state: State, kind: str) -> list[dict[str, Any]]:
    return state[kind]  # type: ignore[no-any-return]


def corrupt_status(s: State) -> None:
    _records(s, "call_trackings")[3]["status"] = "hung-up"


def corrupt_missing_field(s: State) -> None:
    del _records(s, "call_trackings")[5]["reference"]


def corrupt_dangling_lead(s: State) -> None:
    _records(s, "call_trackings")[0]["lead"] = {"id": 999999}


def corrupt_call_end(s: State) -> None:
    _records(s, "call_trackings")[2]["call_end"] = "2020-01-01T00:00:00+04:00"


def corrupt_unknown_field(s: State) -> None:
    _records(s, "leads")[1]["nickname"] = "Bob"


def corrupt_acl_rule(s: State) -> None:
    _records(s, "call_trackings")[1]["acl_rule"] = "full"


def corrupt_duplicate_id(s: State) -> None:
    _records(s, "properties").append(copy.deepcopy(_records(s, "properties")[0]))


def corrupt_persona_user(s: State) -> None:
    s["users"] = [u for u in s["users"] if u["id"] != 2]
    for kind in ("leads", "properties", "call_trackings"):
        for record in s[kind]:
            if record["user"] == {"id": 2}:
                record["user"] = None


def corrupt_price(s: State) -> None:
    _records(s, "properties")[4]["price"]["value"] = -5


def corrupt_collection(s: State) -> None:
    s["calltrackings"] = s.pop("call_trackings")


def corrupt_not_a_list(s: State) -> None:
    s["users"] = {"id": 1}


def corrupt_bad_email(s: State) -> None:
    _records(s, "users")[0]["public"]["email"] = "not an email"


@pytest.mark.parametrize(
    ("corrupt", "where", "reason"),
    [
        (corrupt_status, "call_trackings/3/status",
         "'hung-up' is not one of ['notanswered', 'answered', 'canceled', 'voicemail']"),
        (corrupt_missing_field, "call_trackings/5/reference", "required field is missing"),
        (corrupt_dangling_lead, "call_trackings/0/lead", "no lead with id 999999"),
        (corrupt_call_end, "call_trackings/2/call_end", "expected "),
        (corrupt_unknown_field, "leads/1/nickname", "unknown field"),
        (corrupt_acl_rule, "call_trackings/1/acl_rule", "computed per caller, not stored"),
        (corrupt_duplicate_id, "properties/68/id", "duplicate id"),
        (corrupt_persona_user, "users", "the persona agent needs user 2"),
        (corrupt_price, "properties/4/price/value", "-5 is less than the minimum of 0"),
        (corrupt_collection, "", "call_trackings"),
        (corrupt_not_a_list, "users", "is not of type 'array'"),
        (corrupt_bad_email, "users/0/public/email", "is not a \"email\""),
    ],
)
def test_invalid_import_is_refused_with_the_old_state_intact(
    sandbox: RunningServer,
    session_name: str,
    corrupt: Callable[[State], None],
    where: str,
    reason: str,
) -> None:
    api = Api(sandbox.url, session=session_name)
    change_something(api, api.state())
    before = api.get("/__mock/state").content
    document = json.loads(before)
    corrupt(document)

    response = api.put("/__mock/state", json=document)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 400
    assert len(body["errors"]) >= 1
    assert body["errors"][0]["in"] == "body"
    assert body["errors"][0]["name"] == where
    assert reason in body["errors"][0]["reason"] or reason in body["message"]
    assert api.get("/__mock/state").content == before


def test_import_refuses_malformed_json(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    before = api.get("/__mock/state").content
    response = api.put("/__mock/state", data=b'{"users": [',
                       headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"] == "The request body is not valid JSON."
    assert api.get("/__mock/state").content == before


def test_import_of_a_large_body_is_refused_with_413(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    response = api.put("/__mock/state", data=b"[" + b"0," * 600_000 + b"0]",
                       headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == 413


def test_export_is_valid_against_the_spec_schemas(sandbox: RunningServer) -> None:
    """Every exported record passes the contract's schema (with its per-caller fields)."""
    from mockserver.core.spec import Spec
    from mockserver.data.fixtures import api_view

    spec = Spec.load()
    state = requests.get(f"{sandbox.url}/__mock/state", timeout=30).json()
    schemas = {"users": "User", "leads": "Lead", "properties": "Property",
               "call_trackings": "CallTracking"}
    for kind, schema in schemas.items():
        validator = spec.component_validator(schema)
        for record in state[kind]:
            assert "acl_rule" not in record
            validator.validate(api_view(kind, record))
