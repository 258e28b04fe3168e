"""The layering rule is checked: each kind of wrong import, planted in a copy of the package,
breaks exactly the import-linter contract that forbids it (``make lint`` runs the same).

The real tree keeping every contract is the first case; each other case adds one line to
one module of a scratch copy and names the contracts that must then be reported broken.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

LAYERS = "Layers: each part of mockserver imports only the layers below it"
CONTRACT_OVER_HTTP = (
    "The contract runner reaches the mock over HTTP only: core, validation and settings"
)
FLASK_AT_EDGE = "Flask and the HTTP parser stay at the web edge"
JOSE_IN_IDENTITY = "JOSE stays in identity: one place signs and verifies tokens"
REDIS_IN_SANDBOX = "Redis stays in the sandbox: one module speaks to the shared state"
ACYCLIC = "No import cycles among sibling modules, at any depth"

CASES = {  # name -> (module to change, line to add, contracts then broken, what is reported)
    "the real tree": (None, "", set(), ""),
    "core imports the sandbox": (
        "core/render.py", "from ..sandbox.sessions import Store",
        {LAYERS, ACYCLIC}, "mockserver.core is not allowed to import mockserver.sandbox",
    ),
    "core imports the web edge lazily, inside a function": (
        "core/operations.py", "def _late() -> None:\n    from ..web import app  # noqa",
        {LAYERS, ACYCLIC, FLASK_AT_EDGE},  # flask, too, through the web edge
        "mockserver.core is not allowed to import mockserver.web",
    ),
    "data imports validation, its independent sibling": (
        "data/seed.py", "from ..validation.validator import Validator",
        {LAYERS}, "mockserver.data is not allowed to import mockserver.validation",
    ),
    "the web edge imports the contract runner": (
        "web/app.py", "from ..contract import command",
        {LAYERS}, "mockserver.web is not allowed to import mockserver.contract",
    ),
    "the pipeline reads the settings object": (
        "pipeline/api.py", "from ..settings import Settings",
        {LAYERS}, "mockserver.pipeline is not allowed to import mockserver.settings",
    ),
    "the contract runner imports the sandbox": (
        "contract/target.py", "from ..sandbox.sessions import SESSION_HEADER",
        {CONTRACT_OVER_HTTP}, "mockserver.contract is not allowed to import mockserver.sandbox",
    ),
    "the core imports Flask": (
        "core/http.py", "import flask",
        {FLASK_AT_EDGE}, "mockserver.core is not allowed to import flask",
    ),
    "the web edge decodes a JWT itself": (
        "web/app.py", "import jwt",
        {JOSE_IN_IDENTITY}, "mockserver.web is not allowed to import jwt",
    ),
    "the pipeline talks to Redis itself": (
        "pipeline/api.py", "import redis",
        {REDIS_IN_SANDBOX}, "mockserver.pipeline is not allowed to import redis",
    ),
    "identity imports the sandbox": (
        "identity/callers.py", "from ..sandbox.sessions import Store",
        {LAYERS, ACYCLIC}, "mockserver.identity is not allowed to import mockserver.sandbox",
    ),
    "a cycle inside the core": (
        "core/model.py", "from . import render",
        {ACYCLIC}, "No cycles are allowed in mockserver.core",
    ),
    "a new top-level module with no layer": (
        "helpers.py", "",
        {LAYERS}, "mockserver.helpers",
    ),
}


def lint_copy(tmp_path: Path, module: str | None, line: str) -> subprocess.CompletedProcess[str]:
    copy = tmp_path / "mockserver"
    shutil.copytree(ROOT / "mockserver", copy, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "static", "*.yaml"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if module is not None:
        target = copy / module
        before = target.read_text() if target.exists() else ""
        target.write_text(before + "\n" + line + "\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", list(CASES))
def test_each_wrong_import_breaks_its_contract(tmp_path: Path, case: str) -> None:
    module, line, broken, reported = CASES[case]
    result = lint_copy(tmp_path, module, line)
    output = result.stdout + result.stderr
    named_broken = set(re.findall(r"^(.+?) BROKEN$", output, re.M))
    assert named_broken == broken, output
    assert result.returncode == (1 if broken else 0), output
    assert reported in output, output
