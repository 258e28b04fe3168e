"""A session's data as one JSON document: export, checked import, and the state file.

The document holds the four collections in the API's own shapes (as fixture files do:
relations collapsed, no ``acl_rule``, recordings as the mock's relative paths), so the
contract's schemas check every record of an import, with the same code that checks the
fixtures. An import is all-or-nothing: the new data is built and checked aside, then
swapped in whole.

The state file is written atomically (a temporary file in the same directory, flushed and
fsync'ed, then renamed over the old one), so a crash at any moment leaves the old or the new
state on disk, never a torn file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from .access import Persona
from .dataset import Dataset
from .errors import BadRequest, Problem
from .fixtures import FixtureError, dataset_from_json, dataset_to_json
from .spec import Spec
from .store import DEFAULT_SESSION, Session

log = logging.getLogger("mockserver")
_LABEL = re.compile(r"^(\w+)\[(\d+)\]")


class StateError(ValueError):
    """A state document is not valid; ``problem`` says which record and field, and why."""

    def __init__(self, message: str, problem: Problem) -> None:
        super().__init__(message)
        self.problem = problem


def export_state(data: Dataset) -> dict[str, Any]:
    return dataset_to_json(data)


def import_state(document: Any, spec: Spec, personas: list[Persona], source: str) -> Dataset:
    """A new ``Dataset`` from a state document, or ``StateError`` for its first problem."""
    if not isinstance(document, dict):
        raise StateError(f"{source}: must be a JSON object of collections",
                         Problem("body", "", "must be a JSON object"))
    try:
        data = dataset_from_json(document, spec, source)
    except FixtureError as exc:
        raise StateError(str(exc), Problem("body", _pointer(exc), exc.problem)) from exc
    for persona in personas:
        if persona.user_id not in data.users:
            problem = f"the persona {persona.name} needs user {persona.user_id}"
            raise StateError(f"{source}: users: {problem}", Problem("body", "users", problem))
    return data


def import_error(exc: StateError) -> BadRequest:
    return BadRequest(f"The state is not valid: {exc}; nothing was changed.", [exc.problem])


def _pointer(exc: FixtureError) -> str:
    """``call_trackings[3] (id 17)`` + ``user.id`` -> ``call_trackings/3/user/id``."""
    parts = []
    match = _LABEL.match(exc.record or "")
    if match:
        parts += [match.group(1), match.group(2)]
    elif exc.record:
        parts.append(exc.record)
    if exc.field:
        parts += exc.field.split(".")
    return "/".join(parts)


class StateFile:
    """Where the default session's data lives between runs."""

    def __init__(self, path: Path) -> None:
        self.path = path

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
        """Replace the file with ``data`` atomically; the caller holds the session's lock."""
        content = json.dumps(export_state(data), ensure_ascii=False, separators=(",", ":"))
        write_atomically(self.path, (content + "\n").encode("utf-8"))

    def on_change(self, session: Session) -> None:
        """The store's change hook: save the default session; named ones are scratch space.

        Runs under the session's lock, before the change is answered, so an acknowledged
        change is on disk. A failed write is logged; memory keeps the change, and the next
        change (or the stop) writes it again.
        """
        if session.name != DEFAULT_SESSION:
            return
        try:
            self.save(session.data)
        except OSError:
            log.exception("could not save the state to %s", self.path)

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
