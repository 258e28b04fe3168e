"""The mock's own endpoints under ``/__mock/``: routes from ``admin-openapi.yaml``.

Like the API's routes, these come from a spec, so no URL is written twice; the logic is in
the Flask-free ``pipeline.admin`` and ``sandbox.admin_operations``. Files (recordings) are
streamed by Werkzeug's ``send_file``, which answers ``Range`` requests with 206 and
impossible ranges with 416.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request, send_file
from werkzeug.exceptions import HTTPException

from ..core.errors import ApiError
from ..core.spec import Operation
from ..pipeline.admin import AdminPipeline
from ..sandbox.admin_operations import FileReply
from ..sandbox.sessions import DEFAULT_SESSION, SESSION_HEADER, session_name
from .flask_glue import note_request, to_flask, to_http_request


def init_app(app: Flask, pipeline: AdminPipeline) -> None:
    for template, methods in pipeline.context.admin_spec.paths().items():
        rule = template.replace("{", "<").replace("}", ">")
        app.add_url_rule(
            rule, endpoint=f"admin:{template}", view_func=_make_view(pipeline, methods),
            methods=list(methods),
        )


def _make_view(pipeline: AdminPipeline, methods: dict[str, Operation]) -> Any:
    def view(**path_params: str) -> Response:
        op = methods.get(request.method) or methods["GET"]  # HEAD is served as GET
        outcome = pipeline.handle(op, to_http_request(op, path_params))
        try:
            if isinstance(outcome, FileReply):
                response = send_file(outcome.path, mimetype=outcome.mimetype, conditional=True,
                                     max_age=0)
            else:
                response = to_flask(outcome)
        except HTTPException as exc:  # 416 for a range outside the file
            _note(op, exc.code)
            raise
        _note(op, response.status_code)
        return response

    return view


def _note(op: Operation, status: int | None) -> None:
    """Admin requests reach the log too (who reset the sandbox, and when)."""
    try:
        name = session_name(request.headers.get(SESSION_HEADER))
    except ApiError:
        name = DEFAULT_SESSION
    note_request(status, name, op.operation_id)
