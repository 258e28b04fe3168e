"""Faults over real HTTP, each observed by a client: delays measured, error statuses with
bodies valid against the contract, dropped connections seen as connection errors, and the
same seed giving the same faults."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from conftest import PINNED_NOW, RunningServer, start_server
from helpers import Api

from mockserver.core.spec import Spec
from mockserver.sandbox.faults import FaultRule, Faults, documented_errors

SPEC = Spec.load()
ERROR_SCHEMA = SPEC.component_validator("Error")


def set_faults(api: Api, rules: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    response = api.put("/__mock/faults", json={"rules": rules, **extra})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def timed(call: Any) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


def test_fixed_delay_is_at_least_the_configured_value(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    set_faults(api, [{"operation": "listCallTrackings", "delay": {"min_ms": 400}}])
    elapsed, response = timed(lambda: api.get("/calltrackings", params={"per_page": 1}))
    assert response.status_code == 200
    assert elapsed >= 0.4
    entry = api.get("/__mock/requests", params={"limit": 1}).json()["requests"][0]
    assert entry["fault"] == "delay"
    assert entry["duration_ms"] >= 400
    # other operations are not delayed by a rule naming one operation
    elapsed, response = timed(lambda: api.get("/calltrackings/1/recording"))
    assert response.status_code == 200
    assert elapsed < 0.4


def test_ranged_delay_is_the_seeded_draw(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    set_faults(api, [{"operation": "*", "delay": {"min_ms": 150, "max_ms": 300}}])
    local = Faults(42, session_name)  # the same seed, session and operation draw the same
    local.replace([FaultRule("*", delay_min_ms=150, delay_max_ms=300)])
    expected = [local.decide("getCallTrackingRecording").delay_ms for _ in range(3)]
    assert all(150 <= d <= 300 for d in expected) and len(set(expected)) > 1
    for delay in expected:
        elapsed, response = timed(lambda: api.get("/calltrackings/1/recording"))
        assert response.status_code == 200
        assert elapsed >= delay / 1000
    journal = api.get("/__mock/requests").json()["requests"][:3]
    assert all(e["duration_ms"] >= d for e, d in zip(reversed(journal), expected, strict=True))


def test_error_fault_answers_a_valid_error_and_changes_nothing(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    set_faults(api, [{"operation": "bulkUpdateCallTrackings",
                      "error": {"status": 404, "probability": 1}}])
    before = api.get("/__mock/state").content
    response = api.mark_seen([2, 3])
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    ERROR_SCHEMA.validate(body)
    assert body == {"code": 404, "message": "Injected fault: this operation is set to fail "
                                            "with 404 (see /__mock/faults)."}
    assert api.get("/__mock/state").content == before
    entry = api.get("/__mock/requests", params={"limit": 1}).json()["requests"][0]
    assert (entry["status"], entry["fault"]) == (404, "error")


def test_injected_401_comes_before_authentication(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    set_faults(api, [{"operation": "*", "error": {"status": 401}}])
    response = api.get("/calltrackings")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="mycrm"'
    ERROR_SCHEMA.validate(response.json())


def test_dropped_connection_is_a_connection_error(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    set_faults(api, [{"operation": "deleteCallTracking", "drop": {"probability": 1}}])
    with pytest.raises(requests.ConnectionError) as failure:
        api.delete("/calltrackings/1")
    assert "without response" in str(failure.value) or "reset" in str(failure.value).lower()
    assert api.record(1) is not None  # the operation did not run
    assert api.get("/calltrackings/1/recording").status_code == 200  # the server lives on
    dropped = api.get("/__mock/requests").json()["requests"][1]
    assert (dropped["method"], dropped["status"], dropped["fault"]) == ("DELETE", None, "drop")


def test_specific_rule_wins_over_any(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    set_faults(api, [
        {"operation": "*", "error": {"status": 403}},
        {"operation": "getCallTrackingRecording", "delay": {"min_ms": 1}},
    ])
    assert api.get("/calltrackings/1/recording").status_code == 200
    assert api.get("/calltrackings").status_code == 403


def statuses(api: Api, n: int = 30) -> list[int]:
    return [api.get("/calltrackings/1/recording").status_code for _ in range(n)]


HALF_FAILING = [{"operation": "getCallTrackingRecording", "error": {"status": 403,
                                                                    "probability": 0.5}}]


def test_same_seed_gives_the_same_faults(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    assert set_faults(api, HALF_FAILING)["seed"] == 42
    first = statuses(api)
    assert set(first) == {200, 403}
    set_faults(api, HALF_FAILING)  # setting the rules restarts the draws
    assert statuses(api) == first
    other_seed = set_faults(api, HALF_FAILING, seed=43)
    assert other_seed["seed"] == 43
    assert statuses(api) != first
    # another server started with the same seed draws the same faults for this session
    twin = start_server("--now", PINNED_NOW)
    try:
        twin_api = Api(twin.url, session=session_name)
        set_faults(twin_api, HALF_FAILING)
        assert statuses(twin_api) == first
    finally:
        twin.stop()


def test_drop_and_error_probabilities_share_one_draw(
    sandbox: RunningServer, session_name: str
) -> None:
    api = Api(sandbox.url, session=session_name)
    set_faults(api, [{"operation": "getCallTrackingRecording",
                      "error": {"status": 404, "probability": 0.3},
                      "drop": {"probability": 0.3}}])
    seen = []
    for _ in range(40):
        try:
            seen.append(api.get("/calltrackings/1/recording").status_code)
        except requests.ConnectionError:
            seen.append(0)
    assert set(seen) == {0, 200, 404}
    journal = api.get("/__mock/requests").json()["requests"][:40]
    assert [e["status"] or 0 for e in reversed(journal)] == seen


def test_get_and_delete_faults(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    assert api.get("/__mock/faults").json() == {"seed": 42, "rules": []}
    shown = set_faults(api, [{"operation": "listCallTrackings",
                              "delay": {"min_ms": 5, "max_ms": 10},
                              "error": {"status": 400}}])
    expected = {"seed": 42, "rules": [{"operation": "listCallTrackings",
                                       "delay": {"min_ms": 5, "max_ms": 10},
                                       "error": {"status": 400, "probability": 1.0}}]}
    assert shown == expected
    assert api.get("/__mock/faults").json() == expected
    assert Api(sandbox.url, session=f"{session_name}-x").get("/__mock/faults").json()[
        "rules"] == []
    assert api.delete("/__mock/faults").status_code == 204
    assert api.get("/__mock/faults").json() == {"seed": 42, "rules": []}
    assert api.get("/calltrackings", params={"per_page": 1}).status_code == 200


@pytest.mark.parametrize(
    ("rules", "problems"),
    [
        ([{"operation": "listCalls", "delay": {"min_ms": 1}}],
         [("rules/0/operation", "unknown operationId; one of bulkDeleteCallTrackings, "
           "bulkUpdateCallTrackings, deleteCallTracking, getCallTrackingRecording, "
           "listCallTrackings or *")]),
        ([{"operation": "listCallTrackings", "error": {"status": 404}}],
         [("rules/0/error/status", "404 is not documented for listCallTrackings; "
           "one of [400, 401, 403, 503]")]),
        ([{"operation": "*", "error": {"status": 415}}],
         [("rules/0/error/status", "415 is not documented for *; one of [400, 401, 403, 503]")]),
        ([{"operation": "*", "delay": {"min_ms": 1}}, {"operation": "*", "drop": {}}],
         [("rules/1/operation", "a second rule for *")]),
        ([{"operation": "*", "delay": {"min_ms": 6000}}],
         [("rules/0/delay", "6000 is more than the server's limit of 5000 ms")]),
        ([{"operation": "*", "delay": {"min_ms": 10, "max_ms": 5}}],
         [("rules/0/delay/max_ms", "5 is less than min_ms 10")]),
        ([{"operation": "*", "error": {"status": 400, "probability": 0.7},
           "drop": {"probability": 0.5}}],
         [("rules/0", "error and drop probabilities add up to 1.2 > 1")]),
        ([{"operation": "*"}], [("rules/0", "a rule needs at least one of delay, error, drop")]),
    ],
)
def test_invalid_rules_are_refused_and_change_nothing(
    sandbox: RunningServer, session_name: str, rules: list[Any],
    problems: list[tuple[str, str]],
) -> None:
    api = Api(sandbox.url, session=session_name)
    kept = set_faults(api, [{"operation": "listCallTrackings", "delay": {"min_ms": 1}}])
    response = api.put("/__mock/faults", json={"rules": rules})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "The fault rules are not valid; none were changed."
    assert [(e["in"], e["name"], e["reason"]) for e in body["errors"]] == [
        ("body", name, reason) for name, reason in problems]
    assert api.get("/__mock/faults").json() == kept


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"rules": [{"operation": "*", "error": {"status": 200}}]}, "rules/0/error/status"),
        ({"rules": [{"operation": "*", "drop": {"probability": 2}}]}, "rules/0/drop/probability"),
        ({"rules": [{"operation": "*", "delay": {"min_ms": -1}}]}, "rules/0/delay/min_ms"),
        ({"rules": [{"operation": "*", "delay": 100}]}, "rules/0/delay"),
        ({"rules": [{"operation": "*", "slow": True}]}, "rules/0"),
        ({}, ""),
    ],
)
def test_rules_breaking_the_admin_spec_get_400(
    sandbox: RunningServer, session_name: str, body: dict[str, Any], name: str
) -> None:
    response = Api(sandbox.url, session=session_name).put("/__mock/faults", json=body)
    assert response.status_code == 400
    assert response.json()["message"] == "The request does not match the API contract."
    assert [e["name"] for e in response.json()["errors"]] == [name]


def test_documented_errors_of_any_operation_are_the_common_ones() -> None:
    assert documented_errors(SPEC, "*") == [400, 401, 403, 503]
    assert documented_errors(SPEC, "bulkUpdateCallTrackings") == [400, 401, 403, 404, 413, 415,
                                                                   503]


def test_fault_draws_depend_only_on_seed_session_and_operation() -> None:
    def draws(seed: int, session: str, noise: bool) -> list[bool]:
        faults = Faults(seed, session)
        faults.replace([FaultRule("a", error_status=400, error_probability=0.5),
                        FaultRule("b", error_status=400, error_probability=0.5)])
        out = []
        for _ in range(50):
            if noise:
                faults.decide("b")  # calls to another operation do not shift "a"'s draws
            out.append(faults.decide("a").error_status is not None)
        return out

    assert draws(1, "s", False) == draws(1, "s", True)
    assert draws(1, "s", False) != draws(2, "s", False)
    assert draws(1, "s", False) != draws(1, "t", False)
    assert 10 < sum(draws(1, "s", False)) < 40
