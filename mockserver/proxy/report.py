"""The proxy's findings for people and for CI: the summary printed on exit, the readable
page of the live report, and the JUnit file. The grouping and wording of findings are the
contract runner's (``contract.report``), so a drift reads the same in both."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape
from typing import Any

from ..contract.report import group_lines
from .observations import Ledger, Observations


def summary(seen: Observations) -> str:
    report, data = seen.report(), seen.to_json()
    ledger = data["ledger"]
    operations = ", ".join(f"{op} {n}" for op, n in data["by_operation"].items()) or "none"
    lines = [f"mockserver proxy: {data['exchanges']} exchange(s) with {seen.upstream} "
             f"({operations}; not described by the contract {data['undescribed']['count']})."]
    if data["refused"]["count"]:
        lines.append(f"Refused, never forwarded: {data['refused']['count']}")
        lines += [f"  - {r['request']}: {r['reason']}" for r in data["refused"]["last"][-5:]]
    if data["upstream_failures"]["count"]:
        lines.append(f"Upstream failures: {data['upstream_failures']['count']}")
        lines += [f"  - {f['request']}: {f['status']} {f['reason']}"
                  for f in data["upstream_failures"]["last"][-5:]]
    lines.append(f"\nContract failures ({len(report.contract)}):" if report.contract
                 else "\nContract failures: none.")
    lines += group_lines(report.contract, seen.index)
    lines.append(f"\nUnconfirmed assumptions ({len(report.assumptions)}):" if report.assumptions
                 else "\nUnconfirmed assumptions: none.")
    lines += group_lines(report.assumptions, seen.index)
    counts = data["ledger_counts"]
    lines.append(f"\nAssumption ledger ({len(ledger)} x-assumed elements): "
                 f"{counts['consistent']} consistent, {counts['refuted']} refuted, "
                 f"{counts['not exercised']} not exercised.")
    for row in ledger:
        if row["status"] != Ledger.NOT_EXERCISED:
            lines.append(f"  {row['status']:<10} {row['element']} ({row['exchanges']} exchange(s))")
            if row["evidence"]:
                lines.append(f"             {row['evidence']['request']}: "
                             f"{row['evidence']['finding']}")
    return "\n".join(lines)


def page(data: dict[str, Any]) -> str:
    """``/__proxy/report.html``: the live report, readable, refreshed every 5 seconds."""

    def groups(items: list[dict[str, Any]]) -> str:
        if not items:
            return "<p>None.</p>"
        rows = []
        for g in items:
            example = g["example"] or {}
            assumed = "".join(f"<li><code>{escape(a['element'])}</code> {escape(a['summary'])}</li>"
                              for a in g["assumed"])
            rows.append(
                f"<li><b>{escape(g['headline'])}</b> ({g['count']} time(s))"
                f"{f'<ul>{assumed}</ul>' if assumed else ''}"
                f"<pre>{escape(example.get('request', ''))} -> {example.get('status', '')}\n"
                f"{escape(example.get('response_body', ''))}</pre></li>")
        return f"<ol>{''.join(rows)}</ol>"

    ledger = "".join(
        f"<tr class=\"{escape(r['status'].replace(' ', '-'))}\"><td><code>{escape(r['element'])}"
        f"</code></td><td>{escape(r['status'])}</td><td>{r['exchanges']}</td>"
        f"<td>{escape((r['evidence'] or {}).get('finding', ''))}</td></tr>"
        for r in data["ledger"])
    counts = data["ledger_counts"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>mockserver proxy report</title></head>
<body>
<h1>Traffic to {escape(data['upstream'])}</h1>
<p>{data['exchanges']} exchange(s); refused {data['refused']['count']}; not described
{data['undescribed']['count']}; upstream failures {data['upstream_failures']['count']}.
JSON: <a href="/__proxy/report">/__proxy/report</a>.</p>
<h2>Contract failures ({len(data['contract_failures'])})</h2>{groups(data['contract_failures'])}
<h2>Unconfirmed assumptions ({len(data['unconfirmed_assumptions'])})</h2>
{groups(data['unconfirmed_assumptions'])}
<h2>Assumption ledger</h2>
<p>{counts['consistent']} consistent, {counts['refuted']} refuted,
{counts['not exercised']} not exercised.</p>
<table><thead><tr><th>element</th><th>status</th><th>exchanges</th><th>evidence</th></tr>
</thead><tbody>{ledger}</tbody></table>
</body></html>
"""


def junit_xml(seen: Observations, strict: bool) -> str:
    """Suite "contract": one case per operation, failed on a contract failure, skipped
    when no traffic reached it. Suite "assumptions": one case per ``x-assumed`` element,
    skipped when not exercised, and when refuted skipped too unless ``strict``."""
    report, ledger = seen.report(), seen.ledger()
    root = ET.Element("testsuites", name="mockserver proxy")
    contract = ET.SubElement(root, "testsuite", name="contract")
    failures = skipped = 0
    for op_id, op in seen.spec.operations.items():
        label = f"{op.method} {op.path}"
        case = ET.SubElement(contract, "testcase", classname="contract", name=f"{label} ({op_id})")
        broken = [g for g in report.contract if label in g.labels]
        if broken:
            failure = ET.SubElement(case, "failure", type="contract failure",
                                    message=f"{len(broken)} contract failure(s): "
                                            f"{broken[0].first.title}")
            failure.text = "\n".join(group_lines(broken, seen.index))
            failures += 1
        elif not seen.by_operation.get(op_id):
            ET.SubElement(case, "skipped", message="no traffic reached this operation")
            skipped += 1
    _counts(contract, len(seen.spec.operations), failures, skipped)
    assumptions = ET.SubElement(root, "testsuite", name="assumptions")
    failures = skipped = 0
    for row in ledger:
        case = ET.SubElement(assumptions, "testcase", classname="assumptions",
                             name=row["element"])
        if row["status"] == Ledger.REFUTED:
            evidence = row["evidence"]
            message = f"refuted: {evidence['finding']}"
            if strict:
                ET.SubElement(case, "failure", type="refuted assumption",
                              message=message).text = evidence["request"]
                failures += 1
            else:
                ET.SubElement(case, "skipped", message=message)
                skipped += 1
        elif row["status"] == Ledger.NOT_EXERCISED:
            ET.SubElement(case, "skipped", message="not exercised by the traffic")
            skipped += 1
    _counts(assumptions, len(ledger), failures, skipped)
    for name in ("tests", "failures", "skipped"):
        root.set(name, str(sum(int(suite.get(name, "0")) for suite in root)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _counts(suite: ET.Element, tests: int, failures: int, skipped: int) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
