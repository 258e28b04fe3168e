"""One schemathesis run against the target, as the plan says, and what it found.

The plan (target, token, policy) is settled before the first generated request. Here it
becomes a schemathesis configuration, the schema is narrowed to what the policy lets the
run send, our filter check and (for a real deployment) the request guard are installed,
and the engine's events are read: each testing phase against the mock starts on fresh data
(``POST /__mock/reset`` on the run's private session), each scenario's failures go to the
collector, errors are kept for the summary.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import schemathesis
from schemathesis import BaseSchema
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import StopReason, events, from_schema
from schemathesis.engine.run import PhaseName

from ..core.spec import Spec
from .checks import CHECK_NAME, make_check, registered
from .classify import Finding
from .collect import Collector
from .credentials import USER_AGENT, Token, TokenSource
from .filters import enum_filters, items_not_matching, probes
from .guard import Guard, Refusal
from .options import PHASES, ContractOptions, OptionsError
from .policy import SAFE_METHODS, WritePolicy
from .reproducible import local_constants_off
from .target import Target, send

# Phases that generate requests from data: each starts on a freshly reset mock session.
DATA_PHASES = frozenset({PhaseName.EXAMPLES, PhaseName.COVERAGE, PhaseName.FUZZING,
                         PhaseName.STATEFUL_TESTING})
# Why a run may end before its phases did: parts are left untested (exit 2).
EARLY_STOPS = {
    StopReason.SERVER_UNAVAILABLE: "the target stopped responding; the run stopped early",
    StopReason.INTERRUPTED: "the run was interrupted",
}
# Schemathesis' default probe methods for undeclared routes, kept safe for real targets.
UNEXPECTED_METHODS = ("get", "put", "post", "delete", "options", "patch", "trace", "query")


class RunError(Exception):
    """Schemathesis could not run at all (its message says why)."""


@dataclass(frozen=True)
class Plan:
    options: ContractOptions
    spec: Spec
    target: Target
    token: Token  # the first one, for the summary
    policy: WritePolicy
    tokens: TokenSource | None = None  # the current one (renewed before it expires)

    @property
    def bearer(self) -> str:
        return self.tokens.value if self.tokens is not None else self.token.value

    @property
    def operations(self) -> list[str]:
        return self.policy.exercised(self.spec)


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)  # phase -> requests answered
    errors: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    seconds: float = 0.0


def run(plan: Plan) -> Outcome:
    outcome = Outcome()
    collector = Collector(plan.spec)
    guard = Guard(plan.policy)
    with contextlib.ExitStack() as stack:
        stack.enter_context(local_constants_off())  # same seed, same requests
        stack.enter_context(registered(make_check(plan.spec)))
        schema = load_schema(plan)
        if not plan.policy.unrestricted:
            stack.enter_context(guard.installed())
        if plan.tokens is not None and plan.tokens.renewable:
            stack.enter_context(plan.tokens.installed())
        if _selected(plan, CHECK_NAME):
            probe_filters(plan, collector)
        for event in from_schema(schema).execute():
            _handle(event, plan, collector, outcome)
    outcome.findings = collector.findings
    outcome.requests = collector.requests
    outcome.refused = guard.refused
    renewed = plan.tokens is not None and plan.tokens.renewable
    expired = None if renewed else token_expiry(plan.token, outcome.seconds)
    if expired:
        outcome.errors.append(expired)
    return outcome


def token_expiry(token: Token, seconds: float) -> str | None:
    """A token that expired mid-run made every later request a 401, which the contract
    documents: nothing would fail, and nothing after that point was tested."""
    if token.expires_in is not None and seconds >= token.expires_in:
        return (f"the token expired during the run (it lived {token.expires_in} s, the run took "
                f"{seconds:.0f} s): later requests were refused; shorten the run")
    return None


def probe_filters(plan: Plan, collector: Collector) -> None:
    """Send each enum filter alone (see ``filters.py``); the mock on fresh data first."""
    if plan.policy.unrestricted:
        plan.target.reset(plan.bearer)
    headers = {"Authorization": f"Bearer {plan.bearer}", **plan.target.headers}
    for rule in enum_filters(plan.spec):
        path = plan.spec.operations[rule.operation_id].path
        for query in probes(rule):
            target = f"{path}?{urlencode(query)}"
            reply = send("GET", plan.target.base_url + target, headers, plan.target.timeout)
            collector.count("filter probe", 1)
            wrong = items_not_matching(rule, query, reply.json()) if reply.status == 200 else []
            if wrong:
                collector.filter_probe(rule, query[rule.parameter], f"GET {target}",
                                       reply.status, wrong, reply.body.decode("utf-8", "replace"))


def _selected(plan: Plan, check: str) -> bool:
    checks = plan.options.check_list
    return checks is None or check in checks


def load_schema(plan: Plan) -> BaseSchema:
    """The contract as schemathesis reads it, narrowed to what the run may send."""
    config = SchemathesisConfig.from_dict(config_dict(plan))
    document = plan.policy.request_document(plan.spec)
    policy = plan.policy
    schema = schemathesis.openapi.from_dict(document, config=config).exclude(
        lambda ctx: not policy.may_route(ctx.operation.method, ctx.operation.path))
    checks = plan.options.check_list
    if checks is not None:
        unknown = sorted(set(checks) - set(CHECKS.get_all_names()))
        if unknown:
            raise OptionsError(f"--checks: unknown {', '.join(unknown)}; choose among "
                               f"{', '.join(sorted(CHECKS.get_all_names()))}")
        schema.config.checks.update(included_check_names=checks)
    return schema


def config_dict(plan: Plan) -> dict[str, Any]:
    options = plan.options
    phases: dict[str, Any] = {name: {"enabled": name in options.phase_list} for name in PHASES}
    config: dict[str, Any] = {
        "base-url": plan.target.base_url,
        "headers": {"Authorization": f"Bearer {plan.bearer}", "User-Agent": USER_AGENT,
                    **plan.target.headers},
        "generation": {"max-examples": options.max_examples, "database": "none"},
        "workers": options.workers,
        "request-timeout": options.request_timeout,
        "cache": {"enabled": False},
        "phases": phases,
        # Keep testing an operation after its first failure: the report lists every drift.
        "continue-on-failure": True,
    }
    if options.seed is not None:
        config["seed"] = options.seed
    if not plan.policy.unrestricted:
        safe = [m for m in UNEXPECTED_METHODS if m.upper() in SAFE_METHODS]
        phases["coverage"]["unexpected-methods"] = safe
        # Writes to a real deployment are sent as the contract describes them, never malformed:
        # a malformed write is just what a lenient server may read as "every record".
        writes = [op_id for op_id in plan.operations
                  if plan.spec.operations[op_id].method not in SAFE_METHODS]
        config["operations"] = [
            {"include-operation-id": op_id, "generation": {"mode": "positive"}}
            for op_id in writes
        ]
        if writes:  # the stateful phase reads no per-operation setting
            phases["stateful"]["generation"] = {"mode": "positive"}
    return config


def _handle(event: events.EngineEvent, plan: Plan, collector: Collector,
            outcome: Outcome) -> None:
    if isinstance(event, events.PhaseStarted):
        if plan.policy.unrestricted and event.phase.name in DATA_PHASES:
            plan.target.reset(plan.bearer)  # the phase has sent nothing yet: it waits
    elif isinstance(event, events.ScenarioFinished):
        collector.scenario(event.recorder, event.phase.value)
    elif isinstance(event, events.NonFatalError):
        outcome.errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
    elif isinstance(event, events.FatalError):
        raise RunError(f"{type(event.exception).__name__}: {event.exception}")
    elif isinstance(event, events.EngineFinished):
        for failure in event.failures:
            collector.run_failure(failure)
        outcome.seconds = event.running_time
        if event.stop_reason in EARLY_STOPS:
            outcome.errors.append(EARLY_STOPS[event.stop_reason])
