"""The server's own lane for the API answers exactly what Flask's routes answer.

The same requests go over real HTTP to two servers, each with a fresh app: one runs the
mock's handler (``DirectHandler``: the API without Flask, kept answers on the event loop),
the other hands every request to Flask (``WsgiHandler``). Status, headers, body and the
journal must be the same. The requests cover what the lane takes (reads, writes, errors of
every kind, CORS, sessions, faults) and what it must leave to Flask (HEAD, OPTIONS, wrong
methods, trailing slashes, a bad Host, admin paths).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import make_app
from flask import Flask

from mockserver.web.app import serving_handler
from mockserver.web.direct import DirectHandler
from mockserver.web.exchange import Exchange, Handler, Reply
from mockserver.web.server import Limits, Server
from mockserver.web.wsgi import WsgiHandler

ADMIN = {"Authorization": "Bearer admin-token"}
SEEN = [{"op": "replace", "path": "/seen", "value": True}]
Request = tuple[str, str, dict[str, str], Any]

TAKEN: list[Request] = [
    ("GET", "/calltrackings", ADMIN, None),
    ("GET", "/calltrackings", ADMIN, None),  # the kept answer, given on the loop
    ("GET", "/calltrackings?per_page=3&sort=date&sort_order=DESC", ADMIN, None),
    ("GET", "/calltrackings?filters%5Bstatus%5D=answered&filters%5Bnope%5D=1", ADMIN, None),
    ("GET", "/calltrackings?per_page=abc&page=-1", ADMIN, None),
    ("GET", "/calltrackings?per_page=2&per_page=3", ADMIN, None),
    ("GET", "/calltrackings?filters[lead][name]=%C3%A9l%C3%A8ne&q=%ZZ", ADMIN, None),
    ("GET", "/calltrackings", {**ADMIN, "X-MyCRM-Expand-Data": "user,lead,nope"}, None),
    ("GET", "/calltrackings", {"Authorization": "Bearer agent-token"}, None),
    ("GET", "/calltrackings", {"Authorization": "Bearer wrong"}, None),
    ("GET", "/calltrackings", {}, None),
    ("GET", "/calltrackings", {**ADMIN, "Origin": "http://localhost:5173"}, None),
    ("GET", "/calltrackings", {**ADMIN, "X-Mock-Session": "direct"}, None),
    ("GET", "/calltrackings", {**ADMIN, "X-Mock-Session": "direct"}, None),
    ("GET", "/calltrackings", {**ADMIN, "X-Mock-Session": "bad name!"}, None),
    ("GET", "/calltrackings", {**ADMIN, "Prefer": "code=403"}, None),
    ("GET", "/calltrackings", {**ADMIN, "Prefer": "code=200"}, None),
    ("GET", "/calltrackings", {**ADMIN, "Prefer": "nonsense"}, None),
    ("GET", "/calltrackings/1/recording", ADMIN, None),
    ("GET", "/calltrackings/12/recording", ADMIN, None),
    ("GET", "/calltrackings/x/recording", ADMIN, None),
    ("GET", "//calltrackings", ADMIN, None),
    ("GET", "/calltrackings", {"Authorization": "Bearer viewer-token", "Host": "mock.test"},
     None),
    ("PATCH", "/calltrackings", ADMIN, {"calltrackings": [1, 2], "operations": SEEN}),
    ("GET", "/calltrackings", ADMIN, None),  # after a write: answered afresh
    ("PATCH", "/calltrackings", ADMIN, {"calltrackings": [999999], "operations": SEEN}),
    ("PATCH", "/calltrackings", ADMIN, {"operations": [{"op": "replace", "path": "/x"}]}),
    ("PATCH", "/calltrackings", {**ADMIN, "Content-Type": "text/plain"}, b"not json"),
    ("PATCH", "/calltrackings", ADMIN, b'{"calltrackings": [1], "calltrackings": [2]}'),
    ("PATCH", "/calltrackings", {**ADMIN, "Transfer-Encoding": "chunked"},
     {"calltrackings": [6], "operations": SEEN}),
    ("DELETE", "/calltrackings/3", ADMIN, None),
    ("DELETE", "/calltrackings/3", ADMIN, None),
    ("DELETE", "/calltrackings", ADMIN, {"calltrackings": [4, 5]}),
    ("DELETE", "/calltrackings", {"Authorization": "Bearer viewer-token"},
     {"calltrackings": [7]}),
    ("GET", "/calltrackings?per_page=500", ADMIN, None),
]
LEFT_TO_FLASK: list[Request] = [
    ("HEAD", "/calltrackings", ADMIN, None),
    ("OPTIONS", "/calltrackings", {"Origin": "http://x.test",
                                   "Access-Control-Request-Method": "PATCH"}, None),
    ("PUT", "/calltrackings", ADMIN, None),
    ("GET", "/calltrackings/", ADMIN, None),
    ("GET", "/calltrackings%0A", ADMIN, None),
    ("GET", "/calltrackings", {**ADMIN, "Host": "bad host"}, None),
    ("GET", "/__mock/personas", {}, None),
    ("GET", "/no/such/path", ADMIN, None),
]


@contextmanager
def serving(handler: Handler) -> Iterator[int]:
    server = Server(handler, "127.0.0.1", 0, Limits(threads=2, delayed=2, grace=2))
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        server.stop()
        thread.join(timeout=10)


def send(port: int, request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
    method, path, headers, body = request
    headers = {"Host": "mock.test", **headers}  # the same links from both servers
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if body is not None:
            headers.setdefault("Content-Type", "application/json")
        for name, value in headers.items():
            connection.putheader(name, value)
        if headers.get("Transfer-Encoding") == "chunked":
            connection.endheaders()
            connection.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        elif body is not None:
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
        else:
            connection.endheaders()
        response = connection.getresponse()
        data = response.read()
        kept = sorted((k, v) for k, v in response.getheaders() if k != "Date")
        return response.status, kept, data
    finally:
        connection.close()


def journal(port: int) -> list[dict[str, Any]]:
    status, _, data = send(port, ("GET", "/__mock/requests?limit=200", ADMIN, None))
    assert status == 200
    entries = json.loads(data)["requests"]
    for entry in entries:
        entry.pop("duration_ms"), entry.pop("at")
    return list(entries)


@pytest.fixture
def apps() -> tuple[Flask, Flask]:
    return make_app(), make_app()


def test_both_lanes_answer_and_journal_alike(apps: tuple[Flask, Flask]) -> None:
    direct_app, flask_app = apps
    with serving(serving_handler(direct_app)) as direct, \
            serving(WsgiHandler(flask_app.wsgi_app)) as flask:
        for request in TAKEN + LEFT_TO_FLASK:
            assert send(direct, request) == send(flask, request), request
        assert journal(direct) == journal(flask)
        assert len(journal(direct)) >= len(TAKEN)


def exchange_of(method: str, target: str, headers: dict[str, str], body: bytes = b"",
                ) -> Exchange:
    path, _, query = target.partition("?")
    return Exchange(method, path, query, "1.1", [("Host", "mock.test"), *headers.items()],
                    body, ("127.0.0.1", 50000), ("127.0.0.1", 8080))


def handler_of(app: Flask) -> DirectHandler:
    return serving_handler(app)


def test_the_lane_takes_what_it_should_and_nothing_else(app: Flask) -> None:
    handler = handler_of(app)
    for method, path, headers, body in TAKEN:
        if headers.get("Host") or headers.get("Transfer-Encoding"):
            continue  # the Host header and a chunked body are the server's to read
        raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        assert handler.take(exchange_of(method, path, headers, raw or b"")) is not None, path
    for method, path, headers, _ in LEFT_TO_FLASK:
        exchange = exchange_of(method, path.replace("%0A", "\n"), headers)
        if headers.get("Host") == "bad host":
            exchange.headers = [("Host", "bad host"), *ADMIN.items()]
        assert handler.take(exchange) is None, (method, path)


def test_a_kept_answer_is_given_on_the_loop_and_anything_else_on_a_worker(app: Flask) -> None:
    handler = handler_of(app)
    read = exchange_of("GET", "/calltrackings?per_page=2", ADMIN)
    first = handler.respond(read)
    assert callable(first)  # not kept yet: the operation runs on a worker
    made = first()
    again = handler.respond(exchange_of("GET", "/calltrackings?per_page=2", ADMIN))
    assert isinstance(again, Reply)  # the kept answer, on the loop
    assert (again.status, again.headers, again.body) == (made.status, made.headers, made.body)
    refused = handler.respond(exchange_of("GET", "/calltrackings", {}))
    assert isinstance(refused, Reply) and refused.status == 401  # nothing to wait for
    named = handler.respond(exchange_of("GET", "/calltrackings", {**ADMIN,
                                                                  "X-Mock-Session": "new"}))
    assert callable(named)  # making a session is a worker's job
    write = exchange_of("PATCH", "/calltrackings", {**ADMIN, "Content-Type": "application/json"},
                        json.dumps({"calltrackings": [1], "operations": SEEN}).encode())
    assert callable(handler.respond(write))


def test_a_changed_answer_is_seen_in_the_very_next_read(app: Flask) -> None:
    handler = handler_of(app)
    read = exchange_of("GET", "/calltrackings?per_page=1", ADMIN)
    before = handler.respond(read)
    assert callable(before)
    seen = json.loads(before().body)["call_trackings"][0]["marked_as_seen"]
    assert isinstance(handler.respond(read), Reply)
    write = handler.respond(exchange_of(
        "PATCH", "/calltrackings", {**ADMIN, "Content-Type": "application/json"},
        json.dumps({"calltrackings": [1], "operations": [
            {"op": "replace", "path": "/seen", "value": not seen}]}).encode()))
    assert callable(write) and write().status == 200
    after = handler.respond(read)
    assert callable(after)  # the data changed: not the kept answer
    assert json.loads(after().body)["call_trackings"][0]["marked_as_seen"] is (not seen)


def test_an_unexpected_error_is_a_json_500_and_the_server_goes_on(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = handler_of(app)
    with serving(handler) as port:
        def failing(*args: Any) -> Any:
            raise RuntimeError("a bug")

        monkeypatch.setattr(handler, "reply", failing)
        status, headers, body = send(port, ("GET", "/calltrackings", ADMIN, None))
        assert status == 500
        assert ("Content-Type", "application/json") in headers
        assert json.loads(body) == {"code": 500, "message": "Internal Server Error"}
        monkeypatch.undo()
        assert send(port, ("GET", "/calltrackings", ADMIN, None))[0] == 200
