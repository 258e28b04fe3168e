"""What an unauthenticated or low-rights client could do to others: make or evict sessions,
read records through relations, forge log lines, reset from another site."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator

import pytest
from conftest import PINNED_NOW, RunningServer, start_server
from helpers import wait_until
from hostility import ADMIN, JSON, Answer, address, ask, json_of

AGENT = {"Authorization": "Bearer agent-token"}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_server("--now", PINNED_NOW, "--max-sessions", "5")
    try:
        yield running
    finally:
        running.stop()


def sessions(server: RunningServer) -> int:
    return json_of(ask(server.url, "GET", "/__mock/health"))["sessions"]["count"]  # type: ignore[no-any-return]


def test_no_request_without_credentials_makes_or_evicts_a_session(server: RunningServer) -> None:
    tester = {**ADMIN, **JSON, "X-Mock-Session": "qa-alice"}
    assert ask(server.url, "GET", "/calltrackings?per_page=1", tester).status == 200
    rule = {"rules": [{"operation": "*", "error": {"status": 503, "probability": 1}}]}
    assert ask(server.url, "PUT", "/__mock/faults", tester,
               json.dumps(rule).encode()).status == 200
    count = sessions(server)
    for i in range(120):  # more than --max-sessions, none of them with credentials
        name = {"X-Mock-Session": f"churn-{i}"}
        assert ask(server.url, "GET", "/__mock/health", name).status == 200
        assert ask(server.url, "GET", "/calltrackings", name).status == 401
        assert ask(server.url, "GET", "/__mock/faults", name).status == 404
        assert ask(server.url, "GET", f"/__mock/recordings/1.mp3?session=churn-{i}").status == 404
        assert ask(server.url, "GET", "/no/such/path", name).status == 404
    assert sessions(server) == count
    rules = json_of(ask(server.url, "GET", "/__mock/faults", tester))["rules"]
    assert [r["operation"] for r in rules] == ["*"]
    unknown = json_of(ask(server.url, "GET", "/__mock/faults", {"X-Mock-Session": "nobody"}))
    assert unknown["errors"] == [
        {"in": "header", "name": "X-Mock-Session", "reason": "no session named 'nobody'"}]


def test_a_large_new_session_does_not_stall_the_others() -> None:
    server = start_server("--now", PINNED_NOW, "--count", "100000")
    try:
        answers: list[Answer] = []
        creator = threading.Thread(target=lambda: answers.append(ask(
            server.url, "GET", "/calltrackings?per_page=1",
            {**ADMIN, "X-Mock-Session": "big"}, timeout=60)))
        creator.start()
        meanwhile = []
        while creator.is_alive() and len(meanwhile) < 50:
            meanwhile.append(ask(server.url, "GET", "/__mock/health", timeout=10))
        creator.join()
        assert answers[0].status == 200
        assert meanwhile and all(a.status == 200 and a.seconds < 1 for a in meanwhile), [
            round(a.seconds, 3) for a in meanwhile]
    finally:
        server.stop()


def test_a_lead_or_property_the_caller_may_not_read_stays_out_of_reach(
    server: RunningServer,
) -> None:
    """The agent (user 2) owns call 2; lead 102 and property 202 belong to user 1."""
    for path, value in [("/assignment/lead", 102), ("/assignment/property", 202)]:
        body = {"calltrackings": [2], "operations": [{"op": "replace", "path": path,
                                                      "value": value}]}
        answer = ask(server.url, "PATCH", "/calltrackings", {**AGENT, **JSON},
                     json.dumps(body).encode())
        noun = path.rsplit("/", 1)[1]
        assert (answer.status, json_of(answer)["errors"]) == (404, [
            {"in": "body", "name": "operations/0/value", "reason": f"no {noun} with id {value}"}])
    expanded = json_of(ask(server.url, "GET", "/calltrackings?filters[reference]=pfflex-7",
                           {**AGENT, "X-MyCRM-Expand-Data": "true"}))["call_trackings"][0]
    assert (expanded["lead"], expanded["user"]["id"]) == ({"id": 103}, 2)  # user 5's lead
    own = json_of(ask(server.url, "GET", "/calltrackings?filters[reference]=pfflex-2",
                      {**AGENT, "X-MyCRM-Expand-Data": "lead"}))["call_trackings"][0]
    assert (own["lead"]["id"], own["lead"]["first_name"]) == (101, "John")


def test_a_path_cannot_forge_a_log_line(server: RunningServer) -> None:
    forged = "2025-01-01 00:00:00,000 INFO FORGED"
    ask(server.url, "GET", "/calltrackings%0a" + forged.replace(" ", "%20"), ADMIN)
    wait_until(lambda: "FORGED" in server.log(), what="the request's log line")
    lines = [line for line in server.log().splitlines() if "FORGED" in line]
    assert len(lines) == 1 and not lines[0].startswith(forged)
    assert "/calltrackings\\n2025-01-01" in lines[0]


def test_a_cross_site_form_post_resets_nothing(server: RunningServer) -> None:
    session = {**ADMIN, "X-Mock-Session": "victim"}
    assert ask(server.url, "DELETE", "/calltrackings/1", session).status == 204
    form = {"X-Mock-Session": "victim", "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": "0"}
    answer = ask(server.url, "POST", "/__mock/reset", form)
    assert answer.status == 415
    assert json_of(answer)["errors"] == [
        {"in": "header", "name": "Content-Type", "reason": "must be application/json"}]
    listed = json_of(ask(server.url, "GET", "/calltrackings?per_page=1", session))
    assert listed["call_trackings"][0]["id"] == 2  # still deleted
    json_reset = {"X-Mock-Session": "victim", **JSON, "Content-Length": "0"}
    assert ask(server.url, "POST", "/__mock/reset", json_reset).status == 200


def test_a_non_ascii_expand_name_is_encoded_once(server: RunningServer) -> None:
    connection = http.client.HTTPConnection(*address(server.url), timeout=10)
    connection.putrequest("GET", "/calltrackings?per_page=1")
    connection.putheader("Authorization", "Bearer admin-token")
    connection.putheader("X-MyCRM-Expand-Data", "user,\u00fcser".encode())
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.getheader("X-MyCRM-API-Warning") == "Unknown expand names ignored: %C3%BCser"


def test_integers_in_other_scripts_delete_nothing(server: RunningServer) -> None:
    for spelled in ["%D9%A3", "%EF%BC%93", "+3", "%203", "3_0"]:
        answer = ask(server.url, "DELETE", f"/calltrackings/{spelled}", ADMIN)
        assert answer.status == 400, spelled
    listed = json_of(ask(server.url, "GET", "/calltrackings?filters[reference]=pfflex-3",
                         ADMIN))
    assert listed["count"] == 1
