"""The token endpoint's pipeline: read the request as OAuth clients send it, check it
against ``auth-openapi.yaml``, grant, and check the answer; plus the JWKS and discovery.

Unlike the API's, its refusals are RFC 6749 error bodies (``{"error": ...}``): that is what
an OAuth client library reads. The documented JSON request and the form-encoded one of RFC
6749 are both read; anything else is ``invalid_request``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers

from ..core.access import Personas
from ..core.clock import Clock
from ..core.errors import BadRequest
from ..core.http import HttpRequest, HttpResponse
from ..core.responses import JSON_TYPE, dump
from ..core.spec import Operation, Spec
from ..identity.grant import OAuthError, client_of, grant
from ..identity.tokens import Tokens
from ..validation.request_body import parse_json_body
from ..validation.validator import Validator

FORM_TYPE = "application/x-www-form-urlencoded"


class TokenPipeline:
    def __init__(
        self,
        spec: Spec,
        tokens: Tokens,
        personas: Personas,
        clock: Clock,
        validator: Validator,
        response_validator: Validator | None,
    ) -> None:
        self.spec = spec
        self.tokens = tokens
        self.personas = personas
        self.clock = clock
        self.validator = validator
        self.response_validator = response_validator
        self.handlers = {"requestToken": self.request_token, "getKeys": self.keys,
                         "getOpenIdConfiguration": self.discovery}

    def handle(self, op: Operation, request: HttpRequest) -> HttpResponse:
        try:
            status, body, headers = self.handlers[op.operation_id](request)
        except OAuthError as exc:
            status, body, headers = exc.status, exc.body(), exc.headers(_not_a_script(request))
        response = HttpResponse(status, dump(body), Headers(headers), JSON_TYPE, body)
        if self.response_validator is not None:
            self.response_validator.check_response(request, response)
        return response

    def request_token(self, request: HttpRequest) -> tuple[int, Any, dict[str, str]]:
        body, form = self.read(request)
        client = client_of(self.personas, request.headers.get("Authorization", ""), body)
        answer = grant(self.tokens, client, body, form, self.clock.timestamp())
        return 200, answer, {"Cache-Control": "no-store", "Pragma": "no-cache"}

    def read(self, request: HttpRequest) -> tuple[dict[str, Any], bool]:
        """The body as a dict, whether it was form-encoded; checked against the spec."""
        form = request.mimetype == FORM_TYPE
        if not form and request.mimetype != JSON_TYPE:
            raise OAuthError(400, "invalid_request", f"Send the request as {JSON_TYPE} "
                             f"(documented) or {FORM_TYPE}, not {request.mimetype or 'untyped'}.")
        try:
            body = _form(request) if form else parse_json_body(request)
            self.validator.check_request(request, body)
        except BadRequest as exc:
            details = "; ".join(f"{p.name or 'the body'}: {p.reason}" for p in exc.problems[:3])
            raise OAuthError(400, "invalid_request",
                             f"The token request is not valid: {details or exc.message}") from None
        if not isinstance(body, dict):
            raise OAuthError(400, "invalid_request", "The body must be a JSON object.")
        return body, form

    def keys(self, request: HttpRequest) -> tuple[int, Any, dict[str, str]]:
        return 200, self.tokens.key.jwks(), {"Cache-Control": "max-age=300"}

    def discovery(self, request: HttpRequest) -> tuple[int, Any, dict[str, str]]:
        base = request.host_url.rstrip("/")
        paths = {op.operation_id: op.path for op in self.spec.operations.values()}
        return 200, {
            "issuer": self.tokens.issuer,
            "token_endpoint": base + paths["requestToken"],
            "jwks_uri": base + paths["getKeys"],
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }, {}


def _not_a_script(request: HttpRequest) -> bool:
    """Whether the request is not a page's fetch: browsers mark those ``Sec-Fetch-Mode``
    ``cors``, ``same-origin`` or ``no-cors``, and open a login dialog on a Basic challenge."""
    return request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"


def _form(request: HttpRequest) -> dict[str, str]:
    """A form body, each field once (a field given twice is ``invalid_request``)."""
    try:
        text = (request.body or b"").decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(400, "invalid_request", "The form body cannot be read.") from None
    fields = dict(pairs)
    if len(fields) < len(pairs):
        raise OAuthError(400, "invalid_request", "A form field is given twice.")
    return fields
