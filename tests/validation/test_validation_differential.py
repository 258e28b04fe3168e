"""The fast validator against openapi-core, on thousands of generated requests and responses.

openapi-core is the reference for what is valid. The compiled fast path must give the same
verdict on every request (and, on acceptance, the same typed parameters) and on every
response. Requests come from schemathesis (positive and negative cases drawn from the spec)
and from hand-made strategies aimed at the edges of casting and formats; responses are real
responses of the mock, mutated. Each request goes through a real URL and werkzeug's parsing,
as a client's would. Every example is compared; the counts prove both verdicts occur often.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
import schemathesis
from conftest import auth, make_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from mockserver.core.errors import ApiError, BadRequest, ContractViolation
from mockserver.core.http import HttpRequest, HttpResponse
from mockserver.core.responses import JSON_TYPE, dump
from mockserver.core.spec import Spec
from mockserver.validation.compiled import CompiledValidator
from mockserver.validation.formats import NATIVE_EQUIVALENTS
from mockserver.validation.reference import OpenApiCoreValidator, any_host
from mockserver.validation.request_body import read_body

SPEC = Spec.load()
FAST = CompiledValidator(SPEC)
REFERENCE = OpenApiCoreValidator(SPEC)
URLS = Map(
    [
        Rule(t.replace("{", "<").replace("}", ">"), endpoint=t, methods=list(m))
        for t, m in SPEC.paths().items()
    ]
)
RUN = settings(
    derandomize=True,  # the same cases on every run
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


# --- building requests as a server receives them ---------------------------------------


def http_request(method: str, url: str, headers: dict[str, str], body: bytes | None,
                 params: Any = None) -> HttpRequest | None:
    """Encode like a client (requests), parse like the server (werkzeug); None if unrouted."""
    prepared = requests.Request(method, url, params=params, headers=headers, data=body).prepare()
    parts = urlsplit(prepared.url)
    data = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    environ = EnvironBuilder(
        method=method, path=parts.path, query_string=parts.query,
        headers=list(prepared.headers.items()), data=data,
    ).get_environ()
    try:
        template, path_params = URLS.bind_to_environ(environ).match()
    except HTTPException:
        return None  # Flask answers 404/405 before validation
    req = Request(environ)
    return HttpRequest(
        method=method.lower(), path=req.path, path_pattern=template, host_url=req.host_url,
        query=req.args, headers=req.headers,  # type: ignore[arg-type]
        path_params=path_params, body=req.get_data(), content_type=req.content_type or "",
    )


def reachable_body(request: HttpRequest) -> tuple[bool, Any]:
    """The pipeline's steps before validation: a 415 or malformed JSON never reaches it."""
    try:
        return True, read_body(request)
    except ApiError:
        return False, None


VERDICTS: Counter[str] = Counter()


def verdict_of(check: Any, request: HttpRequest, body: Any) -> Any:
    """The checked request, or the problems of the rejection as JSON."""
    try:
        return check(request, body)
    except BadRequest as exc:
        return [p.to_json() for p in exc.problems]


def compare_request(request: HttpRequest | None, source: str) -> None:
    if request is None:
        return
    reachable, body = reachable_body(request)
    if not reachable:
        return
    fast = FAST.fast_request_verdict(request, body)
    objected = verdict_of(REFERENCE.check_objected, request, body)
    try:
        reference = REFERENCE.check_request(request, body)
    except BadRequest as exc:
        assert fast is None, f"fast path accepted what openapi-core rejects: {exc.problems}"
        # openapi-core on the parameters sent alone: the same problems, in the same order
        assert objected == [p.to_json() for p in exc.problems]
        VERDICTS[f"{source}: rejected"] += 1
        return
    assert objected == reference
    assert fast is not None, "fast path rejected what openapi-core accepts"
    assert (fast.query, fast.path, fast.headers) == (
        reference.query, reference.path, reference.headers,
    )
    assert [type(v) for v in fast.query.values()] == [
        type(reference.query[k]) for k in fast.query
    ]
    VERDICTS[f"{source}: accepted"] += 1


# --- requests from schemathesis ----------------------------------------------------------

SCHEMA = schemathesis.openapi.from_dict(any_host(SPEC.document))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
HEADERS = auth("admin")


def schemathesis_cases() -> st.SearchStrategy[Any]:
    return st.one_of(
        [op.as_strategy(generation_mode=mode) for op in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    )


@settings(RUN, max_examples=400)
@given(schemathesis_cases())
def test_schemathesis_requests_get_the_same_verdicts(case: Any) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://localhost")
    headers = {**kwargs.get("headers", {}), **HEADERS}
    body = None
    if "json" in kwargs:
        body = json.dumps(kwargs["json"]).encode()
        headers["Content-Type"] = JSON_TYPE
    elif kwargs.get("data") is not None:
        body = kwargs["data"] if isinstance(kwargs["data"], bytes) else str(kwargs["data"]).encode()
    request = http_request(kwargs["method"], kwargs["url"], headers, body, kwargs.get("params"))
    compare_request(request, "schemathesis")


# --- requests aimed at casting and formats ------------------------------------------------

LIST_PARAMETERS = [
    SPEC.resolve(p)["name"] for p in SPEC.operations["listCallTrackings"].definition["parameters"]
    if SPEC.resolve(p)["in"] == "query"
]
EDGE_VALUES = [
    "", " ", " 5", "5 ", "+5", "-1", "0", "1", "1_0", "\u0663", "1e2", "5.0", "abc", "500", "501",
    "100", "9" * 30, "9" * 5000, "2023-05-09", "2024-02-29", "2023-02-29", "2023-5-9",
    "2023-05-09\n", "20230509", "0000-01-01", "\uff12\uff10\uff12\uff13-01-01", "ASC", "asc",
    "Desc", "DESC", "desc", "id", "date", "phone", "bogus", "answered", "Answered", "assigned",
    "unassigned", "true", "%", "+971 55 487 9009", "pfflex-1", "John", "\x00", "\u00e9",
]
VALUES = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.text(max_size=12),
    st.integers(min_value=-5, max_value=600).map(str),
    st.dates().map(str),
)


@settings(RUN, max_examples=500)
@given(
    st.lists(
        st.tuples(st.sampled_from([*LIST_PARAMETERS, "filters[x]", "Page", "sort[]"]), VALUES),
        max_size=5,
    ),
    st.one_of(st.none(), st.sampled_from(["true", "", "user,lead", "\u00e9"])),
)
def test_list_queries_get_the_same_verdicts(
    pairs: list[tuple[str, str]], expand: str | None
) -> None:
    headers = dict(HEADERS)
    if expand is not None:
        headers["X-MyCRM-Expand-Data"] = expand
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    url = "http://localhost/calltrackings" + (f"?{query}" if query else "")
    compare_request(http_request("GET", url, headers, None), "list queries")


ID_VALUES = st.one_of(
    st.sampled_from(["0", "1", "-1", " 7", "7 ", "+7", "abc", "1_0", "\u0663", "1.0", "9" * 25]),
    st.integers(min_value=-3, max_value=10**12).map(str),
    st.text(min_size=1, max_size=6),
)


@settings(RUN, max_examples=300)
@given(ID_VALUES, st.sampled_from(["DELETE /calltrackings/{}", "GET /calltrackings/{}/recording"]))
def test_path_ids_get_the_same_verdicts(value: str, route: str) -> None:
    method, template = route.split(" ")
    url = "http://localhost" + template.format(quote(value, safe=""))
    compare_request(http_request(method, url, dict(HEADERS), None), "path ids")


JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2, max_value=2**64),
    st.sampled_from([1.0, 1.5, 0.0, -0.0, 1e300]), st.sampled_from(["replace", "/seen", "x", ""]),
)
OPERATION = st.fixed_dictionaries(
    {
        "op": st.sampled_from(["replace", "add", "Replace"]),
        "path": st.sampled_from(
            ["/seen", "/assignment/user", "/assignment/lead", "/assignment/property", "/x"]
        ),
        "value": JSON_LEAVES,
    },
    optional={"extra": JSON_LEAVES},
)
BODIES = st.one_of(
    st.fixed_dictionaries(
        {"operations": st.lists(OPERATION, max_size=3)},
        optional={"calltrackings": st.lists(st.integers(min_value=-1, max_value=5), max_size=3)},
    ),
    st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.sampled_from(["operations", "calltrackings", "x"]), inner,
                                   max_size=3), max_leaves=6),
)


@settings(RUN, max_examples=600)  # bulk bodies refuse unknown keys: fewer are accepted
@given(st.one_of(st.none(), BODIES), st.sampled_from(["PATCH", "DELETE"]),
       st.sampled_from([JSON_TYPE, "application/json; charset=utf-8", "application/json;x",
                        "application/json; charset=latin-1", "Application/JSON"]))
def test_bodies_get_the_same_verdicts(body: Any, method: str, content_type: str) -> None:
    headers = {**HEADERS, "Content-Type": content_type}
    raw = None if body is None else json.dumps(body).encode()
    compare_request(http_request(method, "http://localhost/calltrackings", headers, raw), "bodies")


# --- responses: the mock's own, mutated ---------------------------------------------------


def real_responses() -> list[tuple[HttpRequest, HttpResponse]]:
    """Responses of every operation and several statuses, as the pipeline built them."""
    app = make_app()
    pipeline = app.extensions["mockserver"]["pipeline"]
    seen: list[tuple[HttpRequest, HttpResponse]] = []
    original = pipeline.check_response
    pipeline.check_response = lambda req, resp: seen.append((req, resp)) or original(req, resp)
    client = app.test_client()
    for path, headers in [
        ("/calltrackings?per_page=2", {}),
        ("/calltrackings?per_page=3&sort=lead", {"X-MyCRM-Expand-Data": "true"}),
        ("/calltrackings?filters[foo]=1&per_page=1", {"X-MyCRM-Expand-Data": "user,bogus"}),
        ("/calltrackings/1/recording", {}),
    ]:
        client.get(path, headers={**auth("viewer"), **headers})
    client.patch("/calltrackings", headers=auth("admin"), json={
        "calltrackings": [1, 2], "operations": [{"op": "replace", "path": "/seen", "value": True}]
    })
    client.delete("/calltrackings/3", headers=auth("admin"))
    assert len(seen) == 6
    return seen


BASES = real_responses()
MUTANTS = [
    None, True, False, 0, -1, 1, 1.5, 2**70, "", "x", "2023-09-02T12:40:43+04:00",
    "2023-02-29T12:40:43+04:00", "2024-02-29t12:40:43z", "2023-09-02T12:40:43+04:00\n",
    "0000-01-01T00:00:00Z", "2023-09-02 12:40:43+04:00", "2023-09-02T23:59:60Z", "not a uri",
    "a@b", "nobody", "answered", "bogus", "full", "read", [], {}, {"id": 1}, {"id": 0},
    {"id": 1, "x": 2}, [1], {"id": "1"}, {"url": "http://x"},
]


def locations(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield node, key
            yield from locations(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield node, index
            yield from locations(value)


def mutate(body: Any, rng: random.Random, times: int) -> Any:
    body = copy.deepcopy(body)
    for _ in range(times):
        spots = list(locations(body))
        if not spots:
            return body
        container, key = rng.choice(spots)
        action = rng.random()
        if action < 0.6:
            container[key] = copy.deepcopy(rng.choice(MUTANTS))
        elif action < 0.8:
            del container[key]
        elif isinstance(container, dict):
            name = rng.choice(["extra", "id", "acl_rule", "count"])
            container[name] = copy.deepcopy(rng.choice(MUTANTS))
    return body


@settings(RUN, max_examples=800)
@given(
    st.sampled_from(range(len(BASES))), st.integers(min_value=0, max_value=2**32),
    st.integers(min_value=0, max_value=3),
    st.sampled_from([None] * 8 + [200, 204, 400, 404, 418, 500]),
    st.sampled_from([None] * 8 + ["text/plain", "application/json; charset=utf-8", ""]),
    st.sampled_from([None] * 4 + ["Unknown filters ignored: x", ""]),
)
def test_responses_get_the_same_verdicts(
    index: int, seed: int, times: int, status: int | None,
    content_type: str | None, warning: str | None,
) -> None:
    request, original = BASES[index]
    rng = random.Random(seed)
    body = mutate(original.json, rng, times) if original.json is not None else None
    headers = Headers(original.headers)
    if warning is not None:
        headers["X-MyCRM-API-Warning"] = warning
    response = HttpResponse(
        status or original.status_code,
        b"" if body is None else dump(body),
        headers,
        original.content_type if content_type is None else content_type,
        body,
    )
    fast = FAST.fast_response_verdict(request, response)
    try:
        REFERENCE.check_response(request, response)
    except ContractViolation as exc:
        assert not fast, f"fast path accepted a response openapi-core rejects: {exc.message}"
        VERDICTS["responses: rejected"] += 1
        return
    assert fast, "fast path rejected a response openapi-core accepts"
    VERDICTS["responses: accepted"] += 1


# --- formats, and the whole validator ----------------------------------------------------


def date_time_candidates() -> set[str]:
    """Every edge of the date-time rule, and thousands of one-character mutations."""
    found = {
        f"{y}-{m}-{d}{t}23:59:59{tail}"
        for y in ["0000", "0001", "0004", "0400", "1900", "2000", "2023", "2024", "2100", "9999"]
        for m in ["00", "01", "02", "04", "09", "12", "13"]
        for d in ["00", "01", "28", "29", "30", "31", "32"]
        for t in ["T", "t", " "]
        for tail in ["Z", "z", "+04:00", "-23:59", "+24:00", "+04:60", "", "Z\n", "Z\n\n", ".5Z"]
    }
    rng = random.Random(7)
    alphabet = "0123456789-:.+TtZz \nx\u0663"
    for _ in range(20000):
        chars = list("2024-02-29T12:40:43+04:00")
        i = rng.randrange(len(chars))
        if rng.random() < 0.5:
            chars[i] = rng.choice(alphabet)
        else:
            chars.insert(i, rng.choice(alphabet))
        found.add("".join(chars))
    return found


@pytest.mark.parametrize(
    ("format_name", "candidates"),
    [
        ("date-time", sorted(date_time_candidates())),
        ("email", ["a@b", "@", "ab", "", "a@", "\u00e9@x", "a b@c"]),
    ],
    ids=["date-time", "email"],
)
def test_native_formats_equal_the_reference_checks(
    format_name: str, candidates: list[str]
) -> None:
    import jsonschema_rs
    from openapi_schema_validator import oas31_format_checker

    checker = oas31_format_checker.checkers[format_name][0]
    native = jsonschema_rs.Draft202012Validator(
        NATIVE_EQUIVALENTS[f"{checker.__module__}.{checker.__name__}"]
    )
    differ = [s for s in candidates
              if native.is_valid(s) != oas31_format_checker.conforms(s, format_name)]
    assert differ == []
    assert sum(map(native.is_valid, candidates)) > len(candidates) // 20  # both kinds occur


def test_a_rejection_is_worded_by_openapi_core() -> None:
    """The fast path only decides to accept; errors are openapi-core's, word for word."""
    request = http_request("GET", "http://localhost/calltrackings?page=0&sort=bogus",
                           dict(HEADERS), None)
    assert request is not None
    errors = []
    for validator in (FAST, REFERENCE):
        with pytest.raises(ApiError) as caught:
            validator.check_request(request, None)
        errors.append(caught.value.body())
    assert errors[0] == errors[1] == {
        "code": 400,
        "message": "The request does not match the API contract.",
        "errors": [
            {"in": "query", "name": "sort",
             "reason": "'bogus' is not one of ['id', 'phone', 'user', 'status', 'date', "
                       "'call_time', 'lead', 'created', 'updated']"},
            {"in": "query", "name": "page", "reason": "0 is less than the minimum of 1"},
        ],
    }


def test_both_verdicts_occurred_often() -> None:
    """Runs last in this module: a comparison that never saw a rejection proves nothing."""
    print(dict(VERDICTS))
    sources = {key.split(":")[0] for key in VERDICTS}
    if len(sources) < 5:
        pytest.skip("run with the whole module to count the verdicts")
    for source in sources:
        accepted, rejected = VERDICTS[f"{source}: accepted"], VERDICTS[f"{source}: rejected"]
        assert accepted >= 30 and rejected >= 30, (source, accepted, rejected)
