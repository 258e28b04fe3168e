"""Everything the proxy has seen, shared by its threads, bounded: the findings grouped and
classified (the contract runner's ``Grouper``), one redacted example exchange per group,
the assumption ledger, the requests refused, the upstream's failures.

Nothing here grows with the traffic: groups are capped (``MAX_GROUPS``; more are counted),
examples are one per group, refusals and upstream failures keep their last few. What is
kept is masked as it is stored (``mask``), while the request's own credential is known.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from typing import Any

from ..contract.assumptions import AssumptionIndex
from ..contract.classify import Finding
from ..contract.report import Group, Grouper, Report
from ..core.spec import Spec
from .examine import Inspection
from .exchange import Exchange

MAX_GROUPS = 500
KEPT = 20  # refusals, undescribed requests and upstream failures kept as examples


class Ledger(StrEnum):
    CONSISTENT = "consistent"  # exercised, never contradicted
    REFUTED = "refuted"  # a finding rests on it
    NOT_EXERCISED = "not exercised"


class Observations:
    def __init__(self, spec: Spec, upstream: str, mask: Callable[[str], str] = str) -> None:
        self.spec = spec
        self.mask = mask
        self.upstream = upstream
        self.index = AssumptionIndex(spec)
        self.assumed = self.index.all_assumed()
        self._grouper = Grouper(self.index)
        self._lock = threading.Lock()
        self.started = time.time()
        self.exchanges = 0
        self.by_operation: Counter[str] = Counter()
        self.dropped_findings = 0
        self.examples: dict[int, dict[str, Any]] = {}  # id(group) -> its first exchange
        self.exercised: Counter[str] = Counter()
        self.refuted: dict[str, dict[str, str]] = {}  # pointer -> the first evidence
        self.refused: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self.refused_count = 0
        self.undescribed: deque[str] = deque(maxlen=KEPT)
        self.undescribed_count = 0
        self.upstream_failures: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self.upstream_failure_count = 0

    # --- what happened ----------------------------------------------------------------

    def exchanged(self, operation_id: str, inspection: Inspection, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges += 1
            self.by_operation[operation_id] += 1
            self.exercised.update(inspection.exercised)
            for finding in inspection.findings:
                self._add(finding, exchange)

    def _add(self, finding: Finding, exchange: Exchange) -> None:
        known = len(self._grouper.groups)
        if known >= MAX_GROUPS:
            self.dropped_findings += 1
            return
        mask = self.mask
        finding = replace(finding, title=mask(finding.title), detail=mask(finding.detail),
                          request=mask(finding.request), response=mask(finding.response))
        group, classification = self._grouper.add(finding)
        if len(self._grouper.groups) > known:
            self.examples[id(group)] = _masked(exchange.example(), mask)
        for pointer in classification.assumed:
            self.refuted.setdefault(pointer, {"finding": group.headline,
                                              "request": finding.request,
                                              "detail": finding.detail})

    def passed_through(self, exchange: Exchange) -> None:
        """A request the contract does not describe, forwarded."""
        with self._lock:
            self.exchanges += 1
            self.undescribed_count += 1
            self.undescribed.append(self.mask(exchange.line))

    def refuse(self, method: str, target: str, reason: str) -> None:
        with self._lock:
            self.refused_count += 1
            self.refused.append({"request": self.mask(f"{method} {target}"), "reason": reason})

    def upstream_failed(self, method: str, target: str, status: int, reason: str) -> None:
        with self._lock:
            self.upstream_failure_count += 1
            self.upstream_failures.append({"request": self.mask(f"{method} {target}"),
                                           "status": status, "reason": reason})

    # --- reading it -------------------------------------------------------------------

    def report(self) -> Report:
        with self._lock:
            return self._grouper.report()

    def ledger(self) -> list[dict[str, Any]]:
        """Every ``x-assumed`` element: consistent, refuted (with evidence), or not
        exercised, and how many exchanges went through it."""
        with self._lock:
            rows = []
            for pointer in self.assumed:
                times = self.exercised.get(pointer, 0)
                if pointer in self.refuted:
                    status = Ledger.REFUTED
                else:
                    status = Ledger.CONSISTENT if times else Ledger.NOT_EXERCISED
                rows.append({"element": pointer, "summary": self.index.summary(pointer),
                             "status": status.value, "exchanges": times,
                             "evidence": self.refuted.get(pointer)})
            return rows

    def to_json(self) -> dict[str, Any]:
        report = self.report()
        ledger = self.ledger()
        with self._lock:
            return {
                "upstream": self.upstream,
                "exchanges": self.exchanges,
                "by_operation": dict(sorted(self.by_operation.items())),
                "contract_failures": [self._group_json(g) for g in report.contract],
                "unconfirmed_assumptions": [self._group_json(g) for g in report.assumptions],
                "findings_dropped": self.dropped_findings,
                "ledger": ledger,
                "ledger_counts": {s.value: sum(1 for r in ledger if r["status"] == s.value)
                                  for s in Ledger},
                "refused": {"count": self.refused_count, "last": list(self.refused)},
                "undescribed": {"count": self.undescribed_count,
                                "last": list(self.undescribed)},
                "upstream_failures": {"count": self.upstream_failure_count,
                                      "last": list(self.upstream_failures)},
            }

    def _group_json(self, group: Group) -> dict[str, Any]:
        first = group.first
        return {
            "headline": group.headline,
            "kind": first.kind.value,
            "verdict": group.verdict.value,
            "count": group.count,
            "seen": dict(sorted(group.seen.items())),
            "assumed": [{"element": p, "summary": self.index.summary(p)} for p in group.assumed],
            "inputs": [str(i) for i in first.inputs],
            "detail": first.detail,
            "example": self.examples.get(id(group)),
        }


def _masked(node: Any, mask: Callable[[str], str]) -> Any:
    """Every string of an example exchange (headers, bodies, the request line) masked."""
    if isinstance(node, dict):
        return {key: _masked(value, mask) for key, value in node.items()}
    return mask(node) if isinstance(node, str) else node
