"""Several ``mockserver serve`` processes on one real Redis: one sandbox, whichever answers.

Three replicas, as a load balancer would spread a QA team over them: the mixed concurrent
load of ``mixed_load`` spread over all three keeps every write; a change through one is in
the next answer of the others; a replica killed with SIGKILL and started again catches up;
Redis stopped means 503s (never stale data), and started again, the same data.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import PINNED_NOW, ROOT, RunningServer, auth, start_server
from mixed_load import DELETED_PER_THREAD, THREADS, Client, all_records, run_mixed_load
from redis_server import RedisServer, free_port, running_redis


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


def replica_args(redis_server: RedisServer) -> list[str]:
    return ["--now", PINNED_NOW, "--count", "400", "--state-backend", "redis",
            "--redis-url", redis_server.url]


@pytest.fixture(scope="module")
def replicas(redis_server: RedisServer) -> Iterator[list[RunningServer]]:
    running = [start_server(*replica_args(redis_server)) for _ in range(3)]
    try:
        yield running
    finally:
        for server in running:
            server.stop()


def send(server: RunningServer, method: str, path: str, session: str,
         body: Any = None) -> requests.Response:
    return requests.request(method, server.url + path, json=body, timeout=30,
                            headers=auth(**{"X-Mock-Session": session}))


def seen(ids: list[int], value: bool) -> dict[str, Any]:
    return {"calltrackings": ids, "operations": [{"op": "replace", "path": "/seen",
                                                  "value": value}]}


@pytest.mark.timeout(120)
def test_a_mixed_load_over_three_replicas_keeps_every_write(
    replicas: list[RunningServer],
) -> None:
    setup = run_mixed_load([r.url for r in replicas])
    setup.close()
    expected = 400 - THREADS * DELETED_PER_THREAD
    views = []
    for replica in replicas:
        client = Client(replica.url)
        text = json.dumps(all_records(client))  # the recording URLs name the replica
        views.append(text.replace(replica.url, "http://replica"))
        status, health = client.send("GET", "/__mock/health")
        assert (status, health["counts"]["call_trackings"]) == (200, expected)
        client.close()
    assert views[0] == views[1] == views[2]
    for replica in replicas:
        log = replica.log()
        assert "Traceback" not in log and " 500 " not in log


def test_each_replica_answers_with_the_changes_of_the_others(
    replicas: list[RunningServer],
) -> None:
    first, second, third = replicas
    assert send(first, "PATCH", "/calltrackings", "alternate", seen([1, 2], True)).ok
    assert [r["marked_as_seen"] for r in send(second, "GET", "/calltrackings?per_page=2&sort=id",
                                             "alternate").json()["call_trackings"]] == [True, True]
    assert send(third, "PATCH", "/calltrackings", "alternate", seen([2], False)).ok
    assert send(second, "DELETE", "/calltrackings/3", "alternate").status_code == 204
    answers = [send(r, "GET", "/calltrackings?per_page=3&sort=id", "alternate").text
               .replace(r.url, "http://replica") for r in replicas]
    assert answers[0] == answers[1] == answers[2]
    body = json.loads(answers[0])
    assert [(r["id"], r["marked_as_seen"]) for r in body["call_trackings"]] == [
        (1, True), (2, False), (4, body["call_trackings"][2]["marked_as_seen"])]
    journal = send(third, "GET", "/__mock/requests", "alternate").json()["requests"]
    assert [(e["method"], e["status"]) for e in journal][:3] == [
        ("GET", 200), ("GET", 200), ("GET", 200)]
    assert len(journal) == 7  # every replica's requests, in one journal


def test_a_replica_killed_and_started_again_catches_up(
    replicas: list[RunningServer], redis_server: RedisServer,
) -> None:
    victim = replicas[2]
    send(victim, "DELETE", "/calltrackings/5", "restart")
    victim.stop(signal.SIGKILL)
    assert send(replicas[0], "PATCH", "/calltrackings", "restart", seen([6], True)).ok
    assert send(replicas[1], "DELETE", "/calltrackings/7", "restart").status_code == 204
    replicas[2] = start_server(*replica_args(redis_server))
    views = [send(r, "GET", "/calltrackings?per_page=500&sort=id", "restart").text
             .replace(r.url, "http://replica") for r in replicas]
    assert views[2] == views[0] == views[1]
    ids = [r["id"] for r in json.loads(views[2])["call_trackings"]]
    assert 5 not in ids and 7 not in ids and len(ids) == 398


def test_redis_stopped_then_started(replicas: list[RunningServer],
                                    redis_server: RedisServer) -> None:
    assert send(replicas[0], "DELETE", "/calltrackings/8", "outage").status_code == 204
    before = send(replicas[1], "GET", "/__mock/state", "outage").json()
    redis_server.stop()
    try:
        for replica in replicas:
            answer = send(replica, "PATCH", "/calltrackings", "outage", seen([9], True))
            assert answer.status_code == 503
            assert answer.headers["Retry-After"] == "1"
            assert answer.json()["message"].startswith("The shared state (Redis) cannot be")
            health = requests.get(replica.url + "/__mock/health", timeout=10)
            assert (health.status_code, health.json()["state_backend"]["reachable"]) == (
                503, False)
    finally:
        redis_server.start()
    for replica in replicas:
        assert send(replica, "GET", "/__mock/state", "outage").json() == before
        assert requests.get(replica.url + "/__mock/health", timeout=10).status_code == 200
    assert send(replicas[2], "PATCH", "/calltrackings", "outage", seen([9], True)).ok


def serve_exit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockserver", "serve", "--port", "0", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_a_replica_started_with_other_options_exits_2_naming_them(
    replicas: list[RunningServer], redis_server: RedisServer,
) -> None:
    done = serve_exit(*replica_args(redis_server), "--seed", "7")
    assert done.returncode == 2
    assert ("cannot join the sandbox: this replica would not hold the same sandbox as the "
            f"others on {redis_server.url}: seed: 7 here, 42 in Redis") in done.stderr


def test_no_redis_at_start_exits_2_saying_so_without_the_password() -> None:
    port = free_port()  # nothing listens there
    done = serve_exit("--state-backend", "redis", "--redis-url",
                      f"redis://:s3cret@127.0.0.1:{port}/0")
    assert done.returncode == 2
    assert "cannot start: The shared state (Redis) cannot be reached: ConnectionError" in (
        done.stderr)
    assert "s3cret" not in done.stderr


def test_the_state_file_is_refused_with_redis(tmp_path: Path) -> None:
    done = serve_exit("--state-backend", "redis", "--state-file", str(tmp_path / "s.json"))
    assert done.returncode == 2
    assert done.stderr.startswith("mockserver: --state-file / MOCKSERVER_STATE_FILE: only for "
                                  "the memory backend")
