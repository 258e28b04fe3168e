"""The run as a JUnit XML report, the format CI systems display.

Suite "contract": one test case per operation of the contract, failed when the run found a
contract failure on it, skipped when the policy kept the run from exercising it. Suite
"assumptions": one test case per unconfirmed assumption, skipped (the assumption is not
confirmed, which is not a failure) unless ``--strict`` makes it one.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from .assumptions import AssumptionIndex
from .report import Group, Report
from .runner import Outcome, Plan


def write(path: Path, plan: Plan, report: Report, outcome: Outcome, strict: bool,
          mask: Callable[[str], str]) -> None:
    index = AssumptionIndex(plan.spec)
    root = ET.Element("testsuites", name="mockserver contract", time=f"{outcome.seconds:.3f}")
    root.append(_contract_suite(plan, report))
    root.append(_assumption_suite(report, index, strict))
    for name in ("tests", "failures", "skipped"):
        root.set(name, str(sum(int(suite.get(name, "0")) for suite in root)))
    root.set("errors", str(len(outcome.errors)))
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(mask(text) + "\n", encoding="utf-8")


def _contract_suite(plan: Plan, report: Report) -> ET.Element:
    suite = ET.Element("testsuite", name="contract")
    exercised = set(plan.operations)
    failures = skipped = 0
    for op_id, op in plan.spec.operations.items():
        label = f"{op.method} {op.path}"
        case = ET.SubElement(suite, "testcase", classname="contract", name=f"{label} ({op_id})")
        groups = [g for g in report.contract if label in g.labels]
        if op_id not in exercised:
            ET.SubElement(case, "skipped", message="not exercised: the target is a real "
                          "deployment and this operation writes")
            skipped += 1
        elif groups:
            failure = ET.SubElement(case, "failure", type="contract failure",
                                    message=f"{len(groups)} contract failure(s): "
                                            f"{groups[0].first.title}")
            failure.text = "\n\n".join(_details(g) for g in groups)
            failures += 1
    loose = [g for g in report.contract if g.first.operation_id is None]
    for group in loose:  # failures of the run as a whole
        case = ET.SubElement(suite, "testcase", classname="contract", name=group.first.label)
        failure = ET.SubElement(case, "failure", type="contract failure",
                                message=group.first.title)
        failure.text = _details(group)
        failures += 1
    _counts(suite, len(plan.spec.operations) + len(loose), failures, skipped)
    return suite


def _assumption_suite(report: Report, index: AssumptionIndex, strict: bool) -> ET.Element:
    suite = ET.Element("testsuite", name="assumptions")
    for group in report.assumptions:
        case = ET.SubElement(suite, "testcase", classname="assumptions", name=group.headline)
        assumed = ", ".join(group.assumed)
        element = "failure" if strict else "skipped"
        node = ET.SubElement(case, element, message=f"unconfirmed assumption: {assumed}")
        node.text = _details(group) + "\n" + "\n".join(
            f"assumed: {p} ({index.summary(p)})" for p in group.assumed)
    n = len(report.assumptions)
    _counts(suite, n, n if strict else 0, 0 if strict else n)
    return suite


def _details(group: Group) -> str:
    first = group.first
    seen = ", ".join(sorted(group.seen))
    parts = [group.headline, f"seen {group.count} time(s): {seen}"]
    if first.check:
        parts.append(f"found by: {first.check} ({first.phase or 'run'})")
    if first.request:
        parts.append(f"request: {first.request}")
    if first.detail:
        parts.append(first.detail.strip())
    if first.response:
        parts.append(f"response: {first.response}")
    return "\n".join(parts)


def _counts(suite: ET.Element, tests: int, failures: int, skipped: int) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
