"""Forwarding one request to the upstream deployment, with hop-by-hop headers dropped, a
timeout, and a bound on the answer's size.

The bytes go both ways unchanged: ``requests`` sends only the headers given (its own
defaults are cleared) and the answer's body is read raw, still encoded, so the client gets
what the upstream sent; inspection decodes a copy. ``Host`` is the upstream's, as a reverse
proxy sends it, so virtual hosts in front of a real deployment route it.
"""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass

import requests
from werkzeug.datastructures import Headers

# RFC 9110 7.6.1, and what the proxy settles itself: Host, Content-Length, and Expect (it
# has the whole body before it forwards any of it).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate",
                        "proxy-authorization", "proxy-connection", "te", "trailer", "trailers",
                        "transfer-encoding", "upgrade", "host", "content-length", "expect"})
CHUNK = 1 << 16


class UpstreamError(Exception):
    """The upstream could not be reached or gave no usable answer: a 502."""

    status = 502


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer within the timeout: a 504."""

    status = 504


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: Headers  # hop-by-hop ones removed
    body: bytes  # as sent (still encoded)
    head_length: str | None = None  # a HEAD answer's Content-Length: the GET body's

    @property
    def content_length(self) -> str:
        return self.head_length if self.head_length is not None else str(len(self.body))

    def decoded(self, limit: int) -> bytes:
        """The body without its Content-Encoding (gzip, deflate), at most ``limit`` bytes."""
        encoding = self.headers.get("Content-Encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            window = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
            try:
                return zlib.decompressobj(window).decompress(self.body, limit)
            except zlib.error:
                return b""
        return self.body


def end_to_end(headers: Headers) -> Headers:
    """The headers a proxy passes on: without the hop-by-hop ones, and those ``Connection``
    names."""
    named = {part.strip().lower() for value in headers.getlist("Connection")
             for part in value.split(",")}
    return Headers([(k, v) for k, v in headers.items()
                    if k.lower() not in HOP_BY_HOP and k.lower() not in named])


class Upstream:
    def __init__(self, base_url: str, timeout: float, max_response: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_response = max_response
        self._local = threading.local()  # one connection pool per server thread

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers.clear()  # send exactly the client's headers
            session.trust_env = False  # no proxy settings or .netrc of this machine
        return session

    def forward(self, method: str, target: str, headers: Headers, body: bytes) -> Answer:
        try:
            with self._session().request(
                method, self.base_url + target, headers=dict(end_to_end(headers)),
                data=body or None, timeout=self.timeout, stream=True, allow_redirects=False,
            ) as response:
                content = self._read(response)
                headers = Headers(list(response.raw.headers.items()))  # repeated ones kept
                length = headers.get("Content-Length") if method == "HEAD" else None
                kept = end_to_end(headers)
                return Answer(response.status_code, response.reason or "", kept, content,
                              length)
        except requests.Timeout as exc:
            raise UpstreamTimeout(f"no answer within {self.timeout:g} s") from exc
        except requests.RequestException as exc:
            raise UpstreamError(f"no usable answer: {type(exc).__name__}") from exc

    def _read(self, response: requests.Response) -> bytes:
        """The whole body, within the size bound and the timeout (counted for the whole
        body, so an upstream dribbling a byte at a time cannot hold the proxy's thread)."""
        chunks, size = [], 0
        deadline = time.monotonic() + self.timeout
        for chunk in response.raw.stream(CHUNK, decode_content=False):
            if time.monotonic() > deadline:
                raise UpstreamTimeout(f"the answer took longer than {self.timeout:g} s")
            size += len(chunk)
            if size > self.max_response:
                raise UpstreamError(f"the answer is larger than {self.max_response} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
