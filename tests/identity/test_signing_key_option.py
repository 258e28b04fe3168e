"""``--signing-key`` and ``--token-issuer``: the tokens are signed with the key given and
carry the issuer given, the JWKS publishes that key, tokens of the shipped key or issuer are
then refused, and a key that cannot sign RS256 stops the server with a message."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jwt
import pytest
import requests
from conftest import start_server
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mockserver.identity.keys import SigningKey
from mockserver.identity.tokens import ISSUER, Grant, Tokens
from mockserver.settings import default_fixtures_dir

ISSUER_ELSEWHERE = "https://auth.staging.example/realms/crm"
DOCUMENTED = json.dumps({"scope": "openid", "grant_type": "client_credentials"})
BASIC = "Basic " + base64.b64encode(b"agent-key:agent-secret-not-a-secret").decode()
SHIPPED = SigningKey.from_pem((default_fixtures_dir() / "signing-key.pem").read_bytes(), "x")


def pem_of(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_another_key_and_issuer_sign_and_are_the_only_ones_accepted(tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(pem_of(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    ours = SigningKey.from_pem(key_file.read_bytes(), "ours")
    server = start_server("--signing-key", str(key_file), "--token-issuer", ISSUER_ELSEWHERE)
    try:
        jwks = requests.get(f"{server.url}/broker/realms/propertyfinder/protocol/"
                            "openid-connect/certs", timeout=10).json()
        assert [k["kid"] for k in jwks["keys"]] == [ours.kid]
        assert ours.kid != SHIPPED.kid
        token = requests.post(f"{server.url}/auth/oauth/v1/token", data=DOCUMENTED, timeout=10,
                              headers={"Authorization": BASIC,
                                       "Content-Type": "application/json"}).json()
        public = jwt.PyJWKSet.from_dict(jwks).keys[0].key
        claims = jwt.decode(token["access_token"], public, algorithms=["RS256"],
                            audience="api-integration", issuer=ISSUER_ELSEWHERE)
        assert (claims["iss"], claims["pf_user_id"]) == (ISSUER_ELSEWHERE, 2)

        def status_with(token: str) -> tuple[int, str]:
            answer = requests.get(f"{server.url}/calltrackings?per_page=1", timeout=10,
                                  headers={"Authorization": f"Bearer {token}"})
            return answer.status_code, answer.json().get("message", "")

        assert status_with(token["access_token"])[0] == 200
        now = claims["iat"]
        agent = Grant("agent-key", 2, ("lead.read",))
        assert status_with(Tokens(SHIPPED, ISSUER_ELSEWHERE).issue(agent, now)) == (
            401, f"The bearer token names a key this server does not sign with (kid "
                 f"'{SHIPPED.kid}'; see the JWKS).")
        assert status_with(Tokens(ours, ISSUER).issue(agent, now)) == (
            401, f"The bearer token was not issued by {ISSUER_ELSEWHERE}.")
        assert status_with("agent-token")[0] == 200  # the static tokens are kept
    finally:
        server.stop()


@pytest.mark.parametrize(("content", "reason"), [
    (b"not a key", "not an unencrypted PEM private key"),
    (pem_of(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
     "RS256 needs an RSA key of 2048 bits or more"),
    (pem_of(ec.generate_private_key(ec.SECP256R1())),
     "RS256 needs an RSA key of 2048 bits or more"),
    (None, "cannot be read (No such file or directory)"),
], ids=["not PEM", "RSA 1024", "EC key", "missing"])
def test_a_key_that_cannot_sign_stops_the_server(tmp_path: Path, content: bytes | None,
                                                  reason: str) -> None:
    key_file = tmp_path / "key.pem"
    if content is not None:
        key_file.write_bytes(content)
    with pytest.raises(RuntimeError) as failure:
        start_server("--signing-key", str(key_file))
    text = str(failure.value)
    assert "server exited with 2" in text
    assert f" ERROR invalid signing key: {key_file}: {reason}" in text
