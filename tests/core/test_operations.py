"""The operations on bare data: no session, no store, no web server, only an
``IndexedDataset`` and a ``notify`` callback that hears exactly the change each write made.

Fixture facts (fixtures/records.yaml): call trackings 1-20; the admin (user 1) owns 1, 12,
13 and 19; call 1 has a recording, call 12 none.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.core.access import Persona
from mockserver.core.clock import Clock
from mockserver.core.errors import NotFound
from mockserver.core.indexed_dataset import IndexedDataset
from mockserver.core.operations import HANDLERS, Call, Reply
from mockserver.core.query_index import Change
from mockserver.core.spec import Spec
from mockserver.data.fixtures import Fixtures, load_fixtures
from mockserver.data.seed import generate
from mockserver.settings import default_fixtures_dir

NOW = "2025-06-01T12:00:00+04:00"
BASE = "http://mock.test/"


@pytest.fixture(scope="module")
def fixtures() -> Fixtures:
    return load_fixtures(default_fixtures_dir(), Spec.load(), Clock(NOW).started)


@pytest.fixture
def records(fixtures: Fixtures) -> IndexedDataset:
    return IndexedDataset(generate(42, 40, fixtures, now=Clock(NOW).started, history_days=730))


@pytest.fixture(scope="module")
def admin(fixtures: Fixtures) -> Persona:
    return next(p for p in fixtures.personas if p.name == "admin")


def run(records: IndexedDataset, persona: Persona, operation_id: str, heard: list[Change],
        link_session: str | None = None, **parts: Any) -> Reply:
    def notify(change: Change) -> None:
        heard.append(change)
        records.changed(change)

    call = Call(operation_id, persona, records, notify, Clock(NOW), BASE, link_session, **parts)
    return HANDLERS[operation_id](call)


def test_a_bulk_update_reports_the_records_it_changed_and_the_index_moves_them(
    records: IndexedDataset, admin: Persona
) -> None:
    index = records.call_tracking_index()
    heard: list[Change] = []
    body = {"calltrackings": [1, 12],
            "operations": [{"op": "replace", "path": "/assignment/user", "value": 2}]}
    reply = run(records, admin, "bulkUpdateCallTrackings", heard, body=body)
    assert reply.status == 200
    assert [(ct["id"], ct["user"]) for ct in reply.body["call_trackings"]] == [
        (1, {"id": 2}), (12, {"id": 2})]
    assert heard == [Change(changed=frozenset({1, 12}))]
    assert (records.data.call_trackings[1].updated_at,
            records.data.call_trackings[12].updated_at) == (NOW, NOW)
    assert records.version == 1
    assert records.call_tracking_index() is index  # moved, not rebuilt
    listed = run(records, admin, "listCallTrackings", heard,
                 query={"filters[user_id]": 2, "per_page": 500})
    assert {1, 12} <= {ct["id"] for ct in listed.body["call_trackings"]}


def test_an_update_that_changes_nothing_reports_nothing(
    records: IndexedDataset, admin: Persona
) -> None:
    heard: list[Change] = []
    body = {"calltrackings": [1],
            "operations": [{"op": "replace", "path": "/assignment/user", "value": 1}]}
    assert run(records, admin, "bulkUpdateCallTrackings", heard, body=body).status == 200
    assert heard == []
    assert records.version == 0


def test_a_refused_delete_changes_and_reports_nothing(
    records: IndexedDataset, admin: Persona
) -> None:
    heard: list[Change] = []
    before = sorted(records.data.call_trackings)
    with pytest.raises(NotFound) as refused:
        run(records, admin, "bulkDeleteCallTrackings", heard, body={"calltrackings": [1, 99_999]})
    assert [p.reason for p in refused.value.problems] == ["no call tracking with id 99999"]
    assert (sorted(records.data.call_trackings), heard, records.version) == (before, [], 0)
    assert run(records, admin, "deleteCallTracking", heard, path={"id": 13}).status == 204
    assert heard == [Change(deleted=frozenset({13}))]
    assert 13 not in records.data.call_trackings


@pytest.mark.parametrize(("link_session", "url"), [
    (None, "http://mock.test/__mock/recordings/1.mp3"),
    ("qa-1", "http://mock.test/__mock/recordings/1.mp3?session=qa-1"),
])
def test_recording_urls_name_the_session_they_are_given(
    records: IndexedDataset, admin: Persona, link_session: str | None, url: str
) -> None:
    reply = run(records, admin, "getCallTrackingRecording", [], link_session, path={"id": 1})
    assert reply.body == {"recording": {"url": url}}
