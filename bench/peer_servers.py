"""The peers a user would pick instead of the mock, run beside it on the mock's own items.

Each peer comes from the npm registry, pinned in ``bench/peers/package-lock.json`` and
installed there with ``npm ci`` on first use: Prism (the same ``openapi.yaml``), json-server
0.17 and 1.0 beta (a ``db.json`` of the mock's items), Mockoon's CLI (a CRUD route over a
data bucket of them, built with Mockoon's own schema builders) and WireMock's standalone jar
(the ``wiremock`` package ships it; two canned stubs holding the mock's own answers). A peer
that cannot be installed or started is skipped with the reason, never faked.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PEERS_DIR = Path(__file__).resolve().parent / "peers"
MODULES = PEERS_DIR / "node_modules"
READY_SECONDS = 120.0


@dataclass(frozen=True)
class Peer:
    name: str
    what: str  # what it does, in a few words
    one: str  # the path that answers one item
    fifty: str  # the path that answers fifty
    warmup: float = 0.0  # seconds of load before the first measured round (a JVM's JIT)


@dataclass
class RunningPeer:
    peer: Peer
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


PRISM = Peer("Prism 5.16 `prism mock` (default logging)", "validates requests, static example",
             "/calltrackings?per_page=1", "/calltrackings?per_page=50")
PRISM_SILENT = Peer("Prism 5.16 `-v silent`", "the same, no request log",
                    PRISM.one, PRISM.fifty)
JSON_SERVER_017 = Peer("json-server 0.17.4", "state, no auth, no validation",
                       "/calltrackings?_page=1&_limit=1", "/calltrackings?_page=1&_limit=50")
JSON_SERVER_BETA = Peer("json-server 1.0.0-beta.15", "state, no auth, no validation",
                        "/calltrackings?_page=1&_per_page=1",
                        "/calltrackings?_page=1&_per_page=50")
MOCKOON = Peer("Mockoon CLI 9.9 CRUD route", "state, no auth, no validation",
               "/calltrackings?page=1&limit=1", "/calltrackings?page=1&limit=50")
WIREMOCK = Peer("WireMock 3.13.2 standalone", "canned stubs, Java",
                "/calltrackings?per_page=1", "/calltrackings?per_page=50", warmup=10.0)
ALL = [PRISM, PRISM_SILENT, JSON_SERVER_BETA, JSON_SERVER_017, MOCKOON, WIREMOCK]


def install() -> str | None:
    """Install the pinned peers (once); None when ready, else why they cannot run."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        return "Node.js and npm are not installed"
    stamp = MODULES / ".installed"
    lock = PEERS_DIR / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return None
    done = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                          cwd=PEERS_DIR, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return "npm ci failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    stamp.touch()
    return None


def node_version() -> str:
    node = shutil.which("node")
    if node is None:
        return "none"
    return subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()


def java_version() -> str:
    java = shutil.which("java")
    if java is None:
        return "none"
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    return out.splitlines()[0] if out else "unknown"


def start(peer: Peer, port: int, work: Path, spec: Path, answers: dict[str, bytes],
          items: list[dict[str, object]]) -> RunningPeer | str:
    """The peer listening on ``port``, answering its one-item path; or why it cannot."""
    work.mkdir(parents=True, exist_ok=True)
    try:
        command = _command(peer, port, work, spec, answers, items)
    except (OSError, subprocess.CalledProcessError, FileNotFoundError) as exc:
        return f"skipped: {exc}"
    if isinstance(command, str):
        return command
    log = work / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=work,
                                   start_new_session=True)
    running = RunningPeer(peer, process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"skipped: exited with {process.returncode}: {_tail(log)}"
        if _answers(running.url + peer.one):
            return running
        time.sleep(0.2)  # polling a starting process; no result depends on this pause
    running.stop()
    return f"skipped: not answering after {READY_SECONDS:.0f} s: {_tail(log)}"


def _command(peer: Peer, port: int, work: Path, spec: Path, answers: dict[str, bytes],
             items: list[dict[str, object]]) -> list[str] | str:
    node = shutil.which("node") or "node"
    if peer in (PRISM, PRISM_SILENT):
        prism = MODULES / "@stoplight" / "prism-cli" / "dist" / "index.js"
        quiet = ["-v", "silent"] if peer is PRISM_SILENT else []
        return [node, str(prism), "mock", "-h", "127.0.0.1", "-p", str(port), *quiet, str(spec)]
    if peer in (JSON_SERVER_017, JSON_SERVER_BETA):
        (work / "db.json").write_text(json.dumps({"calltrackings": items}))
        script = ("json-server-017/lib/cli/bin.js" if peer is JSON_SERVER_017
                  else "json-server-beta/lib/bin.js")
        return [node, str(MODULES / script), "--host", "127.0.0.1", "--port", str(port),
                "db.json"]
    if peer is MOCKOON:
        (work / "items.json").write_text(json.dumps(items))
        subprocess.run([node, str(PEERS_DIR / "mockoon-env.js"), "items.json", str(port),
                        "environment.json"], cwd=work, check=True, capture_output=True,
                       env={**os.environ, "NODE_PATH": str(MODULES)})
        return [node, str(MODULES / "@mockoon" / "cli" / "bin" / "run.js"), "start",
                "--data", "environment.json"]
    java = shutil.which("java")
    if java is None:
        return "skipped: no Java runtime"
    jars = sorted((MODULES / "wiremock").glob("**/wiremock-standalone-*.jar"))
    if not jars:
        return "skipped: the wiremock package holds no standalone jar"
    mappings = work / "mappings"
    mappings.mkdir(exist_ok=True)
    for number, (path, body) in enumerate(sorted(answers.items())):
        stub = {"request": {"method": "GET", "url": path},
                "response": {"status": 200, "body": body.decode("utf-8"),
                             "headers": {"Content-Type": "application/json"}}}
        (mappings / f"stub-{number}.json").write_text(json.dumps(stub))
    return [java, "-jar", str(jars[-1]), "--port", str(port), "--bind-address", "127.0.0.1",
            "--root-dir", str(work), "--disable-banner"]


def _answers(url: str) -> bool:
    request = urllib.request.Request(url, headers={"Authorization": "Bearer admin-token"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(lines[-3:])[:300]
