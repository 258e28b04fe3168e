"""Lookups of x-assumed in the contract: each answer is the chain of nodes an element is."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.contract.assumptions import AssumptionIndex, escape, join
from mockserver.core.spec import Spec

ROOT = Path(__file__).resolve().parents[2]
INDEX = AssumptionIndex(Spec.load(ROOT / "openapi.yaml"))
LIST = "#/paths/~1calltrackings/get"
RECORDING = "#/paths/~1calltrackings~1{id}~1recording/get"


def test_pointers_escape_slashes_and_tildes() -> None:
    assert escape("/calltrackings/{id}") == "~1calltrackings~1{id}"
    assert escape("a~b") == "a~0b"
    assert join("#/paths", "/x", "get", 0) == "#/paths/~1x/get/0"


@pytest.mark.parametrize(("pointer", "assumed"), [
    ("#/components/schemas/Error", True),
    ("#/components/schemas/CallTracking", False),
    ("#/components/schemas/CallTrackingList/properties/count", True),
    ("#/components/parameters/PerPage", True),
    ("#/components/parameters/FilterStatus", False),
    ("#/components/responses/BadRequest", True),
    (f"{LIST}/responses/200", False),
    ("#/paths/~1calltrackings/patch/responses/200", True),
    ("#/components/schemas/Nothing", False),  # no such node
    ("#/paths/~1calltrackings/get/parameters/999", False),
])
def test_is_assumed(pointer: str, assumed: bool) -> None:
    assert INDEX.is_assumed(pointer) is assumed


def test_a_response_is_its_inline_node_then_its_reference() -> None:
    assert INDEX.response("getCallTrackingRecording", 404) == [
        f"{RECORDING}/responses/404", "#/components/responses/NotFoundOrNoRecording"]
    assert INDEX.response("listCallTrackings", 404) == []  # not documented
    assert INDEX.response_schema("listCallTrackings", 200) == \
        f"{LIST}/responses/200/content/application~1json/schema"
    assert INDEX.response_schema("deleteCallTracking", 204) is None  # no body


def test_responses_of_a_class() -> None:
    assert list(INDEX.responses_in_class("deleteCallTracking", 418)) == ["400", "401", "403",
                                                                         "404"]
    assert list(INDEX.responses_in_class("deleteCallTracking", 200)) == ["204"]
    assert INDEX.responses_in_class("deleteCallTracking", 302) == {}


def test_parameters_from_the_operation_and_from_the_path() -> None:
    assert INDEX.parameter("listCallTrackings", "query", "filters[state]") == [
        f"{LIST}/parameters/2", "#/components/parameters/FilterState",
        "#/components/parameters/FilterState/schema"]
    assert INDEX.parameter("getCallTrackingRecording", "path", "id") == [
        "#/paths/~1calltrackings~1{id}~1recording/parameters/0",
        "#/components/parameters/CallTrackingId", "#/components/parameters/CallTrackingId/schema"]
    assert INDEX.parameter("listCallTrackings", "query", "nope") == []
    assert INDEX.parameter("listCallTrackings", "header", "filters[state]") == []


def test_a_body_property() -> None:
    assert INDEX.body_property("bulkUpdateCallTrackings", "calltrackings")[-2:] == [
        "#/components/schemas/BulkUpdateRequest",
        "#/components/schemas/BulkUpdateRequest/properties/calltrackings"]
    assert INDEX.body_property("bulkUpdateCallTrackings", "unknown")[-1] == \
        "#/components/schemas/BulkUpdateRequest"
    assert INDEX.body_property("listCallTrackings", "calltrackings") == []  # no body


def test_security_schemes_of_an_operation() -> None:
    assert INDEX.security("listCallTrackings") == ["#/components/securitySchemes/bearerAuth"]


def test_a_schema_chain_follows_each_reference() -> None:
    start = f"{LIST}/responses/200/content/application~1json/schema"
    path = ["$ref", "properties", "call_trackings", "items", "$ref", "properties", "lead",
            "anyOf", 0, "$ref", "properties", "status", "enum"]
    assert INDEX.schema_chain(start, path) == [
        start,
        "#/components/schemas/CallTrackingList",
        "#/components/schemas/CallTrackingList/properties",
        "#/components/schemas/CallTrackingList/properties/call_trackings",
        "#/components/schemas/CallTrackingList/properties/call_trackings/items",
        "#/components/schemas/CallTracking",
        "#/components/schemas/CallTracking/properties",
        "#/components/schemas/CallTracking/properties/lead",
        "#/components/schemas/CallTracking/properties/lead/anyOf/0",
        "#/components/schemas/Lead",
        "#/components/schemas/Lead/properties",
        "#/components/schemas/Lead/properties/status",
    ]


def test_following_references_stops_on_a_cycle() -> None:
    loop = AssumptionIndex(Spec({"components": {"schemas": {
        "A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}}}))
    assert loop.follow("#/components/schemas/A") == ["#/components/schemas/A",
                                                      "#/components/schemas/B"]


def test_the_summary_is_the_first_sentence() -> None:
    assert INDEX.summary("#/components/schemas/Error") == \
        "Assumed: the upstream documents no error body."
    assert INDEX.summary("#/components/schemas/Nothing") == ""
