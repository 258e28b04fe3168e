"""One complete, self-consistent set of records: what a session works on.

A ``Dataset`` is plain data; locking and sessions live in ``sandbox.sessions``. It checks
referential integrity (every relation points at an existing record) because fixtures, seeds
and state imports all pass through it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field

from .model import CallTracking, Lead, Property, User


class IntegrityError(ValueError):
    """A record points at another that does not exist."""

    def __init__(self, kind: str, record_id: int, field_name: str, message: str) -> None:
        super().__init__(f"{kind} {record_id}: {field_name}: {message}")
        self.kind = kind
        self.record_id = record_id
        self.field_name = field_name


@dataclass
class Dataset:
    users: dict[int, User] = field(default_factory=dict)
    leads: dict[int, Lead] = field(default_factory=dict)
    properties: dict[int, Property] = field(default_factory=dict)
    call_trackings: dict[int, CallTracking] = field(default_factory=dict)

    def copy(self) -> Dataset:
        """A deep copy, so that a session's changes never reach the baseline."""
        return Dataset(
            users=dict(self.users),  # users are never mutated
            leads={k: copy.copy(v) for k, v in self.leads.items()},
            properties={k: copy.copy(v) for k, v in self.properties.items()},
            call_trackings={k: copy.copy(v) for k, v in self.call_trackings.items()},
        )

    def counts(self) -> dict[str, int]:
        return {
            "users": len(self.users),
            "leads": len(self.leads),
            "properties": len(self.properties),
            "call_trackings": len(self.call_trackings),
        }

    def check_integrity(self) -> None:
        """Raise ``IntegrityError`` for the first dangling relation found."""
        for lead in self.leads.values():
            self._expect("lead", lead.id, "user", lead.user_id, self.users)
        for prop in self.properties.values():
            self._expect("property", prop.id, "user", prop.user_id, self.users)
        for ct in self.call_trackings.values():
            self._expect("call_tracking", ct.id, "user", ct.user_id, self.users)
            self._expect("call_tracking", ct.id, "lead", ct.lead_id, self.leads)
            self._expect("call_tracking", ct.id, "property", ct.property_id, self.properties)

    @staticmethod
    def _expect(
        kind: str, record_id: int, field_name: str, target: int | None, table: Mapping[int, object]
    ) -> None:
        if target is not None and target not in table:
            raise IntegrityError(kind, record_id, field_name, f"no {field_name} with id {target}")
