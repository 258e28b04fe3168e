"""Generated data that looks like today: a window ending at the mock's now, its shape, and a
different now moving the dates and nothing else.

Bounds on shares come from the model in ``mockserver/data/timeline.py`` (half the calls
even over 730 days, half on a 30-day decay; weekends at half weight), with room for the
draws of one fixed seed; they are checked on 5,000 calls, never on wall-clock time.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from conftest import PINNED_NOW, auth, make_app

from mockserver.core.clock import UAE, Clock
from mockserver.core.dataset import Dataset
from mockserver.core.spec import Spec
from mockserver.data.fixtures import Fixtures, dataset_to_json, load_fixtures
from mockserver.data.seed import generate
from mockserver.data.timeline import LATEST_WITHIN, TAIL, Timeline
from mockserver.settings import default_fixtures_dir

NOW = Clock(PINNED_NOW).started  # Wednesday 2025-01-15 09:30 UAE time
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+04:00$")


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec.load()


def make(spec: Spec, now: datetime, count: int = 250, days: int = 730, seed: int = 42) -> Dataset:
    fixtures = load_fixtures(default_fixtures_dir(), spec, now)
    return generate(seed, count, fixtures, now=now, history_days=days)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def generated_calls(data: Dataset) -> list[Any]:
    return [ct for ct in data.call_trackings.values() if ct.id > 1000]


# --- the window ends at now ------------------------------------------------------------------

NOWS = {
    "Wednesday 09:30 (the tests' now)": ("2025-01-15T09:30:00+04:00", 730),
    "just before midnight": ("2025-01-15T23:59:59+04:00", 730),
    "Saturday, before opening": ("2025-01-18T07:10:00+04:00", 730),
    "a week of history": ("2025-01-15T09:30:00+04:00", 7),
    "one day of history": ("2025-01-15T16:00:00+04:00", 1),
    "a leap day, ten years back": ("2028-02-29T12:00:00+04:00", 3650),
}


@pytest.mark.parametrize(("now_text", "days"), list(NOWS.values()), ids=list(NOWS))
def test_the_calls_end_just_before_now_and_reach_back_the_span(
    spec: Spec, now_text: str, days: int
) -> None:
    now = moment(now_text)
    calls = generated_calls(make(spec, now, days=days))
    starts = [moment(ct.call_start) for ct in calls]
    newest, oldest = max(starts), min(starts)
    assert now - timedelta(seconds=TAIL + LATEST_WITHIN) <= newest <= now - timedelta(seconds=TAIL)
    assert oldest >= now - timedelta(days=days)
    assert all(8 <= s.hour < 21 for s in starts if s != newest)


@pytest.mark.parametrize(
    ("now_text", "earliest", "latest"),
    [
        ("2025-01-15T09:30:00+04:00", "2025-01-15T08:00:00", "2025-01-15T09:09:00"),
        ("2025-01-15T14:00:00+04:00", "2025-01-15T11:39:00", "2025-01-15T13:39:00"),
        ("2025-01-15T23:59:59+04:00", "2025-01-15T21:38:59", "2025-01-15T23:38:59"),
        ("2025-01-15T00:40:00+04:00", "2025-01-15T00:00:00", "2025-01-15T00:19:00"),
        ("2025-01-15T00:10:00+04:00", "2025-01-14T21:49:00", "2025-01-14T23:49:00"),
    ],
    ids=["morning: in working hours", "afternoon: two hours", "night: off hours",
         "after midnight: today", "within 21 min of midnight: yesterday"],
)  # fmt: skip
def test_where_the_newest_call_goes(now_text: str, earliest: str, latest: str) -> None:
    timeline = Timeline(moment(now_text), 730)
    low, high = timeline.latest(0, 0.0), timeline.latest(0, 1.0)  # random() stays below 1
    assert (timeline.stamp(low)[:19], timeline.stamp(high)[:19]) == (earliest, latest)
    assert timeline.latest(timeline.end, 0.0) == timeline.end  # a later placement is kept


def test_with_the_tests_now_the_newest_call_is_from_that_morning(spec: Spec) -> None:
    calls = generated_calls(make(spec, NOW))
    newest = max(calls, key=lambda ct: ct.call_start)
    assert newest.call_start[:10] == "2025-01-15"
    assert (newest.id, newest.marked_as_seen) == (1230, False)  # the last id: ids rise with time


def test_without_a_pinned_now_the_data_ends_at_the_start(spec: Spec) -> None:
    before = datetime.now(UAE).replace(microsecond=0)
    client = make_app(now=None).test_client()
    after = datetime.now(UAE)
    params = {"sort": "date", "sort_order": "DESC", "per_page": 1}
    (newest,) = client.get("/calltrackings", query_string=params,
                           headers=auth()).get_json()["call_trackings"]  # fmt: skip
    start = moment(newest["call_start"])
    assert before - timedelta(seconds=TAIL + LATEST_WITHIN) <= start
    assert start <= after - timedelta(seconds=TAIL)


@pytest.mark.parametrize("now_text", [v[0] for v in NOWS.values()])
def test_nothing_is_dated_after_now(spec: Spec, now_text: str) -> None:
    now = moment(now_text)
    data = make(spec, now, count=600)
    stamps = [getattr(ct, name) for ct in data.call_trackings.values()
              for name in ("call_start", "call_end", "created_at", "updated_at")]
    stamps += [getattr(lead, name) for lead in data.leads.values()
               for name in ("created_at", "updated_at")]  # fmt: skip
    assert all(STAMP.match(s) for s in stamps)
    assert max(moment(s) for s in stamps) <= now


# --- its shape -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large(spec: Spec) -> list[Any]:
    return generated_calls(make(spec, NOW, count=5020, seed=3))


def share(calls: list[Any], holds: Any) -> float:
    return sum(1 for ct in calls if holds(ct)) / len(calls)


def age_days(ct: Any) -> int:
    return (NOW.date() - date.fromisoformat(ct.call_start[:10])).days


def model_share(days: float, span: float = 730) -> float:
    """The share of calls at most ``days`` old: half even, half on a 30-day decay."""
    return 0.5 * (1 - math.exp(-days / 30)) / (1 - math.exp(-span / 30)) + 0.5 * days / span


@pytest.mark.parametrize("days", [1, 7, 30, 90, 180, 365])
def test_half_the_calls_crowd_toward_now(large: list[Any], days: int) -> None:
    """Within four standard deviations of the model (1.4 % for the last week, 5,000 calls)."""
    expected = model_share(days)
    observed = share(large, lambda ct: NOW - moment(ct.call_start) <= timedelta(days=days))
    assert abs(observed - expected) <= 4 * math.sqrt(expected * (1 - expected) / len(large))
    assert share(large, lambda ct: age_days(ct) == 0) > 0  # and today has calls


def test_weekdays_are_twice_as_busy_as_the_weekend(large: list[Any]) -> None:
    by_weekday = Counter(date.fromisoformat(ct.call_start[:10]).weekday() for ct in large)
    weekday = sum(by_weekday[d] for d in range(5)) / 5
    weekend = (by_weekday[5] + by_weekday[6]) / 2
    assert 1.7 <= weekday / weekend <= 2.3, by_weekday


def test_calls_start_in_working_hours_busiest_mid_afternoon(large: list[Any]) -> None:
    hours = Counter(int(ct.call_start[11:13]) for ct in large)
    assert set(hours) <= set(range(8, 21))
    assert max(hours, key=hours.__getitem__) in (13, 14, 15)
    assert hours[14] > 4 * hours[8] and hours[14] > 4 * hours[20]


def test_recent_calls_are_more_often_unseen(large: list[Any]) -> None:
    recent = [ct for ct in large if age_days(ct) <= 1]
    old = [ct for ct in large if age_days(ct) > 30]
    assert len(recent) >= 50
    assert share(recent, lambda ct: ct.marked_as_seen) < 0.4  # model 0.15 to 0.37
    assert share(old, lambda ct: ct.marked_as_seen) > 0.85  # model 0.9


# --- a different now moves the dates and nothing else ----------------------------------------


def document(data: Dataset) -> dict[str, list[dict[str, Any]]]:
    return dataset_to_json(data)


def dated_fields(doc: dict[str, list[dict[str, Any]]]) -> list[tuple[str, int, str]]:
    return [(collection, i, key) for collection, records in doc.items()
            for i, record in enumerate(records)
            for key, value in record.items() if isinstance(value, str) and STAMP.match(value)]


def test_a_now_whole_weeks_later_moves_every_date_by_those_weeks(spec: Spec) -> None:
    before = document(make(spec, NOW))
    after = document(make(spec, NOW + timedelta(weeks=3)))
    fields = dated_fields(before)
    assert len(fields) == 250 * 4 + 89 * 2  # every call's and lead's four and two stamps
    moved = copy.deepcopy(before)
    for collection, i, key in fields:
        then = moment(before[collection][i][key]) + timedelta(weeks=3)
        moved[collection][i][key] = then.isoformat()
    assert moved == after


@pytest.mark.parametrize("shift", [timedelta(days=1, hours=7, minutes=12), timedelta(days=-200),
                                   timedelta(days=365 * 3 + 11, seconds=17)])
def test_any_other_now_changes_the_dates_only(spec: Spec, shift: timedelta) -> None:
    before = document(make(spec, NOW))
    after = document(make(spec, NOW + shift))
    fields = dated_fields(before)
    assert fields == dated_fields(after)
    for doc in (before, after):
        for collection, i, key in fields:
            doc[collection][i][key] = "<date>"
    assert before == after
    # and the dates did move: every call of the new data lies in the new window
    data = make(spec, NOW + shift)
    assert min(moment(ct.call_start) for ct in generated_calls(data)) >= (
        NOW + shift - timedelta(days=730)
    )


def test_the_fixtures_move_with_now_and_keep_their_times_of_day(spec: Spec) -> None:
    at_now: Fixtures = load_fixtures(default_fixtures_dir(), spec, NOW)
    later = load_fixtures(default_fixtures_dir(), spec, NOW + timedelta(days=10, hours=5))
    first, moved = at_now.dataset.call_trackings[1], later.dataset.call_trackings[1]
    assert (first.call_start, moved.call_start) == (
        "2024-11-15T09:12:05+04:00", "2024-11-25T09:12:05+04:00",
    )  # fmt: skip
    assert at_now.dataset.call_trackings[20].call_start[:10] == "2025-01-12"  # 3 days ago
    before, after = document(at_now.dataset), document(later.dataset)
    for collection, i, key in dated_fields(before):
        shifted = moment(before[collection][i][key]) + timedelta(days=10)
        assert after[collection][i][key] == shifted.isoformat(), (collection, i, key)


# --- the timeline itself ---------------------------------------------------------------------


def test_placing_is_increasing_and_inside_the_window() -> None:
    timeline = Timeline(NOW, 30)
    draws = [i / 2000 for i in range(2000)]
    placed = [timeline.place(u) for u in draws]
    assert placed == sorted(placed)
    assert timeline.now - 30 * 86_400 <= placed[0] and placed[-1] <= timeline.end
    ages = [timeline.age_days(u) for u in draws]
    assert ages == sorted(ages, reverse=True) and ages[0] == 30 and 0 <= ages[-1] < 0.05


def test_stamps_read_back() -> None:
    timeline = Timeline(NOW, 730)
    assert timeline.stamp(timeline.now) == PINNED_NOW
    for seconds in (0, 86_399, 86_400, timeline.end):
        assert timeline.seconds(timeline.stamp(seconds)) == seconds


def test_a_history_of_no_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one day, not 0"):
        Timeline(NOW, 0)
