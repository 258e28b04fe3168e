"""The write policy: which operations a run exercises, and which requests may leave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver.contract.policy import TargetKind, WritePolicy
from mockserver.core.spec import Spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = Spec.load(ROOT / "openapi.yaml")
BASE = "https://crm.example/api/v2"
IDS = json.dumps({"calltrackings": [3, 4], "operations": [
    {"op": "replace", "path": "/seen", "value": True}]})


def policy(kind: TargetKind = TargetKind.REAL, allow_writes: bool = False,
           base_url: str = BASE) -> WritePolicy:
    return WritePolicy.for_target(SPEC, kind, allow_writes, base_url)


@pytest.mark.parametrize(("kind", "allow_writes", "exercised"), [
    pytest.param(TargetKind.MOCK, False, ["listCallTrackings", "bulkDeleteCallTrackings",
                 "bulkUpdateCallTrackings", "deleteCallTracking", "getCallTrackingRecording"],
                 id="mock -> every operation"),
    pytest.param(TargetKind.REAL, False, ["listCallTrackings", "getCallTrackingRecording"],
                 id="real -> reads only"),
    pytest.param(TargetKind.REAL, True, ["listCallTrackings", "bulkUpdateCallTrackings",
                 "deleteCallTracking", "getCallTrackingRecording"],
                 id="real + writes -> never the bulk delete"),
])
def test_exercised_operations(kind: TargetKind, allow_writes: bool, exercised: list[str]) -> None:
    assert policy(kind, allow_writes).exercised(SPEC) == exercised


@pytest.mark.parametrize(("method", "template", "read_only", "writes"), [
    ("GET", "/calltrackings/{id}", True, True),  # an undeclared but safe probe
    ("OPTIONS", "/calltrackings", True, True),
    ("PATCH", "/calltrackings", False, True),
    ("DELETE", "/calltrackings/{id}", False, True),
    ("DELETE", "/calltrackings", False, False),
    ("PATCH", "/calltrackings/{id}", False, False),
    ("POST", "/calltrackings", False, False),
    ("PUT", "/calltrackings/{id}/recording", False, False),
])
def test_which_routes_may_be_generated(method: str, template: str, read_only: bool,
                                       writes: bool) -> None:
    assert policy().may_route(method, template) is read_only
    assert policy(allow_writes=True).may_route(method, template) is writes
    assert policy(TargetKind.MOCK).may_route(method, template) is True


WRITES_REFUSED_WHEN_READ_ONLY = "is never sent to a real deployment without --allow-writes"
NO_IDS = "a bulk PATCH without a non-empty 'calltrackings' list would update every record"


@pytest.mark.parametrize(("method", "url", "body", "refusal"), [
    pytest.param("GET", f"{BASE}/calltrackings", None, None, id="a read"),
    pytest.param("DELETE", f"{BASE}/calltrackings", None, None, id="delete-all, to the mock"),
])
def test_the_mock_gets_everything(method: str, url: str, body: str | None,
                                  refusal: str | None) -> None:
    assert policy(TargetKind.MOCK).refusal(method, url, body) is refusal


@pytest.mark.parametrize(("method", "url"), [
    ("PATCH", f"{BASE}/calltrackings"),
    ("DELETE", f"{BASE}/calltrackings/5"),
    ("DELETE", f"{BASE}/calltrackings"),
    ("POST", f"{BASE}/calltrackings"),
])
def test_read_only_refuses_every_write(method: str, url: str) -> None:
    assert policy().refusal(method, url, IDS) == f"{method} {WRITES_REFUSED_WHEN_READ_ONLY}"
    assert policy().refusal("GET", url, None) is None


@pytest.mark.parametrize(("method", "url", "body", "allowed"), [
    pytest.param("PATCH", f"{BASE}/calltrackings", IDS, True, id="patch with ids"),
    pytest.param("PATCH", f"{BASE}/calltrackings", '{"calltrackings": [7.0], "operations": []}',
                 True, id="patch with an integral float id"),
    pytest.param("PATCH", f"{BASE}/calltrackings", b'{"calltrackings": [1]}', True,
                 id="patch body as bytes"),
    pytest.param("PATCH", f"{BASE}/calltrackings", '{"operations": []}', False,
                 id="patch without calltrackings"),
    pytest.param("PATCH", f"{BASE}/calltrackings", '{"calltrackings": []}', False,
                 id="patch with an empty list"),
    pytest.param("PATCH", f"{BASE}/calltrackings", '{"calltrackings": [0]}', False,
                 id="patch with id 0 (array_filter drops it)"),
    pytest.param("PATCH", f"{BASE}/calltrackings", '{"calltrackings": ["1"]}', False,
                 id="patch with a string id"),
    pytest.param("PATCH", f"{BASE}/calltrackings", '{"calltrackings": [true]}', False,
                 id="patch with a boolean id"),
    pytest.param("PATCH", f"{BASE}/calltrackings", '{"calltrackings": 5}', False,
                 id="patch with a scalar"),
    pytest.param("PATCH", f"{BASE}/calltrackings", "[]", False, id="patch with an array body"),
    pytest.param("PATCH", f"{BASE}/calltrackings", "not json", False, id="patch, no JSON"),
    pytest.param("PATCH", f"{BASE}/calltrackings", None, False, id="patch without body"),
    pytest.param("PATCH", f"{BASE}/calltrackings/", IDS, False, id="patch, trailing slash"),
    pytest.param("DELETE", f"{BASE}/calltrackings/7", None, True, id="delete one"),
    pytest.param("DELETE", f"{BASE}/calltrackings/abc", None, True,
                 id="delete one, invalid id (still one segment)"),
    pytest.param("DELETE", f"{BASE}/calltrackings", None, False, id="delete-all"),
    pytest.param("DELETE", f"{BASE}/calltrackings", IDS, False, id="bulk delete with ids"),
    pytest.param("DELETE", f"{BASE}/calltrackings/", None, False, id="delete, empty id"),
    pytest.param("DELETE", f"{BASE}/calltrackings/%20", None, False, id="delete, blank id"),
    pytest.param("DELETE", f"{BASE}/calltrackings/%2F", None, False, id="delete, encoded slash"),
    pytest.param("DELETE", f"{BASE}/calltrackings/..", None, False, id="delete, dot-dot"),
    pytest.param("DELETE", f"{BASE}/calltrackings/%00", None, False, id="delete, control char"),
    pytest.param("DELETE", f"{BASE}/calltrackings/7/recording", None, False,
                 id="delete, another path"),
    pytest.param("DELETE", "https://crm.example/calltrackings/7", None, False,
                 id="delete, outside the base path"),
    pytest.param("DELETE", "https://elsewhere.example/api/v2/calltrackings/7", None, False,
                 id="delete, another host"),
    pytest.param("PUT", f"{BASE}/calltrackings", IDS, False, id="put"),
])
def test_writes_allowed_still_refuse_what_could_touch_every_record(
        method: str, url: str, body: str | bytes | None, allowed: bool) -> None:
    refusal = policy(allow_writes=True).refusal(method, url, body)
    assert (refusal is None) is allowed, refusal
    if method == "PATCH" and url.endswith("/calltrackings") and not allowed:
        assert refusal == NO_IDS


def test_a_base_url_without_path() -> None:
    root = policy(allow_writes=True, base_url="http://localhost:8080/")
    assert root.refusal("DELETE", "http://localhost:8080/calltrackings/3", None) is None
    assert root.refusal("DELETE", "http://localhost:8080/calltrackings", None) is not None


def test_generation_reads_a_bulk_patch_that_must_list_ids() -> None:
    before = json.dumps(SPEC.document, sort_keys=True)
    document = policy(allow_writes=True).request_document(SPEC)
    media = document["paths"]["/calltrackings"]["patch"]["requestBody"]["content"][
        "application/json"]
    assert media["schema"] == {"allOf": [
        {"$ref": "#/components/schemas/BulkUpdateRequest"},
        {"required": ["calltrackings"], "properties": {"calltrackings": {"minItems": 1}}},
    ]}
    assert list(media["examples"]) == ["selected"]  # "upstream" has no ids: dropped
    assert json.dumps(SPEC.document, sort_keys=True) == before  # the contract itself is intact


@pytest.mark.parametrize(("kind", "allow_writes"), [
    (TargetKind.MOCK, False), (TargetKind.REAL, False)])
def test_other_runs_read_the_contract_as_written(kind: TargetKind, allow_writes: bool) -> None:
    document = policy(kind, allow_writes).request_document(SPEC)
    assert document == SPEC.document
    assert document is not SPEC.document  # a copy: schemathesis may change what it is given
