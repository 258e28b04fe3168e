"""The README documents every option of ``mockserver serve``, so it cannot fall behind."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import auth, make_app

from mockserver.contract.options import ContractOptions
from mockserver.settings import ENV_PREFIX, Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_every_option_and_variable_is_documented(name: str) -> None:
    assert f"`--{name.replace('_', '-')}`" in README
    assert f"`{ENV_PREFIX}{name.upper()}`" in README


CONTRACT = README[README.index("## Contract-testing a deployment"):]


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(ContractOptions)])
def test_every_contract_option_is_documented(name: str) -> None:
    assert f"`--{name.replace('_', '-')}" in CONTRACT


@pytest.mark.parametrize("command", ["make run", "make test"])
def test_the_two_commands_come_first(command: str) -> None:
    assert README.index(command) < README.index("## Personas")


EXAMPLES = README[README.index("## Examples"):README.index("## Data")]
DATE_VARIABLES = {  # what each variable of the examples is, in days before the mock's today
    "TODAY": ("$(TZ=Asia/Dubai date +%F)", 0),
    "WEEK_AGO": ("$(TZ=Asia/Dubai date -d '-7 days' +%F 2>/dev/null || "
                 "TZ=Asia/Dubai date -v-7d +%F)", 7),
}  # fmt: skip


def date_examples() -> list[str]:
    """The query strings of the examples that filter by date."""
    found = re.findall(r'"\$M(/calltrackings\?[^"]*filters\[date[^"]*)"', EXAMPLES)
    assert len(found) == 2, found
    return found


@pytest.mark.parametrize("now", ["2025-01-15T09:30:00+04:00", "2026-12-06T18:45:00+04:00",
                                 "2027-03-01T00:40:00+04:00"])  # a Wednesday, a Sunday, a Monday
def test_every_date_filter_of_the_examples_finds_records(now: str) -> None:
    for name, (command, _) in DATE_VARIABLES.items():
        assert f"\n{name}={command}" in EXAMPLES, name
    client = make_app(now=now).test_client()
    today = date.fromisoformat(now[:10])
    for target in date_examples():
        for name, (_, days_back) in DATE_VARIABLES.items():
            target = target.replace(f"${name}", (today - timedelta(days=days_back)).isoformat())
        response = client.get(target, headers=auth())
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["count"] > 0, (now, target)
