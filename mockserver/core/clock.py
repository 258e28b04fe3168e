"""The mock's now, in UAE time like the upstream: where the data ends, and what changes are
stamped with.

``started`` is fixed when the clock is made: the pinned moment (``--now``), or the wall clock
at start. The generated data and the fixtures' relative dates end there. ``now()`` is the
pinned moment, or the wall clock as it runs. Pinning makes the data and every response,
after changes too, byte-identical between runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

UAE = timezone(timedelta(hours=4))


class Clock:
    def __init__(self, pinned: str | None = None, started: str | None = None) -> None:
        """``started``: where the data ends when the clock is not pinned (replicas share
        the first one's start, so that they build the same data); default: now."""
        if pinned is not None:
            moment = parse_moment(pinned)
        else:
            moment = datetime.now(UAE) if started is None else parse_moment(started)
        self.started = moment.astimezone(UAE).replace(microsecond=0)
        self.pinned = None if pinned is None else format_time(self.started)

    def now(self) -> str:
        if self.pinned is not None:
            return self.pinned
        return format_time(datetime.now(UAE))

    def timestamp(self) -> int:
        """Now in whole seconds since the epoch: what tokens are issued and checked at."""
        moment = self.started if self.pinned is not None else datetime.now(UAE)
        return int(moment.timestamp())


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date and time; without an offset it is read as UAE time."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UAE)


def format_time(moment: datetime) -> str:
    """W3C format in +04:00 without fractions, as the upstream writes it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UAE)
    return moment.astimezone(UAE).replace(microsecond=0).isoformat()
