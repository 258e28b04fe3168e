"""One request and its answer as the proxy saw them: what inspection, reports and
recording read, with nothing of the WSGI server in it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers

EXCERPT = 300  # characters of a body an example exchange shows


@dataclass(frozen=True)
class Exchange:
    method: str  # upper case
    path: str  # percent-decoded
    query: str  # as sent
    headers: Headers
    body: bytes
    status: int
    response_headers: Headers
    response_body: bytes  # decoded (no Content-Encoding left)

    @property
    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    @property
    def line(self) -> str:
        """``GET /calltrackings?page=2 -> 200``, as the contract runner words its evidence."""
        return f"{self.method} {self.target} -> {self.status}"

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def response_mimetype(self) -> str:
        return self.response_headers.get("Content-Type", "").split(";")[0].strip().lower()

    def response_json(self) -> tuple[bool, Any]:
        """(True, the decoded body) or (False, None) when it is not JSON."""
        try:
            return True, json.loads(self.response_body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return False, None

    def request_json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (ValueError, UnicodeDecodeError):
            return None

    def example(self) -> dict[str, Any]:
        """The exchange as a report shows it: the token masked, bodies cut (the caller
        masks every secret it knows in the whole report as well)."""
        headers = {k: (mask_credentials(v) if k.lower() == "authorization" else v)
                   for k, v in self.headers.items()
                   if k.lower() in SHOWN_REQUEST_HEADERS}
        return {
            "request": f"{self.method} {self.target}",
            "request_headers": headers,
            "request_body": excerpt(self.body),
            "status": self.status,
            "response_content_type": self.response_headers.get("Content-Type", ""),
            "response_body": excerpt(self.response_body),
        }


SHOWN_REQUEST_HEADERS = frozenset({"authorization", "content-type", "accept", "prefer",
                                   "x-mycrm-expand-data", "user-agent"})


def mask_credentials(value: str) -> str:
    """``Bearer eyJ...`` -> ``Bearer ***``; a value without a scheme is masked whole."""
    scheme, sep, secret = value.strip().partition(" ")
    return f"{scheme} ***" if sep and secret.strip() else "***"


def excerpt(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "..."
