"""The key the mock signs its tokens with, and the JWKS document that publishes its half.

A mock's key protects nothing: the shipped one is public on purpose, so that any client can
verify the tokens it is given. ``--signing-key`` replaces it. The key id is the RFC 7638
thumbprint of the public key, so the same key always has the same ``kid``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

ALGORITHM = "RS256"


class KeyProblem(ValueError):
    """The signing key cannot be used; the message says why."""


@dataclass(frozen=True)
class SigningKey:
    private: RSAPrivateKey
    kid: str

    @classmethod
    def from_pem(cls, pem: bytes, source: str) -> SigningKey:
        try:
            key = load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyProblem(f"{source}: not an unencrypted PEM private key ({exc})") from None
        if not isinstance(key, RSAPrivateKey) or key.key_size < 2048:
            raise KeyProblem(f"{source}: RS256 needs an RSA key of 2048 bits or more")
        return cls(key, thumbprint(key.public_key()))

    @property
    def public(self) -> RSAPublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, Any]:
        numbers = self.public.public_numbers()
        return {"kid": self.kid, "kty": "RSA", "alg": ALGORITHM, "use": "sig",
                "n": _b64(numbers.n), "e": _b64(numbers.e)}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk()]}


def thumbprint(public: RSAPublicKey) -> str:
    """RFC 7638: SHA-256 of the required members, in lexical order, without whitespace."""
    numbers = public.public_numbers()
    members = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":")).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
