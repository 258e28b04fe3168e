"""Errors that waitress answers before the app sees a request still have the Error body."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from conftest import RunningServer, start_server

from mockserver.core.spec import Spec

ERROR = Spec.load().component_validator("Error")


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = start_server()
    try:
        yield running
    finally:
        running.stop()


def exchange(server: RunningServer, raw: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send raw bytes, read until the server closes: (status line, headers, body)."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return status, headers, body


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"GARBAGE\r\n\r\n", "HTTP/1.0 400 Bad Request", "Bad Request: Start line is invalid"),
        (b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
         "HTTP/1.1 400 Bad Request", "Bad Request: Content-Length is invalid"),
        (b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"zz\r\n", "HTTP/1.1 400 Bad Request", "Bad Request: Invalid chunk size"),
    ],
    ids=["malformed request line", "invalid content length", "broken chunked body"],
)
def test_waitress_errors_are_json(server: RunningServer, raw: bytes, status: str,
                                  message: str) -> None:
    line, headers, body = exchange(server, raw)
    assert line == status
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert ERROR.is_valid(document)
    assert document["code"] == int(status.split()[1])
    assert document["message"].startswith(message)
