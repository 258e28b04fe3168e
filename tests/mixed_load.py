"""Many clients at once, each owning disjoint records, so that every request has one right
answer whatever the interleaving: its assignments and seen flags must be the last ones it
wrote, its deletions must all be gone, and nothing else may have moved. Shared by the
one-process test (``http/test_concurrency.py``) and the replicas test, where the threads
are spread over several processes on one Redis.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conftest import PINNED_NOW, auth

THREADS = 8
ROUNDS = 10  # each round is 5 requests: 50 requests per thread
ASSIGNED_PER_THREAD = 5
DELETED_PER_THREAD = 3 * ROUNDS  # one single DELETE and one bulk DELETE of two per round
USERS = [1, 2, 3, 4, 5, 6, 7, 8]


class Client:
    """One keep-alive connection, as a browser tab or a test worker would hold."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def send(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = auth()
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    def close(self) -> None:
        self.connection.close()


@dataclass
class Plan:
    """What one thread does, and what it must find at the end."""

    index: int
    assigned: list[int]
    deleted: list[int]
    user: int
    other_user: int
    seen: bool
    outcomes: list[tuple[str, int, int]] = field(default_factory=list)  # (what, expected, got)


def all_records(client: Client) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    page = 1
    while True:
        status, body = client.send("GET", f"/calltrackings?per_page=500&page={page}")
        assert status == 200
        records += body["call_trackings"]
        if len(body["call_trackings"]) < 500:
            assert body["count"] == len(records)
            return records
        page += 1


def run_plan(url: str, plan: Plan, start: threading.Barrier) -> None:
    client = Client(url)
    deletions = iter(plan.deleted)

    def expect(what: str, expected: int, method: str, path: str, body: Any = None) -> Any:
        status, answer = client.send(method, path, body)
        plan.outcomes.append((what, expected, status))
        return answer

    try:
        start.wait(timeout=30)
        for round_number in range(ROUNDS):
            last = round_number == ROUNDS - 1
            user = plan.user if last else (plan.other_user, plan.user)[round_number % 2]
            answer = expect("assign", 200, "PATCH", "/calltrackings", {
                "calltrackings": plan.assigned,
                "operations": [{"op": "replace", "path": "/assignment/user", "value": user}],
            })
            if answer is not None:  # the reply shows this thread's own write, never another's
                users = {r["user"]["id"] for r in answer["call_trackings"]}
                plan.outcomes.append(("assign echo", user, users.pop() if len(users) == 1 else 0))
            seen = plan.seen if last else bool(round_number % 2)
            expect("seen", 200, "PATCH", "/calltrackings", {
                "calltrackings": plan.assigned,
                "operations": [{"op": "replace", "path": "/seen", "value": seen}],
            })
            expect("delete", 204, "DELETE", f"/calltrackings/{next(deletions)}")
            expect("bulk delete", 204, "DELETE", "/calltrackings",
                   {"calltrackings": [next(deletions), next(deletions)]})
            page = 1 + (plan.index + round_number) % 5
            expect("list", 200, "GET", f"/calltrackings?per_page=20&page={page}&sort=updated")
    finally:
        client.close()


def run_mixed_load(urls: list[str]) -> Client:
    """Run every thread's plan (thread i talks to ``urls[i % len(urls)]``) and check what
    the first URL holds afterwards; the client is left open for more checks."""
    setup = Client(urls[0])
    before = all_records(setup)
    ids = [r["id"] for r in before]
    needed = THREADS * (ASSIGNED_PER_THREAD + DELETED_PER_THREAD)
    assert len(ids) == 400 >= needed
    plans = []
    for t in range(THREADS):
        base = t * (ASSIGNED_PER_THREAD + DELETED_PER_THREAD)
        plans.append(Plan(
            index=t,
            assigned=ids[base:base + ASSIGNED_PER_THREAD],
            deleted=ids[base + ASSIGNED_PER_THREAD:base + ASSIGNED_PER_THREAD + DELETED_PER_THREAD],
            user=USERS[t], other_user=USERS[(t + 1) % len(USERS)], seen=t % 2 == 0,
        ))
    start = threading.Barrier(THREADS)
    threads = [threading.Thread(target=run_plan, args=(urls[p.index % len(urls)], p, start))
               for p in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    for plan in plans:
        wrong = [(what, expected, got) for what, expected, got in plan.outcomes if got != expected]
        assert wrong == [], f"thread {plan.index}"
        assert len(plan.outcomes) == ROUNDS * 6  # every request ran (5 + the echo check)

    after = all_records(setup)
    deleted = {i for plan in plans for i in plan.deleted}
    assert len(deleted) == THREADS * DELETED_PER_THREAD
    assert [r["id"] for r in after] == [i for i in ids if i not in deleted]
    by_id = {r["id"]: r for r in after}
    untouched = {r["id"]: r for r in before if r["id"] not in deleted}
    for plan in plans:
        for record_id in plan.assigned:
            record = by_id[record_id]
            assert (record["user"], record["marked_as_seen"], record["updated_at"]) == (
                {"id": plan.user}, plan.seen, PINNED_NOW), f"thread {plan.index}, {record_id}"
            untouched.pop(record_id)
    assert {i: by_id[i] for i in untouched} == untouched  # nobody else's record moved
    return setup
