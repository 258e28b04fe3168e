"""``/__mock/ui``: the sandbox dashboard, a page for testers that acts only through the
admin API (no second way to change state).

The page is static: ``dashboard.html`` with ``static/dashboard.js`` and
``static/dashboard.css``, no CDN, no build step. It carries no inline script or style, so
its Content-Security-Policy allows requests to this mock only.
"""

from __future__ import annotations

from pathlib import Path

from werkzeug.datastructures import Headers

from ..core.http import HttpResponse

PAGE = Path(__file__).with_name("dashboard.html")
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])


def dashboard_page() -> HttpResponse:
    """The page as the ``getDashboard`` operation answers it, read once at start."""
    headers = Headers({
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
        "Referrer-Policy": "no-referrer",
    })
    return HttpResponse(200, PAGE.read_bytes(), headers, "text/html; charset=utf-8")
