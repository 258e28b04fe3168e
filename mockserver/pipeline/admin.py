"""The admin pipeline: the admin token, the session, the checked request, one handler.

Requests to ``/__mock/`` are checked against ``admin-openapi.yaml`` with the same validator
and reading steps as the main API, so errors have the same shape; the handlers are the
Flask-free ``sandbox.admin_operations``.
"""

from __future__ import annotations

import hmac

from ..core.errors import (
    ApiError,
    Problem,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
)
from ..core.http import HttpRequest, HttpResponse
from ..core.responses import JSON_TYPE, error_response, respond
from ..core.spec import Operation
from ..sandbox.admin_operations import HANDLERS, AdminCall, AdminContext, FileReply
from ..sandbox.sessions import SESSION_HEADER, Session, session_name
from ..validation.request_body import read_request
from ..validation.validator import Validator

ADMIN_TOKEN_HEADER = "X-Mock-Admin-Token"
NEVER_CREATE = frozenset({"getHealth", "getAdminSpec", "getAuthSpec", "getRecording",
                          "getDashboard"})


class AdminPipeline:
    def __init__(
        self,
        context: AdminContext,
        validator: Validator,
        response_validator: Validator | None,
        admin_token: str | None = None,
    ) -> None:
        self.context = context
        self.admin_token = admin_token
        self.validator = validator
        self.response_validator = response_validator

    def handle(self, op: Operation, request: HttpRequest) -> HttpResponse | FileReply:
        try:
            self.check_token(op, request)
            self.refuse_cross_site(op, request)
            name = session_name(request.headers.get(SESSION_HEADER))
            named_in = ("header", SESSION_HEADER)
            checked = read_request(self.validator, request)
            if op.operation_id == "getRecording" and "session" in checked.query:
                name = session_name(checked.query["session"], "query", "session")
                named_in = ("query", "session")
            call = AdminCall(
                self.context, name, self.session(op, name, request), request.host_url,
                checked.query, checked.path, checked.body, named_in,
            )
            result = HANDLERS[op.operation_id](call)
            if isinstance(result, FileReply):
                return result
            response = result if isinstance(result, HttpResponse) else respond(result)
            if self.response_validator is not None and response.content_type == JSON_TYPE:
                self.response_validator.check_response(request, response)
            return response
        except ApiError as exc:
            return error_response(exc)

    def session(self, op: Operation, name: str, request: HttpRequest) -> Session | None:
        """The caller's session. Health, the spec and recordings never make one, and
        neither does a request without credentials (a persona's token, or the admin token):
        an unknown named session is then left for the handler to report (404)."""
        store = self.context.store
        if op.operation_id == "getHealth":
            try:
                return store.find(name)
            except ServiceUnavailable:
                return None  # the state cannot be read: health says so, with a 503
        found = store.find(name)
        if found is not None or op.operation_id in NEVER_CREATE:
            return found
        return store.session(name) if self.credentialed(request) else None

    def credentialed(self, request: HttpRequest) -> bool:
        """The admin token (when one is set, every guarded request has it), or a caller's
        token (a persona's, or one the token endpoint issued)."""
        if self.admin_token is not None:
            return True
        return self.context.callers.is_caller(request.headers.get("Authorization", ""))

    @staticmethod
    def refuse_cross_site(op: Operation, request: HttpRequest) -> None:
        """A POST without a body must still say it is JSON, or carry credentials: what a
        page on another site can send without asking first (a CORS preflight) changes
        nothing. (A body that is not JSON is refused when it is read.)"""
        if op.method != "POST" or request.body or request.mimetype == JSON_TYPE:
            return
        if request.headers.get(ADMIN_TOKEN_HEADER) or request.headers.get("Authorization"):
            return
        raise UnsupportedMediaType(
            f"Admin writes take Content-Type: {JSON_TYPE}, even without a body (or an "
            f"Authorization or {ADMIN_TOKEN_HEADER} header): a page on another site cannot "
            "send any of them without a CORS preflight.",
            [Problem("header", "Content-Type", f"must be {JSON_TYPE}")],
        )

    def check_token(self, op: Operation, request: HttpRequest) -> None:
        """With ``--admin-token``, refuse requests without it (the spec marks the exempt)."""
        expected = self.admin_token
        if expected is None or op.definition.get("security") == []:
            return
        scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
        offered = [request.headers.get(ADMIN_TOKEN_HEADER, "")]
        if scheme.lower() == "bearer":
            offered.append(bearer.strip())
        if not any(hmac.compare_digest(o.encode(), expected.encode()) for o in offered if o):
            raise Unauthorized(
                f"This endpoint needs the admin token: send '{ADMIN_TOKEN_HEADER}: <token>' "
                "or 'Authorization: Bearer <token>'."
            )
