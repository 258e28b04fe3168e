"""From an ``Authorization`` header to the caller: a persona's static token (kept for curl
and quick tries) or a JWT this server issued, its rights its ``realm_access.roles``.

A frontend sends the same token with every request, and verifying its RS256 signature costs
most of a kept read (150 us). What a verification finds does not change while the token
lives: the signature, issuer and audience are fixed, only the expiry depends on the time.
So the caller a token names is kept with its expiry (up to ``VERIFIED_KEPT`` tokens), and
only the expiry is checked again, on the mock's clock, for every request."""

from __future__ import annotations

from ..core.access import Persona, Personas
from ..core.clock import Clock
from ..core.errors import Unauthorized
from .tokens import TokenError, TokenExpired, Tokens, persona_of

VERIFIED_KEPT = 1024


class Callers:
    def __init__(self, personas: Personas, tokens: Tokens, clock: Clock) -> None:
        self.personas = personas
        self.tokens = tokens
        self.clock = clock
        self._verified: dict[str, tuple[Persona, int]] = {}  # token -> (caller, expiry)

    def caller(self, authorization: str) -> Persona:
        """The caller, or ``Unauthorized`` saying what is wrong with the header or token."""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if not authorization:
            raise Unauthorized("The Authorization header is missing: send 'Bearer <token>'.")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
        persona = self.personas.by_token(token)
        if persona is not None:
            return persona
        if token.count(".") != 2:
            raise Unauthorized("The bearer token is unknown or expired.")
        now = self.clock.timestamp()
        try:
            known = self._verified.get(token)
            if known is not None:
                caller, expires = known
                if expires <= now:
                    raise TokenExpired(expires)
                return caller
            claims = self.tokens.verify(token, now)
            caller = persona_of(claims)
        except TokenError as exc:
            raise Unauthorized(f"The bearer token {exc}.") from None
        if len(self._verified) >= VERIFIED_KEPT:
            self._verified.clear()
        self._verified[token] = (caller, int(claims["exp"]))
        return caller

    def is_caller(self, authorization: str) -> bool:
        """Whether the header names a caller (for what only callers may do, as make a session)."""
        try:
            self.caller(authorization)
        except Unauthorized:
            return False
        return True
