"""Generated data: repeatable, the size asked for, valid against the spec, self-consistent,
and ending at the mock's now (``tests/data/test_timeline.py`` has the window's shape)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import PINNED_NOW

from mockserver.core import codec
from mockserver.core.clock import Clock
from mockserver.core.dataset import Dataset
from mockserver.core.model import CallTracking, Lead
from mockserver.core.spec import Spec
from mockserver.data import seed
from mockserver.data.fixtures import Fixtures, api_view, load_fixtures

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_CALLS = 20
FIRST_GENERATED = 1001
NOW = Clock(PINNED_NOW).started
HISTORY_DAYS = 730


def generate(seed_: int, count: int, fixtures: Fixtures) -> Dataset:
    return seed.generate(seed_, count, fixtures, now=NOW, history_days=HISTORY_DAYS)
PHONE = re.compile(r"^\+971 (5[024568]|4) \d{3} \d{4}$")
IMPORTED_ID = re.compile(r"^AE-\d{7}$")
NO_RECORDING = {"notanswered", "canceled"}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec.load(ROOT / "openapi.yaml")


@pytest.fixture(scope="module")
def fixtures(spec: Spec) -> Fixtures:
    return load_fixtures(ROOT / "fixtures", spec, NOW)


@pytest.fixture(scope="module")
def data(fixtures: Fixtures) -> Dataset:
    return generate(7, 250, fixtures)


@pytest.fixture(scope="module")
def generated(data: Dataset) -> list[CallTracking]:
    return [ct for ct in data.call_trackings.values() if ct.id >= FIRST_GENERATED]


@pytest.fixture(scope="module")
def large_data(fixtures: Fixtures) -> Dataset:
    """Enough records for proportions and rare clashes to show (fixed seed: never flaky)."""
    return generate(3, 5000, fixtures)


@pytest.fixture(scope="module")
def large(large_data: Dataset) -> list[CallTracking]:
    return [ct for ct in large_data.call_trackings.values() if ct.id >= FIRST_GENERATED]


# --- repeatability and size ------------------------------------------------------------------


def test_same_seed_same_data(fixtures: Fixtures, data: Dataset) -> None:
    again = generate(7, 250, fixtures)
    assert again == data
    assert [codec.lead_to_json(x) for x in again.leads.values()] == [
        codec.lead_to_json(x) for x in data.leads.values()
    ]


@pytest.mark.parametrize("table", ["users", "leads", "properties", "call_trackings"])
def test_other_seed_other_data(fixtures: Fixtures, data: Dataset, table: str) -> None:
    other = generate(8, 250, fixtures)
    assert getattr(other, table) != getattr(data, table)
    assert list(getattr(other, table)) == list(getattr(data, table))  # same ids, other values


@pytest.mark.parametrize(
    ("count", "total"),
    [(0, 20), (19, 20), (20, 20), (21, 21), (250, 250), (1000, 1000)],
    ids=["0 -> fixtures only", "below fixtures", "= fixtures", "one more", "250", "1000"],
)
def test_count_is_the_total_of_call_trackings(fixtures: Fixtures, count: int, total: int) -> None:
    made = generate(1, count, fixtures)
    assert len(made.call_trackings) == total
    assert list(made.call_trackings)[:FIXTURE_CALLS] == list(range(1, FIXTURE_CALLS + 1))
    generated_ids = list(made.call_trackings)[FIXTURE_CALLS:]
    assert generated_ids == list(range(FIRST_GENERATED, FIRST_GENERATED + total - FIXTURE_CALLS))


def test_negative_count_is_refused(fixtures: Fixtures) -> None:
    with pytest.raises(ValueError, match="count must be 0 or more, not -1"):
        generate(1, -1, fixtures)


def test_supporting_records_scale_with_count(data: Dataset) -> None:
    # fixtures (8 users, 6 leads, 6 properties) + 12 agents, 250 // 3 leads, 250 // 4 properties
    assert data.counts() == {"users": 20, "leads": 89, "properties": 68, "call_trackings": 250}
    assert list(data.users)[8:] == list(range(1001, 1013))
    assert list(data.leads)[6:] == list(range(1001, 1084))
    assert list(data.properties)[6:] == list(range(1001, 1063))


def test_minimum_leads_and_properties(fixtures: Fixtures) -> None:
    assert generate(1, 0, fixtures).counts() == {
        "users": 20, "leads": 26, "properties": 21, "call_trackings": 20,
    }  # fmt: skip


def test_fixture_records_kept_and_untouched(fixtures: Fixtures, data: Dataset) -> None:
    before = fixtures.dataset.counts()
    for table in ("users", "leads", "properties", "call_trackings"):
        original = getattr(fixtures.dataset, table)
        assert {k: getattr(data, table)[k] for k in original} == original
    assert fixtures.dataset.counts() == before


# --- validity --------------------------------------------------------------------------------


def test_integrity(data: Dataset) -> None:
    data.check_integrity()


SHAPES: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "users": ("User", codec.user_to_json),
    "leads": ("Lead", codec.lead_to_json),
    "properties": ("Property", codec.property_to_json),
    "call_trackings": ("CallTracking", codec.call_tracking_to_json),
}


@pytest.mark.parametrize("table", SHAPES)
def test_every_record_matches_the_spec(spec: Spec, data: Dataset, table: str) -> None:
    schema, render = SHAPES[table]
    validator = spec.component_validator(schema)
    records = [render(record) for record in getattr(data, table).values()]
    problems = [
        (record["id"], list(error.instance_path), error.message)
        for record in records
        for error in validator.iter_errors(api_view(table, record))
    ]
    assert problems == []
    assert len(records) == data.counts()[table]


# --- consistency of every generated call ------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def call_problems(ct: CallTracking, data: Dataset) -> list[str]:
    """Every rule a generated call breaks (empty when it is consistent)."""
    rules = [
        ("call_end = call_start + call_time",
         at(ct.call_end) == at(ct.call_start) + timedelta(seconds=ct.call_time)),
        ("talk_time <= call_time", 0 <= ct.talk_time <= ct.call_time),
        ("wait_time 0..30, within the call", 0 <= ct.wait_time <= min(30, ct.call_time)),
        ("no recording, no talk", ct.status not in NO_RECORDING
         or (ct.talk_time == 0 and ct.download_url is None and 10 <= ct.call_time <= 45)),
        ("recording", ct.status in NO_RECORDING
         or (ct.talk_time > 0 and ct.download_url == f"/__mock/recordings/{ct.id}.mp3")),
        ("answered talk 20 s..15 min", ct.status != "answered" or 20 <= ct.talk_time <= 900),
        ("created_at after call_end, by minutes at most",
         timedelta(0) < at(ct.created_at) - at(ct.call_end) <= timedelta(minutes=5, seconds=5)),
        ("updated_at = created_at", ct.updated_at == ct.created_at),
        ("phone format", PHONE.match(ct.phone) is not None),
        ("reference", ct.reference == f"pfflex-{ct.id}"),
        ("imported_id", IMPORTED_ID.match(ct.imported_id) is not None),
        ("imported_from", ct.imported_from == "propertyfinder"),
        ("starts in the window, 08:00-21:00 UAE",
         NOW - timedelta(days=HISTORY_DAYS) <= at(ct.call_start) <= NOW - timedelta(minutes=21)
         and "08" <= ct.call_start[11:13] <= "20" and ct.call_start.endswith("+04:00")),
        ("logged by now", at(ct.created_at) <= NOW),
        ("lead's number", ct.lead_id is None
         or ct.phone in (data.leads[ct.lead_id].mobile, data.leads[ct.lead_id].phone)),
        ("lead created before the call", ct.lead_id is None
         or at(data.leads[ct.lead_id].created_at) <= at(ct.call_start)),
    ]  # fmt: skip
    return [f"{ct.id}: {name}" for name, holds in rules if not holds]


def test_every_generated_call_is_consistent(data: Dataset, generated: list[CallTracking]) -> None:
    assert len(generated) == 230
    assert [p for ct in generated for p in call_problems(ct, data)] == []


def test_ids_and_imported_ids_rise_with_time(generated: list[CallTracking]) -> None:
    starts = [ct.call_start for ct in generated]
    imported = [int(ct.imported_id[3:]) for ct in generated]
    assert starts == sorted(starts)
    assert imported == sorted(set(imported))


def test_generated_leads_and_properties_are_realistic(data: Dataset) -> None:
    leads = [x for x in data.leads.values() if x.id >= FIRST_GENERATED]
    for lead in leads:
        assert lead.mobile or lead.phone, lead.id
        assert all(PHONE.match(n) for n in (lead.mobile, lead.phone) if n), lead.id
        assert lead.email is None or seed._ascii(lead.last_name) in lead.email, lead.id
        assert at(lead.created_at) <= at(lead.updated_at) <= NOW, lead.id
    assert any(lead.middle_name for lead in leads)
    assert any(lead.title for lead in leads) and any(lead.title is None for lead in leads)
    for prop in (x for x in data.properties.values() if x.id >= FIRST_GENERATED):
        low, high = (40_000, 600_000) if prop.offering_type == "rent" else (600_000, 30_000_000)
        assert low <= prop.price <= high, prop.id
        assert prop.city in ("Dubai", "Abu Dhabi"), prop.id
        assert prop.category == seed.TYPES[prop.type_name][0], prop.id
        assert prop.category == "residential" or prop.bedrooms == 0, prop.id
        assert prop.reference == f"DR-{prop.offering_type[0].upper()}-{prop.id}", prop.id


# --- coverage of values and relations ---------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "attribute", "expected"),
    [
        ("statuses", lambda ct: ct.status, {"answered", "notanswered", "canceled", "voicemail"}),
        ("states", lambda ct: ct.state, {"assigned", "unassigned"}),
        ("user set or null", lambda ct: ct.user_id is None, {True, False}),
        ("lead set or null", lambda ct: ct.lead_id is None, {True, False}),
        ("property set or null", lambda ct: ct.property_id is None, {True, False}),
        ("recording or not", lambda ct: ct.download_url is None, {True, False}),
        ("seen or not", lambda ct: ct.marked_as_seen, {True, False}),
        ("mobile or landline", lambda ct: ct.phone[5] == "4", {True, False}),
    ],
)
def test_every_value_occurs(
    generated: list[CallTracking],
    label: str,
    attribute: Callable[[CallTracking], object],
    expected: set[object],
) -> None:
    assert {attribute(ct) for ct in generated} == expected, label


def test_persona_users_own_generated_calls(generated: list[CallTracking]) -> None:
    owners = Counter(ct.user_id for ct in generated)
    assert all(owners[user_id] >= 10 for user_id in (1, 2, 3)), owners
    assert 1 <= owners[4] < owners[1], owners


def test_some_callers_call_more_than_once(generated: list[CallTracking]) -> None:
    calls_per_phone = Counter(ct.phone for ct in generated)
    assert max(calls_per_phone.values()) >= 3
    repeated = [ct for ct in generated if calls_per_phone[ct.phone] > 1]
    assert {ct.lead_id is None for ct in repeated} == {True, False}  # leads and strangers


@pytest.mark.parametrize(
    ("label", "share", "low", "high"),
    [
        ("answered", lambda c: c.status == "answered", 0.45, 0.55),
        ("notanswered", lambda c: c.status == "notanswered", 0.21, 0.29),
        ("canceled", lambda c: c.status == "canceled", 0.12, 0.18),
        ("voicemail", lambda c: c.status == "voicemail", 0.07, 0.13),
        ("user null", lambda c: c.user_id is None, 0.015, 0.045),
        ("lead null", lambda c: c.lead_id is None, 0.35, 0.45),
        ("property null", lambda c: c.property_id is None, 0.25, 0.35),
        ("norights user", lambda c: c.user_id == 4, 0.005, 0.04),
        ("admin user", lambda c: c.user_id == 1, 0.08, 0.2),
    ],
)
def test_proportions(
    large: list[CallTracking],
    label: str,
    share: Callable[[CallTracking], bool],
    low: float,
    high: float,
) -> None:
    assert low <= sum(map(share, large)) / len(large) <= high, label


def name_parts(leads: Iterable[Lead]) -> set[str]:
    return {p.lower() for x in leads for p in (x.first_name, x.middle_name, x.last_name) if p}


def test_generated_calls_stay_clear_of_fixture_values(
    fixtures: Fixtures, large_data: Dataset, large: list[CallTracking]
) -> None:
    """So that filtering on a fixture's lead, property, user 5-8 or phone finds fixtures only."""
    fx = fixtures.dataset
    assert not {ct.lead_id for ct in large} & set(fx.leads)
    assert not {ct.property_id for ct in large} & set(fx.properties)
    assert not {ct.user_id for ct in large} & {5, 6, 7, 8}
    fixture_digits = {ct.phone_digits for ct in fx.call_trackings.values()}
    assert not {ct.phone_digits for ct in large} & fixture_digits
    generated_leads = [x for x in large_data.leads.values() if x.id >= FIRST_GENERATED]
    assert not name_parts(generated_leads) & name_parts(fx.leads.values())
    all_imported = [ct.imported_id for ct in large_data.call_trackings.values()]
    assert len(all_imported) == len(set(all_imported))


@pytest.mark.slow
def test_100k_call_trackings_are_generated_whole(fixtures: Fixtures) -> None:
    """How long it takes is a figure of ``make bench`` (its data sizes table), not a test."""
    made = generate(42, 100_000, fixtures)
    assert len(made.call_trackings) == 100_000
    made.check_integrity()
