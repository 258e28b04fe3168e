"""A dataset as one JSON document: export, and a checked import.

The document holds the four collections in the API's own shapes (as fixture files do:
relations collapsed, no ``acl_rule``, recordings as the mock's relative paths), so the
contract's schemas check every record of an import, with the same code that checks the
fixtures. An import is all-or-nothing: the new data is built and checked aside, then
swapped in whole. ``state_file`` keeps such a document on disk.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..core.access import Persona
from ..core.dataset import Dataset
from ..core.errors import BadRequest, Problem
from ..core.spec import Spec
from .fixtures import KINDS, FixtureError, dataset_from_json, dataset_to_json

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


def dataset_document(data: Dataset) -> str:
    """The state document as compact JSON text: what a replica keeps in the shared store."""
    return json.dumps(export_state(data), ensure_ascii=False, separators=(",", ":"))


def trusted_dataset(text: str) -> Dataset:
    """The data of a document this mock wrote itself (a replica's snapshot), converted
    without the schema checks an import runs: every record passed them when it came in."""
    document = json.loads(text)
    tables = {collection: {r.id: r for r in map(kind.from_json, document[collection])}
              for collection, kind in KINDS.items()}
    return Dataset(**tables)
