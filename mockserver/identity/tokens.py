"""The tokens of the documented grant: RS256 JWTs shaped as the upstream's Keycloak ones.

Seen in public client code, not documented (so assumed): the issuer, audience and ``azp``,
``typ: Bearer``, the ``client_id`` and ``pf_broker_id`` claims, and the caller's rights as
strings in ``realm_access.roles``. The caller's CRM user is in ``pf_user_id`` (assumed: the
real tokens' ``sub`` is a Keycloak id). Times come from the mock's clock, so that a pinned
``--now`` gives the same token, byte for byte, every run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

from ..core.access import Persona
from ..core.clock import UAE, format_time
from .keys import ALGORITHM, SigningKey

ISSUER = "https://auth.propertyfinder.com/broker/realms/propertyfinder"
AUDIENCE = "api-integration"
LIFETIME = 1800  # seconds (documented: tokens expire after 30 minutes)
SCOPE = "api_integration"
BROKER_ID = "1"
BASE_ROLES = ("default-roles-pfexpert", "offline_access")
USER_CLAIM = "pf_user_id"
_SUBJECTS = uuid.UUID("6f1c1a3e-5d1b-4c55-9a8e-0c2b7f4e9d10")  # namespace of the sub ids


@dataclass(frozen=True)
class Grant:
    """What a token says: for which client and user, with which rights, for how long."""

    client_id: str
    user_id: int
    rights: tuple[str, ...]
    lifetime: int = LIFETIME


class TokenError(Exception):
    """The token is not one this server issued, or not any more."""


class TokenExpired(TokenError):
    def __init__(self, expired_at: int) -> None:
        self.expired_at = expired_at
        moment = format_time(datetime.fromtimestamp(expired_at, UAE))
        super().__init__(f"expired at {moment}: request a new one (the token endpoint's "
                         "tokens live 30 minutes)")


class Tokens:
    """Issues and verifies the server's tokens, with one key and one issuer."""

    def __init__(self, key: SigningKey, issuer: str = ISSUER, lifetime: int = LIFETIME) -> None:
        self.key = key
        self.issuer = issuer
        self.lifetime = lifetime  # of the tokens the grant issues

    def claims(self, grant: Grant, now: int) -> dict[str, Any]:
        roles = [*BASE_ROLES, *(r for r in grant.rights if r not in BASE_ROLES)]
        return {
            "exp": now + grant.lifetime,
            "iat": now,
            "jti": str(uuid.uuid5(_SUBJECTS, f"{grant.client_id}:{grant.user_id}:{now}")),
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": str(uuid.uuid5(_SUBJECTS, f"user:{grant.user_id}")),
            "typ": "Bearer",
            "azp": AUDIENCE,
            "scope": SCOPE,
            "realm_access": {"roles": roles},
            "client_id": grant.client_id,
            "pf_broker_id": BROKER_ID,
            USER_CLAIM: grant.user_id,
            "email": f"api_integration_{grant.client_id}@propertyfinder.com",
        }

    def issue(self, grant: Grant, now: int) -> str:
        return jwt.encode(self.claims(grant, now), self.key.private, algorithm=ALGORITHM,
                          headers={"kid": self.key.kid})

    def verify(self, token: str, now: int) -> dict[str, Any]:
        """The claims of a token this server signed and that is valid ``now``; else
        ``TokenError`` saying what is wrong, in words a client developer can act on."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise TokenError("is neither a known token nor a JWT") from None
        if header.get("alg") != ALGORITHM:
            raise TokenError(f"is signed with {header.get('alg')!r}; only {ALGORITHM} is "
                             "accepted")
        if header.get("kid") != self.key.kid:
            raise TokenError(f"names a key this server does not sign with "
                             f"(kid {header.get('kid')!r}; see the JWKS)")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.key.public, algorithms=[ALGORITHM], audience=AUDIENCE,
                issuer=self.issuer,
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                         "require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.InvalidSignatureError:
            raise TokenError("has a signature that does not verify") from None
        except jwt.InvalidAudienceError:
            raise TokenError(f"is not for this API (audience must be {AUDIENCE!r})") from None
        except jwt.InvalidIssuerError:
            raise TokenError(f"was not issued by {self.issuer}") from None
        except jwt.PyJWTError as exc:
            raise TokenError(f"cannot be read: {exc}") from None
        if not isinstance(claims["exp"], int) or claims["exp"] <= now:
            raise TokenExpired(int(claims["exp"]))
        return claims


def persona_of(claims: dict[str, Any]) -> Persona:
    """The caller a verified token names: its user, and its roles as the rights."""
    user = claims.get(USER_CLAIM)
    roles = claims.get("realm_access", {}).get("roles", [])
    if not isinstance(user, int) or isinstance(user, bool):
        raise TokenError(f"has no {USER_CLAIM} claim naming the caller's user")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise TokenError("has no realm_access.roles list of strings")
    client = str(claims.get("client_id", "unknown"))
    return Persona(name=f"token of {client}", token="", user_id=user, rights=frozenset(roles),
                   description=f"a token issued to {client}")
