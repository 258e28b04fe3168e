"""Recordings over real HTTP: the URLs the API hands out play a real MP3, with Range."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from conftest import RunningServer
from helpers import Api, parse_mp3

FILES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "recordings")
               .glob("*.mp3"))


def expected_file(record_id: int) -> bytes:
    return FILES[(record_id - 1) % len(FILES)].read_bytes()


def test_shipped_recordings_are_valid_mp3() -> None:
    assert [f.name for f in FILES] == ["call-1.mp3", "call-2.mp3", "call-3.mp3"]
    for file in FILES:
        info = parse_mp3(file.read_bytes())
        assert (info.sample_rate, info.channels, info.bitrates) == (22050, 1, {32000})
        assert 4.0 < info.duration < 5.5


def test_download_urls_play_an_mp3(sandbox: RunningServer) -> None:
    api = Api(sandbox.url)
    listed = api.get("/calltrackings", params={"filters[status]": "answered",
                                                "per_page": 6}).json()["call_trackings"]
    assert len(listed) == 6
    bodies = set()
    for record in listed:
        url = record["download_url"]
        assert url == f"{sandbox.url}/__mock/recordings/{record['id']}.mp3"
        response = requests.get(url, timeout=10)  # no token: an <audio> element sends none
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "audio/mpeg"
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.content == expected_file(record["id"])
        assert parse_mp3(response.content).duration > 4.0
        bodies.add(response.content)
    assert len(bodies) == 3  # calls share the three files


def test_recording_endpoint_points_at_a_playable_file(sandbox: RunningServer) -> None:
    url = Api(sandbox.url).get("/calltrackings/2/recording").json()["recording"]["url"]
    response = requests.get(url, timeout=10)
    assert (response.status_code, response.content) == (200, expected_file(2))


@pytest.mark.parametrize(
    ("range_header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, None),
        ("bytes=-500", -500, None),
        ("bytes=1000-1999", 1000, 1999),
    ],
)
def test_range_requests_get_206(
    sandbox: RunningServer, range_header: str, first: int, last: int | None
) -> None:
    whole = expected_file(1)
    size = len(whole)
    response = requests.get(f"{sandbox.url}/__mock/recordings/1.mp3",
                            headers={"Range": range_header}, timeout=10)
    assert response.status_code == 206
    start = first if first >= 0 else size + first
    end = size - 1 if last is None else last
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert response.headers["Content-Length"] == str(end - start + 1)
    assert response.content == whole[start:end + 1]


def test_unsatisfiable_range_gets_416(sandbox: RunningServer) -> None:
    size = len(expected_file(1))
    response = requests.get(f"{sandbox.url}/__mock/recordings/1.mp3",
                            headers={"Range": f"bytes={size}-"}, timeout=10)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{size}"
    assert response.json()["code"] == 416


def with_recording(api: Api) -> list[int]:
    return [r["id"] for r in api.state()["call_trackings"] if r["download_url"]]


def test_head_gives_the_size_without_the_body(sandbox: RunningServer) -> None:
    record_id = with_recording(Api(sandbox.url))[2]
    response = requests.head(f"{sandbox.url}/__mock/recordings/{record_id}.mp3", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(expected_file(record_id)))
    assert response.content == b""


def test_no_recording_for_unknown_ids_or_unanswered_calls(sandbox: RunningServer) -> None:
    state = Api(sandbox.url).state()
    silent = next(r["id"] for r in state["call_trackings"] if r["download_url"] is None)
    for record_id, reason in [(999999, "no call tracking with id 999999"),
                              (silent, f"call tracking {silent} has no recording")]:
        response = requests.get(f"{sandbox.url}/__mock/recordings/{record_id}.mp3", timeout=10)
        assert response.status_code == 404
        assert response.json()["errors"] == [{"in": "path", "name": "id", "reason": reason}]
    bad = requests.get(f"{sandbox.url}/__mock/recordings/abc.mp3", timeout=10)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["name"] == "id"


def test_recordings_follow_the_session(sandbox: RunningServer, session_name: str) -> None:
    api = Api(sandbox.url, session=session_name)
    record_id = with_recording(api)[1]
    url = api.get(f"/calltrackings/{record_id}/recording").json()["recording"]["url"]
    assert url.endswith(f"/__mock/recordings/{record_id}.mp3?session={session_name}")
    assert requests.get(url, timeout=10).status_code == 200
    assert api.delete(f"/calltrackings/{record_id}").status_code == 204
    gone = requests.get(url, timeout=10)  # the session's copy no longer has call 4
    assert gone.status_code == 404
    # the header names the session too; other sessions still have the call
    path = f"{sandbox.url}/__mock/recordings/{record_id}.mp3"
    by_header = requests.get(path, headers={"X-Mock-Session": session_name}, timeout=10)
    assert by_header.status_code == 404
    assert requests.get(path, timeout=10).status_code == 200
    bad = requests.get(f"{path}?session=a%20b", timeout=10)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["in"] == "query"
