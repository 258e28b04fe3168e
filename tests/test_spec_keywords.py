"""Every schema of the three specs uses only JSON Schema 2020-12 and OpenAPI keywords.

An unknown key is ignored by every validator, so a slip such as a YAML flow mapping split by
a comma (``{description: The modulus, base64url.}`` makes a key ``base64url.``) or a
misspelt ``maxItem`` would silently drop a rule. This catches both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.core.spec import ADMIN_SPEC, AUTH_SPEC, default_spec_path

KEYWORDS = frozenset({
    # core and applicator vocabularies
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$defs",
    "$comment", "$vocabulary", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    "dependentSchemas", "prefixItems", "items", "contains", "properties",
    "patternProperties", "additionalProperties", "propertyNames", "unevaluatedItems",
    "unevaluatedProperties",
    # validation
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties",
    "required", "dependentRequired",
    # format, content, meta-data
    "format", "contentEncoding", "contentMediaType", "contentSchema", "title",
    "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
    # OpenAPI 3.1's additions to the Schema Object
    "discriminator", "xml", "externalDocs", "example",
})
ONE = ("not", "if", "then", "else", "items", "contains", "additionalProperties",
       "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema")
MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
NAMED = ("properties", "patternProperties", "$defs", "dependentSchemas")


def subschemas(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return  # true/false schemas
    yield where, schema
    for key in ONE:
        yield from subschemas(schema.get(key), f"{where}/{key}")
    for key in MANY:
        for i, item in enumerate(schema.get(key, [])):
            yield from subschemas(item, f"{where}/{key}/{i}")
    for key in NAMED:
        for name, item in schema.get(key, {}).items():
            yield from subschemas(item, f"{where}/{key}/{name}")


def schemas_of(document: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """The schemas of an OpenAPI document: components' and every ``schema`` in it."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "schema":
                yield from subschemas(value, f"{where}/schema")
            elif key == "schemas" and where == "/components":
                for name, schema in value.items():
                    yield from subschemas(schema, f"/components/schemas/{name}")
            elif key not in ("example", "examples"):
                yield from schemas_of(value, f"{where}/{key}")
    elif isinstance(document, list):
        for i, item in enumerate(document):
            yield from schemas_of(item, f"{where}/{i}")


@pytest.mark.parametrize("path", [default_spec_path(), ADMIN_SPEC, AUTH_SPEC],
                         ids=["openapi", "admin", "auth"])
def test_every_schema_key_is_a_keyword(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = list(schemas_of(document))
    assert len(found) > 20
    unknown = [(where, key) for where, schema in found for key in schema
               if key not in KEYWORDS and not key.startswith("x-")]
    assert unknown == []


def test_a_split_flow_mapping_is_caught() -> None:
    document = yaml.safe_load("components:\n  schemas:\n    K:\n      properties:\n"
                              "        n: {type: string, description: The modulus, base64url.}\n")
    assert [(w, k) for w, s in schemas_of(document) for k in s if k not in KEYWORDS] == [
        ("/components/schemas/K/properties/n", "base64url.")]
