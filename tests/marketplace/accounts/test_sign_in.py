"""Signing in and out, the generic failure message, safe redirects, CSRF and the rate limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import Role
from marketplace.extensions import limiter
from tests.conftest import PASSWORD, make_app
from tests.marketplace.accounts.conftest import new_client

GENERIC = "Enter a correct email address and password"


def test_person_signs_in_and_out(client, make_user):
    user = make_user(Role.HOLDER)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200

    response = client.post("/sign-out", follow_redirects=True)
    assert "You have signed out" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_signing_out_ends_the_old_session_cookie_too(app, client, make_user):
    user = make_user(Role.HOLDER)
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    stolen = client.get_cookie("session")
    assert stolen is not None
    client.post("/sign-out")

    replay = app.test_client()
    replay.set_cookie("session", stolen.value)
    assert replay.get("/account").status_code == 302  # sent to sign in: the cookie is dead


def test_email_is_matched_whatever_its_case(client, make_user):
    make_user(Role.HOLDER, email="ada@example.org")
    response = client.post("/sign-in", data={"email": "ADA@Example.org", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("which", ["wrong password", "unknown email"])
def test_failed_sign_in_shows_one_generic_message(client, make_user, which):
    user = make_user(Role.HOLDER)
    email = user.email if which == "wrong password" else "nobody@example.org"
    password = "not the password" if which == "wrong password" else PASSWORD
    response = client.post("/sign-in", data={"email": email, "password": password})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert GENERIC in html
    assert "There is a problem" in html  # the error summary
    assert "<title>Error: Sign in" in html


def test_empty_form_says_what_is_missing(client):
    response = client.post("/sign-in", data={})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter your email address" in html and "Enter your password" in html


def test_suspended_person_cannot_sign_in(client, make_user):
    user = make_user(Role.HOLDER, active=False)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert GENERIC in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/account", "/account"),
        ("https://evil.example/steal", "/dashboard"),
        ("//evil.example/steal", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("account", "/dashboard"),
    ],
)
def test_next_is_followed_only_to_local_paths(client, make_user, next_url, expected):
    user = make_user(Role.HOLDER)
    response = client.post(
        "/sign-in",
        query_string={"next": next_url},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_dashboard_sends_each_role_to_its_own_page(client, sign_in, make_user):
    sign_in(make_user(Role.COMMISSIONER))
    assert client.get("/dashboard").headers["Location"] == "/commissioning/"


# Apps with CSRF or rate limiting switched on share the session's database.


@pytest.fixture()
def csrf_client(app: Flask, tmp_path) -> FlaskClient:
    csrf_app = make_app(
        str(tmp_path),
        WTF_CSRF_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    return new_client(csrf_app)


def test_post_without_csrf_token_is_refused_with_the_csrf_page(csrf_client, make_user):
    user = make_user(Role.HOLDER)
    response = csrf_client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)


def test_post_with_the_forms_csrf_token_is_accepted(csrf_client, make_user):
    import re

    user = make_user(Role.HOLDER)
    html = csrf_client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert token is not None
    response = csrf_client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302


@pytest.fixture()
def rate_limited_client(app: Flask, tmp_path) -> Iterator[FlaskClient]:
    # The limiter is one object for the whole process: switch it back off for the other tests.
    was_enabled = limiter.enabled
    limited_app = make_app(
        str(tmp_path),
        RATELIMIT_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    try:
        yield new_client(limited_app)
    finally:
        limiter.reset()
        limiter.enabled = was_enabled


def test_eleventh_bad_sign_in_within_a_minute_is_refused(rate_limited_client, make_user):
    user = make_user(Role.HOLDER)
    data = {"email": user.email, "password": "wrong password"}
    for _ in range(10):
        assert rate_limited_client.post("/sign-in", data=data).status_code == 400
    response = rate_limited_client.post("/sign-in", data=data)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Reading the page is not limited.
    assert rate_limited_client.get("/sign-in").status_code == 200


def test_successful_sign_ins_from_one_address_do_not_use_up_the_limit(
    rate_limited_client, make_user
):
    """An office behind one address: many people signing in within a minute are all let in,
    and the limit still counts the failed attempts."""
    people = [make_user(Role.HOLDER) for _ in range(15)]
    for person in people:
        answer = rate_limited_client.post(
            "/sign-in", data={"email": person.email, "password": PASSWORD}
        )
        assert answer.status_code == 302
        rate_limited_client.post("/sign-out")
    wrong = {"email": people[0].email, "password": "wrong password"}
    for _ in range(10):
        assert rate_limited_client.post("/sign-in", data=wrong).status_code == 400
    assert rate_limited_client.post("/sign-in", data=wrong).status_code == 429
