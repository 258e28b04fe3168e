"""The tokens: their claims, their determinism, their verification against the served JWKS,
their expiry on the mock's clock, and every forgery refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

import jwt
import pytest
from conftest import PINNED_NOW, auth, make_app
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient

from mockserver.core.clock import Clock
from mockserver.identity.keys import SigningKey
from mockserver.identity.tokens import Grant, TokenError, TokenExpired, Tokens
from mockserver.settings import default_fixtures_dir

NOW = int(datetime.fromisoformat(PINNED_NOW).timestamp())  # 2025-01-15T09:30:00+04:00
KEY = SigningKey.from_pem((default_fixtures_dir() / "signing-key.pem").read_bytes(), "shipped")
TOKENS = Tokens(KEY)
AGENT = Grant("agent-key", 2, ("lead.read", "lead.update"))
CERTS = "/broker/realms/propertyfinder/protocol/openid-connect/certs"


@pytest.fixture(scope="module")
def client() -> FlaskClient:
    return make_app().test_client()


def test_the_claims_are_shaped_as_the_upstream_s() -> None:
    claims = TOKENS.claims(AGENT, NOW)
    jti, sub = claims.pop("jti"), claims.pop("sub")
    assert claims == {
        "exp": NOW + 1800, "iat": NOW,
        "iss": "https://auth.propertyfinder.com/broker/realms/propertyfinder",
        "aud": "api-integration", "typ": "Bearer", "azp": "api-integration",
        "scope": "api_integration",
        "realm_access": {"roles": ["default-roles-pfexpert", "offline_access", "lead.read",
                                   "lead.update"]},
        "client_id": "agent-key", "pf_broker_id": "1", "pf_user_id": 2,
        "email": "api_integration_agent-key@propertyfinder.com",
    }
    assert len(jti) == len(sub) == 36
    header = jwt.get_unverified_header(TOKENS.issue(AGENT, NOW))
    assert header == {"alg": "RS256", "kid": KEY.kid, "typ": "JWT"}


def test_the_same_grant_at_the_same_now_is_the_same_token() -> None:
    assert TOKENS.issue(AGENT, NOW) == TOKENS.issue(AGENT, NOW) != TOKENS.issue(AGENT, NOW + 1)


def test_a_token_verifies_against_the_served_jwks(client: FlaskClient) -> None:
    document = client.get(CERTS).get_json()
    (served,) = document["keys"]
    assert (served["kid"], served["kty"], served["alg"], served["use"]) == (
        KEY.kid, "RSA", "RS256", "sig")
    public = jwt.PyJWK(served).key
    token = TOKENS.issue(AGENT, NOW)
    claims = jwt.decode(token, public, algorithms=["RS256"], audience="api-integration",
                        options={"verify_exp": False})
    assert claims["pf_user_id"] == 2
    discovery = client.get("/broker/realms/propertyfinder/.well-known/openid-configuration")
    assert discovery.get_json()["jwks_uri"] == f"http://localhost{CERTS}"


def test_a_token_expires_on_the_mock_s_clock() -> None:
    token = TOKENS.issue(AGENT, NOW)
    assert TOKENS.verify(token, NOW + 1799)["exp"] == NOW + 1800
    with pytest.raises(TokenExpired) as expired:
        TOKENS.verify(token, NOW + 1800)
    assert str(expired.value) == ("expired at 2025-01-15T10:00:00+04:00: request a new one "
                                  "(the token endpoint's tokens live 30 minutes)")


def other_key() -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return SigningKey.from_pem(pem, "another")


def segment(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def hs256(claims: dict[str, object], secret: bytes) -> str:
    """The classic confusion: an HMAC keyed with the RSA public key (PyJWT refuses to make
    one, so it is made by hand)."""
    signed = f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': KEY.kid})}.{segment(claims)}"
    mac = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def forgeries() -> dict[str, tuple[str, str]]:
    claims = TOKENS.claims(AGENT, NOW)
    genuine = TOKENS.issue(AGENT, NOW)
    head, _, signature = genuine.split(".")
    another = other_key()
    public_pem = KEY.public.public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    elevated = {**claims, "realm_access": {"roles": ["lead.read.other", "lead.delete.other"]}}
    return {
        "another key, our kid": (
            jwt.encode(claims, another.private, "RS256", headers={"kid": KEY.kid}),
            "has a signature that does not verify"),
        "another key, its kid": (
            jwt.encode(claims, another.private, "RS256", headers={"kid": another.kid}),
            f"names a key this server does not sign with (kid {another.kid!r}; see the JWKS)"),
        "alg none": (
            f"{segment({'alg': 'none', 'typ': 'JWT', 'kid': KEY.kid})}.{segment(claims)}.",
            "is signed with 'none'; only RS256 is accepted"),
        "HS256 with the public key as secret": (
            hs256(claims, public_pem), "is signed with 'HS256'; only RS256 is accepted"),
        "payload tampered": (
            f"{head}.{segment(elevated)}.{signature}", "has a signature that does not verify"),
        "another audience, well signed": (
            jwt.encode({**claims, "aud": "x"}, KEY.private, "RS256", headers={"kid": KEY.kid}),
            "is not for this API (audience must be 'api-integration')"),
        "another issuer, well signed": (
            Tokens(KEY, "https://elsewhere.example/realms/x").issue(AGENT, NOW),
            "was not issued by https://auth.propertyfinder.com/broker/realms/propertyfinder"),
        "not a JWT": ("a.b.c", "is neither a known token nor a JWT"),
    }


@pytest.mark.parametrize("case", list(forgeries()))
def test_every_forgery_is_refused(client: FlaskClient, case: str) -> None:
    token, reason = forgeries()[case]
    with pytest.raises(TokenError) as refused:
        TOKENS.verify(token, NOW)
    assert str(refused.value) == reason
    response = client.get("/calltrackings?per_page=1",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json() == {"code": 401, "message": f"The bearer token {reason}."}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="mycrm"'


def test_an_expired_minted_token_is_a_401_that_says_so(client: FlaskClient) -> None:
    minted = client.post("/__mock/tokens", json={"user": 2, "roles": ["lead.read"],
                                                 "lifetime_seconds": -60}).get_json()
    assert minted["expires_at"] == "2025-01-15T09:29:00+04:00"
    response = client.get("/calltrackings",
                          headers={"Authorization": f"Bearer {minted['access_token']}"})
    assert (response.status_code, response.get_json()["message"]) == (401, (
        "The bearer token expired at 2025-01-15T09:29:00+04:00: request a new one (the token "
        "endpoint's tokens live 30 minutes)."))
    assert client.get("/calltrackings", headers=auth()).status_code == 200  # static still do


def test_a_pinned_clock_never_lets_a_fresh_token_expire() -> None:
    clock = Clock(PINNED_NOW)
    assert clock.timestamp() == NOW
    assert TOKENS.verify(TOKENS.issue(AGENT, clock.timestamp()), clock.timestamp())


class MovingClock(Clock):
    """The mock's clock, at a moment the test sets."""

    def __init__(self, at: int) -> None:
        super().__init__(PINNED_NOW)
        self.at = at

    def timestamp(self) -> int:
        return self.at


class CountingTokens(Tokens):
    verified = 0

    def verify(self, token: str, now: int) -> dict[str, object]:
        self.verified += 1
        return super().verify(token, now)


def test_a_token_is_verified_once_and_its_expiry_checked_on_every_request() -> None:
    from mockserver.core.access import Personas
    from mockserver.core.errors import Unauthorized
    from mockserver.identity.callers import Callers

    tokens, clock = CountingTokens(KEY), MovingClock(NOW)
    callers = Callers(Personas([]), tokens, clock)
    token = tokens.issue(AGENT, NOW)
    first = callers.caller(f"Bearer {token}")
    assert (first.user_id, first.rights) == (2, frozenset(
        {"default-roles-pfexpert", "offline_access", "lead.read", "lead.update"}))
    clock.at = NOW + 1799
    assert callers.caller(f"Bearer {token}") is first  # the kept caller, not verified again
    assert tokens.verified == 1
    clock.at = NOW + 1800
    with pytest.raises(Unauthorized) as expired:
        callers.caller(f"Bearer {token}")
    assert expired.value.message == ("The bearer token expired at 2025-01-15T10:00:00+04:00: "
                                     "request a new one (the token endpoint's tokens live 30 "
                                     "minutes).")  # the words a fresh verification gives
    with pytest.raises(TokenExpired) as fresh:
        TOKENS.verify(token, NOW + 1800)
    assert expired.value.message == f"The bearer token {fresh.value}."
    head, payload, _ = token.split(".")
    with pytest.raises(Unauthorized):  # another token, however close, is verified afresh
        callers.caller(f"Bearer {head}.{payload}.{'A' * 342}")
    assert tokens.verified == 2
