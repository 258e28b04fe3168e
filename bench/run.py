"""Benchmark the mock as a real server process and check the four performance targets.

    python bench/run.py            # the full run (`make bench`), about five minutes
    python bench/run.py --quick --output /tmp/perf.md --generator python   # smoke run

It starts `mockserver serve` processes, drives them over HTTP with wrk (or a bounded Python
load generator), runs Prism on the same openapi.yaml when Node is there, prints the tables
and the targets, and writes them into docs/performance.md between the bench markers (the
text around them is kept). Figures from one run are compared only with each other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import Load, Result, drive, wrk_path, wrk_version

ROOT = Path(__file__).resolve().parent.parent
PRISM = "@stoplight/prism-cli@5.16.0"
START_MARK, END_MARK = "<!-- bench:start -->", "<!-- bench:end -->"
FILTERED = "/calltrackings?filters%5Bstatus%5D=answered&sort=date&sort_order=DESC"
SCENARIOS = [  # name, path; None means the bulk PATCH
    ("list, default page (100)", "/calltrackings"),
    ("list, 50 per page", "/calltrackings?per_page=50"),
    ("list, filters + sort", FILTERED),
    ("list, per_page=1", "/calltrackings?per_page=1"),
    ("bulk PATCH, 3 ids", None),
]
PACKAGES = ["flask", "werkzeug", "waitress", "openapi-core", "jsonschema-rs", "faker"]


@dataclass
class Plan:
    seconds: float
    warmup: float
    connections: int
    sizes: list[int]
    startup_runs: int
    generator: str
    prism: bool


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


@dataclass
class Report:
    plan: Plan
    startup: list[float] = field(default_factory=list)
    rows: dict[tuple[str, str], Result] = field(default_factory=dict)  # (scenario, mode)
    prism: Result | str | None = None
    sizes: dict[int, dict[str, float]] = field(default_factory=dict)


# --- processes ---------------------------------------------------------------------------


def start_mock(*args: str, log: Path | None = None) -> Server:
    """``mockserver serve`` on a free port; ready when its banner is out and health answers.

    Its log goes to ``log`` (at the default level) when given, else nowhere (at WARNING).
    """
    began = time.perf_counter()
    quiet = [] if log is not None else ["--log-level", "WARNING"]
    stderr = subprocess.DEVNULL if log is None else log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", *quiet, *args],
        stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=ROOT,
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


def start_prism(port: int) -> Server | str:
    """Prism's mock on the same spec, or why it cannot run here."""
    npx = shutil.which("npx")
    if npx is None or shutil.which("node") is None:
        return "skipped: Node.js (npx) is not installed"
    began = time.perf_counter()
    process = subprocess.Popen(
        [npx, "--yes", PRISM, "mock", "-h", "127.0.0.1", "-p", str(port), "openapi.yaml"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        start_new_session=True,
    )
    ready = threading.Event()
    lines: list[str] = []

    def watch() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if "Prism is listening" in line:
                ready.set()
        ready.set()

    threading.Thread(target=watch, daemon=True).start()
    listening = ready.wait(timeout=600) and any("Prism is listening" in line for line in lines)
    if not listening or process.poll() is not None:
        os.killpg(process.pid, signal.SIGTERM)
        return "skipped: Prism did not start: " + "".join(lines[-3:]).strip()
    server = Server(process, f"http://127.0.0.1:{port}", time.perf_counter() - began)
    return server


def stop_prism(server: Server) -> None:
    os.killpg(server.process.pid, signal.SIGTERM)
    server.process.wait(timeout=30)


def prism_version() -> str:
    npx = shutil.which("npx")
    if npx is None:
        return "not installed (no Node.js)"
    out = subprocess.run([npx, "--yes", PRISM, "--version"], capture_output=True, text=True,
                         timeout=600)
    return out.stdout.strip() or "unavailable"


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


def load_for(server: Server, path: str | None) -> Load:
    if path is None:
        return Load(f"{server.url}/calltrackings", patch_ids=first_ids(server))
    return Load(server.url + path)


def measure(load: Load, plan: Plan, connections: int | None = None) -> Result:
    connections = connections or plan.connections
    drive(load, plan.warmup, connections, plan.generator)
    return drive(load, plan.seconds, connections, plan.generator)


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


def measure_prism(report: Report) -> None:
    if not report.plan.prism:
        report.prism = "skipped: --no-prism"
        return
    prism = start_prism(port=free_port())
    if isinstance(prism, str):
        report.prism = prism
        return
    try:
        report.prism = measure(Load(prism.url + "/calltrackings?per_page=1"), report.plan)
    finally:
        stop_prism(prism)


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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- report ------------------------------------------------------------------------------


def describe(result: Result) -> str:
    return (f"{result.requests_per_second:8.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
            f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}")


def targets(report: Report) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met); met is None when it could not be measured."""
    rows, sizes = report.rows, report.sizes
    on, off = rows[("list, 50 per page", "on")], rows[("list, 50 per page", "off")]
    ratio1 = on.requests_per_second / off.requests_per_second
    found = [("1. 50-item page, validation on / off >= 0.6",
              f"{ratio1:.2f} ({on.requests_per_second:.0f} / {off.requests_per_second:.0f} req/s)",
              ratio1 >= 0.6)]
    mine = rows[("list, per_page=1", "on")]
    if isinstance(report.prism, Result) and report.prism.requests_per_second > 0:
        ratio2 = mine.requests_per_second / report.prism.requests_per_second
        found.append(("2. per_page=1 validated / Prism >= 1.0",
                      f"{ratio2:.2f} ({mine.requests_per_second:.0f} / "
                      f"{report.prism.requests_per_second:.0f} req/s)", ratio2 >= 1.0))
    else:
        found.append(("2. per_page=1 validated / Prism >= 1.0", str(report.prism), None))
    small, large = min(sizes), max(sizes)
    s, b = sizes[small], sizes[large]
    ratio3 = b["p50_ms"] / s["p50_ms"]
    found.append((f"3. {large:,} records: seeding <= 5 s, RSS <= 300 MB, "
                  f"filtered page <= 5 x {small:,}",
                  f"{b['seed_s']:.2f} s, {b['rss_mb']:.0f} MB, {ratio3:.2f} x "
                  f"({b['p50_ms']:.2f} / {s['p50_ms']:.2f} ms)",
                  b["seed_s"] <= 5 and b["rss_mb"] <= 300 and ratio3 <= 5))
    startup = statistics.median(report.startup)
    found.append(("4. serve -> healthy <= 1.5 s (default data)",
                  f"{startup:.2f} s (median of {len(report.startup)})", startup <= 1.5))
    return found


def render(report: Report, command: str) -> str:
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}`.",
        "",
        "Machine: " + machine(),
        "",
        "Versions: " + ", ".join(versions(report.plan.prism)),
        "",
        f"Load: {report.plan.generator}, {report.plan.connections} connections, "
        f"{report.plan.seconds:g} s per row after {report.plan.warmup:g} s of warm-up; "
        "default data (250 call trackings) unless stated.",
        "",
        "| request | validation | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, _ in SCENARIOS:
        for mode in ("on", "off"):
            r = report.rows[(name, mode)]
            lines.append(f"| {name} | {mode} | {r.requests_per_second:.0f} | {r.p50_ms:.2f} | "
                         f"{r.p99_ms:.2f} | {r.errors} |")
    if isinstance(report.prism, Result):
        r = report.prism
        lines.append(f"| Prism mock, per_page=1 (static example) | Prism's | "
                     f"{r.requests_per_second:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
                     f"{r.errors} |")
    else:
        lines.append(f"| Prism mock, per_page=1 | {report.prism} | | | | |")
    lines += [
        "",
        "| call trackings | seeding s | RSS MB | serve -> healthy s | filtered + sorted page, "
        "1 connection: p50 ms | p99 ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for count, s in sorted(report.sizes.items()):
        lines.append(f"| {count:,} | {s['seed_s']:.2f} | {s['rss_mb']:.0f} | "
                     f"{s['startup_s']:.2f} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} |")
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


def versions(with_prism: bool) -> list[str]:
    found = [f"Python {platform.python_version()}"]
    found += [f"{name} {version(name)}" for name in PACKAGES]
    found.append(wrk_version())
    if with_prism and shutil.which("node"):
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
        found += [f"Prism {prism_version()}", f"Node.js {node.strip()}"]
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
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sizes", help="comma-separated record counts (default 1000,10000,100000)")
    parser.add_argument("--generator", choices=["wrk", "python"],
                        help="load generator (default: wrk if installed)")
    parser.add_argument("--no-prism", action="store_true", help="skip the Prism row")
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
        prism=not (args.no_prism or quick),
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = plan_from(args)
    report = Report(plan)
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"mock benchmark ({plan.generator}, {plan.connections} connections, "
          f"{plan.seconds:g} s per row)", flush=True)
    print("start-up:", flush=True)
    measure_startup(report)
    print("throughput, default data:", flush=True)
    measure_throughput(report)
    print("Prism:", flush=True)
    measure_prism(report)
    print(f"  {describe(report.prism) if isinstance(report.prism, Result) else report.prism}")
    print("data sizes:", flush=True)
    measure_sizes(report)
    table = render(report, command.strip())
    print("\n" + table)
    write(args.output, table)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
