"""Helpers for the API tests: requests as a persona, whole-list reads, exact data snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from conftest import ROOT, auth, reset_data
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mockserver.core import codec
from mockserver.core.spec import Spec
from mockserver.sandbox.sessions import Store

ERROR_SCHEMA = Spec.load().component_validator("Error")
WWW_AUTHENTICATE = 'Bearer realm="mycrm"'
UNSET: Any = object()


def replace_ops(*pairs: tuple[str, Any]) -> list[dict[str, Any]]:
    """``[("/seen", True)]`` -> the contract's ``replace`` operations."""
    return [{"op": "replace", "path": path, "value": value} for path, value in pairs]


def call(
    client: FlaskClient,
    method: str,
    path: str,
    persona: str | None = "admin",
    json_body: Any = UNSET,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> TestResponse:
    """One request as a persona (``None``: no Authorization header)."""
    all_headers = {**(auth(persona) if persona else {}), **(headers or {})}
    if json_body is not UNSET:
        kwargs["json"] = json_body
    return client.open(path, method=method, headers=all_headers, **kwargs)


def list_all(client: FlaskClient, persona: str = "admin", per_page: int = 500,
             **params: Any) -> list[dict[str, Any]]:
    """Every record of a filtered list, walking the pages; ``count`` must agree with them."""
    records: list[dict[str, Any]] = []
    page, count = 1, None
    while True:
        response = client.get(
            "/calltrackings",
            query_string={**params, "page": page, "per_page": per_page},
            headers=auth(persona),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert count in (None, body["count"])
        count = body["count"]
        if not body["call_trackings"]:
            break
        records.extend(body["call_trackings"])
        if len(body["call_trackings"]) < per_page:
            break
        page += 1
    assert len(records) == count
    return records


def ids_of(records: list[dict[str, Any]]) -> list[int]:
    return [r["id"] for r in records]


def store_of(app: Flask) -> Store:
    return app.extensions["mockserver"]["store"]  # type: ignore[no-any-return]


def snapshot(app: Flask, session: str | None = None, counter: bool = True) -> str:
    """Every record of a session, serialised, plus its change counter: equal means untouched."""
    found = store_of(app).session(session)
    with found.lock:
        data = found.data
        state = {
            "version": found.version if counter else None,
            "users": [codec.user_to_json(u) for u in data.users.values()],
            "leads": [codec.lead_to_json(x) for x in data.leads.values()],
            "properties": [codec.property_to_json(p) for p in data.properties.values()],
            "call_trackings": [
                codec.call_tracking_to_json(c) for c in data.call_trackings.values()
            ],
        }
    return json.dumps(state, sort_keys=True)


reset = reset_data


def assert_error(
    response: TestResponse,
    status: int,
    message: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A 4xx/5xx in the contract's Error shape, with the exact message and problems if given."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == "application/json", response.headers
    body = json.loads(text)
    assert ERROR_SCHEMA.is_valid(body), body
    assert body["code"] == status
    if message is not None:
        assert body["message"] == message
    if errors is not None:
        assert body.get("errors") == errors
    return body  # type: ignore[no-any-return]


def fixtures_with_persona(tmp_path: Path, persona: dict[str, Any]) -> Path:
    """A copy of the shipped fixtures with one more persona, for rights no shipped one has."""
    target = tmp_path / "fixtures"
    target.mkdir()
    for source in (ROOT / "fixtures").glob("*.yaml"):
        (target / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    personas = yaml.safe_load((target / "personas.yaml").read_text(encoding="utf-8"))
    personas["personas"].append(persona)
    (target / "personas.yaml").write_text(yaml.safe_dump(personas), encoding="utf-8")
    return target


# Reads every call tracking and updates and deletes only its own: the one persona shape
# for which a record can be readable but not changeable (403 rather than 404).
SUPERVISOR = {
    "name": "supervisor",
    "token": "supervisor-token",
    "description": "Reads everything, changes only their own call trackings.",
    "rights": ["lead.read", "lead.read.other", "lead.update", "lead.delete"],
    "user": {
        "id": 9,
        "public": {"first_name": "Nadia", "last_name": "Rahim",
                   "email": "nadia.rahim@dunesrealty.example", "phone": "+971 50 555 0199"},
    },
}
