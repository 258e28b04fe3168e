"""Tools of the hostile-client tests: raw sockets, timings and the server's memory."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

T = TypeVar("T")
ADMIN = {"Authorization": "Bearer admin-token"}
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (the connection failed or timed out)
    body: bytes
    seconds: float
    headers: CaseInsensitiveDict[str]


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def ask(url: str, method: str, path: str, headers: dict[str, str] | None = None,
        body: bytes | None = None, timeout: float = 10) -> Answer:
    """One request on a new connection, timed; status 0 if no answer came in ``timeout``."""
    host, port = address(url)
    began = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, data, time.perf_counter() - began,
                      CaseInsensitiveDict(response.getheaders()))
    except OSError:
        return Answer(0, b"", time.perf_counter() - began, CaseInsensitiveDict())
    finally:
        connection.close()


def timed(action: Callable[[], T]) -> tuple[T, float]:
    began = time.perf_counter()
    result = action()
    return result, time.perf_counter() - began


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert found is not None
    return int(found.group(1)) / 1024


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def connections(url: str, n: int) -> list[socket.socket]:
    host, port = address(url)
    return [socket.create_connection((host, port), timeout=5) for _ in range(n)]


def closed_by_peer(sock: socket.socket) -> bool:
    """Whether the other end closed the connection: reading what it sent (and dropping it)
    ends in EOF or an error rather than waiting for more."""
    sock.setblocking(False)
    try:
        while sock.recv(65536):
            pass
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def send_all(socks: list[socket.socket], data: bytes) -> None:
    for sock in socks:
        with suppress(OSError):
            sock.send(data)


def read_head(sock: socket.socket, timeout: float = 10) -> bytes:
    """The response head the server sends on ``sock`` (up to the blank line), or b""."""
    sock.settimeout(timeout)
    head = b""
    with suppress(OSError):
        while b"\r\n\r\n" not in head:
            more = sock.recv(4096)
            if not more:
                break
            head += more
    return head


def close_all(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


def json_of(answer: Answer) -> Any:
    return json.loads(answer.body)
