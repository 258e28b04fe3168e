"""Slow, idle and oversized connections against a real server: others are still served.

The bounds are the issue's: a normal client is answered within 2 s while 500 connections
trickle their headers a byte at a time and 2,000 keep-alive ones sit idle; the trickling
ones are closed once their header timeout passes, the idle ones once their idle timeout
does, and a body over the limit is refused from its Content-Length, before it is sent.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from conftest import PINNED_NOW, RunningServer, start_server
from helpers import wait_until
from hostility import (
    ADMIN,
    address,
    ask,
    close_all,
    closed_by_peer,
    connections,
    read_head,
    rss_mb,
    send_all,
)

HEAD = b"GET /calltrackings HTTP/1.1\r\nHost: x\r\nX-Slow: "


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_server("--now", PINNED_NOW, "--header-timeout", "3", "--body-timeout", "4",
                           "--channel-timeout", "5", "--max-body", "10000")
    try:
        yield running
    finally:
        running.stop()


def test_a_client_is_served_while_thousands_trickle_or_idle(server: RunningServer) -> None:
    idle = connections(server.url, 2000)
    for sock in idle[:200]:  # some of them keep-alive after one answered request
        sock.sendall(b"GET /__mock/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_head(sock).startswith(b"HTTP/1.1 200")
    trickling = connections(server.url, 500)
    stop = threading.Event()

    def trickle() -> None:
        for i in range(100):
            send_all(trickling, HEAD[i:i + 1] if i < len(HEAD) else b"a")
            if stop.wait(0.2):
                return

    feeder = threading.Thread(target=trickle)
    feeder.start()
    try:
        answers = [ask(server.url, "GET", "/__mock/health", timeout=5) for _ in range(5)]
        listed = ask(server.url, "GET", "/calltrackings?per_page=5", ADMIN, timeout=5)
        assert [a.status for a in answers] == [200] * 5
        assert max(a.seconds for a in answers) < 2, [a.seconds for a in answers]
        assert (listed.status, listed.seconds < 2) == (200, True)
        # headers that never end: closed once the header timeout (3 s) has passed
        wait_until(lambda: all(closed_by_peer(s) for s in trickling), timeout=10,
                   what="the trickling connections to be closed")
    finally:
        stop.set()
        feeder.join()
    wait_until(lambda: all(closed_by_peer(s) for s in idle), timeout=15,
               what="the idle connections to be closed")
    close_all(idle + trickling)


def test_a_body_over_the_limit_is_refused_before_it_is_sent(server: RunningServer) -> None:
    rss_before = rss_mb(server.process.pid)
    sock = socket.create_connection(address(server.url), timeout=5)
    sock.sendall(b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 b"admin-token\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1073741824\r\n\r\n")  # 1 GiB declared, nothing sent
    head = read_head(sock, timeout=2)
    sock.close()
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert rss_mb(server.process.pid) - rss_before < 5


def test_a_chunked_body_over_the_limit_is_cut_off(server: RunningServer) -> None:
    sock = socket.create_connection(address(server.url), timeout=5)
    sock.sendall(b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 b"admin-token\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"1000\r\n" + b" " * 0x1000 + b"\r\n"
    try:
        for _ in range(64):  # 256 KiB offered, the limit is 10,000 bytes
            sock.sendall(chunk)
    except OSError:
        pass  # the server closed it: it answered already
    head = read_head(sock, timeout=5)
    sock.close()
    assert head.startswith(b"HTTP/1.1 413 "), head


def test_a_body_that_never_arrives_times_out(server: RunningServer) -> None:
    sock = socket.create_connection(address(server.url), timeout=10)
    sock.sendall(b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n"
                 b"Content-Type: application/json\r\n\r\n{")
    wait_until(lambda: closed_by_peer(sock), timeout=10,
               what="the connection whose body stalled to be closed")
    sock.close()
    assert ask(server.url, "GET", "/__mock/health").status == 200
