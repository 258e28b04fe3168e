"""A token by the client-credentials grant, and every way the endpoint can refuse it."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from contract_servers import TokenEndpoint, answering, serving

from mockserver.contract.credentials import (
    USER_AGENT,
    CredentialsError,
    Token,
    TokenSource,
    fetch_token,
)

CLIENT, SECRET = "ci-client", "s3cr3t:with/odd&chars"


def test_a_token_by_the_documented_request() -> None:
    """Basic base64(key:secret) as the upstream writes it, a JSON body with the scope."""
    endpoint = TokenEndpoint(CLIENT, SECRET, access_token="eyJ.token")
    with serving(endpoint) as url:
        token = fetch_token(url + "/token", CLIENT, SECRET, timeout=5)
    assert token == Token("eyJ.token", f"client credentials from {url}/token", 1800)
    assert endpoint.received == [{"scope": "openid", "grant_type": "client_credentials"}]
    assert endpoint.agents == [USER_AGENT]
    assert USER_AGENT.startswith("mockserver-contract/")


def test_a_token_by_the_form_request_of_rfc_6749() -> None:
    endpoint = TokenEndpoint(CLIENT, SECRET, access_token="eyJ.token", accepts="form")
    with serving(endpoint) as url:
        token = fetch_token(url + "/token", CLIENT, SECRET, timeout=5, style="form")
    assert token.value == "eyJ.token"
    assert endpoint.received == [{"grant_type": "client_credentials", "scope": "openid"}]


@pytest.mark.parametrize(("accepts", "style"), [("json", "form"), ("form", "json")])
def test_an_endpoint_that_takes_the_other_request_refuses(accepts: str, style: str) -> None:
    endpoint = TokenEndpoint(CLIENT, SECRET, access_token="eyJ.token", accepts=accepts)
    with serving(endpoint) as url, pytest.raises(CredentialsError) as caught:
        fetch_token(url + "/token", CLIENT, SECRET, timeout=5, style=style)
    assert str(caught.value) == (f"the token endpoint {url}/token refused the client "
                                 f"credentials with HTTP 400: invalid_request (only {accepts} "
                                 "requests)")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_fetched_again_before_it_expires() -> None:
    clock, fetched = Clock(), []

    def fetch() -> Token:
        fetched.append(clock.now)
        return Token(f"token-{len(fetched)}", "test", expires_in=300)

    source = TokenSource(fetch(), fetch, clock)
    clock.now = 269.9  # a tenth of 300 s before the end is 270 s
    assert (source.value, source.fetches) == ("token-1", 1)
    clock.now = 270.0
    assert (source.value, source.fetches) == ("token-2", 2)
    clock.now = 270.0 + 3000  # long lives renew a minute before the end at most
    assert source.value == "token-3"
    assert fetched == [0.0, 270.0, 3270.0]


def test_a_given_token_is_never_fetched_again() -> None:
    clock = Clock()
    source = TokenSource(Token("given", "--token", expires_in=10), None, clock)
    clock.now = 10_000
    assert (source.value, source.fetches, source.renewable) == ("given", 1, False)


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
