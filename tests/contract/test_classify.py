"""Promise or guess: each kind of finding judged against the x-assumed markers of the spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.contract.assumptions import AssumptionIndex
from mockserver.contract.classify import Finding, Input, Kind, Verdict, classify
from mockserver.core.spec import Spec

ROOT = Path(__file__).resolve().parents[2]
INDEX = AssumptionIndex(Spec.load(ROOT / "openapi.yaml"))
S = "#/components/schemas"
R = "#/components/responses"
P = "#/components/parameters"
LIST, PATCH, DELETE_ONE, RECORDING = ("listCallTrackings", "bulkUpdateCallTrackings",
                                      "deleteCallTracking", "getCallTrackingRecording")
LIST_200 = "#/paths/~1calltrackings/get/responses/200/content/application~1json/schema"
PATCH_200 = "#/paths/~1calltrackings/patch/responses/200"


def finding(kind: Kind, op: str | None, status: int | None = None,
            schema_path: tuple[str, ...] = (), inputs: tuple[Input, ...] = ()) -> Finding:
    return Finding(kind, op, "label", "title", status=status, schema_path=schema_path,
                   inputs=inputs)


CONTRACT, ASSUMPTION = Verdict.CONTRACT, Verdict.ASSUMPTION
CASES = [
    # A response that breaks its schema rests on the response and every node on the path.
    ("documented field of a documented response",
     finding(Kind.RESPONSE_SCHEMA, LIST, 200, (LIST_200, f"{S}/CallTrackingList",
             f"{S}/CallTracking", f"{S}/CallTracking/properties/call_time")), CONTRACT, ()),
    ("assumed property of a documented container",
     finding(Kind.RESPONSE_SCHEMA, LIST, 200, (LIST_200, f"{S}/CallTrackingList",
             f"{S}/CallTrackingList/properties/count")),
     ASSUMPTION, (f"{S}/CallTrackingList/properties/count",)),
    ("documented field inside an assumed object (expanded lead)",
     finding(Kind.RESPONSE_SCHEMA, LIST, 200, (LIST_200, f"{S}/CallTracking",
             f"{S}/CallTracking/properties/lead", f"{S}/Lead", f"{S}/Lead/properties/status")),
     ASSUMPTION, (f"{S}/Lead",)),
    ("anyOf of a documented relation: not narrowed to the assumed branch",
     finding(Kind.RESPONSE_SCHEMA, LIST, 200, (f"{S}/CallTracking",
             f"{S}/CallTracking/properties/user")), CONTRACT, ()),
    ("error body of an assumed response",
     finding(Kind.RESPONSE_SCHEMA, RECORDING, 404, (f"{S}/Error",
             f"{S}/Error/properties/code")),
     ASSUMPTION, (f"{R}/NotFoundOrNoRecording", f"{S}/Error")),
    ("documented item schema inside the assumed bulk PATCH response",
     finding(Kind.RESPONSE_SCHEMA, PATCH, 200, (f"{S}/CallTracking",
             f"{S}/CallTracking/properties/call_time")),
     ASSUMPTION, (PATCH_200,)),
    ("wrong media type on a documented response",
     finding(Kind.RESPONSE_FORMAT, RECORDING, 200), CONTRACT, ()),
    ("wrong media type on an assumed error response",
     finding(Kind.RESPONSE_FORMAT, RECORDING, 404), ASSUMPTION, (f"{R}/NotFoundOrNoRecording",)),
    # An undocumented status rests on the documented responses of its class.
    ("422 where every documented 4xx is assumed",
     finding(Kind.UNDOCUMENTED_STATUS, LIST, 422),
     ASSUMPTION, (f"{R}/BadRequest", f"{R}/Unauthorized", f"{R}/Forbidden")),
    ("200 where 204 is documented",
     finding(Kind.UNDOCUMENTED_STATUS, DELETE_ONE, 200), CONTRACT, ()),
    ("204 where the only 2xx (bulk PATCH 200) is assumed",
     finding(Kind.UNDOCUMENTED_STATUS, PATCH, 204), ASSUMPTION, (PATCH_200,)),
    ("a redirect: no 3xx documented at all",
     finding(Kind.UNDOCUMENTED_STATUS, LIST, 302), CONTRACT, ()),
    ("503: no server error is ever a guess",
     finding(Kind.UNDOCUMENTED_STATUS, LIST, 503), CONTRACT, ()),
    ("server error", finding(Kind.SERVER_ERROR, LIST, 500), CONTRACT, ()),
    ("auth not enforced: bearer auth is documented",
     finding(Kind.AUTH_NOT_ENFORCED, RECORDING, 200), CONTRACT, ()),
    # Inputs.
    ("invalid assumed parameter accepted",
     finding(Kind.INVALID_INPUT_ACCEPTED, LIST, 200, inputs=(Input("query", "per_page"),)),
     ASSUMPTION, (f"{P}/PerPage",)),
    ("invalid documented parameter accepted: the 4xx that would refuse it are assumed",
     finding(Kind.INVALID_INPUT_ACCEPTED, LIST, 200, inputs=(Input("query", "filters[user_id]"),)),
     ASSUMPTION, (f"{R}/BadRequest", f"{R}/Unauthorized", f"{R}/Forbidden")),
    ("valid request of documented inputs rejected",
     finding(Kind.VALID_INPUT_REJECTED, LIST, 400, inputs=(Input("query", "filters[status]"),
                                                           Input("query", "sort"))),
     CONTRACT, ()),
    ("valid request with an assumed parameter rejected",
     finding(Kind.VALID_INPUT_REJECTED, LIST, 400, inputs=(Input("query", "filters[status]"),
                                                           Input("query", "per_page"))),
     ASSUMPTION, (f"{P}/PerPage",)),
    ("valid bulk PATCH naming its targets rejected",
     finding(Kind.VALID_INPUT_REJECTED, PATCH, 400, inputs=(Input("body", "calltrackings"),
                                                            Input("body", "operations"))),
     ASSUMPTION, (f"{S}/BulkUpdateRequest/properties/calltrackings",)),
    ("valid bulk PATCH of documented fields rejected",
     finding(Kind.VALID_INPUT_REJECTED, PATCH, 400, inputs=(Input("body", "operations"),)),
     CONTRACT, ()),
    ("expand header rejected",
     finding(Kind.VALID_INPUT_REJECTED, LIST, 400,
             inputs=(Input("header", "X-MyCRM-Expand-Data"),)),
     ASSUMPTION, (f"{P}/ExpandData",)),
    ("documented filter not applied",
     finding(Kind.FILTER_IGNORED, LIST, 200, inputs=(Input("query", "filters[status]"),)),
     CONTRACT, ()),
    ("assumed filter not applied",
     finding(Kind.FILTER_IGNORED, LIST, 200, inputs=(Input("query", "filters[state]"),)),
     ASSUMPTION, (f"{P}/FilterState",)),
    ("state not kept", finding(Kind.STATEFUL, DELETE_ONE, 200), CONTRACT, ()),
    ("a failure of the whole run", finding(Kind.OTHER, None), CONTRACT, ()),
    ("an operation the contract does not have",
     finding(Kind.RESPONSE_SCHEMA, "createCallTracking", 200), CONTRACT, ()),
]


@pytest.mark.parametrize(("finding", "verdict", "assumed"),
                         [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_classification(finding: Finding, verdict: Verdict, assumed: tuple[str, ...]) -> None:
    result = classify(finding, INDEX)
    assert (result.verdict, result.assumed) == (verdict, assumed)


# A contract whose error responses and security are written the other way round.
OTHER = AssumptionIndex(Spec({
    "openapi": "3.1.0",
    "security": [{"key": []}],
    "paths": {"/things/{id}": {
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "get": {
            "operationId": "getThing",
            "parameters": [{"name": "id", "in": "path", "required": True, "x-assumed": True,
                            "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "ok"},
                "400": {"description": "documented refusal"},
                "4XX": {"description": "any other client error", "x-assumed": True},
            },
        },
        "delete": {"operationId": "deleteThing", "security": [],
                   "responses": {"default": {"description": "anything", "x-assumed": True}}},
    }},
    "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header",
                                               "name": "X-Key", "x-assumed": True}}},
}))
OP = "#/paths/~1things~1{id}"


@pytest.mark.parametrize(("finding", "verdict", "assumed"), [
    pytest.param(finding(Kind.INVALID_INPUT_ACCEPTED, "getThing", 200,
                         inputs=(Input("query", "q"),)), CONTRACT, (),
                 id="a documented 400 makes refusing invalid input a promise"),
    pytest.param(finding(Kind.UNDOCUMENTED_STATUS, "getThing", 422), CONTRACT, (),
                 id="not every documented 4xx is assumed"),
    pytest.param(finding(Kind.RESPONSE_SCHEMA, "getThing", 404), ASSUMPTION,
                 (f"{OP}/get/responses/4XX",), id="a 4XX range response"),
    pytest.param(finding(Kind.RESPONSE_SCHEMA, "deleteThing", 409), ASSUMPTION,
                 (f"{OP}/delete/responses/default",), id="the default response"),
    pytest.param(finding(Kind.VALID_INPUT_REJECTED, "getThing", 400,
                         inputs=(Input("path", "id"),)), ASSUMPTION,
                 (f"{OP}/get/parameters/0",), id="operation parameter overrides the path's"),
    pytest.param(finding(Kind.AUTH_NOT_ENFORCED, "getThing", 200), ASSUMPTION,
                 ("#/components/securitySchemes/key",), id="assumed security scheme"),
    pytest.param(finding(Kind.AUTH_NOT_ENFORCED, "deleteThing", 200), CONTRACT, (),
                 id="an operation without security"),
])
def test_classification_follows_the_markers(finding: Finding, verdict: Verdict,
                                            assumed: tuple[str, ...]) -> None:
    result = classify(finding, OTHER)
    assert (result.verdict, result.assumed) == (verdict, assumed)
