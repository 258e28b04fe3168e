"""/docs over real HTTP, and in a real headless Chromium: Swagger UI from bundled assets,
the operations shown, "Try it out" answered by the mock, a recording decoded as audio."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
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


def test_admin_docs_page_loads_the_admin_spec(sandbox: RunningServer) -> None:
    _, parts = page(f"{sandbox.url}/docs?api=admin")
    assert parts.root["data-spec-url"] == "/__mock/openapi.yaml"
    assert parts.root["data-token"] == ""


def test_spec_is_served_with_the_running_mock_first(sandbox: RunningServer) -> None:
    response = requests.get(f"{sandbox.url}/openapi.yaml", timeout=10)
    assert response.status_code == 200
    served = yaml.safe_load(response.text)
    assert served["servers"][0]["url"] == sandbox.url
    assert served["servers"][1:] == SPEC["servers"]
    assert {k: v for k, v in served.items() if k != "servers"} == {
        k: v for k, v in SPEC.items() if k != "servers"}


# --- in a real browser ----------------------------------------------------------------------

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--autoplay-policy=no-user-gesture-required"]


def chromium_path() -> str | None:
    candidate = os.environ.get("MOCKSERVER_CHROMIUM") or shutil.which("chromium")
    return candidate or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium: install Debian's chromium (apt-get install chromium), "
                    "as .ci/run does, to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        try:
            yield launched
        finally:
            launched.close()


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
    assert tab.locator("table.personas code").all_inner_texts() == TOKENS

    api = Api(sandbox.url)
    api.delete("/__mock/requests")
    block = tab.locator("#operations-Call_Trackings-listCallTrackings")
    block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    block.locator("input[placeholder='per_page']").fill("3")
    block.locator(".execute").click()
    status = block.locator(".live-responses-table .response .response-col_status")
    status.wait_for()
    assert status.inner_text().strip() == "200"
    shown_body = block.locator(".live-responses-table .response-col_description pre").first
    assert '"per_page": 3' in shown_body.inner_text()

    sent = api.get("/__mock/requests").json()["requests"]
    assert [(e["method"], e["path"], e["query"], e["status"], e["persona"]) for e in sent] == [
        ("GET", "/calltrackings", "sort_order=ASC&page=1&per_page=3", 200, "admin")]
    assert "HeadlessChrome" in sent[0]["headers"]["User-Agent"]
    assert foreign == []
    assert problems == []
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
