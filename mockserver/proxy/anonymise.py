"""Personal data replaced deterministically: the same original always gives the same fake.

A fake is drawn from Faker seeded by a keyed hash of the original (and of what kind of
value it is), so a phone number seen in ten calls is one fake number in ten calls, and the
same traffic recorded twice gives the same files. Phone numbers keep their country code
and their format (spaces, dashes, length); only the other digits change. Nothing of the
original survives: names, emails and phone digits are all drawn anew.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable

from faker import Faker

KEY = b"mockserver proxy --record"  # fixed: recordings of the same traffic are identical
ATTEMPTS = 50  # draws before giving up on avoiding every original
COUNTRY_CODE = re.compile(r"^\+(\d{1,3})(?=\D)|^\+(\d{3})")


class Anonymiser:
    """``avoid``: values a fake must never be (the originals of the whole recording: a fake
    name drawn from the same list as the real ones could otherwise be someone's real one);
    a fake that is one is drawn again, with the next seed, the same way every time."""

    def __init__(self, avoid: Iterable[str] = ()) -> None:
        self._faker = Faker("en_US")
        self._lock = threading.Lock()  # one Faker, reseeded per value
        self.avoid = set(avoid)

    def _seed(self, kind: str, value: str, attempt: int) -> int:
        text = f"{kind}\0{value}\0{attempt}"
        return int.from_bytes(hashlib.blake2b(text.encode(), key=KEY, digest_size=8).digest(),
                              "big")

    def _draw(self, kind: str, value: str, make: Callable[[int], str]) -> str:
        for attempt in range(ATTEMPTS):
            fake = make(self._seed(kind, value, attempt))
            if fake not in self.avoid and fake != value:
                return fake
        return make(self._seed(kind, value, ATTEMPTS)) + "x"  # never an original: longer

    def _faked(self, seed: int, draw: Callable[[Faker], str]) -> str:
        with self._lock:
            self._faker.seed_instance(seed)
            return str(draw(self._faker))

    def first_name(self, value: str) -> str:
        return self._draw("first", value, lambda seed: self._faked(seed, lambda f: f.first_name()))

    def last_name(self, value: str) -> str:
        return self._draw("last", value, lambda seed: self._faked(seed, lambda f: f.last_name()))

    def email(self, value: str) -> str:
        """``layla.haddad@x.example`` -> ``{fake}.{fake}{n}@example.com``: plainly not a
        real address."""
        def make(seed: int) -> str:
            text = self._faked(seed, lambda f: f"{f.first_name()}.{f.last_name()} "
                                               f"{f.random_int(10, 99)}")
            name, number = text.rsplit(" ", 1)
            return f"{re.sub(r'[^a-z.]', '', name.lower())}{number}@example.com"

        return self._draw("email", value, make)

    def phone(self, value: str) -> str:
        """The country code and the format kept, every other digit drawn anew."""
        match = COUNTRY_CODE.match(value)
        kept = len(match.group(0)) if match else 0

        def make(seed: int) -> str:
            digits = []
            for position, char in enumerate(value):
                if position < kept or not char.isdigit():
                    digits.append(char)
                else:
                    seed = (seed * 6364136223846793005 + 1442695040888963407) % (1 << 64)
                    digits.append(str((seed >> 33) % 10))
            return "".join(digits)

        return self._draw("phone", value, make)
