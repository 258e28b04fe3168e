"""The request pipeline: the session, faults and overrides, then authenticate, authorise,
read/validate, handle, and check the reply.

This is the mock without a web server: it takes an ``HttpRequest`` for a known operation
and returns an ``HttpResponse``. Each step is a short method, so a reader can follow a
request from top to bottom, and every failure is an ``ApiError`` turned into the contract's
error body in one place. The admin API reuses the reading and responding steps.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers

from .access import Persona, Personas
from .clock import Clock
from .errors import ApiError, ContractViolation, Forbidden, Unauthorized, UnsupportedMediaType
from .faults import FaultDecision
from .http import HttpRequest, HttpResponse
from .operations import HANDLERS, Call, Reply
from .prefer import HEADER as PREFER_HEADER
from .prefer import forced_error, forced_reply, parse_prefer
from .query_index import Change
from .spec import Operation, Spec
from .store import SESSION_HEADER, Session, Store, session_name
from .validation import CheckedRequest, Validator, parse_json_body

log = logging.getLogger("mockserver")

JSON_TYPE = "application/json"
__all__ = ["SESSION_HEADER", "Outcome", "Pipeline", "dump", "error_response"]


@dataclass
class Outcome:
    """What the pipeline did, for logs and the request journal."""

    response: HttpResponse | None  # None: drop the connection without answering
    persona: Persona | None = None
    error: ApiError | None = None
    session: str | None = None
    fault: str | None = None


class Delays:
    """Waits that a shutting-down server can cut short, so that draining never stalls."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    def wait(self, milliseconds: int) -> None:
        if milliseconds > 0:
            self._cancelled.wait(milliseconds / 1000)

    def cancel(self) -> None:
        self._cancelled.set()


class _Discard:
    """A store stand-in for dry runs: changes to a throwaway copy are not reported."""

    @staticmethod
    def notify(session: Session, change: Change | None = None) -> None:
        session.changed(change)  # the copy's own index stays exact; nobody else is told


class Pipeline:
    def __init__(
        self,
        store: Store,
        personas: Personas,
        validator: Validator,
        response_validator: Validator | None,
        clock: Clock,
        spec: Spec,
        max_delay_ms: int = 30_000,
        delays: Delays | None = None,
    ) -> None:
        self.store = store
        self.personas = personas
        self.validator = validator
        self.response_validator = response_validator
        self.clock = clock
        self.spec = spec
        self.max_delay_ms = max_delay_ms
        self.delays = delays or Delays()

    def handle(self, op: Operation, request: HttpRequest) -> Outcome:
        persona: Persona | None = None
        session: Session | None = None
        fault: FaultDecision | None = None
        try:
            session = self.store.session(session_name(request.headers.get(SESSION_HEADER)))
            prefer = parse_prefer(request.headers.getlist(PREFER_HEADER), self.max_delay_ms)
            fault = session.faults.decide(op.operation_id)
            self.delays.wait(fault.delay_ms + prefer.delay_ms)
            if fault.drop:
                return Outcome(None, session=session.name, fault="drop")
            if fault.error_status is not None:
                raise forced_error(fault.error_status, injected_message(fault.error_status))
            persona = self.authenticate(request)
            self.authorise(op, persona)
            checked = self.read(op, request)
            if prefer.code is not None:
                reply = forced_reply(
                    self.spec, op, prefer.code,
                    lambda: self.run_on_copy(op, request, persona, checked, session),
                )
            else:
                reply = self.run(op, request, persona, checked, session)
            response = respond(reply)
            self.check_response(request, response)
            return self._outcome(response, persona, None, session, fault)
        except ContractViolation as exc:
            log.error("contract violation in %s %s: %s", op.method, request.path, exc.message)
            return self._outcome(error_response(exc), persona, exc, session, fault)
        except ApiError as exc:
            return self._outcome(error_response(exc), persona, exc, session, fault)

    @staticmethod
    def _outcome(
        response: HttpResponse,
        persona: Persona | None,
        error: ApiError | None,
        session: Session | None,
        fault: FaultDecision | None,
    ) -> Outcome:
        return Outcome(
            response,
            persona,
            error,
            session.name if session is not None else None,
            fault.fired if fault is not None else None,
        )

    def authenticate(self, request: HttpRequest) -> Persona:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise Unauthorized("The Authorization header is missing: send 'Bearer <token>'.")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
        persona = self.personas.by_token(token.strip())
        if persona is None:
            raise Unauthorized("The bearer token is unknown or expired.")
        return persona

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
        store: Any = None,
    ) -> Reply:
        call = Call(
            operation_id=op.operation_id,
            persona=persona,
            session=session,
            store=store or self.store,
            clock=self.clock,
            base_url=request.host_url,
            query=checked.query,
            path=checked.path,
            headers=checked.headers,
            raw_query_names=list(request.query.keys()),
            repeated_query_names=[k for k, v in request.query.lists() if len(v) > 1],
            body=checked.body,
        )
        with session.lock:
            return HANDLERS[op.operation_id](call)

    def run_on_copy(
        self,
        op: Operation,
        request: HttpRequest,
        persona: Persona,
        checked: CheckedRequest,
        session: Session,
    ) -> Reply:
        """The operation's real answer, computed on a throwaway copy of the session's data."""
        with session.lock:
            scratch = Session(session.name, session.data.copy(), seed=session.seed)
        return self.run(op, request, persona, checked, scratch, _Discard())

    def check_response(self, request: HttpRequest, response: HttpResponse) -> None:
        if self.response_validator is not None:
            self.response_validator.check_response(request, response)


def injected_message(status: int) -> str:
    return f"Injected fault: this operation is set to fail with {status} (see /__mock/faults)."


def read_request(validator: Validator, request: HttpRequest) -> CheckedRequest:
    """Refuse a non-JSON body, decode the JSON safely, then check it all against the spec."""
    return validator.check_request(request, read_body(request))


def read_body(request: HttpRequest) -> Any:
    """The decoded JSON body (None if empty), or the 4xx that stops it before validation."""
    if request.body and request.mimetype != JSON_TYPE:
        raise UnsupportedMediaType(
            f"The request body must be {JSON_TYPE}, not {request.mimetype or 'untyped'}."
        )
    if request.body and not well_formed_parameters(request.content_type):
        # openapi-core raises ValueError (a 500) on a parameter without '='
        raise UnsupportedMediaType(
            f"The Content-Type parameters are malformed: {request.content_type!r}; "
            "each must be name=value."
        )
    return parse_json_body(request)


def well_formed_parameters(content_type: str) -> bool:
    """Whether each ``;``-separated parameter of a media type is one ``name=value``."""
    return all(part.count("=") == 1 for part in content_type.split(";")[1:])


def respond(reply: Reply) -> HttpResponse:
    headers = Headers(reply.headers)
    if reply.body is None:
        return HttpResponse(reply.status, b"", headers, content_type="", json=None)
    return HttpResponse(reply.status, dump(reply.body), headers, JSON_TYPE, reply.body)


def dump(body: Any) -> bytes:
    """Compact, key order as built: the same data gives the same bytes."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_response(error: ApiError) -> HttpResponse:
    headers = Headers(error.headers)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="mycrm"'
    body = error.body()
    return HttpResponse(error.status, dump(body), headers, JSON_TYPE, body)

