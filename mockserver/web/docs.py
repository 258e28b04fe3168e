"""``/docs``: Swagger UI from the bundled assets, offline, pointed at the running mock.

``/openapi.yaml`` (and ``/__mock/openapi.yaml``) are served with the running mock as their
first server, so "Try it out" calls this mock whatever its host and port. The page explains
the personas' tokens and starts authorised as the persona with the most rights. It carries
no inline script, so a strict Content-Security-Policy holds: ``static/docs.js`` starts the
UI from ``data-`` attributes.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from flask import Flask, Response, redirect, request

from ..core.access import Persona, Personas
from ..core.spec import Spec

YAML_TYPE = "application/yaml"
APIS = {  # ?api=<key> -> (title, spec URL, security scheme to pre-authorise)
    "main": ("Call trackings API", "/openapi.yaml", "bearerAuth"),
    "admin": ("Mock admin API", "/__mock/openapi.yaml", ""),
    "auth": ("Token endpoint", "/__mock/auth-openapi.yaml", ""),
}


def init_app(app: Flask, spec: Spec, personas: Personas) -> None:
    page_headers = {"Content-Security-Policy": content_security_policy(spec),
                    "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}

    @app.get("/")
    def home() -> Response:
        return redirect("/docs", code=302)  # type: ignore[return-value]

    @app.get("/docs")
    def docs_page() -> Response:
        api = request.args.get("api", "main")
        if api not in APIS:
            api = "main"
        html = render_page(api, personas.all)
        return Response(html, content_type="text/html; charset=utf-8", headers=page_headers)

    @app.get("/openapi.yaml")
    def openapi_document() -> Response:
        return Response(spec.served_text(request.host_url), content_type=YAML_TYPE)


def content_security_policy(spec: Spec) -> str:
    """Scripts and styles from the mock only; requests to the mock and the spec's servers.

    Swagger UI sets inline ``style`` attributes, hence ``'unsafe-inline'`` for styles (not
    for scripts). Its "Try it out" may target any server of the spec.
    """
    origins = sorted({_origin(s["url"]) for s in spec.document.get("servers", [])} - {""})
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self' data:",
        "connect-src " + " ".join(["'self'", *origins]),
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def default_persona(personas: list[Persona]) -> Persona | None:
    """The persona "Try it out" starts with: the one holding the most rights."""
    return max(personas, key=lambda p: len(p.rights), default=None)


def render_page(api: str, personas: list[Persona]) -> str:
    title, spec_url, scheme = APIS[api]
    chosen = default_persona(personas) if scheme else None
    rows = "\n".join(
        f"<tr><td class=\"token\"><code>{escape(p.token)}</code></td><td>{escape(p.name)}</td>"
        f"<td>{p.user_id}</td><td>{escape(', '.join(sorted(p.rights)) or '-')}</td>"
        f"<td class=\"key\"><code>{escape(p.api_key) or '-'}</code></td>"
        f"<td class=\"secret\"><code>{escape(p.api_secret) or '-'}</code></td>"
        f"<td>{escape(p.description)}</td></tr>"
        for p in personas
    )
    others = ", ".join(f'the <a href="/docs?api={key}">{escape(APIS[key][0])}</a>'
                       for key in APIS if key != api)
    notes = {
        "main": f"The page starts authorised as <code>{escape(chosen.token)}</code>; to act as "
                "another persona, click <b>Authorize</b>, log out, and paste its token."
                if chosen else "",
        "admin": "If the server runs with <code>--admin-token</code>, click <b>Authorize</b> "
                 "and paste it; the personas' tokens do not open the admin API.",
        "auth": "To request a token, click <b>Authorize</b> and give a persona's API key and "
                "secret as the Basic username and password.",
    }
    sign_in = """<form id="sign-in" class="sign-in">
<p>Or sign in as the real API's clients do (the documented client-credentials request to
<code>POST /auth/oauth/v1/token</code>); the token it returns authorises "Try it out":</p>
<label>API key <input name="key" autocomplete="off"></label>
<label>API secret <input name="secret" type="password" autocomplete="off"></label>
<button type="submit">Get a token</button>
<output name="result" role="status"></output>
</form>"""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} - call tracking mock</title>
<link rel="icon" type="image/png" href="/static/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
<link rel="stylesheet" href="/static/docs.css">
</head>
<body>
<header class="mock-intro">
<h1>{escape(title)} <small>call tracking mock</small></h1>
<p>"Try it out" sends real requests to this mock (its data is fake and per session; send
<code>X-Mock-Session: &lt;name&gt;</code> for a private copy). Every call tracking request
carries <code>Authorization: Bearer &lt;token&gt;</code> with one of the personas' tokens:</p>
<table class="personas">
<thead><tr><th>token</th><th>persona</th><th>user</th><th>rights</th><th>API key</th>
<th>API secret</th><th>who</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<p>{notes[api]} See also {others}, the raw <a href="{spec_url}">{spec_url}</a>, and the
<a href="/__mock/ui">sandbox dashboard</a> (sessions, the request journal, faults, data).</p>
{sign_in if scheme else ""}
</header>
<div id="swagger-ui" data-spec-url="{spec_url}" data-scheme="{scheme}"
     data-token="{escape(chosen.token) if chosen else ''}"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""
