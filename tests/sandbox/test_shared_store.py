"""Replicas in one process: two or three apps on one real Redis behave as one sandbox.

Each app is a replica as ``mockserver serve --state-backend redis`` builds it; the test
clients stand for a load balancer sending each request to one of them. The strongest check
is the first: the same requests, spread over replicas, get byte for byte the answers one
memory-backed process gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from conftest import PINNED_NOW, auth, make_app
from flask import Flask
from redis_server import RedisServer, running_redis

from mockserver.sandbox import shared_store
from mockserver.sandbox.redis_state import OriginMismatch, without_password
from mockserver.settings import Settings

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture
def replicas(redis_server: RedisServer) -> Callable[..., list[Flask]]:
    """``replicas(n, **settings)``: n fresh replicas on an emptied Redis."""

    def make(count: int = 2, **overrides: Any) -> list[Flask]:
        redis.Redis.from_url(redis_server.url).flushall()
        return [make_app(state_backend="redis", redis_url=redis_server.url, **overrides)
                for _ in range(count)]

    return make


def patch(ids: list[int], path: str, value: Any) -> dict[str, Any]:
    return {"calltrackings": ids, "operations": [{"op": "replace", "path": path, "value": value}]}


# Requests that change and read the data in every way the API allows.
SCRIPT: list[tuple[str, str, Any, dict[str, str]]] = [
    ("GET", "/calltrackings?per_page=3&sort=updated&sort_order=DESC", None, {}),
    ("PATCH", "/calltrackings", patch([1, 2, 3], "/assignment/user", 2), {}),
    ("GET", "/calltrackings?per_page=3&filters[user_id]=2&sort=id&sort_order=desc", None, {}),
    ("PATCH", "/calltrackings", patch([3], "/seen", True), {}),
    ("DELETE", "/calltrackings/4", None, {}),
    ("GET", "/calltrackings?per_page=5&page=1", None, {}),
    ("DELETE", "/calltrackings", {"calltrackings": [5, 6]}, {}),
    ("PATCH", "/calltrackings", patch([7], "/assignment/property", 202), {}),
    ("GET", "/calltrackings?per_page=10&sort=updated", None, {"X-MyCRM-Expand-Data": "user"}),
    ("DELETE", "/calltrackings/4", None, {}),  # already gone: 404
    ("GET", "/calltrackings/1/recording", None, {}),
    ("PATCH", "/calltrackings", patch([1], "/seen", True), {"X-Mock-Session": "qa"}),
    ("GET", "/calltrackings?per_page=2", None, {"X-Mock-Session": "qa"}),
    ("GET", "/calltrackings?per_page=2", None, {}),
]


def play(apps: list[Flask]) -> list[tuple[int, bytes]]:
    clients = [a.test_client() for a in apps]
    answers = []
    for index, (method, path, body, headers) in enumerate(SCRIPT):
        client = clients[index % len(clients)]
        extra = JSON if body is not None else {}
        response = client.open(path, method=method, json=body, headers=auth(**headers, **extra))
        answers.append((response.status_code, response.data))
    return answers


def test_requests_spread_over_replicas_get_the_answers_of_one_process(
    replicas: Callable[..., list[Flask]],
) -> None:
    alone = play([make_app()])
    assert [status for status, _ in alone] == [200, 200, 200, 200, 204, 200, 204, 200, 200,
                                               404, 200, 200, 200, 200]
    assert play(replicas(2)) == alone
    assert play(replicas(3)) == alone


def test_a_write_on_one_replica_is_in_the_next_answer_of_every_other(
    replicas: Callable[..., list[Flask]],
) -> None:
    a, b, c = (app.test_client() for app in replicas(3))
    assert a.patch("/calltrackings", json=patch([9], "/assignment/user", 3),
                   headers=auth()).status_code == 200
    for client in (b, c):
        body = client.get("/calltrackings?per_page=500", headers=auth()).json
        mine = next(r for r in body["call_trackings"] if r["id"] == 9)
        assert mine["user"] == {"id": 3} and mine["updated_at"] == PINNED_NOW
    assert b.delete("/calltrackings/9", headers=auth()).status_code == 204
    assert c.delete("/calltrackings/9", headers=auth()).status_code == 404
    assert a.get("/__mock/health").json["counts"]["call_trackings"] == 249


def test_a_write_that_lost_the_race_is_run_again_on_the_newer_data(
    replicas: Callable[..., list[Flask]],
) -> None:
    first, second = replicas(2)
    a, b = first.test_client(), second.test_client()
    b.get("/calltrackings?per_page=1", headers=auth())  # b holds the session, current
    store = second.extensions["mockserver"]["store"]
    real_append = store.state.append
    raced = []

    def append_after_a_rival(*args: Any) -> Any:
        if not raced:  # the other replica writes between b's sync and b's append
            raced.append(a.patch("/calltrackings", json=patch([10, 11], "/assignment/user", 4),
                                 headers=auth()).status_code)
        return real_append(*args)

    store.state.append = append_after_a_rival
    answer = b.patch("/calltrackings", json=patch([11, 12], "/seen", True), headers=auth())
    assert raced == [200] and answer.status_code == 200
    echoed = {r["id"]: (r["user"]["id"], r["marked_as_seen"])
              for r in answer.json["call_trackings"]}
    assert echoed[11] == (4, True)  # run again on a's change: both kept
    everything = a.get("/calltrackings?per_page=20&sort=id", headers=auth()).json
    by_id = {r["id"]: r for r in everything["call_trackings"]}
    assert (by_id[10]["user"], by_id[11]["user"], by_id[11]["marked_as_seen"],
            by_id[12]["marked_as_seen"]) == ({"id": 4}, {"id": 4}, True, True)
    log = redis.Redis.from_url(second.extensions["mockserver"]["settings"].redis_url)
    assert log.llen("mockserver:s:default:log") == 2  # a's change, then b's: none twice


def test_a_refused_write_changes_nothing_on_the_replica_that_tried(
    replicas: Callable[..., list[Flask]],
) -> None:
    first, second = replicas(2)
    a, b = first.test_client(), second.test_client()
    before = b.get("/calltrackings?per_page=50&sort=id", headers=auth()).data
    store = second.extensions["mockserver"]["store"]
    store.state.append = lambda *args: None  # every append loses the race
    answer = b.delete("/calltrackings/13", headers=auth())
    assert answer.status_code == 503
    assert answer.json["message"].startswith("Other replicas kept changing this session")
    store.state.append = type(store.state).append.__get__(store.state)
    assert b.get("/calltrackings?per_page=50&sort=id", headers=auth()).data == before
    assert a.get("/calltrackings?per_page=50&sort=id", headers=auth()).data == before


def test_fault_draws_are_numbered_across_replicas(replicas: Callable[..., list[Flask]]) -> None:
    rules = {"rules": [{"operation": "listCallTrackings",
                        "error": {"status": 503, "probability": 0.5}}], "seed": 7}

    def statuses(apps: list[Flask]) -> list[int]:
        clients = [a.test_client() for a in apps]
        assert clients[-1].put("/__mock/faults", json=rules, headers=auth()).status_code == 200
        return [clients[i % len(clients)].get("/calltrackings?per_page=1",
                                              headers=auth()).status_code for i in range(24)]

    alone = statuses([make_app()])
    assert 503 in alone and 200 in alone
    apps = replicas(2)
    assert statuses(apps) == alone
    shown = [a.test_client().get("/__mock/faults", headers=auth()).json for a in apps]
    assert shown[0] == shown[1] == {"seed": 7, "rules": rules["rules"]}
    assert apps[0].test_client().delete("/__mock/faults", headers=auth()).status_code == 204
    assert apps[1].test_client().get("/calltrackings?per_page=1",
                                     headers=auth()).status_code == 200


def test_one_journal_for_all_replicas(replicas: Callable[..., list[Flask]]) -> None:
    apps = replicas(2, journal_size=3)
    clients = [a.test_client() for a in apps]
    for page in range(1, 5):
        clients[page % 2].get(f"/calltrackings?per_page=1&page={page}", headers=auth())
    entries = clients[0].get("/__mock/requests", headers=auth()).json
    assert [(e["id"], e["query"]) for e in entries["requests"]] == [
        (4, "per_page=1&page=4"), (3, "per_page=1&page=3"), (2, "per_page=1&page=2")]
    assert entries["capacity"] == 3
    after = clients[1].get("/__mock/requests?after=3", headers=auth()).json
    assert [e["id"] for e in after["requests"]] == [4]
    assert clients[1].delete("/__mock/requests", headers=auth()).status_code == 204
    assert clients[0].get("/__mock/requests", headers=auth()).json["requests"] == []


def test_reset_and_import_apply_everywhere(replicas: Callable[..., list[Flask]]) -> None:
    apps = replicas(2)
    a, b = (app.test_client() for app in apps)
    baseline = a.get("/__mock/state", headers=auth()).json
    a.delete("/calltrackings/20", headers=auth())
    changed = b.get("/__mock/state", headers=auth()).json
    assert len(changed["call_trackings"]) == len(baseline["call_trackings"]) - 1
    assert b.post("/__mock/reset", json={}, headers=auth()).status_code == 200
    assert a.get("/__mock/state", headers=auth()).json == baseline
    assert a.post("/__mock/reset", json={"seed": 5, "count": 30},
                  headers=auth()).json["counts"]["call_trackings"] == 30
    reseeded = b.get("/__mock/state", headers=auth()).json
    assert len(reseeded["call_trackings"]) == 30
    assert b.put("/__mock/state", json=changed, headers=auth()).status_code == 200
    assert a.get("/__mock/state", headers=auth()).json == changed
    assert a.get("/calltrackings/20/recording", headers=auth()).status_code == 404


def test_sessions_expire_and_are_evicted_for_every_replica(
    replicas: Callable[..., list[Flask]],
) -> None:
    apps = replicas(2, max_sessions=2, session_idle_seconds=60)
    now = [1_000_000.0]
    for app in apps:
        app.extensions["mockserver"]["store"]._wall_clock = lambda: now[0]
    a, b = (app.test_client() for app in apps)

    def exists(client: Any, name: str) -> bool:
        return bool(client.get("/__mock/health", headers={"X-Mock-Session": name})
                    .json["session_exists"])

    a.delete("/calltrackings/1021", headers=auth(**{"X-Mock-Session": "one"}))
    b.get("/calltrackings?per_page=1", headers=auth(**{"X-Mock-Session": "two"}))
    assert exists(b, "one") and exists(a, "two")
    assert a.get("/__mock/health").json["sessions"]["count"] == 3
    now[0] += 30
    b.get("/calltrackings?per_page=1", headers=auth(**{"X-Mock-Session": "two"}))
    a.get("/calltrackings?per_page=1", headers=auth(**{"X-Mock-Session": "three"}))
    assert not exists(b, "one") and exists(b, "two") and exists(b, "three")  # evicted: oldest
    now[0] += 61
    assert not exists(a, "two") and not exists(b, "three")  # idle too long
    assert a.get("/__mock/health").json["sessions"]["count"] == 1  # the default stays
    counts = b.get("/__mock/health", headers={"X-Mock-Session": "one"}).json["counts"]
    assert counts["call_trackings"] == 250  # made again, it starts from the baseline


def test_a_long_log_is_compacted_and_a_new_replica_starts_from_the_snapshot(
    replicas: Callable[..., list[Flask]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shared_store, "MIN_COMPACT_CHANGES", 5)
    monkeypatch.setattr(shared_store, "COMPACT_SHARE", 10_000)
    first, = replicas(1)
    a = first.test_client()
    session = first.extensions["mockserver"]["store"].session()
    for record_id in range(1030, 1037):
        assert a.delete(f"/calltrackings/{record_id}", headers=auth()).status_code == 204
        if session.compaction is not None:
            session.compaction.join(timeout=10)
    url = first.extensions["mockserver"]["settings"].redis_url
    direct = redis.Redis.from_url(url)
    assert int(direct.hget("mockserver:s:default", "base") or 0) >= 6
    assert direct.llen("mockserver:s:default:log") == 7 - int(direct.hget("mockserver:s:default",
                                                                          "base") or 0)
    late = make_app(state_backend="redis", redis_url=url).test_client()
    assert late.get("/__mock/state", headers=auth()).json == a.get("/__mock/state",
                                                                  headers=auth()).json


def test_redis_down_is_a_503_and_back_is_the_same_data(
    redis_server: RedisServer, replicas: Callable[..., list[Flask]],
) -> None:
    a, b = (app.test_client() for app in replicas(2))
    assert a.delete("/calltrackings/1040", headers=auth()).status_code == 204
    before = b.get("/__mock/state", headers=auth()).json
    redis_server.stop()
    try:
        down = [a.get("/calltrackings?per_page=1", headers=auth()),
                b.patch("/calltrackings", json=patch([1041], "/seen", True), headers=auth()),
                a.get("/__mock/requests", headers=auth())]
        assert [r.status_code for r in down] == [503, 503, 503]
        assert all(r.json["message"].startswith("The shared state (Redis) cannot be reached")
                   for r in down)
        health = b.get("/__mock/health")
        assert health.status_code == 503
        assert (health.json["status"], health.json["state_backend"]["reachable"]) == (
            "unavailable", False)
    finally:
        redis_server.start()
    assert b.get("/__mock/health").json["state_backend"] == {
        "kind": "redis", "reachable": True, "error": None}
    assert a.get("/__mock/state", headers=auth()).json == before  # the refused PATCH: absent
    assert b.patch("/calltrackings", json=patch([1041], "/seen", True),
                   headers=auth()).status_code == 200


def test_a_replica_started_differently_is_refused(replicas: Callable[..., list[Flask]],
                                                  redis_server: RedisServer) -> None:
    replicas(1)
    with pytest.raises(OriginMismatch, match="count: 100 here, 250 in Redis"):
        make_app(state_backend="redis", redis_url=redis_server.url, count=100)


def test_the_state_file_is_for_the_memory_backend_only(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="only for the memory backend"):
        Settings(state_backend="redis", state_file=tmp_path / "state.json")


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:s3cret@redis:6379/0", "redis://***@redis:6379/0"),
    ("redis://user:s3cret@redis:6379/2", "redis://***@redis:6379/2"),
    ("redis://redis:6379/0", "redis://redis:6379/0"),
])
def test_messages_never_show_the_redis_password(url: str, shown: str) -> None:
    assert without_password(url) == shown
