"""Personas and the rights they carry: who may read, update or delete which record.

Rights follow the upstream's ``<entity>.<action>[.other]`` form: ``lead.read`` covers the
caller's own call trackings (those whose user is the caller), ``lead.read.other`` covers
everyone's. A caller that cannot read a record cannot learn that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import CallTracking

READ, UPDATE, DELETE = "read", "update", "delete"


@dataclass(frozen=True, slots=True)
class Persona:
    name: str
    token: str
    user_id: int
    rights: frozenset[str]
    description: str = ""
    api_key: str = ""  # the client credentials of the token endpoint, if the persona has any
    api_secret: str = ""

    def has(self, action: str) -> bool:
        """Whether the persona holds the action's right at all (own records at least)."""
        return f"lead.{action}" in self.rights or f"lead.{action}.other" in self.rights

    def may(self, action: str, ct: CallTracking) -> bool:
        """Whether the persona may perform ``action`` on this call tracking."""
        return self.may_on_owner(action, ct.user_id)

    def may_on_owner(self, action: str, owner_id: int | None) -> bool:
        """Rights without ``.other`` cover only records whose user is the caller."""
        if f"lead.{action}.other" in self.rights:
            return True
        return f"lead.{action}" in self.rights and owner_id == self.user_id

    def sees_all(self) -> bool:
        return f"lead.{READ}.other" in self.rights

    def acl_rule(self, owner_id: int | None) -> str:
        """The ``acl_rule`` of a record owned by ``owner_id`` for this persona (see the spec)."""
        update = self.may_on_owner(UPDATE, owner_id)
        delete = self.may_on_owner(DELETE, owner_id)
        if update and delete:
            return "full"
        if update:
            return "update"
        if delete:
            return "delete"
        return "read"


class Personas:
    """The personas, looked up by bearer token."""

    def __init__(self, personas: list[Persona]) -> None:
        self._by_token = {p.token: p for p in personas}
        self._by_key = {p.api_key: p for p in personas if p.api_key}
        self.all = list(personas)

    def by_token(self, token: str) -> Persona | None:
        return self._by_token.get(token)

    def by_api_key(self, key: str) -> Persona | None:
        return self._by_key.get(key)
