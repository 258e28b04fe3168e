"""A state file that cannot be written: the change is refused (503) and undone in memory, so
nothing acknowledged is ever lost; health says so until a save succeeds again.

On a real full disk (a 1 MiB tmpfs, where the tests may mount one), and, everywhere, in
process with the write made to fail.
"""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apitools import snapshot
from conftest import PINNED_NOW, RunningServer, auth, make_app, start_server
from hostility import ADMIN, JSON, ask, json_of

from mockserver.data import state_file

ASSIGN = {"calltrackings": [1], "operations": [
    {"op": "replace", "path": "/assignment/user", "value": 5}]}


def no_space(path: Path, content: bytes) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_save_refuses_and_undoes_every_kind_of_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(state_file=tmp_path / "state.json")
    client = app.test_client()
    before = snapshot(app, counter=False)
    on_disk = (tmp_path / "state.json").read_bytes()
    monkeypatch.setattr(state_file, "write_atomically", no_space)
    attempts = [
        client.patch("/calltrackings", json=ASSIGN, headers=auth()),
        client.delete("/calltrackings/2", headers=auth()),
        client.delete("/calltrackings", json={"calltrackings": [3, 4]}, headers=auth()),
        client.post("/__mock/reset", json={"seed": 7, "count": 30}),
        client.put("/__mock/state", json=json.loads(on_disk)),
    ]
    for response in attempts:
        assert response.status_code == 503, response.get_json()
        assert response.headers["Retry-After"] == "5"
        assert response.get_json() == {
            "code": 503, "message": "The change could not be saved to the state file (No "
                                    "space left on device); nothing was changed."}
    assert snapshot(app, counter=False) == before
    assert list_ids(client) == list_ids(make_app().test_client())  # the index was put back
    assert (tmp_path / "state.json").read_bytes() == on_disk
    health = client.get("/__mock/health").get_json()
    assert (health["status"], health["state_file"]) == (
        "degraded", {"saving": "failing", "error": "[Errno 28] No space left on device"})
    monkeypatch.undo()
    assert client.patch("/calltrackings", json=ASSIGN, headers=auth()).status_code == 200
    health = client.get("/__mock/health").get_json()
    assert (health["status"], health["state_file"]) == ("ok", {"saving": "ok", "error": None})


def list_ids(client: Any) -> list[int]:
    body = client.get("/calltrackings?per_page=500&sort=user", headers=auth()).get_json()
    return [ct["id"] for ct in body["call_trackings"]]


@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A 1 MiB tmpfs, or a skip where the tests cannot mount one (not root, no tmpfs)."""
    mount = Path(tempfile.mkdtemp())
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip("a tmpfs cannot be mounted here; the in-process test covers the logic")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)
        mount.rmdir()


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def serve(state: Path) -> RunningServer:
    return start_server("--now", PINNED_NOW, "--state-file", str(state))


def test_a_full_disk_loses_nothing_acknowledged(tiny_disk: Path) -> None:
    state = tiny_disk / "state.json"
    server = serve(state)
    try:
        filler = fill(tiny_disk)
        refused = [ask(server.url, "PATCH", "/calltrackings", {**ADMIN, **JSON},
                       json.dumps(ASSIGN).encode()),
                   ask(server.url, "DELETE", "/calltrackings/2", ADMIN)]
        assert [a.status for a in refused] == [503, 503]
        assert json_of(ask(server.url, "GET", "/__mock/health"))["status"] == "degraded"
        listed = json_of(ask(server.url, "GET", "/calltrackings?per_page=2", ADMIN))
        assert [(ct["id"], ct["user"]) for ct in listed["call_trackings"]] == [
            (1, {"id": 1}), (2, {"id": 2})]  # memory kept nothing it did not save
        filler.unlink()
        accepted = ask(server.url, "PATCH", "/calltrackings", {**ADMIN, **JSON},
                       json.dumps(ASSIGN).encode())
        assert accepted.status == 200
    finally:
        assert server.stop() == 0
    again = serve(state)
    try:
        listed = json_of(ask(again.url, "GET", "/calltrackings?per_page=2", ADMIN))
        assert [(ct["id"], ct["user"]) for ct in listed["call_trackings"]] == [
            (1, {"id": 5}), (2, {"id": 2})]  # the acknowledged change, and only it
    finally:
        again.stop()
    assert shutil.disk_usage(tiny_disk).free > 0
