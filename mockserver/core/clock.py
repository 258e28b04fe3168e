"""The time the mock stamps on changes, in UAE time like the upstream.

Pinning it (``--now``) makes responses after a change byte-identical between runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

UAE = timezone(timedelta(hours=4))


class Clock:
    def __init__(self, pinned: str | None = None) -> None:
        self.pinned = None if pinned is None else format_time(datetime.fromisoformat(pinned))

    def now(self) -> str:
        if self.pinned is not None:
            return self.pinned
        return format_time(datetime.now(UAE))


def format_time(moment: datetime) -> str:
    """W3C format in +04:00 without fractions, as the upstream writes it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UAE)
    return moment.astimezone(UAE).replace(microsecond=0).isoformat()
