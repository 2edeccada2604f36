"""The Open Referral UK `/` endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, FormatChecker

SCHEMA = Path(
    "/work/shared/data/openreferral/oruk_validator_schemas/Schemas/V3.0-UK/api_details.json"
)


@pytest.mark.skipif(
    not SCHEMA.exists(), reason="the ORUK validator schemas are not on this machine"
)
def test_api_details_validate_against_the_oruk_schema(client):
    response = client.get("/openreferral/")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = list(
        Draft7Validator(schema, format_checker=FormatChecker()).iter_errors(response.json)
    )
    assert errors == []
    assert "3.0" in response.json["version"]


def test_api_is_open_to_browser_apps_on_other_sites(client):
    response = client.get("/openreferral/")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_schema_check_would_catch_a_missing_field():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8")) if SCHEMA.exists() else None
    if schema is None:
        pytest.skip("the ORUK validator schemas are not on this machine")
    assert list(Draft7Validator(schema).iter_errors({"version": "HSDS-UK-3.0"}))


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY"])
@pytest.mark.parametrize("path", ["/openreferral/", "/openreferral/services", "/openreferral/x/y"])
def test_the_feed_is_read_only_and_says_so_in_json(tmp_path, method, path):
    """With CSRF protection on, as in service: a write is a JSON 405 with CORS, not a page."""
    from tests.conftest import make_app

    app = make_app(str(tmp_path), WTF_CSRF_ENABLED=True)
    response = app.test_client().open(path, method=method, json={"name": "x"})
    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert "read-only" in response.json["error"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path", ["/openreferral/", "/openreferral/services", "/openreferral/x/y"])
def test_options_answers_with_the_feeds_own_methods_and_cors(client, path):
    """A browser's preflight: the methods the feed answers (not the ones it refuses), any
    origin, the headers the browser asked to send."""
    response = client.options(
        path,
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Accept, X-Requested-With",
        },
    )
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Accept, X-Requested-With"
    assert int(response.headers["Access-Control-Max-Age"]) > 0
