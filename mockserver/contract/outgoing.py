"""One place to act on every request a run sends, whoever sends it.

Schemathesis sends requests from many places (generated cases, probes inside checks, the
stateful phase's links, redirects followed by ``requests``), each through sessions of its
own; all of them end in ``requests.adapters.HTTPAdapter.send``. Hooks installed here run
there, in the order they were installed, for as long as their ``with`` block lasts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests


@contextmanager
def before_each_request(step: Callable[[requests.PreparedRequest], None]) -> Iterator[None]:
    """Run ``step`` on each request just before it is sent; it may change it, or raise a
    ``requests`` exception so that it is never sent."""
    from requests.adapters import HTTPAdapter  # imported late: options need none of this

    original = HTTPAdapter.send

    def send(adapter: HTTPAdapter, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        step(request)
        return original(adapter, request, *args, **kwargs)

    HTTPAdapter.send = send  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        HTTPAdapter.send = original  # type: ignore[method-assign]
