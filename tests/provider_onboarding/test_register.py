"""Providers register themselves, then land on their dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.audit import AuditEvent
from marketplace.directory.models import (
    Provider,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.extensions import db, limiter
from tests.conftest import make_app

GOOD = {
    "full_name": "Sam Provider",
    "email": "Sam@Example.org",
    "password": "long enough password",
    "confirm": "long enough password",
    "kind": "therapist",
    "legal_name": "Sam Physio Ltd",
    "trading_name": "",
    "contact_phone": "0161 496 0000",
    "postcode": "ol11aa",
    "cqc_location_id": "",
}


# A real location in the CQC snapshot shipped in data/providers/.
ASP_HEALTHCARE = {
    "cqc_location_id": "1-22940471514",
    "legal_name": "ASP Healthcare Services Limited",
    "postcode": "gl2 0xe",
}


def form(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def counts() -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Provider, ProviderMember, AuditEvent)
    )


def test_provider_registers_and_sees_their_dashboard(client, app_ctx):
    response = client.post("/provider/register", data=form(**ASP_HEALTHCARE))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/provider/")
    user = db.session.scalar(select(User).where(User.email == "sam@example.org"))
    assert user.role == Role.PROVIDER and user.password_hash != GOOD["password"]
    provider = db.session.scalar(select(Provider))
    assert provider.postcode == "GL2 0XE"
    assert provider.cqc_location_id == "1-22940471514"
    assert provider.local_authority == "Gloucestershire"
    assert provider.verification_status == VerificationStatus.UNVERIFIED
    assert provider.trading_name is None
    member = db.session.scalar(select(ProviderMember))
    assert (member.user_id, member.provider_id, member.role) == (
        user.id,
        provider.id,
        ProviderMemberRole.OWNER,
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider.registered"))
    assert event.subject_id == provider.id and event.actor_id == user.id

    dashboard = client.get("/provider/")
    page = dashboard.get_data(as_text=True)
    assert dashboard.status_code == 200
    assert "ASP Healthcare Services Limited" in page and "Not yet checked" in page
    assert "DBS certificate" in page
    assert "You have not listed any services yet" in page


def test_register_page_renders(client, app_ctx):
    page = client.get("/provider/register")
    assert page.status_code == 200
    assert "Register as a provider" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"postcode": "not a postcode"}, "Enter a full UK postcode, like OL1 1AA"),
        ({"postcode": "OL1"}, "Enter a full UK postcode, like OL1 1AA"),
        ({"password": "short", "confirm": "short"}, "Password must be 10 characters or more"),
        ({"confirm": "something else entirely"}, "Passwords must match"),
        ({"cqc_location_id": "123456"}, "Enter a CQC location ID in the correct format"),
        ({"cqc_location_id": "1-abc"}, "Enter a CQC location ID in the correct format"),
        ({"email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"kind": ""}, "Select what kind of provider you are"),
        ({"legal_name": ""}, "Enter your legal name"),
        ({"contact_phone": "phone me"}, "Enter a UK phone number"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(client, app_ctx, changes, message):
    before = counts()

    response = client.post("/provider/register", data=form(**changes))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "There is a problem" in page
    assert counts() == before


def test_duplicate_email_is_refused_on_the_email_field(client, make_user):
    make_user(Role.HOLDER, email="sam@example.org")
    before = counts()

    response = client.post("/provider/register", data=form(email="SAM@example.org"))

    assert response.status_code == 400
    assert "An account with this email address already exists" in response.get_data(as_text=True)
    assert counts() == before


def test_cqc_id_already_registered_is_refused(client, make_provider):
    make_provider(cqc_location_id="1-123456789")
    before = counts()

    response = client.post("/provider/register", data=form(cqc_location_id="1-123456789"))

    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    assert counts() == before


def test_dashboard_needs_a_provider_account(client, make_user, sign_in):
    assert client.get("/provider/").status_code == 302
    sign_in(make_user(Role.HOLDER))
    assert client.get("/provider/").status_code == 403


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cqc_location_id": "1-99999999999"}, "cannot find this CQC location ID"),
        ({"legal_name": "Someone Else Ltd"}, "The CQC register names this location"),
        ({"postcode": "OL1 1AA"}, "different postcode"),
    ],
)
def test_cqc_location_must_match_the_register(client, app_ctx, changes, message):
    before = counts()

    response = client.post("/provider/register", data=form(**{**ASP_HEALTHCARE, **changes}))

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert counts() == before


def test_trading_name_may_be_the_one_cqc_knows(client, app_ctx):
    response = client.post(
        "/provider/register",
        data=form(
            **{**ASP_HEALTHCARE, "legal_name": "ASP Group plc"},
            trading_name="ASP Healthcare Services",
        ),
    )
    assert response.status_code == 302


def test_a_signed_in_person_is_told_so_and_not_offered_a_second_registration(
    client, make_user, sign_in
):
    person = make_user(Role.HOLDER, full_name="Ann Holder")
    sign_in(person)
    before = counts()

    page = client.get("/provider/register").get_data(as_text=True)
    sent = client.post("/provider/register", data=form())

    assert f"You are already signed in as Ann Holder ({person.email})" in page
    assert "Go to your home page" in page and 'name="legal_name"' not in page
    assert sent.status_code == 400 and counts() == before


@pytest.fixture()
def limited_client(app: Flask, tmp_path) -> Iterator[FlaskClient]:
    was_enabled = limiter.enabled
    limited_app = make_app(
        str(tmp_path),
        RATELIMIT_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    try:
        yield limited_app.test_client()
    finally:
        limiter.reset()
        limiter.enabled = was_enabled


def test_fixing_mistakes_on_the_form_never_uses_up_the_limit(limited_client, app_ctx):
    for _ in range(15):
        mistaken = limited_client.post("/provider/register", data=form(postcode="nowhere"))
        assert mistaken.status_code == 400

    assert limited_client.post("/provider/register", data=form()).status_code == 302


def test_many_registrations_from_one_connection_are_refused_with_words_for_registering(
    limited_client, make_user
):
    make_user(Role.HOLDER, email="taken@example.org")
    for _ in range(10):
        refused = limited_client.post("/provider/register", data=form(email="taken@example.org"))
        assert refused.status_code == 400

    response = limited_client.post("/provider/register", data=form())

    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Too many attempts from your connection. Wait a minute and try again." in page
    assert "forgotten your password" not in page


def test_a_new_provider_is_told_once_that_listings_can_be_written_now(client, app_ctx):
    client.post("/provider/register", data=form())

    page = client.get("/provider/").get_data(as_text=True)

    assert "You can write listings now. You can publish them once your checks are complete." in page
    assert "Once your details are checked" not in page
