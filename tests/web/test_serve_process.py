"""``mockserver serve`` as a real process: banner, health, HTTP, settings, start-up errors, stop."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import PINNED_NOW, ROOT, RunningServer, start_server
from helpers import wait_until

from mockserver import __version__

CONSOLE_SCRIPT = Path(sys.executable).with_name("mockserver")
MODULE = [sys.executable, "-m", "mockserver", "serve"]
PERSONA_LINES = [
    "    admin-token      user 1    lead.delete, lead.delete.other, lead.read, lead.read.other, "
    "lead.update, lead.update.other",
    "    agent-token      user 2    lead.delete, lead.read, lead.update",
    "    viewer-token     user 3    lead.read, lead.read.other",
    "    norights-token   user 4    contact.read",
]
LOG_LINE = re.compile(r"^\S+ \S+ INFO (\S+) (\S+) (\d{3}) (\d+\.\d)ms(?: errors=\[(.*)\])?$")


def request(server: RunningServer, method: str, path: str, body: Any = None,
            token: str = "admin-token") -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def whole_banner(server: RunningServer) -> list[str]:
    """The banner's first line was read by ``start_server``; the rest is printed with it."""
    assert server.process.stdout is not None
    rest = [server.process.stdout.readline().rstrip("\n") for _ in range(4 + len(PERSONA_LINES))]
    return [server.banner.rstrip("\n"), *rest]


@pytest.fixture(scope="module")
def server() -> Any:
    running = start_server("--now", PINNED_NOW,
                           env={"MOCKSERVER_SEED": "7", "MOCKSERVER_COUNT": "60"})
    yield running
    running.stop()


def test_banner_names_url_docs_dashboard_health_and_tokens(server: RunningServer) -> None:
    url = server.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert whole_banner(server) == [
        f"Call tracking mock listening on {url}",
        f"  docs:      {url}/docs",
        f"  dashboard: {url}/__mock/ui",
        f"  health:    {url}/__mock/health",
        "  personas (Authorization: Bearer <token>):",
        *PERSONA_LINES,
    ]


def test_health_reports_the_settings_from_the_environment(server: RunningServer) -> None:
    status, body = request(server, "GET", "/__mock/health")
    assert status == 200
    assert body.pop("uptime_seconds") >= 0
    assert body == {"status": "ok", "mock": True, "version": __version__, "seed": 7,
                    "counts": {"users": 20, "leads": 26, "properties": 21, "call_trackings": 60},
                    "session": "default", "session_exists": True,
                    "sessions": {"count": 1, "max_named": 100},
                    "delayed": {"held": 0, "limit": 32}}


def test_list_then_patch_seen_in_the_next_get(server: RunningServer) -> None:
    status, page = request(server, "GET", "/calltrackings?per_page=25&page=3")
    assert status == 200
    assert (page["count"], page["page"], page["per_page"], len(page["call_trackings"])) == (
        60, 3, 25, 10)
    target = page["call_trackings"][0]
    seen = not target["marked_as_seen"]
    status, patched = request(server, "PATCH", "/calltrackings", {
        "calltrackings": [target["id"]],
        "operations": [{"op": "replace", "path": "/seen", "value": seen}],
    })
    assert status == 200 and patched["count"] == 1
    expected = {**target, "marked_as_seen": seen, "updated_at": PINNED_NOW}
    assert patched["call_trackings"] == [expected]
    status, again = request(server, "GET", "/calltrackings?per_page=25&page=3")
    assert again["call_trackings"][0] == expected
    assert again["call_trackings"][1:] == page["call_trackings"][1:]


def test_each_request_logs_one_line(server: RunningServer) -> None:
    request(server, "GET", "/calltrackings?per_page=1&filters[status]=answered")
    request(server, "PATCH", "/calltrackings", {"operations": [{"op": "add", "path": "/seen"}]})
    request(server, "DELETE", "/calltrackings/abc", token="agent-token")
    request(server, "PUT", "/calltrackings")
    wait_until(lambda: "PUT /calltrackings" in server.log(), what="the last request's line")
    lines = [LOG_LINE.match(line) for line in server.log().splitlines()]
    requests = [m.groups() for m in lines if m]
    assert all(float(duration) >= 0 for *_, duration, _ in requests)
    assert [(method, target, status, errors) for method, target, status, _, errors
            in requests[-4:]] == [
        ("GET", "/calltrackings?per_page=1&filters[status]=answered", "200", None),
        ("PATCH", "/calltrackings", "400",
         "body:operations/0: 'value' is a required property; "
         "body:operations/0/op: 'replace' was expected"),
        ("DELETE", "/calltrackings/abc", "400", "path:id: 'abc' is not a valid integer"),
        ("PUT", "/calltrackings", "405", None),
    ]


def test_second_server_on_a_taken_port_exits_2(server: RunningServer) -> None:
    port = server.url.rsplit(":", 1)[1]
    done = subprocess.run([*MODULE, "--port", port, "--count", "0"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.startswith(f"mockserver: cannot listen on 127.0.0.1:{port}: ")


@pytest.mark.parametrize(("command", "sig"),
                         [("module", signal.SIGTERM), ("console script", signal.SIGINT)])
def test_signal_stops_cleanly(command: str, sig: int) -> None:
    if command == "console script" and not CONSOLE_SCRIPT.exists():
        pytest.skip(f"the package is not installed with its console script ({CONSOLE_SCRIPT})")
    cmd = MODULE if command == "module" else [str(CONSOLE_SCRIPT), "serve"]
    running = start_server("--count", "0", command=cmd)
    status, body = request(running, "GET", "/calltrackings?per_page=1")
    assert status == 200 and body["count"] == 20  # the fixtures alone
    assert running.stop(sig) == 0
    stopping, stopped = running.log().splitlines()[-2:]
    assert re.search(
        r" INFO stopping on SIG(TERM|INT): no new connections; finishing \d+ in-flight "
        r"request\(s\) within 5s$", stopping)
    assert re.search(r" INFO stopped after \d+\.\d{3}s$", stopped)


def run_failing(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MODULE, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, cwd=ROOT)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {"MOCKSERVER_PORT": "abc"},
         "mockserver: MOCKSERVER_PORT='abc': invalid literal for int() with base 10: 'abc'"),
        ((), {"MOCKSERVER_NO_RESPONSE_VALIDATION": "maybe"},
         "mockserver: MOCKSERVER_NO_RESPONSE_VALIDATION='maybe': expected one of "
         "['', '0', '1', 'false', 'no', 'off', 'on', 'true', 'yes']"),
        ((), {"MOCKSERVER_THREADS": "0"},
         "mockserver: --threads / MOCKSERVER_THREADS: 0 is below the minimum 1"),
        (("--count", "-1"), {},
         "mockserver: --count / MOCKSERVER_COUNT: -1 is below the minimum 0"),
        (("--now", "yesterday"), {},
         "mockserver: --now / MOCKSERVER_NOW: 'yesterday' is not an ISO 8601 date and time, "
         "e.g. 2025-01-15T09:30:00+04:00"),
        (("--log-level", "loud"), {},
         "mockserver: --log-level / MOCKSERVER_LOG_LEVEL: 'loud' is not one of DEBUG, INFO, "
         "WARNING, ERROR"),
        (("--port", "65536"), {},
         "mockserver: --port / MOCKSERVER_PORT: 65536 is above the maximum 65535"),
    ],
)
def test_bad_setting_exits_2_naming_it(args: tuple[str, ...], env: dict[str, str],
                                       message: str) -> None:
    done = run_failing(*args, env=env)
    assert (done.returncode, done.stderr, done.stdout) == (2, message + "\n", "")


def test_flag_that_is_not_a_number_exits_2() -> None:
    done = run_failing("--seed", "abc")
    assert done.returncode == 2
    assert done.stderr.endswith("mockserver serve: error: argument --seed: invalid int value: "
                                "'abc'\n")


@pytest.mark.parametrize(
    ("original", "broken", "where"),
    [
        ("status: notanswered", "status: busy",
         "records.yaml: call_trackings[2] (id 3): status: 'busy' is not one of "
         "['notanswered', 'answered', 'canceled', 'voicemail']"),
        ("lead: {id: 102}", "lead: {id: 999}",
         "records.yaml: call_trackings[0] (id 1): lead: no lead with id 999"),
    ],
)
def test_invalid_fixtures_stop_the_server(tmp_path: Path, original: str, broken: str,
                                          where: str) -> None:
    for source in (ROOT / "fixtures").glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    records = tmp_path / "records.yaml"
    text = records.read_text(encoding="utf-8")
    assert original in text
    records.write_text(text.replace(original, broken, 1), encoding="utf-8")
    done = run_failing("--fixtures", str(tmp_path))
    assert (done.returncode, done.stdout) == (2, "")
    # The error is a log event, so it reads "<time> ERROR invalid fixtures: <file>: ..."
    assert done.stderr.endswith(f" ERROR invalid fixtures: {tmp_path}/{where}\n")
    assert done.stderr.count("\n") == 1
