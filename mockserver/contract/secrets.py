"""Secrets never reach the terminal, the CI log or the JUnit file: everything printed or
written by ``mockserver contract`` goes through one ``Masker`` that knows them all.

Every occurrence is masked, however short the secret: a one-letter token garbles the
output, which is the lesser harm.

``limit``: a masker that learns secrets from traffic (the proxy learns every credential it
forwards) keeps only the most recent ones, so that no client can grow it without bound;
what the proxy stores is masked when it is stored, while its secret is still known.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"


class Masker:
    def __init__(self, secrets: Iterable[str | None] = (), limit: int | None = None) -> None:
        self.limit = limit
        self._secrets: OrderedDict[str, None] = OrderedDict()
        self._forms: list[str] | None = []  # longest first; None: to be sorted again
        self._lock = threading.Lock()  # the proxy's threads learn and mask at once
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Remember a secret, as written and as it appears percent-encoded in URLs."""
        if not secret:
            return
        with self._lock:
            if secret in self._secrets:
                self._secrets.move_to_end(secret)
                return
            self._secrets[secret] = None
            if self.limit is not None and len(self._secrets) > self.limit:
                self._secrets.popitem(last=False)
            self._forms = None

    def __call__(self, text: str) -> str:
        with self._lock:
            forms = self._forms
            if forms is None:
                every = {f for s in self._secrets for f in (s, quote(s, safe=""), quote(s))}
                forms = self._forms = sorted(every, key=len, reverse=True)  # longest first
        for form in forms:
            text = text.replace(form, MASK)
        return text
