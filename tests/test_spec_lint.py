"""Spectral (``spectral:oas``) and Redocly (``recommended``, warnings as errors) pass on the
three specs, as ``make lint`` runs them, and each fails on what it should catch: the
exceptions in ``.spectral.yaml`` and ``.redocly.lint-ignore.yaml`` hide only what they name.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

SPECS = ["openapi.yaml", "mockserver/admin-openapi.yaml", "mockserver/auth-openapi.yaml"]
RULES = [".spectral.yaml", "redocly.yaml", ".redocly.lint-ignore.yaml"]
BIN = ROOT / "node_modules" / ".bin"


def linters(where: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    if not (BIN / "spectral").exists() or shutil.which("node") is None:
        pytest.skip("Spectral and Redocly are missing: install Node.js 20 and run `npm ci` "
                    "(make lint and .ci/run do)")
    commands = {
        "spectral": [str(BIN / "spectral"), "lint", "--ruleset", ".spectral.yaml",
                     "--fail-severity", "warn", "--fail-on-unmatched-globs", *SPECS],
        "redocly": [str(BIN / "redocly"), "lint", "--lint-config", "error"],
    }
    return {name: subprocess.run(command, cwd=where, capture_output=True, text=True,
                                 timeout=120) for name, command in commands.items()}


def copy_of_the_specs(tmp_path: Path) -> Path:
    for name in [*SPECS, *RULES]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path: Path, change: object) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def test_the_specs_are_clean(tmp_path: Path) -> None:
    done = linters(copy_of_the_specs(tmp_path))
    for name, result in done.items():
        assert result.returncode == 0, (name, result.stdout, result.stderr)
    assert "No results with a severity of 'warn' or higher found!" in done["spectral"].stdout
    assert "Your API descriptions are valid." in done["redocly"].stderr


def test_an_unused_schema_fails_both(tmp_path: Path) -> None:
    where = copy_of_the_specs(tmp_path)
    edit(where / "mockserver/auth-openapi.yaml",
         lambda d: d["components"]["schemas"].update(Planted={"type": "object"}))
    done = linters(where)
    assert done["spectral"].returncode == 1 and "oas3-unused-component" in done["spectral"].stdout
    assert done["redocly"].returncode == 1 and "no-unused-components" in \
        done["redocly"].stdout + done["redocly"].stderr


def test_the_localhost_exception_covers_only_the_server_it_names(tmp_path: Path) -> None:
    where = copy_of_the_specs(tmp_path)
    edit(where / "openapi.yaml", lambda d: d["servers"].append(
        {"url": "http://localhost:9999", "description": "planted"}))
    done = linters(where)
    assert done["redocly"].returncode == 1
    assert "no-server-example.com" in done["redocly"].stdout + done["redocly"].stderr
