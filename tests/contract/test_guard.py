"""The guard: a refused request never reaches the network, whatever sent it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import requests
from contract_servers import serving
from requests.adapters import HTTPAdapter

from mockserver.contract.guard import Guard, Refusal, RequestRefused
from mockserver.contract.policy import TargetKind, WritePolicy
from mockserver.core.spec import Spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = Spec.load(ROOT / "openapi.yaml")


class Recorder:
    """Answers 200, except PATCH /calltrackings which it redirects (307) to a trailing slash."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        self.received.append((method, path))
        if method == "PATCH" and path == "/calltrackings":
            start_response("307 Temporary Redirect", [("Location", "/calltrackings/")])
            return [b""]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]


@pytest.fixture
def server() -> Iterable[tuple[str, Recorder]]:
    recorder = Recorder()
    with serving(recorder) as url:
        yield url, recorder


def guard(url: str, allow_writes: bool) -> Guard:
    return Guard(WritePolicy.for_target(SPEC, TargetKind.REAL, allow_writes, url))


def test_refused_requests_never_reach_the_server(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    with guard(url, allow_writes=False).installed() as active:
        assert requests.get(url + "/calltrackings", timeout=5).status_code == 200
        with pytest.raises(RequestRefused, match="DELETE is never sent"):
            requests.delete(url + "/calltrackings", timeout=5)
    assert recorder.received == [("GET", "/calltrackings")]
    assert active.refused == [Refusal("DELETE", f"{url}/calltrackings", "DELETE is never sent to "
                                      "a real deployment without --allow-writes")]


def test_a_redirect_is_checked_again(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    body = json.dumps({"calltrackings": [1], "operations": []})
    with guard(url, allow_writes=True).installed() as active, \
            pytest.raises(RequestRefused, match="PATCH /calltrackings/ is not a write"):
        requests.patch(url + "/calltrackings", data=body, timeout=5)
    assert recorder.received == [("PATCH", "/calltrackings")]  # the redirected one was held
    assert [r.url for r in active.refused] == [url + "/calltrackings/"]


def test_the_guard_is_gone_after_the_run(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    original = HTTPAdapter.send
    with guard(url, allow_writes=False).installed():
        assert HTTPAdapter.send is not original
    assert HTTPAdapter.send is original
    assert requests.delete(url + "/calltrackings/1", timeout=5).status_code == 200
    assert recorder.received == [("DELETE", "/calltrackings/1")]
