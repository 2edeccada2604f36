"""Resetting a forgotten password by an emailed link, and changing a password."""

from __future__ import annotations

from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from tests.conftest import PASSWORD
from tests.marketplace.accounts.helpers import emails_to, last_link_to

NEW_PASSWORD = "a brand new passphrase"


def test_forgotten_password_is_reset_by_the_emailed_link_once(client, make_user):
    user = make_user(Role.HOLDER)
    response = client.post("/forgot-password", data={"email": user.email})
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)

    [message] = emails_to(user.email)
    assert message.template == "password_reset"
    assert message.sent_at is not None
    link = last_link_to(user.email)

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"

    old = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert old.status_code == 400
    new = client.post("/sign-in", data={"email": user.email, "password": NEW_PASSWORD})
    assert new.status_code == 302

    again = client.get(link)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_the_reset_link_is_built_from_the_settings_not_the_host_a_stranger_sends(client, make_user):
    user = make_user(Role.HOLDER)
    client.post("/forgot-password", data={"email": user.email}, headers={"Host": "evil.example"})
    [message] = emails_to(user.email)
    assert "evil.example" not in message.body_text
    assert "http://localhost/reset-password/" in message.body_text  # SERVER_NAME of the tests


def test_expired_reset_link_is_refused(client, make_user, app, monkeypatch):
    user = make_user(Role.HOLDER)
    client.post("/forgot-password", data={"email": user.email})
    link = last_link_to(user.email)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_SECONDS", -1)

    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)


def test_tampered_reset_link_is_refused(client, make_user):
    user = make_user(Role.HOLDER)
    client.post("/forgot-password", data={"email": user.email})
    response = client.get(last_link_to(user.email) + "x")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_unknown_email_sends_nothing_but_shows_the_same_page(client, make_user):
    suspended = make_user(Role.HOLDER, active=False)
    for email in ("nobody@example.org", suspended.email):
        response = client.post("/forgot-password", data={"email": email})
        assert response.status_code == 200
        assert "Check your email" in response.get_data(as_text=True)
    assert db.session.query(OutboundEmail).count() == 0


def test_weak_new_password_is_refused_with_a_message(client, make_user):
    user = make_user(Role.HOLDER)
    client.post("/forgot-password", data={"email": user.email})
    link = last_link_to(user.email)
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert "10 characters or more" in response.get_data(as_text=True)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": "something else"})
    assert response.status_code == 400
    assert "Passwords must match" in response.get_data(as_text=True)


def test_changing_password_ends_other_sessions(client, another_client, make_user):
    user = make_user(Role.HOLDER)
    other = another_client()
    for browser in (client, other):
        assert (
            browser.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code
            == 302
        )
    assert other.get("/account").status_code == 200

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this browser stays signed in
    assert other.get("/account").status_code == 302  # the other one is signed out


def test_changing_password_needs_the_current_one(client, sign_in, make_user):
    sign_in(make_user(Role.HOLDER))
    response = client.post(
        "/account/password",
        data={"current_password": "wrong", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "Your current password is not correct" in response.get_data(as_text=True)
