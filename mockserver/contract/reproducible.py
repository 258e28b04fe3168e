"""Same seed, same requests: generation that does not depend on what Python has imported.

Hypothesis mixes "local constants" into the values it draws: literals it finds in the
source of every module that is neither standard library nor installed in site-packages,
collected as those modules are imported. For the contract run that means our own package
(and any script around it): the generated requests changed with the set of our modules
loaded when a draw happened (1,625 requests with ``--seed 1`` from the command line, 1,668
from a process that had imported the web app too), with the install mode (a checkout's
``mockserver`` counts as local, the image's installed one does not), with every literal we
add, and, in a process where another thread imports while the run draws, with timing.

None of those literals says anything about the contract. The run draws from the schema,
the seed and Hypothesis's own fixed constants only: ``local_constants_off`` hands
Hypothesis an empty set of local constants for as long as it is active. The hook is a
private function of the pinned Hypothesis version; ``tests/contract/test_reproducible.py``
fails if it moves, and compares the requests of runs made with different modules loaded.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from hypothesis.internal.conjecture import providers

_lock = threading.Lock()
_active = 0
_original: Any = None


def _no_local_constants() -> Any:
    return providers.Constants()


@contextlib.contextmanager
def local_constants_off() -> Iterator[None]:
    """Draw without local constants inside the block (nested and concurrent uses count)."""
    global _active, _original
    with _lock:
        if _active == 0:
            _original = providers._get_local_constants
            providers._get_local_constants = _no_local_constants
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                providers._get_local_constants = _original
                _original = None


def hook_in_place() -> bool:
    """Whether the pinned Hypothesis still has the function this module replaces."""
    return callable(getattr(providers, "_get_local_constants", None)) and hasattr(
        providers, "Constants")
