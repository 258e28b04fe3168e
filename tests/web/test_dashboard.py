"""The sandbox dashboard (/__mock/ui) in a real headless Chromium, against real server
processes: a tester picks a session, watches the requests an app sends, breaks the API on
purpose and puts it back, resets, exports and imports, and mints a token, all from the
page; every step is checked against what the admin API and the API itself then say."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import PINNED_NOW, ROOT, RunningServer, serving
from helpers import Api

ADMIN_TOKEN = "dashboard-admin-secret"
REPORTS = ROOT / "reports"

pytestmark = pytest.mark.browser


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


class Dashboard:
    """One browser tab on the dashboard, failing the test on any console error or any
    request that leaves the mock."""

    def __init__(self, browser_context: Any, server: RunningServer) -> None:
        self.server = server
        self.tab = browser_context.new_page()
        self.problems: list[str] = []
        self.foreign: list[str] = []
        self.tab.on("console", self._console)
        self.tab.on("pageerror", lambda e: self.problems.append(str(e)))
        self.tab.on("request", lambda r: self.foreign.append(r.url)
                    if not r.url.startswith((server.url, "blob:", "data:")) else None)

    def _console(self, message: Any) -> None:
        """Chromium logs every 4xx a fetch gets; those are the API's answers, not faults
        of the page (the tests check each one they cause)."""
        if message.type in ("error", "warning") and not message.text.startswith(
                "Failed to load resource: the server responded with a status of 4"):
            self.problems.append(message.text)

    def open(self, query: str = "") -> Dashboard:
        self.tab.goto(f"{self.server.url}/__mock/ui{query}")
        return self

    def use_session(self, name: str) -> None:
        self.tab.fill("#session-name", name)
        self.tab.press("#session-name", "Enter")

    def rows(self) -> Any:
        return self.tab.locator("#journal-table tbody tr")

    def row(self, entry_id: int) -> Any:
        return self.tab.locator(f"#journal-table tbody tr[data-id='{entry_id}']")

    def count(self, key: str) -> Any:
        return self.tab.locator(f"#counts [data-count='{key}'] dd")

    def clean(self) -> None:
        """What a tab must not have done: log errors, or reach beyond the mock."""
        assert self.problems == []
        assert self.foreign == []


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    made = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    try:
        yield made
    finally:
        made.close()


def journal(api: Api) -> list[dict[str, Any]]:
    response = api.get("/__mock/requests")
    assert response.status_code == 200, response.text
    return response.json()["requests"]  # type: ignore[no-any-return]


class Parts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found.get("src"))
        self.inline += [name for name in found if name.startswith("on") or name == "style"]


def test_the_page_is_bundled_and_allows_nothing_but_the_mock(sandbox: RunningServer) -> None:
    response = requests.get(f"{sandbox.url}/__mock/ui", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; script-src 'self'; style-src 'self';")
    assert "connect-src 'self';" in csp
    parts = Parts()
    parts.feed(response.text)
    assert (parts.scripts, parts.inline) == (["/static/dashboard.js"], [])
    for asset in ("/static/dashboard.js", "/static/dashboard.css"):
        assert requests.get(sandbox.url + asset, timeout=10).status_code == 200
    docs = requests.get(f"{sandbox.url}/docs", timeout=10).text
    assert '<a href="/__mock/ui">sandbox dashboard</a>' in docs
    bad = requests.get(f"{sandbox.url}/__mock/ui", params={"session": "no spaces"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["errors"][0]["name"] == "session"


def test_a_picked_session_is_made_and_its_requests_appear_live_with_their_problems(
    sandbox: RunningServer, context: Any, session_name: str
) -> None:
    page = Dashboard(context, sandbox).open()
    api = Api(sandbox.url, persona="agent", session=session_name)
    assert api.get("/__mock/health").json()["session_exists"] is False
    expect(page.tab.locator("#mint-rights input")).to_have_count(6)  # the page has started
    unlabelled = page.tab.evaluate("""() => [...document.querySelectorAll(
        'input, select, textarea, button')].filter(c => !(c.labels && c.labels.length)
        && !c.getAttribute('aria-label') && !c.textContent.trim()).map(c => c.id)""")
    assert unlabelled == []  # every control is named for a screen reader
    assert page.tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.use_session(session_name)
    expect(page.tab.locator("#session-state")).to_have_text(
        f"{session_name}: new, made from the baseline")
    assert api.get("/__mock/health").json()["session_exists"] is True
    assert page.tab.url == f"{sandbox.url}/__mock/ui?session={session_name}"

    bad = api.get("/calltrackings", params={"per_page": "lots"})
    good = api.get("/calltrackings", params={"per_page": 2, "sort": "date"})
    assert (bad.status_code, good.status_code) == (400, 200)
    expect(page.rows()).to_have_count(2)
    newest, older = journal(api)
    assert [r.get_attribute("data-id") for r in page.rows().all()] == [
        str(newest["id"]), str(older["id"])]
    row = page.row(older["id"])
    assert [row.locator(f".{part}").inner_text() for part in (
        "target", "problems", "persona", "status", "operation")] == [
        "GET /calltrackings?per_page=lots", "query per_page: 'lots' is not a valid integer",
        "agent", "400", "listCallTrackings"]
    row = page.row(newest["id"])
    assert [row.locator(f".{part}").inner_text() for part in ("target", "status")] == [
        "GET /calltrackings?per_page=2&sort=date", "200"]
    assert row.locator(".problems").count() == 0

    # filters: the status class and the operation
    page.tab.select_option("#filter-status", "4")
    expect(page.rows()).to_have_count(1)
    assert page.rows().first.get_attribute("data-id") == str(older["id"])
    page.tab.select_option("#filter-status", "")
    page.tab.select_option("#filter-operation", "deleteCallTracking")
    expect(page.rows()).to_have_count(0)
    page.tab.select_option("#filter-operation", "listCallTrackings")
    expect(page.rows()).to_have_count(2)

    # the full exchange, opened from the keyboard
    page.row(older["id"]).locator("button.open").focus()
    page.tab.keyboard.press("Enter")
    exchange = page.tab.locator("#exchange")
    expect(exchange).to_be_visible()
    assert page.tab.evaluate("document.activeElement.id") == "exchange-title"
    headers = dict(zip(exchange.locator("dl.headers").first.locator("dt").all_inner_texts(),
                       exchange.locator("dl.headers").first.locator("dd").all_inner_texts(),
                       strict=True))
    assert headers["Authorization"] == "Bearer ***"
    assert headers["X-Mock-Session"] == session_name
    assert json.loads(exchange.locator("pre.response-body").inner_text()) == bad.json()
    assert exchange.locator("pre.request-body").inner_text() == "(none)"
    assert "agent-token" not in exchange.inner_text()
    page.tab.keyboard.press("Escape")
    expect(exchange).to_be_hidden()
    assert page.tab.evaluate("document.activeElement.textContent") == f"#{older['id']}"

    # clearing empties the journal here and in the admin API
    page.tab.click("#journal-clear")
    expect(page.rows()).to_have_count(0)
    assert journal(api) == []
    page.clean()


def test_faults_set_in_the_page_slow_and_break_the_api_and_are_removed(
    sandbox: RunningServer, context: Any, session_name: str
) -> None:
    page = Dashboard(context, sandbox).open(f"?session={session_name}")
    api = Api(sandbox.url, session=session_name)
    expect(page.tab.locator("#session-state")).to_have_text(
        f"{session_name}: new, made from the baseline")
    options = api.get("/__mock/faults/options").json()
    offered = page.tab.locator("#fault-operation option").evaluate_all(
        "options => options.map(o => o.value)")
    assert offered == [o["operation"] for o in options["operations"]]
    assert offered[0] == "*"

    # a delay
    page.tab.select_option("#fault-operation", "listCallTrackings")
    page.tab.fill("#fault-delay-min", "700")
    page.tab.click("#fault-save")
    expect(page.tab.locator("#faults-table tbody tr")).to_have_count(1)
    assert page.tab.locator("#faults-table tbody td").all_inner_texts()[:4] == [
        "listCallTrackings", "700 ms", "-", "-"]
    assert api.get("/__mock/faults").json()["rules"] == [
        {"operation": "listCallTrackings", "delay": {"min_ms": 700, "max_ms": 700}}]
    started = time.monotonic()
    assert api.get("/calltrackings", params={"per_page": 1}).status_code == 200
    assert time.monotonic() - started >= 0.7
    delayed = journal(api)[0]
    assert (delayed["fault"], delayed["duration_ms"] >= 700) == ("delay", True)

    # edited into an error, from the statuses the operation documents
    page.tab.click("button[aria-label='Edit the rule for listCallTrackings']")
    expect(page.tab.locator("#fault-legend")).to_have_text("Edit the rule for listCallTrackings")
    statuses = page.tab.locator("#fault-error-status option").evaluate_all(
        "options => options.map(o => o.value)")
    documented = next(o for o in options["operations"] if o["operation"] == "listCallTrackings")
    assert statuses == ["", *(str(s) for s in documented["error_statuses"])]
    page.tab.fill("#fault-delay-min", "")
    page.tab.fill("#fault-delay-max", "")
    page.tab.select_option("#fault-error-status", "503")
    page.tab.click("#fault-save")
    expect(page.tab.locator("#faults-table tbody td").nth(2)).to_have_text("503 at 100%")
    assert api.get("/__mock/faults").json()["rules"] == [
        {"operation": "listCallTrackings", "error": {"status": 503, "probability": 1}}]
    broken = api.get("/calltrackings")
    assert broken.status_code == 503 and broken.json()["code"] == 503
    expect(page.row(journal(api)[0]["id"]).locator("td.status")).to_have_text("503 (error)")

    # a rule the server refuses: its problem is shown, nothing changes
    page.tab.select_option("#fault-operation", "*")
    star = page.tab.locator("#fault-error-status option").evaluate_all(
        "options => options.map(o => o.value)")
    assert star == ["", *(str(s) for s in options["operations"][0]["error_statuses"])]
    page.tab.select_option("#fault-error-status", "503")
    page.tab.fill("#fault-error-probability", "0.8")
    page.tab.fill("#fault-drop-probability", "0.5")
    page.tab.click("#fault-save")
    expect(page.tab.locator("#fault-problems li").nth(1)).to_have_text(
        "body rules/1: error and drop probabilities add up to 1.3 > 1")
    assert len(api.get("/__mock/faults").json()["rules"]) == 1

    # removed: the API answers again
    page.tab.click("button[aria-label='Remove the rule for listCallTrackings']")
    expect(page.tab.locator("#faults-none")).to_be_visible()
    assert api.get("/__mock/faults").json()["rules"] == []
    assert api.get("/calltrackings").status_code == 200
    page.clean()


def test_reset_export_and_import_from_the_page(
    sandbox: RunningServer, context: Any, session_name: str, tmp_path: Path
) -> None:
    page = Dashboard(context, sandbox).open(f"?session={session_name}")
    api = Api(sandbox.url, session=session_name)
    expect(page.tab.locator("#session-state")).to_have_text(
        f"{session_name}: new, made from the baseline")
    baseline = api.get("/__mock/health").json()["counts"]
    for key, value in baseline.items():
        expect(page.count(key)).to_have_text(str(value))

    # the app deletes two records: the counts follow; a reset brings them back
    assert api.delete("/calltrackings", json={"calltrackings": [1, 2]}).status_code == 204
    expect(page.count("call_trackings")).to_have_text(str(baseline["call_trackings"] - 2))
    page.tab.click("#reset-form button[type=submit]")
    expect(page.count("call_trackings")).to_have_text(str(baseline["call_trackings"]))
    assert api.get("/__mock/health").json()["counts"] == baseline

    page.tab.fill("#reset-seed", "5")
    page.tab.fill("#reset-count", "30")
    page.tab.click("#reset-form button[type=submit]")
    expect(page.tab.locator("#data-state")).to_have_text(
        f"Reset {session_name}: seed 5, 30 call trackings.")
    expect(page.count("call_trackings")).to_have_text("30")

    # export to a file, change the data, import the file: back as exported
    with page.tab.expect_download() as download:
        page.tab.click("#export")
    saved = tmp_path / "state.json"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"state-{session_name}.json"
    exported = json.loads(saved.read_text())
    assert exported == api.state()
    assert api.delete("/calltrackings", json={"calltrackings": [
        r["id"] for r in exported["call_trackings"][:5]]}).status_code == 204
    expect(page.count("call_trackings")).to_have_text("25")
    page.tab.set_input_files("#import-file", str(saved))
    page.tab.click("#import-form button[type=submit]")
    expect(page.tab.locator("#data-state")).to_have_text("Imported state.json: 30 call trackings.")
    expect(page.count("call_trackings")).to_have_text("30")
    assert api.state() == exported

    # a broken file: the problem is named by record and field, and nothing changes
    broken = json.loads(saved.read_text())
    broken["call_trackings"][1]["status"] = "bogus"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    refused = api.put("/__mock/state", json=broken)
    assert refused.status_code == 400
    problem = refused.json()["errors"][0]
    assert problem["name"] == "call_trackings/1/status"
    page.tab.set_input_files("#import-file", str(tmp_path / "broken.json"))
    page.tab.click("#import-form button[type=submit]")
    record_id = broken["call_trackings"][1]["id"]
    expect(page.tab.locator("#import-problems li").nth(1)).to_have_text(
        f"call_trackings[1] (id {record_id}), field status: {problem['reason']}")
    expect(page.tab.locator("#data-state")).to_have_text("Nothing was changed.")
    assert api.state() == exported

    (tmp_path / "notes.json").write_text("not json at all")
    page.tab.set_input_files("#import-file", str(tmp_path / "notes.json"))
    page.tab.click("#import-form button[type=submit]")
    expect(page.tab.locator("#import-problems li")).to_have_count(1)
    assert page.tab.locator("#import-problems li").inner_text().startswith(
        "notes.json is not JSON: ")
    assert page.tab.locator("#data-state").inner_text() == ""

    # for a person to look at (not committed): the page at 1280x800, then narrow
    REPORTS.mkdir(exist_ok=True)
    page.tab.click("#journal-clear")
    expect(page.rows()).to_have_count(0)
    api.get("/calltrackings", params={"per_page": "lots"})
    api.get("/calltrackings", params={"per_page": 3, "filters[status]": "answered"})
    expect(page.rows()).to_have_count(2)
    assert page.rows().first.locator(".target").inner_text() == (
        "GET /calltrackings?per_page=3&filters[status]=answered")  # as people read it
    page.tab.evaluate("window.scrollTo(0, 0)")
    page.tab.screenshot(path=str(REPORTS / "dashboard.png"))
    page.tab.set_viewport_size({"width": 400, "height": 800})
    assert page.tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.tab.screenshot(path=str(REPORTS / "dashboard-narrow.png"), full_page=True)
    page.clean()


def test_personas_are_listed_and_a_minted_token_works_and_copies(
    sandbox: RunningServer, context: Any, session_name: str
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=sandbox.url)
    page = Dashboard(context, sandbox).open(f"?session={session_name}")
    api = Api(sandbox.url, session=session_name)
    listed = api.get("/__mock/personas").json()
    rows = page.tab.locator("#personas-table tbody tr")
    expect(rows).to_have_count(len(listed["personas"]))
    assert [r.get_attribute("data-persona") for r in rows.all()] == [
        "admin", "agent", "viewer", "norights"]
    assert rows.nth(2).locator("td.rights .right").all_inner_texts() == [
        "lead.read,", "lead.read.other"]
    assert page.tab.locator("#mint-rights input").evaluate_all(
        "inputs => inputs.map(i => i.value)") == listed["rights"]
    assert listed["rights"] == ["lead.delete", "lead.delete.other", "lead.read",
                                "lead.read.other", "lead.update", "lead.update.other"]

    page.tab.fill("#mint-user", "2")
    page.tab.check("#mint-rights input[value='lead.read']")
    page.tab.fill("#mint-lifetime", "600")
    page.tab.click("#mint-form button[type=submit]")
    expect(page.tab.locator("#minted")).to_be_visible()
    token = page.tab.input_value("#minted-token")
    as_minted = Api(sandbox.url, persona=None, session=session_name,
                    Authorization=f"Bearer {token}")
    listed_calls = as_minted.get("/calltrackings", params={"per_page": 100})
    assert listed_calls.status_code == 200
    owners = {ct["user"]["id"] if ct["user"] else None
              for ct in listed_calls.json()["call_trackings"]}
    assert owners == {2}  # lead.read without .other: its own calls only
    assert as_minted.patch("/calltrackings", json={"calltrackings": [1], "operations": [
        {"op": "replace", "path": "/seen", "value": True}]}).status_code == 403

    page.tab.click("#minted-copy")
    expect(page.tab.locator("#minted-state")).to_have_text("Copied.")
    assert page.tab.evaluate("navigator.clipboard.readText()") == token

    page.tab.fill("#mint-user", "999")
    page.tab.click("#mint-form button[type=submit]")
    expect(page.tab.locator("#mint-problems li").nth(1)).to_have_text(
        "body user: no user with id 999")
    page.clean()


@pytest.fixture(scope="module")
def guarded() -> Iterator[RunningServer]:
    with serving("--now", PINNED_NOW, env={"MOCKSERVER_ADMIN_TOKEN": ADMIN_TOKEN}) as server:
        yield server


def test_with_an_admin_token_the_page_asks_once_per_tab(
    guarded: RunningServer, context: Any
) -> None:
    page = Dashboard(context, guarded).open("?session=qa-guarded")
    form = page.tab.locator("#token-form")
    expect(form).to_be_visible()
    assert page.tab.evaluate("document.activeElement.id") == "admin-token"
    expect(page.tab.locator("#personas-table tbody tr")).to_have_count(0)

    page.tab.fill("#admin-token", "wrong")
    page.tab.press("#admin-token", "Enter")
    expect(page.tab.locator("#token-state")).to_contain_text("The token was refused.")
    expect(form).to_be_visible()

    page.tab.fill("#admin-token", ADMIN_TOKEN)
    page.tab.press("#admin-token", "Enter")
    expect(form).to_be_hidden()
    expect(page.tab.locator("#session-state")).to_have_text(
        "qa-guarded: new, made from the baseline")
    expect(page.tab.locator("#personas-table tbody tr")).to_have_count(4)
    api = Api(guarded.url, session="qa-guarded")
    assert api.get("/calltrackings", params={"per_page": 1}).status_code == 200
    expect(page.rows()).to_have_count(1)

    page.tab.reload()  # the same tab keeps the token
    expect(page.tab.locator("#session-state")).to_have_text("qa-guarded: in use")
    expect(page.rows()).to_have_count(1)
    expect(form).to_be_hidden()

    other = Dashboard(context, guarded).open()  # another tab asks again
    expect(other.tab.locator("#token-form")).to_be_visible()
    assert ADMIN_TOKEN not in other.tab.content()
    page.clean()
    other.clean()
