"""What a contract run may send: everything to the mock, and to a real deployment only what
cannot destroy data it was not allowed to touch.

Two decisions, both made here and nowhere else:

- **which operations are exercised** (``exercised``): against the mock, all of them;
  against a real deployment, the safe (read-only) ones, plus with ``--allow-writes`` the
  bulk PATCH and the single DELETE. The bulk DELETE never: without ids it deletes every
  record (documented upstream), and a generated body may well have none.
- **whether one HTTP request may leave** (``refusal``): checked on every request the run
  sends, whatever produced it (a generated case, a check's probe, a stateful link, a
  redirect). A bulk PATCH must list the ids it targets (without ``calltrackings`` it targets
  every record the caller may update, as the contract assumes); a DELETE must name one
  record; nothing else that is not a safe method goes out.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit

from ..core.spec import Spec, template_to_regex

# RFC 9110 section 9.2.1: methods whose semantics are read-only.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "QUERY"})
LIST = "listCallTrackings"
BULK_UPDATE = "bulkUpdateCallTrackings"
BULK_DELETE = "bulkDeleteCallTrackings"
SINGLE_DELETE = "deleteCallTracking"
ID_SELECTOR = "calltrackings"  # the body property of bulk operations that lists the targets


class TargetKind(StrEnum):
    MOCK = "mock"
    REAL = "real deployment"


@dataclass(frozen=True)
class WritePolicy:
    kind: TargetKind
    allow_writes: bool
    base_url: str  # http://host:port[/base/path], no trailing slash
    bulk_path: str  # /calltrackings
    single_delete_path: str  # /calltrackings/{id}

    @classmethod
    def for_target(cls, spec: Spec, kind: TargetKind, allow_writes: bool,
                   base_url: str) -> WritePolicy:
        return cls(
            kind,
            allow_writes,
            base_url.rstrip("/"),
            spec.operations[BULK_UPDATE].path,
            spec.operations[SINGLE_DELETE].path,
        )

    @property
    def unrestricted(self) -> bool:
        return self.kind is TargetKind.MOCK

    def exercised(self, spec: Spec) -> list[str]:
        """The operationIds the run generates requests for, in the spec's order."""
        return [op_id for op_id, op in spec.operations.items()
                if self.may_route(op.method, op.path)]

    def may_route(self, method: str, template: str) -> bool:
        """Whether requests of this method may be generated for this path template."""
        method = method.upper()
        if self.unrestricted or method in SAFE_METHODS:
            return True
        if not self.allow_writes:
            return False
        return (method, template) in {("PATCH", self.bulk_path),
                                      ("DELETE", self.single_delete_path)}

    def request_document(self, spec: Spec) -> dict[str, Any]:
        """The contract as generation should read it: with writes to a real deployment, the
        bulk PATCH body must list ids, and examples that do not are dropped."""
        document = copy.deepcopy(spec.document)  # schemathesis may change what it is given
        if self.unrestricted or not self.allow_writes:
            return document
        op = spec.operations[BULK_UPDATE]
        body = spec.resolve(document["paths"][op.path][op.method.lower()]["requestBody"])
        media = body["content"]["application/json"]
        media["schema"] = {"allOf": [media["schema"], {
            "required": [ID_SELECTOR], "properties": {ID_SELECTOR: {"minItems": 1}}}]}
        media.pop("example", None)
        media["examples"] = {
            name: example for name, example in media.get("examples", {}).items()
            if lists_ids(json.dumps(spec.resolve(example).get("value")))
        }
        return document

    def refusal(self, method: str, url: str, body: bytes | str | None) -> str | None:
        """Why this request must not be sent, or None when it may."""
        method = method.upper()
        if self.unrestricted or method in SAFE_METHODS:
            return None
        if not self.allow_writes:
            return f"{method} is never sent to a real deployment without --allow-writes"
        path = self._relative_path(url)
        if path is None:
            return f"{method} to a URL outside the base URL ({url})"
        if method == "PATCH" and unquote(path) == self.bulk_path:
            return None if lists_ids(body) else (
                f"a bulk PATCH without a non-empty '{ID_SELECTOR}' list would update every "
                "record"
            )
        if method == "DELETE" and self._names_one_record(path):
            return None
        return f"{method} {path} is not a write this run may send to a real deployment"

    def _relative_path(self, url: str) -> str | None:
        """The path below the base URL, or None for a URL elsewhere (another host...)."""
        base, target = urlsplit(self.base_url), urlsplit(url)
        same_origin = (base.scheme, base.netloc) == (target.scheme, target.netloc)
        if not same_origin or not target.path.startswith(base.path + "/"):
            return None
        return target.path[len(base.path):]

    def _names_one_record(self, path: str) -> bool:
        match = template_to_regex(self.single_delete_path).match(path)
        if match is None:
            return False
        return all(_one_segment(unquote(value)) for value in match.groupdict().values())


def _one_segment(value: str) -> bool:
    """A path segment no router could read as "no segment" or as another path."""
    stripped = value.strip()
    return bool(stripped) and set(stripped) != {"."} and not any(
        c in "/\\" or ord(c) < 32 or ord(c) == 127 for c in value
    )


def lists_ids(body: bytes | str | None) -> bool:
    """Whether a bulk body (JSON text) lists the ids it targets, so it cannot mean "all"."""
    if body is None:
        return False
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    ids = document.get(ID_SELECTOR) if isinstance(document, dict) else None
    return isinstance(ids, list) and len(ids) > 0 and _all_positive_ints(ids)


def _all_positive_ints(values: Iterable[object]) -> bool:
    """Ids a lenient server cannot drop: PHP's ``array_filter`` turns ``[0]`` into "all".

    ``1.0`` is an integer for JSON Schema, and for a server that casts it.
    """
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer()
        and v >= 1
        for v in values
    )
