"""The token endpoint, the JWKS and the discovery document: routes from
``auth-openapi.yaml``, served at the upstream's paths so that only a base URL changes.

Token requests reach the log and the journal without their body: a form-encoded one may
carry the client secret.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from ..core.spec import Operation
from ..pipeline.token import TokenPipeline
from ..sandbox.sessions import DEFAULT_SESSION
from .flask_glue import answer_of, note_request, to_flask, to_http_request


def init_app(app: Flask, pipeline: TokenPipeline) -> None:
    for template, methods in pipeline.spec.paths().items():
        app.add_url_rule(template, endpoint=f"auth:{template}",
                         view_func=_make_view(pipeline, methods), methods=list(methods))


def _make_view(pipeline: TokenPipeline, methods: dict[str, Operation]) -> Any:
    def view() -> Response:
        op = methods.get(request.method) or methods["GET"]  # HEAD is served as GET
        response = pipeline.handle(op, to_http_request(op, {}))
        refused = response.status_code >= 400 and isinstance(response.json, dict)
        note_request(response.status_code, DEFAULT_SESSION, op.operation_id,
                     error=str(response.json.get("error_description")) if refused else None,
                     secret_body=True, response=answer_of(response))
        return to_flask(response)

    return view
