"""A bearer token for the run: given (``--token``), or obtained once by the OAuth 2.0
client-credentials grant, as the upstream's integration credentials work (RFC 6749 4.4).

Upstream tokens live 30 minutes and have no refresh flow, so one token is fetched per run,
before the first request; a refusal stops the run (exit 2) with the endpoint's own reason.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlencode


class CredentialsError(Exception):
    """The run cannot authenticate; the message says why, without any secret."""


@dataclass(frozen=True)
class Token:
    value: str
    origin: str  # for the summary: where it came from
    expires_in: int | None = None


def fetch_token(token_url: str, client_id: str, client_secret: str, timeout: float) -> Token:
    """POST the client-credentials grant; the client authenticates with HTTP Basic."""
    # RFC 6749 2.3.1: id and secret are form-encoded before being joined and base64-encoded.
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
    request = urllib.request.Request(
        token_url,
        data=urlencode({"grant_type": "client_credentials"}).encode(),
        headers={
            "Authorization": "Basic " + base64.b64encode(pair).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
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
