"""Errors the server answers before the app sees a request still have the Error body."""

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
        (b"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request",
         "Bad Request: Invalid method encountered"),
        (b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
         "HTTP/1.1 400 Bad Request", "Bad Request: Invalid character in Content-Length"),
        (b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"zz\r\n", "HTTP/1.1 400 Bad Request", "Bad Request: Invalid character in chunk size"),
        (b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 400 Bad Request",
         "Bad Request: Transfer-Encoding can't be present with Content-Length"),
        (b"GET /calltrackings HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n",
         "HTTP/1.1 431 Request Header Fields Too Large",
         "The request line and headers are larger than the limit of 262144 bytes."),
        (b"GET /calltrackings HTTP/2.0\r\nHost: x\r\n\r\n",
         "HTTP/1.1 505 HTTP Version Not Supported",
         "HTTP/2.0 is not supported: send HTTP/1.1."),
        (b"PATCH /calltrackings HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n",
         "HTTP/1.1 413 Request Entity Too Large",
         "The request body is larger than the limit of 1048576 bytes."),
    ],
    ids=["malformed request line", "invalid content length", "broken chunked body",
         "both lengths", "headers too large", "another HTTP version", "body too large"],
)
def test_errors_the_server_answers_are_json(server: RunningServer, raw: bytes, status: str,
                                            message: str) -> None:
    line, headers, body = exchange(server, raw)
    assert line == status
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    document = json.loads(body)
    assert ERROR.is_valid(document)
    assert document == {"code": int(status.split()[1]), "message": message}


@pytest.mark.parametrize("request_head", [
    b"GET /__mock/health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
    b"POST /__mock/reset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 0\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
])
def test_expect_continue_without_a_body_is_answered_not_left_waiting(
        server: RunningServer, request_head: bytes) -> None:
    """A server that answered "100 Continue" here would wait for a body that never comes;
    the socket's 10-second timeout fails this test if the answer does not come first."""
    status, headers, body = exchange(server, request_head)
    assert (status, headers["content-type"]) == ("HTTP/1.1 200 OK", "application/json")
    assert json.loads(body)["status"] in ("ok", "reset")
