"""The filter probe's rule, derived from the contract: enum filters select by equality."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver.contract.filters import (
    EnumFilter,
    describe,
    enum_filters,
    items_not_matching,
    probes,
)
from mockserver.core.spec import Spec

ROOT = Path(__file__).resolve().parents[2]
STATUS = EnumFilter("listCallTrackings", "filters[status]", "status", "call_trackings",
                    ("notanswered", "answered", "canceled", "voicemail"))


def test_the_contract_fixes_one_filter_as_equality() -> None:
    # filters[state] has no visible field, user_id has no `user_id` property, phone and the
    # names are free text with their own matching rules: only status qualifies.
    assert enum_filters(Spec.load(ROOT / "openapi.yaml")) == [STATUS]


def listing(**parameters: dict[str, Any]) -> Spec:
    """A one-operation contract whose list items have `kind` (enum) and `size` (integer)."""
    kind = {"type": "string", "enum": ["a", "b"]}
    return Spec({"paths": {"/items": {"get": {
        "operationId": "listItems",
        "parameters": [{"name": name, "in": "query", "schema": schema}
                       for name, schema in parameters.items()],
        "responses": {"200": {"content": {"application/json": {"schema": {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {
                "type": "object", "properties": {"kind": kind, "size": {"type": "integer"}}}}},
        }}}}},
    }}}})


@pytest.mark.parametrize(("parameters", "found"), [
    pytest.param({"filters[kind]": {"type": "string", "enum": ["a", "b"]}}, ["filters[kind]"],
                 id="same enum as the field"),
    pytest.param({"filters[kind]": {"type": "string", "enum": ["a"]}}, [],
                 id="another enum: the values may not mean the field's"),
    pytest.param({"filters[size]": {"type": "integer"}}, [], id="not an enum"),
    pytest.param({"filters[colour]": {"type": "string", "enum": ["a", "b"]}}, [],
                 id="no such field in the items"),
    pytest.param({"filters[kind][id]": {"type": "string", "enum": ["a", "b"]}}, [],
                 id="nested filter"),
    pytest.param({"kind": {"type": "string", "enum": ["a", "b"]}}, [],
                 id="not a filters[...] parameter"),
])
def test_which_filters_are_equality(parameters: dict[str, Any], found: list[str]) -> None:
    assert [rule.parameter for rule in enum_filters(listing(**parameters))] == found


PAGE = {"call_trackings": [{"id": 1, "status": "answered"}, {"id": 2, "status": "canceled"},
                           {"id": 3}, "not an object"]}


@pytest.mark.parametrize(("query", "body", "wrong_ids"), [
    pytest.param({"filters[status]": "answered"}, PAGE, [2], id="one item of another status"),
    pytest.param({"filters[status]": "canceled"}, PAGE, [1], id="the other way round"),
    pytest.param({"filters[status]": "voicemail"}, {"call_trackings": []}, [], id="empty list"),
    pytest.param({"filters[status]": "bogus"}, PAGE, [], id="invalid value: nothing to compare"),
    pytest.param({"filters[status]": ["answered", "canceled"]}, PAGE, [],
                 id="repeated parameter: nothing to compare"),
    pytest.param({}, PAGE, [], id="no filter"),
    pytest.param({"filters[status]": "answered"}, {"other": []}, [], id="no list in the body"),
    pytest.param({"filters[status]": "answered"}, ["x"], [], id="body not an object"),
])
def test_items_not_matching(query: dict[str, Any], body: Any, wrong_ids: list[int]) -> None:
    assert [item["id"] for item in items_not_matching(STATUS, query, body)] == wrong_ids


def test_one_probe_per_value_with_the_filter_alone() -> None:
    assert probes(STATUS) == [{"filters[status]": "notanswered"}, {"filters[status]": "answered"},
                              {"filters[status]": "canceled"}, {"filters[status]": "voicemail"}]


def test_the_evidence_names_the_first_items() -> None:
    wrong = [{"id": i, "status": "canceled"} for i in range(1, 8)]
    assert describe_(wrong) == (
        "filters[status]=answered listed 7 item(s) whose status is not 'answered' (id 1: "
        "'canceled', id 2: 'canceled', id 3: 'canceled', id 4: 'canceled', id 5: 'canceled')")


def describe_(wrong: list[Any]) -> str:
    return describe(STATUS, "answered", wrong)
