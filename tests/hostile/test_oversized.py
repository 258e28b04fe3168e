"""Requests that name a great many things: each answered fast and small, and the server's
memory, log and journal no bigger for them afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import PINNED_NOW, RunningServer, start_server
from hostility import ADMIN, JSON, ask, cpu_seconds, json_of, rss_mb

SEEN = [{"op": "replace", "path": "/seen", "value": True}]


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_server("--now", PINNED_NOW, "--journal-size", "50")
    try:
        yield running
    finally:
        running.stop()


def patch(server: RunningServer, body: object) -> tuple[int, bytes, float]:
    answer = ask(server.url, "PATCH", "/calltrackings", {**ADMIN, **JSON},
                 json.dumps(body).encode())
    return answer.status, answer.body, answer.seconds


def test_a_hundred_thousand_ids_are_refused_from_their_count(server: RunningServer) -> None:
    """Each body (~700 KB) is parsed, then refused from its length: a short answer, a short
    log line, a small journal entry. Memory: the allocator keeps what parsing the first ones
    took (about 40 MB), so growth is measured after them, over 40 more."""
    pid = server.process.pid
    bodies = [{"calltrackings": ids, "operations": SEEN}
              for ids in (list(range(10**6, 10**6 + 100_000)), [str(i) for i in range(100_000)])]
    for body in bodies * 5:
        assert patch(server, body)[0] == 400
    rss, log, cpu = rss_mb(pid), len(server.log()), cpu_seconds(pid)
    for body in bodies * 20:
        status, answer, seconds = patch(server, body)
        assert status == 400 and seconds < 2
        assert json.loads(answer)["errors"] == [{
            "in": "body", "name": "calltrackings",
            "reason": "has 100000 items, more than the 1000 allowed"}]
    assert cpu_seconds(pid) - cpu < 20
    assert rss_mb(pid) - rss < 15  # before: +31 MB with each one
    assert len(server.log()) - log < 40 * 400  # one short line each
    journal = ask(server.url, "GET", "/__mock/requests?limit=50")
    assert journal.status == 200 and len(journal.body) < 50 * 4000


def test_an_error_lists_twenty_problems_and_counts_the_rest(server: RunningServer) -> None:
    ids = list(range(10**6, 10**6 + 1000))  # the most a body may name: all unknown
    status, body, _ = patch(server, {"calltrackings": ids, "operations": SEEN})
    error = json.loads(body)
    assert status == 404
    assert error["message"] == (
        "No call tracking with id 1000000, 1000001, 1000002, 1000003, 1000004, 1000005, "
        "1000006, 1000007, 1000008, 1000009 and 990 more; nothing was changed.")
    assert [e["reason"] for e in error["errors"]] == [
        f"no call tracking with id {i}" for i in ids[:20]]
    assert error["errors_omitted"] == 980
    journal = json_of(ask(server.url, "GET", "/__mock/requests?limit=1"))["requests"][0]
    assert (len(journal["errors"]), journal["body_truncated"]) == (20, True)
    assert len(journal["body"]) == 1024


def test_huge_header_values_are_cut_in_the_journal(server: RunningServer) -> None:
    agent = "x" * 100_000
    assert ask(server.url, "GET", "/calltrackings?per_page=1",
               {**ADMIN, "User-Agent": agent}).status == 200
    entry = json_of(ask(server.url, "GET", "/__mock/requests?limit=1"))["requests"][0]
    assert entry["headers"]["User-Agent"] == "x" * 256
