"""Benchmark the mock as a real server process beside its peers, and check the targets.

    python bench/run.py            # the full run (`make bench`), about fifteen minutes
    python bench/run.py --quick --output /tmp/perf.md --generator python   # smoke run

It starts `mockserver serve` processes, drives them over HTTP with wrk (or a bounded Python
load generator), runs the peers from the npm registry on the mock's own items (Prism on the
same openapi.yaml, json-server 0.17 and 1.0 beta, Mockoon's CLI, WireMock's jar; see
peer_servers.py) in interleaved rounds, measures sessions over large data and a default
contract run, prints the tables and the targets, and writes them into docs/performance.md
between the bench markers (the text around them is kept). Figures from one run are
compared only with each other.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baseline
import peer_servers
from loadgen import Load, Result, drive, wrk_path, wrk_version

ROOT = Path(__file__).resolve().parent.parent
START_MARK, END_MARK = "<!-- bench:start -->", "<!-- bench:end -->"
FILTERED = "/calltrackings?filters%5Bstatus%5D=answered&sort=date&sort_order=DESC"
SCENARIOS = [  # name, path; None means the bulk PATCH
    ("list, default page (100)", "/calltrackings"),
    ("list, 50 per page", "/calltrackings?per_page=50"),
    ("list, filters + sort", FILTERED),
    ("list, per_page=1", "/calltrackings?per_page=1"),
    ("bulk PATCH, 3 ids", None),
]
ONE, FIFTY = "/calltrackings?per_page=1", "/calltrackings?per_page=50"
PEER_ITEMS = 250  # the default data: every item the peers serve is one the mock serves
CONTRACT_SEED = 1
WARM_REQUESTS = 300  # requests a fresh process answers before its sessions are measured
PACKAGES = ["flask", "werkzeug", "httptools", "openapi-core", "jsonschema-rs", "faker"]


@dataclass
class Plan:
    seconds: float
    warmup: float
    connections: int
    sizes: list[int]
    startup_runs: int
    generator: str
    peers: bool
    rounds: int = 3
    peer_seconds: float = 8.0
    contract: bool = True
    sessions: int = 100
    session_records: int = 100_000
    backend_requests: int = 2000


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    started: float  # seconds from spawn to the first healthy answer

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True)
class ContractRun:
    seconds: float  # from the command's start to its exit
    requests: int  # as its summary counts them
    phases: str  # the count of each phase
    exit: int

    @property
    def ms_per_request(self) -> float:
        return 1000 * self.seconds / self.requests if self.requests > 0 else float("inf")


@dataclass
class Report:
    plan: Plan
    startup: list[float] = field(default_factory=list)
    rows: dict[tuple[str, str], Result] = field(default_factory=dict)  # (scenario, mode)
    peers: dict[tuple[str, int], list[Result]] = field(default_factory=dict)  # (server, items)
    peer_skips: dict[str, str] = field(default_factory=dict)
    # a default contract run, today's and the one of before (baseline.COMMIT), by round
    contract: list[ContractRun] = field(default_factory=list)
    contract_before: list[ContractRun] = field(default_factory=list)
    contract_skip: str = ""
    sizes: dict[int, dict[str, float]] = field(default_factory=dict)
    sessions: dict[str, float] = field(default_factory=dict)
    backends: dict[str, dict[str, float]] = field(default_factory=dict)  # backend -> figures
    backend_skip: str = ""


# --- processes ---------------------------------------------------------------------------


TODAY = [sys.executable, "-m", "mockserver"]


def start_mock(*args: str, log: Path | None = None, command: list[str] | None = None,
               cwd: Path = ROOT) -> Server:
    """``mockserver serve`` on a free port; ready when its banner is out and health answers.

    Its log goes to ``log`` (at the default level) when given, else nowhere (at WARNING).
    ``command`` runs another build's ``mockserver`` (``baseline``) from ``cwd``.
    """
    began = time.perf_counter()
    quiet = [] if log is not None else ["--log-level", "WARNING"]
    stderr = subprocess.DEVNULL if log is None else log.open("w")
    process = subprocess.Popen(
        [*(command or TODAY), "serve", "--port", "0", *quiet, *args],
        stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=cwd,
    )
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            url = match.group(1)
            urllib.request.urlopen(url + "/__mock/health", timeout=60).read()
            threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
            return Server(process, url, time.perf_counter() - began)
    raise RuntimeError(f"mockserver exited with {process.wait()} before listening")


def _drain(stream: object) -> None:
    for _ in stream:  # type: ignore[attr-defined]
        pass


def seeding(count: int) -> float:
    """Seconds to generate ``count`` call trackings, in a fresh process (imports excluded)."""
    code = (
        "import time\n"
        "from mockserver.core.clock import Clock\n"
        "from mockserver.data.fixtures import load_fixtures\n"
        "from mockserver.data.seed import generate\n"
        "from mockserver.settings import Settings\n"
        "from mockserver.core.spec import Spec\n"
        "settings, now = Settings(), Clock().started\n"
        "fixtures = load_fixtures(settings.fixtures, Spec.load(), now)\n"
        "t = time.perf_counter()\n"
        f"generate(42, {count}, fixtures, now=now, history_days=settings.history_days)\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return float(out.stdout.strip())


# --- measurements ------------------------------------------------------------------------


def first_ids(server: Server, n: int = 3) -> tuple[int, ...]:
    request = urllib.request.Request(
        f"{server.url}/calltrackings?per_page={n}", headers={"Authorization": "Bearer admin-token"}
    )
    body = json.loads(urllib.request.urlopen(request, timeout=30).read())
    return tuple(ct["id"] for ct in body["call_trackings"])


def first_record(server: Server) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{server.url}/calltrackings?per_page=1", headers={"Authorization": "Bearer admin-token"}
    )
    return dict(json.loads(urllib.request.urlopen(request, timeout=30).read())["call_trackings"][0])


def load_for(server: Server, path: str | None) -> Load:
    if path is None:
        return Load(f"{server.url}/calltrackings", patch_ids=first_ids(server))
    return Load(server.url + path)


def measure(load: Load, plan: Plan, connections: int | None = None,
            seconds: float | None = None) -> Result:
    connections = connections or plan.connections
    drive(load, plan.warmup, connections, plan.generator)
    return drive(load, seconds or plan.seconds, connections, plan.generator)


def measure_startup(report: Report) -> None:
    for _ in range(report.plan.startup_runs):
        server = start_mock()
        report.startup.append(server.started)
        server.stop()


def measure_throughput(report: Report) -> None:
    """Each scenario with validation on, then off, back to back: same conditions."""
    plan = report.plan
    on, off = start_mock(), start_mock("--no-validation")
    try:
        for name, path in SCENARIOS:
            for mode, server in (("on", on), ("off", off)):
                report.rows[(name, mode)] = measure(load_for(server, path), plan)
                print(f"  {name:<26} validation {mode:<3} {describe(report.rows[(name, mode)])}",
                      flush=True)
    finally:
        on.stop()
        off.stop()


PEER_LABEL_MOCK = "this mock, validated, rights on (default request log)"
PEER_LABEL_QUIET = "this mock, validated, rights on (request log at WARNING)"


def measure_peers(report: Report) -> None:
    """The mock and every peer on the same items, in interleaved rounds (medians kept), so
    that whatever else the machine does falls on all of them alike."""
    plan = report.plan
    if not plan.peers:
        report.peer_skips["peers"] = "skipped (--no-peers or --quick)"
        return
    why = peer_servers.install()
    if why is not None:
        report.peer_skips["peers"] = f"skipped: {why}"
        return
    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    loud, quiet = start_mock(log=logs / "mock.log"), start_mock()
    running: list[peer_servers.RunningPeer] = []
    try:
        items = get_json(loud, f"/calltrackings?per_page={PEER_ITEMS}")["call_trackings"]
        answers = {path: get_bytes(loud, path) for path in (ONE, FIFTY)}
        rows: list[tuple[str, int, Load]] = []
        for label, server in ((PEER_LABEL_MOCK, loud), (PEER_LABEL_QUIET, quiet)):
            for size, path in ((1, ONE), (50, FIFTY), (100, "/calltrackings")):
                rows.append((label, size, Load(server.url + path)))
        for peer in peer_servers.ALL:
            started = peer_servers.start(peer, free_port(), logs / slug(peer.name),
                                         ROOT / "openapi.yaml", answers, items)
            if isinstance(started, str):
                report.peer_skips[peer.name] = started
                print(f"  {peer.name}: {started}", flush=True)
                continue
            running.append(started)
            if peer.warmup:
                drive(Load(started.url + peer.one), peer.warmup, plan.connections,
                      plan.generator)
            rows += [(peer.name, 1, Load(started.url + peer.one)),
                     (peer.name, 50, Load(started.url + peer.fifty))]
        for round_number in range(plan.rounds):
            for label, size, load in rows:
                result = measure(load, plan, seconds=plan.peer_seconds)
                report.peers.setdefault((label, size), []).append(result)
                print(f"  round {round_number + 1}: {label:<58} {size:>3} items "
                      f"{describe(result)}", flush=True)
    finally:
        for each in running:
            each.stop()
        loud.stop()
        quiet.stop()
        shutil.rmtree(logs, ignore_errors=True)


def median_rps(report: Report, label: str, size: int) -> float | None:
    results = report.peers.get((label, size))
    if not results:
        return None
    return statistics.median(r.requests_per_second for r in results)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def get_bytes(server: Server, path: str) -> bytes:
    request = urllib.request.Request(server.url + path,
                                     headers={"Authorization": "Bearer admin-token"})
    return bytes(urllib.request.urlopen(request, timeout=30).read())


def get_json(server: Server, path: str) -> dict[str, Any]:
    return dict(json.loads(get_bytes(server, path)))


def measure_sizes(report: Report) -> None:
    """Seeding, memory and one-connection latency of the filtered, sorted page per size."""
    plan = report.plan
    for count in plan.sizes:
        seconds = seeding(count)
        server = start_mock("--count", str(count))
        try:
            result = measure(Load(server.url + FILTERED), plan, connections=1)
            report.sizes[count] = {
                "seed_s": seconds, "rss_mb": server.rss_mb(), "startup_s": server.started,
                "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
                "rps": result.requests_per_second, "errors": result.errors,
            }
        finally:
            server.stop()
        print(f"  {count:>7} records: seeding {seconds:.2f} s, "
              f"RSS {report.sizes[count]['rss_mb']:.0f} MB, filtered page p50 "
              f"{report.sizes[count]['p50_ms']:.2f} ms", flush=True)


def measure_sessions(report: Report) -> None:
    """Many named sessions over large data: the first request of each (a default list page
    over one kept-alive connection) and the resident memory once all of them exist."""
    plan = report.plan
    server = start_mock("--count", str(plan.session_records),
                        "--max-sessions", str(plan.sessions))
    try:
        before = server.rss_mb()
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)

        def timed(method: str, path: str, session: str | None, body: bytes | None) -> float:
            headers = {"Authorization": "Bearer admin-token", "Content-Type": "application/json"}
            if session is not None:
                headers["X-Mock-Session"] = session
            began = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{method} {path} in {session}: {response.status}")
            return (time.perf_counter() - began) * 1000

        for _ in range(WARM_REQUESTS):  # past the process's own start (its warm-up threads)
            timed("GET", "/calltrackings?per_page=1", None, None)
        names = [f"bench-{number}" for number in range(plan.sessions)]
        firsts = [timed("GET", "/calltrackings", name, None) for name in names]
        rss = server.rss_mb()
        first = first_record(server)
        flip = Load("", patch_ids=(first["id"],)).body(1 if first["marked_as_seen"] else 0)
        writes = [timed("PATCH", "/calltrackings", name, flip) for name in names]
        report.sessions = {
            "records": plan.session_records, "sessions": plan.sessions,
            "rss_before_mb": before, "rss_mb": rss, "rss_written_mb": server.rss_mb(),
            "first_p50_ms": percentile(firsts, 50), "first_p99_ms": percentile(firsts, 99),
            "write_p50_ms": percentile(writes, 50), "write_p99_ms": percentile(writes, 99),
        }
        connection.close()
    finally:
        server.stop()
    s = report.sessions
    print(f"  {s['sessions']:.0f} sessions over {s['records']:,.0f} records: RSS "
          f"{s['rss_before_mb']:.0f} -> {s['rss_mb']:.0f} MB, first request p50 "
          f"{s['first_p50_ms']:.1f} ms, p99 {s['first_p99_ms']:.1f} ms; after a write in each: "
          f"{s['rss_written_mb']:.0f} MB, first write p50 {s['write_p50_ms']:.1f} ms, "
          f"p99 {s['write_p99_ms']:.1f} ms", flush=True)


def start_redis(directory: Path) -> tuple[subprocess.Popen[str], str] | None:
    """Debian's redis-server on a free port, with an append-only file synced every second
    (the durable setting the README recommends), and its URL; None if it is not installed."""
    executable = shutil.which("redis-server")
    if executable is None:
        return None
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if "Ready to accept connections" in line:
            threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
            return process, f"redis://127.0.0.1:{port}/0"
    raise RuntimeError(f"redis-server exited with {process.wait()}")


def measure_backends(report: Report) -> None:
    """One connection, one request at a time: a default list page and a bulk PATCH that
    changes a record, with the sessions in memory and in Redis (one replica)."""
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as directory:
        started = start_redis(Path(directory))
        backends: list[tuple[str, list[str]]] = [("memory", [])]
        redis_process = None
        if started is None:
            report.backend_skip = "redis-server is not installed (apt-get install redis-server)"
        else:
            redis_process, url = started
            backends.append(("redis", ["--state-backend", "redis", "--redis-url", url]))
        try:
            for name, args in backends:
                report.backends[name] = backend_latency(report.plan, start_mock(*args))
        finally:
            if redis_process is not None:
                redis_process.terminate()
                redis_process.wait(timeout=30)
    for name, figures in report.backends.items():
        print(f"  {name}: list page p50 {figures['list_p50_ms']:.2f} ms, p99 "
              f"{figures['list_p99_ms']:.2f} ms; PATCH p50 {figures['patch_p50_ms']:.2f} ms, "
              f"p99 {figures['patch_p99_ms']:.2f} ms", flush=True)
    if report.backend_skip:
        print(f"  redis: skipped ({report.backend_skip})", flush=True)


def backend_latency(plan: Plan, server: Server) -> dict[str, float]:
    try:
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        first = first_record(server)
        load = Load("", patch_ids=(first["id"],))

        def timed(method: str, path: str, body: bytes | None) -> float:
            began = time.perf_counter()
            connection.request(method, path, body=body, headers={
                "Authorization": "Bearer admin-token", "Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{method} {path}: {response.status}")
            return (time.perf_counter() - began) * 1000

        for _ in range(WARM_REQUESTS):
            timed("GET", "/calltrackings", None)
        lists = [timed("GET", "/calltrackings", None) for _ in range(plan.backend_requests)]
        patches = [timed("PATCH", "/calltrackings", load.body(n % 2))  # a change every time
                   for n in range(plan.backend_requests)]
        connection.close()
    finally:
        server.stop()
    return {"list_p50_ms": percentile(lists, 50), "list_p99_ms": percentile(lists, 99),
            "patch_p50_ms": percentile(patches, 50), "patch_p99_ms": percentile(patches, 99)}


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile: a value that was measured, never an interpolation."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- report ------------------------------------------------------------------------------


def describe(result: Result) -> str:
    return (f"{result.requests_per_second:8.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
            f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}")


def measure_contract(report: Report) -> None:
    """A default ``mockserver contract`` run against a fresh mock, same seed every time,
    today's and the one of before (``baseline``, built from git history) in interleaved
    rounds: the same machine, the same moment, for both."""
    plan = report.plan
    if not plan.contract:
        report.contract_skip = "skipped (--no-contract or --quick)"
        return
    tree = baseline.prepare()
    if isinstance(tree, str):
        report.contract_skip = f"the run of before ({baseline.COMMIT}) is not measured: {tree}"
        print(f"  {report.contract_skip}", flush=True)
    for round_number in range(plan.rounds):
        if not isinstance(tree, str):
            before = contract_run(baseline.mockserver(tree), tree)
            report.contract_before.append(before)
            print(f"  round {round_number + 1}: before ({baseline.COMMIT}) "
                  f"{describe_contract(before)}", flush=True)
        now = contract_run()
        report.contract.append(now)
        print(f"  round {round_number + 1}: today {describe_contract(now)}", flush=True)


def contract_run(executable: str | None = None, cwd: Path = ROOT) -> ContractRun:
    command = [executable] if executable else TODAY
    server = start_mock(command=command, cwd=cwd)
    try:
        began = time.perf_counter()
        run = subprocess.run(
            [*command, "contract", "--base-url", server.url, "--token", "admin-token",
             "--seed", str(CONTRACT_SEED)],
            capture_output=True, text=True, cwd=cwd, timeout=1800,
        )
        seconds = time.perf_counter() - began
    finally:
        server.stop()
    sent = re.search(r"^(\d+) requests answered in [\d.]+ s \((.*)\)\.$", run.stdout, re.M)
    return ContractRun(seconds, int(sent.group(1)) if sent else -1,
                       sent.group(2) if sent else "?", run.returncode)


def describe_contract(run: ContractRun) -> str:
    return (f"{run.seconds:.1f} s, {run.requests} requests ({run.phases}), "
            f"{run.ms_per_request:.2f} ms a request, exit {run.exit}")


def median_run(runs: list[ContractRun]) -> ContractRun | None:
    """The run of median cost per request (a run that was measured, not an average)."""
    if not runs:
        return None
    return sorted(runs, key=lambda r: r.ms_per_request)[(len(runs) - 1) // 2]


def ratio(mine: float | None, theirs: float | None) -> float | None:
    if mine is None or theirs is None or theirs <= 0:
        return None
    return mine / theirs


def shown(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def targets(report: Report) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met); met is None when it could not be measured."""
    rows, sizes, rps = report.rows, report.sizes, partial(median_rps, report)
    found: list[tuple[str, str, bool | None]] = []

    def add(name: str, parts: list[tuple[str, float | None, float]]) -> None:
        """A target met when every ratio reaches its bound; unmeasured if one is missing."""
        text = ", ".join(f"{label} {shown(value)}" for label, value, _ in parts)
        met = None if any(v is None for _, v, _ in parts) else all(
            v is not None and v >= bound for _, v, bound in parts)
        found.append((name, text, met))

    mine, quiet = PEER_LABEL_MOCK, PEER_LABEL_QUIET
    prism, silent = peer_servers.PRISM.name, peer_servers.PRISM_SILENT.name
    add("1. per_page=1: >= 2.0 x Prism (both default logging); >= 1.0 x Prism -v silent "
        "(ours at WARNING)",
        [("x Prism", ratio(rps(mine, 1), rps(prism, 1)), 2.0),
         ("x silent", ratio(rps(quiet, 1), rps(silent, 1)), 1.0)])
    add("2. default page (100 items) >= 1.0 x Prism's per_page=1",
        [("x", ratio(rps(mine, 100), rps(prism, 1)), 1.0)])
    # Like with like: json-server and WireMock log no request (ours at WARNING), Mockoon
    # logs every one (ours at the default level).
    beta, mockoon = peer_servers.JSON_SERVER_BETA.name, peer_servers.MOCKOON.name
    add("3. >= 1.0 x json-server 1.0 beta (no request log; ours at WARNING) and Mockoon CRUD "
        "(logs each request; ours at the default level), 1 and 50 items",
        [(f"x {who} {size}", ratio(rps(ours, size), rps(name, size)), 1.0)
         for who, name, ours in (("json-server beta", beta, quiet), ("Mockoon", mockoon, mine))
         for size in (1, 50)])
    loud_beta = [shown(ratio(rps(mine, size), rps(beta, size))) for size in (1, 50)]
    found[-1] = (found[-1][0], f"{found[-1][1]} (json-server beta with our default request "
                 f"log: {loud_beta[0]} and {loud_beta[1]})", found[-1][2])
    wire = peer_servers.WIREMOCK.name
    one, fifty = ratio(rps(quiet, 1), rps(wire, 1)), ratio(rps(quiet, 50), rps(wire, 50))
    found.append(("4. (stretch, printed) x WireMock canned stubs (no request log; ours at "
                  "WARNING), 1 and 50 items",
                  f"{shown(one)} and {shown(fifty)}", None if one is None else True))
    s = report.sessions
    found.append((f"5. {s['sessions']:.0f} sessions over {s['records']:,.0f} records: "
                  "RSS <= 600 MB, first request p99 <= 50 ms",
                  f"{s['rss_mb']:.0f} MB, {s['first_p99_ms']:.1f} ms",
                  s["rss_mb"] <= 600 and s["first_p99_ms"] <= 50))
    now, before = median_run(report.contract), median_run(report.contract_before)
    name6 = (f"6. default contract run >= 2 x faster than before ({baseline.COMMIT}, run "
             "beside it), per request")
    if now is not None and before is not None:
        speedup = before.ms_per_request / now.ms_per_request
        found.append((name6, f"{now.ms_per_request:.2f} ms a request ({now.requests} in "
                             f"{now.seconds:.1f} s) against {before.ms_per_request:.2f} "
                             f"({before.requests} in {before.seconds:.1f} s): {speedup:.2f} x",
                      speedup >= 2.0 and now.exit == 0))
    else:
        found.append((name6, report.contract_skip or "not measured", None))
    on, off = rows[("list, 50 per page", "on")], rows[("list, 50 per page", "off")]
    ratio1 = on.requests_per_second / off.requests_per_second
    found.append(("7a. 50-item page, validation on / off >= 0.6",
                  f"{ratio1:.2f} ({on.requests_per_second:.0f} / "
                  f"{off.requests_per_second:.0f} req/s)", ratio1 >= 0.6))
    add("7b. per_page=1 validated >= 1.0 x Prism", [("x", ratio(rps(mine, 1), rps(prism, 1)),
                                                     1.0)])
    small, large = min(sizes), max(sizes)
    a, b = sizes[small], sizes[large]
    ratio3 = b["p50_ms"] / a["p50_ms"]
    found.append((f"7c. {large:,} records: seeding <= 5 s, RSS <= 300 MB, "
                  f"filtered page <= 5 x {small:,}",
                  f"{b['seed_s']:.2f} s, {b['rss_mb']:.0f} MB, {ratio3:.2f} x "
                  f"({b['p50_ms']:.2f} / {a['p50_ms']:.2f} ms)",
                  b["seed_s"] <= 5 and b["rss_mb"] <= 300 and ratio3 <= 5))
    startup = statistics.median(report.startup)
    found.append(("7d. serve -> healthy <= 1.5 s (default data)",
                  f"{startup:.2f} s (median of {len(report.startup)})", startup <= 1.5))
    return found


def render(report: Report, command: str) -> str:
    plan = report.plan
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}`.",
        "",
        "Machine: " + machine(),
        "",
        "Versions: " + ", ".join(versions()),
        "",
        f"Load: {plan.generator}, {plan.connections} connections, {plan.seconds:g} s per "
        f"row after {plan.warmup:g} s of warm-up; default data (250 call trackings) unless "
        "stated.",
        "",
        f"Side by side: the mock and each peer serving the mock's own items, {plan.rounds} "
        f"interleaved round(s) of {plan.peer_seconds:g} s per row, medians (req/s).",
        "",
        "| server | 1 item | 50 items | 100 items | what it does |",
        "|---|---:|---:|---:|---|",
    ]
    labels = [(PEER_LABEL_MOCK, "state, rights, validation both ways"),
              (PEER_LABEL_QUIET, "the same")]
    labels += [(peer.name, peer.what) for peer in peer_servers.ALL]
    for label, what in labels:
        reason = report.peer_skips.get(label) or report.peer_skips.get("peers")
        if reason and not report.peers.get((label, 1)):
            lines.append(f"| {label} | {reason} | | | {what} |")
            continue
        cells = [shown(median_rps(report, label, n), 0) for n in (1, 50, 100)]
        lines.append(f"| {label} | {' | '.join(c if c != 'n/a' else '' for c in cells)} "
                     f"| {what} |")
    lines += [
        "",
        "Our mock alone, each scenario with validation on, then off:",
        "",
        "| request | validation | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, _ in SCENARIOS:
        for mode in ("on", "off"):
            r = report.rows[(name, mode)]
            lines.append(f"| {name} | {mode} | {r.requests_per_second:.0f} | {r.p50_ms:.2f} | "
                         f"{r.p99_ms:.2f} | {r.errors} |")
    lines += [
        "",
        "| call trackings | seeding s | RSS MB | serve -> healthy s | filtered + sorted page, "
        "1 connection: p50 ms | p99 ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for count, z in sorted(report.sizes.items()):
        lines.append(f"| {count:,} | {z['seed_s']:.2f} | {z['rss_mb']:.0f} | "
                     f"{z['startup_s']:.2f} | {z['p50_ms']:.2f} | {z['p99_ms']:.2f} |")
    s = report.sessions
    lines += [
        "",
        f"{s['sessions']:.0f} named sessions over {s['records']:,.0f} records, one "
        f"connection, after {WARM_REQUESTS} requests in the default session: RSS "
        f"{s['rss_before_mb']:.0f} MB before, {s['rss_mb']:.0f} MB once every session has "
        f"answered a default list page (first request p50 {s['first_p50_ms']:.1f} ms, p99 "
        f"{s['first_p99_ms']:.1f} ms), {s['rss_written_mb']:.0f} MB once each has also "
        f"changed one record (its first write p50 {s['write_p50_ms']:.1f} ms, p99 "
        f"{s['write_p99_ms']:.1f} ms).",
    ]
    lines += ["", f"State backends, one connection, {plan.backend_requests} requests each after "
              f"{WARM_REQUESTS} warm ones (a default list page of 100; a bulk PATCH changing "
              "one record):", "",
              "| backend | list p50 ms | list p99 ms | PATCH p50 ms | PATCH p99 ms |",
              "|---|---:|---:|---:|---:|"]
    for name, f in report.backends.items():
        lines.append(f"| {name} | {f['list_p50_ms']:.2f} | {f['list_p99_ms']:.2f} | "
                     f"{f['patch_p50_ms']:.2f} | {f['patch_p99_ms']:.2f} |")
    if report.backend_skip:
        lines.append(f"| redis | skipped: {report.backend_skip} | | | |")
    if report.contract or report.contract_before:
        lines += ["", f"Default contract run (`mockserver contract --seed {CONTRACT_SEED}` "
                      f"against a fresh mock), {plan.rounds} interleaved round(s); today's, "
                      f"then the one of before ({baseline.COMMIT}, built from git history):",
                  ""]
        for label, runs in (("today", report.contract), (baseline.COMMIT, report.contract_before)):
            for run in runs:
                lines.append(f"- {label}: {describe_contract(run)}")
    if report.contract_skip:
        lines += ["", f"Default contract run: {report.contract_skip}."]
    lines += ["", "Start-up, default data: "
              + ", ".join(f"{t:.2f}" for t in report.startup) + " s", "",
              "| target | measured | |", "|---|---|---|"]
    for target, measured, met in targets(report):
        verdict = "not measured" if met is None else "met" if met else "NOT MET"
        lines.append(f"| {target} | {measured} | {verdict} |")
    return "\n".join(lines) + "\n"


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = match.group(1).strip() if match else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo.read_text()).group(1))  # type: ignore[union-attr]
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} x {cpu}{memory}, {platform.system()} {platform.release()}"


def versions() -> list[str]:
    found = [f"Python {platform.python_version()}"]
    found += [f"{name} {version(name)}" for name in PACKAGES]
    found += [wrk_version(), f"Node.js {peer_servers.node_version()}",
              peer_servers.java_version()]
    return found


def write(path: Path, table: str) -> None:
    block = f"{START_MARK}\n{table}{END_MARK}"
    if path.exists() and START_MARK in path.read_text():
        text = path.read_text()
        before, rest = text.split(START_MARK, 1)
        after = rest.split(END_MARK, 1)[1] if END_MARK in rest else ""
        path.write_text(before + block + after)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Performance\n\n{block}\n")


# --- main --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny smoke run: proves the script works, figures mean nothing")
    parser.add_argument("--seconds", type=float, help="load per row (default 10, quick 0.3)")
    parser.add_argument("--peer-seconds", type=float,
                        help="load per row and round of the side-by-side table (default 8)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of it (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sizes", help="comma-separated record counts (default 1000,10000,100000)")
    parser.add_argument("--generator", choices=["wrk", "python"],
                        help="load generator (default: wrk if installed)")
    parser.add_argument("--no-peers", action="store_true",
                        help="skip the peers (Prism, json-server, Mockoon, WireMock)")
    parser.add_argument("--no-contract", action="store_true", help="skip the contract run")
    parser.add_argument("--backends-only", action="store_true",
                        help="only the state backends' latencies, printed (nothing written)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    quick = args.quick
    sizes = args.sizes or ("300,600" if quick else "1000,10000,100000")
    return Plan(
        seconds=args.seconds or (0.3 if quick else 10.0),
        warmup=0.2 if quick else 2.0,
        connections=2 if quick else args.connections,
        sizes=[int(s) for s in sizes.split(",")],
        startup_runs=1 if quick else 5,
        generator=args.generator or ("wrk" if wrk_path() else "python"),
        peers=not (args.no_peers or quick),
        rounds=args.rounds or (1 if quick else 3),
        peer_seconds=args.peer_seconds or (0.3 if quick else 8.0),
        contract=not (args.no_contract or quick),
        sessions=10 if quick else 100,
        session_records=2_000 if quick else 100_000,
        backend_requests=50 if quick else 2000,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = plan_from(args)
    report = Report(plan)
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.backends_only:
        print(f"state backends ({machine()}):", flush=True)
        measure_backends(report)
        return 0
    print(f"mock benchmark ({plan.generator}, {plan.connections} connections, "
          f"{plan.seconds:g} s per row)", flush=True)
    print("start-up:", flush=True)
    measure_startup(report)
    print("throughput, default data:", flush=True)
    measure_throughput(report)
    print("side by side with the peers:", flush=True)
    measure_peers(report)
    print("data sizes:", flush=True)
    measure_sizes(report)
    print("named sessions:", flush=True)
    measure_sessions(report)
    print("state backends:", flush=True)
    measure_backends(report)
    print("contract run:", flush=True)
    measure_contract(report)
    table = render(report, command.strip())
    print("\n" + table)
    write(args.output, table)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
