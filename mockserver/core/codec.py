"""Convert records between the model and the API's JSON shapes.

The same shapes serve three purposes: responses (``render_call_tracking``), fixture files
and state snapshots (``*_to_json`` / ``*_from_json``). Keeping them in one place means a
fixture file looks exactly like what the API returns, and the spec's schemas validate both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import CallTracking, Lead, Property, User

JSON = dict[str, Any]
RELATIONS = ("user", "lead", "property")


def ref(record_id: int | None) -> JSON | None:
    """The documented collapsed form of a relation: ``{"id": n}``, or null."""
    return None if record_id is None else {"id": record_id}


def user_to_json(user: User) -> JSON:
    return {
        "id": user.id,
        "public": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "phone": user.phone,
        },
    }


def user_from_json(data: Mapping[str, Any]) -> User:
    public = data.get("public") or {}
    return User(
        id=data["id"],
        first_name=public.get("first_name", ""),
        last_name=public.get("last_name", ""),
        email=public.get("email", ""),
        phone=public.get("phone", ""),
    )


def lead_to_json(lead: Lead, acl_rule: str = "full") -> JSON:
    return {
        "id": lead.id,
        "user": ref(lead.user_id),
        "title": lead.title,
        "first_name": lead.first_name,
        "middle_name": lead.middle_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "mobile": lead.mobile,
        "phone": lead.phone,
        "status": lead.status,
        "source": lead.source,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        "acl_rule": acl_rule,
        "marked_as_seen": lead.marked_as_seen,
    }


def lead_from_json(data: Mapping[str, Any]) -> Lead:
    return Lead(
        id=data["id"],
        user_id=_ref_id(data.get("user")),
        title=data.get("title"),
        first_name=data.get("first_name", ""),
        middle_name=data.get("middle_name"),
        last_name=data.get("last_name", ""),
        email=data.get("email"),
        mobile=data.get("mobile"),
        phone=data.get("phone"),
        status=data.get("status", "notYetContacted"),
        source=data.get("source", "propertyfinder"),
        created_at=data["created_at"],
        updated_at=data.get("updated_at", data["created_at"]),
        marked_as_seen=data.get("marked_as_seen", False),
    )


def property_to_json(prop: Property) -> JSON:
    return {
        "id": prop.id,
        "reference": prop.reference,
        "status": prop.status,
        "category": prop.category,
        "type": {"name": prop.type_name, "category": prop.category},
        "price": {"offering_type": prop.offering_type, "value": prop.price},
        "location": {
            "city": prop.city,
            "community": prop.community,
            "sub_community": prop.sub_community,
        },
        "bedrooms": prop.bedrooms,
        "bathrooms": prop.bathrooms,
        "size": prop.size,
        "user": ref(prop.user_id),
    }


def property_from_json(data: Mapping[str, Any]) -> Property:
    price = data.get("price") or {}
    location = data.get("location") or {}
    return Property(
        id=data["id"],
        reference=data["reference"],
        status=data.get("status", "available"),
        category=data.get("category", "residential"),
        type_name=(data.get("type") or {}).get("name", "apartment"),
        offering_type=price.get("offering_type", "rent"),
        price=price.get("value", 0),
        city=location.get("city", "Dubai"),
        community=location.get("community", ""),
        sub_community=location.get("sub_community"),
        bedrooms=data.get("bedrooms", 0),
        bathrooms=data.get("bathrooms", 0),
        size=data.get("size", 0),
        user_id=_ref_id(data.get("user")),
    )


def call_tracking_to_json(ct: CallTracking, acl_rule: str = "full") -> JSON:
    """A call tracking in the documented field order, relations collapsed."""
    return {
        "id": ct.id,
        "reference": ct.reference,
        "phone": ct.phone,
        "status": ct.status,
        "call_start": ct.call_start,
        "call_end": ct.call_end,
        "call_time": ct.call_time,
        "talk_time": ct.talk_time,
        "wait_time": ct.wait_time,
        "user": ref(ct.user_id),
        "lead": ref(ct.lead_id),
        "property": ref(ct.property_id),
        "download_url": ct.download_url,
        "imported_id": ct.imported_id,
        "imported_from": ct.imported_from,
        "created_at": ct.created_at,
        "updated_at": ct.updated_at,
        "acl_rule": acl_rule,
        "marked_as_seen": ct.marked_as_seen,
    }


def call_tracking_from_json(data: Mapping[str, Any]) -> CallTracking:
    return CallTracking(
        id=data["id"],
        reference=data["reference"],
        phone=data["phone"],
        status=data["status"],
        call_start=data["call_start"],
        call_end=data["call_end"],
        talk_time=data["talk_time"],
        call_time=data["call_time"],
        wait_time=data["wait_time"],
        user_id=_ref_id(data.get("user")),
        lead_id=_ref_id(data.get("lead")),
        property_id=_ref_id(data.get("property")),
        download_url=data.get("download_url"),
        imported_id=data["imported_id"],
        imported_from=data["imported_from"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        marked_as_seen=bool(data.get("marked_as_seen", False)),
    )


def _ref_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return int(value["id"])
    return int(value)
