"""Whatever a client sends, the answer is a 4xx in the contract's Error shape, and the data
is exactly as before: never a 500, never a half-applied change."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from apitools import WWW_AUTHENTICATE, assert_error, call, replace_ops, reset, snapshot
from conftest import PINNED_NOW, RunningServer, auth, make_app, start_server
from flask import Flask
from flask.testing import FlaskClient

JSON = "application/json"
CONTRACT = "The request does not match the API contract."
NOT_JSON = "The request body is not valid JSON."
SEEN = replace_ops(("/seen", True))
SEEN_TEXT = '"operations":[{"op":"replace","path":"/seen","value":true}]'
PATHS = "['/assignment/user', '/assignment/property', '/assignment/lead', '/seen']"


@pytest.fixture
def app(reset_app: Flask) -> Flask:
    """One app for the module, its data reset before each test."""
    return reset_app


def body(name: str, reason: str) -> list[dict[str, str]]:
    return [{"in": "body", "name": name, "reason": reason}]


def raw(text: str | bytes, content_type: str | None = JSON) -> dict[str, Any]:
    data = text.encode() if isinstance(text, str) else text
    return {"data": data} if content_type is None else {"data": data, "content_type": content_type}


def op(path: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value, **extra}


def patch(operations: list[Any], **extra: Any) -> dict[str, Any]:
    return {"json": {"operations": operations, **extra}}


# (case, method, path, request keywords, status, message, errors)
BODY_CASES: list[tuple[str, str, str, dict[str, Any], int, str, Any]] = [
    # not JSON at all
    ("truncated JSON", "PATCH", "/calltrackings", raw('{"operations": ['), 400, NOT_JSON,
     body("", "Expecting value at line 1 column 17")),
    ("trailing garbage", "PATCH", "/calltrackings", raw("{} x"), 400, NOT_JSON,
     body("", "Extra data at line 1 column 4")),
    ("single quotes", "PATCH", "/calltrackings", raw("{'operations': []}"), 400, NOT_JSON,
     body("", "Expecting property name enclosed in double quotes at line 1 column 2")),
    ("byte order mark", "PATCH", "/calltrackings", raw(b"\xef\xbb\xbf{}"), 400, NOT_JSON,
     body("", "Unexpected UTF-8 BOM (decode using utf-8-sig) at line 1 column 1")),
    ("latin-1 byte", "PATCH", "/calltrackings", raw(b'{"operations": "\xe9"}'), 400,
     "The request body is not valid UTF-8.", body("", "byte 16 is not valid UTF-8")),
    ("UTF-16", "PATCH", "/calltrackings", raw("{}".encode("utf-16")), 400,
     "The request body is not valid UTF-8.", body("", "byte 0 is not valid UTF-8")),
    ("NaN", "PATCH", "/calltrackings",
     raw('{"calltrackings":[1],"operations":[{"op":"replace","path":"/seen","value":NaN}]}'),
     400, NOT_JSON, body("", "NaN is not a JSON value")),
    ("-Infinity", "PATCH", "/calltrackings", raw('{"calltrackings":[-Infinity],' + SEEN_TEXT + "}"),
     400, NOT_JSON, body("", "-Infinity is not a JSON value")),
    ("5000-digit id", "PATCH", "/calltrackings",
     raw('{"calltrackings":[' + "9" * 5000 + "]," + SEEN_TEXT + "}"), 400, NOT_JSON,
     body("", "a number has 5000 digits, more than the 4300 accepted")),
    ("1e400 id", "PATCH", "/calltrackings", raw('{"calltrackings":[1e400],' + SEEN_TEXT + "}"),
     400, CONTRACT, body("calltrackings/0", "inf is not of type 'integer'")),
    ("nested 40 deep in an unknown field", "PATCH", "/calltrackings",
     raw('{"x":' + "[" * 40 + "]" * 40 + "," + SEEN_TEXT + "}"), 400,
     "The request body is nested too deeply.", body("", "nested deeper than 32 levels")),
    ("nested 900 deep", "DELETE", "/calltrackings",
     raw('{"calltrackings":' + '{"a":' * 900 + "1" + "}" * 901), 400,
     "The request body is nested too deeply.", body("", "nested deeper than 32 levels")),
    ("nested 100000 deep", "PATCH", "/calltrackings", raw("[" * 100_000), 400, NOT_JSON, None),
    # JSON of the wrong shape
    ("empty body", "PATCH", "/calltrackings", raw(""), 400, CONTRACT,
     body("", "a JSON request body is required")),
    ("no body", "PATCH", "/calltrackings", {}, 400, CONTRACT,
     body("", "a JSON request body is required")),
    ("null", "PATCH", "/calltrackings", raw("null"), 400, CONTRACT,
     body("", "null is not of type 'object'")),
    ("array", "PATCH", "/calltrackings", raw("[1]"), 400, CONTRACT,
     body("", "[1] is not of type 'object'")),
    ("empty operations", "PATCH", "/calltrackings", patch([]), 400, CONTRACT,
     body("operations", "[] should be non-empty")),
    ("no operations", "PATCH", "/calltrackings", {"json": {"calltrackings": [1]}}, 400, CONTRACT,
     body("", "'operations' is a required property")),
    ("operations an object", "PATCH", "/calltrackings", {"json": {"operations": {}}}, 400,
     CONTRACT, body("operations", "{} is not of type 'array'")),
    ("unknown operation path", "PATCH", "/calltrackings", patch([op("/status", 1)]), 400,
     CONTRACT, body("operations/0/path", f"'/status' is not one of {PATHS}")),
    # The discriminator on `path` is a hint for generators: a path naming another schema
    # of the document is not checked against that schema, and a path that is not even a
    # string is a 400 too (openapi-schema-validator's own handling raised TypeError: 500).
    ("a path naming a schema, the body fitting it", "PATCH", "/calltrackings",
     patch([op("Lead", 1, id=1, first_name="A", last_name="B")], calltrackings=[1]), 400,
     CONTRACT, body("operations/0/path", f"'Lead' is not one of {PATHS}")),
    ("a path that is a list", "PATCH", "/calltrackings", patch([op([None, None], 1)]), 400,
     CONTRACT, body("operations/0/path", f"[null, null] is not one of {PATHS}")),
    ("a path that is an object", "PATCH", "/calltrackings", patch([op({}, 1)]), 400,
     CONTRACT, body("operations/0/path", f"{{}} is not one of {PATHS}")),
    ("op add", "PATCH", "/calltrackings", {"json": {"operations": [
        {"op": "add", "path": "/seen", "value": True}]}}, 400, CONTRACT,
     body("operations/0/op", "'replace' was expected")),
    ("op missing", "PATCH", "/calltrackings", {"json": {"operations": [
        {"path": "/seen", "value": True}]}}, 400, CONTRACT,
     body("operations/0", "'op' is a required property")),
    ("value missing", "PATCH", "/calltrackings", {"json": {"operations": [
        {"op": "replace", "path": "/assignment/user"}]}}, 400, CONTRACT,
     body("operations/0", "'value' is a required property")),
    ("user id as a string", "PATCH", "/calltrackings", patch([op("/assignment/user", "2")]), 400,
     CONTRACT, body("operations/0/value", "'2' is not of type 'integer'")),
    ("lead id 0", "PATCH", "/calltrackings", patch([op("/assignment/lead", 0)]), 400, CONTRACT,
     body("operations/0/value", "0 is less than the minimum of 1")),
    ("property id 1.5", "PATCH", "/calltrackings", patch([op("/assignment/property", 1.5)]), 400,
     CONTRACT, body("operations/0/value", "1.5 is not of type 'integer'")),
    ("seen null", "PATCH", "/calltrackings", patch([op("/seen", None)]), 400, CONTRACT,
     body("operations/0/value", "null is not of type 'boolean', 'integer'")),
    ("seen as a string", "PATCH", "/calltrackings", patch([op("/seen", "true")]), 400, CONTRACT,
     body("operations/0/value", "'true' is not of type 'boolean', 'integer'")),
    ("operation a number", "PATCH", "/calltrackings", patch([5]), 400, CONTRACT,
     body("operations/0", "5 is not of type 'object'")),
    ("two bad operations", "PATCH", "/calltrackings", patch([op("/x", 1), op("/seen", [])]), 400,
     CONTRACT, [*body("operations/0/path", f"'/x' is not one of {PATHS}"),
                *body("operations/1/value", "[] is not of type 'boolean', 'integer'")]),
    ("a valid operation and a bad one", "PATCH", "/calltrackings",
     patch([op("/seen", False), op("/assignment/user", -1)], calltrackings=[1]), 400, CONTRACT,
     body("operations/1/value", "-1 is less than the minimum of 1")),
    ("ids a string", "PATCH", "/calltrackings", patch(SEEN, calltrackings="1"), 400, CONTRACT,
     body("calltrackings", "'1' is not of type 'array'")),
    ("ids empty in a PATCH", "PATCH", "/calltrackings", patch(SEEN, calltrackings=[]), 400,
     CONTRACT, body("calltrackings", "[] should be non-empty")),
    ("id 0", "PATCH", "/calltrackings", patch(SEEN, calltrackings=[0]), 400, CONTRACT,
     body("calltrackings/0", "0 is less than the minimum of 1")),
    ("id true", "PATCH", "/calltrackings", patch(SEEN, calltrackings=[True]), 400, CONTRACT,
     body("calltrackings/0", "true is not of type 'integer'")),
    ("delete: id a string", "DELETE", "/calltrackings", {"json": {"calltrackings": ["a"]}}, 400,
     CONTRACT, body("calltrackings/0", "'a' is not of type 'integer'")),
    ("delete: ids null", "DELETE", "/calltrackings", {"json": {"calltrackings": None}}, 400,
     CONTRACT, body("calltrackings", "null is not of type 'array'")),
    ("delete: negative id", "DELETE", "/calltrackings", {"json": {"calltrackings": [-3]}}, 400,
     CONTRACT, body("calltrackings/0", "-3 is less than the minimum of 1")),
    ("delete: body an array", "DELETE", "/calltrackings", {"json": [1, 2]}, 400, CONTRACT,
     body("", "[1, 2] is not of type 'object'")),
    ("delete: id 1.5", "DELETE", "/calltrackings", {"json": {"calltrackings": [1.5]}}, 400,
     CONTRACT, body("calltrackings/0", "1.5 is not of type 'integer'")),
    # the wrong media type
    ("text/plain", "PATCH", "/calltrackings", raw("{}", "text/plain"), 415,
     "The request body must be application/json, not text/plain.", None),
    ("form", "PATCH", "/calltrackings", raw("a=1", "application/x-www-form-urlencoded"), 415,
     "The request body must be application/json, not application/x-www-form-urlencoded.", None),
    ("no content type", "PATCH", "/calltrackings", raw("{}", None), 415,
     "The request body must be application/json, not untyped.", None),
    ("merge-patch", "PATCH", "/calltrackings", raw("{}", "application/merge-patch+json"), 415,
     "The request body must be application/json, not application/merge-patch+json.", None),
    ("delete as text", "DELETE", "/calltrackings", raw('{"calltrackings":[1]}', "text/plain"),
     415, "The request body must be application/json, not text/plain.", None),
    # typos that would otherwise mean "every record"
    ("delete: a misspelt key", "DELETE", "/calltrackings", {"json": {"calltracking": [11]}},
     400, CONTRACT, body("calltracking", "is not a field of this body (a misspelt name?)")),
    ("delete: ids instead of calltrackings", "DELETE", "/calltrackings",
     {"json": {"ids": [12]}}, 400, CONTRACT,
     body("ids", "is not a field of this body (a misspelt name?)")),
    ("patch: a misspelt key", "PATCH", "/calltrackings",
     {"json": {"calltracking": [10], "operations": SEEN}}, 400, CONTRACT,
     body("calltracking", "is not a field of this body (a misspelt name?)")),
    ("delete: a key twice", "DELETE", "/calltrackings",
     raw('{"calltrackings": [1006], "calltrackings": []}'), 400,
     "The request body names a key twice in one object; nothing was changed.",
     body("calltrackings", "appears twice in one object: which one counts is anyone's guess, "
                           "so neither does")),
    ("delete: an empty list", "DELETE", "/calltrackings", {"json": {"calltrackings": []}},
     400, CONTRACT, body("calltrackings", "[] should be non-empty")),
    ("patch: 1001 ids", "PATCH", "/calltrackings",
     patch(SEEN, calltrackings=list(range(1, 1002))), 400, CONTRACT,
     body("calltrackings", "has 1001 items, more than the 1000 allowed")),
    ("patch: 21 operations", "PATCH", "/calltrackings", patch(SEEN * 21), 400, CONTRACT,
     body("operations", "has 21 items, more than the 20 allowed")),
]

# (case, method, path, status, message, errors)
PARAMETER_CASES: list[tuple[str, str, str, int, str, Any]] = [
    ("path id a word", "DELETE", "/calltrackings/abc", 400, CONTRACT,
     [{"in": "path", "name": "id", "reason": "'abc' is not a valid integer"}]),
    ("path id 0", "DELETE", "/calltrackings/0", 400, CONTRACT,
     [{"in": "path", "name": "id", "reason": "0 is less than the minimum of 1"}]),
    ("path id negative", "DELETE", "/calltrackings/-1", 400, CONTRACT,
     [{"in": "path", "name": "id", "reason": "-1 is less than the minimum of 1"}]),
    ("path id 1.0", "GET", "/calltrackings/1.0/recording", 400, CONTRACT,
     [{"in": "path", "name": "id", "reason": "'1.0' is not a valid integer"}]),
    ("path id not UTF-8", "GET", "/calltrackings/%ff/recording", 400, CONTRACT,
     [{"in": "path", "name": "id", "reason": "'\ufffd' is not a valid integer"}]),
    ("path id beyond int64", "DELETE", "/calltrackings/99999999999999999999999", 404,
     "No call tracking with id 99999999999999999999999.",
     [{"in": "path", "name": "id", "reason": "no call tracking with id 99999999999999999999999"}]),
    ("path id of 5000 digits", "GET", f"/calltrackings/{'9' * 5000}/recording", 400, CONTRACT,
     [{"in": "path", "name": "id",
       "reason": f"'{'9' * 199}... (5002 characters) is not a valid integer"}]),
    ("per_page 0", "GET", "/calltrackings?per_page=0", 400, CONTRACT,
     [{"in": "query", "name": "per_page", "reason": "0 is less than the minimum of 1"}]),
    ("per_page 501", "GET", "/calltrackings?per_page=501", 400, CONTRACT,
     [{"in": "query", "name": "per_page", "reason": "501 is greater than the maximum of 500"}]),
    ("page a word", "GET", "/calltrackings?page=abc", 400, CONTRACT,
     [{"in": "query", "name": "page", "reason": "'abc' is not a valid integer"}]),
    ("page of 5000 digits", "GET", f"/calltrackings?page={'9' * 5000}", 400, CONTRACT,
     [{"in": "query", "name": "page",
       "reason": f"'{'9' * 199}... (5002 characters) is not a valid integer"}]),
    ("user id a word", "GET", "/calltrackings?filters[user_id]=abc", 400, CONTRACT,
     [{"in": "query", "name": "filters[user_id]", "reason": "'abc' is not a valid integer"}]),
    ("unknown status", "GET", "/calltrackings?filters[status]=busy", 400, CONTRACT,
     [{"in": "query", "name": "filters[status]",
       "reason": "'busy' is not one of ['notanswered', 'answered', 'canceled', 'voicemail']"}]),
    ("impossible date", "GET", "/calltrackings?filters[date_from]=2023-02-30", 400, CONTRACT,
     [{"in": "query", "name": "filters[date_from]", "reason": "'2023-02-30' is not a 'date'"}]),
    ("empty phone", "GET", "/calltrackings?filters[phone]=", 400, CONTRACT,
     [{"in": "query", "name": "filters[phone]", "reason": "must not be empty"}]),
    ("path id in Arabic-Indic digits", "DELETE", "/calltrackings/%D9%A3", 400, CONTRACT,
     [{"in": "path", "name": "id", "reason": "'\u0663' is not a valid integer"}]),
    ("path id in full-width digits", "DELETE", "/calltrackings/%EF%BC%94", 400, CONTRACT,
     [{"in": "path", "name": "id", "reason": "'\uff14' is not a valid integer"}]),
    ("path id with a plus", "DELETE", "/calltrackings/+8", 400, CONTRACT,
     [{"in": "path", "name": "id", "reason": "'+8' is not a valid integer"}]),
    ("path id with an underscore", "DELETE", "/calltrackings/1_0", 400, CONTRACT,
     [{"in": "path", "name": "id", "reason": "'1_0' is not a valid integer"}]),
    ("per_page with a space", "GET", "/calltrackings?per_page=%201", 400, CONTRACT,
     [{"in": "query", "name": "per_page", "reason": "' 1' is not a valid integer"}]),
    ("page with a plus", "GET", "/calltrackings?page=%2B2", 400, CONTRACT,
     [{"in": "query", "name": "page", "reason": "'+2' is not a valid integer"}]),
    ("several at once", "GET", "/calltrackings?page=0&per_page=x&filters[lead][id]=-2", 400,
     CONTRACT,
     [{"in": "query", "name": "filters[lead][id]", "reason": "-2 is less than the minimum of 1"},
      {"in": "query", "name": "page", "reason": "0 is less than the minimum of 1"},
      {"in": "query", "name": "per_page", "reason": "'x' is not a valid integer"}]),
]


@pytest.mark.parametrize(("case", "method", "path", "kwargs", "status", "message", "errors"),
                         BODY_CASES, ids=[c[0] for c in BODY_CASES])
def test_bad_body(app: Flask, client: FlaskClient, case: str, method: str, path: str,
                  kwargs: dict[str, Any], status: int, message: str, errors: Any) -> None:
    before = snapshot(app)
    response = client.open(path, method=method, headers=auth(), **kwargs)
    assert_error(response, status, message, errors)
    assert snapshot(app) == before


@pytest.mark.parametrize(("case", "method", "path", "status", "message", "errors"),
                         PARAMETER_CASES, ids=[c[0] for c in PARAMETER_CASES])
def test_bad_parameter(app: Flask, client: FlaskClient, case: str, method: str, path: str,
                       status: int, message: str, errors: Any) -> None:
    before = snapshot(app)
    assert_error(call(client, method, path), status, message, errors)
    assert snapshot(app) == before


def test_page_far_beyond_the_last_is_an_empty_page(client: FlaskClient) -> None:
    response = call(client, "GET", "/calltrackings?page=99999999999999999999999&per_page=500")
    assert response.get_json() == {"call_trackings": [], "count": 250,
                                   "page": 99999999999999999999999, "per_page": 500}


def test_filter_id_beyond_int64_matches_nothing(client: FlaskClient) -> None:
    response = call(client, "GET", "/calltrackings?filters[user_id]=99999999999999999999999")
    assert response.get_json() == {"call_trackings": [], "count": 0, "page": 1, "per_page": 100}


def test_integral_numbers_in_any_notation_are_integers(app: Flask, client: FlaskClient) -> None:
    """JSON Schema counts 3.0 and 5e0 as integers; the mock must store and answer 3 and 5."""
    response = client.patch(
        "/calltrackings",
        data=b'{"calltrackings":[3.0],"operations":'
             b'[{"op":"replace","path":"/assignment/user","value":5e0}]}',
        headers=auth(), content_type=JSON,
    )
    assert response.status_code == 200
    assert b'"id":3,' in response.data and b'"user":{"id":5}' in response.data
    listed = call(client, "GET", "/calltrackings?filters[user_id]=5&per_page=500")
    assert 3 in [r["id"] for r in listed.get_json()["call_trackings"]]
    assert b"5.0" not in listed.data


def test_body_id_of_300_digits_is_an_unknown_id(app: Flask, client: FlaskClient) -> None:
    before = snapshot(app)
    response = client.delete("/calltrackings", data=b'{"calltrackings":[1, 1e300]}',
                             headers=auth(), content_type=JSON)
    assert_error(response, 404, f"No call tracking with id {10**300}; nothing was changed.")
    assert snapshot(app) == before


def test_unknown_fields_of_an_operation_are_ignored(app: Flask, client: FlaskClient) -> None:
    plain = {"calltrackings": [3], "operations": SEEN}
    extra = {"calltrackings": [3],
             "operations": [op("/seen", True, comment="x", **{"from": "/y"})]}
    first = call(client, "PATCH", "/calltrackings", json_body=extra)
    after_extra = snapshot(app, counter=False)
    reset(app)
    second = call(client, "PATCH", "/calltrackings", json_body=plain)
    assert (first.status_code, first.data) == (second.status_code, second.data)
    assert first.get_json()["call_trackings"][0]["marked_as_seen"] is True
    assert snapshot(app, counter=False) == after_extra


def test_charset_parameter_is_accepted(client: FlaskClient) -> None:
    response = client.patch("/calltrackings", data=json.dumps({"operations": SEEN}),
                            headers=auth(), content_type="application/json; charset=utf-8")
    assert response.status_code == 200


@pytest.mark.parametrize("host", ["exa mple.com", "example.com:abc", "x/y", "user@host", ""])
def test_invalid_host_header_is_400(app: Flask, client: FlaskClient, host: str) -> None:
    """The recording URL is built on the Host the client used; a broken one cannot be."""
    before = snapshot(app)
    for method, path in (("GET", "/calltrackings/1/recording"), ("DELETE", "/calltrackings/2")):
        response = call(client, method, path, headers={"Host": host})
        assert_error(response, 400, "The Host header is not a valid host name: URLs cannot be "
                     "built.")
    assert snapshot(app) == before


@pytest.mark.parametrize("host", ["[::1]:8080", "127.0.0.1", "mock.internal:9000"])
def test_recording_url_uses_the_host_as_sent(client: FlaskClient, host: str) -> None:
    response = call(client, "GET", "/calltrackings/2/recording", headers={"Host": host})
    assert response.get_json() == {"recording": {"url": f"http://{host}/__mock/recordings/2.mp3"}}


@pytest.mark.parametrize(
    ("payload", "name", "reason"),
    [
        ({"seed": "abc"}, "seed", "'abc' is not of type 'integer'"),
        ({"seed": 1.5}, "seed", "1.5 is not of type 'integer'"),
        ({"count": True}, "count", "true is not of type 'integer'"),
        ({"count": -1}, "count", "-1 is less than the minimum of 0"),
        ({"count": 10**30}, "count",
         "1000000000000000000000000000000 is greater than the maximum of 1000000"),
        ([1], "", "[1] is not of type 'object'"),
    ],
)
def test_bad_reset_body_is_400(app: Flask, client: FlaskClient, payload: Any, name: str,
                               reason: str) -> None:
    call(client, "DELETE", "/calltrackings/1")  # something for a reset to undo
    before = snapshot(app)
    response = client.post("/__mock/reset", json=payload)
    # The admin API's own spec (mockserver/admin-openapi.yaml) words these, like the API's.
    assert_error(response, 400, "The request does not match the API contract.",
                 body(name, reason))
    assert snapshot(app) == before


# --- the body limit -------------------------------------------------------------------------


@pytest.mark.parametrize(("limit", "size"), [(1 << 20, (1 << 20) + 1), (64, 65)])
def test_body_over_the_limit_is_413(limit: int, size: int) -> None:
    app = make_app() if limit == 1 << 20 else make_app(max_body=limit)
    before = snapshot(app)
    filler = b'{"operations":[],"x":"' + b"a" * size + b'"}'
    response = app.test_client().patch("/calltrackings", data=filler, headers=auth(),
                                       content_type=JSON)
    assert_error(response, 413, f"The request body is larger than the limit of {limit} bytes.")
    assert snapshot(app) == before


def test_body_at_the_limit_is_read() -> None:
    app = make_app(max_body=100)
    data = json.dumps({"calltrackings": [3], "operations": SEEN}, separators=(",", ":"))
    data += " " * (100 - len(data))
    assert len(data) == 100
    response = app.test_client().patch("/calltrackings", data=data, headers=auth(),
                                       content_type=JSON)
    assert response.status_code == 200


# --- routing: unknown paths, methods, HEAD and OPTIONS ----------------------------------------

ALL_METHODS_LIST = "DELETE, GET, HEAD, OPTIONS, PATCH"


@pytest.mark.parametrize(
    "path",
    ["/nope", "/calltrackings/", "/calltrackings/1/recording/x", "/calltrackings/1/recordings",
     "/__mock/nope", "/CALLTRACKINGS"],  # "/" redirects to the docs (test_docs.py)
)
def test_unknown_path_is_404_json(app: Flask, client: FlaskClient, path: str) -> None:
    before = snapshot(app)
    assert_error(call(client, "GET", path), 404, f"No such endpoint: {path}")
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/calltrackings", ALL_METHODS_LIST),
        ("POST", "/calltrackings", ALL_METHODS_LIST),
        ("TRACE", "/calltrackings", ALL_METHODS_LIST),
        ("FOO", "/calltrackings", ALL_METHODS_LIST),
        ("GET", "/calltrackings/1", "DELETE, OPTIONS"),
        ("PATCH", "/calltrackings/1", "DELETE, OPTIONS"),
        ("PUT", "/calltrackings/1", "DELETE, OPTIONS"),
        ("POST", "/calltrackings/1/recording", "GET, HEAD, OPTIONS"),
        ("DELETE", "/calltrackings/1/recording", "GET, HEAD, OPTIONS"),
    ],
)
def test_wrong_method_is_405_with_allow(app: Flask, client: FlaskClient, method: str, path: str,
                                        allow: str) -> None:
    before = snapshot(app)
    response = call(client, method, path, json_body={"calltrackings": [1]})
    assert_error(response, 405, f"{method} is not allowed on {path}.")
    assert response.headers["Allow"] == allow
    assert snapshot(app) == before
    journaled = client.get("/__mock/requests?limit=1", headers=auth()).json["requests"][0]
    assert (journaled["method"], journaled["response"]["headers"]["Allow"]) == (method, allow)


def test_head_is_get_without_the_body(client: FlaskClient) -> None:
    got = call(client, "GET", "/calltrackings?per_page=3")
    head = call(client, "HEAD", "/calltrackings?per_page=3")
    assert (head.status_code, head.data, head.mimetype) == (200, b"", JSON)
    assert head.headers["Content-Length"] == str(len(got.data))
    recording = call(client, "HEAD", "/calltrackings/1/recording")
    assert (recording.status_code, recording.data) == (200, b"")


@pytest.mark.parametrize(
    ("persona", "path", "status"),
    [(None, "/calltrackings", 401), ("norights", "/calltrackings", 403),
     ("agent", "/calltrackings/1/recording", 404), ("admin", "/calltrackings/3/recording", 404),
     ("admin", "/calltrackings?page=0", 400)],
)
def test_head_errors_have_the_get_status_and_no_body(client: FlaskClient, persona: str | None,
                                                     path: str, status: int) -> None:
    response = call(client, "HEAD", path, persona)
    assert (response.status_code, response.data) == (status, b"")
    if status == 401:
        assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE


def test_head_on_a_delete_only_path_is_405(client: FlaskClient) -> None:
    response = call(client, "HEAD", "/calltrackings/1")
    assert (response.status_code, response.headers["Allow"]) == (405, "DELETE, OPTIONS")


@pytest.mark.parametrize(
    ("path", "allow"),
    [("/calltrackings", ALL_METHODS_LIST), ("/calltrackings/1", "DELETE, OPTIONS"),
     ("/calltrackings/1/recording", "GET, HEAD, OPTIONS")],
)
def test_options_lists_the_methods(app: Flask, client: FlaskClient, path: str,
                                   allow: str) -> None:
    before = snapshot(app)
    response = client.options(path)
    assert (response.status_code, response.data) == (200, b"")
    assert response.headers["Allow"] == allow
    assert snapshot(app) == before


def test_every_rejected_request_is_logged(client: FlaskClient,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """Flask's own answers (404, 405, 413) get their line too, not only the pipeline's."""
    caplog.set_level(logging.INFO, logger="mockserver")
    call(client, "GET", "/nope")
    call(client, "PUT", "/calltrackings")
    call(client, "PATCH", "/calltrackings", json_body={"operations": [op("/x", 1)]})
    client.patch("/calltrackings", data=b"x" * ((1 << 20) + 1), headers=auth(),
                 content_type=JSON)
    lines = [r.getMessage() for r in caplog.records if r.name == "mockserver"]
    pattern = [("GET /nope 404 ", ""), ("PUT /calltrackings 405 ", ""),
               ("PATCH /calltrackings 400 ",
                f"ms errors=[body:operations/0/path: '/x' is not one of {PATHS}]"),
               ("PATCH /calltrackings 413 ", "ms")]
    assert len(lines) == len(pattern), lines
    for line, (start, end) in zip(lines, pattern, strict=True):
        assert line.startswith(start) and line.endswith(end or "ms"), line


# --- over real HTTP: what only a real server sees ----------------------------------------------


@pytest.fixture(scope="module")
def small_body_server() -> Iterator[RunningServer]:
    server = start_server("--now", PINNED_NOW, "--max-body", "1000", "--count", "40")
    try:
        yield server
    finally:
        server.stop()


def send_raw(server: RunningServer, method: str, path: str, payload: bytes, *,
             chunked: bool = False, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.putrequest(method, path)
        for name, value in {**auth(), "Content-Type": JSON, **(headers or {})}.items():
            connection.putheader(name, value)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            for start in range(0, len(payload), 300):
                part = payload[start:start + 300]
                connection.send(b"%x\r\n%s\r\n" % (len(part), part))
            connection.send(b"0\r\n\r\n")
        else:
            if payload:
                connection.putheader("Content-Length", str(len(payload)))
            connection.endheaders(payload or None)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_chunked_bodies_over_real_http(small_body_server: RunningServer) -> None:
    small = json.dumps({"calltrackings": [3], "operations": SEEN}).encode()
    status, data = send_raw(small_body_server, "PATCH", "/calltrackings", small, chunked=True)
    assert status == 200 and json.loads(data)["call_trackings"][0]["marked_as_seen"] is True
    big = json.dumps({"calltrackings": list(range(1, 400)), "operations": SEEN}).encode()
    assert len(big) > 1000
    for chunked in (True, False):
        status, data = send_raw(small_body_server, "PATCH", "/calltrackings", big, chunked=chunked)
        assert (status, json.loads(data)) == (413, {
            "code": 413, "message": "The request body is larger than the limit of 1000 bytes."})
    status, data = send_raw(small_body_server, "GET", "/calltrackings/3/recording", b"")
    assert status == 404  # the 413s left nothing behind: 3 is still unanswered, no recording
    status, data = send_raw(small_body_server, "GET",
                            "/calltrackings?filters[reference]=pfflex-3", b"")
    assert json.loads(data)["call_trackings"][0]["marked_as_seen"] is True


def test_patch_without_length_or_chunks_has_no_body(small_body_server: RunningServer) -> None:
    status, data = send_raw(small_body_server, "PATCH", "/calltrackings", b"")
    assert status == 400
    assert json.loads(data)["errors"] == body("", "a JSON request body is required")
