"""The documented token flow over real HTTP: the request exactly as the upstream documents
it, then every operation with the token it returns; the form-encoded request of RFC 6749;
and every refusal, with the status and RFC 6749 body an OAuth client expects."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from conftest import RunningServer
from helpers import wait_until
from hostility import ask, json_of

TOKEN_PATH = "/auth/oauth/v1/token"
KEY, SECRET = "admin-key", "admin-secret-not-a-secret"
DOCUMENTED = json.dumps({"scope": "openid", "grant_type": "client_credentials"}).encode()


def basic(key: str = KEY, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def token_request(server: RunningServer, body: bytes, content_type: str = "application/json",
                  authorization: str | None = None) -> tuple[int, Any, dict[str, str]]:
    headers = {"Content-Type": content_type, "User-Agent": "test-client/1"}
    if authorization is not None:
        headers["Authorization"] = authorization
    answer = ask(server.url, "POST", TOKEN_PATH, headers, body)
    return answer.status, json_of(answer), answer.headers


def test_the_documented_flow_then_every_operation(sandbox: RunningServer,
                                                   session_name: str) -> None:
    status, body, headers = token_request(sandbox, DOCUMENTED, authorization=basic())
    assert status == 200
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 1800)
    assert body["access_token"].startswith("eyJ") and body["access_token"].count(".") == 2
    assert (headers["Cache-Control"], headers["Pragma"]) == ("no-store", "no-cache")
    bearer = {"Authorization": f"Bearer {body['access_token']}", "X-Mock-Session": session_name,
              "Content-Type": "application/json"}
    seen = json.dumps({"calltrackings": [1], "operations": [
        {"op": "replace", "path": "/seen", "value": True}]}).encode()
    results = [
        ask(sandbox.url, "GET", "/calltrackings?per_page=1", bearer).status,
        ask(sandbox.url, "GET", "/calltrackings/1/recording", bearer).status,
        ask(sandbox.url, "PATCH", "/calltrackings", bearer, seen).status,
        ask(sandbox.url, "DELETE", "/calltrackings/3", bearer).status,
        ask(sandbox.url, "DELETE", "/calltrackings", bearer,
            json.dumps({"calltrackings": [4]}).encode()).status,
    ]
    assert results == [200, 200, 200, 204, 204]
    journal = json_of(ask(sandbox.url, "GET", "/__mock/requests?limit=1",
                          {"X-Mock-Session": session_name}))["requests"][0]
    assert (journal["persona"], journal["headers"]["Authorization"]) == (
        "token of admin-key", "Bearer ***")


def test_the_form_encoded_request_with_credentials_in_basic_or_in_the_body(
    sandbox: RunningServer,
) -> None:
    form = "application/x-www-form-urlencoded"
    in_basic = token_request(sandbox, b"grant_type=client_credentials&scope=openid", form,
                             basic())
    in_body = token_request(sandbox, b"grant_type=client_credentials&client_id=agent-key"
                            b"&client_secret=agent-secret-not-a-secret", form)
    assert (in_basic[0], in_body[0]) == (200, 200)
    agent = {"Authorization": f"Bearer {in_body[1]['access_token']}"}
    listed = json_of(ask(sandbox.url, "GET", "/calltrackings?per_page=500", agent))
    assert {ct["user"]["id"] for ct in listed["call_trackings"]} == {2}  # the agent's rights


REFUSALS: list[tuple[str, bytes, str, str | None, int, dict[str, str]]] = [
    ("wrong secret", DOCUMENTED, "application/json", basic(secret="nope"), 401,
     {"error": "invalid_client", "error_description": "The API key or secret is not known."}),
    ("unknown key", DOCUMENTED, "application/json", basic(key="who"), 401,
     {"error": "invalid_client", "error_description": "The API key or secret is not known."}),
    ("no Basic header", DOCUMENTED, "application/json", None, 401,
     {"error": "invalid_client", "error_description": "Send the API key and secret as "
      "'Authorization: Basic base64(<API key>:<API secret>)'."}),
    ("Basic not base64", DOCUMENTED, "application/json", "Basic !!!", 401,
     {"error": "invalid_client", "error_description": "The Basic credentials are not base64 "
      "of '<API key>:<API secret>'."}),
    ("wrong grant", json.dumps({"scope": "openid", "grant_type": "password"}).encode(),
     "application/json", basic(), 400,
     {"error": "unsupported_grant_type", "error_description": "Only "
      "grant_type=client_credentials is supported, not 'password'."}),
    ("missing scope", json.dumps({"grant_type": "client_credentials"}).encode(),
     "application/json", basic(), 400,
     {"error": "invalid_request", "error_description": "The token request is not valid: the "
      "body: 'scope' is a required property"}),
    ("another scope", json.dumps({"scope": "email", "grant_type": "client_credentials"}
                                 ).encode(), "application/json", basic(), 400,
     {"error": "invalid_scope", "error_description": "The scope must be 'openid', not "
      "'email'."}),
    ("malformed JSON", b'{"scope": "openid",', "application/json", basic(), 400,
     {"error": "invalid_request", "error_description": "The token request is not valid: the "
      "body: Expecting property name enclosed in double quotes at line 1 column 20"}),
    ("plain text", b"scope=openid", "text/plain", basic(), 400,
     {"error": "invalid_request", "error_description": "Send the request as application/json "
      "(documented) or application/x-www-form-urlencoded, not text/plain."}),
    ("a form field twice", b"grant_type=client_credentials&grant_type=password",
     "application/x-www-form-urlencoded", basic(), 400,
     {"error": "invalid_request", "error_description": "A form field is given twice."}),
]


@pytest.mark.parametrize(("body", "content_type", "authorization", "status", "error"),
                         [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_every_refusal_is_an_rfc_6749_error(
    sandbox: RunningServer, body: bytes, content_type: str, authorization: str | None,
    status: int, error: dict[str, str],
) -> None:
    got, answer, headers = token_request(sandbox, body, content_type, authorization)
    assert (got, answer) == (status, error)
    assert headers["Cache-Control"] == "no-store"
    assert headers.get("WWW-Authenticate") == (
        'Basic realm="propertyfinder"' if status == 401 else None)


@pytest.mark.parametrize(("mode", "challenge"), [
    (None, 'Basic realm="propertyfinder"'), ("navigate", 'Basic realm="propertyfinder"'),
    ("cors", None), ("same-origin", None), ("no-cors", None)])
def test_a_browser_s_script_is_refused_without_a_login_dialog(
    sandbox: RunningServer, mode: str | None, challenge: str | None,
) -> None:
    headers = {"Content-Type": "application/json", "Authorization": basic("agent-key", "x")}
    answer = ask(sandbox.url, "POST", TOKEN_PATH,
                 headers if mode is None else {**headers, "Sec-Fetch-Mode": mode}, DOCUMENTED)
    assert (answer.status, json_of(answer)["error"]) == (401, "invalid_client")
    assert answer.headers.get("WWW-Authenticate") == challenge


def test_a_token_request_is_logged_without_its_body(sandbox: RunningServer) -> None:
    form = b"grant_type=client_credentials&client_id=viewer-key" \
           b"&client_secret=viewer-secret-not-a-secret"
    before = sandbox.log().count("POST /auth/oauth/v1/token")
    assert token_request(sandbox, form, "application/x-www-form-urlencoded")[0] == 200
    wait_until(lambda: sandbox.log().count("POST /auth/oauth/v1/token") > before,
               what="the token request's log line")
    assert "viewer-secret-not-a-secret" not in sandbox.log()
