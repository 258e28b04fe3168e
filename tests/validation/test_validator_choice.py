"""Choosing the validator: fast (default), openapi-core, or none at all for benchmarks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from conftest import ROOT, auth, make_app, start_server

from mockserver.core.spec import ADMIN_SPEC, AUTH_SPEC, Spec
from mockserver.settings import Settings
from mockserver.validation.compiled import CompiledValidator, UncheckedValidator
from mockserver.validation.reference import OpenApiCoreValidator
from mockserver.web.app import make_validator

BAD_QUERY = "/calltrackings?per_page=0&filters[date_from]=2023-02-29&sort_order=Desc"


@pytest.mark.parametrize(
    ("overrides", "kind"),
    [
        ({}, CompiledValidator),
        ({"validator": "fast"}, CompiledValidator),
        ({"validator": "openapi-core"}, OpenApiCoreValidator),
        ({"no_validation": True}, UncheckedValidator),
        ({"no_validation": True, "validator": "openapi-core"}, UncheckedValidator),
    ],
    ids=["default", "fast", "openapi-core", "none", "none wins"],
)
def test_settings_pick_the_validator(overrides: dict[str, object], kind: type) -> None:
    assert type(make_validator(Settings(**overrides), Spec.load())) is kind  # type: ignore[arg-type]


def test_an_unknown_validator_is_refused_naming_the_choices() -> None:
    message = "--validator / MOCKSERVER_VALIDATOR: 'slow' is not one of fast, openapi-core"
    with pytest.raises(ValueError, match=message):
        Settings(validator="slow")
    for args, env in ((["--validator", "slow"], {}), ([], {"MOCKSERVER_VALIDATOR": "slow"})):
        run = subprocess.run([sys.executable, "-m", "mockserver", "serve", *args], cwd=ROOT,
                             capture_output=True, text=True, env={**os.environ, **env})
        assert (run.returncode, run.stderr) == (2, f"mockserver: {message}\n")


@pytest.mark.parametrize("validator", ["fast", "openapi-core"])
def test_both_validators_answer_a_bad_request_word_for_word(validator: str) -> None:
    response = make_app(validator=validator).test_client().get(BAD_QUERY, headers=auth())
    assert response.status_code == 400
    assert response.get_json() == {
        "code": 400,
        "message": "The request does not match the API contract.",
        "errors": [
            {"in": "query", "name": "filters[date_from]", "reason": "'2023-02-29' is not a 'date'"},
            {"in": "query", "name": "sort_order",
             "reason": "'Desc' is not one of ['ASC', 'DESC', 'asc', 'desc']"},
            {"in": "query", "name": "per_page", "reason": "0 is less than the minimum of 1"},
        ],
    }


def test_without_validation_the_contract_is_not_enforced(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mockserver"):
        app = make_app(no_validation=True)
    assert "VALIDATION IS OFF (--no-validation)" in caplog.text
    client = app.test_client()
    response = client.get("/calltrackings?per_page=501", headers=auth())  # maximum 500
    assert response.status_code == 200
    assert response.get_json()["per_page"] == 501
    uncastable = client.get("/calltrackings?page=abc", headers=auth())
    assert uncastable.status_code == 400
    assert uncastable.get_json()["errors"] == [
        {"in": "query", "name": "page", "reason": "'abc' is not a valid integer"}
    ]


def test_no_validation_says_benchmarks_only_in_help_and_at_start() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--help"], cwd=ROOT, capture_output=True,
        text=True, check=True,
    ).stdout
    assert "FOR BENCHMARKING ONLY" in " ".join(help_text.split())
    server = start_server("--no-validation")
    try:
        assert "VALIDATION IS OFF (--no-validation)" in server.log()
    finally:
        server.stop()


def test_a_missing_required_body_is_named_as_missing() -> None:
    response = make_app().test_client().patch("/calltrackings", headers=auth())
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"in": "body", "name": "", "reason": "a JSON request body is required"}
    ]


def test_a_malformed_content_type_parameter_gets_415_not_500() -> None:
    response = make_app().test_client().patch(
        "/calltrackings", headers={**auth(), "Content-Type": "application/json;x"},
        data=b'{"operations":[{"op":"replace","path":"/seen","value":true}]}',
    )
    assert response.status_code == 415
    assert response.get_json() == {
        "code": 415,
        "message": "The Content-Type parameters are malformed: 'application/json;x'; "
                   "each must be name=value.",
    }


def test_warm_up_builds_openapi_core_before_any_invalid_request() -> None:
    validator = CompiledValidator(Spec.load())
    assert validator._reference is None  # lazy: a valid-only run never builds it
    validator.warm_up().join(timeout=60)
    built = validator._reference
    assert isinstance(built, OpenApiCoreValidator)
    assert validator.reference is built  # the invalid request finds it ready


def test_serve_warms_up_every_fast_validator() -> None:
    app = make_app()
    parts = app.extensions["mockserver"]["warm_ups"]
    warmed = [v for v in parts if isinstance(v, CompiledValidator)]
    assert len(warmed) == 3
    assert parts[3] is app.extensions["mockserver"]["store"]  # and the baseline's list order
    assert {v.spec.document["info"]["title"] for v in warmed} == {
        Spec.load(path).document["info"]["title"] for path in (None, ADMIN_SPEC, AUTH_SPEC)}
