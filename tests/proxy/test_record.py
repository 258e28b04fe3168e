"""``mockserver proxy --record``: the traffic's call trackings become fixtures that
``mockserver serve --fixtures`` loads: ids, statuses, dates and relations as seen, no
personal data left, byte-identical for the same traffic."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from conftest import PINNED_NOW, RunningServer, serving
from test_proxy import ADMIN, proxy

from mockserver.proxy.anonymise import Anonymiser

EXPAND = {**ADMIN, "X-MyCRM-Expand-Data": "true"}


@pytest.fixture(scope="module")
def mock() -> Iterator[RunningServer]:
    with serving("--now", PINNED_NOW, "--count", "120") as server:
        yield server


def listed(url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every call tracking, page by page, as the API lists them."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = requests.get(f"{url}/calltrackings", headers=headers, timeout=30,
                            params={"page": page, "per_page": 50, "sort": "id"}).json()
        items += body["call_trackings"]
        if len(items) >= body["count"]:
            return items
        page += 1


def record(mock_url: str, directory: Path, headers: dict[str, str]) -> list[dict[str, Any]]:
    with proxy(mock_url, "--record", str(directory)) as p:
        seen = listed(p.url, headers)
    assert p.returncode == 0, p.summary
    assert (f"Recorded {len(seen)} call tracking(s) into {directory}; they load as fixtures"
            in p.summary), p.summary
    return seen


def strings(node: Any) -> set[str]:
    if isinstance(node, dict):
        return {s for v in node.values() for s in strings(v)}
    if isinstance(node, list):
        return {s for v in node for s in strings(v)}
    return {node} if isinstance(node, str) else set()


def test_recorded_traffic_is_served_by_the_mock_as_seen_without_personal_data(
        mock: RunningServer, tmp_path: Path) -> None:
    seen = record(mock.url, tmp_path / "rec", EXPAND)
    files = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "rec").iterdir()}
    assert sorted(files) == ["personas.yaml", "records.yaml"]

    # no personal value of what went through the proxy is anywhere in the files
    personal = {ct["phone"] for ct in seen}
    for ct in seen:
        people = [(ct["user"] or {}).get("public") or {}, ct["lead"] or {}]
        personal |= {p[k] for p in people for k in ("first_name", "middle_name", "last_name",
                                                    "email", "mobile", "phone") if p.get(k)}
    assert len(personal) > 100
    recorded = strings(yaml.safe_load(files["records.yaml"])) | strings(
        yaml.safe_load(files["personas.yaml"]))
    assert personal & recorded == set()
    for text in files.values():
        assert [phone for phone in {ct["phone"] for ct in seen} if phone in text] == []

    # served by the mock: the same ids, statuses, dates and relations
    with serving("--now", PINNED_NOW, "--fixtures", str(tmp_path / "rec"),
                 "--count", "0") as replay:
        served = listed(replay.url, ADMIN)
        recording = next(ct for ct in served if ct["download_url"])
        audio = requests.get(recording["download_url"], timeout=30)
    assert audio.status_code == 200 and audio.headers["Content-Type"] == "audio/mpeg"

    def shape(ct: dict[str, Any]) -> tuple[Any, ...]:
        return (ct["id"], ct["status"], ct["call_start"], ct["call_end"], ct["created_at"],
                *((ct[r] or {}).get("id") for r in ("user", "lead", "property")),
                bool(ct["download_url"]))

    assert [shape(ct) for ct in served] == [shape(ct) for ct in seen]
    by_id = {ct["id"]: ct for ct in served}
    for original in seen:
        fake = by_id[original["id"]]["phone"]
        assert fake != original["phone"]
        assert re.sub(r"\d", "9", fake) == re.sub(r"\d", "9", original["phone"])  # format kept
        assert fake.split(" ")[0] == original["phone"].split(" ")[0]  # the country code too


def test_the_same_original_gives_the_same_fake_and_the_same_traffic_the_same_files(
        mock: RunningServer, tmp_path: Path) -> None:
    record(mock.url, tmp_path / "one", EXPAND)
    record(mock.url, tmp_path / "two", EXPAND)
    for name in ("personas.yaml", "records.yaml"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    fake = Anonymiser()
    assert fake.phone("+971 50 312 6645") == Anonymiser().phone("+971 50 312 6645")
    assert fake.phone("+971 50 312 6645") != fake.phone("+971 50 312 6646")
    assert fake.first_name("Layla") == fake.first_name("Layla") != "Layla"
    assert re.fullmatch(r"[a-z.]+\d\d@example\.com", fake.email("layla.haddad@dunes.example"))


def test_collapsed_relations_get_stand_ins_so_the_files_still_load(
        mock: RunningServer, tmp_path: Path) -> None:
    seen = record(mock.url, tmp_path / "flat", ADMIN)  # relations only as {"id": n}
    records = yaml.safe_load((tmp_path / "flat" / "records.yaml").read_text())
    personas = yaml.safe_load((tmp_path / "flat" / "personas.yaml").read_text())["personas"]
    users = {u["id"] for u in records["users"]} | {p["user"]["id"] for p in personas}
    assert {ct["user"]["id"] for ct in seen if ct["user"]} <= users
    assert [p["name"] for p in personas] == ["admin", "agent", "viewer", "norights"]
