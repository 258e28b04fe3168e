"""The mock's own endpoints under ``/__mock/``: routes from ``admin-openapi.yaml``.

Like the API's routes, these come from a spec, so no URL is written twice; the logic is in
the Flask-free ``control`` module. Files (recordings) are streamed by Werkzeug's
``send_file``, which answers ``Range`` requests with 206 and impossible ranges with 416.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request, send_file

from .control import AdminPipeline, FileReply
from .flask_glue import to_flask, to_http_request
from .spec import Operation


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
        if isinstance(outcome, FileReply):
            return send_file(outcome.path, mimetype=outcome.mimetype, conditional=True, max_age=0)
        return to_flask(outcome)

    return view
