"""A response that breaks its schema, validated again to name every contract node on the way."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from mockserver.contract.collect import Collector, schema_place
from mockserver.core.spec import Spec

ROOT = Path(__file__).resolve().parents[2]
S = "#/components/schemas"
ITEM = {
    "id": 7, "reference": "pfflex-7", "phone": "+971 55 487 9009", "status": "answered",
    "call_start": "2023-09-02T12:40:43+04:00", "call_end": "2023-09-02T12:43:17+04:00",
    "call_time": 154, "talk_time": 153, "wait_time": 0, "user": {"id": 2}, "lead": None,
    "property": None, "download_url": None, "imported_id": "AE-7755633",
    "imported_from": "propertyfinder", "created_at": "2023-09-02T08:43:34+04:00",
    "updated_at": "2023-09-02T08:43:34+04:00", "acl_rule": "full", "marked_as_seen": False,
}


class Reply:
    def __init__(self, body: Any) -> None:
        self.body = body

    def json(self) -> Any:
        return self.body


@pytest.fixture(scope="module")
def collector() -> Collector:
    return Collector(Spec.load(ROOT / "openapi.yaml"))


def page(**changes: Any) -> dict[str, Any]:
    item = copy.deepcopy(ITEM)
    for name, value in changes.items():
        if value is KeyError:
            del item[name]
        else:
            item[name] = value
    return {"call_trackings": [item], "count": 1, "page": 1, "per_page": 100}


def errors(collector: Collector, body: Any, op: str = "listCallTrackings",
           status: int = 200) -> list[tuple[tuple[str, ...], str, str, str]]:
    return list(collector.schema_errors(op, status, Reply(body)))


def test_a_valid_page_has_no_error(collector: Collector) -> None:
    assert errors(collector, page()) == []


def test_a_wrong_type(collector: Collector) -> None:
    [(chain, keyword, message, instance)] = errors(collector, page(call_time="154"))
    assert f"{S}/CallTrackingList" in chain and f"{S}/CallTracking" in chain
    assert chain[-1] == f"{S}/CallTracking/properties/call_time"
    assert (keyword, message, instance) == ("type", '"154" is not of type "integer"',
                                            "call_trackings/0/call_time")


def test_a_missing_field_names_the_property(collector: Collector) -> None:
    [(chain, keyword, message, instance)] = errors(collector, page(reference=KeyError))
    assert chain[-2:] == (f"{S}/CallTracking", f"{S}/CallTracking/properties/reference")
    assert (keyword, message, instance) == ("required reference",
                                            '"reference" is a required property',
                                            "call_trackings/0")


def test_an_expanded_relation_goes_through_its_component(collector: Collector) -> None:
    lead = {"id": 3, "status": "hot"}
    [(chain, _, message, _)] = errors(collector, page(lead=lead))
    assert f"{S}/CallTracking/properties/lead" in chain
    assert message.startswith('{"id":3,"status":"hot"} is not valid under any of the schemas')


def test_an_error_body(collector: Collector) -> None:
    [(chain, keyword, _, _)] = errors(collector, {"message": "no"}, "getCallTrackingRecording",
                                      404)
    assert chain == ("#/components/responses/NotFoundOrNoRecording/content/application~1json"
                     "/schema", f"{S}/Error", f"{S}/Error/properties/code")
    assert keyword == "required code"


def test_no_documented_body_no_error(collector: Collector) -> None:
    assert errors(collector, {"x": 1}, "deleteCallTracking", 204) == []
    assert errors(collector, {"x": 1}, "listCallTrackings", 404) == []


@pytest.mark.parametrize(("chain", "where"), [
    ((f"{S}/CallTracking/properties/call_time",), "CallTracking.call_time"),
    ((f"{S}/Error/properties/code",), "Error.code"),
    ((f"{S}/CallTrackingList/properties/call_trackings/items",), "CallTrackingList.call_trackings"),
    (("#/components/responses/NotFound",), "NotFound"),
])
def test_where_a_schema_error_is(chain: tuple[str, ...], where: str) -> None:
    assert schema_place(chain) == where
