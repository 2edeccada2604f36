"""Fixtures for the Open Referral UK API: the taxonomy, and a client that reads JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.directory.models import Category
from marketplace.directory.taxonomy import categories_by_slug, load_taxonomy
from marketplace.extensions import db


@pytest.fixture()
def category(app_ctx: Flask) -> Callable[[str], Category]:
    """The real taxonomy (data/taxonomy.csv), loaded; call with a slug to get its category."""
    load_taxonomy()
    db.session.commit()

    def get(slug: str) -> Category:
        return categories_by_slug([slug])[0]

    return get


@pytest.fixture()
def api(client: FlaskClient) -> Callable[..., Any]:
    """GET an API path (under /openreferral) and return the JSON body; checks the status, the
    content type and the CORS header on every answer, errors included."""

    def get(path: str, status: int = 200, **query: object) -> Any:
        response = client.get(f"/openreferral{path}", query_string=query or None)
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        return response.json

    return get
