"""/docs over real HTTP, and in a real headless Chromium: Swagger UI from bundled assets,
the operations shown, "Try it out" answered by the mock, a recording decoded as audio."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from conftest import RunningServer
from helpers import Api, parse_mp3

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
OPERATIONS = sorted(op["operationId"] for item in SPEC["paths"].values()
                    for key, op in item.items() if key != "parameters")
TOKENS = ["admin-token", "agent-token", "viewer-token", "norights-token"]


class PageParts(HTMLParser):
    """The scripts, styles and attributes of a page, for checks a regex would get wrong."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.inline_script = False
        self.root: dict[str, str | None] = {}
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self.scripts.append(found)
            self._in_script = True
        if tag == "link":
            self.links.append(found)
        if found.get("id") == "swagger-ui":
            self.root = found

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True


def page(url: str) -> tuple[requests.Response, PageParts]:
    response = requests.get(url, timeout=10)
    parts = PageParts()
    parts.feed(response.text)
    return response, parts


def test_root_redirects_to_docs(sandbox: RunningServer) -> None:
    response = requests.get(f"{sandbox.url}/", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"] == "/docs"


def test_docs_page_is_offline_and_csp_friendly(sandbox: RunningServer) -> None:
    response, parts = page(f"{sandbox.url}/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "default-src 'none'" in csp
    assert not parts.inline_script and parts.handlers == []
    assets = [s["src"] for s in parts.scripts] + [link["href"] for link in parts.links]
    assert assets == ["/static/swagger-ui/swagger-ui-bundle.js", "/static/docs.js",
                      "/static/swagger-ui/favicon-32x32.png",
                      "/static/swagger-ui/swagger-ui.css", "/static/docs.css"]
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for asset in assets:
        fetched = requests.get(sandbox.url + str(asset), timeout=10)
        assert fetched.status_code == 200, asset
        assert fetched.headers["Content-Type"].startswith(types[Path(str(asset)).suffix])
    assert not re.search(r"(src|href)=\"(https?:)?//", response.text)  # nothing from a CDN
    assert parts.root == {"id": "swagger-ui", "data-spec-url": "/openapi.yaml",
                          "data-scheme": "bearerAuth", "data-token": "admin-token"}
    for token in TOKENS:
        assert f"<code>{token}</code>" in response.text


@pytest.mark.parametrize(("api", "spec_url"), [("admin", "/__mock/openapi.yaml"),
                                             ("auth", "/__mock/auth-openapi.yaml")])
def test_the_admin_and_auth_docs_pages_load_their_specs(
    sandbox: RunningServer, api: str, spec_url: str
) -> None:
    response, parts = page(f"{sandbox.url}/docs?api={api}")
    assert parts.root == {"id": "swagger-ui", "data-spec-url": spec_url, "data-scheme": "",
                          "data-token": ""}
    assert 'id="sign-in"' not in response.text
    links = set(re.findall(r'href="(/docs\?api=\w+)"', response.text))
    assert links == {f"/docs?api={other}" for other in ("main", "admin", "auth")} - {
        f"/docs?api={api}"}


def test_spec_is_served_with_the_running_mock_first(sandbox: RunningServer) -> None:
    response = requests.get(f"{sandbox.url}/openapi.yaml", timeout=10)
    assert response.status_code == 200
    served = yaml.safe_load(response.text)
    assert served["servers"][0]["url"] == sandbox.url
    assert served["servers"][1:] == SPEC["servers"]
    assert {k: v for k, v in served.items() if k != "servers"} == {
        k: v for k, v in SPEC.items() if k != "servers"}


# --- in a real browser ----------------------------------------------------------------------

def try_it_out(tab: Any, operation: str, **parameters: str) -> tuple[str, str]:
    """Open an operation, fill its parameters, execute; the status and body shown."""
    block = tab.locator(f"#operations-{operation}")
    block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    for name, value in parameters.items():
        block.locator(f"input[placeholder='{name}']").fill(value)
    block.locator(".execute").click()
    status = block.locator(".live-responses-table .response .response-col_status")
    status.wait_for()
    body = block.locator(".live-responses-table .response-col_description pre").first
    return status.inner_text().strip(), body.inner_text()


@pytest.mark.browser
def test_docs_in_a_browser_show_the_operations_and_try_it_out_works(
    sandbox: RunningServer, browser: Any
) -> None:
    tab = browser.new_page()
    problems: list[str] = []
    foreign: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
           else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.on("request", lambda r: foreign.append(r.url)
           if not r.url.startswith((sandbox.url, "data:")) else None)

    tab.goto(f"{sandbox.url}/")
    assert tab.url == f"{sandbox.url}/docs"
    tab.wait_for_selector(".opblock")
    shown = sorted(tab.locator(".opblock").evaluate_all(
        "blocks => blocks.map(b => b.id.replace('operations-Call_Trackings-', ''))"))
    assert shown == OPERATIONS
    assert tab.locator("table.personas td.token code").all_inner_texts() == TOKENS

    api = Api(sandbox.url)
    api.delete("/__mock/requests")
    status, shown_body = try_it_out(tab, "Call_Trackings-listCallTrackings", per_page="3")
    assert status == "200"
    assert '"per_page": 3' in shown_body

    sent = api.get("/__mock/requests").json()["requests"]
    assert [(e["method"], e["path"], e["query"], e["status"], e["persona"]) for e in sent] == [
        ("GET", "/calltrackings", "sort_order=ASC&page=1&per_page=3", 200, "admin")]
    assert "HeadlessChrome" in sent[0]["headers"]["User-Agent"]
    assert foreign == []
    assert problems == []
    tab.close()


@pytest.mark.browser
def test_signing_in_with_a_persona_s_key_authorises_try_it_out_as_that_persona(
    sandbox: RunningServer, browser: Any
) -> None:
    tab = browser.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.goto(f"{sandbox.url}/docs")
    tab.wait_for_selector(".opblock")
    result = tab.locator("#sign-in output")
    tab.fill("#sign-in input[name=key]", "agent-key")
    tab.fill("#sign-in input[name=secret]", "not-its-secret")
    tab.click("#sign-in button")
    tab.wait_for_function("() => document.querySelector('#sign-in output').value !== ''")
    assert result.inner_text() == (
        "Refused: invalid_client (The API key or secret is not known.)")

    tab.fill("#sign-in input[name=secret]", "agent-secret-not-a-secret")
    tab.click("#sign-in button")
    tab.wait_for_function(
        "() => document.querySelector('#sign-in output').value.startsWith('Signed in')")
    assert result.inner_text() == "Signed in as agent-key: the token lives 1800 s."

    api = Api(sandbox.url)
    api.delete("/__mock/requests")
    status, shown_body = try_it_out(tab, "Call_Trackings-listCallTrackings", per_page="3")
    assert status == "200"
    sent = api.get("/__mock/requests").json()["requests"]
    assert [(e["method"], e["path"], e["status"], e["persona"]) for e in sent] == [
        ("GET", "/calltrackings", 200, "token of agent-key")]
    assert sent[0]["headers"]["Authorization"] == "Bearer ***"
    shown = json.loads(shown_body)
    as_agent = Api(sandbox.url, "agent").get("/calltrackings?per_page=3").json()
    assert shown == as_agent
    assert shown["count"] < api.get("/calltrackings?per_page=1").json()["count"]
    assert problems == []
    tab.close()


@pytest.mark.browser
def test_the_token_endpoint_s_page_tries_the_documented_request(
    sandbox: RunningServer, browser: Any
) -> None:
    tab = browser.new_page()
    tab.goto(f"{sandbox.url}/docs?api=auth")
    tab.wait_for_selector(".opblock")
    tab.evaluate("() => window.ui.preauthorizeBasic('clientBasic', 'viewer-key', "
                 "'viewer-secret-not-a-secret')")
    status, shown_body = try_it_out(tab, "Tokens-requestToken")
    assert status == "200"
    answer = json.loads(shown_body)
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 1800)
    listed = Api(sandbox.url, None, Authorization=f"Bearer {answer['access_token']}").get(
        "/calltrackings?per_page=1")
    viewer = Api(sandbox.url, "viewer").get("/calltrackings?per_page=1")
    assert (listed.status_code, listed.json()) == (200, viewer.json())
    tab.close()


DECODE = """async (url) => {
  const buffer = await (await fetch(url)).arrayBuffer();
  const context = new OfflineAudioContext(1, 1, 22050);
  const audio = await context.decodeAudioData(buffer);
  const samples = audio.getChannelData(0);
  let peak = 0;
  for (const s of samples) { peak = Math.max(peak, Math.abs(s)); }
  return {duration: audio.duration, channels: audio.numberOfChannels, peak: peak};
}"""

PLAY = """(url) => new Promise((resolve, reject) => {
  const audio = new Audio(url);
  audio.addEventListener("error", () => reject(new Error("media error " + audio.error.code)));
  audio.addEventListener("timeupdate", () => {
    if (audio.currentTime > 0.2) { audio.pause(); resolve(audio.duration); }
  });
  audio.play().catch(reject);
})"""


@pytest.mark.browser
def test_a_recording_decodes_and_plays_in_the_browser(
    sandbox: RunningServer, browser: Any
) -> None:
    url = Api(sandbox.url).get("/calltrackings/2/recording").json()["recording"]["url"]
    expected = parse_mp3(requests.get(url, timeout=10).content).duration
    tab = browser.new_page()
    ranges: list[tuple[str | None, int]] = []
    tab.on("response", lambda r: ranges.append((r.request.headers.get("range"), r.status))
           if r.url == url else None)
    tab.goto(f"{sandbox.url}/docs")
    decoded = tab.evaluate(DECODE, url)
    assert decoded["channels"] == 1
    assert abs(decoded["duration"] - expected) < 0.15
    assert decoded["peak"] > 0.05  # sound, not silence
    played = tab.evaluate(PLAY, url)
    assert abs(played - expected) < 0.15
    assert any(header is not None and status == 206 for header, status in ranges), ranges
    tab.close()
