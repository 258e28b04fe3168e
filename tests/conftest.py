"""Shared fixtures: the app in process, its test client, and a real server process."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver.settings import Settings
from mockserver.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
PINNED_NOW = "2025-01-15T09:30:00+04:00"
TOKENS = {
    "admin": "admin-token",
    "agent": "agent-token",
    "viewer": "viewer-token",
    "norights": "norights-token",
}


def auth(persona: str = "admin", **extra: str) -> dict[str, str]:
    """Headers for a request as one of the fixture personas."""
    return {"Authorization": f"Bearer {TOKENS[persona]}", **extra}


@pytest.fixture(scope="session")
def spec_document() -> dict[str, Any]:
    import yaml

    return yaml.safe_load((ROOT / "openapi.yaml").read_text())


def make_app(**overrides: Any) -> Flask:
    settings = Settings(**{"now": PINNED_NOW, **overrides})
    app = create_app(settings)
    app.testing = True
    return app


@pytest.fixture
def app() -> Flask:
    """A fresh app (fresh data) per test: tests may change state freely."""
    return make_app()


@pytest.fixture(scope="module")
def shared_app() -> Flask:
    """One app per test module, for modules whose tests only need fresh data."""
    return make_app()


def reset_data(app: Flask) -> None:
    """Put the default session back to the seeded baseline (cheaper than a new app)."""
    store = app.extensions["mockserver"]["store"]
    store.replace(store.session(), None)


@pytest.fixture
def reset_app(shared_app: Flask) -> Flask:
    """The module's app, its default session back at the baseline (a new app costs 0.2 s)."""
    reset_data(shared_app)
    return shared_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    url: str
    banner: str
    log_path: Path

    def log(self) -> str:
        """What the server wrote to stderr (its request log) so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def start_server(*args: str, env: dict[str, str] | None = None,
                 command: list[str] | None = None) -> RunningServer:
    """Start ``mockserver serve`` on a free port and wait for its banner (no sleeps)."""
    cmd = command or [sys.executable, "-m", "mockserver", "serve"]
    fd, log_name = tempfile.mkstemp(prefix="mockserver-", suffix=".log")
    process = subprocess.Popen(
        [*cmd, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=fd,  # a file, not a pipe: a chatty server must never block on its log
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # blocks until the server prints its URL, or exits
        lines.append(line)
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            os.close(fd)
            return RunningServer(process, match.group(1), "".join(lines), Path(log_name))
    os.close(fd)
    err = Path(log_name).read_text()
    raise RuntimeError(f"server exited with {process.wait()}: {''.join(lines)}{err}")


@contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """``start_server`` for the length of a ``with`` block: stopped however it ends."""
    server = start_server(*args, env=env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live_server() -> Iterator[RunningServer]:
    """A real ``mockserver serve`` process with the default data, shared by a module."""
    server = start_server("--now", PINNED_NOW)
    try:
        yield server
    finally:
        server.stop()


class JsonLog:
    """A process's JSON log lines, read as they come so that a test can wait for one.

    Every line must be a JSON object: a line that is not is kept in ``bad_lines`` and
    fails the test that checks it. Waiting is on a condition, never a sleep.
    """

    def __init__(self, stream: Any) -> None:
        self.entries: list[dict[str, Any]] = []
        self.bad_lines: list[str] = []
        self.closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            with self._cond:
                if isinstance(entry, dict):
                    self.entries.append(entry)
                else:
                    self.bad_lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait_for(self, event: str, timeout: float = 20, **fields: Any) -> dict[str, Any]:
        """The first entry with this ``event`` (and these field values), once it is written."""

        def found() -> dict[str, Any] | None:
            for entry in self.entries:
                if entry.get("event") == event and all(
                    entry.get(k) == v for k, v in fields.items()
                ):
                    return entry
            return None

        with self._cond:
            self._cond.wait_for(lambda: found() is not None or self.closed, timeout)
            entry = found()
        if entry is None:
            raise AssertionError(f"no {event!r} log entry with {fields}: {self.entries}")
        return entry

    def events(self, event: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.entries if e.get("event") == event]

    def join(self, timeout: float = 10) -> None:
        """Wait until the process closed its end (it exited), so every line is in."""
        self._thread.join(timeout)


@dataclass
class JsonServer:
    process: subprocess.Popen[str]
    log: JsonLog
    port: int
    started: dict[str, Any]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self.log.join()
        return code


def start_json_server(command: list[str], env: dict[str, str], cwd: Path) -> JsonServer:
    """Start a server that logs JSON to stderr; ready when it logs its ``listening`` event.

    ``env`` is the whole environment (nothing inherited), so a test controls every
    ``MOCKSERVER_*`` variable; pass ``MOCKSERVER_PORT=0`` for a free port.
    """
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    log = JsonLog(process.stderr)
    try:
        started = log.wait_for("listening")
    except AssertionError:
        process.kill()
        process.wait()
        raise
    return JsonServer(process, log, int(started["port"]), started)


def dev_env(**variables: str) -> dict[str, str]:
    """This environment without any ``MOCKSERVER_*`` variable, plus ``variables``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    return {**base, **variables}


def send_headers_only(port: int, body: bytes) -> socket.socket:
    """Start a PATCH whose body has not been sent yet; return once the server read its head.

    ``Expect: 100-continue`` makes the server answer ``100 Continue`` when the headers are
    in: from then on the request is in flight, with no timing guess.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        "PATCH /calltrackings HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Authorization: Bearer admin-token\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    sock.sendall(head.encode())
    interim = b""
    while not interim.endswith(b"\r\n\r\n"):
        chunk = sock.recv(1)
        assert chunk, f"connection closed after {interim!r}"
        interim += chunk
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    return sock


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningServer]:
    """One real server shared by the sandbox tests; each test isolates itself in a session."""
    server = start_server("--now", PINNED_NOW, "--max-delay-ms", "5000")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def small_server() -> Iterator[RunningServer]:
    """A real server with tiny limits: two named sessions, three journal entries."""
    server = start_server("--now", PINNED_NOW, "--max-sessions", "2", "--journal-size", "3")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def session_name(request: pytest.FixtureRequest) -> str:
    """A session name of this test's own, so tests sharing ``sandbox`` never meet."""
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:12]
    return f"t-{digest}"


# --- a real browser -------------------------------------------------------------------------

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--autoplay-policy=no-user-gesture-required"]


def chromium_path() -> str | None:
    candidate = os.environ.get("MOCKSERVER_CHROMIUM") or shutil.which("chromium")
    return candidate or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")  # Playwright's loop must not outlive the module's tests
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's, driven by Playwright), or a skip saying how to get it."""
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
