"""The deployment under test: reachable? the mock or a real one? do our credentials work?

The target is the mock only when ``GET /__mock/health`` answers JSON with ``"mock": true``;
any other answer (404, HTML, a login page) means a real deployment, treated with care.
Against the mock the run uses a private session (``X-Mock-Session``), so resetting it
before each phase never disturbs other users of a shared mock.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from .credentials import USER_AGENT
from .policy import TargetKind

# The mock's admin API as any client speaks it (admin-openapi.yaml): the runner reaches the
# mock over HTTP only, so it works against a mock of another version as well.
HEALTH_PATH = "/__mock/health"
RESET_PATH = "/__mock/reset"
SESSION_HEADER = "X-Mock-Session"


class TargetError(Exception):
    """The run cannot be made against this target; the message says why."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Target:
    base_url: str
    kind: TargetKind
    timeout: float
    session: str | None = None  # the private mock session of this run
    health: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        """Headers every request of the run carries (the mock session, if any)."""
        return {SESSION_HEADER: self.session} if self.session else {}

    def reset(self, token: str) -> None:
        """Give the run's mock session fresh data (the baseline) before a phase. The run's
        token goes along: the mock makes a session only for a request that says who sent it."""
        headers = {"Authorization": f"Bearer {token}", **self.headers}
        reply = send("POST", self.base_url + RESET_PATH, headers, self.timeout, b"{}")
        if reply.status != 200:
            raise TargetError(f"the mock refused to reset (HTTP {reply.status})")

    def check_credentials(self, list_path: str, auth: dict[str, str]) -> None:
        """One list request with the run's credentials: refused ones would test nothing."""
        url = f"{self.base_url}{list_path}?per_page=1"
        reply = send("GET", url, {**auth, **self.headers}, self.timeout)
        if reply.status == 401:
            raise TargetError(f"the target refused the credentials: GET {list_path} answered "
                              "401 (unknown or expired token)")
        if reply.status == 403:
            raise TargetError(f"the credentials lack the right to list call trackings: GET "
                              f"{list_path} answered 403")


def probe(base_url: str, timeout: float) -> Target:
    """Reach the target and tell the mock from a real deployment."""
    reply = send("GET", base_url + HEALTH_PATH, {}, timeout)
    health = reply.json() if reply.status == 200 else None
    if isinstance(health, dict) and health.get("mock") is True:
        session = f"contract-{uuid.uuid4().hex[:12]}"
        return Target(base_url, TargetKind.MOCK, timeout, session, health)
    return Target(base_url, TargetKind.REAL, timeout)


def send(method: str, url: str, headers: dict[str, str], timeout: float,
         data: bytes | None = None) -> Reply:
    request = urllib.request.Request(url, data=data, headers={"User-Agent": USER_AGENT,
                                                              **headers}, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.read())
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TargetError(f"cannot reach {url}: {reason}") from None
