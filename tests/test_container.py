"""The image's command, run as the image runs it: from the wheel, in a fresh environment.

There is no Docker engine here or in CI, so the Dockerfile is replayed (see
``dockerfile_replay``): its build stages make the requirements list and the wheel from the
build context as ``.dockerignore`` filters it, its runtime stage installs both into a fresh
virtual environment outside the source tree, and the test starts the exact ``CMD`` with the
Dockerfile's ``ENV`` (only the port changed to a free one) from a folder outside the repo.
The dependency wheels are built once into a wheelhouse kept in pytest's cache, so only the
first run downloads anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPResponse
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, JsonServer, send_headers_only, start_json_server
from dockerfile_replay import DockerIgnore, Replay, Stage, parse_dockerfile

from mockserver.contract.options import ENV_PREFIX as CONTRACT_PREFIX
from mockserver.contract.options import ContractOptions
from mockserver.settings import ENV_PREFIX, Settings

DOCKERFILE = ROOT / "Dockerfile"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
TOOL_INSTALL = re.compile(r"pip install (--no-cache-dir )?(?P<pins>[\w.=\- ]+)$")


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE)


@dataclass
class Installed:
    venv: Path
    wheel: Path
    env: dict[str, str]  # the image's environment, PATH leading to the venv
    command: list[str]
    healthcheck: list[str]
    skipped: list[str]
    home: Path  # a working folder outside the source tree


def wheelhouse(cache: pytest.Cache | None, requirements: Path, scratch: Path) -> Path:
    """Wheels of the pinned dependencies, built once per requirements list and Python.

    Kept in pytest's cache between runs; in ``scratch`` when the cache is turned off.
    """
    key = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()[:16]
    folder = cache.mkdir(f"wheelhouse-{key}") if cache is not None else scratch / "wheelhouse"
    folder.mkdir(exist_ok=True)
    if not (folder / "complete").exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
             "-r", str(requirements), "-w", str(folder)],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        (folder / "complete").write_text("")
    return folder


@pytest.fixture(scope="module")
def installed(
    stages: list[Stage], tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Installed:
    work = tmp_path_factory.mktemp("image")
    replay = Replay(ROOT, stages)
    tool_env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                f"{os.environ['PATH']}"}  # fmt: skip
    for stage in stages[:-1]:
        assert stage.name is not None, "name every build stage: the runtime mounts them"
        for pins in replay.build_stage(stage.name, work / stage.name, tool_env, TOOL_INSTALL):
            for pin in TOOL_INSTALL.match(pins)["pins"].split():  # type: ignore[index]
                name, _, version = pin.partition("==")
                assert importlib.metadata.version(name) == version, (
                    f"the image builds with {pin}; pin the same in pyproject's dev extras"
                )
    requirements = work / "requirements" / "requirements.txt"
    wheels = wheelhouse(getattr(pytestconfig, "cache", None), requirements, work)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    home = work / "home"
    home.mkdir()
    base_env = {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "HOME": str(home)}
    install_env = {**base_env, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
    runtime = stages[-1]
    replay.install_stage(runtime, home, install_env)
    (wheel,) = (work / "build" / "dist").glob("*.whl")
    return Installed(
        venv=venv,
        wheel=wheel,
        env={**base_env, **runtime.env()},
        command=runtime.all("CMD")[-1].exec_form(),
        healthcheck=runtime.all("HEALTHCHECK")[-1].exec_form(),
        skipped=replay.skipped,
        home=home,
    )


# --- the Dockerfile and its context ---------------------------------------------------------


def test_every_stage_starts_from_the_same_pinned_slim_python(stages: list[Stage]) -> None:
    bases = {stage.base for stage in stages}
    assert len(bases) == 1, bases
    (base,) = bases
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim-[a-z]+", base)
    assert match, f"{base}: pin an exact Python version of a slim image"
    minimum = tuple(int(n) for n in PROJECT["requires-python"].removeprefix(">=").split("."))
    assert (int(match[1]), int(match[2])) >= minimum


def test_runtime_stage_runs_as_non_root_on_port_8080(stages: list[Stage]) -> None:
    runtime = stages[-1]
    env = runtime.env()
    user = runtime.all("USER")[-1].args
    uid, _, gid = user.partition(":")
    assert int(uid) >= 1000 and int(gid) >= 1000, user  # numeric: runAsNonRoot can check it
    assert [e.args for e in runtime.all("EXPOSE")] == ["8080"]
    assert (env["MOCKSERVER_HOST"], env["MOCKSERVER_PORT"]) == ("0.0.0.0", "8080")
    assert "/__mock/health" in " ".join(runtime.all("HEALTHCHECK")[-1].exec_form())
    assert runtime.all("CMD")[-1].exec_form()[0] == "mockserver"  # the installed script


def test_dockerignore_keeps_environments_caches_and_git_out() -> None:
    ignore = DockerIgnore.read(ROOT / ".dockerignore")
    for kept_out in [".venv/bin/python", ".git/HEAD", "tests/test_container.py",
                     "mockserver/web/__pycache__/app.cpython-311.pyc", ".pytest_cache/v/x",
                     ".ruff_cache/x", "build/lib/mockserver/web/app.py", "dist/x.whl",
                     "mockserver.egg-info/PKG-INFO", "reports/contract.xml"]:  # fmt: skip
        assert ignore.ignores(kept_out), kept_out
    for needed in ["pyproject.toml", "README.md", "openapi.yaml", "mockserver/web/app.py",
                   "mockserver/fixtures", "fixtures/records.yaml"]:  # fmt: skip
        assert not ignore.ignores(needed), needed


def test_readme_docker_examples_use_real_options_and_the_image_port(
    stages: list[Stage],
) -> None:
    readme = (ROOT / "README.md").read_text()
    known = {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(Settings)}
    known |= {CONTRACT_PREFIX + f.name.upper() for f in dataclasses.fields(ContractOptions)}
    known.add(CONTRACT_PREFIX)  # the README names the family as MOCKSERVER_CONTRACT_*
    named = set(re.findall(r"MOCKSERVER_[A-Z_]+", readme))
    assert named - known == set(), "the README names options that do not exist"
    (compose_text,) = re.findall(r"`compose.yaml`:\n\n```yaml\n(.*?)```", readme, re.S)
    services = yaml.safe_load(compose_text)["services"]
    assert services["mock"]["build"] == services["contract"]["build"] == "."
    assert set(services["mock"]["environment"]) <= known
    exposed = stages[-1].all("EXPOSE")[-1].args
    assert services["mock"]["ports"] == [f"{exposed}:{exposed}"]
    command = services["contract"]["command"]
    assert command[command.index("--base-url") + 1] == f"http://mock:{exposed}"
    assert services["contract"]["depends_on"]["mock"]["condition"] == "service_healthy"


def test_wheel_carries_the_spec_and_fixtures_and_nothing_else(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        assert wheel.read("mockserver/openapi.yaml") == (ROOT / "openapi.yaml").read_bytes()
        for fixture in [*(ROOT / "fixtures").glob("*.yaml"), ROOT / "fixtures/signing-key.pem"]:
            assert wheel.read(f"mockserver/fixtures/{fixture.name}") == fixture.read_bytes()
        package = ROOT / "mockserver"
        shipped = {  # name in the wheel -> the file it must be
            "mockserver/" + f.relative_to(package).as_posix(): f
            for f in [package / "admin-openapi.yaml", package / "auth-openapi.yaml",
                      *package.rglob("*.py"), package / "web" / "dashboard.html",
                      *(package / "web" / "static").rglob("*")]
            if f.is_file() and "__pycache__" not in f.parts
        }
        for recording in (ROOT / "fixtures" / "recordings").glob("*.mp3"):
            shipped[f"mockserver/fixtures/recordings/{recording.name}"] = recording
        for name, source in shipped.items():
            assert wheel.read(name) == source.read_bytes(), name
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    # Only creating the system user cannot run outside an image.
    assert [s.split()[0] for s in installed.skipped] == ["groupadd"]


def test_package_is_imported_from_the_fresh_environment(installed: Installed) -> None:
    probe = subprocess.run(
        ["python", "-c", "import mockserver; print(mockserver.__file__, mockserver.__version__)"],
        env=installed.env, cwd=installed.home, capture_output=True, text=True, check=True,
    )  # fmt: skip
    location, version = probe.stdout.split()
    assert Path(location).is_relative_to(installed.venv / "lib")
    assert version == PROJECT["version"]


# --- the image's command --------------------------------------------------------------------


@pytest.fixture
def image_server(installed: Installed) -> Iterator[JsonServer]:
    env = {**installed.env, "MOCKSERVER_PORT": "0"}  # all else exactly as the image sets it
    server = start_json_server(installed.command, env, installed.home)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def get_json(url: str, **headers: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def healthcheck(installed: Installed, port: int) -> int:
    """Docker's HEALTHCHECK command, run in the image's environment on the server's port."""
    env = {**installed.env, "MOCKSERVER_PORT": str(port)}
    return subprocess.run(
        installed.healthcheck, env=env, cwd=installed.home, capture_output=True, timeout=30
    ).returncode


def test_image_command_serves_health_lists_and_stops_gracefully(
    installed: Installed, image_server: JsonServer
) -> None:
    server = image_server
    assert server.started["host"] == "0.0.0.0"  # as in the container: every interface
    assert server.started["version"] == PROJECT["version"]

    status, health = get_json(f"{server.url}/__mock/health")
    assert status == 200
    assert health["status"] == "ok" and health["mock"] is True
    assert (health["version"], health["seed"]) == (PROJECT["version"], 42)
    assert health["counts"]["call_trackings"] == 250
    assert isinstance(health["uptime_seconds"], float) and health["uptime_seconds"] >= 0
    assert healthcheck(installed, server.port) == 0

    status, page = get_json(
        f"{server.url}/calltrackings?per_page=5", Authorization="Bearer admin-token"
    )
    assert status == 200
    assert (page["count"], page["page"], page["per_page"]) == (250, 1, 5)
    assert [c["id"] for c in page["call_trackings"]] == [1, 2, 3, 4, 5]
    assert page["call_trackings"][0]["marked_as_seen"] is True

    # A request in flight when SIGTERM arrives: its headers are in, its body is not.
    body = json.dumps(
        {"calltrackings": [1], "operations": [{"op": "replace", "path": "/seen", "value": False}]}
    ).encode()
    sock = send_headers_only(server.port, body)
    server.process.send_signal(signal.SIGTERM)
    stopping = server.log.wait_for("stopping")
    # At least ours: a finished request's worker may still be wrapping up (its answer sent).
    assert stopping["signal"] == "SIGTERM" and stopping["in_flight"] >= 1
    with pytest.raises(ConnectionRefusedError):  # no longer accepting
        socket.create_connection(("127.0.0.1", server.port), timeout=5)

    sock.sendall(body)  # the in-flight request completes after the stop began
    response = HTTPResponse(sock)
    response.begin()
    answer = json.loads(response.read())
    sock.close()
    assert response.status == 200
    assert answer["count"] == 1
    assert [(c["id"], c["marked_as_seen"]) for c in answer["call_trackings"]] == [(1, False)]

    assert server.process.wait(timeout=15) == 0
    server.log.join()
    assert server.log.wait_for("stopped")["abandoned"] == 0
    assert healthcheck(installed, server.port) != 0  # nothing listens any more

    # The image logs JSON: every line of the process is a JSON object, stdout stays empty.
    assert server.log.bad_lines == []
    assert server.process.stdout is not None and server.process.stdout.read() == ""
    requests = server.log.events("request")
    assert [(r["method"], r["path"], r["status"], r["operationId"]) for r in requests] == [
        ("GET", "/calltrackings", 200, "listCallTrackings"),
        ("PATCH", "/calltrackings", 200, "bulkUpdateCallTrackings"),
    ]  # health checks log at DEBUG, below the image's INFO
