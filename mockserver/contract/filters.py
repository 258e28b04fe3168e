"""Are list filters applied? A probe derived from the contract, which schemathesis cannot see.

Schemathesis checks each response against its schema, and a list that ignores a filter
still has a valid schema. What the contract does say: a query parameter ``filters[<field>]``
whose schema is an enum, on an operation whose response lists objects that have a property
``<field>`` of the *same* schema, selects the items whose ``<field>`` equals the value. So
``filters[status]=answered`` must list only items with ``"status": "answered"``. Free-text
filters (phone, names) have their own documented matching rules and are left alone; so are
filters with no visible field (``filters[state]``) and items that do not show the field.

Generated requests rarely show a drift: they combine many filters, whose AND matches
nothing. So besides checking every generated list, the run sends one probe per enum value
with that filter alone (``probes``), which lists items whenever any have that value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.spec import Spec

FILTER_NAME = re.compile(r"^filters\[(\w+)\]$")


@dataclass(frozen=True)
class EnumFilter:
    operation_id: str
    parameter: str  # filters[status]
    field: str  # status
    list_property: str  # call_trackings
    values: tuple[Any, ...]  # the enum


def enum_filters(spec: Spec) -> list[EnumFilter]:
    """Every filter whose meaning the contract fixes as equality on a visible field."""
    found = []
    for op_id, op in spec.operations.items():
        lists = _listed_item_properties(spec, op.definition)
        for param in _parameters(spec, op.path, op.definition):
            match = FILTER_NAME.match(str(param.get("name", "")))
            if param.get("in") != "query" or match is None:
                continue
            schema = param.get("schema", {})
            values = spec.resolve(schema).get("enum")
            field = match.group(1)
            for list_property, item_properties in lists.items():
                if values and _same_schema(spec, item_properties.get(field), schema):
                    found.append(EnumFilter(op_id, param["name"], field, list_property,
                                            tuple(values)))
    return found


def probes(rule: EnumFilter) -> list[dict[str, Any]]:
    """The query of each probe for ``rule``: the filter alone, once per enum value."""
    return [{rule.parameter: value} for value in rule.values]


def items_not_matching(rule: EnumFilter, query: Mapping[str, Any], body: Any) -> list[Any]:
    """The listed items that show ``rule.field`` with a value other than the filter's."""
    value = query.get(rule.parameter)
    if value not in rule.values or not isinstance(body, dict):
        return []  # an invalid or absent filter value selects nothing we can compare
    items = body.get(rule.list_property)
    if not isinstance(items, list):
        return []
    return [
        item for item in items
        if isinstance(item, dict) and rule.field in item and item[rule.field] != value
    ]


def describe(rule: EnumFilter, value: Any, wrong: list[Any]) -> str:
    """Evidence for a report: how many items broke the filter, and the first few."""
    shown = ", ".join(f"id {item.get('id', '?')}: {item[rule.field]!r}" for item in wrong[:5])
    return (f"{rule.parameter}={value} listed {len(wrong)} item(s) whose {rule.field} is not "
            f"{value!r} ({shown})")


def _parameters(spec: Spec, template: str, op: dict[str, Any]) -> list[dict[str, Any]]:
    shared = spec.document["paths"][template].get("parameters", [])
    return [spec.resolve(p) for p in [*shared, *op.get("parameters", [])]]


def _listed_item_properties(spec: Spec, op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Array properties of the 200 response whose items are objects: name -> item properties."""
    response = spec.resolve(op.get("responses", {}).get("200", {}))
    schema = spec.resolve(response.get("content", {}).get("application/json", {}).get("schema"))
    if not isinstance(schema, dict):
        return {}
    lists = {}
    for name, prop in schema.get("properties", {}).items():
        prop = spec.resolve(prop)
        items = spec.resolve(prop.get("items")) if prop.get("type") == "array" else None
        if isinstance(items, dict) and "properties" in items:
            lists[name] = items["properties"]
    return lists


def _same_schema(spec: Spec, a: Any, b: Any) -> bool:
    return a is not None and (a == b or spec.resolve(a) is spec.resolve(b))
