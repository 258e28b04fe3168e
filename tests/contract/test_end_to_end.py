"""``mockserver contract`` end to end: the command in its own process, real servers, HTTP.

The mock runs as ``mockserver serve``; the drifted deployment and the token endpoint are
small WSGI apps served by the project's server in this process (``contract_servers``), so
the tests can read what they received. Runs are kept short (few examples, a fixed seed).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, RunningServer
from contract_servers import (
    AUTH_NOT_ENFORCED,
    DRIFT_HEADLINES,
    ERROR_WITHOUT_CODE,
    FILTER_IGNORED,
    MISSING_FIELD,
    SERVER_ERROR,
    UNDOCUMENTED_STATUS,
    WRONG_TYPE,
    DriftedDeployment,
    TokenEndpoint,
    serving,
)

FAST = ("--max-examples", "5", "--seed", "7")
SAFE = {"GET", "HEAD", "OPTIONS", "TRACE", "QUERY"}
CLIENT_ID, CLIENT_SECRET = "contract-ci", "s3cr3t-Value-9"


def contract(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_CONTRACT_")}
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "contract", *args],
        capture_output=True, text=True, timeout=240, cwd=ROOT, env={**clean, **(env or {})},
    )


def sections(stdout: str) -> tuple[str, str]:
    """The summary's contract failures, and its unconfirmed assumptions."""
    failures = stdout.split("\nContract failures", 1)[1]
    contract_part, _, assumptions = failures.partition("\nUnconfirmed assumptions")
    return contract_part, assumptions


@pytest.fixture
def drifted() -> Iterator[tuple[str, DriftedDeployment]]:
    deployment = DriftedDeployment()
    with serving(deployment) as url:
        yield url, deployment


def default_session_counts(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/__mock/health") as response:
        return json.load(response)["counts"]


def test_the_mock_keeps_the_contract(live_server: RunningServer, tmp_path: Path) -> None:
    before = default_session_counts(live_server.url)
    report = tmp_path / "reports" / "contract.xml"
    result = contract("--base-url", live_server.url, "--token", "admin-token", *FAST,
                      "--junit-xml", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Target: the mock (GET /__mock/health says so)" in out
    assert "Exercised: listCallTrackings, bulkDeleteCallTrackings, bulkUpdateCallTrackings, " \
           "deleteCallTracking, getCallTrackingRecording." in out
    assert "Contract failures: none." in out
    assert "Unconfirmed assumptions: none." in out
    assert "Result: PASSED, 0 contract failure(s), 0 unconfirmed assumption(s) (exit 0)." in out
    phases = re.search(r"requests answered in [\d.]+ s \((.*)\)\.", out).group(1)
    counts = {p.rsplit(" ", 1)[0]: int(p.rsplit(" ", 1)[1]) for p in phases.split(", ")}
    assert set(counts) == {"filter probe", "examples", "coverage", "fuzzing", "stateful"}
    assert counts["stateful"] > 0 and counts["filter probe"] == 4
    # The run deleted everything in its private session, never in the shared default one.
    assert default_session_counts(live_server.url) == before
    suites = {s.get("name"): s for s in ET.parse(report).getroot()}
    assert [c.get("name") for c in suites["contract"]] == [
        "GET /calltrackings (listCallTrackings)",
        "DELETE /calltrackings (bulkDeleteCallTrackings)",
        "PATCH /calltrackings (bulkUpdateCallTrackings)",
        "DELETE /calltrackings/{id} (deleteCallTracking)",
        "GET /calltrackings/{id}/recording (getCallTrackingRecording)",
    ]
    assert [len(c) for c in suites["contract"]] == [0] * 5  # no failure, nothing skipped
    assert suites["assumptions"].get("tests") == "0"


def test_drifts_are_named_and_a_real_target_gets_only_reads(
        drifted: tuple[str, DriftedDeployment], tmp_path: Path) -> None:
    url, deployment = drifted
    report = tmp_path / "contract.xml"
    result = contract("--base-url", url, "--token", "admin-token", *FAST,
                      "--junit-xml", str(report))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "Target: a REAL deployment. READ-ONLY: only GET requests are sent" in out
    broken, assumed = sections(out)
    expected = [DRIFT_HEADLINES[d] for d in (WRONG_TYPE, MISSING_FIELD, SERVER_ERROR,
                                             FILTER_IGNORED, AUTH_NOT_ENFORCED)]
    for drift in expected:
        assert drift in broken, f"{drift!r} not reported in:\n{out}"
    assert '" is not of type "integer"' in broken
    assert re.search(r"seen \d+ time\(s\): GET /calltrackings 500", broken)
    assert broken.startswith(" (5):\n")  # those five drifts, and nothing else
    # The error body without `code` breaks only assumed elements: an assumption, not a failure.
    assert "Error.code" not in broken
    assert DRIFT_HEADLINES[ERROR_WITHOUT_CODE] in assumed
    assert "assumed: #/components/schemas/Error (Assumed: the upstream documents no error body.)" \
        in assumed
    assert "Result: FAILED, 5 contract failure(s), " in out
    # The deployment's own log: only safe methods reached it.
    assert deployment.received
    assert {r.method for r in deployment.received} <= SAFE
    junit = ET.parse(report).getroot()
    contract_suite = next(s for s in junit if s.get("name") == "contract")
    skipped = [c.get("name") for c in contract_suite if c.find("skipped") is not None]
    assert skipped == ["DELETE /calltrackings (bulkDeleteCallTrackings)",
                       "PATCH /calltrackings (bulkUpdateCallTrackings)",
                       "DELETE /calltrackings/{id} (deleteCallTracking)"]
    failed = [c.get("name") for c in contract_suite if c.find("failure") is not None]
    assert failed == ["GET /calltrackings (listCallTrackings)",
                      "GET /calltrackings/{id}/recording (getCallTrackingRecording)"]


def test_allowed_writes_never_delete_all_nor_patch_without_ids(
        drifted: tuple[str, DriftedDeployment]) -> None:
    url, deployment = drifted
    result = contract("--base-url", url, "--token", "admin-token", *FAST, "--allow-writes")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "WRITES ALLOWED (--allow-writes): bulk PATCH (always listing ids) and single DELETE " \
           "are sent and change real data; a bulk DELETE (delete-all) is never sent." in out
    assert "Not exercised against this target: bulkDeleteCallTrackings." in out
    broken, _ = sections(out)
    assert DRIFT_HEADLINES[UNDOCUMENTED_STATUS] in broken
    assert re.search(r"seen \d+ time\(s\): DELETE /calltrackings/\{id\} 200", broken)
    assert "Held back by the write policy" not in out  # generation never needed the guard
    deletes, patches = deployment.sent("DELETE"), deployment.sent("PATCH")
    assert deletes and patches
    assert all(re.fullmatch(r"/calltrackings/[1-9]\d*", r.path) for r in deletes)
    for request in patches:
        assert request.path == "/calltrackings"
        ids = json.loads(request.body)["calltrackings"]
        assert ids and all(isinstance(i, int | float) and i >= 1 for i in ids)
    assert {r.method for r in deployment.received} <= SAFE | {"PATCH", "DELETE"}


def test_a_drift_in_assumed_elements_only_passes_unless_strict() -> None:
    deployment = DriftedDeployment({ERROR_WITHOUT_CODE})
    with serving(deployment) as url:
        args = ("--base-url", url, "--token", "admin-token", *FAST, "--phases", "examples")
        lenient, strict = contract(*args), contract(*args, "--strict")
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "Contract failures: none." in lenient.stdout
    assert "Unconfirmed assumptions (1), reported, not failing the run (--strict would):" \
        in lenient.stdout
    assert "assumed: #/components/responses/NotFoundOrNoRecording" in lenient.stdout
    assert "Result: PASSED, 0 contract failure(s), 1 unconfirmed assumption(s)" in lenient.stdout
    assert strict.returncode == 1
    assert "Unconfirmed assumptions (1), failing the run (--strict):" in strict.stdout


def test_client_credentials_give_one_token_for_the_run(live_server: RunningServer) -> None:
    endpoint = TokenEndpoint(CLIENT_ID, CLIENT_SECRET, access_token="admin-token")
    with serving(endpoint) as token_url:
        result = contract("--base-url", live_server.url, *FAST, "--phases", "examples", env={
            "MOCKSERVER_CONTRACT_CLIENT_ID": CLIENT_ID,
            "MOCKSERVER_CONTRACT_CLIENT_SECRET": CLIENT_SECRET,
            "MOCKSERVER_CONTRACT_TOKEN_URL": token_url + "/token",
        })
    assert result.returncode == 0, result.stdout + result.stderr
    assert endpoint.received == [{"scope": "openid", "grant_type": "client_credentials"}]
    assert (f"Auth: bearer token (client credentials from {token_url}/token, expires in 1800 s; "
            "a fresh one is fetched before it does).") in result.stdout
    for secret in (CLIENT_SECRET, "admin-token"):
        assert secret not in result.stdout + result.stderr


def test_refused_client_credentials_stop_the_run(live_server: RunningServer) -> None:
    endpoint = TokenEndpoint(CLIENT_ID, CLIENT_SECRET, access_token="admin-token")
    with serving(endpoint) as token_url:
        result = contract("--base-url", live_server.url, "--client-id", CLIENT_ID,
                          "--client-secret", "wrong-" + CLIENT_SECRET,
                          "--token-url", token_url + "/token")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"mockserver contract: the token endpoint {token_url}/token refused the client "
        "credentials with HTTP 401: invalid_client (Invalid client credentials)\n"
    )
    assert CLIENT_SECRET not in result.stdout + result.stderr


def credentials(token_url: str, client_id: str = CLIENT_ID,
                secret: str = CLIENT_SECRET) -> dict[str, str]:
    return {"MOCKSERVER_CONTRACT_CLIENT_ID": client_id,
            "MOCKSERVER_CONTRACT_CLIENT_SECRET": secret,
            "MOCKSERVER_CONTRACT_TOKEN_URL": token_url}


def test_a_run_that_outlives_its_token_fetches_a_fresh_one(live_server: RunningServer) -> None:
    """Tokens of 1 s, renewed a tenth of their life before they expire: a run of more than
    1 s needs a second one, and completes (a run holding an expired token would not)."""
    endpoint = TokenEndpoint(CLIENT_ID, CLIENT_SECRET, access_token="admin-token", expires_in=1)
    with serving(endpoint) as token_url:
        result = contract("--base-url", live_server.url, *FAST, "--phases",
                          "examples,coverage,fuzzing", "--jobs", "1",  # one process, one run
                          env=credentials(token_url + "/token"))
    assert result.returncode == 0, result.stdout + result.stderr
    took = float(re.search(r"requests answered in ([\d.]+) s", result.stdout).group(1))  # type: ignore[union-attr]
    assert took > 1
    assert len(endpoint.received) >= 2
    assert set(endpoint.agents) == {endpoint.agents[0]} and endpoint.agents[0].startswith(
        "mockserver-contract/")
    assert "expired during the run" not in result.stdout


def test_the_mock_s_own_token_endpoint_gives_the_run_its_token(
    live_server: RunningServer,
) -> None:
    """The documented flow end to end: the mock's token endpoint, a JWT, a passing run."""
    token_url = live_server.url + "/auth/oauth/v1/token"
    result = contract("--base-url", live_server.url, *FAST, "--phases", "examples",
                      env=credentials(token_url, "admin-key", "admin-secret-not-a-secret"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Auth: bearer token (client credentials from {token_url}, expires in 1800 s" \
        in result.stdout
    assert "admin-secret-not-a-secret" not in result.stdout + result.stderr
    assert "eyJ" not in result.stdout + result.stderr  # the JWT is masked too
