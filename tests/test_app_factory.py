"""create_app: every blueprint, security headers, cookies, error pages in the site's own look."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort, session
from flask.testing import FlaskClient

from marketplace.accounts.models import Role, User
from tests.conftest import make_app

BLUEPRINTS = {
    "main",
    "accounts",
    "admin",
    "directory",
    "search",
    "bookings",
    "payments",
    "commissioning",
    "api",
    "provider_onboarding",
}


def fresh_app(tmp_path: Path, **overrides: Any) -> Flask:
    """An app of its own (own SQLite file, no migrations) for routes only a test may add."""
    overrides.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/fresh.sqlite3")
    app = make_app(str(tmp_path), **overrides)

    @app.get("/test-only/boom")
    def boom() -> str:
        raise RuntimeError("something broke")

    @app.get("/test-only/forbidden")
    def forbidden() -> str:
        abort(403)

    @app.get("/test-only/remember")
    def remember() -> str:
        session["seen"] = True
        return "ok"

    return app


def assert_in_site_look(html: str) -> None:
    assert '<header class="app-header"' in html
    assert "Care marketplace" in html
    assert "govuk-footer" in html
    assert "govuk-header__logotype" not in html  # no crown: the GOV.UK brand is not ours to use
    assert "Traceback" not in html


def test_every_blueprint_is_registered(app: Flask) -> None:
    assert set(app.blueprints) >= BLUEPRINTS


def test_pages_carry_security_headers_with_a_fresh_script_nonce(client: FlaskClient) -> None:
    first = client.get("/")
    second = client.get("/")
    csp = first.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce, csp
    assert f'nonce="{nonce.group(1)}"' in first.get_data(as_text=True)
    assert nonce.group(1) not in second.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert first.headers["X-Frame-Options"] == "DENY"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_error_responses_carry_security_headers_too(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"


def _session_cookie(client: FlaskClient) -> str:
    response = client.get("/test-only/remember")
    cookies = [
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")
    ]
    assert cookies, response.headers
    return cookies[0]


def test_session_cookie_is_http_only_and_same_site_lax(tmp_path: Path) -> None:
    cookie = _session_cookie(fresh_app(tmp_path).test_client())
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development serves plain http on 127.0.0.1


def production_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """An app of its own as production runs it, serving localhost."""
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("SERVER_NAME", "localhost")
    return fresh_app(tmp_path)


def test_session_cookie_is_secure_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = production_app(tmp_path, monkeypatch)
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    cookie = _session_cookie(app.test_client())
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_an_unknown_page_gets_the_sites_not_found_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert_in_site_look(html)
    assert "Page not found" in html


def test_a_forbidden_page_gets_the_sites_permission_page(tmp_path: Path) -> None:
    response = fresh_app(tmp_path).test_client().get("/test-only/forbidden")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert_in_site_look(html)
    assert "You do not have permission to see this page" in html


def test_a_holder_opening_the_admin_pages_is_told_they_may_not(
    make_user: Callable[..., User], sign_in: Callable[[User], FlaskClient]
) -> None:
    client = sign_in(make_user(Role.HOLDER))
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "You do not have permission to see this page" in response.get_data(as_text=True)


def test_a_crash_gets_the_sites_problem_page_without_details(tmp_path: Path) -> None:
    app = fresh_app(tmp_path, TESTING=False)
    response = app.test_client().get("/test-only/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert_in_site_look(html)
    assert "Sorry, there is a problem with the service" in html
    assert "something broke" not in html
    assert "Content-Security-Policy" in response.headers


def test_in_production_a_request_for_another_host_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = production_app(tmp_path, monkeypatch)
    page = "/accessibility"
    assert app.test_client().get(page, headers={"Host": "evil.example"}).status_code == 400
    assert app.test_client().get(page).status_code == 200
