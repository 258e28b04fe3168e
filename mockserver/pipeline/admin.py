"""The admin pipeline: the admin token, the session, the checked request, one handler.

Requests to ``/__mock/`` are checked against ``admin-openapi.yaml`` with the same validator
and reading steps as the main API, so errors have the same shape; the handlers are the
Flask-free ``sandbox.admin_operations``.
"""

from __future__ import annotations

import hmac

from ..core.errors import ApiError, Unauthorized
from ..core.http import HttpRequest, HttpResponse
from ..core.responses import JSON_TYPE, error_response, respond
from ..core.spec import Operation
from ..sandbox.admin_operations import HANDLERS, AdminCall, AdminContext, FileReply
from ..sandbox.sessions import SESSION_HEADER, session_name
from ..validation.request_body import read_request
from ..validation.validator import Validator

ADMIN_TOKEN_HEADER = "X-Mock-Admin-Token"


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
            name = session_name(request.headers.get(SESSION_HEADER))
            checked = read_request(self.validator, request)
            if op.operation_id == "getRecording" and "session" in checked.query:
                name = session_name(checked.query["session"], "query", "session")
            call = AdminCall(
                self.context, self.context.store.session(name), request.host_url,
                checked.query, checked.path, checked.body,
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
