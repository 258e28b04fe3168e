"""Static checks of ``openapi.yaml``: the contract must stay faithful to the upstream page.

The upstream documentation (PF Expert CRM API v2, "Call Trackings") is the source of truth for
paths, rights, filters, sorts, fields and examples; everything the upstream does not say must
be marked ``x-assumed: true`` so a contract run can tell a promise from a guess. These tests
restate the upstream facts by hand on purpose: reading them back from the spec would make the
tests agree with any mistake in it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from packaging.version import Version
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
SPEC_URI = "urn:x-test:calltrackings-openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
BEARER = "bearerAuth"
LIST_EXPR = "$response.body#/call_trackings/0/id"


def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    """Read the contract once; every test works on this parsed document."""
    with path.open(encoding="utf-8") as fh:
        document = yaml.safe_load(fh)
    assert isinstance(document, dict), f"{path} is not a YAML mapping"
    return document


SPEC: dict[str, Any] = load_spec()
REGISTRY: Registry[Any] = Registry().with_resource(
    SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012)
)


# --------------------------------------------------------------------------- helpers


def ptr(*tokens: str) -> str:
    """A JSON pointer from raw tokens (``/`` and ``~`` escaped)."""
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def at(pointer: str) -> Any:
    """The node of the spec at a JSON pointer."""
    node: Any = SPEC
    for token in pointer.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def resolve(node: Any) -> Any:
    """Follow local ``$ref`` chains until a node without ``$ref``."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"non-local $ref {ref}"
        assert ref not in seen, f"$ref cycle at {ref}"
        seen.add(ref)
        node = at(ref[1:])
    return node


def schema_errors(pointer: str, instance: Any) -> list[str]:
    """jsonschema (Draft 2020-12, formats asserted) errors of ``instance`` at a spec pointer."""
    validator = Draft202012Validator(
        {"$ref": SPEC_URI + "#" + quote(pointer, safe="/~")},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def rs_valid(pointer: str, instance: Any) -> bool:
    """The same check with jsonschema_rs and formats on, as the mock itself validates."""
    schema = {
        "$ref": "#" + quote(pointer, safe="/~"),
        "paths": SPEC["paths"],
        "components": SPEC["components"],
    }
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True).is_valid(instance)


def iter_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) for every operation of the document."""
    for path, item in SPEC["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """The (METHOD, path, operation) with this operationId."""
    matches = [o for o in iter_operations() if o[2].get("operationId") == operation_id]
    assert len(matches) == 1, f"{operation_id}: {len(matches)} operations"
    return matches[0]


def op_pointer(operation_id: str) -> str:
    """The JSON pointer of an operation."""
    method, path, _ = operation(operation_id)
    return ptr("paths", path, method.lower())


def parameters(operation_id: str) -> list[dict[str, Any]]:
    """Resolved parameters of an operation, path-level ones included."""
    _, path, op = operation(operation_id)
    raw = SPEC["paths"][path].get("parameters", []) + op.get("parameters", [])
    return [resolve(p) for p in raw]


def list_param(name: str) -> dict[str, Any]:
    """The resolved parameter of listCallTrackings with this name."""
    found = [p for p in parameters("listCallTrackings") if p["name"] == name]
    assert len(found) == 1, f"{name}: {len(found)} parameters"
    return found[0]


def iter_nodes(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping of the document with its pointer (no $ref following)."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from iter_nodes(value, pointer + ptr(str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_nodes(value, f"{pointer}/{index}")


def iter_responses() -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer of the resolved response, response) for operations and components."""
    for method, path, op in iter_operations():
        for code, response in op["responses"].items():
            ref = response.get("$ref")
            yield (
                ref[1:] if ref else ptr("paths", path, method.lower(), "responses", code),
                resolve(response),
            )
    for name, response in SPEC["components"].get("responses", {}).items():
        yield ptr("components", "responses", name), response


def iter_media_types() -> Iterator[tuple[str, dict[str, Any]]]:
    """(pointer, media type object) of every request and response body, deduplicated."""
    seen: set[str] = set()
    bodies: list[tuple[str, dict[str, Any]]] = list(iter_responses())
    for _, _, op in iter_operations():
        if "requestBody" in op:
            body = op["requestBody"]
            ref = body.get("$ref")
            bodies.append(
                (ref[1:] if ref else op_pointer(op["operationId"]) + "/requestBody", resolve(body))
            )
    for name, body in SPEC["components"].get("requestBodies", {}).items():
        bodies.append((ptr("components", "requestBodies", name), body))
    for base, body in bodies:
        for media, media_obj in body.get("content", {}).items():
            pointer = base + ptr("content", media)
            if pointer not in seen:
                seen.add(pointer)
                yield pointer, media_obj


def iter_examples() -> Iterator[tuple[str, str, Any]]:
    """(example pointer, schema pointer, value) of every media-type example."""
    for pointer, media in iter_media_types():
        if "example" in media:
            yield pointer + "/example", pointer + "/schema", media["example"]
        for name, example in media.get("examples", {}).items():
            yield pointer + ptr("examples", name), pointer + "/schema", resolve(example)["value"]


def description_of(node: Any) -> str:
    """A node's own description, else that of the node its $ref points to."""
    if isinstance(node, dict):
        if node.get("description"):
            return str(node["description"])
        if "$ref" in node:
            return description_of(at(node["$ref"][1:]))
    return ""


def iter_properties(schema: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    """Every property schema nested in an inline schema (without following $refs)."""
    if not isinstance(schema, dict):
        return
    for name, prop in schema.get("properties", {}).items():
        prop_pointer = pointer + ptr("properties", name)
        yield prop_pointer, prop
        yield from iter_properties(prop, prop_pointer)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            yield from iter_properties(schema[key], f"{pointer}/{key}")
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for index, sub in enumerate(schema.get(key, [])):
            yield from iter_properties(sub, f"{pointer}/{key}/{index}")


def iter_root_schemas() -> Iterator[tuple[str, Any]]:
    """Every schema that is not nested in another: components, parameters, headers, bodies."""
    for name, schema in SPEC["components"]["schemas"].items():
        yield ptr("components", "schemas", name), schema
    for pointer, node in iter_nodes(SPEC):
        is_param = "in" in node and "name" in node and not pointer.startswith("/components/schemas")
        is_header = pointer.split("/")[-2:-1] == ["headers"]
        if (is_param or is_header) and "schema" in node:
            yield pointer + "/schema", node["schema"]
    for pointer, media in iter_media_types():
        if "schema" in media:
            yield pointer + "/schema", media["schema"]


def iter_schemas_deep(schema: Any, seen: set[str]) -> Iterator[dict[str, Any]]:
    """Every subschema reachable from ``schema``, following $refs (each target once)."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
        yield from iter_schemas_deep(at(schema["$ref"][1:]), seen)
        return
    yield schema
    for sub in schema.get("properties", {}).values():
        yield from iter_schemas_deep(sub, seen)
    for key in ("items", "additionalProperties", "not", "if", "then", "else"):
        yield from iter_schemas_deep(schema.get(key), seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key, []):
            yield from iter_schemas_deep(sub, seen)


def element(kind: str, key: str) -> dict[str, Any]:
    """A list query parameter by name (``param``) or any node by pointer (``ptr``)."""
    if kind == "param":
        return list_param(key)
    node = at(key)
    assert isinstance(node, dict)
    return node


# --------------------------------------------------------------------------- upstream facts

OPERATIONS = {
    ("GET", "/calltrackings", "listCallTrackings"),
    ("PATCH", "/calltrackings", "bulkUpdateCallTrackings"),
    ("DELETE", "/calltrackings", "bulkDeleteCallTrackings"),
    ("DELETE", "/calltrackings/{id}", "deleteCallTracking"),
    ("GET", "/calltrackings/{id}/recording", "getCallTrackingRecording"),
}

RIGHTS = {
    "listCallTrackings": ["lead.read"],
    "getCallTrackingRecording": ["lead.read"],
    "bulkUpdateCallTrackings": ["lead.update"],
    "bulkDeleteCallTrackings": ["lead.delete"],
    "deleteCallTracking": ["lead.delete"],
}

LIST_QUERY = {
    "filters[user_id]",
    "filters[status]",
    "filters[state]",
    "filters[date_from]",
    "filters[date_to]",
    "filters[date][from]",
    "filters[date][to]",
    "filters[phone]",
    "filters[reference]",
    "filters[property]",
    "filters[property][id]",
    "filters[property][reference]",
    "filters[lead][id]",
    "filters[lead][name]",
    "sort",
    "sort_order",
    "page",
    "per_page",
}

SORT_KEYS = ["id", "phone", "user", "status", "date", "call_time", "lead", "created", "updated"]
CALL_STATUSES = {"notanswered", "answered", "canceled", "voicemail"}

# The upstream table's fields ("marked as seen" is spelled marked_as_seen in its example).
FIELD_TYPES: dict[str, tuple[Any, str | None]] = {
    "id": ("integer", None),
    "reference": ("string", None),
    "phone": ("string", None),
    "status": ("string", None),
    "call_start": ("string", "date-time"),
    "call_end": ("string", "date-time"),
    "talk_time": ("integer", None),
    "call_time": ("integer", None),
    "wait_time": ("integer", None),
    "download_url": (["string", "null"], "uri"),  # a string, null in the second example
    "imported_id": ("string", None),
    "imported_from": ("string", None),
    "created_at": ("string", "date-time"),
    "updated_at": ("string", "date-time"),
    "acl_rule": ("string", None),
    "marked_as_seen": ("boolean", None),
}
RELATIONS = ("user", "lead", "property")
DOCUMENTED_FIELDS = set(FIELD_TYPES) | set(RELATIONS)
READ_ONLY = {
    "id",
    "call_start",
    "call_end",
    "talk_time",
    "call_time",
    "wait_time",
    "created_at",
    "updated_at",
    "acl_rule",
}

# The upstream list example, its elided "user" objects collapsed; slashes were "\/" escaped.
UPSTREAM_DOWNLOAD_URL = json.loads(
    r'"https:\/\/pf-ae-documents.s3.ap-southeast-1.amazonaws.com\/calls\/2023\/09\/02\/'
    r"bbb063430a3be887006deb3d70c4789b.mp3?X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"
    r"&X-Amz-Algorithm=AWS4-HMAC-SHA256"
    r'&X-Amz-Credential=AKIAJJ3RDDOM5WMNAPNA%2F20230902%2Fap-southeast-1%2Fs3%2Fa"'
)
UPSTREAM_LIST = {
    "call_trackings": [
        {
            "id": 2933498,
            "reference": "pfflex-2933498",
            "phone": "+971 55 487 9009",
            "status": "answered",
            "call_start": "2023-09-02T12:40:43+04:00",
            "call_end": "2023-09-02T12:43:17+04:00",
            "call_time": 154,
            "talk_time": 153,
            "wait_time": 0,
            "user": {"id": 41876},
            "lead": None,
            "property": None,
            "download_url": UPSTREAM_DOWNLOAD_URL,
            "imported_id": "AE-7755633",
            "imported_from": "propertyfinder",
            "created_at": "2023-09-02T08:43:34+04:00",
            "updated_at": "2023-09-02T08:43:34+04:00",
            "acl_rule": "full",
            "marked_as_seen": False,
        },
        {
            "id": 1957680,
            "reference": "pfflex-1957680",
            "phone": "+971 4 413 0444",
            "status": "canceled",
            "call_start": "2023-01-17T14:29:05+04:00",
            "call_end": "2023-01-17T14:29:19+04:00",
            "call_time": 14,
            "talk_time": 0,
            "wait_time": 0,
            "user": {"id": 76035},
            "lead": None,
            "property": None,
            "download_url": None,
            "imported_id": "AE-6699088",
            "imported_from": "propertyfinder",
            "created_at": "2023-01-17T14:29:23+04:00",
            "updated_at": "2023-01-17T14:29:23+04:00",
            "acl_rule": "full",
            "marked_as_seen": False,
        },
    ]
}
UPSTREAM_PATCH = {
    "operations": [
        {"op": "replace", "path": "/assignment/property", "value": 1},
        {"op": "replace", "path": "/assignment/user", "value": 2},
        {"op": "replace", "path": "/seen", "value": 2},
    ]
}
UPSTREAM_BULK_DELETE = {"calltrackings": [1, 2, 3]}
UPSTREAM_RECORDING = {"recording": {"url": json.loads(r'"http:\/\/foo.com"')}}

FULL_USER = {
    "id": 41876,
    "public": {
        "first_name": "Sara",
        "last_name": "Haddad",
        "email": "sara.haddad@example.com",
        "phone": "+971 50 123 4567",
    },
}
FULL_LEAD = {
    "id": 7,
    "user": {"id": 41876},
    "title": None,
    "first_name": "John",
    "middle_name": None,
    "last_name": "Doe",
    "email": "john.doe@example.com",
    "mobile": "+971 55 000 0001",
    "phone": None,
    "status": "prospect",
    "source": "propertyfinder",
    "created_at": "2023-09-01T10:00:00+04:00",
    "updated_at": "2023-09-02T10:00:00+04:00",
    "acl_rule": "full",
    "marked_as_seen": True,
}
FULL_PROPERTY = {
    "id": 1123,
    "reference": "pfflex-123",
    "status": "available",
    "category": "residential",
    "type": {"name": "apartment", "category": "residential"},
    "price": {"offering_type": "rent", "value": 95000},
    "location": {"city": "Dubai", "community": "Dubai Marina", "sub_community": None},
    "bedrooms": 2,
    "bathrooms": 2,
    "size": 1200,
    "user": {"id": 41876},
}
FULL_RELATION = {"user": FULL_USER, "lead": FULL_LEAD, "property": FULL_PROPERTY}

CALL_TRACKING = "/components/schemas/CallTracking"


# --------------------------------------------------------------------------- 1. document


def test_spec_is_valid_openapi_3_1() -> None:
    """Tools (mock, schemathesis, viewers) need a document that is valid OpenAPI 3.1.0."""
    assert SPEC["openapi"] == "3.1.0"
    validate(SPEC, cls=OpenAPIV31SpecValidator)


def test_the_version_is_pep_440_and_semver() -> None:
    """Generators make it a package's version: pip wants PEP 440, npm semantic versioning."""
    version = SPEC["info"]["version"]
    assert str(Version(version)) == version
    assert re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(\+[0-9A-Za-z.-]+)?", version)


def test_servers_are_upstream_then_mock() -> None:
    """The upstream host the examples use, then the local mock."""
    assert [s["url"] for s in SPEC["servers"]] == [
        "https://api-v2.mycrm.com",
        "http://localhost:8080",
    ]


# --------------------------------------------------------------------------- 3./4. operations


def test_operations_are_exactly_the_five_documented() -> None:
    """The page documents five operations; inventing or dropping one breaks faithfulness."""
    found = [(method, path, op.get("operationId")) for method, path, op in iter_operations()]
    assert len(found) == len(set(found))
    assert set(found) == OPERATIONS


def test_bearer_scheme_is_http_bearer() -> None:
    """Every call carries ``Authorization: Bearer <token>`` (documented)."""
    scheme = SPEC["components"]["securitySchemes"][BEARER]
    assert (scheme["type"], scheme["scheme"].lower()) == ("http", "bearer")


@pytest.mark.parametrize("operation_id", sorted(RIGHTS))
def test_operation_requires_bearer_and_documents_auth_errors(operation_id: str) -> None:
    """No anonymous alternative may slip in, and 401/403 are part of every contract."""
    _, _, op = operation(operation_id)
    security = op.get("security", SPEC.get("security"))
    assert security, f"{operation_id} has no security requirement"
    for requirement in security:
        assert BEARER in requirement, f"{operation_id} allows {requirement} without bearer"
    assert {"401", "403"} <= set(op["responses"])


@pytest.mark.parametrize(("operation_id", "rights"), sorted(RIGHTS.items()))
def test_operation_rights(operation_id: str, rights: list[str]) -> None:
    """The documented right of each operation, machine-readable and in the prose."""
    _, _, op = operation(operation_id)
    assert op["x-rights"] == rights
    for right in rights:
        assert right in op["description"]


# --------------------------------------------------------------------------- 5. parameters


def test_list_parameters_are_exactly_the_documented_set() -> None:
    """Documented filters, their nested/aliased forms, sort, pagination and the expand header."""
    params = parameters("listCallTrackings")
    names = [(p["in"], p["name"]) for p in params]
    assert len(names) == len(set(names))
    assert {n for i, n in names if i == "query"} == LIST_QUERY
    assert {n for i, n in names if i == "header"} == {"X-MyCRM-Expand-Data"}
    assert {i for i, _ in names} == {"query", "header"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("filters[user_id]", {"type": "integer"}),
        ("filters[status]", {"type": "string", "enum": CALL_STATUSES}),
        ("filters[state]", {"type": "string", "enum": {"assigned", "unassigned"}}),
        ("filters[date_from]", {"type": "string", "format": "date"}),
        ("filters[date_to]", {"type": "string", "format": "date"}),
        ("filters[date][from]", {"type": "string", "format": "date"}),
        ("filters[date][to]", {"type": "string", "format": "date"}),
        ("filters[phone]", {"type": "string"}),
        ("filters[reference]", {"type": "string"}),
        ("filters[property]", {"type": "integer"}),
        ("filters[property][id]", {"type": "integer"}),
        ("filters[property][reference]", {"type": "string"}),
        ("filters[lead][id]", {"type": "integer"}),
        ("filters[lead][name]", {"type": "string"}),
        ("sort", {"type": "string", "enum": set(SORT_KEYS)}),
        ("sort_order", {"type": "string", "enum": {"ASC", "DESC", "asc", "desc"}}),
        ("page", {"type": "integer"}),
        ("per_page", {"type": "integer"}),
    ],
)
def test_list_parameter_schema(name: str, expected: dict[str, Any]) -> None:
    """Each filter's type follows the upstream examples (ids, enums, YYYY-MM-DD dates)."""
    param = list_param(name)
    assert param["in"] == "query"
    assert not param.get("required", False), f"{name} is optional upstream"
    schema = resolve(param["schema"])
    actual = {"type": schema.get("type")}
    for key in ("enum", "format"):
        if key in expected:
            actual[key] = set(schema[key]) if key == "enum" else schema[key]
    assert actual == expected
    if "enum" in expected:
        assert len(schema["enum"]) == len(expected["enum"]), "duplicate enum values"


def test_sort_and_sort_order() -> None:
    """The nine documented sort keys; ASC/DESC with default ASC, lowercase accepted."""
    assert resolve(list_param("sort")["schema"])["enum"] == SORT_KEYS
    order = resolve(list_param("sort_order")["schema"])
    assert sorted(order["enum"]) == ["ASC", "DESC", "asc", "desc"]
    assert order["default"] == "ASC"


def test_pagination_bounds() -> None:
    """Pages count from 1; per_page defaults to the 100 clients expect and is capped."""
    page = resolve(list_param("page")["schema"])
    assert page["minimum"] == 1
    per_page = resolve(list_param("per_page")["schema"])
    assert per_page["minimum"] == 1
    assert per_page["default"] == 100
    assert isinstance(per_page["maximum"], int)
    assert per_page["maximum"] >= per_page["default"]


def test_free_text_query_parameters_reject_empty() -> None:
    """``filters[phone]=`` must not silently mean "match everything"."""
    free_text = {}
    for op_id in RIGHTS:
        for param in parameters(op_id):
            schema = resolve(param["schema"])
            if (
                param["in"] == "query"
                and schema.get("type") == "string"
                and "enum" not in schema
                and "format" not in schema
            ):
                free_text[param["name"]] = schema.get("minLength")
    assert free_text == {
        "filters[phone]": 1,
        "filters[reference]": 1,
        "filters[property][reference]": 1,
        "filters[lead][name]": 1,
    }


@pytest.mark.parametrize("operation_id", ["deleteCallTracking", "getCallTrackingRecording"])
def test_path_id_is_a_positive_integer(operation_id: str) -> None:
    """Call tracking ids are integers (upstream: id integer)."""
    (param,) = [p for p in parameters(operation_id) if p["in"] == "path"]
    schema = resolve(param["schema"])
    assert (param["name"], param["required"], schema["type"], schema["minimum"]) == (
        "id",
        True,
        "integer",
        1,
    )


# --------------------------------------------------------------------------- 6. schemas


def test_call_tracking_fields_are_the_documented_ones() -> None:
    """The upstream table's fields, all always present, none invented."""
    schema = at(CALL_TRACKING)
    assert set(schema["properties"]) == DOCUMENTED_FIELDS
    assert set(schema["required"]) == DOCUMENTED_FIELDS
    assert len(schema["required"]) == len(DOCUMENTED_FIELDS)


@pytest.mark.parametrize(("field", "expected"), sorted(FIELD_TYPES.items()))
def test_call_tracking_field_type(field: str, expected: tuple[Any, str | None]) -> None:
    """Types from the upstream table: datetime is an ISO 8601 date-time string."""
    schema = resolve(at(CALL_TRACKING)["properties"][field])
    assert (schema.get("type"), schema.get("format")) == expected


def test_call_status_values() -> None:
    """Statuses are the four values the upstream lists."""
    status = resolve(at(CALL_TRACKING)["properties"]["status"])
    assert sorted(status["enum"]) == sorted(CALL_STATUSES)


def test_read_only_fields_match_upstream() -> None:
    """readOnly exactly where the upstream's "Read-only" column says yes ($refs resolved)."""
    props = at(CALL_TRACKING)["properties"]
    read_only = {name for name, prop in props.items() if resolve(prop).get("readOnly") is True}
    assert read_only == READ_ONLY


def test_upstream_record_is_a_valid_call_tracking() -> None:
    """Baseline for the relation tests below: the unchanged upstream record validates."""
    assert schema_errors(CALL_TRACKING, UPSTREAM_LIST["call_trackings"][0]) == []


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize(
    ("form", "valid"),
    [
        ("collapsed", True),
        ("full", True),
        ("null", True),
        ("string", False),
        ("bare id", False),
        ("string id", False),
        ("empty object", False),
    ],
)
def test_relation_forms(relation: str, form: str, valid: bool) -> None:
    """Relations are ``{"id": n}``, the expanded object, or null - nothing else."""
    value = {
        "collapsed": {"id": 1},
        "full": FULL_RELATION[relation],
        "null": None,
        "string": "abc",
        "bare id": 1,
        "string id": {"id": "1"},
        "empty object": {},
    }[form]
    record = copy.deepcopy(UPSTREAM_LIST["call_trackings"][0])
    record[relation] = value
    errors = schema_errors(CALL_TRACKING, record)
    assert (errors == []) is valid, errors


BULK_OPERATION_CASES: list[tuple[dict[str, Any], bool]] = [
    ({"op": "replace", "path": "/assignment/user", "value": 1}, True),
    ({"op": "replace", "path": "/assignment/property", "value": 1123}, True),
    ({"op": "replace", "path": "/assignment/lead", "value": 1}, True),
    ({"op": "replace", "path": "/seen", "value": True}, True),
    ({"op": "replace", "path": "/seen", "value": False}, True),
    ({"op": "replace", "path": "/seen", "value": 2}, True),
    ({"op": "replace", "path": "/seen", "value": 0}, True),
    ({"op": "replace", "path": "/assignment/user", "value": "abc"}, False),
    ({"op": "replace", "path": "/assignment/user", "value": True}, False),
    ({"op": "replace", "path": "/assignment/user", "value": 0}, False),
    ({"op": "replace", "path": "/assignment/property", "value": "1123"}, False),
    ({"op": "replace", "path": "/assignment/lead", "value": None}, False),
    ({"op": "replace", "path": "/assignment/lead", "value": 1.5}, False),
    ({"op": "replace", "path": "/seen", "value": "yes"}, False),
    ({"op": "replace", "path": "/seen", "value": None}, False),
    ({"op": "replace", "path": "/assignment/foo", "value": 1}, False),
    ({"op": "replace", "path": "/assignment", "value": 1}, False),
    ({"op": "add", "path": "/assignment/user", "value": 1}, False),
    ({"op": "replace", "path": "/assignment/user"}, False),
    ({"path": "/seen", "value": True}, False),
]


@pytest.mark.parametrize(
    ("operation_obj", "valid"),
    BULK_OPERATION_CASES,
    ids=[json.dumps(case, sort_keys=True) for case, _ in BULK_OPERATION_CASES],
)
def test_bulk_operation(operation_obj: dict[str, Any], valid: bool) -> None:
    """The four documented paths, each with its value type; anything else is rejected."""
    errors = schema_errors("/components/schemas/BulkOperation", operation_obj)
    assert (errors == []) is valid, errors


# --------------------------------------------------------------------------- 7. examples

EXAMPLES = list(iter_examples())


def test_examples_were_collected() -> None:
    """Guards the parametrized example test below against walking nothing."""
    pointers = {p for p, _, _ in EXAMPLES}
    assert (
        ptr(
            "paths",
            "/calltrackings",
            "get",
            "responses",
            "200",
            "content",
            "application/json",
            "examples",
            "upstream",
        )
        in pointers
    )
    assert (
        ptr(
            "components",
            "responses",
            "BadRequest",
            "content",
            "application/json",
            "examples",
            "badFilter",
        )
        in pointers
    )
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize(("example", "schema", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_matches_its_schema(example: str, schema: str, value: Any) -> None:
    """An example that breaks its own schema misleads readers and the mock's fixtures."""
    assert schema_errors(schema, value) == []
    assert rs_valid(schema, value), f"{example}: rejected by jsonschema_rs (formats on)"


@pytest.mark.parametrize(
    ("operation_id", "where", "expected"),
    [
        ("listCallTrackings", "200", UPSTREAM_LIST),
        ("bulkUpdateCallTrackings", "request", UPSTREAM_PATCH),
        ("bulkDeleteCallTrackings", "request", UPSTREAM_BULK_DELETE),
        ("getCallTrackingRecording", "200", UPSTREAM_RECORDING),
    ],
)
def test_upstream_example_is_present(operation_id: str, where: str, expected: Any) -> None:
    """Each JSON example of the upstream page is kept verbatim (relations collapsed)."""
    _, _, op = operation(operation_id)
    body = op["requestBody"] if where == "request" else op["responses"][where]
    media = resolve(body)["content"]["application/json"]
    values = [resolve(e)["value"] for e in media.get("examples", {}).values()]
    if "example" in media:
        values.append(media["example"])
    assert expected in values


# --------------------------------------------------------------------------- 8. links


def test_list_links() -> None:
    """The list's first id feeds delete and recording (stateful testing). No link builds a
    body: OpenAPI allows a literal one, but openapi-generator's validation refuses any
    ``requestBody`` that is not a string, and a generated client matters more."""
    links = at(op_pointer("listCallTrackings") + "/responses/200")["links"]
    by_target = {link["operationId"]: link for link in links.values()}
    assert len(by_target) == len(links)
    assert set(by_target) == {"deleteCallTracking", "getCallTrackingRecording"}
    for target in ("deleteCallTracking", "getCallTrackingRecording"):
        assert by_target[target] == {"operationId": target,
                                     "description": by_target[target]["description"],
                                     "parameters": {"id": LIST_EXPR}}
        assert [p["name"] for p in parameters(target) if p["in"] == "path"] == ["id"]


# --------------------------------------------------------------------------- 9. descriptions


def test_every_operation_has_a_description() -> None:
    """Operations are the contract's main promises; each says what it does."""
    for method, path, op in iter_operations():
        assert op.get("description", "").strip(), f"{method} {path}"


def test_every_parameter_has_a_description() -> None:
    """Components and inline parameters alike."""
    params = [resolve(p) for p in SPEC["components"].get("parameters", {}).values()]
    for op_id in RIGHTS:
        params += parameters(op_id)
    assert len(params) > len(LIST_QUERY)
    for param in params:
        assert param.get("description", "").strip(), param["name"]


def test_every_component_schema_has_a_description() -> None:
    """Each named schema explains what it models."""
    for name, schema in SPEC["components"]["schemas"].items():
        assert description_of(schema).strip(), name


def test_every_schema_property_has_a_description() -> None:
    """Nested properties too (e.g. User.public.email); a $ref may borrow its target's."""
    missing, seen = [], set()
    for root, schema in iter_root_schemas():
        for pointer, prop in iter_properties(schema, root):
            seen.add(pointer)
            if not description_of(prop).strip():
                missing.append(pointer)
    assert (
        ptr("components", "schemas", "User", "properties", "public", "properties", "email") in seen
    )
    assert (
        ptr(
            "components",
            "schemas",
            "RecordingResponse",
            "properties",
            "recording",
            "properties",
            "url",
        )
        in seen
    )
    assert missing == []


def test_assumed_elements_say_so() -> None:
    """``x-assumed`` is a boolean true, and the prose admits the guess."""
    marked = [(p, n) for p, n in iter_nodes(SPEC) if "x-assumed" in n]
    assert len(marked) >= 15
    for pointer, node in marked:
        assert node["x-assumed"] is True, pointer
        assert "assumed" in node.get("description", "").lower(), pointer


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("param", "per_page"),
        ("param", "page"),
        ("param", "filters[state]"),
        ("param", "filters[date][from]"),
        ("param", "filters[date][to]"),
        ("ptr", "/components/schemas/Error"),
        ("ptr", "/components/schemas/AclRule"),
        ("ptr", "/components/schemas/User"),
        ("ptr", "/components/schemas/Lead"),
        ("ptr", "/components/schemas/Property"),
        ("ptr", "/components/schemas/BulkUpdateResult"),
        ("ptr", ptr("paths", "/calltrackings", "patch", "responses", "200")),
        ("ptr", "/components/schemas/BulkUpdateRequest/properties/calltrackings"),
        ("ptr", "/components/schemas/CallTrackingList/properties/count"),
        ("ptr", "/components/schemas/CallTrackingList/properties/page"),
        ("ptr", "/components/schemas/CallTrackingList/properties/per_page"),
    ],
)
def test_known_guess_is_marked_assumed(kind: str, key: str) -> None:
    """Things the upstream never states must not pass for documented promises."""
    assert element(kind, key).get("x-assumed") is True


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("ptr", CALL_TRACKING),
        ("ptr", CALL_TRACKING + "/properties/id"),
        ("ptr", CALL_TRACKING + "/properties/download_url"),
        ("ptr", "/components/schemas/CallStatus"),
        ("ptr", "/components/schemas/CallTrackingList"),
        ("ptr", "/components/schemas/CallTrackingList/properties/call_trackings"),
        ("ptr", "/components/schemas/BulkUpdateRequest/properties/operations"),
        ("ptr", "/components/schemas/BulkDeleteRequest"),
        ("ptr", "/components/schemas/RecordingResponse"),
        ("ptr", "/components/securitySchemes/bearerAuth"),
        ("ptr", ptr("paths", "/calltrackings", "delete", "responses", "204")),
        ("ptr", ptr("paths", "/calltrackings/{id}", "delete", "responses", "204")),
        ("ptr", ptr("paths", "/calltrackings/{id}/recording", "get", "responses", "200")),
        ("param", "filters[status]"),
        ("param", "filters[date_from]"),
        ("param", "filters[phone]"),
        ("param", "sort"),
    ],
)
def test_documented_element_is_not_marked_assumed(kind: str, key: str) -> None:
    """Marking documented facts as guesses would hide real contract breaks."""
    assert "x-assumed" not in element(kind, key)


@pytest.mark.parametrize("operation_id", sorted(RIGHTS))
def test_documented_operation_is_not_marked_assumed(operation_id: str) -> None:
    """All five operations are on the upstream page."""
    assert "x-assumed" not in operation(operation_id)[2]


# --------------------------------------------------------------------------- 10. strictness


def test_call_tracking_list_requires_only_the_documented_key() -> None:
    """Only ``call_trackings`` is documented; the pagination envelope is a guess."""
    assert at("/components/schemas/CallTrackingList")["required"] == ["call_trackings"]


def test_call_tracking_allows_extra_properties() -> None:
    """The upstream may add fields; a real response must not fail on them."""
    assert at(CALL_TRACKING).get("additionalProperties", True) is True
    record = {**UPSTREAM_LIST["call_trackings"][0], "new_upstream_field": "x"}
    assert schema_errors(CALL_TRACKING, record) == []


def test_no_response_schema_forbids_extra_properties() -> None:
    """Same reason, for every schema reachable from any response."""
    seen: set[str] = set()
    closed = []
    for pointer, media in iter_media_types():
        if "/requestBody/" in pointer or "schema" not in media:
            continue
        for schema in iter_schemas_deep(media["schema"], seen):
            if (
                schema.get("additionalProperties") is False
                or schema.get("unevaluatedProperties") is False
            ):
                closed.append(schema.get("description", schema))
    reached = {ref.rsplit("/", 1)[-1] for ref in seen}
    assert {
        "CallTrackingList",
        "CallTracking",
        "User",
        "Lead",
        "Property",
        "UserRef",
        "LeadRef",
        "PropertyRef",
        "BulkUpdateResult",
        "RecordingResponse",
        "Error",
        "ErrorDetail",
    } <= reached
    assert closed == []
