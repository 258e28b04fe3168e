"""--state-file over real processes: saved on every change, atomically (a kill -9 in a burst
of writes leaves a whole, consistent state), loaded at start, saved on SIGTERM."""

from __future__ import annotations

import copy
import http.client
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from conftest import PINNED_NOW, RunningServer, make_app, start_server
from helpers import Api, wait_until

from mockserver.core.clock import Clock
from mockserver.core.spec import Spec
from mockserver.data.fixtures import load_fixtures
from mockserver.data.snapshots import StateError, export_state, import_state
from mockserver.settings import default_fixtures_dir

State = dict[str, Any]


def serve(path: Path, *args: str) -> RunningServer:
    return start_server("--now", PINNED_NOW, "--state-file", str(path), *args)


def read_state(path: Path) -> State:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_state_file_follows_every_change_of_the_default_session(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    server = serve(path)
    try:
        api = Api(server.url)
        baseline = api.state()
        assert read_state(path) == baseline  # written at start: the path is known to work
        unseen = next(r["id"] for r in baseline["call_trackings"] if not r["marked_as_seen"])
        assert api.mark_seen([unseen]).status_code == 200
        assert read_state(path) == api.state() != baseline  # on disk before the answer
        assert api.delete("/calltrackings/1").status_code == 204
        assert read_state(path) == api.state()
        saved = read_state(path)
        named = Api(server.url, session="scratch")
        assert named.delete("/calltrackings/2").status_code == 204
        assert named.post("/__mock/reset", json={"count": 10}).status_code == 200
        assert read_state(path) == saved  # named sessions are scratch space, never saved
        assert api.post("/__mock/reset", json={}).status_code == 200
        assert read_state(path) == baseline
        assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    finally:
        server.stop()


def test_sigterm_finishes_in_flight_requests_saves_and_restarts_with_nothing_lost(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    server = serve(path)
    api = Api(server.url)
    state = api.state()
    imported = copy.deepcopy(state)
    imported["call_trackings"] = imported["call_trackings"][:100]
    assert api.put("/__mock/state", json=imported).status_code == 200
    assert api.delete("/calltrackings/3").status_code == 204
    target = next(r["id"] for r in api.state()["call_trackings"] if not r["marked_as_seen"])

    # a slow change in flight when SIGTERM arrives
    url = urlsplit(server.url)
    slow = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    body = json.dumps({"calltrackings": [target], "operations": [
        {"op": "replace", "path": "/seen", "value": True}]})
    slow.request("PATCH", "/calltrackings", body=body, headers={
        "Authorization": "Bearer admin-token", "Content-Type": "application/json",
        "Prefer": "delay=3000"})
    # the server read the slow request before it answered this later one: it is in flight
    assert requests.get(f"{server.url}/__mock/health", timeout=10).status_code == 200
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    answer = slow.getresponse()
    assert answer.status == 200
    assert time.monotonic() - signalled < 2.0  # the 3 s delay was cut short by the stop
    assert json.loads(answer.read())["call_trackings"][0]["marked_as_seen"] is True
    assert server.process.wait(timeout=15) == 0
    assert f"state saved to {path}" in server.log()

    restarted = serve(path)
    try:
        again = Api(restarted.url)
        after = again.state()
        assert after == read_state(path)
        assert len(after["call_trackings"]) == 99
        assert again.record(3) is None
        record = again.record(target)
        assert record is not None and record["marked_as_seen"] is True
        assert f"state loaded from {path}" in restarted.log()
    finally:
        restarted.stop()


# --- kill -9 during a burst of writes -------------------------------------------------------


def planned_changes(state: State, count: int) -> list[tuple[str, int]]:
    """Alternate marking an unseen call as seen and deleting a call, never the same id."""
    unseen = [r["id"] for r in state["call_trackings"] if not r["marked_as_seen"]]
    seen = [r["id"] for r in state["call_trackings"] if r["marked_as_seen"]]
    count = min(count, 2 * min(len(unseen), len(seen)))
    return [("seen", unseen[i // 2]) if i % 2 == 0 else ("delete", seen[i // 2])
            for i in range(count)]


def state_after(state: State, changes: list[tuple[str, int]]) -> State:
    """The state the server must hold after ``changes``, computed here independently."""
    after = copy.deepcopy(state)
    records = {r["id"]: r for r in after["call_trackings"]}
    for kind, record_id in changes:
        if kind == "seen":
            records[record_id]["marked_as_seen"] = True
            records[record_id]["updated_at"] = PINNED_NOW
        else:
            del records[record_id]
    after["call_trackings"] = [r for r in after["call_trackings"] if r["id"] in records]
    return after


def apply(api: Api, kind: str, record_id: int) -> int:
    if kind == "seen":
        return api.mark_seen([record_id]).status_code
    return api.delete(f"/calltrackings/{record_id}").status_code


def burst_then_kill(path: Path, kill_after: int) -> tuple[State, list[tuple[str, int]], int]:
    """Start on ``path``, write in a burst, SIGKILL mid-burst; return what was acknowledged.

    Meanwhile another thread reads the file each time it is replaced: every version must
    be whole and be the state after some prefix of the changes, moving only forward.
    """
    server = serve(path, "--count", "150")
    api = Api(server.url)
    start = api.state()
    changes = planned_changes(start, 80)
    assert len(changes) > kill_after + 10
    acknowledged = 0
    versions: list[State] = []
    stop_reading = threading.Event()

    def write() -> None:
        nonlocal acknowledged
        for kind, record_id in changes:
            try:
                status = apply(api, kind, record_id)
            except requests.RequestException:  # killed before or while answering
                return
            assert status in (200, 204)
            acknowledged += 1

    def watch() -> None:
        last_inode = -1
        while not stop_reading.wait(0.001):  # poll the file often, yielding to the writer
            inode = path.stat().st_ino  # os.replace gives every version a new inode
            if inode != last_inode:
                last_inode = inode
                versions.append(json.loads(path.read_text(encoding="utf-8")))

    writer, reader = threading.Thread(target=write), threading.Thread(target=watch)
    writer.start()
    reader.start()
    wait_until(lambda: acknowledged >= kill_after, what=f"{kill_after} acknowledged writes")
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    writer.join(timeout=30)
    stop_reading.set()
    reader.join(timeout=30)
    assert len(versions) > 1
    position = 0
    for version in versions:  # each seen version is the state after 0, 1, 2, ... changes
        while version != state_after(start, changes[:position]):
            position += 1
            assert position <= acknowledged + 1, "a version on disk matches no state"
    return start, changes, acknowledged


@pytest.mark.parametrize("rounds", [(12,)])
def test_kill_9_during_a_burst_leaves_a_whole_consistent_state(
    tmp_path: Path, rounds: tuple[int, ...]
) -> None:
    path = tmp_path / "state.json"
    spec = Spec.load()
    personas = load_fixtures(default_fixtures_dir(), spec, Clock(PINNED_NOW).started).personas
    for kill_after in rounds:
        start, changes, acknowledged = burst_then_kill(path, kill_after)
        on_disk = read_state(path)  # parses: never a torn file
        # every acknowledged change is there; the one in flight may be too
        candidates = [state_after(start, changes[:n]) for n in (acknowledged, acknowledged + 1)]
        assert on_disk in candidates
        import_state(on_disk, spec, personas, str(path))  # valid, record by record
    restarted = serve(path)
    try:
        assert Api(restarted.url).state() == read_state(path)
        assert list(tmp_path.iterdir()) == [path]  # leftovers of killed writes are removed
    finally:
        restarted.stop()


# --- bad files ------------------------------------------------------------------------------


def good_state() -> State:
    """The state a fresh server with the default options holds, computed in process."""
    return export_state(make_app().extensions["mockserver"]["store"].session().data)


def test_a_bad_state_file_stops_the_server_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = good_state()
    state["call_trackings"][3]["status"] = "hung-up"
    path.write_text(json.dumps(state), encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(RuntimeError) as failure:
        serve(path)
    text = str(failure.value)
    assert "server exited with 2" in text
    assert (f" ERROR invalid state file: {path}: call_trackings[3] (id 4): status: "
            "'hung-up' is not one of ['notanswered', 'answered', 'canceled', 'voicemail']"
            in text)
    assert path.read_bytes() == before  # a bad file is left for its owner to fix


def dangling_lead(path: Path) -> None:
    state = good_state()
    state["call_trackings"][0]["lead"] = {"id": 424242}
    path.write_text(json.dumps(state), encoding="utf-8")


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: p.write_text('{"users": [', encoding="utf-8"),
         "not valid JSON: Expecting value at line 1 column 12"),
        (lambda p: p.write_text("[]", encoding="utf-8"), "must be a JSON object of collections"),
        (lambda p: p.write_bytes(b"\xff\xfe"), "cannot be read"),
        (dangling_lead, "call_trackings[0] (id 1): lead: no lead with id 424242"),
    ],
)
def test_bad_state_files_are_refused_naming_the_problem(
    tmp_path: Path, write: Any, message: str
) -> None:
    path = tmp_path / "state.json"
    write(path)
    with pytest.raises(StateError) as failure:
        make_app(state_file=path)
    assert str(failure.value).startswith(f"{path}: ")
    assert message in str(failure.value)


def test_an_unusable_state_path_stops_the_server(tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "state.json"
    with pytest.raises(RuntimeError) as failure:
        serve(path)
    assert " ERROR cannot use the state file: " in str(failure.value)
    assert str(tmp_path / "missing-dir") in str(failure.value)
