"""``mockserver contract`` stops with exit 2 and one clear line when no run can be made."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import RunningServer
from contract_servers import answering, serving

from mockserver.cli import main

PROG = "mockserver contract: "


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOKEN", "CLIENT_ID", "CLIENT_SECRET", "TOKEN_URL", "BASE_URL"):
        monkeypatch.delenv(f"MOCKSERVER_CONTRACT_{name}", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["contract", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys) == (2, "", PROG + "--base-url is required (or "
                           "MOCKSERVER_CONTRACT_BASE_URL)\n")


def test_an_unreachable_target(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    status, out, err = run(capsys, "--base-url", f"http://127.0.0.1:{port}", "--token", "tok-1")
    assert (status, out) == (2, "")
    assert err == (f"{PROG}cannot reach http://127.0.0.1:{port}/__mock/health: "
                   "[Errno 111] Connection refused\n")


@pytest.mark.parametrize(("token", "message"), [
    ("expired-S3CRET", "the target refused the credentials: GET /calltrackings answered 401 "
                       "(unknown or expired token)"),
    ("norights-token", "the credentials lack the right to list call trackings: GET "
                       "/calltrackings answered 403"),
])
def test_credentials_the_target_refuses(live_server: RunningServer,
                                        capsys: pytest.CaptureFixture[str],
                                        token: str, message: str) -> None:
    outcome = run(capsys, "--base-url", live_server.url, "--token", token)
    assert outcome == (2, "", PROG + message + "\n")


def test_a_secret_echoed_by_the_token_endpoint_is_masked(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "Sup3r/Secret value"
    echo = {"error": "invalid_client", "error_description": f"no client with secret {secret}"}
    monkeypatch.setenv("MOCKSERVER_CONTRACT_CLIENT_SECRET", secret)
    with serving(answering("401 Unauthorized", echo)) as url:
        status, out, err = run(capsys, "--base-url", "http://localhost:1", "--client-id", "ci",
                               "--token-url", url)
    assert (status, out) == (2, "")
    assert err == (f"{PROG}the token endpoint {url} refused the client credentials with HTTP "
                   "401: invalid_client (no client with secret ***)\n")


def test_unknown_checks(live_server: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--base-url", live_server.url, "--token", "admin-token",
                           "--checks", "not_a_server_error,telepathy")
    assert status == 2
    assert out.startswith(f"Contract run against {live_server.url}\n")  # the plan was made
    assert err.startswith(PROG + "--checks: unknown telepathy; choose among ")
    assert "filters_applied" in err and "not_a_server_error" in err


def test_a_contract_that_is_not_yaml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("paths: [unclosed\n")
    status, out, err = run(capsys, "--base-url", "http://localhost:1", "--token", "tok-1",
                           "--spec", str(spec))
    assert (status, out) == (2, "")
    assert err.startswith(PROG + "cannot load the contract: while parsing a flow sequence")


def test_a_contract_without_the_operations_the_policy_needs(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, live_server: RunningServer) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.1.0\npaths: {}\n")
    status, out, err = run(capsys, "--base-url", live_server.url, "--token", "admin-token",
                           "--spec", str(spec))
    assert (status, out) == (2, "")
    assert err == (PROG + "cannot load the contract: it has no operation listCallTrackings, "
                   "bulkUpdateCallTrackings, bulkDeleteCallTrackings, deleteCallTracking, which "
                   "the run relies on\n")
