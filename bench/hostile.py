"""Hostile and heavy clients against a real ``mockserver serve``: what each one costs others.

    python bench/hostile.py             # every probe, about two minutes (`make hostile`)
    python bench/hostile.py --only slow_and_idle,delay_flood

Each probe starts its own server process, does one kind of harm, and prints what a
well-behaved client saw meanwhile (latencies, statuses) and what the server kept (memory,
log, records). Figures, not verdicts: ``tests/hostile/`` holds the bounds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Server, start_mock

ADMIN = {"Authorization": "Bearer admin-token"}
AGENT = {"Authorization": "Bearer agent-token"}
JSON = {"Content-Type": "application/json"}
Figures = dict[str, Any]


# --- helpers -----------------------------------------------------------------------------


@contextmanager
def serving(*args: str) -> Iterator[tuple[Server, Path]]:
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "mock.log"
        server = start_mock("--now", "2025-01-15T09:30:00+04:00", *args, log=log)
        try:
            yield server, log
        finally:
            server.stop()


def address(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def call(server: Server, method: str, path: str, headers: dict[str, str] | None = None,
         body: bytes | None = None, timeout: float = 60) -> tuple[int, bytes, float]:
    """One request on a new connection: (status, body, seconds); status 0 if it failed."""
    host, port = address(server)
    began = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - began
    except OSError:
        return 0, b"", time.perf_counter() - began
    finally:
        connection.close()


def health_latencies(server: Server, n: int = 5, timeout: float = 10) -> list[float | None]:
    """Seconds each of ``n`` health checks took, None for one not answered in ``timeout``."""
    out: list[float | None] = []
    for _ in range(n):
        status, _, seconds = call(server, "GET", "/__mock/health", timeout=timeout)
        out.append(round(seconds, 3) if status == 200 else None)
    return out


def rss_mb(server: Server) -> float:
    return round(server.rss_mb(), 1)


def cpu_seconds(server: Server) -> float:
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_calls(server: Server) -> int:
    status, body, _ = call(server, "GET", "/calltrackings?per_page=1", ADMIN)
    return json.loads(body)["count"] if status == 200 else -1


def in_parallel(jobs: list[Callable[[], Any]]) -> list[Any]:
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        results[i] = jobs[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- probes ------------------------------------------------------------------------------


def slow_and_idle(trickling: int = 500, idle: int = 2000) -> Figures:
    """Connections that trickle headers a byte a second, and keep-alive ones left idle."""
    with serving() as (server, _):
        host, port = address(server)
        idlers, unconnected = _connections(host, port, idle)
        tricklers, unconnected_tricklers = _connections(host, port, trickling)
        stop = threading.Event()
        prefix = b"GET /calltrackings HTTP/1.1\r\nHost: x\r\nX-Pad: "

        def trickle() -> None:
            for i in range(10_000):
                for sock in tricklers:
                    with suppress(OSError):
                        sock.send(prefix[i:i + 1] if i < len(prefix) else b"a")
                if stop.wait(1.0):
                    return

        threading.Thread(target=trickle, daemon=True).start()
        time.sleep(3)  # the connections are all in place and trickling
        latencies = health_latencies(server)
        listed = call(server, "GET", "/calltrackings?per_page=5", ADMIN, timeout=10)
        time.sleep(12)  # beyond a header timeout of 10 s
        open_tricklers = sum(1 for s in tricklers if _still_open(s))
        open_idlers = sum(1 for s in idlers if _still_open(s))
        stop.set()
        for sock in idlers + tricklers:
            sock.close()
        return {"connections not even accepted": unconnected + unconnected_tricklers,
                "health latencies (s)": latencies, "list answered": listed[0] == 200,
                "list seconds": round(listed[2], 3),
                f"trickling still open after 15 s (of {trickling})": open_tricklers,
                f"idle still open after 15 s (of {idle})": open_idlers}


def _connections(host: str, port: int, n: int) -> tuple[list[socket.socket], int]:
    """``n`` connections, or as many as the server accepts; and how many it did not."""
    made: list[socket.socket] = []
    for _ in range(n):
        for _attempt in range(3):  # as a client's TCP stack retries a dropped SYN
            try:
                made.append(socket.create_connection((host, port), timeout=1))
                break
            except OSError:
                continue
        else:
            break  # refused three times: the server takes no more
    return made, n - len(made)


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def delay_flood() -> Figures:
    """Eight unauthenticated 30 s delays, then a session whose fault delays everything."""
    with serving() as (server, _):
        flood = [lambda: call(server, "GET", "/calltrackings", {"Prefer": "delay=30000"})
                 for _ in range(8)]  # fmt: skip
        results: list[Any] = []
        runner = threading.Thread(target=lambda: results.extend(in_parallel(flood)))
        runner.start()
        time.sleep(0.5)
        unauthenticated = health_latencies(server)
        runner.join()
        rule = json.dumps({"rules": [{"operation": "*", "delay": {"min_ms": 30000,
                                                                  "max_ms": 30000}}]})
        session = {"X-Mock-Session": "slow", **ADMIN, **JSON}
        call(server, "GET", "/calltrackings?per_page=1", session)
        call(server, "PUT", "/__mock/faults", session, rule.encode())
        flood = [lambda: call(server, "GET", "/calltrackings?per_page=1", session)
                 for _ in range(16)]  # fmt: skip
        runner = threading.Thread(target=lambda: in_parallel(flood))
        runner.start()
        time.sleep(0.5)
        faulted = health_latencies(server)
        runner.join()
        return {"unauthenticated Prefer delay: statuses": sorted({r[0] for r in results}),
                "unauthenticated Prefer delay: seconds": round(max(r[2] for r in results), 1),
                "health meanwhile (s)": unauthenticated,
                "health while a session's fault delays 16 (s)": faulted}


def big_error_bodies(rounds: int = 30) -> Figures:
    """PATCHes naming 100,000 unknown ids; then 100,000 string ids, alone and eight at once."""
    with serving() as (server, log):
        ids = json.dumps({"calltrackings": list(range(10**6, 10**6 + 100_000)),
                          "operations": [{"op": "replace", "path": "/seen", "value": True}]})
        rss_before, log_before = rss_mb(server), log.stat().st_size
        sizes, seconds = [], []
        for _ in range(rounds):
            status, body, took = call(server, "PATCH", "/calltrackings", {**ADMIN, **JSON},
                                      ids.encode())
            sizes.append(len(body))
            seconds.append(took)
        journal = call(server, "GET", "/__mock/requests?limit=1")[1]
        strings = json.dumps({"calltrackings": [str(i) for i in range(100_000)],
                              "operations": [{"op": "replace", "path": "/seen", "value": True}]})
        cpu = cpu_seconds(server)
        one = call(server, "PATCH", "/calltrackings", {**ADMIN, **JSON}, strings.encode())
        cpu_one = cpu_seconds(server) - cpu
        eight = in_parallel([lambda: call(server, "PATCH", "/calltrackings", {**ADMIN, **JSON},
                                          strings.encode()) for _ in range(8)])
        return {"unknown ids: status, body bytes": (status, max(sizes)),
                "unknown ids: seconds each (max)": round(max(seconds), 2),
                f"RSS growth after {rounds} (MB)": round(rss_mb(server) - rss_before, 1),
                f"log growth after {rounds} (bytes)": log.stat().st_size - log_before,
                "journal answer for one entry (bytes)": len(journal),
                "string ids: status": one[0], "string ids: CPU s": round(cpu_one, 2),
                "string ids, eight at once: seconds each (max)": round(
                    max(r[2] for r in eight), 2)}


def huge_body() -> Figures:
    """A declared 1 GiB body: how much is sent before the answer, and how long it takes."""
    with serving() as (server, _):
        host, port = address(server)
        sock = socket.create_connection((host, port), timeout=30)
        sock.sendall(b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     b"admin-token\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1073741824\r\n\r\n")
        sent, chunk, began = 0, b"0" * 65536, time.perf_counter()
        sock.setblocking(False)
        answer = b""
        while sent < 1 << 30 and time.perf_counter() - began < 60:
            with suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sent += sock.send(chunk)
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                break
        sock.setblocking(True)
        sock.settimeout(30)
        with suppress(OSError):
            while b"\r\n\r\n" not in answer:
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        sock.close()
        took = time.perf_counter() - began
        status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "none"
        silent = socket.create_connection((host, port), timeout=30)
        silent.sendall(b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
                       b"Content-Type: application/json\r\n\r\n{")
        began_silent = time.perf_counter()
        silent.settimeout(90)
        with suppress(OSError):
            silent.recv(65536)
        silent.close()
        return {"status": status, "MiB sent before the answer": round(sent / 2**20, 1),
                "seconds to the answer": round(took, 2),
                "a body that never arrives: closed after (s)": round(
                    time.perf_counter() - began_silent, 1)}


def full_disk() -> Figures:
    """The state file on a full disk: is an acknowledged change kept across a restart?"""
    mount = Path(tempfile.mkdtemp())
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        return {"skipped": "tmpfs cannot be mounted here (needs root)"}
    try:
        state = mount / "state.json"
        with serving("--state-file", str(state)) as (server, _):
            filler = mount / "filler"
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k"], capture_output=True)
            patch = json.dumps({"calltrackings": [1], "operations": [
                {"op": "replace", "path": "/assignment/user", "value": 5}]}).encode()
            patched = call(server, "PATCH", "/calltrackings", {**ADMIN, **JSON}, patch)[0]
            deleted = call(server, "DELETE", "/calltrackings/2", ADMIN)[0]
            filler.unlink()
        with serving("--state-file", str(state)) as (server, _):
            listed = json.loads(call(server, "GET", "/calltrackings?per_page=3", ADMIN)[1])
            records = {ct["id"]: ct for ct in listed["call_trackings"]}
        return {"PATCH answered": patched, "DELETE answered": deleted,
                "after restart: call 1's user": records.get(1, {}).get("user"),
                "after restart: call 2 present": 2 in records}
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)
        mount.rmdir()


def typo_bodies() -> Figures:
    """Bulk bodies with a misspelt or duplicated key: how many records they touch."""
    out: Figures = {}
    cases = [
        ("DELETE", '{"calltracking": [11]}'), ("DELETE", '{"ids": [12]}'),
        ("DELETE", '{"calltrackings": [1006], "calltrackings": []}'),
        ("PATCH", '{"calltracking": [10], "operations": [{"op": "replace", "path": "/seen", '
                  '"value": true}]}'),
    ]  # fmt: skip
    for method, body in cases:
        with serving() as (server, _):
            before = count_calls(server)
            before_seen = _seen(server)
            status = call(server, method, "/calltrackings", {**ADMIN, **JSON}, body.encode())[0]
            touched = (before - count_calls(server) if method == "DELETE"
                       else _seen(server) - before_seen)
            out[f"{method} {body[:40]}"] = f"{status}, {touched} records touched"
    return out


def _seen(server: Server) -> int:
    body = json.loads(call(server, "GET", "/calltrackings?per_page=500", ADMIN)[1])
    return sum(ct["marked_as_seen"] for ct in body["call_trackings"])


def session_churn() -> Figures:
    """Unauthenticated requests naming new sessions; and creating one at 100,000 records."""
    with serving("--max-sessions", "100") as (server, _):
        rule = json.dumps({"rules": [{"operation": "*", "error": {"status": 503,
                                                                  "probability": 1}}]})
        tester = {"X-Mock-Session": "qa-alice", **ADMIN, **JSON}
        call(server, "GET", "/calltrackings?per_page=1", tester)
        call(server, "PUT", "/__mock/faults", tester, rule.encode())
        for i in range(101):
            call(server, "GET", "/__mock/health", {"X-Mock-Session": f"churn-{i}"})
        faults = json.loads(call(server, "GET", "/__mock/faults", tester)[1])
    with serving("--count", "100000") as (server, _):
        results: list[Any] = []
        creator = threading.Thread(target=lambda: results.append(call(
            server, "GET", "/calltrackings?per_page=1", {"X-Mock-Session": "big", **ADMIN})))
        creator.start()
        time.sleep(0.05)
        meanwhile = health_latencies(server, n=3)
        creator.join()
    return {"tester's fault rules after 101 anonymous sessions": len(faults.get("rules", [])),
            "first request of a new session at 100,000 records (s)": round(results[0][2], 2),
            "default-session health meanwhile (s)": meanwhile}


def foreign_relation() -> Figures:
    """The agent assigns another user's lead to its own call, then expands it."""
    with serving() as (server, _):
        patch = json.dumps({"calltrackings": [2], "operations": [
            {"op": "replace", "path": "/assignment/lead", "value": 102}]}).encode()
        status = call(server, "PATCH", "/calltrackings", {**AGENT, **JSON}, patch)[0]
        lead = _expanded_lead(server, "pfflex-2")  # the agent's own lead, 101
        foreign = _expanded_lead(server, "pfflex-7")  # lead 103, which user 5 owns
        return {"assign user 1's lead 102 to the agent's call 2": status,
                "the agent then reads call 2's lead": lead,
                "the agent reads call 7's lead (user 5's)": foreign}


def _expanded_lead(server: Server, reference: str) -> Any:
    body = json.loads(call(server, "GET", f"/calltrackings?filters[reference]={reference}",
                           {**AGENT, "X-MyCRM-Expand-Data": "lead"})[1])
    lead = body["call_trackings"][0]["lead"] if body.get("call_trackings") else None
    return f"the full lead {lead['id']}" if lead and "first_name" in lead else lead


def small_ones() -> Figures:
    """Integer spellings, a forged log line, a cross-site form POST, encodings, wordings."""
    out: Figures = {}
    with serving() as (server, log):
        for label, path in [("/calltrackings/%D9%A3 (Arabic-Indic 3)", "/calltrackings/%D9%A3"),
                            ("/calltrackings/%EF%BC%94 (full-width 4)", "/calltrackings/%EF%BC%94"),
                            ("/calltrackings/+8", "/calltrackings/+8"),
                            ("/calltrackings/1_0", "/calltrackings/1_0")]:
            out[f"DELETE {label}"] = call(server, "DELETE", path, ADMIN)[0]
        out["per_page=%201"] = call(server, "GET", "/calltrackings?per_page=%201", ADMIN)[0]
        call(server, "GET", "/calltrackings%0a2025-01-01%2000:00:00%20INFO%20FORGED", ADMIN)
        out["forged log line"] = any(line.startswith("2025-01-01 00:00:00 INFO FORGED")
                                     for line in log.read_text().splitlines())
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        out["cross-site empty form POST /__mock/reset"] = call(
            server, "POST", "/__mock/reset", {**form, "Content-Length": "0"})[0]
        host, port = address(server)
        connection = http.client.HTTPConnection(host, port, timeout=10)
        connection.putrequest("GET", "/calltrackings?per_page=1")
        connection.putheader("Authorization", "Bearer admin-token")
        connection.putheader("X-MyCRM-Expand-Data", "\u00fc".encode())
        connection.endheaders()
        out["warning for expand name 'ü'"] = connection.getresponse().getheader(
            "X-MyCRM-API-Warning")
        connection.close()
        body = json.dumps({"operations": [{"op": "replace", "path": "/assignment/user",
                                           "value": None}]}).encode()
        reply = json.loads(call(server, "PATCH", "/calltrackings", {**ADMIN, **JSON}, body)[1])
        out["reason for a null value"] = [e["reason"] for e in reply.get("errors", [])][:1]
    return out


PROBES: dict[str, Callable[[], Figures]] = {
    "slow_and_idle": slow_and_idle, "delay_flood": delay_flood,
    "big_error_bodies": big_error_bodies, "huge_body": huge_body, "full_disk": full_disk,
    "typo_bodies": typo_bodies, "session_churn": session_churn,
    "foreign_relation": foreign_relation, "small_ones": small_ones,
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated probes among " + ", ".join(PROBES))
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(PROBES)
    print(f"# hostile clients: {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, command: python bench/hostile.py "
          + " ".join(argv if argv is not None else sys.argv[1:]))
    for name in chosen:
        began = time.perf_counter()
        figures = PROBES[name]()
        print(f"\n## {name} ({time.perf_counter() - began:.0f} s)")
        for key, value in figures.items():
            print(f"- {key}: {value}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
