"""Turn stored call trackings into response JSON for one caller.

Relations are collapsed to ``{"id": n}`` unless the caller asked for them expanded with
``X-MyCRM-Expand-Data``; ``acl_rule`` depends on the caller; a recording stored as a path
on the mock becomes an absolute URL on the host the caller used.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .access import READ, Persona
from .codec import RELATIONS, call_tracking_to_json, lead_to_json, property_to_json, user_to_json
from .dataset import Dataset
from .model import CallTracking, Lead, Property, User

EXPAND_ALL = "true"
EXPAND_NONE = "false"


def parse_expand(header: str | None) -> tuple[frozenset[str], list[str]]:
    """Which relations to expand, and the names in the header that are none of them.

    Exactly as the spec says: ``true`` expands every relation, ``false`` none, anything
    else is read as a comma-separated list of relation names (case-insensitive); the names
    that are no relation expand nothing and come back, as sent, to be warned about.
    """
    if header is None:
        return frozenset(), []
    value = header.strip()
    if value.lower() == EXPAND_ALL:
        return frozenset(RELATIONS), []
    if value.lower() == EXPAND_NONE:
        return frozenset(), []
    names = [n.strip() for n in value.split(",") if n.strip()]
    known = frozenset(n.lower() for n in names if n.lower() in RELATIONS)
    unknown = [n for n in names if n.lower() not in RELATIONS]
    return known, list(dict.fromkeys(unknown))


def absolute_url(url: str | None, base_url: str, session: str | None = None) -> str | None:
    """Recordings stored as ``/__mock/...`` paths are served by the mock itself.

    In a named session the URL names it too (``?session=``), since an ``<audio>`` element
    fetching it cannot send the ``X-Mock-Session`` header.
    """
    if url is not None and url.startswith("/"):
        link = base_url.rstrip("/") + url
        return link if session is None else f"{link}?session={quote(session, safe='')}"
    return url


def readable_relation(persona: Persona, record: Lead | Property | User | None) -> bool:
    """Whether the caller may see this related record in full (assumed, see the spec).

    Users are public profiles: anyone may. A lead or a property is read as a call tracking
    is, by its owner (``lead.read``) or with ``lead.read.other``; an unowned one needs
    ``.other``. A missing record is not readable.
    """
    if record is None:
        return False
    if isinstance(record, User):
        return True
    return persona.may_on_owner(READ, record.user_id)


def render_call_tracking(
    ct: CallTracking,
    persona: Persona,
    data: Dataset,
    expand: frozenset[str],
    base_url: str,
    session: str | None = None,
) -> dict[str, Any]:
    """Relations are expanded when asked for and the caller may read them; otherwise they
    stay collapsed to ``{"id": n}``."""
    body = call_tracking_to_json(ct, persona.acl_rule(ct.user_id))
    body["download_url"] = absolute_url(ct.download_url, base_url, session)
    if "user" in expand and ct.user_id is not None:
        body["user"] = user_to_json(data.users[ct.user_id])
    if "lead" in expand and ct.lead_id is not None:
        lead = data.leads[ct.lead_id]
        if readable_relation(persona, lead):
            body["lead"] = lead_to_json(lead, persona.acl_rule(lead.user_id))
    if "property" in expand and ct.property_id is not None:
        prop = data.properties[ct.property_id]
        if readable_relation(persona, prop):
            body["property"] = property_to_json(prop)
    return body

