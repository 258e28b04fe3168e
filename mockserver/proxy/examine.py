"""What one real exchange says about the contract: findings, and the assumptions it reached.

The request is checked with the mock's own validator, the response body with the contract
runner's schema walk (so a finding names the schema nodes it went through, and the contract
runner's classifier can tell a broken promise from a refuted guess). The kinds of finding
are the runner's, worded alike and keyed alike, so one drift groups the same way whether
schemathesis generated the request or a real client sent it:

- an undocumented status (a server error when 5xx); for a documented one, a body that is
  not the documented media type or breaks its schema;
- a request the contract calls invalid, answered 2xx (invalid input accepted); one it calls
  valid, answered 400 or 422 (valid input rejected);
- an operation that needs a token, answered 2xx without one (auth not enforced);
- a list whose enum filter let through items it excludes (filter not applied).

Besides findings, an inspection lists every ``x-assumed`` node the exchange went through
(the parameters sent, the response answered, the schema nodes the bodies reached): what
the assumption ledger counts as exercised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from ..contract.assumptions import JSON, AssumptionIndex, join
from ..contract.classify import Finding, Input, Kind
from ..contract.collect import Collector, schema_place
from ..contract.filters import EnumFilter, describe, enum_filters, items_not_matching
from ..core.errors import ApiError, Problem
from ..core.http import HttpRequest
from ..core.spec import Operation, Spec, template_to_regex
from ..validation.request_body import read_request
from ..validation.validator import Validator
from .exchange import Exchange

CHECK = "proxy"
PHASE = "traffic"
# The titles schemathesis gives these failures, so that headlines read the same.
TITLES = {
    Kind.SERVER_ERROR: "Server error",
    Kind.UNDOCUMENTED_STATUS: "Undocumented HTTP status code",
    Kind.AUTH_NOT_ENFORCED: "API accepts requests without authentication",
    Kind.INVALID_INPUT_ACCEPTED: "API accepted schema-violating request",
    Kind.VALID_INPUT_REJECTED: "API rejected schema-compliant request",
    Kind.RESPONSE_FORMAT: "Undocumented Content-Type",
}
REJECTIONS = frozenset({400, 422})  # what refusing a request for its content looks like


@dataclass
class Inspection:
    findings: list[Finding] = field(default_factory=list)
    exercised: tuple[str, ...] = ()  # the x-assumed nodes the exchange went through


class Inspector:
    def __init__(self, spec: Spec, validator: Validator) -> None:
        self.spec = spec
        self.validator = validator
        self.index = AssumptionIndex(spec)
        self.collector = Collector(spec)
        self.routes = [(template_to_regex(template), methods)
                       for template, methods in spec.paths().items()]
        self.filters: dict[str, list[EnumFilter]] = {}
        for rule in enum_filters(spec):
            self.filters.setdefault(rule.operation_id, []).append(rule)

    def operation(self, method: str, path: str) -> tuple[Operation | None, dict[str, str]]:
        """The operation of the contract a request is for, and its path parameters."""
        for pattern, methods in self.routes:
            match = pattern.match(path)
            if match is not None:
                op = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
                return op, match.groupdict()
        return None, {}

    def inspect(self, op: Operation, path_params: dict[str, str], exchange: Exchange
                ) -> Inspection:
        touched: list[str] = []
        problems = self._request_problems(op, path_params, exchange)
        touched += self._request_nodes(op, exchange)
        label = f"{op.method} {op.path}"
        base: dict[str, Any] = {"operation_id": op.operation_id, "label": label,
                "status": exchange.status, "request": exchange.line, "check": CHECK,
                "phase": PHASE}
        findings: list[Finding] = []
        documented = self.index.response(op.operation_id, exchange.status)
        if not documented:
            kind = Kind.SERVER_ERROR if exchange.status >= 500 else Kind.UNDOCUMENTED_STATUS
            findings.append(self._finding(kind, base, exchange,
                                          key=(label, str(exchange.status))))
        else:
            touched += documented
            findings += self._response_findings(op, documented[-1], base, exchange, touched)
        findings += self._request_findings(op, problems, base, exchange)
        return Inspection(findings, self.index.assumed(touched))

    # --- the request -------------------------------------------------------------------

    def _request_problems(self, op: Operation, path_params: dict[str, str],
                          exchange: Exchange) -> list[Problem]:
        request = HttpRequest(
            method=op.method.lower(), path=exchange.path, path_pattern=op.path,
            host_url="http://proxy/", query=MultiDict(exchange.query_pairs),
            headers=exchange.headers, path_params=path_params, body=exchange.body or None,
            content_type=exchange.content_type or "application/octet-stream",
        )
        try:
            read_request(self.validator, request)
        except ApiError as exc:
            return list(exc.problems) or [Problem("body", "", exc.message)]
        return []

    def _request_nodes(self, op: Operation, exchange: Exchange) -> list[str]:
        """The parameters and body properties the request carried."""
        op_id, nodes = op.operation_id, []
        for name, _ in exchange.query_pairs:
            nodes += self.index.parameter(op_id, "query", name)
        for name in self._header_parameters(op, exchange):
            nodes += self.index.parameter(op_id, "header", name)
        body = exchange.request_json
        if isinstance(body, dict):
            for name in body:
                nodes += self.index.body_property(op_id, str(name))
            chain = self.index.follow(join(self.index.operation(op_id), "requestBody"))
            schema = join(chain[-1], "content", JSON, "schema")
            if self.index.node(schema) is not None:
                nodes += self.index.schema_nodes(schema, body)
        return nodes

    def _request_findings(self, op: Operation, problems: list[Problem], base: dict[str, Any],
                          exchange: Exchange) -> list[Finding]:
        status, label = exchange.status, base["label"]
        found = []
        if 200 <= status < 300 and "Authorization" not in exchange.headers \
                and self.index.security(op.operation_id):
            found.append(self._finding(Kind.AUTH_NOT_ENFORCED, base, exchange, key=(label,)))
        if problems and 200 <= status < 300:
            inputs = tuple(dict.fromkeys(Input(p.location, _top(p)) for p in problems))
            found.append(self._finding(
                Kind.INVALID_INPUT_ACCEPTED, base, exchange, inputs=inputs,
                detail="; ".join(f"{p.location} {p.name}: {p.reason}" for p in problems),
                key=(label, *map(str, inputs))))
        if not problems and status in REJECTIONS:
            found.append(self._finding(Kind.VALID_INPUT_REJECTED, base, exchange,
                                       inputs=self._present(op, exchange),
                                       key=(label, str(status))))
        if status == 200:
            found += self._filter_findings(op, base, exchange)
        return found

    def _present(self, op: Operation, exchange: Exchange) -> tuple[Input, ...]:
        inputs = [Input("query", name) for name, _ in exchange.query_pairs]
        inputs += [Input("header", name) for name in self._header_parameters(op, exchange)]
        body = exchange.request_json
        if isinstance(body, dict):
            inputs += [Input("body", str(name)) for name in body]
        return tuple(dict.fromkeys(inputs))

    def _header_parameters(self, op: Operation, exchange: Exchange) -> list[str]:
        """The header parameters of the operation that the request carried."""
        names = [str(p.get("name", "")) for p in self.spec.parameters(op.method, op.path)
                 if p.get("in") == "header"]
        return [name for name in names if name in exchange.headers]

    def _filter_findings(self, op: Operation, base: dict[str, Any], exchange: Exchange
                         ) -> list[Finding]:
        rules = self.filters.get(op.operation_id, [])
        if not rules:
            return []
        ok, body = exchange.response_json
        query = dict(exchange.query_pairs)
        found = []
        for rule in rules if ok else []:
            wrong = items_not_matching(rule, query, body)
            if wrong:
                value = query[rule.parameter]
                found.append(Finding(
                    Kind.FILTER_IGNORED, title=f"{rule.parameter}={value} not applied",
                    inputs=(Input("query", rule.parameter),),
                    detail=describe(rule, value, wrong), response=exchange.response_excerpt,
                    key=(Kind.FILTER_IGNORED.name, base["label"], rule.parameter), **base))
        return found

    # --- the response ------------------------------------------------------------------

    def _response_findings(self, op: Operation, response: str, base: dict[str, Any],
                           exchange: Exchange, touched: list[str]) -> list[Finding]:
        content = self.index.node(join(response, "content")) or {}
        if not content or not exchange.response_body:
            return []
        if exchange.response_mimetype not in content:
            documented = ", ".join(content)
            return [self._finding(
                Kind.RESPONSE_FORMAT, base, exchange,
                detail=f"{exchange.response_mimetype or 'no Content-Type'} is not one of "
                       f"{documented}", key=(base["label"], str(exchange.status)))]
        if exchange.response_mimetype != JSON:
            return []
        ok, body = exchange.response_json
        if not ok:
            return [self._finding(Kind.RESPONSE_FORMAT, base, exchange,
                                  detail="the body is not JSON",
                                  key=(base["label"], str(exchange.status)))]
        start = self.index.response_schema(op.operation_id, exchange.status)
        if start is not None:
            touched += self.index.schema_nodes(start, body)
        return [
            Finding(Kind.RESPONSE_SCHEMA, title=f"{schema_place(chain)}: {message}",
                    schema_path=chain, detail=f"{message} (at /{instance})",
                    response=exchange.response_excerpt,
                    key=(Kind.RESPONSE_SCHEMA.name, chain[-1], keyword), **base)
            for chain, keyword, message, instance
            in self.collector.body_errors(op.operation_id, exchange.status, body)
        ]

    @staticmethod
    def _finding(kind: Kind, base: dict[str, Any], exchange: Exchange, *,
                 key: tuple[str, ...], inputs: tuple[Input, ...] = (), detail: str = ""
                 ) -> Finding:
        return Finding(kind, title=TITLES[kind], inputs=inputs, detail=detail,
                       response=exchange.response_excerpt, key=(kind.name, *key), **base)


def _top(problem: Problem) -> str:
    """A body problem's top-level property (``calltrackings/3`` -> ``calltrackings``)."""
    return problem.name.split("/")[0] if problem.location == "body" else problem.name

