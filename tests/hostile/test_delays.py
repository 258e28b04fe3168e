"""Delays that would hold the server: refused before authentication, bounded in number, and
never in the way of other sessions' requests or of health."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from conftest import PINNED_NOW, RunningServer, start_server
from helpers import wait_until
from hostility import ADMIN, JSON, Answer, ask

LIMIT = 4


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_server("--now", PINNED_NOW, "--max-delayed", str(LIMIT), "--threads", "2")
    try:
        yield running
    finally:
        running.stop()  # SIGTERM cuts the remaining delays short


def in_parallel(count: int, request: dict[str, object]) -> tuple[list[threading.Thread],
                                                                  list[Answer]]:
    answers: list[Answer] = []
    lock = threading.Lock()

    def run() -> None:
        answer = ask(**request)  # type: ignore[arg-type]
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, answers


def delayed(server: RunningServer) -> dict[str, int]:
    answer = ask(server.url, "GET", "/__mock/health")
    assert answer.status == 200 and answer.seconds < 1, answer
    return json.loads(answer.body)["delayed"]  # type: ignore[no-any-return]


def test_an_unauthenticated_delay_is_a_401_at_once(server: RunningServer) -> None:
    threads, answers = in_parallel(8, {"url": server.url, "method": "GET",
                                       "path": "/calltrackings",
                                       "headers": {"Prefer": "delay=30000"}})
    for thread in threads:
        thread.join(timeout=5)
    assert [a.status for a in answers] == [401] * 8
    assert max(a.seconds for a in answers) < 1


def test_a_session_s_delays_leave_health_and_other_sessions_answered(
    server: RunningServer,
) -> None:
    slow = {**ADMIN, **JSON, "X-Mock-Session": "slow"}
    assert ask(server.url, "GET", "/calltrackings?per_page=1", slow).status == 200
    rule = {"rules": [{"operation": "*", "delay": {"min_ms": 20000, "max_ms": 20000}}]}
    assert ask(server.url, "PUT", "/__mock/faults", slow,
               json.dumps(rule).encode()).status == 200
    threads, held = in_parallel(LIMIT, {"url": server.url, "method": "GET",
                                        "path": "/calltrackings?per_page=1", "headers": slow,
                                        "timeout": 60})
    wait_until(lambda: delayed(server) == {"held": LIMIT, "limit": LIMIT},
               what="every place for a delayed request to be taken")
    beyond = [ask(server.url, "GET", "/calltrackings?per_page=1", slow) for _ in range(3)]
    assert [a.status for a in beyond] == [503] * 3
    assert all(a.seconds < 1 and a.headers.get("Retry-After") == "1" for a in beyond)
    assert "already holds 4 delayed requests" in json.loads(beyond[0].body)["message"]
    others = [ask(server.url, "GET", "/calltrackings?per_page=20", ADMIN) for _ in range(5)]
    assert [a.status for a in others] == [200] * 5
    assert max(a.seconds for a in [*others, ask(server.url, "GET", "/__mock/health")]) < 1
    assert held == [] and all(t.is_alive() for t in threads)  # still held meanwhile
    assert delayed(server) == {"held": LIMIT, "limit": LIMIT}
