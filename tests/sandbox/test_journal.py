"""The request journal over real HTTP: exactly the requests sent, newest first, per session,
bounded, token masked, with the validation errors the client got."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from conftest import RunningServer
from helpers import Api

from mockserver.sandbox.journal import mask_authorization


def journal(api: Api, **params: int) -> list[dict]:
    response = api.get("/__mock/requests", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["requests"])
    return body["requests"]  # type: ignore[no-any-return]


def test_journal_shows_exactly_the_requests_sent(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name, **{"User-Agent": "journal-test/1"})
    assert api.delete("/__mock/requests").status_code == 204
    assert journal(api) == []

    api.get("/calltrackings", params={"filters[status]": "answered", "per_page": 2})
    api.patch("/calltrackings", json={"calltrackings": [1], "operations": [
        {"op": "replace", "path": "/seen", "value": True}]},
        headers={"X-MyCRM-Expand-Data": "user"})
    api.get("/calltrackings", params={"per_page": "lots"})
    api.get("/calltrackings/1/recording", headers={"Authorization": "Bearer stolen-secret"})
    api.get("/calltrackings/1/recordings")  # no such endpoint
    api.get("/__mock/health")  # admin requests are not journaled

    entries = journal(api)
    summary = [(e["method"], e["path"], e["query"], e["status"], e["operation_id"], e["persona"])
               for e in entries]
    assert summary == [
        ("GET", "/calltrackings/1/recordings", "", 404, None, None),
        ("GET", "/calltrackings/1/recording", "", 401, "getCallTrackingRecording", None),
        ("GET", "/calltrackings", "per_page=lots", 400, "listCallTrackings", "admin"),
        ("PATCH", "/calltrackings", "", 200, "bulkUpdateCallTrackings", "admin"),
        ("GET", "/calltrackings", "filters%5Bstatus%5D=answered&per_page=2", 200,
         "listCallTrackings", "admin"),
    ]
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    patch = entries[3]
    assert patch["headers"] == {
        "Authorization": "Bearer ***",
        "Content-Type": "application/json",
        "Accept": "*/*",
        "X-MyCRM-Expand-Data": "user",
        "X-Mock-Session": session_name,
        "User-Agent": "journal-test/1",
    }
    assert json.loads(patch["body"]) == {"calltrackings": [1], "operations": [
        {"op": "replace", "path": "/seen", "value": True}]}
    assert patch["body_truncated"] is False
    assert patch["fault"] is None
    assert patch["errors"] == []
    assert entries[2]["errors"] == [
        {"in": "query", "name": "per_page", "reason": "'lots' is not a valid integer"}]
    assert entries[1]["headers"]["Authorization"] == "Bearer ***"
    assert all(e["duration_ms"] >= 0 for e in entries)
    text = json.dumps(entries)
    assert "admin-token" not in text
    assert "stolen-secret" not in text


def test_journal_limit_and_clear(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    for page in (1, 2, 3):
        api.get("/calltrackings", params={"page": page, "per_page": 1})
    assert [e["query"] for e in journal(api, limit=2)] == ["page=3&per_page=1",
                                                           "page=2&per_page=1"]
    bad = api.get("/__mock/requests", params={"limit": 0})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["name"] == "limit"
    assert api.delete("/__mock/requests").status_code == 204
    assert journal(api) == []


def test_journal_is_per_session(sandbox: RunningServer, session_name: str) -> None:
    mine = Api(sandbox.url, session=f"{session_name}-mine")
    other = Api(sandbox.url, session=f"{session_name}-other")
    mine.get("/calltrackings", params={"per_page": 1})
    other.get("/calltrackings", params={"per_page": 2})
    assert [e["query"] for e in journal(mine)] == ["per_page=1"]
    assert [e["query"] for e in journal(other)] == ["per_page=2"]


def test_journal_is_bounded_and_keeps_the_newest(small_server: RunningServer) -> None:
    api = Api(small_server.url, session="journal-bound")
    for page in range(1, 6):
        api.get("/calltrackings", params={"page": page, "per_page": 1})
    body = api.get("/__mock/requests").json()
    assert body["capacity"] == 3
    assert [e["query"] for e in body["requests"]] == [
        "page=5&per_page=1", "page=4&per_page=1", "page=3&per_page=1"]


def test_long_bodies_are_cut(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    ids = list(range(1, 800))
    api.delete("/calltrackings", json={"calltrackings": ids}, headers={"Prefer": "code=403"})
    entry = journal(api)[0]
    assert entry["status"] == 403
    assert entry["body_truncated"] is True
    assert len(entry["body"]) == 1024
    assert json.dumps({"calltrackings": ids}).startswith(entry["body"])


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("Bearer admin-token", "Bearer ***"),
        ("bearer   x", "bearer ***"),
        ("Basic dXNlcjpwYXNz", "Basic ***"),
        ("admin-token", "***"),
        ("Bearer ", "***"),
        ("", "***"),
    ],
)
def test_mask_authorization(value: str, masked: str) -> None:
    assert mask_authorization(value) == masked


def test_a_first_request_to_a_wrong_path_is_journaled(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    assert api.get("/calltracking").status_code == 404  # the session's very first request
    assert [(e["path"], e["status"]) for e in journal(api)] == [("/calltracking", 404)]


def test_entries_hold_the_response_sent(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    listed = api.get("/calltrackings", params={"per_page": 1})
    bad = api.get("/calltrackings", params={"per_page": "lots"})
    stray = api.get("/calltracking")
    entries = journal(api)
    by_path = {(e["path"], e["query"]): e["response"] for e in entries}

    ok = by_path[("/calltrackings", "per_page=1")]
    assert ok["headers"]["Content-Type"] == "application/json"
    assert json.loads(ok["body"]) == listed.json()
    assert ok["body_truncated"] is False
    refused = by_path[("/calltrackings", "per_page=lots")]
    assert json.loads(refused["body"]) == bad.json()
    assert json.loads(by_path[("/calltracking", "")]["body"]) == stray.json()


def test_the_token_endpoint_s_answer_is_never_kept(sandbox: RunningServer) -> None:
    """Its body is the token: the entry keeps the headers only (the default session's
    journal, where token requests go; the tests run one at a time)."""
    basic = "Basic " + base64.b64encode(b"agent-key:agent-secret-not-a-secret").decode()
    token = requests.post(f"{sandbox.url}/auth/oauth/v1/token", timeout=10,
                          json={"scope": "openid", "grant_type": "client_credentials"},
                          headers={"Authorization": basic})
    assert token.status_code == 200, token.text
    entry = journal(Api(sandbox.url), limit=1)[0]
    assert (entry["path"], entry["status"], entry["body"]) == ("/auth/oauth/v1/token", 200, None)
    assert entry["response"]["body"] is None
    assert entry["response"]["headers"]["Content-Type"] == "application/json"
    assert token.json()["access_token"] not in json.dumps(entry)


def test_a_long_response_is_cut_to_its_first_4096_characters(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    listed = api.get("/calltrackings", params={"per_page": 50})
    response = journal(api)[0]["response"]
    assert response["body_truncated"] is True
    assert response["body"] == listed.text[:4096]


def test_a_dropped_connection_has_no_response(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    assert api.put("/__mock/faults", json={"rules": [
        {"operation": "listCallTrackings", "drop": {}}]}).status_code == 200
    with pytest.raises(requests.ConnectionError):
        api.get("/calltrackings")
    entry = journal(api)[0]
    assert (entry["status"], entry["fault"], entry["response"]) == (None, "drop", None)


def test_after_gives_only_what_arrived_since(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    api.get("/calltrackings", params={"page": 1, "per_page": 1})
    newest = journal(api)[0]["id"]
    assert journal(api, after=newest) == []
    api.get("/calltrackings", params={"page": 2, "per_page": 1})
    api.get("/calltrackings", params={"page": 3, "per_page": 1})
    assert [(e["id"], e["query"]) for e in journal(api, after=newest)] == [
        (newest + 2, "page=3&per_page=1"), (newest + 1, "page=2&per_page=1")]
    assert api.delete("/__mock/requests").status_code == 204
    api.get("/calltrackings", params={"page": 4, "per_page": 1})
    assert [e["id"] for e in journal(api, after=newest + 2)] == [newest + 3]  # ids go on
    bad = api.get("/__mock/requests", params={"after": -1})
    assert bad.status_code == 400 and bad.json()["errors"][0]["name"] == "after"
