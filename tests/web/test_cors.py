"""CORS: a frontend on another origin (a dev server on localhost:5173) can call the mock."""

from __future__ import annotations

from conftest import auth
from flask.testing import FlaskClient

ORIGIN = "http://localhost:5173"


def header_set(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",")}


def test_the_preflight_allows_the_api_headers_and_methods(client: FlaskClient) -> None:
    response = client.options("/calltrackings", headers={
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type, x-mycrm-expand-data",
    })
    assert response.status_code == 204
    assert "Content-Type" not in response.headers  # no body, no type
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert {"authorization", "content-type", "x-mycrm-expand-data"} <= header_set(
        response.headers["Access-Control-Allow-Headers"])
    methods = header_set(response.headers["Access-Control-Allow-Methods"])
    assert {"get", "patch", "delete"} <= methods


def test_a_cross_origin_answer_exposes_the_warning_header(client: FlaskClient) -> None:
    response = client.get("/calltrackings?per_page=1&filters[colour]=red",
                          headers=auth(Origin=ORIGIN))
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Vary"] == "Origin"
    assert "x-mycrm-api-warning" in header_set(response.headers["Access-Control-Expose-Headers"])
    assert response.headers["X-MyCRM-API-Warning"] == "Unknown filters ignored: filters[colour]"


def test_errors_carry_cors_headers_too_so_the_browser_can_read_them(client: FlaskClient) -> None:
    response = client.get("/calltrackings", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_without_an_origin_no_cors_headers_are_sent(client: FlaskClient) -> None:
    response = client.get("/calltrackings?per_page=1", headers=auth())
    assert "Access-Control-Allow-Origin" not in response.headers
