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
import dataclasses
import gc
import importlib
import multiprocessing
import multiprocessing.connection
import time
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
from .policy import SAFE_METHODS, TargetKind, WritePolicy
from .reproducible import local_constants_off
from .target import Target, send

# Phases that generate requests from data: each starts on a freshly reset mock session.
DATA_PHASES = frozenset({PhaseName.EXAMPLES, PhaseName.COVERAGE, PhaseName.FUZZING,
                         PhaseName.STATEFUL_TESTING})
# Phases by the work they take, most first (a default run against the mock: 3.4, 3.1, 1.7
# and 0.3 s of the client's CPU).
PHASE_ORDER = ["stateful", "fuzzing", "coverage", "examples"]
# Modules the phases import as they start (after the engine's own): 0.2 s in each process.
PHASE_MODULES = (
    "hypothesis.internal.conjecture.optimiser", "hypothesis.strategies._internal.flatmapped",
    "hypothesis.strategies._internal.random", "schemathesis.engine.run.unit._hypothesis_executor",
    "schemathesis.engine.run.stateful._executor", "schemathesis.engine.run.stateful.context",
    "schemathesis.generation.body_overrides", "schemathesis.generation.dictionaries",
    "schemathesis.specs.openapi._ordering", "schemathesis.specs.openapi.auth_inference",
    "schemathesis.specs.openapi.object_authorization",
    "schemathesis.specs.openapi.stateful.link_calibration", "schemathesis.transport.asgi",
    "schemathesis.transport.wsgi", "pyrate_limiter",
)
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

    @property
    def jobs(self) -> int:
        """Phases run at once: only against the mock, whose sessions keep them apart (on a
        real deployment they would share, and change, the same data)."""
        if self.target.kind is not TargetKind.MOCK:
            return 1
        return min(self.options.job_count, len(self.options.phase_list))


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)  # phase -> requests answered
    errors: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    seconds: float = 0.0


def run(plan: Plan) -> Outcome:
    """The run: its phases one after another, or, against the mock, at once (``apart``)."""
    outcome = apart(plan) if plan.jobs > 1 else together(plan)
    renewed = plan.tokens is not None and plan.tokens.renewable
    expired = None if renewed else token_expiry(plan.token, outcome.seconds)
    if expired:
        outcome.errors.append(expired)
    return outcome


def together(plan: Plan, filter_probe: bool = True) -> Outcome:
    """The filter probe, then the plan's phases in one schemathesis engine."""
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
        if filter_probe and _selected(plan, CHECK_NAME):
            probe_filters(plan, collector)
        for event in from_schema(schema).execute():
            _handle(event, plan, collector, outcome)
    outcome.findings = collector.findings
    outcome.requests = collector.requests
    outcome.refused = guard.refused
    return outcome


def apart(plan: Plan) -> Outcome:
    """Against the mock: each phase in a process of its own, on a session of its own, at
    most ``plan.jobs`` at once; their outcomes joined in the phases' order.

    Generating cases is most of a run's work and takes the interpreter lock, so threads
    would not share it out; processes forked once the contract is loaded do, and start in
    milliseconds. Each phase draws from the seed and the schema alone
    (``reproducible``), so it sends the same requests whichever process runs it, whatever
    the others do: the sessions keep their data apart.
    """
    began = time.monotonic()
    outcome = Outcome()
    collector = Collector(plan.spec)
    with local_constants_off(), registered(make_check(plan.spec)):
        _import_the_engine(plan)  # checks the options against schemathesis, too
        if _selected(plan, CHECK_NAME):
            probe_filters(plan, collector)
        outcome.findings, outcome.requests = collector.findings, collector.requests
        # The longest first, so that no long phase starts last (stateful, fuzzing, coverage).
        results = _in_processes(plan, sorted(plan.options.phase_list, key=PHASE_ORDER.index))
    for phase in plan.options.phase_list:  # joined in order: the report reads the same
        found = results[phase]
        if isinstance(found, str):
            raise RunError(found)
        outcome.findings += found.findings
        outcome.requests.update(found.requests)
        outcome.errors += found.errors
        outcome.refused += found.refused
    outcome.seconds = time.monotonic() - began
    return outcome


def _import_the_engine(plan: Plan) -> None:
    """Import, once and before the fork, what every phase's process would import on its
    way (0.5 s of each process's CPU): run schemathesis' engine with every phase off (its
    API probe alone: three hundred modules), then import those the phases themselves load
    (``PHASE_MODULES`` of the pinned schemathesis and Hypothesis; one that is gone costs
    its phase the import, nothing else)."""
    schema = load_schema(plan)
    for name in PHASES:
        getattr(schema.config.phases, name).enabled = False
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise RunError(f"{type(event.exception).__name__}: {event.exception}")
    for module in PHASE_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)


def _in_processes(plan: Plan, phases: list[str]) -> dict[str, Outcome | str]:
    """Each phase's outcome, or why its process gave none."""
    # What the processes share is never garbage: out of the collector's sight, the pages
    # stay shared and every full collection in a process (Hypothesis runs one for each new
    # thread's generator) looks at that process's own objects only, as Python's docs advise.
    gc.collect()
    gc.freeze()
    try:
        return _forked(plan, phases)
    finally:
        gc.unfreeze()  # this process goes on (a test's, say): its objects are its own again


def _forked(plan: Plan, phases: list[str]) -> dict[str, Outcome | str]:
    context = multiprocessing.get_context("fork")  # the loaded contract and modules, shared
    waiting = list(phases)
    running: dict[Any, tuple[str, Any]] = {}  # the receiving end -> (phase, process)
    results: dict[str, Outcome | str] = {}
    while waiting or running:
        while waiting and len(running) < plan.jobs:
            phase = waiting.pop(0)
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(target=_phase_process, args=(plan, phase, sending),
                                      name=f"contract-{phase}", daemon=True)
            process.start()
            sending.close()
            running[receiving] = (phase, process)
        for ready in multiprocessing.connection.wait(list(running)):
            assert isinstance(ready, multiprocessing.connection.Connection)
            phase, process = running.pop(ready)
            try:
                results[phase] = ready.recv()
            except EOFError:
                results[phase] = (f"the {phase} phase's process ended without a result "
                                  f"(exit code {process.exitcode})")
            ready.close()
            process.join()
    return results


def _phase_process(plan: Plan, phase: str, sending: Any) -> None:
    """In the forked process: one phase, on the run's session name plus the phase's."""
    try:
        session = f"{plan.target.session}-{phase}" if plan.target.session else None
        alone = dataclasses.replace(
            plan, options=dataclasses.replace(plan.options, phases=phase, jobs="1"),
            target=dataclasses.replace(plan.target, session=session))
        result: Outcome | str = together(alone, filter_probe=False)
    except Exception as exc:  # sent back: the parent stops the run with it
        result = f"the {phase} phase could not run: {type(exc).__name__}: {exc}"
    sending.send(result)
    sending.close()


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
