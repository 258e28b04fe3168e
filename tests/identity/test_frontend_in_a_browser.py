"""A frontend's own auth code, unchanged, in a real browser on another origin (a dev server
on localhost): it asks the mock's token endpoint the documented way, then calls the API with
the token; CORS lets it read every answer, refusals included, and no login dialog opens."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import RunningServer
from helpers import Api

# What a frontend's API module does, written as for the real API: only the two base URLs
# differ between the mock and production.
FRONTEND = """<!doctype html><meta charset="utf-8"><title>frontend</title>
<script>
async function token(authUrl, key, secret) {
  const answer = await fetch(authUrl + "/auth/oauth/v1/token", {
    method: "POST",
    headers: {"Authorization": "Basic " + btoa(key + ":" + secret),
              "Content-Type": "application/json"},
    body: JSON.stringify({scope: "openid", grant_type: "client_credentials"}),
  });
  return {status: answer.status, body: await answer.json(),
          challenge: answer.headers.get("WWW-Authenticate")};
}
async function api(apiUrl, bearer, method, path, body) {
  const headers = {"Authorization": "Bearer " + bearer, "X-Mock-Session": "frontend"};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(apiUrl + path, {method: method, headers: headers,
    body: body === undefined ? undefined : JSON.stringify(body)});
  return {status: answer.status, body: answer.status === 204 ? null : await answer.json()};
}
</script>"""

SIGN_IN_AND_WORK = """async ([url, key, secret]) => {
  const granted = await token(url, key, secret);
  const bearer = granted.body.access_token;
  const listed = await api(url, bearer, "GET", "/calltrackings?per_page=500");
  const mine = listed.body.call_trackings.map(ct => ct.id);
  const was = listed.body.call_trackings[0].marked_as_seen;
  const patched = await api(url, bearer, "PATCH", "/calltrackings", {calltrackings: [mine[0]],
    operations: [{op: "replace", path: "/seen", value: !was}]});
  const after = await api(url, bearer, "GET", "/calltrackings?per_page=500");
  return {granted: [granted.status, granted.body.token_type, granted.body.expires_in],
          listed: [listed.status, mine], patched: patched.status,
          seen: [was, after.body.call_trackings.find(ct => ct.id === mine[0]).marked_as_seen]};
}"""


@pytest.fixture(scope="module")
def frontend_origin() -> Iterator[str]:
    """A second origin on localhost serving the frontend page, as a dev server would."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = FRONTEND.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("localhost", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_a_frontend_on_another_origin_signs_in_and_works_unchanged(
    sandbox: RunningServer, browser: Any, frontend_origin: str
) -> None:
    Api(sandbox.url, session="frontend").post("/__mock/reset")
    tab = browser.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.goto(frontend_origin)
    assert frontend_origin.split(":")[1] != sandbox.url.split(":")[1]  # another origin

    agent = tab.evaluate(SIGN_IN_AND_WORK, [sandbox.url, "agent-key",
                                            "agent-secret-not-a-secret"])
    as_agent = Api(sandbox.url, "agent", session="frontend").get(
        "/calltrackings?per_page=500").json()["call_trackings"]
    assert agent == {"granted": [200, "Bearer", 1800],
                     "listed": [200, [ct["id"] for ct in as_agent]],
                     "patched": 200, "seen": [True, False]}
    assert as_agent[0]["marked_as_seen"] is False  # the change is the server's, not the page's
    assert {ct["user"]["id"] for ct in as_agent} == {2}

    refused = tab.evaluate("([url]) => token(url, 'agent-key', 'wrong')", [sandbox.url])
    assert refused == {"status": 401, "challenge": None, "body": {
        "error": "invalid_client", "error_description": "The API key or secret is not known."}}
    assert problems == ["Failed to load resource: the server responded with a status of "
                        "401 (Unauthorized)"]
    tab.close()
