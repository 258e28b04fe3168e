"""``Prefer: code=`` and ``Prefer: delay=`` over real HTTP, and the header's strict decoding."""

from __future__ import annotations

import time

import pytest
from conftest import RunningServer
from helpers import Api

from mockserver.core.errors import BadRequest
from mockserver.core.spec import Spec
from mockserver.sandbox.prefer import Preference, parse_prefer

SPEC = Spec.load()
ERROR_SCHEMA = SPEC.component_validator("Error")


def example(operation_id: str, status: str) -> object:
    content = SPEC.operations[operation_id].definition["responses"][status]["content"]
    return content["application/json"]["examples"]["upstream"]["value"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/calltrackings", 400),
        ("GET", "/calltrackings", 401),
        ("GET", "/calltrackings", 403),
        ("PATCH", "/calltrackings", 404),
        ("PATCH", "/calltrackings", 413),
        ("PATCH", "/calltrackings", 415),
        ("DELETE", "/calltrackings/1", 404),
        ("GET", "/calltrackings/1/recording", 404),
    ],
)
def test_forced_error_has_a_valid_error_body_and_changes_nothing(
    sandbox: RunningServer, session_name: str, method: str, path: str, status: int
) -> None:
    api = Api(sandbox.url, session=session_name)
    before = api.get("/__mock/state").content
    body = {"calltrackings": [1], "operations": [{"op": "replace", "path": "/seen",
                                                   "value": False}]}
    response = api.request(method, path, headers={"Prefer": f"code={status}"},
                           json=body if method == "PATCH" else None)
    assert response.status_code == status
    ERROR_SCHEMA.validate(response.json())
    assert response.json() == {"code": status,
                               "message": f"Forced by the request header 'Prefer: code={status}'."}
    assert api.get("/__mock/state").content == before


def test_forced_success_returns_the_spec_example(sandbox: RunningServer) -> None:
    api = Api(sandbox.url)
    listed = api.get("/calltrackings", headers={"Prefer": "code=200"})
    assert listed.status_code == 200
    assert listed.json() == example("listCallTrackings", "200")
    recording = api.get("/calltrackings/5/recording", headers={"Prefer": "code=200"})
    assert recording.json() == example("getCallTrackingRecording", "200")


def test_forced_success_without_an_example_is_real_data_on_a_copy(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    record = next(r for r in api.state()["call_trackings"] if not r["marked_as_seen"])
    before = api.get("/__mock/state").content
    response = api.patch(
        "/calltrackings", headers={"Prefer": "code=200"},
        json={"calltrackings": [record["id"]],
              "operations": [{"op": "replace", "path": "/seen", "value": True}]})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["call_trackings"][0]["id"] == record["id"]
    assert body["call_trackings"][0]["marked_as_seen"] is True
    assert body["call_trackings"][0]["updated_at"] == "2025-01-15T09:30:00+04:00"
    assert api.get("/__mock/state").content == before  # the change stayed on the copy


def test_forced_204_deletes_nothing(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    before = api.get("/__mock/state").content
    response = api.delete("/calltrackings/1", headers={"Prefer": "code=204"})
    assert (response.status_code, response.content) == (204, b"")
    response = api.delete("/calltrackings", headers={"Prefer": "code=204"})
    assert response.status_code == 204
    assert api.get("/__mock/state").content == before


def test_undocumented_status_is_refused(sandbox: RunningServer) -> None:
    response = Api(sandbox.url).get("/calltrackings", headers={"Prefer": "code=404"})
    assert response.status_code == 400
    assert response.json() == {
        "code": 400, "message": "The Prefer header is not valid.",
        "errors": [{"in": "header", "name": "Prefer", "reason":
                    "code=404 is not documented for listCallTrackings; one of 200, 400, 401, "
                    "403, 503"}]}


def test_a_real_error_wins_over_a_forced_success(sandbox: RunningServer) -> None:
    invalid = Api(sandbox.url).get("/calltrackings", params={"per_page": 0},
                                   headers={"Prefer": "code=200"})
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["name"] == "per_page"
    anonymous = Api(sandbox.url, persona=None).get("/calltrackings",
                                                   headers={"Prefer": "code=200"})
    assert anonymous.status_code == 401
    forbidden = Api(sandbox.url, persona="norights").get("/calltrackings",
                                                         headers={"Prefer": "code=200"})
    assert forbidden.status_code == 403


def test_forced_401_carries_the_challenge(sandbox: RunningServer) -> None:
    response = Api(sandbox.url).get("/calltrackings", headers={"Prefer": "code=401"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="mycrm"'


def test_delay_is_at_least_the_asked_value(sandbox: RunningServer) -> None:
    api = Api(sandbox.url)
    started = time.perf_counter()
    response = api.get("/calltrackings/1/recording", headers={"Prefer": "delay=350"})
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.35
    started = time.perf_counter()
    response = api.get("/calltrackings/1/recording", headers={"Prefer": "code=403, delay=250"})
    assert response.status_code == 403
    assert time.perf_counter() - started >= 0.25


def test_delay_over_the_limit_is_refused(sandbox: RunningServer) -> None:
    response = Api(sandbox.url).get("/calltrackings", headers={"Prefer": "delay=5001"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"in": "header", "name": "Prefer", "reason":
                                          "delay=5001 is more than the server's limit of "
                                          "5000 ms"}]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], Preference()),
        (["code=404"], Preference(code=404)),
        (["delay=20"], Preference(delay_ms=20)),
        (["code=404, delay=20"], Preference(code=404, delay_ms=20)),
        (["Code=404", "DELAY=0"], Preference(code=404, delay_ms=0)),
        (['code="403"'], Preference(code=403)),
        ([" code = 401 "], Preference(code=401)),
    ],
)
def test_parse_prefer_accepts(values: list[str], expected: Preference) -> None:
    assert parse_prefer(values, max_delay_ms=100) == expected


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (["code=abc"], "code must be a whole number, not 'abc'"),
        (["code=-1"], "code must be a whole number, not '-1'"),
        (["code=404;x=1"], "code must be a whole number, not '404;x=1'"),
        (["code=9999999999"], "code must be a whole number, not '9999999999'"),
        (["code="], "code must be a whole number, not ''"),
        (["code"], "'code' is not of the form code=<status> or delay=<milliseconds>"),
        (["=404"], "'=404' is not of the form code=<status> or delay=<milliseconds>"),
        (["code=404,"], "'(empty)' is not of the form code=<status> or delay=<milliseconds>"),
        (["code=404", "code=403"], "code is given twice"),
        (["return=minimal"], "unknown preference 'return'; the mock understands code, delay"),
        (["example=1"], "unknown preference 'example'; the mock understands code, delay"),
        (["delay=101"], "delay=101 is more than the server's limit of 100 ms"),
    ],
)
def test_parse_prefer_refuses(values: list[str], reason: str) -> None:
    with pytest.raises(BadRequest) as failure:
        parse_prefer(values, max_delay_ms=100)
    assert failure.value.body()["errors"] == [{"in": "header", "name": "Prefer",
                                               "reason": reason}]


def test_malformed_prefer_over_http(sandbox: RunningServer) -> None:
    response = Api(sandbox.url).get("/calltrackings", headers={"Prefer": "code=teapot"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["name"] == "Prefer"
