"""``mockserver proxy`` end to end: the command in its own process, in front of the real
mock (``mockserver serve``) or of the drifted deployment the contract tests use (in this
process, so the test reads what reached it), driven over real HTTP."""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import PINNED_NOW, RunningServer, serving, start_server
from contract_servers import (
    AUTH_NOT_ENFORCED,
    DRIFT_HEADLINES,
    ERROR_WITHOUT_CODE,
    SERVER_ERROR,
    DriftedDeployment,
)
from contract_servers import serving as serving_app

from mockserver.contract.assumptions import AssumptionIndex
from mockserver.core.spec import Spec

ADMIN = {"Authorization": "Bearer admin-token"}
SPEC = Spec.load()
ASSUMED = AssumptionIndex(SPEC).all_assumed()


@contextmanager
def proxy(upstream: str, *args: str) -> Iterator[Proxy]:
    running = start_server("--upstream", upstream, *args,
                           command=[sys.executable, "-m", "mockserver", "proxy"])
    handle = Proxy(running)
    try:
        yield handle
    finally:
        handle.stop()


class Proxy:
    def __init__(self, running: RunningServer) -> None:
        self.running = running
        self.url = running.url
        self.summary = ""
        self.returncode: int | None = None

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                **kwargs: Any) -> requests.Response:
        return requests.request(method, self.url + path, headers=headers if headers is not None
                                else ADMIN, timeout=30, **kwargs)

    def report(self) -> dict[str, Any]:
        response = requests.get(self.url + "/__proxy/report", timeout=10)
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self.returncode is None:
            self.returncode = self.running.stop(signal.SIGTERM)
            assert self.running.process.stdout is not None
            self.summary = self.running.process.stdout.read()


@pytest.fixture(scope="module")
def mock() -> Iterator[RunningServer]:
    with serving("--now", PINNED_NOW) as server:
        yield server


def ledger_of(report: dict[str, Any]) -> dict[str, str]:
    return {row["element"]: row["status"] for row in report["ledger"]}


def realistic_client(p: Proxy, session: str) -> None:
    """What a frontend does in a day: every operation, filters, sorts, pages, expand,
    bulk actions, deletes, recordings, and the errors users run into."""
    s = {**ADMIN, "X-Mock-Session": session}
    first = p.get("/calltrackings", headers=s, params={"per_page": 5})
    assert first.status_code == 200, first.text
    count = first.json()["count"]
    for page in (1, 2):
        assert p.get("/calltrackings", headers=s, params={
            "page": page, "per_page": 20, "sort": "date", "sort_order": "DESC"}).status_code == 200
    for query in ({"filters[status]": "answered"}, {"filters[seen]": "false"},
                  {"filters[date][from]": "2024-01-01", "filters[date][to]": "2025-01-01"},
                  {"filters[state]": "assigned"}, {"sort_order": "desc", "per_page": 3}):
        assert p.get("/calltrackings", headers=s, params=query).status_code == 200, query
    expanded = p.get("/calltrackings", headers={**s, "X-MyCRM-Expand-Data": "true"},
                     params={"per_page": 50})
    assert expanded.status_code == 200
    items = expanded.json()["call_trackings"]
    assert any(isinstance(i["user"], dict) and "public" in i["user"] for i in items)
    ids = [i["id"] for i in items]
    assert p.request("PATCH", "/calltrackings", headers=s, json={"calltrackings": ids[:3],
                     "operations": [{"op": "replace", "path": "/seen", "value": True}]}
                     ).status_code == 200
    assert p.request("PATCH", "/calltrackings", headers=s, json={"calltrackings": ids[3:5],
                     "operations": [{"op": "replace", "path": "/assignment/user", "value": 2}]}
                     ).status_code == 200
    assert p.request("DELETE", f"/calltrackings/{ids[5]}", headers=s).status_code == 204
    assert p.request("DELETE", "/calltrackings", headers=s,
                     json={"calltrackings": ids[6:8]}).status_code == 204
    with_recording = next(i for i in items[8:] if i["download_url"])
    assert p.get(f"/calltrackings/{with_recording['id']}/recording",
                 headers=s).status_code == 200
    # the errors a user meets
    assert p.get("/calltrackings", headers=s, params={"per_page": "lots"}).status_code == 400
    assert p.get("/calltrackings", headers={"X-Mock-Session": session}).status_code == 401
    assert p.get("/calltrackings", headers={"Authorization": "Bearer norights-token",
                                            "X-Mock-Session": session}).status_code == 403
    assert p.request("DELETE", f"/calltrackings/{ids[5]}", headers=s).status_code == 404
    assert p.get("/calltrackings", headers=s, params={"per_page": 1}).json()["count"] == count - 3


def test_a_realistic_client_through_the_proxy_to_the_mock_finds_nothing(
        mock: RunningServer, tmp_path: Path) -> None:
    ledger_file, junit = tmp_path / "ledger.json", tmp_path / "proxy.xml"
    with proxy(mock.url, "--ledger", str(ledger_file), "--junit-xml", str(junit)) as p:
        realistic_client(p, "proxy-realistic")
        assert p.get("/__mock/health").status_code == 200  # not described: forwarded
        report = p.report()
    assert report["contract_failures"] == [] and report["unconfirmed_assumptions"] == []
    assert report["by_operation"] == {"bulkDeleteCallTrackings": 1, "bulkUpdateCallTrackings": 2,
                                      "deleteCallTracking": 2, "getCallTrackingRecording": 1,
                                      "listCallTrackings": 13}
    assert report["undescribed"] == {"count": 1, "last": ["GET /__mock/health -> 200"]}
    statuses = ledger_of(report)
    assert set(statuses) == set(ASSUMED)
    assert "refuted" not in statuses.values()
    consistent = {e for e, s in statuses.items() if s == "consistent"}
    assert consistent == {
        "#/paths/~1calltrackings/patch/responses/200",
        "#/components/parameters/FilterState", "#/components/parameters/FilterDateRangeFrom",
        "#/components/parameters/FilterDateRangeTo", "#/components/parameters/SortOrder",
        "#/components/parameters/Page", "#/components/parameters/PerPage",
        "#/components/parameters/ExpandData",
        "#/components/responses/BadRequest", "#/components/responses/Unauthorized",
        "#/components/responses/Forbidden", "#/components/responses/NotFound",
        "#/components/schemas/AclRule", "#/components/schemas/User",
        "#/components/schemas/Lead", "#/components/schemas/Property",
        "#/components/schemas/CallTrackingList/properties/count",
        "#/components/schemas/CallTrackingList/properties/page",
        "#/components/schemas/CallTrackingList/properties/per_page",
        "#/components/schemas/BulkUpdateResult",
        "#/components/schemas/BulkUpdateRequest/properties/calltrackings",
        "#/components/schemas/BulkDeleteRequest/properties/calltrackings",
        "#/components/schemas/Error",
    }
    # what a day of ordinary use never meets
    assert set(ASSUMED) - consistent == {
        "#/components/responses/NotFoundOrNoRecording", "#/components/responses/PayloadTooLarge",
        "#/components/responses/ServiceUnavailable",
        "#/components/responses/UnsupportedMediaType", "#/components/schemas/NoOtherKey"}
    assert p.returncode == 0
    assert "Contract failures: none." in p.summary
    assert "Unconfirmed assumptions: none." in p.summary
    written = json.loads(ledger_file.read_text())
    assert {row["element"]: row["status"] for row in written["elements"]} == statuses
    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    assert suites["contract"].get("failures") == "0"
    assert suites["contract"].get("skipped") == "0"  # every operation was reached
    assert "admin-token" not in p.summary + ledger_file.read_text() + junit.read_text()


def test_bytes_and_headers_pass_unchanged_and_head_keeps_its_length(
        mock: RunningServer) -> None:
    query = {"per_page": 7, "sort": "id"}
    direct = requests.get(f"{mock.url}/calltrackings", params=query, headers=ADMIN, timeout=30)
    with proxy(mock.url) as p:
        through = p.get("/calltrackings", params=query, headers={
            **ADMIN, "Expect": "100-continue", "Connection": "keep-alive, X-Hop",
            "X-Hop": "dropped"})
        head = p.request("HEAD", "/calltrackings", params=query)
    assert through.status_code == 200 and through.content == direct.content
    assert through.headers["Content-Type"] == direct.headers["Content-Type"]
    assert int(through.headers["Content-Length"]) == len(direct.content)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == len(direct.content)


@pytest.fixture
def drifted() -> Iterator[tuple[str, DriftedDeployment]]:
    deployment = DriftedDeployment()
    with serving_app(deployment) as url:
        yield url, deployment


def test_each_drift_is_classified_as_the_contract_runner_classifies_it(
        drifted: tuple[str, DriftedDeployment], tmp_path: Path) -> None:
    url, deployment = drifted
    junit = tmp_path / "proxy.xml"
    with proxy(url, "--junit-xml", str(junit)) as p:
        assert p.get("/calltrackings", params={"per_page": 5}).status_code == 200
        assert p.get("/calltrackings", params={"sort": "call_time"}).status_code == 500
        assert p.get("/calltrackings", params={"filters[status]": "answered"}).status_code == 200
        assert p.get("/calltrackings/1/recording", headers={}).status_code == 200
        assert p.request("DELETE", "/calltrackings/3").status_code == 200
        assert p.get("/calltrackings/999999/recording").status_code == 404
        report = p.report()
    broken = [g["headline"] for g in report["contract_failures"]]
    for drift, headline in DRIFT_HEADLINES.items():
        if drift != ERROR_WITHOUT_CODE:
            assert any(headline in h for h in broken), (drift, broken)
    assert len(broken) == len(DRIFT_HEADLINES) - 1  # each drift once, nothing else
    server_error = next(g for g in report["contract_failures"]
                        if DRIFT_HEADLINES[SERVER_ERROR] in g["headline"])
    assert server_error["verdict"] == "contract failure"
    assert server_error["example"]["request"] == "GET /calltrackings?sort=call_time"
    assert server_error["example"]["request_headers"]["Authorization"] == "Bearer ***"
    auth = next(g for g in report["contract_failures"]
                if DRIFT_HEADLINES[AUTH_NOT_ENFORCED] in g["headline"])
    assert auth["seen"] == {"GET /calltrackings/{id}/recording 200": 1}
    # the error body without `code` breaks only assumed elements: an assumption, refuted
    [assumption] = report["unconfirmed_assumptions"]
    assert assumption["headline"] == ("GET /calltrackings/{id}/recording: "
                                      + DRIFT_HEADLINES[ERROR_WITHOUT_CODE])
    assert [a["element"] for a in assumption["assumed"]] == [
        "#/components/responses/NotFoundOrNoRecording", "#/components/schemas/Error"]
    statuses = ledger_of(report)
    assert statuses["#/components/schemas/Error"] == "refuted"
    assert statuses["#/components/responses/NotFoundOrNoRecording"] == "refuted"
    evidence = next(r["evidence"] for r in report["ledger"]
                    if r["element"] == "#/components/schemas/Error")
    assert evidence["request"] == "GET /calltrackings/999999/recording -> 404"
    assert p.returncode == 1
    assert "Contract failures (6):" in p.summary
    assert "refuted    #/components/schemas/Error" in p.summary
    contract = next(s for s in ET.parse(junit).getroot() if s.get("name") == "contract")
    failed = [c.get("name") for c in contract if c.find("failure") is not None]
    assert failed == ["GET /calltrackings (listCallTrackings)",
                      "DELETE /calltrackings/{id} (deleteCallTracking)",
                      "GET /calltrackings/{id}/recording (getCallTrackingRecording)"]
    assert {r.method for r in deployment.received} == {"GET", "DELETE"}


def test_delete_all_and_with_read_only_every_write_never_reach_the_upstream(
        drifted: tuple[str, DriftedDeployment]) -> None:
    url, deployment = drifted
    with proxy(url) as p:
        for body in (None, {}, {"calltrackings": []}, {"calltrackings": [0]}):
            refused = p.request("DELETE", "/calltrackings", json=body)
            assert refused.status_code == 403
            assert refused.json()["errors"] == [{"in": "body", "name": "calltrackings",
                "reason": "a bulk DELETE without ids deletes every call tracking: never "
                          "forwarded without --allow-delete-all"}]
        assert p.request("DELETE", "/calltrackings", json={"calltrackings": [4]}).status_code \
            == 204
        assert p.report()["refused"]["count"] == 4
    deletes = deployment.sent("DELETE")
    assert [(r.path, json.loads(r.body)) for r in deletes] == [
        ("/calltrackings", {"calltrackings": [4]})]
    deployment.received.clear()
    with proxy(url, "--read-only", "--undescribed", "refuse") as p:
        writes = [("PATCH", "/calltrackings", {"calltrackings": [1], "operations": [
                      {"op": "replace", "path": "/seen", "value": True}]}),
                  ("DELETE", "/calltrackings/1", None), ("POST", "/calltrackings", {})]
        for method, path, body in writes:
            refused = p.request(method, path, json=body)
            assert refused.status_code == 403, (method, path)
            assert "--read-only" in refused.json()["message"]
        assert p.get("/somewhere/else").status_code == 403
        assert p.get("/calltrackings", params={"per_page": 1}).status_code == 200
    assert [(r.method, r.path) for r in deployment.received] == [("GET", "/calltrackings")]


def test_the_allow_delete_all_option_forwards_it(drifted: tuple[str, DriftedDeployment]) -> None:
    url, deployment = drifted
    with proxy(url, "--allow-delete-all") as p:
        assert p.request("DELETE", "/calltrackings", json={}).status_code == 204
    assert [r.method for r in deployment.received] == ["DELETE"]


def test_secrets_never_reach_the_report_the_summary_or_the_files(
        drifted: tuple[str, DriftedDeployment], tmp_path: Path) -> None:
    url, _ = drifted
    secret = "s3cret-Bearer-Value-42"
    junit, ledger = tmp_path / "p.xml", tmp_path / "l.json"
    with proxy(url, "--junit-xml", str(junit), "--ledger", str(ledger)) as p:
        answer = p.get("/calltrackings", headers={"Authorization": f"Bearer {secret}"},
                       params={"sort": "call_time", "note": secret})
        assert answer.status_code == 500  # a drift: its example exchange is kept
        report = p.report()
        shown = json.dumps(report) + requests.get(p.url + "/__proxy/report.html",
                                                  timeout=10).text
    example = report["contract_failures"][0]["example"]
    assert example["request"] == "GET /calltrackings?sort=call_time&note=***"
    assert example["request_headers"]["Authorization"] == "Bearer ***"
    written = p.summary + junit.read_text() + ledger.read_text()
    assert "note=***" in p.summary
    assert secret not in shown and secret not in written


# --- an upstream that fails -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def raw_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server answering each connection with ``handle`` (not HTTP, maybe)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                handle(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def test_an_unreachable_upstream_gets_502_with_the_error_body() -> None:
    upstream = f"http://127.0.0.1:{free_port()}"
    with proxy(upstream) as p:
        answer = p.get("/calltrackings")
        assert answer.status_code == 502
        assert answer.json() == {"code": 502, "message": f"The upstream {upstream} gave no "
                                 "answer: no usable answer: ConnectionError."}
        assert p.report()["upstream_failures"]["count"] == 1
    assert "Upstream failures: 1" in p.summary


def test_a_silent_upstream_gets_504_after_the_timeout_and_others_are_served() -> None:
    release = threading.Event()

    def silent(conn: socket.socket) -> None:
        conn.recv(65536)
        release.wait(30)  # holds the connection open, answering nothing

    with raw_server(silent) as upstream, proxy(upstream, "--timeout", "0.5") as p:
        try:
            assert p.get("/calltrackings").status_code == 504
            assert p.get("/__proxy/report").status_code == 200  # the proxy still answers
        finally:
            release.set()


def test_garbage_from_the_upstream_gets_502() -> None:
    def garbage(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"this is not HTTP at all\r\n\r\n")

    with raw_server(garbage) as upstream, proxy(upstream) as p:
        answer = p.get("/calltrackings")
        assert answer.status_code == 502
        assert answer.json()["code"] == 502


def test_the_body_limit_holds_for_the_proxy(drifted: tuple[str, DriftedDeployment]) -> None:
    url, deployment = drifted
    with proxy(url, "--max-body", "1000") as p:
        answer = p.request("PATCH", "/calltrackings", data=b"x" * 5000,
                           headers={**ADMIN, "Content-Type": "application/json"})
        assert answer.status_code == 413
        assert answer.json()["code"] == 413
    assert deployment.received == []


@pytest.mark.parametrize(("args", "message"), [
    ((), "mockserver proxy: --upstream (or MOCKSERVER_PROXY_UPSTREAM) is required\n"),
    (("--upstream", "ftp://x"), "mockserver proxy: --upstream must be an http(s) URL, "
                                "not 'ftp://x'\n"),
    (("--upstream", "http://x", "--timeout", "0"), "mockserver proxy: --timeout must be "
                                                   "positive\n"),
])
def test_unusable_options_exit_2_saying_which(args: Iterable[str], message: str) -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "mockserver", "proxy", *args],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})
    assert (done.returncode, done.stdout, done.stderr) == (2, "", message)
