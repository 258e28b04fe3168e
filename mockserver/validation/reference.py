"""The reference validator: openapi-core, its errors worded as ``Problem`` s.

``OpenApiCoreValidator`` is what "valid" means here (openapi-core, the ``OpenAPI`` object
built once); the fast validator must give the same verdicts, and asks this one to word
every rejection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..core.errors import BadRequest, ContractViolation, Problem, shorten
from ..core.http import HttpRequest, HttpResponse
from ..core.spec import Spec
from .prechecks import Prechecks
from .validator import INVALID_REQUEST, CheckedRequest

if TYPE_CHECKING:
    from openapi_core.validation.request import exceptions as req_errors


class OpenApiCoreValidator:
    """The reference validator: openapi-core, with its errors turned into ``Problem`` s.

    Parameters are unmarshalled (cast to their types, defaults applied); the body is only
    validated, since the pipeline decodes it itself: openapi-core's unmarshalling walks
    every value of a body and costs seconds on a large one (a state import), validation
    milliseconds, with the same verdict.

    openapi-core is imported here rather than at the top: importing it costs a quarter of a
    second, and the fast validator only needs it for the first rejected request.
    """

    def __init__(self, spec: Spec) -> None:
        from openapi_core import OpenAPI
        from openapi_core.unmarshalling.request.unmarshallers import (
            V31RequestParametersUnmarshaller,
        )
        from openapi_core.validation.request.validators import V31RequestBodyValidator

        self.spec = spec
        self.prechecks = Prechecks(spec)
        self.openapi = OpenAPI.from_dict(validation_document(spec.document))
        self._parameters = V31RequestParametersUnmarshaller(self.openapi.spec)
        self._sent_parameters = _sent_parameters_unmarshaller()(self.openapi.spec)
        self._body = V31RequestBodyValidator(self.openapi.spec)

    def check_request(self, request: HttpRequest, body: Any) -> CheckedRequest:
        return self._check(request, body, self._parameters)

    def check_objected(self, request: HttpRequest, body: Any) -> CheckedRequest:
        """``check_request`` for a request the fast path objected to: the same verdict and
        words, sooner. An absent optional parameter cannot be wrong (it takes its default,
        or nothing), so openapi-core first judges only the parameters sent and the required
        ones (each is judged on its own): a rejection, the usual outcome, costs a fraction
        of judging all twenty. If it finds nothing wrong, the whole check runs, for the
        defaults. ``tests/validation/test_validation_differential.py`` holds both equal."""
        self._check(request, body, self._sent_parameters)
        return self.check_request(request, body)

    def _check(self, request: HttpRequest, body: Any, parameters: Any) -> CheckedRequest:
        from openapi_core.validation.request import exceptions as req_errors

        self.prechecks.check_sizes(request, body)
        result = parameters.unmarshal(request)
        body_errors = [  # an absent optional body is fine, as in openapi-core's own checks
            e for e in self._body.iter_errors(request)
            if not isinstance(e, req_errors.MissingRequestBody)
        ]
        errors = [*result.errors, *body_errors]
        problems = [*self.prechecks.integer_problems(request),
                    *(p for error in errors for p in _problems(error))]
        if problems:
            raise BadRequest(INVALID_REQUEST, problems)
        params = result.parameters
        return CheckedRequest(
            query=dict(params.query),
            path=dict(params.path),
            headers=dict(params.header),
            body=body,
        )

    def check_response(self, request: HttpRequest, response: HttpResponse) -> None:
        errors = list(self.openapi.iter_response_errors(request, response))
        if errors:
            raise ContractViolation(
                "The mock produced a response that breaks the contract: "
                + "; ".join(_describe(e) for e in errors)
            )


def _sent_parameters_unmarshaller() -> type:
    """openapi-core's parameter unmarshaller, judging only the parameters a request sends
    and the required ones: its own loop (``BaseRequestValidator._get_parameters`` of the
    pinned 0.23.1) with the absent optional ones left out. An object-typed parameter is
    always judged: whether it is present is not a matter of its name.

    It is asked for problems only (``check_objected`` runs the whole check for values), and
    openapi-core judges each parameter from its own values alone, so each verdict is kept
    (up to ``VERDICTS_KEPT``): a client sending the same value again, as generated tests
    do for every parameter but the one they vary, gets openapi-core's words at once."""
    from openapi_core.datatypes import Parameters
    from openapi_core.unmarshalling.request.unmarshallers import (
        V31RequestParametersUnmarshaller,
    )
    from openapi_core.validation.request.exceptions import (
        MissingParameter,
        ParametersError,
        ParameterValidationError,
    )

    class SentParametersUnmarshaller(V31RequestParametersUnmarshaller):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._declared: dict[Any, list[tuple[Any, str, str, bool]]] = {}
            self._verdicts: dict[Any, Exception | None] = {}

        def _get_parameters(self, parameters: Any, operation: Any, path: Any) -> Any:
            errors: list[Any] = []
            for param, name, location, always in self._parameters_of(operation, path):
                sent = parameters[location]
                if not always and name not in sent:
                    continue  # absent and optional: nothing can be wrong with it
                key = (tuple(operation.parts), location, name, _values(sent, name))
                if key in self._verdicts:
                    error = self._verdicts[key]
                else:
                    error = self._judge(parameters, param)
                    if len(self._verdicts) >= VERDICTS_KEPT:
                        self._verdicts.clear()
                    self._verdicts[key] = error
                if error is not None:
                    errors.append(error)
            if errors:
                raise ParametersError(errors=errors, parameters=Parameters())
            return Parameters()

        def _judge(self, parameters: Any, param: Any) -> Exception | None:
            try:
                self._get_parameter(parameters, param)
            except MissingParameter:
                return None
            except ParameterValidationError as exc:
                _forget_frames(exc)  # kept: it must not keep this request's frames alive
                return exc
            return None

        def _parameters_of(self, operation: Any, path: Any) -> list[tuple[Any, str, str, bool]]:
            """The operation's parameters as openapi-core walks them (its own first, a
            path's left out where the operation names it again), each with whether it is
            judged even when absent; read from the spec once per operation (reading it is
            most of what openapi-core's check costs)."""
            key = tuple(operation.parts)
            found = self._declared.get(key)
            if found is None:
                found, seen = [], set()
                for param in (*operation.get("parameters", ()), *path.get("parameters", ())):
                    name, location = (param / "name").read_str(), (param / "in").read_str()
                    if (name, location) not in seen:
                        seen.add((name, location))
                        found.append((param, name, location, _always_judged(param)))
                self._declared[key] = found
            return found

    return SentParametersUnmarshaller


VERDICTS_KEPT = 4096


def _values(sent: Any, name: str) -> tuple[str, ...]:
    """What a request sent under ``name`` (query and headers may repeat a name)."""
    if hasattr(sent, "getlist"):
        return tuple(sent.getlist(name))
    return (sent[name],) if name in sent else ()


def _forget_frames(error: BaseException | None) -> None:
    while error is not None:
        error.__traceback__ = None
        error = error.__cause__ or error.__context__


def _always_judged(param: Any) -> bool:
    """A required parameter, or one whose presence is not a matter of its name (content,
    an object): judged even when the request does not name it."""
    if (param / "required").read_bool(default=False) or "content" in param:
        return True
    schema = param / "schema"
    return "type" not in schema or (schema / "type").read_value() == "object"


def validation_document(document: dict[str, Any]) -> dict[str, Any]:
    """What openapi-core checks requests against: any host, no security requirements, no
    discriminators.

    The pipelines check tokens themselves, before validation; and openapi-core skips the
    parameters and the body of a request that fails its own security check, which would
    let an unauthenticated-looking request through unvalidated.

    A discriminator is a hint for generators and validators: the ``oneOf`` beside it still
    decides what is valid, and its branches are exclusive anyway (each has its own
    ``const``). openapi-schema-validator replaces the ``oneOf`` by the mapped schema, and
    with it raises ``TypeError`` on a value that is a list or an object and checks a value
    naming any schema of the document against that schema (``path: "Lead"``); without the
    hint it checks the ``oneOf`` as written.
    """
    document = without_discriminators(any_host(document))
    document["security"] = []
    paths = {}
    for template, item in document.get("paths", {}).items():
        paths[template] = {
            key: ({**op, "security": []} if isinstance(op, dict) and "responses" in op else op)
            for key, op in item.items()
        }
    document["paths"] = paths
    return document


def without_discriminators(node: Any) -> Any:
    """A copy of ``node`` with every ``discriminator`` of its schemas left out."""
    if isinstance(node, dict):
        return {k: without_discriminators(v) for k, v in node.items() if k != "discriminator"}
    if isinstance(node, list):
        return [without_discriminators(v) for v in node]
    return node


def any_host(document: dict[str, Any]) -> dict[str, Any]:
    """The document with one relative server, so requests match on their path alone.

    The spec lists the upstream and ``localhost:8080``; the mock may be reached on any host
    and port (tests pick free ports), and that must not make a request invalid.
    """
    return {**document, "servers": [{"url": "/"}]}


def _problems(error: Exception) -> Iterable[Problem]:
    """One ``Problem`` per schema error, located where the client can fix it."""
    from openapi_core.validation.request import exceptions as req_errors
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

    if isinstance(error, req_errors.SecurityValidationError):
        return []  # bearer tokens are checked by the pipeline, before validation
    if isinstance(error, req_errors.ParameterValidationError):
        return [Problem(error.location, error.name, r) for r in _reasons(error)]
    if isinstance(error, req_errors.MissingRequestBodyError):
        return [Problem("body", "", "a JSON request body is required")]
    if isinstance(error, req_errors.RequestBodyValidationError):
        cause = error.__cause__
        if isinstance(cause, InvalidSchemaValue):
            found = [
                Problem("body", where, shorten(reason))
                for e in cause.schema_errors
                for where, reason in _closest(e)
            ]
            return list(dict.fromkeys(found))  # the same problem found twice is told once
        return [Problem("body", "", "the body could not be read as JSON")]
    return [Problem("body", "", type(error).__name__)]


def _closest(error: Any) -> list[tuple[str, str]]:
    """(field path, reason) of a schema error; for a failed ``oneOf``, of the branch meant.

    "not valid under any of the given schemas" names no field. The branch the client meant
    is the one whose ``const`` fields (``op``, ``path``) match, or else the one with the
    fewest errors; when every branch fails on one field, on a ``const`` of its own (an
    unknown operation path, or one that is not even a string), the reason lists the
    allowed values.
    """
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [(_where(error), _message(error))]
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0], []).append(sub)
    matching = [b for b in branches.values() if all(e.validator != "const" for e in b)]
    fewest = min(len(b) for b in branches.values())
    closest = [b for b in branches.values() if len(b) == fewest]
    for candidates in (matching, closest):
        if len(candidates) == 1:
            return [p for sub in candidates[0] for p in _closest(sub)]
    told = {tuple((_where(e), _message(e)) for e in b) for b in closest}
    if len(told) == 1:  # every branch fails the same way: that is the problem
        return list(told.pop())
    wheres = {_where(e) for b in branches.values() for e in b}
    consts = [[e for e in b if e.validator == "const"] for b in branches.values()]
    if len(wheres) == 1 and all(len(c) == 1 for c in consts):  # one field, a const each
        allowed = [c[0].validator_value for c in consts]
        shown = _json_term(consts[0][0].instance)
        return [(wheres.pop(), f"{shown} is not one of {allowed!r}")]
    firsts = [b[0] for b in closest]
    if fewest == 1 and len({_where(e) for e in firsts}) == 1 \
            and len({e.message for e in firsts}) == 1:
        return [(_where(firsts[0]), _message(firsts[0]))]
    return [(_where(error), _message(error))]


def _message(error: Any) -> str:
    """jsonschema's message, with the value as JSON names it: ``null is not of type
    'integer'``, not Python's ``None``."""
    if error.validator == "not" and error.validator_value == {}:
        return "is not a field of this body (a misspelt name?)"  # NoOtherKey, in the spec
    message: str = error.message
    python = repr(error.instance)
    if message.startswith(python) and _json_term(error.instance) != python:
        return _json_term(error.instance) + message[len(python):]
    return message


def _json_term(value: Any) -> str:
    """A value as JSON writes it (``null``, ``[true, 1]``); strings and numbers as Python
    repr shows them, as jsonschema's messages do (``'x'``)."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return repr(value)


def _where(error: Any) -> str:
    return "/".join(str(p) for p in error.absolute_path)


def _reasons(error: req_errors.ParameterValidationError) -> list[str]:
    from openapi_core.casting.schemas.exceptions import CastError
    from openapi_core.deserializing.styles.exceptions import EmptyQueryParameterValue
    from openapi_core.validation.request import exceptions as req_errors
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

    cause = error.__cause__
    if isinstance(error, req_errors.MissingParameterError):
        return ["is required"]
    if isinstance(cause, InvalidSchemaValue):
        return [shorten(e.message) for e in _schema_errors(cause)] or ["is not valid"]
    if isinstance(cause, CastError):
        return [f"{shorten(repr(cause.value))} is not a valid {cause.type}"]
    if isinstance(cause, EmptyQueryParameterValue):
        return ["must not be empty"]
    return [shorten(str(cause)) if cause is not None else "is not valid"]




def _describe(error: Exception) -> str:
    from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

    cause = error.__cause__
    if isinstance(cause, InvalidSchemaValue):
        details = ", ".join(
            f"{'/'.join(str(p) for p in e.path) or '(root)'}: {e.message}"
            for e in _schema_errors(cause)
        )
        return f"{type(error).__name__}: {details}"
    return f"{type(error).__name__}: {error}"


def _schema_errors(cause: Any) -> list[Any]:
    """openapi-core types these as plain exceptions; they are jsonschema ValidationErrors."""
    return list(cause.schema_errors)
