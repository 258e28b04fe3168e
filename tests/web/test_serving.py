"""Production serving: log lines (JSON and text), log levels, limits, and the stop's bound.

Each test runs the real command (``python -m mockserver serve``) over real HTTP; the
image's own command from the installed wheel is covered in ``test_container``.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import (
    ROOT,
    JsonServer,
    dev_env,
    make_app,
    send_headers_only,
    start_json_server,
    start_server,
)

from mockserver.cli import limits_of
from mockserver.settings import Settings
from mockserver.web.app import serving_handler
from mockserver.web.server import Limits, Server

SERVE = [sys.executable, "-m", "mockserver", "serve"]
REQUEST_FIELDS = {
    "timestamp", "level", "logger", "message", "event", "method", "path", "query", "status",
    "duration_ms", "session", "operationId", "persona", "error", "errors", "fault",
}  # fmt: skip


def json_server(tmp_path: Path, **variables: str) -> JsonServer:
    env = dev_env(MOCKSERVER_PORT="0", MOCKSERVER_LOG_FORMAT="json", **variables)
    return start_json_server(SERVE, env, tmp_path)


@pytest.fixture
def debug_json_server(tmp_path: Path) -> Iterator[JsonServer]:
    server = json_server(tmp_path, MOCKSERVER_LOG_LEVEL="debug")
    try:
        yield server
    finally:
        server.stop()


def call(url: str, method: str = "GET", body: bytes | None = None, **headers: str) -> int:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


# --- JSON log lines -------------------------------------------------------------------------


def test_json_log_lines_carry_every_request_field(debug_json_server: JsonServer) -> None:
    server = debug_json_server
    admin = "Bearer admin-token"
    assert call(f"{server.url}/calltrackings?per_page=2", Authorization=admin,
                **{"X-Mock-Session": "qa-7"}) == 200  # fmt: skip
    assert call(f"{server.url}/calltrackings?per_page=abc&sort=nope", Authorization=admin) == 400
    assert call(f"{server.url}/calltrackings", Authorization="Bearer viewer-token",
                method="DELETE", body=b'{"calltrackings": [1]}',
                **{"Content-Type": "application/json"}) == 403  # fmt: skip
    assert call(f"{server.url}/calltrackings") == 401
    assert call(f"{server.url}/no/such/path") == 404
    assert call(f"{server.url}/__mock/health") == 200
    assert call(f"{server.url}/__mock/reset", method="POST", body=b"{}",
                **{"Content-Type": "application/json"}) == 200  # fmt: skip
    assert server.stop() == 0

    assert server.log.bad_lines == []
    requests = server.log.events("request")
    assert [set(r) for r in requests] == [REQUEST_FIELDS] * 7
    for entry in requests:
        stamp = datetime.fromisoformat(entry["timestamp"])
        assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0
        assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
        assert entry["logger"] == "mockserver"

    def summary(entry: dict[str, object]) -> tuple[object, ...]:
        return tuple(entry[k] for k in ("level", "method", "path", "query", "status",
                                        "session", "operationId", "persona"))  # fmt: skip

    assert [summary(r) for r in requests] == [
        ("INFO", "GET", "/calltrackings", "per_page=2", 200, "qa-7", "listCallTrackings",
         "admin"),
        ("INFO", "GET", "/calltrackings", "per_page=abc&sort=nope", 400, "default",
         "listCallTrackings", "admin"),
        ("INFO", "DELETE", "/calltrackings", "", 403, "default", "bulkDeleteCallTrackings",
         "viewer"),
        ("INFO", "GET", "/calltrackings", "", 401, "default", "listCallTrackings", None),
        ("INFO", "GET", "/no/such/path", "", 404, "default", None, None),
        ("DEBUG", "GET", "/__mock/health", "", 200, "default", "getHealth", None),
        ("INFO", "POST", "/__mock/reset", "", 200, "default", "resetSession", None),
    ]  # fmt: skip
    ok, invalid, forbidden, unauthorised, unknown, _, _ = requests
    assert (ok["error"], ok["errors"]) == (None, [])
    assert invalid["error"] == "The request does not match the API contract."
    assert {"in": "query", "name": "per_page", "reason": "'abc' is not a valid integer"} in (
        invalid["errors"]
    )
    assert {e["name"] for e in invalid["errors"]} == {"per_page", "sort"}
    assert all(set(e) == {"in", "name", "reason"} for e in invalid["errors"])
    assert forbidden["error"] == "This operation needs the right lead.delete."
    assert unauthorised["error"] == "The Authorization header is missing: send 'Bearer <token>'."
    assert unknown["error"] == "No such endpoint: /no/such/path"


def test_start_and_stop_are_json_events_too(tmp_path: Path) -> None:
    server = json_server(tmp_path, MOCKSERVER_SEED="7", MOCKSERVER_COUNT="60",
                         MOCKSERVER_THREADS="3", MOCKSERVER_GRACE="2.5")  # fmt: skip
    assert server.stop() == 0
    started = server.started
    assert (started["level"], started["seed"], started["count"], started["threads"]) == (
        "INFO", 7, 60, 3
    )
    assert started["url"] == f"http://127.0.0.1:{server.port}"
    assert started["grace_seconds"] == 2.5
    stopping = server.log.wait_for("stopping")
    assert (stopping["signal"], stopping["in_flight"], stopping["grace_seconds"]) == (
        "SIGTERM", 0, 2.5
    )
    assert server.log.wait_for("stopped")["abandoned"] == 0
    assert [e["event"] for e in server.log.entries] == ["listening", "stopping", "stopped"]
    assert server.process.stdout is not None and server.process.stdout.read() == ""


# --- text logs and levels -------------------------------------------------------------------

TEXT_LINE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "


def test_text_log_is_one_line_per_request_and_event() -> None:
    server = start_server()
    try:
        assert call(f"{server.url}/calltrackings?per_page=abc",
                    Authorization="Bearer admin-token") == 400  # fmt: skip
        assert call(f"{server.url}/__mock/health") == 200
    finally:
        assert server.stop() == 0
    lines = server.log().splitlines()
    assert len(lines) == 4, lines  # start, the API request, stopping, stopped: no health
    assert re.fullmatch(TEXT_LINE + r"INFO mockserver \S+ listening on http://127\.0\.0\.1:\d+ "
                        r"\(seed 42, 250 call trackings, 8 threads\)", lines[0])  # fmt: skip
    assert re.fullmatch(
        TEXT_LINE + r"INFO GET /calltrackings\?per_page=abc 400 \d+\.\dms "
        r"errors=\[query:per_page: 'abc' is not a valid integer\]",
        lines[1],
    )
    assert re.fullmatch(TEXT_LINE + r"INFO stopping on SIGTERM: no new connections; "
                        r"finishing 0 in-flight request\(s\) within 5s", lines[2])  # fmt: skip
    assert re.fullmatch(TEXT_LINE + r"INFO stopped after \d+\.\d{3}s", lines[3])
    assert server.banner == f"Call tracking mock listening on {server.url}\n"  # stdout


def test_log_level_warning_leaves_out_requests_and_events() -> None:
    server = start_server("--log-level", "warning")
    try:
        assert call(f"{server.url}/calltrackings") == 401
    finally:
        assert server.stop() == 0
    assert server.log() == ""


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--log-format", "xml"], {},
         "mockserver: --log-format / MOCKSERVER_LOG_FORMAT: 'xml' is not one of text, json\n"),
        ([], {"MOCKSERVER_LOG_LEVEL": "verbose"},
         "mockserver: --log-level / MOCKSERVER_LOG_LEVEL: 'verbose' is not one of DEBUG, INFO, "
         "WARNING, ERROR\n"),
        (["--grace", "-1"], {},
         "mockserver: --grace / MOCKSERVER_GRACE: -1.0 is below the minimum 0\n"),
        ([], {"MOCKSERVER_THREADS": "0"},
         "mockserver: --threads / MOCKSERVER_THREADS: 0 is below the minimum 1\n"),
        ([], {"MOCKSERVER_CONNECTION_LIMIT": "many"},
         "mockserver: MOCKSERVER_CONNECTION_LIMIT='many': invalid literal for int() with "
         "base 10: 'many'\n"),
    ],
)  # fmt: skip
def test_bad_serving_options_exit_2_naming_the_option(
    args: list[str], env: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        [*SERVE, *args], env=dev_env(**env), cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)


def test_options_are_case_insensitive_and_canonical() -> None:
    settings = Settings.from_env({
        "MOCKSERVER_LOG_LEVEL": "debug", "MOCKSERVER_LOG_FORMAT": "JSON",
        "MOCKSERVER_GRACE": "0.25", "MOCKSERVER_BACKLOG": "16",
    })  # fmt: skip
    assert (settings.log_level, settings.log_format, settings.grace, settings.backlog) == (
        "DEBUG", "json", 0.25, 16
    )


def test_serving_settings_become_the_server_limits() -> None:
    settings = Settings(threads=3, max_delayed=4, grace=1.5, connection_limit=7, backlog=9,
                        channel_timeout=11, header_timeout=2, body_timeout=3,
                        max_body=500)  # fmt: skip
    limits = limits_of(settings)
    assert limits == Limits(threads=3, delayed=4, connection_limit=7, backlog=9,
                            channel_timeout=11, header_timeout=2.0, body_timeout=3.0,
                            max_body=500, grace=1.5)  # fmt: skip
    server = Server(serving_handler(make_app()), "127.0.0.1", 0, limits)
    try:
        assert (server.limits, server.grace, server.host) == (limits, 1.5, "127.0.0.1")
        assert server.port > 0
    finally:
        server.socket.close()


# --- the stop's bound -----------------------------------------------------------------------


def test_stalled_request_cannot_hold_the_stop_beyond_grace(tmp_path: Path) -> None:
    server = json_server(tmp_path, MOCKSERVER_GRACE="0.5")
    sock = send_headers_only(server.port, b'{"never": "sent"}')
    started = time.monotonic()
    assert server.stop() == 0  # the body never comes: the stop goes on without it
    elapsed = time.monotonic() - started
    assert server.log.wait_for("stopping")["in_flight"] == 1
    assert server.log.wait_for("grace_expired")["abandoned"] == 1
    stopped = server.log.wait_for("stopped")
    assert stopped["abandoned"] == 1
    assert 0.5 <= stopped["drain_seconds"] < 2.5
    assert elapsed < 10  # interpreter exit included; far below the unbounded case
    assert sock.recv(1) == b""  # the server closed the stalled connection
    sock.close()


def test_idle_keep_alive_connection_does_not_delay_the_stop(tmp_path: Path) -> None:
    server = json_server(tmp_path, MOCKSERVER_GRACE="60")
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    idle.request("GET", "/__mock/health")
    response = idle.getresponse()
    assert (response.status, response.getheader("Connection")) == (200, None)  # kept alive
    assert json.loads(response.read())["status"] == "ok"
    assert server.stop(timeout=30) == 0
    stopped = server.log.wait_for("stopped")
    assert stopped["abandoned"] == 0 and stopped["drain_seconds"] < 5  # not the 60 s grace
    idle.close()
