"""Isolated sessions over real HTTP: private data per X-Mock-Session, bounded in number and
idle time, names checked; and the store's eviction order with a controlled clock."""

from __future__ import annotations

import pytest
from conftest import PINNED_NOW, RunningServer, start_server
from helpers import Api, wait_until

from mockserver.core.clock import Clock
from mockserver.core.dataset import Dataset
from mockserver.core.errors import BadRequest, ServiceUnavailable
from mockserver.core.query_index import Change
from mockserver.core.spec import Spec
from mockserver.data.fixtures import load_fixtures
from mockserver.data.seed import generate
from mockserver.sandbox.sessions import DEFAULT_SESSION, Store, session_name
from mockserver.settings import Settings, default_fixtures_dir
from mockserver.web.app import create_app


def seen_of(api: Api, record_id: int) -> bool:
    record = api.record(record_id)
    assert record is not None
    return bool(record["marked_as_seen"])


def an_unseen_id(api: Api) -> int:
    return int(next(r["id"] for r in api.state()["call_trackings"] if not r["marked_as_seen"]))


def test_two_sessions_change_data_without_seeing_each_other(
    sandbox: RunningServer, session_name: str
) -> None:
    alice = Api(sandbox.url, session=f"{session_name}-alice")
    bob = Api(sandbox.url, session=f"{session_name}-bob")
    default = Api(sandbox.url)
    baseline = alice.state()
    assert bob.state() == baseline
    target = next(r for r in baseline["call_trackings"] if not r["marked_as_seen"])["id"]
    deleted = baseline["call_trackings"][-1]["id"]

    assert alice.mark_seen([target]).status_code == 200
    assert bob.delete(f"/calltrackings/{deleted}").status_code == 204

    assert seen_of(alice, target) is True
    assert seen_of(bob, target) is False
    assert alice.record(deleted) is not None
    assert bob.record(deleted) is None
    listed = bob.get("/calltrackings", params={"per_page": 500}).json()
    assert deleted not in [r["id"] for r in listed["call_trackings"]]
    assert listed["count"] == len(baseline["call_trackings"]) - 1
    # the default session saw neither change
    assert seen_of(default, target) is False
    assert default.record(deleted) is not None


def test_recording_urls_name_the_session(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    body = api.get("/calltrackings/1/recording").json()
    assert body == {"recording": {"url": f"{sandbox.url}/__mock/recordings/1.mp3"
                                          f"?session={session_name}"}}
    default = Api(sandbox.url).get("/calltrackings/1/recording").json()
    assert default == {"recording": {"url": f"{sandbox.url}/__mock/recordings/1.mp3"}}


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("has space", "space"),
        ("x" * 65, "65 characters"),
        ("", "empty"),
        (".hidden", "leading dot"),
        ("-dash", "leading dash"),
        ("a/b", "slash"),
        ("caf%C3%A9", "percent sign"),
    ],
)
def test_bad_session_names_get_400(sandbox: RunningServer, value: str, why: str) -> None:
    for path in ("/calltrackings", "/__mock/state", "/__mock/health"):
        response = Api(sandbox.url, **{"X-Mock-Session": value}).get(path)
        assert response.status_code == 400, (why, path, response.text)
        body = response.json()
        assert body["code"] == 400
        assert [(e["in"], e["name"]) for e in body["errors"]] == [("header", "X-Mock-Session")]


@pytest.mark.parametrize("value", ["a", "A-1.b_c", "x" * 64, "0"])
def test_good_session_names_work(sandbox: RunningServer, value: str) -> None:
    response = Api(sandbox.url, session=value).get("/__mock/health")
    assert response.status_code == 200
    assert response.json()["session"] == value


def test_session_limit_evicts_the_least_recently_used(small_server: RunningServer) -> None:
    url = small_server.url
    first, second, third = (Api(url, session=n) for n in ("first", "second", "third"))
    target = an_unseen_id(Api(url))
    assert first.mark_seen([target]).status_code == 200
    assert second.mark_seen([target]).status_code == 200
    assert first.get("/calltrackings?per_page=1").status_code == 200
    assert Api(url).get("/__mock/health").json()["sessions"] == {"count": 3, "max_named": 2}
    # "first" was used last, so the third session pushes out "second" (a health check
    # neither makes a session nor counts as using one: it takes an API request)
    assert third.get("/__mock/health").json()["session_exists"] is False
    assert third.get("/calltrackings?per_page=1").status_code == 200
    health = Api(url).get("/__mock/health").json()
    assert health["sessions"] == {"count": 3, "max_named": 2}
    assert seen_of(first, target) is True  # kept
    assert seen_of(second, target) is False  # evicted, so recreated from the baseline


def test_idle_sessions_expire() -> None:
    server = start_server("--now", PINNED_NOW, "--session-idle-seconds", "0.6")
    try:
        idle = Api(server.url, session="idle")
        default = Api(server.url)
        target = an_unseen_id(default)
        assert idle.mark_seen([target]).status_code == 200
        assert default.get("/__mock/health").json()["sessions"]["count"] == 2

        def expired() -> bool:  # asks through the default session, which never expires
            return bool(default.get("/__mock/health").json()["sessions"]["count"] == 1)

        wait_until(expired, what="the idle session to expire")
        assert seen_of(idle, target) is False  # a new session from the baseline
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-sessions", "0"],
         "--max-sessions / MOCKSERVER_MAX_SESSIONS: 0 is below the minimum 1"),
        (["--session-idle-seconds", "0"],
         "--session-idle-seconds / MOCKSERVER_SESSION_IDLE_SECONDS: "
         "0.0 is below the minimum 0.001"),
        (["--journal-size", "0"],
         "--journal-size / MOCKSERVER_JOURNAL_SIZE: 0 is below the minimum 1"),
        (["--max-delay-ms", "-1"],
         "--max-delay-ms / MOCKSERVER_MAX_DELAY_MS: -1 is below the minimum 0"),
    ],
)
def test_bad_limits_stop_the_server(args: list[str], message: str) -> None:
    with pytest.raises(RuntimeError) as failure:
        start_server(*args)
    assert "server exited with 2" in str(failure.value)
    assert message in str(failure.value)


# --- the store, with a clock the test controls ----------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_store_evicts_oldest_idle_first_and_never_the_default() -> None:
    clock = FakeClock()
    store = Store(Dataset(), max_sessions=2, idle_seconds=100, clock=clock)
    a = store.session("a")
    clock.now = 1
    store.session("b")
    clock.now = 2
    store.session("a")  # "b" is now the oldest idle
    clock.now = 3
    store.session("c")
    assert store.names() == [DEFAULT_SESSION, "a", "c"]
    assert store.session("a") is a


def test_store_expires_idle_sessions_but_not_the_default() -> None:
    clock = FakeClock()
    store = Store(Dataset(), max_sessions=5, idle_seconds=10, clock=clock)
    store.session("old")
    clock.now = 5
    store.session("young")
    clock.now = 10.5  # "old" idle 10.5 s, "young" 5.5 s
    store.session()
    assert store.names() == ["young", DEFAULT_SESSION]
    clock.now = 1000
    assert store.find("young") is not None  # find() neither creates nor expires
    store.session()
    assert store.names() == [DEFAULT_SESSION]


@pytest.mark.parametrize(("value", "expected"), [(None, DEFAULT_SESSION), ("qa-7", "qa-7")])
def test_session_name_of_header(value: str | None, expected: str) -> None:
    assert session_name(value) == expected


def test_session_name_error_names_the_parameter() -> None:
    with pytest.raises(BadRequest) as failure:
        session_name("a b", "query", "session")
    assert failure.value.body()["errors"][0]["in"] == "query"
    assert failure.value.body()["errors"][0]["name"] == "session"


def seeded_store(count: int = 60) -> Store:
    return Store(generate(5, count, load_fixtures(default_fixtures_dir(), Spec.load(),
                                                  Clock(PINNED_NOW).started),
                          now=Clock(PINNED_NOW).started, history_days=730))


def test_sessions_share_the_baseline_until_one_writes() -> None:
    store = seeded_store()
    sessions = [store.session(f"qa-{i}") for i in range(50)]
    assert all(s.data is store.baseline for s in sessions)
    assert all(s.shares is store.shared_baseline for s in [store.session(), *sessions])
    before = dict(store.baseline.call_trackings)
    writer = sessions[7]
    records = writer.writable().call_trackings
    first = min(records)
    del records[first]
    store.notify(writer, Change(deleted=frozenset({first}), before={first: before[first]}))
    assert first not in writer.data.call_trackings
    assert store.baseline.call_trackings == before
    assert all(s.data is store.baseline for s in sessions if s is not writer)
    assert first in store.session("qa-new").data.call_trackings


def test_a_reset_to_the_baseline_shares_it_again_and_a_refused_one_changes_nothing() -> None:
    store = seeded_store()
    session = store.session("qa")
    session.writable()
    own = session.data
    store.replace(session, None)
    assert session.data is store.baseline and session.shares is store.shared_baseline

    def refuse(_: object) -> None:
        raise ServiceUnavailable("the disk is full")

    store.on_change = refuse
    other = Dataset(users=dict(store.baseline.users))
    with pytest.raises(ServiceUnavailable):
        store.replace(session, other)
    assert session.shares is store.shared_baseline  # still sharing, as before the attempt
    session.own(own)
    with pytest.raises(ServiceUnavailable):
        store.replace(session, None)
    assert session.data is own and session.shares is None


def test_a_dry_run_of_a_write_leaves_the_session_sharing_the_baseline() -> None:
    app = create_app(Settings(now=PINNED_NOW))
    store = app.extensions["mockserver"]["store"]
    client = app.test_client()
    headers = {"Authorization": "Bearer admin-token", "X-Mock-Session": "dry",
               "Prefer": "code=200"}
    unseen = next(ct.id for ct in store.baseline.call_trackings.values() if not ct.marked_as_seen)
    response = client.patch("/calltrackings", headers=headers, json={
        "calltrackings": [unseen],
        "operations": [{"op": "replace", "path": "/seen", "value": True}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["call_trackings"][0]["marked_as_seen"] is True
    session = store.find("dry")
    assert session.data is store.baseline and session.shares is store.shared_baseline
    assert store.baseline.call_trackings[unseen].marked_as_seen is False


def test_warming_up_builds_the_shared_default_order_once_for_every_session() -> None:
    store = seeded_store()
    store.warm_up().join(timeout=60)
    built = store.shared_baseline.call_tracking_index().order("id")
    assert [ct.id for ct in built.items] == sorted(store.baseline.call_trackings)
    assert store.session("qa").call_tracking_index().order("id") is built
