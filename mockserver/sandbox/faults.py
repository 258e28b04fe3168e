"""Faults a tester injects on purpose: delays, error statuses, dropped connections.

Rules are per session and per operationId (``*`` for every operation; a rule naming the
operation wins over ``*``). Randomness is seeded: each rule draws from its own
``random.Random`` seeded with the session's seed, the session's name and the rule's
operation, so the same seed and the same requests give the same faults, whatever other
operations are called in between. Setting the rules restarts the draws.

An injected error carries a valid ``Error`` body of the contract and only a status the
operation documents, so a client under test sees nothing the real API could not send.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from ..core.errors import BadRequest, Problem
from ..core.spec import Spec

ANY_OPERATION = "*"


@dataclass(frozen=True, slots=True)
class FaultRule:
    operation: str  # an operationId, or "*"
    delay_min_ms: int = 0
    delay_max_ms: int = 0
    error_status: int | None = None
    error_probability: float = 0.0
    drop_probability: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The rule as ``GET /__mock/faults`` shows it, defaults filled in."""
        out: dict[str, Any] = {"operation": self.operation}
        if self.delay_max_ms:
            out["delay"] = {"min_ms": self.delay_min_ms, "max_ms": self.delay_max_ms}
        if self.error_status is not None:
            out["error"] = {"status": self.error_status, "probability": self.error_probability}
        if self.drop_probability:
            out["drop"] = {"probability": self.drop_probability}
        return out


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do to one request: wait, then maybe answer an error or drop the connection."""

    delay_ms: int = 0
    error_status: int | None = None
    drop: bool = False

    @property
    def fired(self) -> str | None:
        """The most visible fault applied, for the journal and the log."""
        if self.drop:
            return "drop"
        if self.error_status is not None:
            return "error"
        return "delay" if self.delay_ms else None


NO_FAULT = FaultDecision()


class Faults:
    """One session's fault rules and their random draws."""

    def __init__(self, seed: int, session: str) -> None:
        self.seed = seed
        self.session = session
        self._rules: dict[str, FaultRule] = {}
        self._draws: dict[str, random.Random] = {}
        self._lock = threading.Lock()

    def replace(self, rules: list[FaultRule], seed: int | None = None) -> None:
        """Install ``rules`` (all of them at once) and restart every rule's draws."""
        with self._lock:
            if seed is not None:
                self.seed = seed
            self._rules = {r.operation: r for r in rules}
            self._draws = {
                r.operation: random.Random(f"{self.seed}:{self.session}:{r.operation}")
                for r in rules
            }

    def clear(self) -> None:
        self.replace([])

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {"seed": self.seed, "rules": [r.to_json() for r in self._rules.values()]}

    def decide(self, operation_id: str) -> FaultDecision:
        """Draw this request's fate from the matching rule, if any."""
        with self._lock:
            key, rule = self.matching(operation_id)
            if rule is None:
                return NO_FAULT
            return _draw(rule, self._draws[key])

    def matching(self, operation_id: str) -> tuple[str, FaultRule | None]:
        """The rule for the operation (its own, else ``*``), and the key it is kept under."""
        key = operation_id if operation_id in self._rules else ANY_OPERATION
        return key, self._rules.get(key)


def _draw(rule: FaultRule, rng: random.Random) -> FaultDecision:
    """Always the same number of draws per request, so a sequence replays exactly."""
    delay = rng.randint(rule.delay_min_ms, rule.delay_max_ms)
    roll = rng.random()
    if roll < rule.drop_probability:
        return FaultDecision(delay, drop=True)
    if rule.error_status is not None and roll < rule.drop_probability + rule.error_probability:
        return FaultDecision(delay, error_status=rule.error_status)
    return FaultDecision(delay)


def parse_rules(items: list[dict[str, Any]], spec: Spec, max_delay_ms: int) -> list[FaultRule]:
    """Rules from a ``PUT /__mock/faults`` body whose shape the admin spec already checked.

    What the schema cannot know is checked here, every problem reported at once: the
    operation exists and appears once, the status is one the operation documents, the
    delay fits the server's limit, and the probabilities add up to at most 1.
    """
    problems: list[Problem] = []
    rules: list[FaultRule] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"rules/{index}"
        found = _rule_problems(item, where, spec, max_delay_ms, seen)
        problems.extend(found)
        if not found:
            rules.append(_rule_of(item))
        seen.add(item["operation"])
    if problems:
        raise BadRequest("The fault rules are not valid; none were changed.", problems)
    return rules


def _rule_problems(
    item: dict[str, Any], where: str, spec: Spec, max_delay_ms: int, seen: set[str]
) -> list[Problem]:
    problems = []
    operation = item["operation"]
    if operation != ANY_OPERATION and operation not in spec.operations:
        known = ", ".join(sorted(spec.operations))
        problems.append(_problem(f"{where}/operation", f"unknown operationId; one of {known} or *"))
    elif operation in seen:
        problems.append(_problem(f"{where}/operation", f"a second rule for {operation}"))
    if not {"delay", "error", "drop"} & item.keys():
        problems.append(_problem(where, "a rule needs at least one of delay, error, drop"))
    delay = item.get("delay")
    if delay is not None:
        low, high = delay["min_ms"], delay.get("max_ms", delay["min_ms"])
        if high < low:
            problems.append(_problem(f"{where}/delay/max_ms", f"{high} is less than min_ms {low}"))
        if high > max_delay_ms:
            reason = f"{high} is more than the server's limit of {max_delay_ms} ms"
            problems.append(_problem(f"{where}/delay", reason))
    error = item.get("error")
    if error is not None and (operation == ANY_OPERATION or operation in spec.operations):
        allowed = documented_errors(spec, operation)
        if error["status"] not in allowed:
            reason = f"{error['status']} is not documented for {operation}; one of {allowed}"
            problems.append(_problem(f"{where}/error/status", reason))
    total = _probability(error) + _probability(item.get("drop"))
    if error is not None and "drop" in item and total > 1:
        problems.append(_problem(where, f"error and drop probabilities add up to {total} > 1"))
    return problems


def documented_errors(spec: Spec, operation: str) -> list[int]:
    """Error statuses the operation documents; for ``*``, those every operation documents."""
    ops = spec.operations.values() if operation == ANY_OPERATION else [spec.operations[operation]]
    common = set.intersection(*({s for s in op.statuses if s >= 400} for op in ops))
    return sorted(common)


def _rule_of(item: dict[str, Any]) -> FaultRule:
    delay = item.get("delay") or {"min_ms": 0}
    error = item.get("error")
    return FaultRule(
        operation=item["operation"],
        delay_min_ms=delay["min_ms"],
        delay_max_ms=delay.get("max_ms", delay["min_ms"]),
        error_status=None if error is None else error["status"],
        error_probability=_probability(error),
        drop_probability=_probability(item.get("drop")),
    )


def _probability(part: dict[str, Any] | None) -> float:
    return 0.0 if part is None else float(part.get("probability", 1.0))


def _problem(name: str, reason: str) -> Problem:
    return Problem("body", name, reason)
