"""The last line of defence: the write policy, enforced on every request that leaves.

Schemathesis sends requests from many places, and a future version may add more; the
policy checks each one where they all pass (``outgoing.py``) for the duration of a run: a
refused request never reaches the network, and is recorded so the summary can say what was
held back and why.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests

from .outgoing import before_each_request
from .policy import WritePolicy


class RequestRefused(requests.exceptions.RequestException):
    """Raised instead of sending a request the write policy forbids."""


@dataclass(frozen=True)
class Refusal:
    method: str
    url: str
    reason: str
    body: str = ""


class Guard:
    def __init__(self, policy: WritePolicy) -> None:
        self.policy = policy
        self.refused: list[Refusal] = []
        self._lock = threading.Lock()

    def check(self, request: requests.PreparedRequest) -> None:
        method, url = request.method or "GET", request.url or ""
        body = request.body if isinstance(request.body, bytes | str) or request.body is None \
            else b"<streamed body>"
        reason = self.policy.refusal(method, url, body)
        if reason is not None:
            with self._lock:
                shown = body.decode("utf-8", "replace") if isinstance(body, bytes) else body or ""
                self.refused.append(Refusal(method, url, reason, shown[:200]))
            raise RequestRefused(f"not sent: {reason}", request=request)

    @contextmanager
    def installed(self) -> Iterator[Guard]:
        with before_each_request(self.check):
            yield self
