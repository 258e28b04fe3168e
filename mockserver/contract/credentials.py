"""A bearer token for the run: given (``--token``), or obtained by client credentials the
way the upstream documents it, and obtained again before it expires.

The documented request (the upstream's introduction page): ``POST`` to the token URL with
``Authorization: Basic base64(<API key>:<API secret>)`` and the JSON body
``{"scope": "openid", "grant_type": "client_credentials"}``. ``--token-request form`` sends
RFC 6749's form-encoded request instead, for standard OAuth servers. Upstream tokens live 30
minutes and cannot be refreshed, so a long run fetches a fresh one before the one it holds
expires; every request of the run then carries the fresh one.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from .. import __version__
from .outgoing import before_each_request

if TYPE_CHECKING:
    import requests

# Every request of a run names the runner: the upstream's edge refuses requests without one.
USER_AGENT = f"mockserver-contract/{__version__}"
REQUEST_STYLES = ("json", "form")
SCOPE = "openid"


class CredentialsError(Exception):
    """The run cannot authenticate; the message says why, without any secret."""


@dataclass(frozen=True)
class Token:
    value: str
    origin: str  # for the summary: where it came from
    expires_in: int | None = None


def fetch_token(token_url: str, client_id: str, client_secret: str, timeout: float,
                style: str = "json") -> Token:
    """POST the client-credentials grant, as documented (``json``) or as RFC 6749 (``form``)."""
    if style == "json":  # the upstream's own words: base64(<API key>:<API secret>)
        pair, content_type = f"{client_id}:{client_secret}".encode(), "application/json"
        body = json.dumps({"scope": SCOPE, "grant_type": "client_credentials"}).encode()
    else:  # RFC 6749 2.3.1: id and secret are form-encoded before being joined
        pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
        content_type = "application/x-www-form-urlencoded"
        body = urlencode({"grant_type": "client_credentials", "scope": SCOPE}).encode()
    request = urllib.request.Request(
        token_url,
        data=body,
        headers={
            "Authorization": "Basic " + base64.b64encode(pair).decode(),
            "Content-Type": content_type,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        raise CredentialsError(_refusal(token_url, exc.code, exc.read())) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CredentialsError(f"cannot reach the token endpoint {token_url}: {reason}") from None
    return _token_from(token_url, status, body)


class TokenSource:
    """The run's token, fetched again before it expires (when it came from an endpoint).

    A token is renewed when less than a tenth of its life (a minute at most) is left, before
    the request that would otherwise carry it expired; ``fetches`` counts the tokens used.
    """

    def __init__(self, first: Token, fetch: Callable[[], Token] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token = first
        self.fetches = 1
        self._fetch = fetch
        self._clock = clock
        self._since = clock()
        self._lock = threading.Lock()
        self._handed_out = {first.value}

    @property
    def renewable(self) -> bool:
        return self._fetch is not None and self.token.expires_in is not None

    @property
    def value(self) -> str:
        with self._lock:
            if self.renewable and self._due():
                assert self._fetch is not None
                self.token = self._fetch()
                self._since = self._clock()
                self.fetches += 1
                self._handed_out.add(self.token.value)
            return self.token.value

    def _due(self) -> bool:
        lifetime = self.token.expires_in or 0
        margin = min(60.0, lifetime / 10)
        return self._clock() - self._since >= lifetime - margin

    @contextmanager
    def installed(self) -> Iterator[TokenSource]:
        """Every request of the run that carries one of its tokens carries the current one."""
        with before_each_request(self._renew_in):
            yield self

    def _renew_in(self, request: requests.PreparedRequest) -> None:
        header = request.headers.get("Authorization", "")
        text = header.decode("latin-1") if isinstance(header, bytes) else header
        scheme, _, value = text.partition(" ")
        if scheme == "Bearer" and value in self._handed_out:
            request.headers["Authorization"] = f"Bearer {self.value}"


def _token_from(token_url: str, status: int, body: bytes) -> Token:
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    token = document.get("access_token") if isinstance(document, dict) else None
    if not isinstance(token, str) or not token:
        raise CredentialsError(
            f"the token endpoint {token_url} answered {status} without an access_token"
        )
    kind = str(document.get("token_type", "Bearer"))
    if kind.lower() != "bearer":
        raise CredentialsError(f"the token endpoint gave a {kind!r} token, not a bearer token")
    expires = document.get("expires_in")
    return Token(token, f"client credentials from {token_url}",
                 expires if isinstance(expires, int) else None)


def _refusal(token_url: str, status: int, body: bytes) -> str:
    """The endpoint's own reason (RFC 6749 5.2: ``error`` and ``error_description``)."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    reason = ""
    if isinstance(document, dict) and "error" in document:
        reason = f": {document['error']}"
        if document.get("error_description"):
            reason += f" ({document['error_description']})"
    verdict = "refused the client credentials" if status in (400, 401, 403) else "failed"
    return f"the token endpoint {token_url} {verdict} with HTTP {status}{reason}"
