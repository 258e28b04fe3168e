"""Dates in fixture files written relative to the mock's now: ``!ago 3d 20:59:31``.

The tag names a UAE day counted back from now's, and a time of that day: ``!ago 1d 09:12:05``
is yesterday at 09:12:05 UAE time. Counting starts at one day, so a relative date is in the
past at any time of day. When the fixtures are loaded, each becomes the text the API writes
(``2026-11-30T09:12:05+04:00``), so an edge case written this way stays where it is relative
to the present; a fixture that needs a fixed date writes it out in full instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import yaml

from ..core.clock import UAE, format_time

TAG = "!ago"
_FORM = re.compile(r"^(\d{1,5})d (\d{2}:\d{2}:\d{2})$")
MAX_DAYS = 36_500
_KINDS: dict[type[yaml.Node], str] = {yaml.SequenceNode: "sequence", yaml.MappingNode: "mapping"}


@dataclass(frozen=True, slots=True)
class DaysAgo:
    days: int
    time_of_day: time

    def at(self, now: datetime) -> str:
        day = now.astimezone(UAE).date() - timedelta(days=self.days)
        return format_time(datetime.combine(day, self.time_of_day, UAE))


def construct(loader: yaml.SafeLoader, node: yaml.Node) -> DaysAgo:
    """The YAML constructor of ``!ago``; a malformed value is an error at its line."""
    text = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    match = _FORM.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        shown = repr(text) if isinstance(text, str) else f"a {_KINDS.get(type(node), 'node')}"
        problem = f"{TAG} takes '<days>d HH:MM:SS', e.g. '{TAG} 3d 09:12:05', not {shown}"
    elif not 1 <= int(match.group(1)) <= MAX_DAYS:
        problem = f"{TAG} counts 1 to {MAX_DAYS} days back, not {match.group(1)}"
    else:
        try:
            return DaysAgo(int(match.group(1)), time.fromisoformat(match.group(2)))
        except ValueError:
            problem = f"{TAG}: {match.group(2)!r} is not a time of day"
    raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


def resolve(value: Any, now: datetime) -> Any:
    """``value`` with every ``DaysAgo`` in it written out as a date and time."""
    if isinstance(value, DaysAgo):
        return value.at(now)
    if isinstance(value, dict):
        return {key: resolve(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, now) for item in value]
    return value
