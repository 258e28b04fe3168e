"""The response cache never answers what a fresh computation would not.

Each test caches a read, changes one thing that shapes the answer (the data, through every
kind of write; the caller; a declared header; the host; the session itself; the faults),
and checks that the very next request is answered afresh and shows the change, while the
same request again is served from the cache (the hit counter says so) byte for byte.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import make_app
from flask import Flask
from flask.testing import FlaskClient

from mockserver.core.http import HttpResponse
from mockserver.pipeline.response_cache import ResponseCache

ADMIN = {"Authorization": "Bearer admin-token"}
AGENT = {"Authorization": "Bearer agent-token"}
PAGE = "/calltrackings?per_page=5&sort=id"


@pytest.fixture
def app() -> Flask:
    return make_app()


def cache_of(app: Flask) -> ResponseCache:
    cache = app.extensions["mockserver"]["pipeline"].cache
    assert isinstance(cache, ResponseCache)
    return cache


def get(client: FlaskClient, path: str = PAGE, **headers: str) -> Any:
    response = client.get(path, headers={**ADMIN, **headers})
    assert response.status_code == 200, response.get_json()
    return response


def hits_after(app: Flask, call: Any) -> int:
    before = cache_of(app).hits
    call()
    return cache_of(app).hits - before


def test_a_repeated_read_is_served_from_the_cache_byte_for_byte(app: Flask) -> None:
    client = app.test_client()
    first = get(client)
    assert hits_after(app, lambda: get(client)) == 1
    again = get(client)
    assert again.data == first.data and again.headers == first.headers


@pytest.mark.parametrize("write", ["patch", "delete one", "delete many", "reset", "import"])
def test_every_write_is_seen_by_the_very_next_read(app: Flask, write: str) -> None:
    client = app.test_client()
    before = get(client).get_json()
    first = before["call_trackings"][0]
    if write == "patch":
        changed = client.patch("/calltrackings", headers=ADMIN, json={
            "calltrackings": [first["id"]],
            "operations": [{"op": "replace", "path": "/seen",
                            "value": not first["marked_as_seen"]}]})
    elif write == "delete one":
        changed = client.delete(f"/calltrackings/{first['id']}", headers=ADMIN)
    elif write == "delete many":
        changed = client.delete("/calltrackings", headers=ADMIN,
                                json={"calltrackings": [first["id"]]})
    elif write == "reset":
        changed = client.post("/__mock/reset", headers=ADMIN, json={"count": 30, "seed": 7})
    else:
        state = client.get("/__mock/state", headers=ADMIN).get_json()
        state["call_trackings"] = state["call_trackings"][1:]
        changed = client.put("/__mock/state", headers=ADMIN, json=state)
    assert changed.status_code in (200, 204), changed.get_json()
    after = get(client).get_json()
    assert after != before
    if write == "patch":
        assert after["call_trackings"][0]["marked_as_seen"] is not first["marked_as_seen"]
    elif write == "reset":
        assert after["count"] == 30
    else:
        assert first["id"] not in [ct["id"] for ct in after["call_trackings"]]
        assert after["count"] == before["count"] - 1
    assert hits_after(app, lambda: get(client)) == 1


def test_a_reset_back_to_the_baseline_is_seen_too(app: Flask) -> None:
    client = app.test_client()
    baseline = get(client).data
    first = get(client).get_json()["call_trackings"][0]
    client.delete(f"/calltrackings/{first['id']}", headers=ADMIN)
    assert get(client).data != baseline
    assert client.post("/__mock/reset", headers=ADMIN).status_code == 200
    assert get(client).data == baseline


def test_callers_never_see_each_others_cached_answers(app: Flask) -> None:
    client = app.test_client()
    everything = get(client, "/calltrackings?per_page=500").get_json()
    own = client.get("/calltrackings?per_page=500", headers=AGENT).get_json()
    assert {ct["user"]["id"] for ct in own["call_trackings"] if ct["user"]} == {2}
    assert own["count"] < everything["count"]
    minted = client.post("/__mock/tokens", headers=ADMIN,
                         json={"user": 2, "roles": ["lead.read", "lead.read.other"]})
    wider = {"Authorization": f"Bearer {minted.get_json()['access_token']}"}
    same_user = client.get("/calltrackings?per_page=500", headers=wider).get_json()
    assert same_user["count"] == everything["count"]


def test_an_expired_token_is_refused_although_its_callers_page_is_cached(app: Flask) -> None:
    client = app.test_client()
    minted = [client.post("/__mock/tokens", headers=ADMIN, json={
        "user": 2, "roles": ["lead.read"], "lifetime_seconds": seconds}).get_json()
        for seconds in (600, -1)]
    fresh, expired = ({"Authorization": f"Bearer {m['access_token']}"} for m in minted)
    assert client.get(PAGE, headers=fresh).status_code == 200
    assert client.get(PAGE, headers=expired).status_code == 401


def test_declared_headers_and_the_host_shape_the_key(app: Flask) -> None:
    client = app.test_client()
    plain = get(client).get_json()["call_trackings"][0]
    expanded = get(client, **{"X-MyCRM-Expand-Data": "user"}).get_json()["call_trackings"][0]
    assert plain != expanded
    here = get(client, "/calltrackings/1/recording").get_json()
    there = client.get("/calltrackings/1/recording",
                       headers={**ADMIN, "Host": "elsewhere.test:9000"}).get_json()
    assert here["recording"]["url"].startswith("http://localhost/")
    assert there["recording"]["url"].startswith("http://elsewhere.test:9000/")


def test_a_session_made_again_does_not_meet_the_old_ones_answers() -> None:
    """The remade session reaches the version the old one had, with other data."""
    app = make_app(max_sessions=1)
    client = app.test_client()
    a = {**ADMIN, "X-Mock-Session": "a"}
    first, second = (ct["id"] for ct in get(client, **a).get_json()["call_trackings"][:2])
    client.delete(f"/calltrackings/{first}", headers=a)  # the old "a", version 1
    assert first not in [ct["id"] for ct in get(client, **a).get_json()["call_trackings"]]
    get(client, **{"X-Mock-Session": "b"})  # evicts "a"
    client.delete(f"/calltrackings/{second}", headers=a)  # the new "a", version 1 too
    ids = [ct["id"] for ct in get(client, **a).get_json()["call_trackings"]]
    assert first in ids and second not in ids


def test_faults_prefer_and_bad_requests_still_apply_to_cached_reads(app: Flask) -> None:
    client = app.test_client()
    get(client)
    forced = client.get(PAGE, headers={**ADMIN, "Prefer": "code=401"})
    assert forced.status_code == 401
    assert client.get("/calltrackings?per_page=x", headers=ADMIN).status_code == 400
    rule = [{"operation": "listCallTrackings", "error": {"status": 503}}]
    assert client.put("/__mock/faults", headers=ADMIN, json={"rules": rule}).status_code == 200
    assert client.get(PAGE, headers=ADMIN).status_code == 503
    assert client.delete("/__mock/faults", headers=ADMIN).status_code in (200, 204)
    assert hits_after(app, lambda: get(client)) == 1


def test_every_request_is_journaled_and_logged_hits_included(app: Flask) -> None:
    client = app.test_client()
    for _ in range(3):
        get(client)
    journal = client.get("/__mock/requests?limit=10", headers=ADMIN).get_json()["requests"]
    listed = [e for e in journal if e["operation_id"] == "listCallTrackings"]
    assert len(listed) == 3 and {e["status"] for e in listed} == {200}
    assert len({e["response"]["body"] for e in listed}) == 1


def test_a_read_with_a_body_is_never_cached(app: Flask) -> None:
    client = app.test_client()
    get(client)
    misses = cache_of(app).misses
    response = client.get(PAGE, headers={**ADMIN, "Content-Type": "application/json"},
                          data=b'{"x": 1}')
    assert cache_of(app).misses == misses  # not even looked up
    assert response.status_code in (200, 400)


def test_the_cache_is_off_with_a_size_of_zero() -> None:
    app = make_app(response_cache=0)
    assert app.extensions["mockserver"]["pipeline"].cache is None
    client = app.test_client()
    assert get(client).data == get(client).data


def answer(size: int) -> HttpResponse:
    return HttpResponse(200, b"x" * size)


def test_the_cache_is_bounded_in_entries_and_bytes() -> None:
    cache = ResponseCache(max_entries=3, max_bytes=100)
    for key in "abcd":
        cache.put(key, answer(10))
    assert len(cache) == 3 and cache.get("a") is None and cache.get("b") is not None
    cache.put("e", answer(20))  # "c" was the least recently used: "b" was just read
    cache.put("f", answer(20))
    assert [k for k in "bcdef" if cache.get(k) is not None] == ["b", "e", "f"]
    assert cache.size_bytes == 10 + 20 + 20
    by_bytes = ResponseCache(max_entries=100, max_bytes=100)
    for key in "abcde":
        by_bytes.put(key, answer(25))  # a quarter each: kept, the oldest dropped
    assert [k for k in "abcde" if by_bytes.get(k) is not None] == ["b", "c", "d", "e"]
    assert by_bytes.size_bytes == 100
    by_bytes.put("huge", answer(26))  # over a quarter of the bytes: not kept
    assert by_bytes.get("huge") is None and by_bytes.size_bytes == 100
    by_bytes.put("e", answer(5))  # replacing counts the new size only
    assert by_bytes.size_bytes == 80
