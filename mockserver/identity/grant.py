"""The client-credentials grant: who the client is, what it asked for, and its token.

The documented request is JSON with HTTP Basic; the form-encoded one of RFC 6749 is
accepted too (assumed), with the credentials in Basic or in the body. Refusals are RFC 6749
errors (``invalid_client``, ``unsupported_grant_type``, ...), which OAuth clients read.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from ..core.access import Persona, Personas
from .tokens import Grant, Tokens

GRANT_TYPE = "client_credentials"
SCOPE = "openid"
REALM = "propertyfinder"


@dataclass
class OAuthError(Exception):
    status: int
    error: str
    description: str

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def headers(self, challenge: bool = True) -> dict[str, str]:
        """RFC 6749 asks a 401 to name the Basic scheme; ``challenge=False`` leaves it out,
        for a browser's script, over which the browser would open its own login dialog."""
        basic = ({"WWW-Authenticate": f'Basic realm="{REALM}"'}
                 if self.status == 401 and challenge else {})
        return {**basic, "Cache-Control": "no-store"}


def client_of(personas: Personas, authorization: str, body: dict[str, Any]) -> Persona:
    """The persona whose API key and secret the request carries, or ``invalid_client``."""
    key, secret = _basic(authorization)
    if key is None:
        key, secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(key, str) or not isinstance(secret, str):
        raise OAuthError(401, "invalid_client", "Send the API key and secret as "
                         "'Authorization: Basic base64(<API key>:<API secret>)'.")
    for candidate in dict.fromkeys([(key, secret), (unquote_plus(key), unquote_plus(secret))]):
        persona = personas.by_api_key(candidate[0])
        if persona is not None and hmac.compare_digest(candidate[1].encode(),
                                                       persona.api_secret.encode()):
            return persona
    raise OAuthError(401, "invalid_client", "The API key or secret is not known.")


def grant(tokens: Tokens, client: Persona, body: dict[str, Any], form: bool,
          now: int) -> dict[str, Any]:
    """The token answer for a known client, or the RFC 6749 error for what it asked."""
    if body.get("grant_type") != GRANT_TYPE:
        raise OAuthError(400, "unsupported_grant_type",
                         f"Only grant_type={GRANT_TYPE} is supported, not "
                         f"{body.get('grant_type')!r}.")
    scope = body.get("scope", SCOPE if form else None)
    if SCOPE not in str(scope).split():
        raise OAuthError(400, "invalid_scope", f"The scope must be {SCOPE!r}, not {scope!r}.")
    rights = tuple(sorted(client.rights))
    token = tokens.issue(Grant(client.api_key, client.user_id, rights, tokens.lifetime), now)
    return {"access_token": token, "token_type": "Bearer", "expires_in": tokens.lifetime}


def _basic(authorization: str) -> tuple[str | None, str | None]:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "invalid_client", "The Basic credentials are not base64 of "
                         "'<API key>:<API secret>'.") from None
    key, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError(401, "invalid_client", "The Basic credentials have no ':' between "
                         "the API key and the secret.")
    return key, secret
