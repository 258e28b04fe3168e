"""The admin API's own contract: ``admin-openapi.yaml`` is valid, describes exactly the
``/__mock/`` routes, is served with the running mock as first server, the responses conform
to it, and the admin token guards what it says it guards."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from conftest import PINNED_NOW, RunningServer, make_app, serving, start_server
from helpers import Api
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_spec_validator import validate

from mockserver.core.spec import ADMIN_SPEC, AUTH_SPEC
from mockserver.sandbox.sessions import SESSION_NAME_PATTERN

ROOT = Path(__file__).resolve().parents[2]
ADMIN = yaml.safe_load(ADMIN_SPEC.read_text(encoding="utf-8"))
MAIN = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
ADMIN_TOKEN = "s3cret-admin"


def test_admin_spec_is_valid_openapi_3_1() -> None:
    validate(ADMIN)
    assert ADMIN["openapi"] == "3.1.0"


def test_admin_spec_describes_exactly_the_mock_routes() -> None:
    app = make_app()
    routes = {
        (rule.rule.replace("<", "{").replace(">", "}"), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/__mock/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    described = {(path, method.upper()) for path, item in ADMIN["paths"].items()
                 for method in item if method != "parameters"}
    assert routes == described
    assert all(path.startswith("/__mock/") for path in ADMIN["paths"])


def _without_prose(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_prose(v) for k, v in node.items()
                if k not in ("description", "x-assumed")}
    if isinstance(node, list):
        return [_without_prose(v) for v in node]
    return node


@pytest.mark.parametrize("schema", ["Error", "ErrorDetail"])
def test_admin_errors_have_the_main_api_shape(schema: str) -> None:
    admin = _without_prose(ADMIN["components"]["schemas"][schema])
    main = _without_prose(MAIN["components"]["schemas"][schema])
    assert admin == main


def test_session_pattern_is_the_code_s() -> None:
    assert ADMIN["components"]["schemas"]["SessionName"]["pattern"] == SESSION_NAME_PATTERN


def test_exempt_operations_are_health_specs_dashboard_and_recordings() -> None:
    exempt = sorted(op["operationId"] for item in ADMIN["paths"].values()
                    for op in item.values() if op.get("security") == [])
    assert exempt == ["getAdminSpec", "getAuthSpec", "getDashboard", "getHealth", "getRecording"]


@pytest.mark.parametrize(("path", "source"), [("/__mock/openapi.yaml", ADMIN_SPEC),
                                            ("/__mock/auth-openapi.yaml", AUTH_SPEC)])
def test_admin_and_auth_specs_are_served_with_the_running_mock_first(
    sandbox: RunningServer, path: str, source: Path
) -> None:
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    response = requests.get(f"{sandbox.url}{path}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/yaml")
    served = yaml.safe_load(response.text)
    assert served["servers"][0]["url"] == sandbox.url
    assert served["servers"][1:] == document["servers"]
    assert served["paths"] == document["paths"]
    assert served["components"] == document["components"]


@pytest.fixture(scope="module")
def admin_contract() -> OpenAPI:
    document = copy.deepcopy(ADMIN)
    document["servers"] = [{"url": "/"}]
    return OpenAPI.from_dict(document)


def _exchanges(api: Api, session: str) -> Iterator[tuple[str, requests.Response]]:
    yield "health", api.get("/__mock/health")
    yield "reset", api.post("/__mock/reset", json={"count": 20})
    yield "export", api.get("/__mock/state")
    state = api.state()
    yield "import", api.put("/__mock/state", json=state)
    api.get("/calltrackings", params={"per_page": "x"})
    yield "journal", api.get("/__mock/requests")
    yield "faults", api.put("/__mock/faults", json={"rules": [
        {"operation": "*", "delay": {"min_ms": 0, "max_ms": 1}}]})
    yield "get faults", api.get("/__mock/faults")
    yield "bad faults", api.put("/__mock/faults", json={"rules": [{"operation": "x"}]})
    yield "no recording", api.get("/__mock/recordings/999999.mp3")
    yield "clear faults", api.delete("/__mock/faults")
    yield "clear journal", api.delete("/__mock/requests")
    yield "bad reset", api.post("/__mock/reset", json={"count": -1})
    yield "mint", api.post("/__mock/tokens", json={"user": 3, "roles": ["lead.read"]})
    yield "mint for nobody", api.post("/__mock/tokens", json={"user": 999, "roles": []})
    yield "personas", api.get("/__mock/personas")
    yield "fault options", api.get("/__mock/faults/options")
    yield "journal since", api.get("/__mock/requests", params={"after": 1})


def test_admin_responses_conform_to_the_admin_spec(
    sandbox: RunningServer, session_name: str, admin_contract: OpenAPI
) -> None:
    api = Api(sandbox.url, session=session_name)
    seen = []
    for name, response in _exchanges(api, session_name):
        openapi_request = RequestsOpenAPIRequest(response.request)
        openapi_response = RequestsOpenAPIResponse(response)
        admin_contract.validate_response(openapi_request, openapi_response)
        seen.append((name, response.status_code))
    assert seen == [("health", 200), ("reset", 200), ("export", 200), ("import", 200),
                    ("journal", 200), ("faults", 200), ("get faults", 200),
                    ("bad faults", 400), ("no recording", 404), ("clear faults", 204),
                    ("clear journal", 204), ("bad reset", 400), ("mint", 200),
                    ("mint for nobody", 404), ("personas", 200), ("fault options", 200),
                    ("journal since", 200)]


# --- the admin token ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded() -> Iterator[RunningServer]:
    with serving("--now", PINNED_NOW, env={"MOCKSERVER_ADMIN_TOKEN": ADMIN_TOKEN}) as server:
        yield server


GUARDED = [
    ("POST", "/__mock/reset"),
    ("GET", "/__mock/state"),
    ("PUT", "/__mock/state"),
    ("GET", "/__mock/requests"),
    ("DELETE", "/__mock/requests"),
    ("GET", "/__mock/faults"),
    ("PUT", "/__mock/faults"),
    ("DELETE", "/__mock/faults"),
    ("POST", "/__mock/tokens"),
    ("GET", "/__mock/personas"),
    ("GET", "/__mock/faults/options"),
]


@pytest.mark.parametrize(("method", "path"), GUARDED)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer admin-token"},  # a persona's token is not the admin token
        {"X-Mock-Admin-Token": "wrong"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"X-Mock-Admin-Token": ADMIN_TOKEN[:-1]},
    ],
)
def test_admin_endpoints_refuse_without_the_token(
    guarded: RunningServer, method: str, path: str, headers: dict[str, str]
) -> None:
    before = Api(guarded.url, persona=None, **{"X-Mock-Admin-Token": ADMIN_TOKEN}).get(
        "/__mock/state").content
    response = requests.request(method, guarded.url + path, headers=headers,
                                json={"rules": []}, timeout=10)
    assert response.status_code == 401
    assert response.json() == {
        "code": 401,
        "message": "This endpoint needs the admin token: send 'X-Mock-Admin-Token: <token>' "
                   "or 'Authorization: Bearer <token>'."}
    after = Api(guarded.url, persona=None, **{"X-Mock-Admin-Token": ADMIN_TOKEN}).get(
        "/__mock/state").content
    assert after == before


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Mock-Admin-Token": ADMIN_TOKEN},
        {"Authorization": f"Bearer {ADMIN_TOKEN}"},
        # a client that sends a persona's token on every request adds the admin header
        {"Authorization": "Bearer agent-token", "X-Mock-Admin-Token": ADMIN_TOKEN},
    ],
)
def test_admin_endpoints_accept_the_token_in_either_header(
    guarded: RunningServer, headers: dict[str, str]
) -> None:
    assert requests.get(f"{guarded.url}/__mock/faults", headers=headers,
                        timeout=10).json() == {"seed": 42, "rules": []}
    assert requests.post(f"{guarded.url}/__mock/reset", headers=headers,
                         timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/__mock/health", 200),
        ("/__mock/openapi.yaml", 200),
        ("/__mock/recordings/1.mp3", 200),
        ("/docs", 200),
        ("/openapi.yaml", 200),
    ],
)
def test_open_endpoints_need_no_admin_token(guarded: RunningServer, path: str,
                                            status: int) -> None:
    assert requests.get(guarded.url + path, timeout=10).status_code == status


def test_the_api_ignores_the_admin_token(guarded: RunningServer) -> None:
    api = Api(guarded.url)
    assert api.get("/calltrackings", params={"per_page": 1}).status_code == 200
    response = requests.get(f"{guarded.url}/calltrackings",
                            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
    assert response.status_code == 401


def test_blank_admin_token_stops_the_server() -> None:
    with pytest.raises(RuntimeError) as failure:
        start_server("--admin-token", " ")
    assert "--admin-token / MOCKSERVER_ADMIN_TOKEN: must not be blank" in str(failure.value)


def test_browsers_may_send_the_admin_and_session_headers(sandbox: RunningServer) -> None:
    response = requests.options(f"{sandbox.url}/__mock/faults", timeout=10, headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "x-mock-admin-token, x-mock-session"})
    assert response.status_code == 204
    allowed = {h.strip().lower() for h in
               response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"x-mock-admin-token", "x-mock-session", "prefer", "range"} <= allowed


# --- what the dashboard offers -------------------------------------------------------------


def test_fault_options_are_the_spec_s_operations_and_their_documented_errors(
    sandbox: RunningServer,
) -> None:
    body = requests.get(f"{sandbox.url}/__mock/faults/options", timeout=10).json()
    documented = {
        op["operationId"]: (method.upper(), path, op["summary"], sorted(
            int(code) for code in op["responses"] if code.isdigit() and int(code) >= 400))
        for path, item in MAIN["paths"].items() for method, op in item.items()
        if method != "parameters"
    }
    every = sorted(set.intersection(*(set(d[3]) for d in documented.values())))
    assert body["max_delay_ms"] == 5000  # the sandbox runs with --max-delay-ms 5000
    assert body["operations"] == [
        {"operation": "*", "method": None, "path": None, "summary": "Every operation",
         "error_statuses": every},
        *({"operation": name, "method": d[0], "path": d[1], "summary": d[2],
           "error_statuses": d[3]} for name, d in sorted(documented.items())),
    ]
    assert every == [400, 401, 403, 503]


def test_personas_are_the_fixtures_and_the_rights_the_operations_check(
    sandbox: RunningServer,
) -> None:
    body = requests.get(f"{sandbox.url}/__mock/personas", timeout=10).json()
    fixtures = yaml.safe_load((ROOT / "mockserver" / "fixtures" / "personas.yaml").read_text())
    assert body["personas"] == [
        {"name": p["name"], "token": p["token"], "user_id": p["user"]["id"],
         "rights": sorted(p["rights"]), "description": p["description"]}
        for p in fixtures["personas"]]
    checked = {r for item in MAIN["paths"].values() for op in item.values()
               if isinstance(op, dict) for r in op.get("x-rights", [])}
    assert body["rights"] == sorted(checked | {f"{r}.other" for r in checked})
