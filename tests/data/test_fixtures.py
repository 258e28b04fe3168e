"""The shipped fixtures load and hold the edge cases tests rely on; broken ones fail loudly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PINNED_NOW

from mockserver.core.clock import Clock
from mockserver.core.model import CallTracking
from mockserver.core.spec import Spec
from mockserver.data import relative_dates
from mockserver.data.fixtures import FixtureError, Fixtures, _TextLoader, api_view, load_fixtures

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
ALL_LEAD_RIGHTS = {
    "lead.read", "lead.read.other", "lead.update", "lead.update.other",
    "lead.delete", "lead.delete.other",
}  # fmt: skip
RECORDING_1, RECORDING_5 = "/__mock/recordings/1.mp3", "/__mock/recordings/5.mp3"
NOW = Clock(PINNED_NOW).started  # 2025-01-15T09:30:00+04:00


def ago(days: int, time_of_day: str) -> str:
    """What ``!ago <days>d <time_of_day>`` reads as with the tests' pinned now."""
    return f"{(NOW - timedelta(days=days)).date().isoformat()}T{time_of_day}+04:00"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec.load(ROOT / "openapi.yaml")


@pytest.fixture(scope="module")
def shipped(spec: Spec) -> Fixtures:
    return load_fixtures(FIXTURES, spec, NOW)


def calls(shipped: Fixtures) -> list[CallTracking]:
    return list(shipped.dataset.call_trackings.values())


# --- the shipped fixtures -------------------------------------------------------------------


def test_shipped_fixtures_load_in_id_order(shipped: Fixtures) -> None:
    data = shipped.dataset
    assert data.counts() == {"users": 8, "leads": 6, "properties": 6, "call_trackings": 20}
    assert list(data.users) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert list(data.leads) == [101, 102, 103, 104, 105, 106]
    assert list(data.properties) == [201, 202, 203, 204, 205, 206]
    assert list(data.call_trackings) == list(range(1, 21))


@pytest.mark.parametrize(
    ("name", "token", "user_id", "rights"),
    [
        ("admin", "admin-token", 1, ALL_LEAD_RIGHTS),
        ("agent", "agent-token", 2, {"lead.read", "lead.update", "lead.delete"}),
        ("viewer", "viewer-token", 3, {"lead.read", "lead.read.other"}),
        ("norights", "norights-token", 4, {"contact.read"}),
    ],
)
def test_persona(shipped: Fixtures, name: str, token: str, user_id: int, rights: set[str]) -> None:
    persona = next(p for p in shipped.personas if p.name == name)
    assert (persona.token, persona.user_id, persona.rights) == (token, user_id, rights)
    assert persona.description
    assert shipped.dataset.users[user_id].email.endswith("@dunesrealty.example")


def test_personas_in_file_order(shipped: Fixtures) -> None:
    assert [p.name for p in shipped.personas] == ["admin", "agent", "viewer", "norights"]


@pytest.mark.parametrize(
    ("case", "ct_id", "expected"),
    [
        ("answered, recording", 1, {"status": "answered", "download_url": RECORDING_1}),
        ("voicemail, recording", 5, {"status": "voicemail", "download_url": RECORDING_5}),
        ("notanswered, no recording", 3, {"status": "notanswered", "download_url": None,
                                          "talk_time": 0}),
        ("canceled, no recording", 4, {"status": "canceled", "download_url": None,
                                       "talk_time": 0}),
        ("all relations set", 1, {"user_id": 1, "lead_id": 102, "property_id": 202}),
        ("all relations null", 6, {"user_id": None, "lead_id": None, "property_id": None}),
        ("user null, lead set", 8, {"user_id": None, "lead_id": 104, "property_id": 205}),
        ("property null only", 7, {"user_id": 2, "lead_id": 103, "property_id": None}),
        ("lead null, property set", 5, {"user_id": 4, "lead_id": None, "property_id": 203}),
        ("landline caller", 9, {"phone": "+971 4 413 0444", "lead_id": 105}),
        ("15-minute talk", 18, {"talk_time": 900, "call_time": 907, "wait_time": 2}),
        ("seen", 18, {"marked_as_seen": True}),
        ("not seen", 19, {"marked_as_seen": False}),
        ("upstream example shape", 2, {"reference": "pfflex-2", "imported_id": "AE-7755602",
                                       "call_start": ago(59, "10:05:30"),
                                       "call_end": ago(59, "10:08:04"),
                                       "call_time": 154, "talk_time": 153}),
    ],
)  # fmt: skip
def test_edge_case_call(shipped: Fixtures, case: str, ct_id: int, expected: dict[str, Any]) -> None:
    ct = shipped.dataset.call_trackings[ct_id]
    assert {field: getattr(ct, field) for field in expected} == expected, case


@pytest.mark.parametrize(
    ("field", "value", "ids"),
    [
        ("status", "answered", {1, 2, 6, 10, 11, 13, 15, 18, 19}),
        ("status", "notanswered", {3, 8, 12, 17}),
        ("status", "canceled", {4, 9, 14, 20}),
        ("status", "voicemail", {5, 7, 16}),
        ("user_id", 1, {1, 12, 13, 19}),  # admin
        ("user_id", 2, {2, 3, 7, 14, 18}),  # agent
        ("user_id", 3, {4, 11}),  # viewer
        ("user_id", 4, {5, 17}),  # norights
        ("user_id", None, {6, 8, 20}),
        ("lead_id", None, {4, 5, 6, 12, 13, 15}),
        ("property_id", None, {4, 6, 7, 16, 17}),
        ("phone", "+971 55 487 9009", {2, 3, 19}),  # lead 101 calls three times
        ("phone", "+971 4 338 5521", {12, 13}),  # an unknown caller calls back
    ],
)
def test_calls_by_field(shipped: Fixtures, field: str, value: object, ids: set[int]) -> None:
    assert {ct.id for ct in calls(shipped) if getattr(ct, field) == value} == ids


def test_fixture_calls_follow_the_seed_conventions(shipped: Fixtures) -> None:
    for ct in calls(shipped):
        assert ct.reference == f"pfflex-{ct.id}"
        assert ct.imported_id == f"AE-{7755600 + ct.id}"
        assert ct.imported_from == "propertyfinder"
        assert ct.updated_at == ct.created_at > ct.call_end
        assert ago(61, "00:00:00") <= ct.call_start <= ago(3, "23:59:59")  # 3 to 61 days ago
        assert ct.call_start.endswith("+04:00")


@pytest.mark.parametrize(
    ("lead_id", "name", "user_id"),
    [
        (101, "John Doe", 2),
        (102, "Aisha Khalid Al Mansoori", 1),
        (103, "Rahul Kumar Sharma", 5),
        (104, "Elena Petrova", None),
        (105, "Hassan Ibrahim", 3),
        (106, "Sophie Martin", 4),
    ],
)
def test_leads(shipped: Fixtures, lead_id: int, name: str, user_id: int | None) -> None:
    lead = shipped.dataset.leads[lead_id]
    assert (lead.name, lead.user_id) == (name, user_id)


def test_property_edge_cases(shipped: Fixtures) -> None:
    props = shipped.dataset.properties
    assert props[201].reference == "pfflex-123"
    assert (props[203].bedrooms, props[203].sub_community, props[203].user_id) == (0, None, None)
    assert (props[204].category, props[204].type_name) == ("commercial", "office")
    assert props[205].city == "Abu Dhabi"
    assert props[206].status == "under offer"
    assert {p.offering_type for p in props.values()} == {"rent", "sale"}


def test_api_view_adds_what_responses_carry() -> None:
    record = {"id": 1, "download_url": "/__mock/recordings/1.mp3"}
    assert api_view("call_trackings", record) == {
        "id": 1, "download_url": "http://localhost/__mock/recordings/1.mp3", "acl_rule": "full",
    }  # fmt: skip
    assert api_view("users", {"id": 1}) == {"id": 1}
    assert record == {"id": 1, "download_url": "/__mock/recordings/1.mp3"}  # not changed


# --- broken fixtures ------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], object]


def write_fixtures(
    directory: Path, records: Mutation | None = None, personas: Mutation | None = None
) -> None:
    """The shipped fixtures, copied into ``directory`` with one change made."""
    for name, mutate in (("records.yaml", records), ("personas.yaml", personas)):
        data = yaml.load((FIXTURES / name).read_text(encoding="utf-8"), Loader=_TextLoader)
        data = relative_dates.resolve(data, NOW)  # written out, so that safe_dump can write it
        if mutate:
            mutate(data)
        (directory / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def ct(index: int, **changes: Any) -> Mutation:
    return lambda data: data["call_trackings"][index].update(changes)


BROKEN_RECORDS: list[tuple[str, Mutation, str]] = [
    ("wrong status", ct(3, status="ringing"),
     "call_trackings[3] (id 4): status: "
     "'ringing' is not one of ['notanswered', 'answered', 'canceled', 'voicemail']"),
    ("missing field", lambda d: d["call_trackings"][0].pop("imported_id"),
     "call_trackings[0] (id 1): imported_id: required field is missing"),
    ("missing nullable field", lambda d: d["leads"][1].pop("middle_name"),
     "leads[1] (id 102): middle_name: required field is missing"),
    ("missing nested field", lambda d: d["properties"][0]["price"].pop("offering_type"),
     "properties[0] (id 201): price.offering_type: required field is missing"),
    ("nested value out of range", lambda d: d["properties"][0]["price"].update(value=-5),
     "properties[0] (id 201): price.value: -5 is less than the minimum of 0"),
    ("misspelt field", ct(0, marked_as_sen=True),
     "call_trackings[0] (id 1): marked_as_sen: unknown field"),
    ("acl_rule stored", ct(0, acl_rule="full"),
     "call_trackings[0] (id 1): acl_rule: computed per caller, not stored"),
    ("expanded relation", ct(0, user={"id": 1, "public": {}}),
     "call_trackings[0] (id 1): user.public: "
     "unknown field (relations are written collapsed, as {id: n})"),
    ("bad date-time", ct(0, call_start="2022-13-01T09:12:05+04:00"),
     'call_trackings[0] (id 1): call_start: "2022-13-01T09:12:05+04:00" is not a "date-time"'),
    ("dangling user", ct(1, user={"id": 99}),
     "call_trackings[1] (id 2): user: no user with id 99"),
    ("dangling lead owner", lambda d: d["leads"][0].update(user={"id": 77}),
     "leads[0] (id 101): user: no user with id 77"),
    ("talk longer than call", ct(0, talk_time=999),
     "call_trackings[0] (id 1): talk_time: 999 is more than call_time 165"),
    ("call_end off", ct(0, call_end=ago(61, "09:20:00")),
     "call_trackings[0] (id 1): call_end: "
     f"expected {ago(61, '09:14:50')} (call_start + call_time)"),
    ("recording on a canceled call", ct(3, download_url="/__mock/recordings/4.mp3"),
     "call_trackings[3] (id 4): download_url: "
     "must be null for a canceled call (it has no recording)"),
    ("talk on an unanswered call", ct(2, talk_time=3),
     "call_trackings[2] (id 3): talk_time: must be 0 for a notanswered call"),
    ("unknown collection", lambda d: d.update(calltrackings=[]),
     "unknown key 'calltrackings'; expected users, leads, properties, call_trackings"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "message"), [c[1:] for c in BROKEN_RECORDS], ids=[c[0] for c in BROKEN_RECORDS]
)
def test_broken_record(spec: Spec, tmp_path: Path, mutate: Mutation, message: str) -> None:
    write_fixtures(tmp_path, records=mutate)
    with pytest.raises(FixtureError) as caught:
        load_fixtures(tmp_path, spec, NOW)
    assert str(caught.value) == f"{tmp_path / 'records.yaml'}: {message}"


def test_duplicate_id_names_both_places(spec: Spec, tmp_path: Path) -> None:
    write_fixtures(tmp_path, records=ct(1, id=1, reference="pfflex-1"))
    with pytest.raises(FixtureError) as caught:
        load_fixtures(tmp_path, spec, NOW)
    records = tmp_path / "records.yaml"
    assert str(caught.value) == (
        f"{records}: call_trackings[1] (id 1): id: "
        f"duplicate id 1, first used by {records}: call_trackings[0] (id 1)"
    )
    assert (caught.value.file, caught.value.record, caught.value.field) == (
        str(records), "call_trackings[1] (id 1)", "id",
    )  # fmt: skip


def test_user_id_clashing_with_a_persona(spec: Spec, tmp_path: Path) -> None:
    write_fixtures(tmp_path, records=lambda d: d["users"][0].update(id=1))
    with pytest.raises(FixtureError) as caught:
        load_fixtures(tmp_path, spec, NOW)
    assert str(caught.value) == (
        f"{tmp_path / 'records.yaml'}: users[0] (id 1): id: "
        f"duplicate id 1, first used by {tmp_path / 'personas.yaml'}: personas[0] (admin)"
    )


def persona(index: int, **changes: Any) -> Mutation:
    return lambda data: data["personas"][index].update(changes)


BROKEN_PERSONAS: list[tuple[str, Mutation, str]] = [
    ("duplicate token", persona(1, token="admin-token"),
     "personas[1] (agent): token: 'admin-token' is already used by personas[0] (admin)"),
    ("rights not a list", persona(1, rights="lead.read"),
     "personas[1] (agent): rights: must be a list of strings"),
    ("right not a string", persona(1, rights=["lead.read", 7]),
     "personas[1] (agent): rights: must be a list of strings"),
    ("missing token", lambda d: d["personas"][2].pop("token"),
     "personas[2] (viewer): token: required field is missing"),
    ("empty name", persona(0, name=""),
     "personas[0] (): name: must be a non-empty string"),
    ("unknown field", persona(2, colour="red"),
     "personas[2] (viewer): colour: unknown field"),
    ("invalid user email",
     lambda d: d["personas"][0]["user"]["public"].update(email="not-an-email"),
     'personas[0] (admin): user.public.email: "not-an-email" is not a "email"'),
    ("user without public profile", lambda d: d["personas"][3]["user"].pop("public"),
     "personas[3] (norights): user.public: required field is missing"),
    ("records in personas.yaml", lambda d: d.update(users=[]),
     "unknown key 'users'; expected personas"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "message"), [c[1:] for c in BROKEN_PERSONAS], ids=[c[0] for c in BROKEN_PERSONAS]
)
def test_broken_persona(spec: Spec, tmp_path: Path, mutate: Mutation, message: str) -> None:
    write_fixtures(tmp_path, personas=mutate)
    with pytest.raises(FixtureError) as caught:
        load_fixtures(tmp_path, spec, NOW)
    assert str(caught.value) == f"{tmp_path / 'personas.yaml'}: {message}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("call_trackings:\n  - id: 1\n   status: [\n",
         "invalid YAML: expected <block end>, but found '<block mapping start>' "
         "at line 3 column 4"),
        ("- 1\n- 2\n", "the file must hold a mapping of collections"),
        ("call_trackings: {id: 1}\n", "call_trackings: must be a list of records"),
        ("call_trackings:\n  - 5\n", "call_trackings[0]: must be a mapping"),
    ],
    ids=["bad syntax", "not a mapping", "not a list", "record not a mapping"],
)  # fmt: skip
def test_malformed_file(spec: Spec, tmp_path: Path, text: str, message: str) -> None:
    write_fixtures(tmp_path)
    (tmp_path / "records.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(FixtureError) as caught:
        load_fixtures(tmp_path, spec, NOW)
    assert str(caught.value) == f"{tmp_path / 'records.yaml'}: {message}"


def test_missing_directory(spec: Spec, tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match=r"nowhere: not a directory$"):
        load_fixtures(tmp_path / "nowhere", spec, NOW)


def test_records_may_span_files(spec: Spec, shipped: Fixtures, tmp_path: Path) -> None:
    """Files load in sorted order; a dangling relation names the file of the record holding it."""

    def move_leads(data: dict[str, Any]) -> None:
        leads = data.pop("leads")
        (tmp_path / "a-leads.yaml").write_text(yaml.safe_dump({"leads": leads}), encoding="utf-8")

    write_fixtures(tmp_path, records=move_leads)
    assert load_fixtures(tmp_path, spec, NOW).dataset == shipped.dataset

    leads_file = tmp_path / "a-leads.yaml"
    leads_file.write_text(leads_file.read_text().replace("id: 1\n", "id: 99\n"), encoding="utf-8")
    with pytest.raises(FixtureError) as caught:
        load_fixtures(tmp_path, spec, NOW)
    assert str(caught.value) == f"{leads_file}: leads[1] (id 102): user: no user with id 99"


def test_unquoted_timestamps_stay_text(spec: Spec, tmp_path: Path) -> None:
    write_fixtures(tmp_path)
    path = tmp_path / "records.yaml"
    text = path.read_text(encoding="utf-8")
    start = ago(61, "09:12:05")
    path.write_text(text.replace(f"'{start}'", start))
    assert f"call_start: {start}\n" in path.read_text()
    loaded = load_fixtures(tmp_path, spec, NOW)
    assert loaded.dataset.call_trackings[1].call_start == start


def test_timestamps_in_other_offsets_are_stored_in_uae_time(spec: Spec, tmp_path: Path) -> None:
    """The date filters read the local day from the text: a ``Z`` time must not shift it."""

    def utc_times(data: dict[str, Any]) -> None:
        data["call_trackings"][0].update(
            call_start="2022-11-01T05:12:05Z",  # 09:12:05 in Dubai
            call_end="2022-10-31T23:14:50-06:00",  # 09:14:50 in Dubai, the next day
            created_at="2022-11-01T05:15:34+00:00",
            updated_at="2022-11-01T09:15:34+04:00",
        )
        data["leads"][0]["updated_at"] = "2022-11-03T06:20:00Z"

    write_fixtures(tmp_path, records=utc_times)
    loaded = load_fixtures(tmp_path, spec, NOW)
    first = loaded.dataset.call_trackings[1]
    assert (first.call_start, first.call_end, first.created_at, first.updated_at) == (
        "2022-11-01T09:12:05+04:00", "2022-11-01T09:14:50+04:00",
        "2022-11-01T09:15:34+04:00", "2022-11-01T09:15:34+04:00",
    )  # fmt: skip
    assert loaded.dataset.leads[101].updated_at == "2022-11-03T10:20:00+04:00"


# --- dates relative to now -------------------------------------------------------------------


def test_shipped_calls_are_dated_relative_to_now(shipped: Fixtures) -> None:
    first, last = shipped.dataset.call_trackings[1], shipped.dataset.call_trackings[20]
    assert (first.call_start, first.created_at) == (ago(61, "09:12:05"), ago(61, "09:15:34"))
    assert (last.call_start, last.call_end) == (ago(3, "20:59:31"), ago(3, "20:59:50"))
    assert shipped.dataset.leads[101].created_at == ago(65, "16:02:11")


def write_call_start(directory: Path, value: str) -> Path:
    """The shipped records with call 1's start written as ``value``, verbatim YAML."""
    write_fixtures(directory)
    path = directory / "records.yaml"
    text = path.read_text(encoding="utf-8")
    start = f"call_start: '{ago(61, '09:12:05')}'"
    assert text.count(start) == 1
    path.write_text(text.replace(start, f"call_start: {value}"), encoding="utf-8")
    return path


def test_a_relative_date_in_a_file_reads_against_now(spec: Spec, tmp_path: Path) -> None:
    path = write_call_start(tmp_path, "!ago 61d 09:12:05")
    assert "call_start: !ago 61d 09:12:05\n" in path.read_text()
    loaded = load_fixtures(tmp_path, spec, NOW)
    assert loaded.dataset.call_trackings[1].call_start == ago(61, "09:12:05")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("!ago yesterday", "!ago takes '<days>d HH:MM:SS', e.g. '!ago 3d 09:12:05', "
                           "not 'yesterday'"),
        ("!ago 0d 09:12:05", "!ago counts 1 to 36500 days back, not 0"),
        ("!ago 36501d 09:12:05", "!ago counts 1 to 36500 days back, not 36501"),
        ("!ago 2d 25:00:00", "!ago: '25:00:00' is not a time of day"),
        ("!ago [1, 2]", "!ago takes '<days>d HH:MM:SS', e.g. '!ago 3d 09:12:05', "
                        "not a sequence"),
    ],
    ids=["not the form", "no days back", "too many days", "no such hour", "not a scalar"],
)  # fmt: skip
def test_a_malformed_relative_date_names_its_line(
    spec: Spec, tmp_path: Path, value: str, problem: str
) -> None:
    path = write_call_start(tmp_path, value)
    line, column = next((i, text.index("!ago") + 1)
                        for i, text in enumerate(path.read_text().splitlines(), 1)
                        if "!ago" in text)  # fmt: skip
    with pytest.raises(FixtureError) as caught:
        load_fixtures(tmp_path, spec, NOW)
    assert str(caught.value) == f"{path}: invalid YAML: {problem} at line {line} column {column}"


def test_a_date_after_now_stops_the_load(spec: Spec, tmp_path: Path) -> None:
    write_fixtures(tmp_path, records=lambda d: d["leads"][0].update(
        updated_at="2025-01-15T09:30:01+04:00"))
    with pytest.raises(FixtureError) as caught:
        load_fixtures(tmp_path, spec, NOW)
    assert str(caught.value) == (
        f"{tmp_path / 'records.yaml'}: leads[0] (id 101): updated_at: "
        "2025-01-15T09:30:01+04:00 is after the mock's now (2025-01-15T09:30:00+04:00); "
        "write it relative to now (!ago 1d 09:00:00) or pin --now later"
    )
    write_fixtures(tmp_path, records=lambda d: d["leads"][0].update(
        updated_at="2025-01-15T09:30:00+04:00"))  # exactly now is not after it
    assert load_fixtures(tmp_path, spec, NOW).dataset.leads[101].updated_at == PINNED_NOW
