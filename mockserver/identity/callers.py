"""From an ``Authorization`` header to the caller: a persona's static token (kept for curl
and quick tries) or a JWT this server issued, its rights its ``realm_access.roles``."""

from __future__ import annotations

from ..core.access import Persona, Personas
from ..core.clock import Clock
from ..core.errors import Unauthorized
from .tokens import TokenError, Tokens, persona_of


class Callers:
    def __init__(self, personas: Personas, tokens: Tokens, clock: Clock) -> None:
        self.personas = personas
        self.tokens = tokens
        self.clock = clock

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
        try:
            return persona_of(self.tokens.verify(token, self.clock.timestamp()))
        except TokenError as exc:
            raise Unauthorized(f"The bearer token {exc}.") from None

    def is_caller(self, authorization: str) -> bool:
        """Whether the header names a caller (for what only callers may do, as make a session)."""
        try:
            self.caller(authorization)
        except Unauthorized:
            return False
        return True
