"""Broken promise or refuted guess? One finding of a contract run, judged against ``x-assumed``.

A finding names what it touched: the response (operation and status), the schema nodes its
validation went through, the request inputs involved. It is an **unconfirmed assumption**
when what it rests on is marked ``x-assumed`` in the contract, and a **contract failure**
otherwise. The rule for each kind of finding says which elements it rests on:

- a response that breaks its schema, header or media type: the response object and every
  schema node on the validation path (an assumed container makes its content a guess);
- an undocumented status: the documented responses of the same class (an error status the
  upstream never documented refutes our guess of which 4xx it answers, not a promise);
- a server error: nothing; no response of this contract is a 5xx;
- an accepted invalid input: the input, or else the 4xx responses that promise rejection;
- a rejected valid input: any assumed input in the request (it may be the one refused);
- a filter not applied, auth not enforced: the parameter, the security scheme.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .assumptions import AssumptionIndex


class Kind(StrEnum):
    RESPONSE_SCHEMA = "response breaks its schema"
    RESPONSE_HEADERS = "response headers break the contract"
    RESPONSE_FORMAT = "response is not the documented media type"
    UNDOCUMENTED_STATUS = "undocumented status code"
    SERVER_ERROR = "server error"
    AUTH_NOT_ENFORCED = "authentication not enforced"
    INVALID_INPUT_ACCEPTED = "invalid request accepted"
    VALID_INPUT_REJECTED = "valid request rejected"
    FILTER_IGNORED = "filter not applied"
    STATEFUL = "state not kept"
    METHOD = "undocumented method handled"
    OTHER = "other failure"


class Verdict(StrEnum):
    CONTRACT = "contract failure"
    ASSUMPTION = "unconfirmed assumption"


@dataclass(frozen=True)
class Input:
    """One element of a request: a parameter (query, path, header) or a body property."""

    location: str  # query, path, header, cookie, body
    name: str

    def __str__(self) -> str:
        return f"{self.location} {self.name}" if self.name else self.location


@dataclass(frozen=True)
class Finding:
    """What a check found, reduced to what classification and the report need."""

    kind: Kind
    operation_id: str | None
    label: str  # "GET /calltrackings"
    title: str  # one line, for people
    status: int | None = None
    schema_path: tuple[str, ...] = ()  # spec pointers a failing validation went through
    inputs: tuple[Input, ...] = ()
    detail: str = ""  # the validator's or check's message
    request: str = ""  # "GET /calltrackings?sort=id -> 500"
    response: str = ""  # an excerpt of the body
    check: str = ""  # the schemathesis check (or ours) that found it
    phase: str = ""
    key: tuple[str, ...] = field(default=())  # what makes two findings the same drift


@dataclass(frozen=True)
class Classification:
    verdict: Verdict
    assumed: tuple[str, ...] = ()  # pointers of the x-assumed elements it rests on


CONTRACT = Classification(Verdict.CONTRACT)


def classify(finding: Finding, index: AssumptionIndex) -> Classification:
    op = finding.operation_id
    if op is None or op not in index.spec.operations:
        return CONTRACT
    rule = RULES.get(finding.kind)
    return rule(finding, op, index) if rule is not None else CONTRACT


def _verdict(assumed: tuple[str, ...]) -> Classification:
    return Classification(Verdict.ASSUMPTION, assumed) if assumed else CONTRACT


def _response(f: Finding, op: str, index: AssumptionIndex) -> Classification:
    touched = index.response(op, f.status) if f.status is not None else []
    return _verdict(index.assumed([*touched, *f.schema_path]))


def _undocumented_status(f: Finding, op: str, index: AssumptionIndex) -> Classification:
    if f.status is None or f.status >= 500:
        return CONTRACT
    same_class = index.responses_in_class(op, f.status)
    assumed = [index.assumed(chain) for chain in same_class.values()]
    if same_class and all(assumed):
        return _verdict(tuple(p for found in assumed for p in found))
    return CONTRACT


def _inputs(f: Finding, op: str, index: AssumptionIndex) -> tuple[str, ...]:
    pointers: list[str] = []
    for item in f.inputs:
        if item.location == "body":
            pointers += index.body_property(op, item.name) if item.name else []
        else:
            pointers += index.parameter(op, item.location, item.name)
    return index.assumed(pointers)


def _invalid_accepted(f: Finding, op: str, index: AssumptionIndex) -> Classification:
    assumed = _inputs(f, op, index)
    if assumed:
        return _verdict(assumed)
    rejections = [index.assumed(chain) for chain in index.responses_in_class(op, 400).values()]
    if rejections and all(rejections):
        return _verdict(tuple(p for found in rejections for p in found))
    return CONTRACT


def _any_input(f: Finding, op: str, index: AssumptionIndex) -> Classification:
    return _verdict(_inputs(f, op, index))


def _security(f: Finding, op: str, index: AssumptionIndex) -> Classification:
    schemes = index.security(op)
    assumed = index.assumed(schemes)
    return _verdict(assumed) if schemes and len(assumed) == len(schemes) else CONTRACT


RULES = {
    Kind.RESPONSE_SCHEMA: _response,
    Kind.RESPONSE_HEADERS: _response,
    Kind.RESPONSE_FORMAT: _response,
    Kind.UNDOCUMENTED_STATUS: _undocumented_status,
    Kind.INVALID_INPUT_ACCEPTED: _invalid_accepted,
    Kind.VALID_INPUT_REJECTED: _any_input,
    Kind.FILTER_IGNORED: _any_input,
    Kind.AUTH_NOT_ENFORCED: _security,
}
