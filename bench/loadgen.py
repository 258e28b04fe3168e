"""Load generators: wrk when the system has it, else a bounded Python one.

Both send one request shape over keep-alive connections for a fixed time and report the
same figures: requests per second, p50 and p99 latency, and how many answers were not 2xx.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PATCH_SCRIPT = Path(__file__).with_name("patch.lua")
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    """One request shape: GET a URL, or PATCH the listed ids seen/unseen in turn."""

    url: str
    token: str = "admin-token"
    patch_ids: tuple[int, ...] = ()

    def body(self, turn: int) -> bytes | None:
        if not self.patch_ids:
            return None
        ids = ",".join(map(str, self.patch_ids))
        seen = "true" if turn % 2 == 0 else "false"
        return (f'{{"calltrackings":[{ids}],"operations":[{{"op":"replace","path":"/seen",'
                f'"value":{seen}}}]}}').encode()


@dataclass(frozen=True)
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # answers that were not 2xx, and socket errors


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_version() -> str:
    path = wrk_path()
    if path is None:
        return "not installed"
    out = subprocess.run([path, "-v"], capture_output=True, text=True).stdout
    return out.split(" Copyright")[0].strip()


def run_wrk(load: Load, seconds: float, connections: int, threads: int) -> Result:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
           "--latency", "--timeout", "10s", "-H", f"Authorization: Bearer {load.token}"]
    env = dict(os.environ)
    if load.patch_ids:
        cmd += ["-s", str(PATCH_SCRIPT)]
        env.update(BENCH_PATCH_IDS=",".join(map(str, load.patch_ids)), BENCH_TOKEN=load.token)
    out = subprocess.run([*cmd, load.url], capture_output=True, text=True, env=env,
                         check=True, timeout=seconds + 60).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> Result:
    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * UNITS[unit]

    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(map(int, sockets.groups())) if sockets else 0
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Result(rps, latency("50"), latency("99"), total, errors)


def run_python(load: Load, seconds: float, connections: int) -> Result:
    """``connections`` threads, each on one keep-alive connection, for ``seconds``."""
    parts = urlsplit(load.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or "127.0.0.1"
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection(host, parts.port, timeout=10)
        mine, failed, turn = [], 0, 0
        while time.monotonic() < deadline:
            body = load.body(turn)
            turn += 1
            headers = {"Authorization": f"Bearer {load.token}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            try:
                conn.request("PATCH" if body else "GET", target, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                failed += not 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection(host, parts.port, timeout=10)
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    if not latencies:
        return Result(0.0, 0.0, 0.0, 0, errors[0])
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return Result(len(latencies) / elapsed, pick(0.5), pick(0.99), len(latencies), errors[0])


def drive(load: Load, seconds: float, connections: int, generator: str) -> Result:
    if generator == "wrk":
        return run_wrk(load, seconds, connections, threads=min(2, connections))
    return run_python(load, seconds, connections)
