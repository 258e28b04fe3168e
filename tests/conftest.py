"""Shared fixtures: the app in process, its test client, and a real server process."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver.app import create_app
from mockserver.settings import Settings

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
    settings = Settings(now=PINNED_NOW, **overrides)
    app = create_app(settings)
    app.testing = True
    return app


@pytest.fixture
def app() -> Flask:
    """A fresh app (fresh data) per test: tests may change state freely."""
    return make_app()


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


@pytest.fixture
def live_server() -> Iterator[RunningServer]:
    server = start_server("--now", PINNED_NOW)
    try:
        yield server
    finally:
        server.stop()


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
