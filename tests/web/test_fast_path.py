"""The fast path answers exactly what Flask's routes answer: the same requests, sent to an
app with it and to one without it, get the same status, headers, body and journal entry.

The requests cover what the fast path takes (reads, writes, errors of every kind, CORS,
sessions) and what it must leave to Flask (HEAD, OPTIONS, wrong methods, trailing slashes,
bodies over the limit, chunked bodies, a bad Host).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import make_app
from flask import Flask

from mockserver.web.fast_path import FastPath

ADMIN = {"Authorization": "Bearer admin-token"}
SEEN = [{"op": "replace", "path": "/seen", "value": True}]
Request = tuple[str, str, dict[str, str], Any]

TAKEN: list[Request] = [
    ("GET", "/calltrackings", ADMIN, None),
    ("GET", "/calltrackings?per_page=3&sort=date&sort_order=DESC", ADMIN, None),
    ("GET", "/calltrackings?filters%5Bstatus%5D=answered&filters%5Bnope%5D=1", ADMIN, None),
    ("GET", "/calltrackings?per_page=abc&page=-1", ADMIN, None),
    ("GET", "/calltrackings?per_page=2&per_page=3", ADMIN, None),
    ("GET", "/calltrackings", {**ADMIN, "X-MyCRM-Expand-Data": "user,lead,nope"}, None),
    ("GET", "/calltrackings", {"Authorization": "Bearer agent-token"}, None),
    ("GET", "/calltrackings", {"Authorization": "Bearer wrong"}, None),
    ("GET", "/calltrackings", {}, None),
    ("GET", "/calltrackings", {**ADMIN, "Origin": "http://localhost:5173"}, None),
    ("GET", "/calltrackings", {**ADMIN, "X-Mock-Session": "fast"}, None),
    ("GET", "/calltrackings", {**ADMIN, "X-Mock-Session": "bad name!"}, None),
    ("GET", "/calltrackings", {**ADMIN, "Prefer": "code=403"}, None),
    ("GET", "/calltrackings/1/recording", ADMIN, None),
    ("GET", "/calltrackings/12/recording", ADMIN, None),
    ("GET", "/calltrackings/x/recording", ADMIN, None),
    ("PATCH", "/calltrackings", ADMIN, {"calltrackings": [1, 2], "operations": SEEN}),
    ("PATCH", "/calltrackings", ADMIN, {"calltrackings": [999999], "operations": SEEN}),
    ("PATCH", "/calltrackings", ADMIN, {"operations": [{"op": "replace", "path": "/x"}]}),
    ("PATCH", "/calltrackings", {**ADMIN, "Content-Type": "text/plain"}, b"not json"),
    ("PATCH", "/calltrackings", ADMIN, b'{"calltrackings": [1], "calltrackings": [2]}'),
    ("DELETE", "/calltrackings/3", ADMIN, None),
    ("DELETE", "/calltrackings/3", ADMIN, None),
    ("DELETE", "/calltrackings", ADMIN, {"calltrackings": [4, 5]}),
    ("GET", "/calltrackings?per_page=500", ADMIN, None),
]
LEFT_TO_FLASK: list[Request] = [
    ("HEAD", "/calltrackings", ADMIN, None),
    ("OPTIONS", "/calltrackings", {"Origin": "http://x.test",
                                   "Access-Control-Request-Method": "PATCH"}, None),
    ("PUT", "/calltrackings", ADMIN, None),
    ("GET", "/calltrackings/", ADMIN, None),
    ("GET", "/calltrackings%0A", ADMIN, None),
    ("PATCH", "/calltrackings", {**ADMIN, "Content-Length": "2000000"}, None),
    ("PATCH", "/calltrackings", {**ADMIN, "Transfer-Encoding": "chunked"}, None),
    ("GET", "/calltrackings", {**ADMIN, "Host": "bad host"}, None),
    ("GET", "/__mock/personas", {}, None),
]


def send(app: Flask, request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
    method, path, headers, body = request
    kwargs: dict[str, Any] = {"headers": dict(headers)}
    if isinstance(body, bytes):
        kwargs["data"] = body
        kwargs["headers"].setdefault("Content-Type", "application/json")
    elif body is not None:
        kwargs["json"] = body
    if "Content-Length" in headers or "Transfer-Encoding" in headers:
        kwargs["data"] = b'{"calltrackings": [1]}'
    if "Content-Length" in headers:  # what the client claims, whatever it sends
        kwargs["environ_overrides"] = {"CONTENT_LENGTH": kwargs["headers"].pop("Content-Length")}
    response = app.test_client().open(path, method=method, **kwargs)
    return response.status_code, sorted(response.headers.items()), response.data


def journal(app: Flask) -> list[dict[str, Any]]:
    answer = app.test_client().get("/__mock/requests?limit=200", headers=ADMIN).get_json()
    entries = answer["requests"]
    for entry in entries:
        entry.pop("duration_ms"), entry.pop("at")
    return list(entries)


@pytest.fixture
def apps() -> tuple[Flask, Flask]:
    fast, slow = make_app(), make_app()
    assert isinstance(slow.wsgi_app, FastPath)
    slow.wsgi_app = slow.wsgi_app.flask_app  # type: ignore[method-assign]
    return fast, slow


def test_both_ways_answer_and_journal_alike(apps: tuple[Flask, Flask]) -> None:
    fast, slow = apps
    for request in TAKEN + LEFT_TO_FLASK:
        assert send(fast, request) == send(slow, request), request
    assert journal(fast) == journal(slow)
    assert len(journal(fast)) >= len(TAKEN)


def fast_path_of(app: Flask) -> FastPath:
    path = app.wsgi_app
    assert isinstance(path, FastPath)
    return path


def test_the_fast_path_takes_what_it_should_and_nothing_else(
    apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = apps
    path = fast_path_of(fast)
    taken: list[str] = []
    take = path.take

    def counting(environ: dict[str, Any]) -> Any:
        found = take(environ)
        if found is not None:
            taken.append(environ["REQUEST_METHOD"] + " " + environ["PATH_INFO"])
        return found

    monkeypatch.setattr(path, "take", counting)
    for request in TAKEN:
        before = len(taken)
        send(fast, request)
        assert len(taken) == before + 1, request
    for request in LEFT_TO_FLASK:
        before = len(taken)
        send(fast, request)
        assert len(taken) == before, request


def test_an_unexpected_error_is_a_json_500_and_the_server_goes_on(
    apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = apps
    path = fast_path_of(fast)
    answer = path.answer

    def failing(*args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(path, "answer", failing)
    response = fast.test_client().get("/calltrackings", headers=ADMIN)
    assert response.status_code == 500
    assert json.loads(response.data) == {"code": 500, "message": "Internal Server Error"}
    monkeypatch.setattr(path, "answer", answer)
    assert fast.test_client().get("/calltrackings", headers=ADMIN).status_code == 200
