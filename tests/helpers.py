"""Helpers for the tests that talk to a real server: a small HTTP client, an MP3 checker."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

TOKENS = {
    "admin": "admin-token",
    "agent": "agent-token",
    "viewer": "viewer-token",
    "norights": "norights-token",
}


class Api:
    """requests against one server, as one persona, in one session (or the default)."""

    def __init__(
        self, base_url: str, persona: str | None = "admin", session: str | None = None,
        **headers: str,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers)
        if persona is not None:
            self.headers["Authorization"] = f"Bearer {TOKENS[persona]}"
        if session is not None:
            self.headers["X-Mock-Session"] = session
        self.http = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.base_url + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # --- common calls -------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        response = self.get("/__mock/state")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def mark_seen(self, ids: list[int], seen: bool = True) -> requests.Response:
        body = {"calltrackings": ids, "operations": [{"op": "replace", "path": "/seen",
                                                      "value": seen}]}
        return self.patch("/calltrackings", json=body)

    def record(self, record_id: int) -> dict[str, Any] | None:
        """A call tracking as the state export has it, or None if it does not exist."""
        found = [r for r in self.state()["call_trackings"] if r["id"] == record_id]
        return found[0] if found else None


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll a condition until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


# --- MP3 -----------------------------------------------------------------------------------

# Bit rates (kbit/s) of Layer III by index, for MPEG-1 and for MPEG-2/2.5.
_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


@dataclass
class Mp3Info:
    frames: int
    sample_rate: int
    channels: int
    bitrates: set[int]
    duration: float


def parse_mp3(data: bytes) -> Mp3Info:
    """Walk every MPEG audio Layer III frame header from start to end of ``data``.

    Fails unless the file is an unbroken chain of valid frames (an ID3v2 tag before them
    and an ID3v1 tag after them are allowed): a truncated, padded or foreign file fails.
    """
    pos = 0
    if data[:3] == b"ID3":
        size = data[6:10]
        pos = 10 + ((size[0] << 21) | (size[1] << 14) | (size[2] << 7) | size[3])
    end = len(data) - 128 if data[-128:-125] == b"TAG" else len(data)
    frames, rates, bitrates, channels, samples = 0, set(), set(), set(), 0
    while pos < end:
        assert pos + 4 <= end, f"a truncated frame header at byte {pos}"
        header = int.from_bytes(data[pos:pos + 4], "big")
        assert header >> 21 == 0x7FF, f"no frame sync at byte {pos}"
        version = (header >> 19) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
        assert version != 1, f"reserved MPEG version at byte {pos}"
        assert (header >> 17) & 3 == 1, f"not Layer III at byte {pos}"
        bitrate_index, rate_index = (header >> 12) & 15, (header >> 10) & 3
        assert 0 < bitrate_index < 15 and rate_index < 3, f"bad header fields at byte {pos}"
        bitrate = _BITRATES[1 if version == 3 else 2][bitrate_index] * 1000
        rate = _SAMPLE_RATES[version][rate_index]
        padding = (header >> 9) & 1
        per_frame = 1152 if version == 3 else 576
        length = per_frame // 8 * bitrate // rate + padding
        pos += length
        frames += 1
        samples += per_frame
        rates.add(rate)
        bitrates.add(bitrate)
        channels.add(1 if (header >> 6) & 3 == 3 else 2)
    assert pos == end, f"the last frame runs {pos - end} bytes past the end"
    assert frames > 0 and len(rates) == 1 and len(channels) == 1
    rate = rates.pop()
    return Mp3Info(frames, rate, channels.pop(), bitrates, samples / rate)
