"""``--record DIR``: the call trackings the traffic listed, and the users, leads and
properties they reference, written on exit as fixture files ``mockserver serve
--fixtures DIR`` loads.

Ids, statuses, timestamps and relations stay as seen (the latest sighting of a record
wins); personal data is replaced (``Anonymiser``); a recording URL becomes the mock's own
audio (``/__mock/recordings/<id>.mp3``); ``acl_rule`` (computed per caller) is dropped.
A relation to a record the traffic never showed in full (a collapsed ``{"id": n}``) gets a
stand-in record with fake fields, so the files load. The personas are the mock's
shipped ones, each acting as one of the recorded users (the lowest ids first), so their
rights mean the same on the recorded data. Records are written sorted by id: the same
traffic gives byte-identical files. At most ``limit`` call trackings are kept.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..core.clock import Clock
from ..core.spec import Spec
from ..data.fixtures import dataset_to_json, load_fixtures
from ..settings import default_fixtures_dir
from .anonymise import Anonymiser
from .exchange import Exchange

LIST = "listCallTrackings"
RELATIONS = {"user": "users", "lead": "leads", "property": "properties"}
SHIPPED_PERSONAS = default_fixtures_dir() / "personas.yaml"
HEADER = ("# Recorded by `mockserver proxy --record` from real traffic: ids, statuses, dates\n"
          "# and relations as seen, personal data replaced. Serve with\n"
          "# `mockserver serve --fixtures <this directory>`.\n")


class Recorder:
    def __init__(self, spec: Spec, limit: int = 10000, anonymiser: Anonymiser | None = None
                 ) -> None:
        self.spec = spec
        self.limit = limit
        self._shapes: dict[str, dict[str, Any]] | None = None
        self.fake = anonymiser or Anonymiser()
        self.calls: dict[int, dict[str, Any]] = {}
        self.related: dict[str, dict[int, dict[str, Any]]] = {c: {} for c in RELATIONS.values()}
        self.skipped = 0  # call trackings beyond the limit
        self._lock = threading.Lock()

    def observe(self, operation_id: str, exchange: Exchange) -> None:
        if operation_id != LIST or exchange.status != 200:
            return
        ok, body = exchange.response_json
        items = body.get("call_trackings") if ok and isinstance(body, dict) else None
        if not isinstance(items, list):
            return
        with self._lock:
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("id"), int):
                    self._call(item)

    def _call(self, item: dict[str, Any]) -> None:
        if item["id"] not in self.calls and len(self.calls) >= self.limit:
            self.skipped += 1
            return
        call = copy.deepcopy(item)
        call.pop("acl_rule", None)
        for relation, collection in RELATIONS.items():
            value = call.get(relation)
            if isinstance(value, dict) and isinstance(value.get("id"), int):
                if len(value) > 1:  # expanded: the record in full
                    self.related[collection][value["id"]] = self._stored(value)
                call[relation] = {"id": value["id"]}
        self.calls[call["id"]] = call

    @staticmethod
    def _stored(record: dict[str, Any]) -> dict[str, Any]:
        stored = copy.deepcopy(record)
        stored.pop("acl_rule", None)
        for relation in RELATIONS:  # a lead's or a property's own user
            value = stored.get(relation)
            if isinstance(value, dict) and "id" in value:
                stored[relation] = {"id": value["id"]}
        return stored

    # --- writing ------------------------------------------------------------------------

    def write(self, directory: Path) -> tuple[Path, Path]:
        with self._lock:
            originals = [self.calls[k] for k in sorted(self.calls)]
            related = {c: dict(records) for c, records in self.related.items()}
        self.fake.avoid = _personal(originals, related)
        calls = [self._anonymous_call(call) for call in originals]
        self._stand_ins(calls, related)
        users = [self._anonymous_user(related["users"][k]) for k in sorted(related["users"])]
        personas, users = self._personas(users)
        records = {
            "users": users,
            "leads": [self._anonymous_lead(related["leads"][k]) for k in sorted(related["leads"])],
            "properties": [related["properties"][k] for k in sorted(related["properties"])],
            "call_trackings": calls,
        }
        directory.mkdir(parents=True, exist_ok=True)
        personas_file, records_file = directory / "personas.yaml", directory / "records.yaml"
        personas_file.write_text(HEADER + _dump({"personas": personas}), encoding="utf-8")
        records_file.write_text(HEADER + _dump(records), encoding="utf-8")
        return personas_file, records_file

    def _stand_ins(self, calls: list[dict[str, Any]],
                   related: dict[str, dict[int, dict[str, Any]]]) -> None:
        """A record for every relation that points at one the traffic never showed."""
        def wanted(collection: str, record_id: int) -> None:
            if record_id not in related[collection]:
                related[collection][record_id] = self._stand_in(collection, record_id)

        for call in calls:
            for relation, collection in RELATIONS.items():
                if isinstance(call.get(relation), dict):
                    wanted(collection, call[relation]["id"])
        for collection in ("leads", "properties"):
            for record in list(related[collection].values()):
                if isinstance(record.get("user"), dict):
                    wanted("users", record["user"]["id"])

    def _stand_in(self, collection: str, record_id: int) -> dict[str, Any]:
        """A complete record of the shipped fixtures' shape, under this id, with fake
        personal fields drawn for it and no relation of its own."""
        record = copy.deepcopy(self._templates()[collection])
        record["id"] = record_id
        person = record.get("public") if collection == "users" else record
        if isinstance(person, dict):
            name = f"{collection}:{record_id}"
            for field in PERSONAL:
                if isinstance(person.get(field), str):
                    person[field] = self._fake_of(field)(f"{name}:{person[field]}")
        if collection == "properties":
            record["reference"] = f"recorded-{record_id}"
        if "user" in record:
            record["user"] = None
        return record

    def _templates(self) -> dict[str, dict[str, Any]]:
        """The first user, lead and property of the shipped fixtures, in the API's shape."""
        if self._shapes is None:
            fixtures = load_fixtures(default_fixtures_dir(), self.spec, Clock(None).started)
            shipped = dataset_to_json(fixtures.dataset)
            self._shapes = {c: shipped[c][0] for c in RELATIONS.values()}
        return self._shapes

    def _fake_of(self, field: str) -> Callable[[str], str]:
        return {"first_name": self.fake.first_name, "middle_name": self.fake.first_name,
                "last_name": self.fake.last_name, "email": self.fake.email,
                "phone": self.fake.phone, "mobile": self.fake.phone}[field]

    def _anonymous_call(self, call: dict[str, Any]) -> dict[str, Any]:
        out = dict(call)
        if isinstance(out.get("phone"), str):
            out["phone"] = self.fake.phone(out["phone"])
        if out.get("download_url"):
            out["download_url"] = f"/__mock/recordings/{out['id']}.mp3"
        return out

    def _anonymous_user(self, user: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(user)
        public = out.get("public")
        if isinstance(public, dict):
            self._replace(public)
        return out

    def _anonymous_lead(self, lead: dict[str, Any]) -> dict[str, Any]:
        out = dict(lead)
        self._replace(out)
        return out

    def _replace(self, record: dict[str, Any]) -> None:
        for field in PERSONAL:
            if isinstance(record.get(field), str) and record[field]:
                record[field] = self._fake_of(field)(record[field])

    def _personas(self, users: list[dict[str, Any]]
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The shipped personas, each given one recorded user (lowest ids first), or a
        stand-in above every recorded id when there are fewer users than personas."""
        shipped = yaml.safe_load(SHIPPED_PERSONAS.read_text(encoding="utf-8"))["personas"]
        next_id = max((u["id"] for u in users), default=0) + 1
        personas, remaining = [], list(users)
        for persona in shipped:
            if remaining:
                user = remaining.pop(0)
            else:
                user = self._stand_in("users", next_id)
                next_id += 1
            personas.append({**persona, "user": user})
        return personas, remaining


PERSONAL = ("first_name", "middle_name", "last_name", "email", "phone", "mobile")


def _personal(calls: list[dict[str, Any]], related: dict[str, dict[int, dict[str, Any]]]
              ) -> set[str]:
    """Every personal value of the recording, which no fake may be."""
    found = {c["phone"] for c in calls if isinstance(c.get("phone"), str)}
    people = [*related["leads"].values(),
              *(u.get("public") for u in related["users"].values())]
    for person in people:
        if isinstance(person, dict):
            found |= {person[k] for k in PERSONAL if isinstance(person.get(k), str)}
    return found


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
