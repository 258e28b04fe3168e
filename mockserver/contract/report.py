"""What the run found, grouped and worded for people: the summary and the exit status.

Findings are grouped by what drifted (a schema node, a status, a parameter), not by where
it was seen, so one missing field in every list item is one line, with the places and the
number of times it was seen, and one example request as evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .assumptions import AssumptionIndex
from .classify import Classification, Finding, Verdict, classify
from .policy import TargetKind
from .runner import Outcome, Plan

EXIT_OK, EXIT_FAILED, EXIT_NOT_RUN = 0, 1, 2
LINE = 160  # evidence lines are cut here; the JUnit report keeps more


@dataclass
class Group:
    first: Finding
    verdict: Verdict
    assumed: dict[str, None] = field(default_factory=dict)  # pointers, in order, once each
    count: int = 0
    seen: dict[str, int] = field(default_factory=dict)  # "GET /calltrackings 404" -> times
    labels: dict[str, None] = field(default_factory=dict)

    def add(self, finding: Finding, classification: Classification) -> None:
        self.count += 1
        self.assumed.update(dict.fromkeys(classification.assumed))
        self.labels[finding.label] = None
        where = f"{finding.label} {finding.status}" if finding.status else finding.label
        self.seen[where] = self.seen.get(where, 0) + 1

    @property
    def headline(self) -> str:
        where = self.first.label if len(self.labels) == 1 else f"{len(self.labels)} operations"
        return f"{where}: {self.first.kind.value} — {self.first.title}"


@dataclass
class Report:
    contract: list[Group]
    assumptions: list[Group]

    def status(self, outcome: Outcome, strict: bool) -> int:
        if self.contract or (strict and self.assumptions):
            return EXIT_FAILED
        return EXIT_NOT_RUN if outcome.errors else EXIT_OK


class Grouper:
    """Findings classified and grouped as they come (the proxy adds them one by one)."""

    def __init__(self, index: AssumptionIndex) -> None:
        self.index = index
        self.groups: dict[tuple[object, ...], Group] = {}

    def add(self, finding: Finding) -> tuple[Group, Classification]:
        classification = classify(finding, self.index)
        key = (classification.verdict, finding.key)
        group = self.groups.setdefault(key, Group(finding, classification.verdict))
        group.add(finding, classification)
        return group, classification

    def report(self) -> Report:
        ordered = sorted(self.groups.values(), key=lambda g: (g.first.label, g.first.kind.name,
                                                             g.first.title))
        return Report(
            [g for g in ordered if g.verdict is Verdict.CONTRACT],
            [g for g in ordered if g.verdict is Verdict.ASSUMPTION],
        )


def build(findings: Sequence[Finding], index: AssumptionIndex) -> Report:
    grouper = Grouper(index)
    for finding in findings:
        grouper.add(finding)
    return grouper.report()


def header(plan: Plan) -> str:
    """Printed before the run: what is tested, how, and whether anything can be written."""
    options, target = plan.options, plan.target
    lines = [f"Contract run against {target.base_url}"]
    if target.kind is TargetKind.MOCK:
        links = ", the stateful phase following the spec's links" \
            if "stateful" in options.phase_list else ""
        sessions = (f"private session {target.session}, reset before each phase"
                    if plan.jobs == 1 else f"private sessions {target.session}-<phase>, "
                    "one per phase, each reset before it")
        lines.append(f"Target: the mock (GET /__mock/health says so); {sessions}; every "
                     f"operation is exercised{links}.")
    elif plan.policy.allow_writes:
        lines.append("Target: a REAL deployment. WRITES ALLOWED (--allow-writes): bulk PATCH "
                     "(always listing ids) and single DELETE are sent and change real data; "
                     "a bulk DELETE (delete-all) is never sent.")
    else:
        lines.append("Target: a REAL deployment. READ-ONLY: only GET requests are sent; no "
                     "PATCH or DELETE (--allow-writes adds bulk PATCH with ids and single "
                     "DELETE).")
    expiry = f", expires in {plan.token.expires_in} s" if plan.token.expires_in else ""
    if plan.tokens is not None and plan.tokens.renewable:
        expiry += "; a fresh one is fetched before it does"
    lines.append(f"Auth: bearer token ({plan.token.origin}{expiry}).")
    info = plan.spec.document.get("info", {})
    lines.append(f"Contract: {options.spec.name}, {info.get('title', '')} "
                 f"{info.get('version', '')}".rstrip() + ".")
    exercised = plan.operations
    lines.append("Exercised: " + ", ".join(exercised) + ".")
    skipped = [op for op in plan.spec.operations if op not in exercised]
    if skipped:
        lines.append("Not exercised against this target: " + ", ".join(skipped) + ".")
    seed = options.seed if options.seed is not None else "random"
    apart = f" ({plan.jobs} at once, each in a process of its own)" if plan.jobs > 1 else ""
    lines.append(f"Phases: {', '.join(options.phase_list)}{apart}; max examples "
                 f"{options.max_examples}; seed {seed}; workers {options.workers}; checks "
                 f"{options.checks}.")
    return "\n".join(lines)


def results(report: Report, outcome: Outcome, index: AssumptionIndex, strict: bool) -> str:
    phases = ", ".join(f"{phase} {n}" for phase, n in outcome.requests.items())
    total = sum(outcome.requests.values())
    lines = [f"{total} requests answered in {outcome.seconds:.1f} s ({phases or 'none'})."]
    if outcome.refused:
        lines.append(f"\nHeld back by the write policy ({len(outcome.refused)}), never sent:")
        lines += [_cut(f"  - {r.method} {r.url}: {r.reason}; body {r.body or '(none)'}", LINE)
                  for r in outcome.refused[:10]]
    if outcome.errors:
        lines.append(f"\nErrors that left parts of the run undone ({len(outcome.errors)}):")
        lines += [f"  - {_first_line(e)}" for e in outcome.errors[:10]]
    lines.append(f"\nContract failures ({len(report.contract)}):" if report.contract
                 else "\nContract failures: none.")
    lines += group_lines(report.contract, index)
    if report.assumptions:
        note = "failing the run (--strict)" if strict else \
            "reported, not failing the run (--strict would)"
        lines.append(f"\nUnconfirmed assumptions ({len(report.assumptions)}), {note}:")
        lines += group_lines(report.assumptions, index)
    else:
        lines.append("\nUnconfirmed assumptions: none.")
    lines.append("\n" + verdict(report, outcome, strict))
    return "\n".join(lines)


def verdict(report: Report, outcome: Outcome, strict: bool) -> str:
    status = report.status(outcome, strict)
    counts = (f"{len(report.contract)} contract failure(s), "
              f"{len(report.assumptions)} unconfirmed assumption(s)")
    if status == EXIT_FAILED:
        return f"Result: FAILED, {counts} (exit 1)."
    if status == EXIT_NOT_RUN:
        return f"Result: INCOMPLETE, {len(outcome.errors)} error(s) left parts untested (exit 2)."
    return f"Result: PASSED, {counts} (exit 0)."


def group_lines(groups: Sequence[Group], index: AssumptionIndex) -> list[str]:
    lines = []
    for number, group in enumerate(groups, 1):
        first = group.first
        lines.append(f"  {number}. {group.headline}")
        for pointer in group.assumed:
            lines.append(f"     assumed: {pointer} ({index.summary(pointer)})")
        where = ", ".join(f"{place} (x{times})" if times > 1 else place
                          for place, times in sorted(group.seen.items()))
        lines.append(f"     seen {group.count} time(s): {where}")
        if first.inputs:
            lines.append(f"     inputs: {', '.join(map(str, first.inputs))}")
        if first.request:
            lines.append(_cut(f"     e.g. {first.request}", LINE))
        if first.response:
            lines.append(_cut(f"     answered {_first_line(first.response)}", LINE))
    return lines


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""
