"""The request pipeline: authenticate, authorise, read, validate, handle, check the reply.

This is the mock without a web server: it takes an ``HttpRequest`` for a known operation
and returns an ``HttpResponse``. Each step is a short method, so a reader can follow a
request from top to bottom, and every failure is an ``ApiError`` turned into the contract's
error body in one place.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers

from .access import Persona, Personas
from .clock import Clock
from .errors import ApiError, ContractViolation, Forbidden, Unauthorized, UnsupportedMediaType
from .http import HttpRequest, HttpResponse
from .operations import HANDLERS, Call, Reply
from .spec import Operation
from .store import Store
from .validation import CheckedRequest, Validator, parse_json_body

log = logging.getLogger("mockserver")

JSON_TYPE = "application/json"
SESSION_HEADER = "X-Mock-Session"


@dataclass
class Outcome:
    """What the pipeline did, for logs and the request journal."""

    response: HttpResponse
    persona: Persona | None = None
    error: ApiError | None = None


class Pipeline:
    def __init__(
        self,
        store: Store,
        personas: Personas,
        validator: Validator,
        response_validator: Validator | None,
        clock: Clock,
    ) -> None:
        self.store = store
        self.personas = personas
        self.validator = validator
        self.response_validator = response_validator
        self.clock = clock

    def handle(self, op: Operation, request: HttpRequest) -> Outcome:
        persona: Persona | None = None
        try:
            persona = self.authenticate(request)
            self.authorise(op, persona)
            checked = self.read(op, request)
            reply = self.run(op, request, persona, checked)
            response = self.respond(reply)
            self.check_response(request, response)
            return Outcome(response, persona)
        except ContractViolation as exc:
            log.error("contract violation in %s %s: %s", op.method, request.path, exc.message)
            return Outcome(error_response(exc), persona, exc)
        except ApiError as exc:
            return Outcome(error_response(exc), persona, exc)

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
        return self.validator.check_request(request, read_body(request))

    def run(
        self, op: Operation, request: HttpRequest, persona: Persona, checked: CheckedRequest
    ) -> Reply:
        session = self.store.session(request.headers.get(SESSION_HEADER))
        call = Call(
            operation_id=op.operation_id,
            persona=persona,
            session=session,
            store=self.store,
            clock=self.clock,
            base_url=request.host_url,
            query=checked.query,
            path=checked.path,
            headers=checked.headers,
            raw_query_names=list(request.query.keys()),
            body=checked.body,
        )
        with session.lock:
            return HANDLERS[op.operation_id](call)

    @staticmethod
    def respond(reply: Reply) -> HttpResponse:
        headers = Headers(reply.headers)
        if reply.body is None:
            return HttpResponse(reply.status, b"", headers, content_type="", json=None)
        return HttpResponse(reply.status, dump(reply.body), headers, JSON_TYPE, reply.body)

    def check_response(self, request: HttpRequest, response: HttpResponse) -> None:
        if self.response_validator is not None:
            self.response_validator.check_response(request, response)


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


def dump(body: Any) -> bytes:
    """Compact, key order as built: the same data gives the same bytes."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_response(error: ApiError) -> HttpResponse:
    headers = Headers(error.headers)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="mycrm"'
    body = error.body()
    return HttpResponse(error.status, dump(body), headers, JSON_TYPE, body)

