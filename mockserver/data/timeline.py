"""When generated calls happen: a window of days that ends at the mock's now.

Half of the calls spread evenly over the window and half crowd toward the present (a
30-day decay), weekdays are twice as busy as the weekend (Saturday and Sunday in the UAE),
and calls start in working hours, 08:00 to 21:00 UAE time, busiest mid-afternoon. The
newest call starts within the two hours before now (today unless now is within ``TAIL`` of
midnight, in working hours where they overlap), so a list sorted by date always opens on
recent activity, and no call starts later than ``TAIL`` before now: every call has ended,
and been logged, by then.

A call is first given a uniform draw ``u`` in [0, 1); ``place(u)`` turns it into a moment,
increasing with ``u``. Everything else about a call is drawn in the order of ``u``, never of
dates, so a different now moves the dates and nothing else; a now whole weeks later moves
every date by exactly those weeks. ``age_days(u)`` is the age a draw has in the window's
shape alone (no weekdays, no hours), for what depends on recency without depending on now.

Times are whole seconds since midnight (UAE) of the window's first day; ``stamp`` writes
them as the API does, ``2024-09-02T12:40:43+04:00``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import date, datetime
from functools import lru_cache

from ..core.clock import UAE

DAY = 86_400
OPENS, CLOSES = 8 * 3600, 21 * 3600
RECENT_DAYS = 30.0  # the decay of the half of the calls that crowds toward now
WEEKEND = (5, 6)  # date.weekday(): Saturday, Sunday
WEEKEND_WEIGHT = 0.5
TAIL = 21 * 60  # a call lasts up to ~16 min and is logged up to 5 min after it ends
LATEST_WITHIN = 2 * 3600  # the newest call starts at most this long before now - TAIL


class Timeline:
    def __init__(self, now: datetime, days: int) -> None:
        if days < 1:
            raise ValueError(f"the history must span at least one day, not {days}")
        now = now.astimezone(UAE)
        self.days = days
        self.first_day = now.date().toordinal() - days
        self.now = days * DAY + now.hour * 3600 + now.minute * 60 + now.second
        self.end = self.now - TAIL  # the latest a call may start
        self._minutes = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
        self._seconds = [f"{s:02d}+04:00" for s in range(60)]
        self._spans, self._cumulative = self._day_masses()
        self._ages = _age_table(days)

    def place(self, u: float) -> int:
        """The start of the call drawn ``u``: increasing with ``u``, within the window."""
        target = u * self._cumulative[-1]
        i = min(bisect_right(self._cumulative, target), len(self._spans) - 1)
        below = self._cumulative[i - 1] if i else 0.0
        mass = self._cumulative[i] - below
        day, low, high = self._spans[i]
        share = (target - below) / mass if mass else 0.0
        moment = day * DAY + OPENS + int(_hour_of(low + share * (high - low)) * (CLOSES - OPENS))
        return min(moment, self.end)

    def latest(self, placed: int, v: float) -> int:
        """The newest call's start: where ``placed`` put it if that is recent enough, else a
        moment drawn ``v`` in the two hours before ``end``: on now's day if ``end`` is, and
        in its working hours where they overlap those two hours."""
        low, high = self.end - LATEST_WITHIN, self.end
        today = self.now - self.now % DAY
        if high > today:
            low = max(low, today)
        opens, closes = max(low, today + OPENS), min(high, today + CLOSES)
        if opens < closes:
            low, high = opens, closes
        return max(placed, low + int(v * (high - low)))

    def age_days(self, u: float) -> float:
        """How many days old the call drawn ``u`` is in the window's shape alone."""
        younger = 1.0 - u  # the share of calls newer than this one
        i = bisect_right(self._ages, younger)
        if i >= len(self._ages):
            return float(self.days)
        low, high = self._ages[i - 1], self._ages[i]
        return (i - 1) + (younger - low) / (high - low)

    def stamp(self, seconds: int) -> str:
        day, second = divmod(seconds, DAY)
        minute, second = divmod(second, 60)
        return _day_prefix(self.first_day + day) + self._minutes[minute] + self._seconds[second]

    def seconds(self, text: str) -> int:
        """The inverse of ``stamp`` (for ``+04:00`` times only)."""
        day = date.fromisoformat(text[:10]).toordinal() - self.first_day
        return day * DAY + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])

    def _day_masses(self) -> tuple[list[tuple[int, float, float]], list[float]]:
        """Per calendar day with working hours inside the window: (day, low, high) as
        fractions of the working day, and the running total of the days' masses."""
        spans: list[tuple[int, float, float]] = []
        cumulative: list[float] = []
        total = 0.0
        start = self.now - self.days * DAY
        for day in range(self.days + 1):
            opens, closes = day * DAY + OPENS, day * DAY + CLOSES
            lo, hi = max(opens, start), min(closes, self.end)
            if hi <= lo:
                continue
            low, high = (lo - opens) / (CLOSES - OPENS), (hi - opens) / (CLOSES - OPENS)
            weekday = date.fromordinal(self.first_day + day).weekday()
            weight = WEEKEND_WEIGHT if weekday in WEEKEND else 1.0
            age = (self.now - (lo + hi) / 2) / DAY
            total += _activity(age, self.days) * weight * (_share_by(high) - _share_by(low))
            spans.append((day, _share_by(low), _share_by(high)))
            cumulative.append(total)
        if not spans:  # unreachable for days >= 1: every day of 24 h holds working hours
            raise ValueError("the window holds no working hours")
        return spans, cumulative


def _activity(age: float, days: int) -> float:
    """Calls per day at ``age`` days ago, both halves summing to one over the window."""
    recent = math.exp(-age / RECENT_DAYS) / (RECENT_DAYS * -math.expm1(-days / RECENT_DAYS))
    return 0.5 / days + 0.5 * recent


def _age_table(days: int) -> list[float]:
    """The share of calls younger than 0, 1, ..., ``days`` days, in the window's shape."""
    norm = -math.expm1(-days / RECENT_DAYS)
    return [0.5 * a / days + 0.5 * -math.expm1(-a / RECENT_DAYS) / norm
            for a in range(days + 1)]  # fmt: skip


def _share_by(x: float) -> float:
    """The share of a working day's calls started by ``x`` (0 opening, 1 closing): the
    triangular shape that peaks mid-afternoon."""
    return 2 * x * x if x <= 0.5 else 1 - 2 * (1 - x) ** 2


def _hour_of(p: float) -> float:
    """The inverse of ``_share_by``."""
    return math.sqrt(p / 2) if p <= 0.5 else 1 - math.sqrt((1 - p) / 2)


@lru_cache(maxsize=4096)
def _day_prefix(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat() + "T"
