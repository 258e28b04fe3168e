"""The ``mockserver`` command's own options."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import yaml
from conftest import ROOT


def test_version_names_the_package_and_its_contract() -> None:
    done = subprocess.run([sys.executable, "-m", "mockserver", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    package = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    contract = yaml.safe_load((ROOT / "openapi.yaml").read_text())["info"]["version"]
    assert (done.returncode, done.stdout, done.stderr) == (
        0, f"mockserver {package} (openapi.yaml {contract})\n", "")
    assert contract == "2.0.0+mock.1"
