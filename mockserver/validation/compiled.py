"""The fast validator: each operation's checks compiled once from the spec.

openapi-core rebuilds its schema machinery on every call, which costs milliseconds per
request and tens of milliseconds per response. Here every parameter becomes a cast (the same
Python call openapi-core makes) and a compiled jsonschema_rs validator, and every request and
response body a compiled validator of its media type's schema: microseconds.

The fast path is only trusted to *accept*. When it finds anything wrong, the reference
validator (openapi-core) looks at the same request or response and decides, so every error
message is openapi-core's and a stricter fast path can never turn a valid request away.
Formats are checked as openapi-core checks them (``formats``). No verdict is
cached. ``tests/validation/test_validation_differential.py`` proves on
thousands of generated cases that both give the same verdicts and, on acceptance, the same
parsed parameters.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jsonschema_rs

from ..core.errors import BadRequest, Problem
from ..core.http import HttpRequest, HttpResponse
from ..core.spec import Spec
from .formats import Rewrites, UnmirroredFormats, reference_formats, rewrite_formats
from .prechecks import Prechecks
from .reference import OpenApiCoreValidator
from .validator import INVALID_REQUEST, CheckedRequest

log = logging.getLogger("mockserver")

ABSENT: Any = object()
DEFAULT_STYLES = {"query": "form", "path": "simple", "header": "simple"}
BOOLEAN_TRUE = ("y", "yes", "t", "true", "on", "1")  # openapi_core.util
BOOLEAN_FALSE = ("n", "no", "f", "false", "off", "0")
# Formats openapi-core turns into objects after validation (unmarshalling.schemas.util);
# the fast path mirrors those it needs and leaves operations using the others to openapi-core.
CONVERTED_FORMATS = frozenset({"date", "date-time", "uuid", "byte"})


def cast_boolean(value: str) -> bool:
    """openapi-core's ``BooleanCaster``: a fixed set of words, any case."""
    word = value.lower()
    if word in BOOLEAN_TRUE:
        return True
    if word in BOOLEAN_FALSE:
        return False
    raise ValueError(f"invalid truth value {value!r}")


def unmarshal_date(value: str) -> Any:
    """openapi-core's ``format_date``: a ``datetime.date``."""
    return datetime.strptime(value, "%Y-%m-%d").date()


CASTS: dict[str, Callable[[str], Any]] = {
    "integer": int,  # openapi-core casts with int(): " 5", "+5" and "1_0" are integers
    "number": float,
    "boolean": cast_boolean,
    "string": str,
}
UNMARSHALLERS: dict[str, Callable[[Any], Any]] = {"date": unmarshal_date}


class Unsupported(Exception):
    """A construct the fast path does not mirror: its operation is left to openapi-core."""


class Rejected(Exception):
    """The fast path found a problem; ``problem`` words it when there is no reference."""

    def __init__(self, problem: Problem | None = None) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class ParameterCheck:
    """One parameter (or response header): where it is, how to cast, check and convert it."""

    name: str
    location: str  # query, header or path
    required: bool
    default: Any
    type_name: str
    cast: Callable[[str], Any]
    validator: jsonschema_rs.Validator
    unmarshal: Callable[[Any], Any] | None

    def read(self, source: Any, enforce: bool) -> Any:
        """The typed value, ``ABSENT`` if not sent; raises ``Rejected``.

        ``source`` is the query's MultiDict, the Headers or the path's dict.
        """
        if self.name not in source:
            if self.default is not ABSENT:
                return self.default
            if self.required:
                raise Rejected(Problem(self.location, self.name, "is required"))
            return ABSENT
        raw = source[self.name]  # the first of repeated values, as openapi-core reads it
        try:
            value = self.cast(raw)
        except (ValueError, TypeError):
            reason = f"{raw!r} is not a valid {self.type_name}"
            raise Rejected(Problem(self.location, self.name, reason)) from None
        if enforce:
            if self.location == "query" and raw == "":
                raise Rejected()  # openapi-core refuses empty query values
            if not self.validator.is_valid(value):
                raise Rejected()
        return value if self.unmarshal is None else self._convert(value, enforce)

    def _convert(self, value: Any, enforce: bool) -> Any:
        try:
            return self.unmarshal(value)  # type: ignore[misc]
        except ValueError:
            if enforce:
                raise Rejected() from None
            return value  # unchecked mode: leave what the client sent


@dataclass(frozen=True)
class ContentCheck:
    """The media types of a body and the compiled validator of each one's schema."""

    media_types: dict[str, jsonschema_rs.Validator | None]

    def validator_for(self, content_type: str) -> jsonschema_rs.Validator | None:
        """The media type's validator, matched as openapi-core matches it; else ``Rejected``.

        Parameters (``charset=...``) do not change how openapi-core reads JSON; one without
        '=' makes it raise, so that is left to it (the pipeline refuses those first).
        """
        mime, *params = content_type.split(";")
        if any(p.count("=") != 1 for p in params):
            raise Rejected()
        for key in (content_type, mime.lower().rstrip()):
            if key in self.media_types:
                return self.media_types[key]
        raise Rejected()

    @staticmethod
    def check(validator: jsonschema_rs.Validator | None, value: Any) -> None:
        if validator is None:
            return
        try:
            valid = validator.is_valid(value)
        except Exception:  # a value jsonschema_rs cannot read: let openapi-core judge it
            valid = False
        if not valid:
            raise Rejected()


@dataclass(frozen=True)
class RequestCheck:
    parameters: tuple[ParameterCheck, ...]
    body_required: bool = False
    body: ContentCheck | None = None

    def run(self, request: HttpRequest, body: Any, enforce: bool) -> CheckedRequest:
        checked = CheckedRequest(body=body)
        sources = {"query": request.query, "header": request.headers, "path": request.path_params}
        targets = {"query": checked.query, "header": checked.headers, "path": checked.path}
        for param in self.parameters:
            value = param.read(sources[param.location], enforce)
            if value is not ABSENT:
                targets[param.location][param.name] = value
        if enforce and self.body is not None:
            self._check_body(request, body)
        return checked

    def _check_body(self, request: HttpRequest, body: Any) -> None:
        assert self.body is not None
        if not request.body:
            if self.body_required:
                raise Rejected()
            return
        self.body.check(self.body.validator_for(request.content_type), body)


@dataclass(frozen=True)
class ResponseDefinition:
    content: ContentCheck | None
    headers: tuple[ParameterCheck, ...]


@dataclass(frozen=True)
class ResponseCheck:
    by_status: dict[str, ResponseDefinition]

    def run(self, response: HttpResponse) -> None:
        status = str(response.status_code)
        definition = (
            self.by_status.get(status)
            or self.by_status.get(f"{status[0]}XX")
            or self.by_status.get("default")
        )
        if definition is None:
            raise Rejected()
        if definition.content is not None:
            if not response.data:
                raise Rejected()
            validator = definition.content.validator_for(response.content_type)
            definition.content.check(validator, _response_value(response))
        for header in definition.headers:
            header.read(response.headers, enforce=True)


def _response_value(response: HttpResponse) -> Any:
    if response.json is not None:
        return response.json
    try:
        return json.loads(response.data or b"")
    except ValueError:
        raise Rejected() from None


@dataclass
class Compiler:
    """Turns the spec's operations into checks; raises ``Unsupported`` for what it can't."""

    spec: Spec
    formats: dict[str, Callable[[str], bool]] = field(init=False)
    rewrites: Rewrites = field(init=False)

    def __post_init__(self) -> None:
        try:
            self.formats, self.rewrites = reference_formats(self.spec.document)
        except UnmirroredFormats as exc:
            raise Unsupported(str(exc)) from exc

    def validator(self, schema: dict[str, Any]) -> jsonschema_rs.Validator:
        full = rewrite_formats(self.spec.standalone_schema(schema), self.rewrites)
        return jsonschema_rs.Draft202012Validator(
            full, validate_formats=True, formats=self.formats
        )

    def request(self, method: str, template: str) -> RequestCheck:
        op = self.spec.document["paths"][template][method]
        params = [self.parameter(p, p["in"], p["name"])
                  for p in self.spec.parameters(method, template)]  # fmt: skip
        if "requestBody" not in op:
            return RequestCheck(tuple(params))
        body = self.spec.resolve(op["requestBody"])
        return RequestCheck(tuple(params), bool(body.get("required")), self.content(body))

    def response(self, method: str, template: str) -> ResponseCheck:
        op = self.spec.document["paths"][template][method]
        by_status = {}
        for status, raw in op["responses"].items():
            definition = self.spec.resolve(raw)
            headers = tuple(
                self.parameter(self.spec.resolve(header), "header", name)
                for name, header in definition.get("headers", {}).items()
                if name.lower() != "content-type"
            )
            content = self.content(definition) if "content" in definition else None
            by_status[str(status)] = ResponseDefinition(content, headers)
        return ResponseCheck(by_status)

    def content(self, holder: dict[str, Any]) -> ContentCheck:
        media_types = {}
        for mime, media in holder["content"].items():
            if "*" in mime or "encoding" in media:
                raise Unsupported(f"media type {mime}")
            schema = media.get("schema")
            media_types[mime] = None if schema is None else self.validator(schema)
        return ContentCheck(media_types)

    def parameter(self, param: dict[str, Any], location: str, name: str) -> ParameterCheck:
        if location not in DEFAULT_STYLES or "content" in param or "allowEmptyValue" in param:
            raise Unsupported(f"parameter {name} in {location}")
        if param.get("style", DEFAULT_STYLES[location]) != DEFAULT_STYLES[location]:
            raise Unsupported(f"style of parameter {name}")
        schema = param["schema"]
        resolved = self.spec.resolve(schema)
        type_name = resolved.get("type")
        if not isinstance(type_name, str) or type_name not in CASTS:
            raise Unsupported(f"type {type_name!r} of parameter {name}")
        if any(k in resolved for k in ("allOf", "anyOf", "oneOf", "$ref")):
            raise Unsupported(f"composed schema of parameter {name}")
        fmt = resolved.get("format")
        unmarshal = UNMARSHALLERS.get(fmt) if isinstance(fmt, str) else None
        if fmt in CONVERTED_FORMATS and unmarshal is None:
            raise Unsupported(f"format {fmt} of parameter {name}")
        default = resolved.get("default", ABSENT)
        if default is not ABSENT and unmarshal is not None:
            default = unmarshal(default)
        return ParameterCheck(
            name=name,
            location=location,
            required=bool(param.get("required")),
            default=default,
            type_name=type_name,
            cast=CASTS[type_name],
            validator=self.validator(schema),
            unmarshal=unmarshal,
        )


class CompiledValidator:
    """The default validator: compiled checks first, openapi-core whenever they object."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.requests: dict[tuple[str, str], RequestCheck | None] = {}
        self.responses: dict[tuple[str, str], ResponseCheck | None] = {}
        try:
            compiler = Compiler(spec)
        except Unsupported as exc:
            log.warning("every operation is validated by openapi-core alone: %s", exc)
        else:
            for op in spec.operations.values():
                key = (op.method.lower(), op.path)
                self.requests[key] = _compile(compiler.request, *key)
                self.responses[key] = _compile(compiler.response, *key)
        self.prechecks = Prechecks(spec)
        self._reference: OpenApiCoreValidator | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> threading.Thread:
        """Build openapi-core now, in the background: built on first need instead, the
        first invalid request of a process would wait for it (0.4 to 1.2 s here)."""
        thread = threading.Thread(target=lambda: self.reference, name="warm-up", daemon=True)
        thread.start()
        return thread

    @property
    def reference(self) -> OpenApiCoreValidator:
        """openapi-core, built on first need (or by ``warm_up``): a process that only
        checks valid requests, a test's or a benchmark's, never pays for it."""
        with self._lock:
            if self._reference is None:
                self._reference = OpenApiCoreValidator(self.spec)
            return self._reference

    def fast_request_verdict(self, request: HttpRequest, body: Any) -> CheckedRequest | None:
        """What the compiled checks alone say: the typed request, or None for "rejected"."""
        check = self.requests.get((request.method, request.path_pattern))
        if check is None:
            raise Unsupported(f"{request.method} {request.path_pattern}")
        try:
            self.prechecks.check_sizes(request, body)
        except BadRequest:
            return None
        if self.prechecks.integer_problems(request):
            return None
        try:
            return check.run(request, body, enforce=True)
        except Rejected:
            return None

    def fast_response_verdict(self, request: HttpRequest, response: HttpResponse) -> bool:
        check = self.responses.get((request.method, request.path_pattern))
        if check is None:
            raise Unsupported(f"{request.method} {request.path_pattern}")
        try:
            check.run(response)
        except Rejected:
            return False
        return True

    def check_request(self, request: HttpRequest, body: Any) -> CheckedRequest:
        try:
            checked = self.fast_request_verdict(request, body)
        except Unsupported:
            return self.reference.check_request(request, body)
        if checked is not None:
            return checked
        checked = self.reference.check_objected(request, body)  # raises BadRequest, worded
        _disagreement("request", request)
        return checked

    def check_response(self, request: HttpRequest, response: HttpResponse) -> None:
        try:
            if self.fast_response_verdict(request, response):
                return
            objected = True
        except Unsupported:
            objected = False
        self.reference.check_response(request, response)  # raises ContractViolation
        if objected:
            _disagreement("response", request)


class UncheckedValidator:
    """``--no-validation`` (benchmarks only): parameters are typed, nothing is checked.

    Handlers need typed parameters, so they are still cast and defaulted; a value that
    cannot be cast gets a 400. Schemas, bodies and responses are not checked at all.
    """

    def __init__(self, spec: Spec) -> None:
        compiler = Compiler(spec)
        self.requests = {
            (op.method.lower(), op.path): compiler.request(op.method.lower(), op.path)
            for op in spec.operations.values()
        }

    def check_request(self, request: HttpRequest, body: Any) -> CheckedRequest:
        check = self.requests[(request.method, request.path_pattern)]
        try:
            return check.run(request, body, enforce=False)
        except Rejected as exc:
            raise BadRequest(INVALID_REQUEST, [p for p in [exc.problem] if p]) from None

    def check_response(self, request: HttpRequest, response: HttpResponse) -> None:
        return None


def _compile(build: Callable[[str, str], Any], method: str, template: str) -> Any:
    try:
        return build(method, template)
    except Unsupported as exc:
        log.info("%s %s is validated by openapi-core alone: %s", method.upper(), template, exc)
        return None


def _disagreement(what: str, request: HttpRequest) -> None:
    """The fast path objected but openapi-core did not: a gap in the fast path, worth a log."""
    log.warning(
        "the fast validator rejected a %s that openapi-core accepts (%s %s); "
        "openapi-core's verdict stands",
        what,
        request.method.upper(),
        request.path,
    )
