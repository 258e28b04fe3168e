"""From schemathesis' failures to ``Finding``s: the one module that reads its data model.

Each failure class becomes a ``Kind`` and names what it touched: the status, the inputs
involved (from the case's generation metadata), and for a response that breaks its schema,
the schema nodes of the contract the failing validation went through. For the latter the
response body is validated again against the contract, because schemathesis keeps only the
keyword location in its bundled copy, while jsonschema's evaluation path names every
``$ref`` on the way (an error inside ``CallTracking`` reached through an assumed container
is then known to be inside it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
from schemathesis.core.failures import (
    AcceptedNegativeData,
    ContentTypeServerError,
    Failure,
    MalformedJson,
    ServerError,
)
from schemathesis.engine import Status
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.generation.case import Case
from schemathesis.openapi.checks import (
    AllowHeaderMismatch,
    ContentDeserializationError,
    EnsureResourceAvailability,
    IgnoredAuth,
    JsonSchemaError,
    MalformedMediaType,
    MissingContentType,
    MissingHeaderNotRejected,
    MissingHeaders,
    RejectedPositiveData,
    UndefinedContentType,
    UndefinedStatusCode,
    UnsupportedMethodResponse,
    UseAfterFree,
)

from ..core.spec import Spec
from .assumptions import AssumptionIndex, join
from .checks import CHECK_NAME, FilterNotApplied
from .classify import Finding, Input, Kind
from .filters import EnumFilter, describe

EXCERPT = 300
KINDS: list[tuple[tuple[type[Failure], ...], Kind]] = [
    ((ServerError, ContentTypeServerError), Kind.SERVER_ERROR),
    ((UndefinedStatusCode,), Kind.UNDOCUMENTED_STATUS),
    ((MissingContentType, UndefinedContentType, MalformedMediaType, MalformedJson,
      ContentDeserializationError), Kind.RESPONSE_FORMAT),
    ((MissingHeaders,), Kind.RESPONSE_HEADERS),
    ((IgnoredAuth,), Kind.AUTH_NOT_ENFORCED),
    ((AcceptedNegativeData,), Kind.INVALID_INPUT_ACCEPTED),
    ((RejectedPositiveData,), Kind.VALID_INPUT_REJECTED),
    ((FilterNotApplied,), Kind.FILTER_IGNORED),
    ((UseAfterFree, EnsureResourceAvailability), Kind.STATEFUL),
    ((UnsupportedMethodResponse, AllowHeaderMismatch), Kind.METHOD),
]
# Headers the run adds itself: never an input under test.
RUN_HEADERS = frozenset({"authorization", "x-mock-session"})


class Collector:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.index = AssumptionIndex(spec)
        self.findings: list[Finding] = []
        self.requests: dict[str, int] = {}  # phase -> responses received
        self._operations = {(op.method, op.path): op_id for op_id, op in spec.operations.items()}
        self._validators: dict[str, jsonschema_rs.Validator] = {}
        self._revalidated: set[str] = set()

    def scenario(self, recorder: ScenarioRecorder, phase: str) -> None:
        answered = sum(1 for i in recorder.interactions.values() if i.response is not None)
        self.count(phase, answered)
        for case_id, checks in recorder.checks.items():
            for node in checks:
                if node.status == Status.FAILURE and node.failure_info is not None:
                    failure = node.failure_info.failure
                    self.findings += self.translate(node.name, failure, recorder,
                                                    failure.case_id or case_id, phase)

    def count(self, phase: str, requests: int) -> None:
        self.requests[phase] = self.requests.get(phase, 0) + requests

    def filter_probe(self, rule: EnumFilter, value: Any, request: str, status: int,
                     wrong: list[Any], body: str) -> None:
        """A probe of ``filters.probes`` listed items its filter excludes."""
        op = self.spec.operations[rule.operation_id]
        label = f"{op.method} {op.path}"
        self.findings.append(Finding(
            Kind.FILTER_IGNORED, rule.operation_id, label,
            f"{rule.parameter}={value} not applied", status=status,
            inputs=(Input("query", rule.parameter),), detail=describe(rule, value, wrong),
            request=f"{request} -> {status}", response=cut(body), check=CHECK_NAME,
            phase="filter probe", key=(Kind.FILTER_IGNORED.name, label, rule.parameter),
        ))

    def run_failure(self, failure: Failure) -> None:
        """A failure of the run as a whole (class-based checks' ``after_run``)."""
        self.findings.append(Finding(Kind.OTHER, None, failure.operation or "run",
                                     failure.title, detail=failure.message, key=(failure.title,)))

    # --- one failure -------------------------------------------------------------------

    def translate(self, check: str, failure: Failure, recorder: ScenarioRecorder, case_id: str,
                  phase: str) -> list[Finding]:
        node = recorder.cases.get(case_id)
        if node is None:
            return [Finding(Kind.OTHER, None, failure.operation or "?", failure.title,
                            detail=failure.message, check=check, phase=phase,
                            key=(failure.title,))]
        case = node.value
        response = recorder.find_response(case_id=case_id)
        method = case.operation.method.upper()  # the operation's, even for a probe of another
        base: dict[str, Any] = dict(
            operation_id=self._operations.get((method, case.operation.path)),
            label=f"{method} {case.operation.path}",
            status=response.status_code if response is not None else None,
            detail=failure.message,
            request=_request_line(case, response),
            response=_excerpt(response),
            check=check,
            phase=phase,
        )
        if isinstance(failure, JsonSchemaError) and check == "response_schema_conformance":
            return self._schema_findings(failure, case_id, response, base)
        kind = next((k for classes, k in KINDS if isinstance(failure, classes)), Kind.OTHER)
        if isinstance(failure, JsonSchemaError):
            kind = Kind.RESPONSE_HEADERS
        if kind is Kind.UNDOCUMENTED_STATUS and (base["status"] or 0) >= 500:
            kind = Kind.SERVER_ERROR  # the same drift as the server error check's
        if isinstance(failure, MissingHeaderNotRejected):
            kind = (Kind.AUTH_NOT_ENFORCED if failure.header_name.lower() == "authorization"
                    else Kind.INVALID_INPUT_ACCEPTED)
        return [self._finding(kind, failure, case, base)]

    def _finding(self, kind: Kind, failure: Failure, case: Case, base: dict[str, Any]
                 ) -> Finding:
        label, status = base["label"], base["status"]
        inputs: tuple[Input, ...] = ()
        schema_path: tuple[str, ...] = ()
        key: tuple[str, ...] = (label, str(status))
        if kind is Kind.INVALID_INPUT_ACCEPTED:
            inputs = _mutated_inputs(case, failure)
            key = (label, *map(str, inputs))
        elif kind is Kind.VALID_INPUT_REJECTED:
            inputs = _present_inputs(case)
        elif kind is Kind.FILTER_IGNORED:
            inputs = (Input("query", failure.parameter),)  # type: ignore[attr-defined]
            key = (label, failure.parameter)  # type: ignore[attr-defined]
        elif kind is Kind.AUTH_NOT_ENFORCED or kind is Kind.METHOD:
            key = (label,)
        elif kind is Kind.RESPONSE_HEADERS and base["operation_id"] and status is not None:
            for name in getattr(failure, "missing_headers", ()) or ():
                schema_path += tuple(self.index.response_header(base["operation_id"], status, name))
        elif kind is Kind.OTHER:
            key = (label, failure.title)
        return Finding(kind, title=failure.title, inputs=inputs, schema_path=schema_path,
                       key=(kind.name, *key), **base)

    # --- response schema ---------------------------------------------------------------

    def _schema_findings(self, failure: JsonSchemaError, case_id: str, response: Any,
                         base: dict[str, Any]) -> list[Finding]:
        """One finding per error the contract's own validation finds in that response."""
        if case_id in self._revalidated:
            return []  # schemathesis reports each error of one response; we did them all
        self._revalidated.add(case_id)
        errors = list(self.schema_errors(base["operation_id"], base["status"], response))
        if not errors:  # our validator disagrees: keep schemathesis' word, without a path
            where = "/".join(map(str, failure.instance_path))
            return [Finding(Kind.RESPONSE_SCHEMA, title=_first_line(failure.message),
                            key=(Kind.RESPONSE_SCHEMA.name, base["label"], where,
                                 str(failure.schema_path[-1:])), **base)]
        return [
            Finding(Kind.RESPONSE_SCHEMA, title=f"{schema_place(chain)}: {message}",
                    schema_path=chain, key=(Kind.RESPONSE_SCHEMA.name, chain[-1], keyword),
                    **{**base, "detail": f"{message} (at /{instance})"})
            for chain, keyword, message, instance in errors
        ]

    def schema_errors(self, operation_id: str | None, status: int | None, response: Any
                      ) -> Iterator[tuple[tuple[str, ...], str, str, str]]:
        if response is None:
            return
        try:
            body = response.json()
        except ValueError:
            return
        yield from self.body_errors(operation_id, status, body)

    def body_errors(self, operation_id: str | None, status: int | None, body: Any
                    ) -> Iterator[tuple[tuple[str, ...], str, str, str]]:
        """Each error of a response body against its schema: the schema nodes on the
        validation path, the keyword, the message, where in the body."""
        start = self.index.response_schema(operation_id, status) \
            if operation_id and status is not None else None
        if start is None:
            return
        validator = self._validators.get(start)
        if validator is None:
            validator = self._validators[start] = self.spec.validator(self.index.node(start))
        for error in validator.iter_errors(body):
            chain = self.index.schema_chain(start, list(error.evaluation_path))
            keyword = str(error.evaluation_path[-1]) if error.evaluation_path else ""
            if keyword == "required":
                name = str(getattr(error.kind, "property", ""))  # ValidationErrorKind.Required
                chain += self.index.follow(join(chain[-1], "properties", name))
                keyword = f"required {name}"
            instance = "/".join(map(str, error.instance_path))
            yield tuple(chain), keyword, error.message, instance


def _mutated_inputs(case: Case, failure: Failure) -> tuple[Input, ...]:
    """What a negative case changed: a header the check removed, else the phase metadata."""
    if isinstance(failure, MissingHeaderNotRejected):
        return (Input("header", failure.header_name),)
    meta = case.meta
    if meta is None:
        return ()
    data = meta.phase.data
    found: list[Input] = []
    if data.parameter_location is not None:
        found.append(Input(data.parameter_location.value, _input_name(
            data.parameter_location.value, data.parameter, ())))
    for mutation in getattr(data, "mutations", ()):
        location = mutation.parameter_location.value
        found.append(Input(location, _input_name(location, mutation.parameter, mutation.path)))
    return tuple(dict.fromkeys(found))


def _input_name(location: str, parameter: str | None, path: tuple[Any, ...]) -> str:
    if location == "body":  # the top-level property changed, "" for the body as a whole
        first = (parameter or "").strip("/").split("/")[0] if parameter else ""
        return str(path[0]) if path else first
    return parameter or ""


def _present_inputs(case: Case) -> tuple[Input, ...]:
    """Every input the request carried (but the run's own headers)."""
    found = [Input("query", str(name)) for name in (case.query or {})]
    found += [Input("path", str(name)) for name in (case.path_parameters or {})]
    found += [Input("header", str(name)) for name in (case.headers or {})
              if str(name).lower() not in RUN_HEADERS]
    if isinstance(case.body, dict):
        found += [Input("body", str(name)) for name in case.body]
    return tuple(found)


def _request_line(case: Case, response: Any) -> str:
    if response is not None and response.request is not None and response.request.url:
        url = urlsplit(response.request.url)
        target = url.path + (f"?{url.query}" if url.query else "")
        line = f"{response.request.method} {target} -> {response.status_code}"
        return line
    return f"{case.method} {case.formatted_path}"


def _excerpt(response: Any) -> str:
    if response is None or not response.content:
        return ""
    return cut(response.text_lossy())


def cut(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "..."


def schema_place(chain: tuple[str, ...]) -> str:
    """``#/components/schemas/CallTracking/properties/call_time`` -> ``CallTracking.call_time``."""
    last = chain[-1].split("/")
    for marker in ("schemas", "responses", "parameters"):
        if marker in last:
            rest = last[last.index(marker) + 1:]
            return ".".join(p.replace("~1", "/").replace("~0", "~") for p in rest
                            if p not in ("properties", "items", "content", "schema"))
    return chain[-1]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
