"""Every combination of the six lead rights, in minted tokens for the agent's user: what each
may list, change and delete, and what it is refused.

The rules, restated by hand from the spec (``x-rights`` and ``acl_rule``): an operation needs
its right with or without ``.other``; a right without ``.other`` covers the caller's own
records (user 2 owns calls 2, 3, 7, 14 and 18), with ``.other`` every record; a record the
caller may not read is a 404, one it may read but not change a 403.
"""

from __future__ import annotations

import itertools
import json

import pytest
from conftest import make_app
from flask import Flask

RIGHTS = ("lead.read", "lead.read.other", "lead.update", "lead.update.other", "lead.delete",
          "lead.delete.other")
OWN, OTHERS = [2, 3, 7, 14, 18], [1, 12]  # user 2's calls, and two of user 1's
COMBINATIONS = [frozenset(c) for n in range(len(RIGHTS) + 1)
                for c in itertools.combinations(RIGHTS, n)]


def may(rights: frozenset[str], action: str, own: bool) -> bool:
    return f"lead.{action}.other" in rights or (own and f"lead.{action}" in rights)


def has(rights: frozenset[str], action: str) -> bool:
    return f"lead.{action}" in rights or f"lead.{action}.other" in rights


def expected_change(rights: frozenset[str], action: str, own: bool) -> int:
    if not has(rights, action):
        return 403  # the operation's right
    if not may(rights, "read", own):
        return 404  # a record it may not read does not exist for it
    if not may(rights, action, own):
        return 403
    return 204 if action == "delete" else 200


@pytest.fixture(scope="module")
def app() -> Flask:
    return make_app(count=20)


def test_all_sixty_four_combinations(app: Flask) -> None:
    assert len(COMBINATIONS) == 64
    client = app.test_client()
    store = app.extensions["mockserver"]["store"]
    for rights in COMBINATIONS:
        store.replace(store.session(), None)
        minted = client.post("/__mock/tokens", json={"user": 2, "roles": sorted(rights)})
        assert minted.status_code == 200, minted.get_json()
        assert minted.get_json()["claims"]["realm_access"]["roles"][2:] == sorted(rights)
        bearer = {"Authorization": f"Bearer {minted.get_json()['access_token']}"}
        listed = client.get("/calltrackings?per_page=500", headers=bearer)
        if has(rights, "read"):
            ids = [ct["id"] for ct in listed.get_json()["call_trackings"]]
            assert ids == (list(range(1, 21)) if "lead.read.other" in rights else OWN), rights
        else:
            assert listed.status_code == 403, rights
        for record_id, own in [(OWN[0], True), (OTHERS[0], False)]:
            was = store.session().data.call_trackings[record_id].marked_as_seen
            flip = {"operations": [{"op": "replace", "path": "/seen", "value": not was}],
                    "calltrackings": [record_id]}
            patched = client.patch("/calltrackings", json=flip, headers=bearer)
            assert patched.status_code == expected_change(rights, "update", own), (rights,
                                                                                  record_id)
            now = store.session().data.call_trackings[record_id].marked_as_seen
            assert now == (was if patched.status_code != 200 else not was), (rights, record_id)
        for record_id, own in [(OWN[1], True), (OTHERS[1], False)]:
            deleted = client.delete(f"/calltrackings/{record_id}", headers=bearer)
            assert deleted.status_code == expected_change(rights, "delete", own), (rights,
                                                                                  record_id)
            gone = record_id not in store.session().data.call_trackings
            assert gone == (deleted.status_code == 204)


def test_minting_refuses_what_cannot_be_a_token(app: Flask) -> None:
    client = app.test_client()
    cases = [
        ({"user": 99999, "roles": []}, 404, [{"in": "body", "name": "user",
                                              "reason": "no user with id 99999"}]),
        ({"user": 2}, 400, [{"in": "body", "name": "",
                             "reason": "'roles' is a required property"}]),
        ({"user": 2, "roles": [], "lifetime_seconds": 86401}, 400, [
            {"in": "body", "name": "lifetime_seconds",
             "reason": "86401 is greater than the maximum of 86400"}]),
        ({"user": 2, "roles": [""]}, 400, [{"in": "body", "name": "roles/0",
                                            "reason": "'' should be non-empty"}]),
        ({"user": 2, "roles": [], "client_id": "a b"}, 400, [
            {"in": "body", "name": "client_id",
             "reason": "'a b' does not match '^[A-Za-z0-9._-]{1,64}$'"}]),
    ]
    for body, status, errors in cases:
        response = client.post("/__mock/tokens", json=body)
        assert (response.status_code, response.get_json()["errors"]) == (status, errors), body


def test_a_minted_token_says_who_and_until_when(app: Flask) -> None:
    minted = app.test_client().post("/__mock/tokens", json={
        "user": 3, "roles": ["lead.read"], "lifetime_seconds": 60, "client_id": "qa-tool"})
    body = minted.get_json()
    assert (body["token_type"], body["expires_in"], body["expires_at"]) == (
        "Bearer", 60, "2025-01-15T09:31:00+04:00")
    claims = body["claims"]
    assert (claims["pf_user_id"], claims["client_id"], claims["exp"] - claims["iat"]) == (
        3, "qa-tool", 60)
    assert json.loads(json.dumps(claims)) == claims
