"""The mock checks its own responses: a reply that breaks the contract is a loud 500."""

from __future__ import annotations

import logging

import pytest
from conftest import auth, make_app
from flask import Flask


def corrupt(app: Flask, record_id: int, **fields: object) -> None:
    """Break a stored record behind the API's back, as a bug in the mock would."""
    data = app.extensions["mockserver"]["store"].session().data
    for name, value in fields.items():
        setattr(data.call_trackings[record_id], name, value)


def test_a_response_breaking_the_contract_is_a_500_naming_the_violation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    corrupt(app, 2, status="ringing")
    with caplog.at_level(logging.ERROR, logger="mockserver"):
        response = app.test_client().get(
            "/calltrackings?filters[reference]=pfflex-2", headers=auth()
        )
    assert response.status_code == 500
    body = response.get_json()
    assert body["code"] == 500
    assert body["message"].startswith("The mock produced a response that breaks the contract")
    assert "call_trackings/0/status" in body["message"]
    assert "'ringing' is not one of" in body["message"]
    assert "call_trackings/0/status" in caplog.text


def test_without_response_validation_the_broken_response_goes_out() -> None:
    app = make_app(no_response_validation=True)
    corrupt(app, 2, status="ringing")
    response = app.test_client().get("/calltrackings?filters[reference]=pfflex-2", headers=auth())
    assert response.status_code == 200
    assert response.get_json()["call_trackings"][0]["status"] == "ringing"


def test_a_value_below_its_minimum_is_caught() -> None:
    app = make_app()
    corrupt(app, 2, talk_time=-5)
    response = app.test_client().get("/calltrackings?filters[reference]=pfflex-2", headers=auth())
    assert response.status_code == 500
    assert "talk_time" in response.get_json()["message"]


def test_an_empty_free_text_filter_is_named_as_empty() -> None:
    response = make_app().test_client().get("/calltrackings?filters[phone]=", headers=auth())
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"in": "query", "name": "filters[phone]", "reason": "must not be empty"}
    ]
