"""The report: findings grouped by drift, the mode said up front, exit status, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mockserver.contract import junit
from mockserver.contract.assumptions import AssumptionIndex
from mockserver.contract.classify import Finding, Kind
from mockserver.contract.credentials import Token
from mockserver.contract.options import ContractOptions
from mockserver.contract.policy import TargetKind, WritePolicy
from mockserver.contract.report import build, header, results
from mockserver.contract.runner import Outcome, Plan, token_expiry
from mockserver.contract.secrets import Masker
from mockserver.contract.target import Target
from mockserver.core.spec import Spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = Spec.load(ROOT / "openapi.yaml")
INDEX = AssumptionIndex(SPEC)
URL = "https://staging.example"
S = "#/components/schemas"


def schema_error(label: str, op: str, status: int, chain: tuple[str, ...], title: str,
                 request: str = "") -> Finding:
    return Finding(Kind.RESPONSE_SCHEMA, op, label, title, status=status, schema_path=chain,
                   request=request, key=("RESPONSE_SCHEMA", chain[-1], "type"))


CALL_TIME = (f"{S}/CallTracking", f"{S}/CallTracking/properties/call_time")
CODE = (f"{S}/Error", f"{S}/Error/properties/code")
FINDINGS = [
    schema_error("GET /calltrackings", "listCallTrackings", 200, CALL_TIME,
                 'CallTracking.call_time: "1" is not of type "integer"',
                 "GET /calltrackings?sort=id -> 200"),
    schema_error("GET /calltrackings", "listCallTrackings", 200, CALL_TIME,
                 'CallTracking.call_time: "2" is not of type "integer"'),
    schema_error("GET /calltrackings/{id}/recording", "getCallTrackingRecording", 404, CODE,
                 'Error.code: "code" is a required property'),
    schema_error("GET /calltrackings", "listCallTrackings", 400, CODE,
                 'Error.code: "code" is a required property'),
    # The same schema node in an assumed response: an assumption, kept apart.
    schema_error("PATCH /calltrackings", "bulkUpdateCallTrackings", 200, CALL_TIME,
                 'CallTracking.call_time: "3" is not of type "integer"'),
]


def plan(kind: TargetKind = TargetKind.REAL, allow_writes: bool = False, jobs: str = "1",
         ) -> Plan:
    options = ContractOptions(base_url=URL, token="t0k3n-secret", max_examples=5, seed=3,
                              jobs=jobs)
    target = Target(URL, kind, 5.0, "contract-abc" if kind is TargetKind.MOCK else None)
    return Plan(options, SPEC, target, Token("t0k3n-secret", "given with --token"),
                WritePolicy.for_target(SPEC, kind, allow_writes, URL))


def test_findings_group_by_drift_and_verdict() -> None:
    report = build(FINDINGS, INDEX)
    [call_time] = report.contract
    assert (call_time.count, call_time.seen) == (2, {"GET /calltrackings 200": 2})
    assert call_time.headline == ("GET /calltrackings: response breaks its schema — "
                                  'CallTracking.call_time: "1" is not of type "integer"')
    code, patch = report.assumptions
    assert patch.headline.startswith("PATCH /calltrackings: response breaks its schema")
    assert list(patch.assumed) == ["#/paths/~1calltrackings/patch/responses/200"]
    assert code.headline == ('2 operations: response breaks its schema — '
                             'Error.code: "code" is a required property')
    assert code.seen == {"GET /calltrackings/{id}/recording 404": 1, "GET /calltrackings 400": 1}
    assert list(code.assumed) == ["#/components/responses/NotFoundOrNoRecording",
                                  f"{S}/Error", "#/components/responses/BadRequest"]


@pytest.mark.parametrize(("findings", "errors", "strict", "status"), [
    pytest.param(FINDINGS, [], False, 1, id="contract failures"),
    pytest.param(FINDINGS[2:4], [], False, 0, id="assumptions only"),
    pytest.param(FINDINGS[2:4], [], True, 1, id="assumptions only, strict"),
    pytest.param([], ["fuzzing: timeout"], False, 2, id="errors left parts undone"),
    pytest.param(FINDINGS, ["fuzzing: timeout"], False, 1, id="failures win over errors"),
    pytest.param([], [], True, 0, id="nothing found"),
])
def test_exit_status(findings: list[Finding], errors: list[str], strict: bool,
                     status: int) -> None:
    assert build(findings, INDEX).status(Outcome(errors=errors), strict) == status


@pytest.mark.parametrize(("kind", "allow_writes", "line"), [
    (TargetKind.MOCK, False, "Target: the mock (GET /__mock/health says so); private session "
     "contract-abc, reset before each phase; every operation is exercised, the stateful phase "
     "following the spec's links."),
    (TargetKind.REAL, False, "Target: a REAL deployment. READ-ONLY: only GET requests are sent; "
     "no PATCH or DELETE (--allow-writes adds bulk PATCH with ids and single DELETE)."),
    (TargetKind.REAL, True, "Target: a REAL deployment. WRITES ALLOWED (--allow-writes): bulk "
     "PATCH (always listing ids) and single DELETE are sent and change real data; a bulk DELETE "
     "(delete-all) is never sent."),
])
def test_the_header_says_up_front_what_may_be_written(kind: TargetKind, allow_writes: bool,
                                                      line: str) -> None:
    lines = header(plan(kind, allow_writes)).splitlines()
    assert lines[:2] == [f"Contract run against {URL}", line]
    assert "t0k3n-secret" not in "\n".join(lines)


@pytest.mark.parametrize(("kind", "jobs", "expected"), [
    (TargetKind.MOCK, "1", 1), (TargetKind.MOCK, "3", 3), (TargetKind.MOCK, "9", 4),
    (TargetKind.REAL, "4", 1), (TargetKind.REAL, "auto", 1),
])
def test_phases_run_at_once_against_the_mock_only(kind: TargetKind, jobs: str,
                                                  expected: int) -> None:
    """A real deployment's phases would share, and change, one set of data."""
    assert plan(kind, jobs=jobs).jobs == expected


def test_the_header_says_how_the_phases_run() -> None:
    lines = header(plan(TargetKind.MOCK, jobs="4")).splitlines()
    assert lines[1] == ("Target: the mock (GET /__mock/health says so); private sessions "
                        "contract-abc-<phase>, one per phase, each reset before it; every "
                        "operation is exercised, the stateful phase following the spec's links.")
    assert lines[-1] == ("Phases: examples, coverage, fuzzing, stateful (4 at once, each in a "
                         "process of its own); max examples 5; seed 3; workers 1; checks all.")
    assert header(plan(TargetKind.MOCK)).splitlines()[-1] == (
        "Phases: examples, coverage, fuzzing, stateful; max examples 5; seed 3; workers 1; "
        "checks all.")


def test_results_list_evidence_and_the_verdict() -> None:
    outcome = Outcome(requests={"examples": 3, "coverage": 40}, seconds=1.25)
    text = results(build(FINDINGS, INDEX), outcome, INDEX, strict=False)
    lines = text.splitlines()
    assert lines[0] == "43 requests answered in 1.2 s (examples 3, coverage 40)."
    assert "Contract failures (1):" in lines
    assert "     seen 2 time(s): GET /calltrackings 200 (x2)" in lines
    assert "     e.g. GET /calltrackings?sort=id -> 200" in lines
    assert ("Unconfirmed assumptions (2), reported, not failing the run (--strict would):"
            in lines)
    assert ("     assumed: #/components/schemas/Error (Assumed: the upstream documents no error "
            "body.)") in lines
    assert lines[-1] == "Result: FAILED, 1 contract failure(s), 2 unconfirmed assumption(s) " \
                        "(exit 1)."


def test_the_junit_report(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "contract.xml"
    leaky = Finding(Kind.SERVER_ERROR, "getCallTrackingRecording",
                    "GET /calltrackings/{id}/recording", "Server error", status=500,
                    response="Traceback: token t0k3n-secret", key=("SERVER_ERROR",))
    findings = [*FINDINGS, leaky]
    junit.write(path, plan(), build(findings, INDEX), Outcome(seconds=2.0), strict=False,
                mask=Masker(["t0k3n-secret"]))
    text = path.read_text()
    assert "t0k3n-secret" not in text and "token ***" in text
    root = ET.fromstring(text)
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("7", "2", "5")
    contract, assumptions = root
    outcome = {case.get("name"): [child.tag for child in case] for case in contract}
    assert outcome == {
        "GET /calltrackings (listCallTrackings)": ["failure"],
        "DELETE /calltrackings (bulkDeleteCallTrackings)": ["skipped"],
        "PATCH /calltrackings (bulkUpdateCallTrackings)": ["skipped"],
        "DELETE /calltrackings/{id} (deleteCallTracking)": ["skipped"],
        "GET /calltrackings/{id}/recording (getCallTrackingRecording)": ["failure"],
    }
    assert [child.tag for case in assumptions for child in case] == ["skipped", "skipped"]
    strict = tmp_path / "strict.xml"
    junit.write(strict, plan(), build(findings, INDEX), Outcome(), strict=True, mask=Masker())
    assumptions = ET.parse(strict).getroot()[1]
    assert [child.tag for case in assumptions for child in case] == ["failure", "failure"]


@pytest.mark.parametrize(("expires_in", "seconds", "expired"), [
    (1800, 95.0, False), (1800, 1800.0, True), (None, 99999.0, False)])
def test_a_token_that_expired_during_the_run(expires_in: int | None, seconds: float,
                                             expired: bool) -> None:
    message = token_expiry(Token("x", "given", expires_in), seconds)
    assert (message is not None) is expired
    if expired:
        assert message == ("the token expired during the run (it lived 1800 s, the run took "
                           "1800 s): later requests were refused; shorten the run")


def test_a_bounded_masker_keeps_the_most_recent_secrets() -> None:
    masker = Masker(limit=2)
    for secret in ("first-secret", "second-secret", "third-secret"):
        masker.add(secret)
    assert masker("first-secret second-secret third-secret") == "first-secret *** ***"
    masker.add("second-secret")  # used again: the most recent now
    masker.add("fourth-secret")
    assert masker("second-secret third-secret fourth-secret") == "*** third-secret ***"
