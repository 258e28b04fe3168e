"""The request pipeline: the session, faults and overrides, then authenticate, authorise,
read/validate, handle, and check the reply; a read answered and checked before is reused
(``response_cache``) until anything that shapes it changes.

This is the mock without a web server: it takes an ``HttpRequest`` for a known operation
and returns an ``HttpResponse``. Each step is a short method, so a reader can follow a
request from top to bottom, and every failure is an ``ApiError`` turned into the contract's
error body in one place. The admin pipeline (``admin``) shares the reading and responding
steps (``validation.request_body``, ``core.responses``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import partial

from ..core.access import Persona
from ..core.clock import Clock
from ..core.errors import (
    ApiError,
    ContractViolation,
    Forbidden,
    ServiceUnavailable,
)
from ..core.http import HttpRequest, HttpResponse
from ..core.indexed_dataset import IndexedDataset
from ..core.operations import HANDLERS, Call, Reply
from ..core.query_index import Change
from ..core.responses import error_response, respond
from ..core.spec import Operation, Spec
from ..identity.callers import Callers
from ..sandbox.delays import Delays
from ..sandbox.faults import FaultDecision
from ..sandbox.prefer import HEADER as PREFER_HEADER
from ..sandbox.prefer import Preference, forced_error, forced_reply, parse_prefer
from ..sandbox.sessions import SESSION_HEADER, Session, Store, WriteConflict, session_name
from ..validation.request_body import read_request
from ..validation.validator import CheckedRequest, Validator
from .response_cache import ResponseCache

log = logging.getLogger("mockserver")
WRITE_ATTEMPTS = 50  # runs of one write while other replicas keep changing its session first


@dataclass(slots=True)
class Admitted:
    """A request past the steps that never wait, with what they found: ``complete`` goes
    on from here (``checked``: the rights and the kept answers were looked at already)."""

    op: Operation
    request: HttpRequest
    persona: Persona
    name: str
    session: Session
    prefer: Preference
    fault: FaultDecision
    shape: Hashable | None = None
    checked: bool = False


@dataclass
class Outcome:
    """What the pipeline did, for logs and the request journal."""

    response: HttpResponse | None  # None: drop the connection without answering
    persona: Persona | None = None
    error: ApiError | None = None
    session: str | None = None
    fault: str | None = None


class Pipeline:
    def __init__(
        self,
        store: Store,
        callers: Callers,
        validator: Validator,
        response_validator: Validator | None,
        clock: Clock,
        spec: Spec,
        max_delay_ms: int = 30_000,
        delays: Delays | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.cache = cache  # None: every read is answered afresh
        self._declared_headers = {
            op.operation_id: tuple(p["name"] for p in spec.parameters(op.method, op.path)
                                   if p.get("in") == "header")
            for op in spec.operations.values()
        }
        self.store = store
        self.callers = callers
        self.validator = validator
        self.response_validator = response_validator
        self.clock = clock
        self.spec = spec
        self.max_delay_ms = max_delay_ms
        self.delays = delays or Delays()

    def handle(self, op: Operation, request: HttpRequest) -> Outcome:
        """The steps in order: ``admit``, then ``complete`` what it left."""
        step = self.admit(op, request)
        assert step is not None  # admit gives up only when told it may not wait
        return step if isinstance(step, Outcome) else self.complete(step)

    def admit(self, op: Operation, request: HttpRequest, *, may_wait: bool = True,
              ) -> Outcome | Admitted | None:
        """The steps that never wait: authenticate, session, faults, rights, a kept answer.

        The token comes first: no session is created, and no delay or fault applied, for a
        request that does not say who it is. What is left (a delay, the operation itself)
        comes back as ``Admitted`` for ``complete``. With ``may_wait=False`` (the server's
        event loop) it gives up, before anything has happened, when the session is not at
        hand (being made, or held by other replicas), and answers None.
        """
        persona: Persona | None = None
        name: str | None = None
        fault: FaultDecision | None = None
        try:
            name = session_name(request.headers.get(SESSION_HEADER))
            persona = self.authenticate(request)
            if may_wait:
                session = self.store.session(name)
            else:
                found = self.store.at_hand(name)
                if found is None:
                    return None
                session = found
            prefer = parse_prefer(request.headers.getlist(PREFER_HEADER), self.max_delay_ms)
            fault = session.faults.decide(op.operation_id)
            admitted = Admitted(op, request, persona, name, session, prefer, fault)
            if fault.delay_ms + prefer.delay_ms > 0:
                return admitted  # the checks below come after the wait
            return self.after_wait(admitted)
        except ApiError as exc:
            return self._failed(op, request, exc, persona, name, fault)

    def complete(self, admitted: Admitted) -> Outcome:
        """The steps that may wait: the delay, then reading, validating and running the
        operation, and checking (and keeping) its answer."""
        a = admitted
        op, request, persona, session, prefer = a.op, a.request, a.persona, a.session, a.prefer
        try:
            if not a.checked:
                self.delay(a.fault.delay_ms + prefer.delay_ms)
                after = self.after_wait(a)
                if isinstance(after, Outcome):
                    return after
            checked = self.read(op, request)
            if prefer.code is not None:
                reply = forced_reply(
                    self.spec, op, prefer.code,
                    lambda: self.run_on_copy(op, request, persona, checked, session),
                )
            else:
                reply, version = self.run(op, request, persona, checked, session)
            response = respond(reply)
            self.check_response(request, response)
            if a.shape is not None and response.status_code == 200:
                assert self.cache is not None
                self.cache.put((version, a.shape), response)
            return self._outcome(response, persona, None, a.name, a.fault)
        except ApiError as exc:
            return self._failed(op, request, exc, persona, a.name, a.fault)

    def after_wait(self, admitted: Admitted) -> Outcome | Admitted:
        """Drop, an injected error, the rights, then the answer kept for this very read."""
        a = admitted
        try:
            if a.fault.drop:
                return Outcome(None, a.persona, session=a.name, fault="drop")
            if a.fault.error_status is not None:
                raise forced_error(a.fault.error_status, injected_message(a.fault.error_status))
            self.authorise(a.op, a.persona)
            a.shape = self.cache_shape(a.op, a.request, a.persona, a.session, a.prefer.code)
            a.checked = True
            if a.shape is not None:
                assert self.cache is not None
                cached = self.cache.get((a.session.version, a.shape))
                if cached is not None:
                    return self._outcome(cached, a.persona, None, a.name, a.fault)
            return a
        except ApiError as exc:
            return self._failed(a.op, a.request, exc, a.persona, a.name, a.fault)

    def _failed(self, op: Operation, request: HttpRequest, exc: ApiError,
                persona: Persona | None, name: str | None, fault: FaultDecision | None,
                ) -> Outcome:
        if isinstance(exc, ContractViolation):
            log.error("contract violation in %s %s: %s", op.method, request.path, exc.message)
        return self._outcome(error_response(exc), persona, exc, name, fault)

    def delay(self, milliseconds: int) -> None:
        """Hold the request, if it has a free place among the delayed ones (else 503)."""
        if milliseconds > 0 and not self.delays.wait(milliseconds):
            raise ServiceUnavailable(
                f"The mock already holds {self.delays.limit} delayed requests, as many as it "
                "allows at once (faults and 'Prefer: delay='); try again shortly.",
                headers={"Retry-After": "1"},
            )

    @staticmethod
    def _outcome(
        response: HttpResponse,
        persona: Persona | None,
        error: ApiError | None,
        session: str | None,
        fault: FaultDecision | None,
    ) -> Outcome:
        return Outcome(response, persona, error, session, fault.fired if fault else None)

    def authenticate(self, request: HttpRequest) -> Persona:
        return self.callers.caller(request.headers.get("Authorization", ""))

    @staticmethod
    def authorise(op: Operation, persona: Persona) -> None:
        missing = [r for r in op.rights if not persona.has(r.split(".", 1)[1])]
        if missing:
            raise Forbidden(f"This operation needs the right {', '.join(missing)}.")

    def read(self, op: Operation, request: HttpRequest) -> CheckedRequest:
        return read_request(self.validator, request)

    def run(
        self,
        op: Operation,
        request: HttpRequest,
        persona: Persona,
        checked: CheckedRequest,
        session: Session,
    ) -> tuple[Reply, int]:
        """The operation on the session's data, under its lock; the store hears of changes.

        With replicas (``shared_store``), a change another replica made first is undone and
        the operation runs again on the newer data, up to ``WRITE_ATTEMPTS`` times.

        Also the version of the data the reply was made from (what a cached copy is kept
        under): read under the same lock, so no change can come between the two.
        """
        notify = partial(self.store.notify, session)
        call = self.call(op, request, persona, checked, session, notify, session.link_name)
        for attempt in range(WRITE_ATTEMPTS):
            with session.lock:
                if attempt:  # another replica wrote first: catch up, then run it again
                    self.store.refresh(session)
                version = session.version
                try:
                    return HANDLERS[op.operation_id](call), version
                except WriteConflict:
                    continue
        raise WriteConflict()

    # --- the response cache: see response_cache.py for why each part of the key is there

    def cache_shape(
        self, op: Operation, request: HttpRequest, persona: Persona, session: Session,
        prefer_code: int | None,
    ) -> Hashable | None:
        """Everything but the data's version that shapes this read's answer, computed once
        per request; None when the answer may not be cached."""
        if (self.cache is None or op.method != "GET" or request.body or prefer_code is not None
                or request.query_string is None):
            return None
        headers = tuple(tuple(request.headers.getlist(h))
                        for h in self._declared_headers[op.operation_id])
        return (session.uid, op.operation_id, request.path, request.query_string, persona,
                request.host_url, headers)

    def run_on_copy(
        self,
        op: Operation,
        request: HttpRequest,
        persona: Persona,
        checked: CheckedRequest,
        session: Session,
    ) -> Reply:
        """The operation's real answer, computed on a throwaway copy of the session's data.

        The copy shares the session's records until it writes (then it takes its own table),
        so it runs under the session's lock; its changes are told to nobody.
        """
        with session.lock:
            scratch = IndexedDataset.sharing(session)
            call = self.call(op, request, persona, checked, scratch, scratch.changed,
                             session.link_name)
            return HANDLERS[op.operation_id](call)

    def call(
        self,
        op: Operation,
        request: HttpRequest,
        persona: Persona,
        checked: CheckedRequest,
        records: IndexedDataset,
        notify: Callable[[Change], None],
        link_session: str | None,
    ) -> Call:
        return Call(
            operation_id=op.operation_id,
            persona=persona,
            records=records,
            notify=notify,
            clock=self.clock,
            base_url=request.host_url,
            link_session=link_session,
            query=checked.query,
            path=checked.path,
            headers=checked.headers,
            raw_query_names=list(request.query.keys()),
            repeated_query_names=[k for k, v in request.query.lists() if len(v) > 1],
            body=checked.body,
        )

    def check_response(self, request: HttpRequest, response: HttpResponse) -> None:
        if self.response_validator is not None:
            self.response_validator.check_response(request, response)


def injected_message(status: int) -> str:
    return f"Injected fault: this operation is set to fail with {status} (see /__mock/faults)."
