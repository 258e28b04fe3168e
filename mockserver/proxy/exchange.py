"""One request and its answer as the proxy saw them: what inspection, reports and
recording read, with nothing of the WSGI server in it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers

from ..contract.collect import cut
from ..sandbox.journal import mask_authorization


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

    # Each is read by inspection, the filter check and the recorder: decoded once.
    @cached_property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)

    @cached_property
    def response_json(self) -> tuple[bool, Any]:
        """(True, the decoded body) or (False, None) when it is not JSON."""
        try:
            return True, json.loads(self.response_body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return False, None

    @cached_property
    def request_json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (ValueError, UnicodeDecodeError):
            return None

    @cached_property
    def response_excerpt(self) -> str:
        return excerpt(self.response_body)

    def example(self) -> dict[str, Any]:
        """The exchange as a report shows it: the token masked, bodies cut (the caller
        masks every secret it knows in the whole report as well)."""
        headers = {k: (mask_authorization(v) if k.lower() == "authorization" else v)
                   for k, v in self.headers.items()
                   if k.lower() in SHOWN_REQUEST_HEADERS}
        return {
            "request": f"{self.method} {self.target}",
            "request_headers": headers,
            "request_body": excerpt(self.body),
            "status": self.status,
            "response_content_type": self.response_headers.get("Content-Type", ""),
            "response_body": self.response_excerpt,
        }


SHOWN_REQUEST_HEADERS = frozenset({"authorization", "content-type", "accept", "prefer",
                                   "x-mycrm-expand-data", "user-agent"})


def excerpt(body: bytes) -> str:
    """A body's start, cut as the contract runner cuts its evidence."""
    return cut(body.decode("utf-8", errors="replace"))
