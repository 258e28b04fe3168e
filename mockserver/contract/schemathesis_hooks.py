"""Hooks that make a plain ``schemathesis run openapi.yaml --url ...`` test the mock for real,
and keep it safe against a real deployment; ``schemathesis.toml`` at the root names them.

Left alone, schemathesis' coverage and fuzzing phases send the documented delete-all
(``DELETE /calltrackings`` without ids) and id-less bulk PATCHes: the data is gone before
the stateful phase, whose links then find nothing to follow, and the run is green having
tested little. Pointed at a real deployment, the same requests would delete real data.
These hooks give a plain run what ``mockserver contract`` does, from the same parts
(``target``, ``policy``, ``guard``, ``checks``):

- **Which target.** Once per run, before any generated request (``after_load_schema``):
  the mock only when ``GET /__mock/health`` answers JSON with ``"mock": true``.
- **Against the mock**, every request carries a private ``X-Mock-Session``, reset to the
  baseline before the run and before each phase that sends data (a CLI event handler on
  ``PhaseStarted``); the stateful phase sends no id-less bulk write and lists its first
  page unfiltered, so that its links have records to follow.
- **Against anything else**, only what ``mockserver contract`` would send: reads, and with
  ``MOCKSERVER_CONTRACT_ALLOW_WRITES=1`` bulk PATCHes that list their ids and single
  DELETEs (never the bulk DELETE); the operations it may not send are deselected, and a
  guard on ``requests``' transport refuses, whoever built it, any request the policy
  forbids.
- Our ``filters_applied`` check runs beside schemathesis' own.

Schemathesis keeps hooks in a process-wide registry and loads this module whenever it
discovers ``schemathesis.toml`` (any ``schemathesis.openapi.from_*`` call from the root
does), so every hook first asks whether the schema at hand is one whose configuration names
this module; anything else is left as it is.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import schemathesis
import schemathesis.cli
from schemathesis import GenerationMode
from schemathesis.cli.commands.run.handlers.base import EventHandler
from schemathesis.config import OperationConfig
from schemathesis.engine import events
from schemathesis.generation.meta import TestPhase

from ..core.spec import Spec
from ..settings import TRUE_WORDS
from .checks import make_check, registered
from .credentials import USER_AGENT
from .guard import Guard
from .options import ENV_PREFIX
from .policy import BULK_UPDATE, LIST, SAFE_METHODS, TargetKind, WritePolicy, lists_ids
from .reproducible import local_constants_off
from .runner import DATA_PHASES, UNEXPECTED_METHODS
from .target import Target, TargetError, probe

HOOKS = __name__  # what schemathesis.toml says: `hooks = "mockserver.contract.schemathesis_hooks"`
ALLOW_WRITES = f"{ENV_PREFIX}ALLOW_WRITES"
TIMEOUT = 10.0


@dataclass
class Run:
    """What ``after_load_schema`` decided for this process's run."""

    target: Target
    policy: WritePolicy
    spec: Spec
    token: str  # the run's bearer token, which the mock's reset needs too
    guard: Guard | None = None
    resets: int = 0
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def mock(self) -> bool:
        return self.target.kind is TargetKind.MOCK

    def reset(self) -> None:
        self.target.reset(self.token)
        self.resets += 1


RUN: Run | None = None


def ours(schema: Any) -> bool:
    return getattr(getattr(schema, "config", None), "hooks", None) == HOOKS


def active(schema: Any) -> Run | None:
    """The run, if this schema is the one it is about."""
    return RUN if RUN is not None and ours(schema) else None


@schemathesis.hook
def after_load_schema(context: Any, schema: Any) -> None:
    global RUN
    if not ours(schema) or RUN is not None:
        return
    config = schema.config
    base_url = (config.base_url or "").rstrip("/")
    if not base_url:
        return  # nothing to test: schemathesis says so itself
    try:
        target = probe(base_url, TIMEOUT)
    except TargetError as exc:
        raise SystemExit(f"schemathesis_hooks: {exc}") from None
    spec = Spec(schema.raw_schema)
    allow_writes = os.environ.get(ALLOW_WRITES, "").strip().lower() in TRUE_WORDS
    policy = WritePolicy.for_target(spec, target.kind, allow_writes, base_url)
    headers = config.headers or {}
    token = next((v.partition(" ")[2] for k, v in headers.items()
                  if k.lower() == "authorization"), "")
    RUN = Run(target, policy, spec, token)
    RUN.stack.enter_context(local_constants_off())  # same seed, same requests
    RUN.stack.enter_context(registered(make_check(spec)))
    user_agent = {} if any(k.lower() == "user-agent" for k in headers) else {
        "User-Agent": USER_AGENT}
    config.update(headers={**target.headers, **user_agent})  # merged into the run's own
    if RUN.mock:
        RUN.reset()
        return
    # Read by the CLI when it builds the run's operation filter, right after this hook.
    operations = config.operations.operations
    for op_id, op in spec.operations.items():
        if not policy.may_route(op.method, op.path):
            operations.append(OperationConfig.from_dict(
                {"include-operation-id": op_id, "enabled": False}))
        elif op.method not in SAFE_METHODS:  # writes as the contract says, never malformed
            operations.append(OperationConfig.from_dict(
                {"include-operation-id": op_id, "generation": {"mode": "positive"}}))
    coverage = config.phases.coverage
    coverage.unexpected_methods = {m for m in UNEXPECTED_METHODS if m.upper() in SAFE_METHODS}
    RUN.guard = RUN.stack.enter_context(Guard(policy).installed())


def refusal(run: Run, case: Any) -> str | None:
    """Why this generated case must not be sent, or None."""
    method = (case.method or case.operation.method).upper()
    if run.mock:
        stateful = case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL
        if stateful and _bulk_without_ids(run, case):
            return "the stateful phase keeps the session's records for its links"
        return None
    body = None if case.body is None or _not_set(case.body) else json.dumps(case.body)
    return run.policy.refusal(method, run.target.base_url + case.formatted_path, body)


def _bulk_without_ids(run: Run, case: Any) -> bool:
    bulk = run.spec.operations[BULK_UPDATE].path
    if case.operation.path != bulk or case.operation.method.upper() not in ("PATCH", "DELETE"):
        return False
    return not lists_ids(None if _not_set(case.body) else json.dumps(case.body))


def _not_set(value: Any) -> bool:
    return type(value).__name__ == "NotSet"


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """The coverage, fuzzing and stateful phases' cases."""
    run = active(case.operation.schema)
    return run is None or refusal(run, case) is None


@schemathesis.hook
def before_add_examples(context: Any, examples: list[Any]) -> None:
    """The examples phase's cases, which ``filter_case`` does not see."""
    run = active(examples[0].operation.schema) if examples else None
    if run is not None:
        examples[:] = [case for case in examples if refusal(run, case) is None]


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """The stateful phase's list requests (its links' only source), positive ones: the
    first page, unfiltered, so that the page the links read from has records. The other
    phases test the filters and pages."""
    run = active(case.operation.schema)
    meta = case.meta
    if (run is not None and run.mock and meta is not None
            and meta.phase.name == TestPhase.STATEFUL
            and meta.generation.mode == GenerationMode.POSITIVE
            and case.operation.path == run.spec.operations[LIST].path
            and case.operation.method.upper() == "GET" and isinstance(case.query, dict)):
        case.query = {k: v for k, v in case.query.items()
                      if not k.startswith("filters[") and k != "page"}
    return case


class MockSessionHandler(EventHandler[Any]):
    """Resets the run's mock session before each phase that sends data (the engine tells
    the phase has started before it sends anything), and says at the end what the run was."""

    def __init__(self, *args: Any, **params: Any) -> None:
        pass

    def handle_event(self, ctx: Any, event: events.EngineEvent) -> None:
        run = RUN
        if (run is not None and run.mock and isinstance(event, events.PhaseStarted)
                and event.phase.name in DATA_PHASES and event.phase.is_enabled):
            run.reset()

    def shutdown(self, ctx: Any) -> None:
        run = RUN
        if run is None:
            return
        if run.mock:
            said = (f"the mock; session {run.target.session}, reset {run.resets} times "
                    "(the mock's other sessions untouched)")
        else:
            writes = "reads, bulk PATCH with ids, single DELETE" if run.policy.allow_writes \
                else f"reads only ({ALLOW_WRITES}=1 adds bulk PATCH with ids, single DELETE)"
            held = run.guard.refused if run.guard is not None else []
            said = f"a real deployment; sent {writes}; {len(held)} request(s) held back"
            for refused in held[:10]:
                said += f"\n  held back: {refused.method} {refused.url}: {refused.reason}"
        print(f"\nmockserver hooks: {run.target.base_url} is {said}", file=sys.stderr)


schemathesis.cli.handler()(MockSessionHandler)
