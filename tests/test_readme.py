"""The README documents every option of ``mockserver serve``, so it cannot fall behind."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mockserver.settings import ENV_PREFIX, Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_option_and_variable_is_documented(name: str) -> None:
    assert f"`--{name.replace('_', '-')}`" in README
    assert f"`{ENV_PREFIX}{name.upper()}`" in README


@pytest.mark.parametrize("command", ["make run", "make test"])
def test_the_two_commands_come_first(command: str) -> None:
    assert README.index(command) < README.index("## Personas")
