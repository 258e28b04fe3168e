"""The state file: one dataset kept on disk between runs, written atomically.

A write goes to a temporary file in the same directory, flushed and fsync'ed, then renamed
over the old one, so a crash at any moment leaves the old or the new state on disk, never a
torn file. What to save and when is the sandbox's choice (``sandbox.persistence``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..core.access import Persona
from ..core.dataset import Dataset
from ..core.errors import Problem
from ..core.spec import Spec
from .snapshots import StateError, export_state, import_state


class StateFile:
    """Where one dataset lives between runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.failure: str | None = None  # why the last save failed; None once one succeeds

    def load(self, spec: Spec, personas: list[Persona]) -> Dataset | None:
        """The saved data, None if there is no file; ``StateError`` if it is not valid."""
        self._remove_leftovers()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            problem = Problem("body", "", str(exc))
            raise StateError(f"{self.path}: cannot be read: {exc}", problem) from exc
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno} column {exc.colno}"
            raise StateError(f"{self.path}: not valid JSON: {exc.msg} at {where}",
                             Problem("body", "", exc.msg)) from exc
        return import_state(document, spec, personas, str(self.path))

    def save(self, data: Dataset) -> None:
        """Replace the file with ``data`` atomically; the caller keeps ``data`` still meanwhile."""
        content = json.dumps(export_state(data), ensure_ascii=False, separators=(",", ":"))
        try:
            write_atomically(self.path, (content + "\n").encode("utf-8"))
        except OSError as exc:
            self.failure = str(exc)
            raise
        self.failure = None

    def _remove_leftovers(self) -> None:
        """Temporary files a killed process left behind; they never hold the current state."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` so that readers see the old or the new file, never a mix."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); platforms without directory fds skip it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
