"""Clients generated from ``openapi.yaml`` with each generator's defaults work against a
real mock: openapi-typescript with openapi-fetch (``tsc --strict``), openapi-python-client
(installed with pip, ``mypy --strict``), and openapi-generator's ``typescript-fetch``
(``tsc --strict``) and ``python`` (installed with pip).

Each program (``typescript_client.ts``, ``python_client.py``, ...) lists with filters and a
sort, pages through every page, expands a relation and reads its full fields, runs every
bulk operation, both deletes, fetches a recording and reads a typed 4xx, each in a session
of its own; it prints what it saw, and the test compares that with what the mock answers
to plain HTTP requests. A generator that decodes a relation as the wrong type, refuses the
spec or warns about it, or a package pip cannot install, fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import PINNED_NOW, ROOT, RunningServer, start_server
from helpers import Api

HERE = Path(__file__).resolve().parent
SPEC = ROOT / "openapi.yaml"
NODE_BIN = ROOT / "node_modules" / ".bin"
VENV_BIN = Path(sys.executable).parent
PYTHON_PACKAGE = "pf_expert_crm_api_v_2_call_trackings_client"  # openapi-python-client's name


@pytest.fixture(scope="module")
def mock() -> Iterator[RunningServer]:
    server = start_server("--now", PINNED_NOW)
    try:
        yield server
    finally:
        server.stop()


def run(command: list[str], cwd: Path, **env: str) -> str:
    """Run a tool; its output if it succeeds, a failure showing all of it if not."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=240,
                          env={**os.environ, **env})
    assert done.returncode == 0, f"{command[0]} exited {done.returncode}:\n" \
                                 f"{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def node_tool(name: str) -> str:
    tool = NODE_BIN / name
    if shutil.which("node") is None or not tool.exists():
        pytest.skip(f"{name} is missing: install Node.js 20 and run `npm ci` at the project "
                    "root (.ci/run does both)")
    return str(tool)


def expected(server: RunningServer) -> dict[str, Any]:
    """What each program must see, from plain HTTP requests to a fresh session."""
    api = Api(server.url, session="expected")
    every = [ct["id"] for ct in api.get("/calltrackings?per_page=500&sort=id").json()[
        "call_trackings"]]
    answered = api.get("/calltrackings", params={
        "filters[status]": "answered", "sort": "date", "sort_order": "DESC",
        "per_page": "5"}).json()["call_trackings"]
    first = api.get("/calltrackings?per_page=1&sort=id",
                    headers={"X-MyCRM-Expand-Data": "user"}).json()["call_trackings"][0]
    recorded = next(ct for ct in answered if ct["download_url"] is not None)
    url = api.get(f"/calltrackings/{recorded['id']}/recording").json()["recording"]["url"]
    audio = requests.get(url, timeout=10)
    refused = api.delete("/calltrackings/999999").json()
    return {
        "answered": [[ct["id"], ct["status"], ct["call_start"]] for ct in answered],
        "paged": every,
        "expanded": [first["user"]["id"], first["user"]["public"]["first_name"]],
        "collapsed": {"id": first["user"]["id"]},
        "patched": [[i, 3, 201, 101, False] for i in every[:2]],
        "deleted": [[every[2], 204], [every[3], 204]],
        "remaining": [*every[:2], *every[4:]],
        "recording": [recorded["id"], "audio/mpeg", len(audio.content)],
        "refused": [404, 404, "path", "id", refused["errors"][0]["reason"]],
    }


def same_instants(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary with each ``call_start`` as an instant: generators that parse date-times
    print them in UTC, the others as the mock sent them."""
    return {**summary, "answered": [[i, status, datetime.fromisoformat(start).timestamp()]
                                    for i, status, start in summary["answered"]]}


def test_the_expectations_are_about_real_data(mock: RunningServer) -> None:
    want = expected(mock)
    assert len(want["paged"]) == 250
    assert want["refused"][4] == "no call tracking with id 999999"
    assert want["expanded"][1] and want["recording"][2] > 10_000
    assert [status for _, status, _ in want["answered"]] == ["answered"] * 5


def test_openapi_typescript_and_openapi_fetch(mock: RunningServer, tmp_path: Path) -> None:
    generate, tsc = node_tool("openapi-typescript"), node_tool("tsc")
    shutil.copy(HERE / "typescript_client.ts", tmp_path / "client.ts")
    (tmp_path / "package.json").write_text('{"type": "module"}\n')
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    out = run([generate, str(SPEC), "-o", "api.d.ts"], tmp_path)
    assert "openapi.yaml → api.d.ts" in out and "⚠" not in out, out
    options = ["--strict", "--target", "es2022", "--module", "nodenext",
               "--moduleResolution", "nodenext", "--types", "node"]
    assert run([tsc, *options, "--noEmit", "client.ts"], tmp_path) == ""
    run([tsc, *options, "--outDir", "out", "client.ts"], tmp_path)
    shutil.copy(tmp_path / "package.json", tmp_path / "out" / "package.json")
    seen = run(["node", "out/client.js", mock.url, "typescript"], tmp_path)
    assert json.loads(seen) == expected(mock)


def openapi_generator(generator: str, out: Path) -> None:
    """openapi-generator (its jar, as the openapi-generator-cli wheel ships it) with its
    defaults, spec validation included; a warning about the spec fails the test."""
    if shutil.which("java") is None:
        pytest.skip("openapi-generator needs a Java runtime: apt-get install "
                    "openjdk-17-jre-headless (.ci/run does)")
    log = run([str(VENV_BIN / "openapi-generator-cli"), "generate", "-i", str(SPEC),
               "-g", generator, "-o", str(out)], out.parent)
    warnings = {line.split(" - ", 1)[1] for line in log.splitlines() if " WARN " in line}
    assert warnings == KNOWN_WARNINGS | RENAMED[generator], log


# What openapi-generator says of this spec, none of it a problem of the spec: 3.1 support
# is its beta, a ModelUtils message that names no schema (it comes with a complete client),
# and a schema named as a word of the target language is renamed (`Error`, `Property`).
KNOWN_WARNINGS = {
    "OpenAPI 3.1 support is still in beta. To report an issue related to 3.1 spec, please "
    "kindly open an issue in the Github repo: https://github.com/openAPITools/openapi-generator.",
    "Failed to get the schema name: null",
}
RENAMED = {
    "typescript-fetch": {"Error (model name matches existing language type) cannot be used as "
                         "a model name. Renamed to ModelError"},
    "python": {"Property (reserved word) cannot be used as model name. Renamed to "
               "ModelProperty"},
}


def test_openapi_generator_typescript_fetch(mock: RunningServer, tmp_path: Path) -> None:
    tsc = node_tool("tsc")
    openapi_generator("typescript-fetch", tmp_path / "generated")
    shutil.copy(HERE / "typescript_fetch_client.ts", tmp_path / "client.ts")
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    options = ["--strict", "--target", "es2022", "--module", "commonjs",
               "--moduleResolution", "node10", "--types", "node"]
    assert run([tsc, *options, "--noEmit", "client.ts"], tmp_path) == ""
    run([tsc, *options, "--outDir", "out", "client.ts"], tmp_path)
    seen = run(["node", "out/client.js", mock.url, "typescript-fetch"], tmp_path)
    assert same_instants(json.loads(seen)) == same_instants(expected(mock))


def test_openapi_generator_python(mock: RunningServer, tmp_path: Path) -> None:
    openapi_generator("python", tmp_path / "generated")
    installed = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(installed), "./generated"], tmp_path)
    assert (installed / "openapi_client" / "api" / "call_trackings_api.py").exists()
    seen = run([sys.executable, str(HERE / "openapi_generator_python_client.py"), mock.url,
                "openapi-generator-python"], tmp_path, PYTHONPATH=str(installed))
    assert same_instants(json.loads(seen)) == same_instants(expected(mock))


def test_openapi_python_client(mock: RunningServer, tmp_path: Path) -> None:
    path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"  # its ruff post-hooks
    out = run([str(VENV_BIN / "openapi-python-client"), "generate", "--path", str(SPEC),
               "--output-path", "generated"], tmp_path, PATH=path)
    assert "Warning" not in out and "Error" not in out, out
    installed = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(installed), "./generated"], tmp_path)
    version = next(installed.glob(f"{PYTHON_PACKAGE}-*.dist-info")).name
    assert version == f"{PYTHON_PACKAGE}-2.0.0+mock.1.dist-info"
    run([str(VENV_BIN / "mypy"), "--strict", "--no-incremental", "--cache-dir", os.devnull,
         str(HERE / "python_client.py")], tmp_path, MYPYPATH=str(installed))
    seen = run([sys.executable, str(HERE / "python_client.py"), mock.url, "python"], tmp_path,
               PYTHONPATH=str(installed))
    assert json.loads(seen) == expected(mock)
