"""A token by the client-credentials grant, and every way the endpoint can refuse it."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from contract_servers import TokenEndpoint, answering, serving

from mockserver.contract.credentials import CredentialsError, Token, fetch_token

CLIENT, SECRET = "ci-client", "s3cr3t:with/odd&chars"


def test_a_token_by_client_credentials() -> None:
    endpoint = TokenEndpoint(CLIENT, SECRET, access_token="eyJ.token")
    with serving(endpoint) as url:
        token = fetch_token(url + "/token", CLIENT, SECRET, timeout=5)
    assert token == Token("eyJ.token", f"client credentials from {url}/token", 1800)
    assert endpoint.received == [{"grant_type": "client_credentials"}]


@pytest.mark.parametrize(("status", "body", "message"), [
    ("401 Unauthorized", {"error": "invalid_client", "error_description": "Bad secret"},
     "refused the client credentials with HTTP 401: invalid_client (Bad secret)"),
    ("400 Bad Request", {"error": "unauthorized_client"},
     "refused the client credentials with HTTP 400: unauthorized_client"),
    ("503 Service Unavailable", b"<html>down</html>", "failed with HTTP 503"),
    ("200 OK", {"token_type": "Bearer"}, "answered 200 without an access_token"),
    ("200 OK", b"not json", "answered 200 without an access_token"),
])
def test_refusals_say_what_the_endpoint_said(status: str, body: Any, message: str) -> None:
    with serving(answering(status, body)) as url, pytest.raises(CredentialsError) as caught:
        fetch_token(url + "/token", CLIENT, SECRET, timeout=5)
    assert str(caught.value) == f"the token endpoint {url}/token {message}"


def test_a_token_that_is_not_a_bearer_token() -> None:
    body = {"access_token": "x", "token_type": "mac"}
    with serving(answering("200 OK", body)) as url, pytest.raises(CredentialsError) as caught:
        fetch_token(url, CLIENT, SECRET, timeout=5)
    assert str(caught.value) == "the token endpoint gave a 'mac' token, not a bearer token"


def test_an_unreachable_endpoint() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CredentialsError) as caught:
        fetch_token(f"http://127.0.0.1:{port}/token", CLIENT, SECRET, timeout=5)
    assert str(caught.value).startswith(f"cannot reach the token endpoint http://127.0.0.1:{port}"
                                        "/token: [Errno 111] Connection refused")
