"""``schemathesis run openapi.yaml --url <mock> -H 'Authorization: Bearer admin-token'``, run
from the project root as its README says, with nothing else: ``schemathesis.toml`` and
``mockserver/contract/schemathesis_hooks.py`` make it test the mock for real (0 failures,
the stateful phase's links followed on data, the mock's shared session untouched) and keep
it safe against a deployment that is not the mock (no bulk DELETE, no id-less PATCH; reads
only unless ``MOCKSERVER_CONTRACT_ALLOW_WRITES=1``), with our ``filters_applied`` check.

The URL is a free port rather than 8080; the command is otherwise the README's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, RunningServer
from contract_servers import FILTER_IGNORED, DriftedDeployment, serving
from helpers import Api

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SAFE = {"GET", "HEAD", "OPTIONS", "TRACE", "QUERY"}


def schemathesis_run(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKSERVER_",
                                                                       "SCHEMATHESIS_"))}
    return subprocess.run(
        [str(SCHEMATHESIS), "run", "openapi.yaml", "--url", url,
         "-H", "Authorization: Bearer admin-token"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**clean, "NO_COLOR": "1", "COLUMNS": "200", **env},
    )


def test_against_the_mock_it_finds_nothing_and_follows_the_links(
        live_server: RunningServer) -> None:
    before = Api(live_server.url).get("/__mock/state").content
    result = schemathesis_run(live_server.url)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"No issues found in [\d.]+s", out), out
    cases = re.search(r"(\d+) generated, (\d+) passed", out)
    assert cases and cases[1] == cases[2] and int(cases[1]) > 1000, out
    links = re.search(r"API Links: +(\d+) covered / (\d+) selected", out)
    assert links and int(links[1]) >= 1, out  # a link followed: the stateful phase had data
    hooks = re.search(r"is the mock; session (contract-[0-9a-f]{12}), reset (\d+) times", out)
    assert hooks and hooks[2] == "5", out  # the run's start and each of its four phases
    assert Api(live_server.url).get("/__mock/state").content == before  # shared data untouched
    assert not (ROOT / ".schemathesis").exists()


def test_against_another_target_it_reads_only_and_runs_our_filter_check() -> None:
    deployment = DriftedDeployment({FILTER_IGNORED})  # the mock, hiding /__mock/*
    with serving(deployment) as url:
        result = schemathesis_run(url)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out  # the ignored filter, found by filters_applied
    assert re.search(r"ST901 filters\[status\]=\w+ not applied", out), out
    assert re.search(r"Selected: 2/5", out), out  # the two reads
    assert "is a real deployment; sent reads only" in out, out
    assert "0 request(s) held back" in out, out
    assert deployment.received
    assert {r.method for r in deployment.received} <= SAFE


def test_with_writes_allowed_it_never_deletes_all_nor_patches_without_ids() -> None:
    deployment = DriftedDeployment(())
    with serving(deployment) as url:
        result = schemathesis_run(url, MOCKSERVER_CONTRACT_ALLOW_WRITES="1")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"Selected: 4/5", out), out  # all but the bulk DELETE
    assert "sent reads, bulk PATCH with ids, single DELETE; 0 request(s) held back" in out, out
    deletes, patches = deployment.sent("DELETE"), deployment.sent("PATCH")
    assert deletes and patches
    assert all(re.fullmatch(r"/calltrackings/[^/]+", r.path) for r in deletes)
    for request in patches:
        ids = json.loads(request.body)["calltrackings"]
        assert request.path == "/calltrackings" and ids, request
        assert all(isinstance(i, int | float) and i >= 1 for i in ids)
    assert {r.method for r in deployment.received} <= SAFE | {"PATCH", "DELETE"}
