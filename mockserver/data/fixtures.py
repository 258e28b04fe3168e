"""Hand-written personas and records, loaded from YAML and checked before anything uses them.

Fixture records are written in exactly the API's JSON shapes (relations collapsed to
``{"id": n}``, no ``acl_rule``, which is computed per caller), so the spec's own schemas
check them; dates may be written relative to the mock's now (``relative_dates``), and none
may lie after it. A mistake is reported as a ``FixtureError`` naming the file, the record
and the field, instead of surfacing later as a wrong response or a 500.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from ..core import codec
from ..core.access import Persona
from ..core.clock import format_time
from ..core.dataset import Dataset, IntegrityError
from ..core.model import CallTracking, Lead
from ..core.spec import Spec
from . import relative_dates

PERSONAS_FILE = "personas.yaml"
PERSONA_KEYS = frozenset({"name", "token", "description", "rights", "user", "api_key",
                          "api_secret"})
OPTIONAL_PERSONA_KEYS = frozenset({"description", "api_key", "api_secret"})
MOCK_ORIGIN = "http://localhost"  # stands in for the server's origin when validating
NO_RECORDING = frozenset({"notanswered", "canceled"})


@dataclass(frozen=True, slots=True)
class Kind:
    """How one collection of a fixture file is checked and converted."""

    schema: str
    from_json: Callable[[Mapping[str, Any]], Any]
    to_json: Callable[[Any], codec.JSON]


KINDS: dict[str, Kind] = {
    "users": Kind("User", codec.user_from_json, codec.user_to_json),
    "leads": Kind("Lead", codec.lead_from_json, codec.lead_to_json),
    "properties": Kind("Property", codec.property_from_json, codec.property_to_json),
    "call_trackings": Kind(
        "CallTracking", codec.call_tracking_from_json, codec.call_tracking_to_json
    ),
}
# IntegrityError names records by model kind; fixture files by collection.
COLLECTION_OF = {"lead": "leads", "property": "properties", "call_tracking": "call_trackings"}


class FixtureError(ValueError):
    """A fixture file is malformed; the message reads ``file: record: field: problem``."""

    def __init__(
        self, file: str, problem: str, record: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(": ".join(p for p in (file, record, field, problem) if p))
        self.file, self.record, self.field, self.problem = file, record, field, problem


@dataclass(frozen=True)
class Fixtures:
    personas: list[Persona]
    dataset: Dataset


class _TextLoader(yaml.SafeLoader):
    """A SafeLoader that keeps timestamps as text: the API's datetimes are strings."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TextLoader.add_constructor(relative_dates.TAG, relative_dates.construct)


def load_fixtures(directory: Path, spec: Spec, now: datetime) -> Fixtures:
    """Read every ``*.yaml`` of ``directory`` in sorted order and check it all; relative
    dates count back from ``now``, and no date may lie after it."""
    if not directory.is_dir():
        raise FixtureError(str(directory), "not a directory")
    loader = _Loader(spec, now)
    for path in sorted(directory.glob("*.yaml")):
        loader.load_file(path)
    return loader.finish()


def fixtures_digest(directory: Path) -> str:
    """A digest of the fixture files: replicas must load the same ones."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def dataset_from_json(data: Any, spec: Spec, source: str) -> Dataset:
    """Records in the API's shapes (a state snapshot, say), checked exactly like fixtures.

    Raises ``FixtureError`` naming ``source``, the record and the field of the first problem.
    """
    loader = _Loader(spec)
    loader.load_collections(source, data, list(KINDS))
    return loader.finish().dataset


def dataset_to_json(data: Dataset) -> dict[str, list[codec.JSON]]:
    """The inverse of ``dataset_from_json``: every record in its stored API shape, by id."""
    out: dict[str, list[codec.JSON]] = {}
    for collection in KINDS:
        table: dict[int, Any] = getattr(data, collection)
        out[collection] = [stored_form(collection, table[k]) for k in sorted(table)]
    return out


def stored_form(collection: str, record: Any) -> codec.JSON:
    """One record in its stored API shape: as the contract shows it, without ``acl_rule``
    (computed per caller, never stored)."""
    document = KINDS[collection].to_json(record)
    document.pop("acl_rule", None)
    return document


def api_view(collection: str, data: Mapping[str, Any]) -> codec.JSON:
    """The record as a response would carry it: with ``acl_rule``, its download URL absolute.

    Fixtures and seeds store the recording as a server-relative path that the server
    resolves; the schema's ``format: uri`` needs an absolute one.
    """
    view = dict(data)
    if collection in ("leads", "call_trackings"):
        view.setdefault("acl_rule", "full")
    url = view.get("download_url")
    if isinstance(url, str) and url.startswith("/"):
        view["download_url"] = MOCK_ORIGIN + url
    return view


def read_yaml(path: Path) -> Any:
    """Parse one fixture file; syntax errors become ``FixtureError`` naming the file."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_TextLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise FixtureError(str(path), f"invalid YAML: {exc.problem}{where}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FixtureError(str(path), f"invalid YAML: {exc}") from exc


class _Loader:
    """Collects records file by file, remembering where each came from for error messages."""

    def __init__(self, spec: Spec, now: datetime | None = None) -> None:
        self.now = now  # fixture files only: a state document is not checked against now
        self.validators = {name: spec.component_validator(k.schema) for name, k in KINDS.items()}
        self.dataset = Dataset()
        self.personas: list[Persona] = []
        self.origins: dict[tuple[str, int], tuple[str, str]] = {}
        self.tokens: dict[str, str] = {}
        self.api_keys: dict[str, str] = {}

    def load_file(self, path: Path) -> None:
        data = read_yaml(path)
        if self.now is not None:
            data = relative_dates.resolve(data, self.now)
        if data is not None:
            allowed = ["personas"] if path.name == PERSONAS_FILE else list(KINDS)
            self.load_collections(str(path), data, allowed)

    def load_collections(self, file: str, data: Any, allowed: list[str]) -> None:
        if not isinstance(data, dict):
            raise FixtureError(file, "the file must hold a mapping of collections")
        for key, items in data.items():
            if key not in allowed:
                raise FixtureError(file, f"unknown key {key!r}; expected {', '.join(allowed)}")
            if not isinstance(items, list):
                raise FixtureError(file, "must be a list of records", str(key))
            for index, item in enumerate(items):
                if key == "personas":
                    self.add_persona(file, index, item)
                else:
                    self.add_record(file, key, f"{key}[{index}]", item)

    def add_persona(self, file: str, index: int, item: Any) -> None:
        label = f"personas[{index}]"
        if not isinstance(item, dict):
            raise FixtureError(file, "must be a mapping", label)
        if isinstance(item.get("name"), str):
            label += f" ({item['name']})"
        missing = sorted(PERSONA_KEYS - OPTIONAL_PERSONA_KEYS - item.keys())
        if missing:
            raise FixtureError(file, "required field is missing", label, missing[0])
        unknown = sorted(str(key) for key in item.keys() - PERSONA_KEYS)
        if unknown:
            raise FixtureError(file, "unknown field", label, unknown[0])
        _check_persona_fields(file, label, item)
        self.add_record(file, "users", label, item["user"], prefix="user")
        if item["token"] in self.tokens:
            problem = f"{item['token']!r} is already used by {self.tokens[item['token']]}"
            raise FixtureError(file, problem, label, "token")
        self.tokens[item["token"]] = label
        self._check_credentials(file, label, item)
        self.personas.append(
            Persona(
                name=item["name"],
                token=item["token"],
                user_id=item["user"]["id"],
                rights=frozenset(item["rights"]),
                description=item.get("description", ""),
                api_key=item.get("api_key", ""),
                api_secret=item.get("api_secret", ""),
            )
        )

    def _check_credentials(self, file: str, label: str, item: Mapping[str, Any]) -> None:
        """An API key and secret go together, as non-empty strings; keys are unique."""
        given = [k for k in ("api_key", "api_secret") if k in item]
        if not given:
            return
        for key in ("api_key", "api_secret"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise FixtureError(file, "must be a non-empty string (a key needs its secret)",
                                   label, key)
        if item["api_key"] in self.api_keys:
            problem = f"{item['api_key']!r} is already used by {self.api_keys[item['api_key']]}"
            raise FixtureError(file, problem, label, "api_key")
        self.api_keys[item["api_key"]] = label

    def add_record(
        self, file: str, collection: str, label: str, data: Any, prefix: str = ""
    ) -> None:
        if not isinstance(data, dict):
            raise FixtureError(file, "must be a mapping", label, prefix or None)
        if isinstance(data.get("id"), int) and not prefix:
            label += f" (id {data['id']})"
        record = _convert(file, label, collection, self.validators[collection], data, prefix)
        if isinstance(record, CallTracking):
            _check_call(file, label, record)
        _to_uae_time(record)
        if self.now is not None:
            _check_not_after(file, label, prefix, record, format_time(self.now))
        table: dict[int, Any] = getattr(self.dataset, collection)
        if record.id in table:
            first = self.origins[(collection, record.id)]
            raise FixtureError(
                file,
                f"duplicate id {record.id}, first used by {first[0]}: {first[1]}",
                label,
                _join(prefix, "id"),
            )
        table[record.id] = record
        self.origins[(collection, record.id)] = (file, label)

    def finish(self) -> Fixtures:
        for collection in KINDS:
            table = getattr(self.dataset, collection)
            setattr(self.dataset, collection, dict(sorted(table.items())))
        try:
            self.dataset.check_integrity()
        except IntegrityError as exc:
            file, label = self.origins[(COLLECTION_OF[exc.kind], exc.record_id)]
            problem = str(exc).split(": ", 2)[2]
            raise FixtureError(file, problem, label, exc.field_name) from exc
        return Fixtures(self.personas, self.dataset)


def _check_persona_fields(file: str, label: str, item: Mapping[str, Any]) -> None:
    for key in ("name", "token"):
        if not isinstance(item[key], str) or not item[key]:
            raise FixtureError(file, "must be a non-empty string", label, key)
    rights = item["rights"]
    if not isinstance(rights, list) or not all(isinstance(r, str) for r in rights):
        raise FixtureError(file, "must be a list of strings", label, "rights")
    if not isinstance(item.get("description", ""), str):
        raise FixtureError(file, "must be a string", label, "description")


def _convert(
    file: str, label: str, collection: str, validator: Any, data: Mapping[str, Any], prefix: str
) -> Any:
    """Validate against the spec, convert to the model, and insist on the complete shape."""
    kind = KINDS[collection]
    for error in validator.iter_errors(api_view(collection, data)):
        path = [str(p) for p in error.instance_path]
        if error.kind.name == "required":
            path.append(error.kind.property)
            raise FixtureError(file, "required field is missing", label, _join(prefix, *path))
        problem = error.message
        if error.kind.name == "enum":
            problem = f"{error.instance!r} is not one of {error.kind.options}"
        raise FixtureError(file, problem, label, _join(prefix, *path))
    try:
        record = kind.from_json(data)
    except KeyError as exc:
        field = _join(prefix, exc.args[0])
        raise FixtureError(file, "required field is missing", label, field) from exc
    expected = kind.to_json(record)
    expected.pop("acl_rule", None)
    problem = _shape_problem(expected, data, prefix)
    if problem:
        raise FixtureError(file, problem[1], label, problem[0])
    return record


def _shape_problem(expected: Any, actual: Any, path: str) -> tuple[str, str] | None:
    """The first field missing from, or unknown to, the API shape (a typo'd key, say)."""
    if not (isinstance(expected, dict) and isinstance(actual, dict)):
        return None
    for key in expected:
        if key not in actual:
            return _join(path, key), "required field is missing"
    for key in actual:
        if key not in expected:
            return _join(path, str(key)), _unknown_field_problem(str(key), expected)
    for key in expected:
        found = _shape_problem(expected[key], actual[key], _join(path, key))
        if found:
            return found
    return None


def _unknown_field_problem(key: str, expected: Mapping[str, Any]) -> str:
    if key == "acl_rule":
        return "computed per caller, not stored"
    if list(expected) == ["id"]:
        return "unknown field (relations are written collapsed, as {id: n})"
    return "unknown field"


def _check_call(file: str, label: str, ct: CallTracking) -> None:
    """The consistency rules the spec states or the seed data follows, for hand-written calls."""
    expected_end = datetime.fromisoformat(ct.call_start) + timedelta(seconds=ct.call_time)
    if ct.talk_time > ct.call_time:
        problem = f"{ct.talk_time} is more than call_time {ct.call_time}"
        raise FixtureError(file, problem, label, "talk_time")
    if datetime.fromisoformat(ct.call_end) != expected_end:
        problem = f"expected {expected_end.isoformat()} (call_start + call_time)"
        raise FixtureError(file, problem, label, "call_end")
    if ct.status in NO_RECORDING and ct.talk_time != 0:
        raise FixtureError(file, f"must be 0 for a {ct.status} call", label, "talk_time")
    if ct.status in NO_RECORDING and ct.download_url is not None:
        problem = f"must be null for a {ct.status} call (it has no recording)"
        raise FixtureError(file, problem, label, "download_url")


TIMESTAMPS: dict[type, tuple[str, ...]] = {
    CallTracking: ("call_start", "call_end", "created_at", "updated_at"),
    Lead: ("created_at", "updated_at"),
}


def _to_uae_time(record: Any) -> None:
    """Store every timestamp in +04:00, whatever offset the file used.

    The model keeps times as UAE-time text, so that the date filters read the local day
    from the text and the date sorts compare text; a fixture written in ``Z`` or another
    offset would otherwise be filtered on the wrong day and sorted out of order.
    """
    for name in TIMESTAMPS.get(type(record), ()):
        setattr(record, name, format_time(datetime.fromisoformat(getattr(record, name))))


def _check_not_after(file: str, label: str, prefix: str, record: Any, now: str) -> None:
    """Nothing a fixture describes has happened yet after the mock's now."""
    for name in TIMESTAMPS.get(type(record), ()):
        if getattr(record, name) > now:  # both UAE-time text: they compare as moments
            problem = (f"{getattr(record, name)} is after the mock's now ({now}); write it "
                       f"relative to now ({relative_dates.TAG} 1d 09:00:00) or pin --now later")
            raise FixtureError(file, problem, label, _join(prefix, name))


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)
