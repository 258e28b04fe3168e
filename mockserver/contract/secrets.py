"""Secrets never reach the terminal, the CI log or the JUnit file: everything printed or
written by ``mockserver contract`` goes through one ``Masker`` that knows them all.

Every occurrence is masked, however short the secret: a one-letter token garbles the
output, which is the lesser harm.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"


class Masker:
    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._forms: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Remember a secret, as written and as it appears percent-encoded in URLs."""
        if secret:
            self._forms |= {secret, quote(secret, safe=""), quote(secret)}

    def __call__(self, text: str) -> str:
        for form in sorted(self._forms, key=len, reverse=True):  # longest first
            text = text.replace(form, MASK)
        return text
