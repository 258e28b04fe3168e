"""The audio behind ``download_url``: a few shipped MP3 files, shared by the calls.

The seed stores each answered call's recording as ``/__mock/recordings/<id>.mp3``; the mock
serves such a path only for a call tracking of the caller's session that has a recording,
picking one of the shipped files by id, so the same call always plays the same audio.
"""

from __future__ import annotations

from pathlib import Path

from ..core.dataset import Dataset
from ..core.errors import NotFound, Problem

AUDIO_TYPE = "audio/mpeg"


def shipped_recordings(directory: Path) -> list[Path]:
    """The MP3 files in ``directory`` (the shipped ones), in a stable order."""
    files = sorted(directory.glob("*.mp3"))
    if not files:
        raise FileNotFoundError(f"no *.mp3 recordings in {directory}")
    return files


def recording_file(data: Dataset, record_id: int, files: list[Path]) -> Path:
    """The file to play for call tracking ``record_id``, or 404 if it has no recording."""
    ct = data.call_trackings.get(record_id)
    if ct is None:
        raise NotFound(
            f"No call tracking with id {record_id} in this session.",
            [Problem("path", "id", f"no call tracking with id {record_id}")],
        )
    if ct.download_url is None:
        raise NotFound(
            f"Call tracking {record_id} has no recording (status {ct.status}).",
            [Problem("path", "id", f"call tracking {record_id} has no recording")],
        )
    return files[(record_id - 1) % len(files)]
