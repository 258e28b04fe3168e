"""The records the mock keeps, as plain slotted dataclasses.

Relations are stored as ids (``user_id``, ``lead_id``, ``property_id``) so that the dataset
can enforce referential integrity and the renderer can collapse or expand them per request.
Timestamps are stored as ISO 8601 strings already in UAE time (``+04:00``): they sort
correctly as text and render without work on the hot path.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

CALL_STATUSES = ("notanswered", "answered", "canceled", "voicemail")
IMPORTED_FROM = "propertyfinder"


@dataclass(slots=True)
class User:
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str


@dataclass(slots=True)
class Lead:
    id: int
    user_id: int | None
    title: str | None
    first_name: str
    middle_name: str | None
    last_name: str
    email: str | None
    mobile: str | None
    phone: str | None
    status: str
    source: str
    created_at: str
    updated_at: str
    marked_as_seen: bool = False

    @property
    def name(self) -> str:
        """The name the ``filters[lead][name]`` filter searches."""
        parts = (self.first_name, self.middle_name, self.last_name)
        return " ".join(p for p in parts if p)


@dataclass(slots=True)
class Property:
    id: int
    reference: str
    status: str
    category: str
    type_name: str
    offering_type: str
    price: int
    city: str
    community: str
    sub_community: str | None
    bedrooms: int
    bathrooms: int
    size: int
    user_id: int | None


@dataclass(slots=True)
class CallTracking:
    id: int
    reference: str
    phone: str
    status: str
    call_start: str
    call_end: str
    talk_time: int
    call_time: int
    wait_time: int
    user_id: int | None
    lead_id: int | None
    property_id: int | None
    download_url: str | None
    imported_id: str
    imported_from: str
    created_at: str
    updated_at: str
    marked_as_seen: bool = False
    phone_digits: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        self.phone_digits = digits_of(self.phone)

    @property
    def state(self) -> str:
        """``assigned`` when a lead is attached (the spec's assumed reading of state)."""
        return "assigned" if self.lead_id is not None else "unassigned"


ASCII_DIGITS = frozenset("0123456789")


def digits_of(text: str) -> str:
    """Phone numbers are compared on their decimal digits alone, as ASCII.

    ``isdigit`` would keep superscripts (``²``) that are no digit of a number; digits of
    other scripts (Arabic-Indic, typed on an Arabic keyboard) are the same digits and map
    to ``0``-``9``.
    """
    if text.isascii():
        return "".join(ch for ch in text if ch in ASCII_DIGITS)
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())
