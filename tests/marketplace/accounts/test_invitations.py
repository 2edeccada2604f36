"""Invitations: a commissioner invites a budget holder, who sets up an account from the email."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts import services
from marketplace.accounts.models import Invitation, Role, User
from marketplace.audit import AuditEvent
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models_base import utcnow
from tests.conftest import PASSWORD
from tests.frozen import TODAY
from tests.marketplace.accounts.helpers import emails_to, last_link_to
from tests.threads import run_together

NEW_PASSWORD = "a brand new passphrase"
ACCOUNT = {"full_name": "Ada Lovelace", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def invite_holder(client, email="ada@example.org"):
    return client.post(
        "/commissioning/holders/invite",
        data={"holder-full_name": "Ada Lovelace", "holder-email": email},
    )


def test_invited_holder_sets_up_an_account_in_the_commissioners_tenant(
    client, another_client, sign_in, make_user
):
    commissioner = make_user(Role.COMMISSIONER)
    sign_in(commissioner)
    response = invite_holder(client)
    assert response.status_code == 302
    assert "We have emailed an invitation" in client.get("/commissioning/").get_data(as_text=True)

    [message] = emails_to("ada@example.org")
    assert message.template == "invitation_holder"
    assert message.sent_at is not None

    browser = another_client()
    link = last_link_to("ada@example.org")
    page = browser.get(link)
    assert page.status_code == 200
    assert commissioner.tenant.name in page.get_data(as_text=True)
    response = browser.post(link, data=ACCOUNT)
    assert response.status_code == 302

    holder = db.session.scalar(select(User).where(User.email == "ada@example.org"))
    assert holder.role == Role.HOLDER
    assert holder.tenant_id == commissioner.tenant_id
    assert browser.get("/bookings/dashboard").status_code == 200  # signed in as the new holder
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["invitation.created", "user.created"]


def test_used_invitation_link_is_refused(client, another_client, sign_in, make_user):
    sign_in(make_user(Role.COMMISSIONER))
    invite_holder(client)
    link = last_link_to("ada@example.org")
    assert another_client().post(link, data=ACCOUNT).status_code == 302

    response = another_client().get(link)
    assert response.status_code == 400
    assert "already been used" in response.get_data(as_text=True)


def test_expired_invitation_link_is_refused(client, another_client, sign_in, make_user):
    sign_in(make_user(Role.COMMISSIONER))
    invite_holder(client)
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    response = another_client().post(last_link_to("ada@example.org"), data=ACCOUNT)
    assert response.status_code == 400
    assert "This invitation has expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "ada@example.org")) is None


def test_withdrawn_invitation_link_is_refused(client, another_client, sign_in, make_user):
    sign_in(make_user(Role.COMMISSIONER))
    invite_holder(client)
    invitation = db.session.scalar(select(Invitation))
    response = client.post(f"/commissioning/invitations/{invitation.id}/withdraw")
    assert response.status_code == 302
    assert "has been withdrawn" in client.get("/commissioning/").get_data(as_text=True)

    response = another_client().get(last_link_to("ada@example.org"))
    assert response.status_code == 400
    assert "This invitation has been withdrawn" in response.get_data(as_text=True)
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.revoked"))
        is not None
    )


def test_unknown_invitation_link_is_not_found(client):
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)


def test_inviting_an_email_that_has_an_account_is_refused(client, sign_in, make_user):
    commissioner = make_user(Role.COMMISSIONER)
    existing = make_user(Role.HOLDER, tenant=commissioner.tenant)
    sign_in(commissioner)
    response = invite_holder(client, email=existing.email.upper())
    assert response.status_code == 400
    assert "An account with this email address already exists" in response.get_data(as_text=True)
    assert db.session.scalar(select(Invitation)) is None
    assert emails_to(existing.email) == []


def test_invitation_form_errors_are_shown(client, sign_in, make_user):
    sign_in(make_user(Role.COMMISSIONER))
    response = client.post("/commissioning/holders/invite", data={"holder-email": "not an email"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Enter their full name" in html
    assert "Enter an email address in the correct format" in html


def test_commissioner_invites_a_colleague_into_their_own_tenant(
    client, another_client, sign_in, make_user
):
    commissioner = make_user(Role.COMMISSIONER)
    sign_in(commissioner)
    response = client.post(
        "/commissioning/staff/invite",
        data={"staff-full_name": "Cal Colleague", "staff-email": "cal@council.example"},
    )
    assert response.status_code == 302
    [message] = emails_to("cal@council.example")
    assert message.template == "invitation_commissioner"
    another_client().post(last_link_to("cal@council.example"), data=ACCOUNT)
    colleague = db.session.scalar(select(User).where(User.email == "cal@council.example"))
    assert colleague.role == Role.COMMISSIONER
    assert colleague.tenant_id == commissioner.tenant_id


def test_an_accepted_account_can_sign_in_later(client, another_client, sign_in, make_user):
    sign_in(make_user(Role.COMMISSIONER))
    invite_holder(client)
    another_client().post(last_link_to("ada@example.org"), data=ACCOUNT)
    fresh = another_client()
    assert (
        fresh.post("/sign-in", data={"email": "ada@example.org", "password": PASSWORD}).status_code
        == 400
    )
    response = fresh.post("/sign-in", data={"email": "ada@example.org", "password": NEW_PASSWORD})
    assert response.status_code == 302


def invite_colleague(client, email="cal@council.example"):
    return client.post(
        "/commissioning/staff/invite",
        data={"staff-full_name": "Cal Colleague", "staff-email": email},
    )


def open_invitations_to(email: str) -> list[Invitation]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invitation).where(Invitation.email == email)))


def test_a_second_invitation_to_the_same_address_in_any_case_is_refused(client, sign_in, make_user):
    sign_in(make_user(Role.COMMISSIONER))
    assert invite_holder(client, email="jo.holder@example.com").status_code == 302
    response = invite_holder(client, email="JO.HOLDER@example.com")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    day = f"{TODAY:%-d %B}"
    assert f"jo.holder@example.com was already invited on {day}." in html
    assert "Withdraw it from the open invitations below first to send a new one." in html
    assert len(open_invitations_to("jo.holder@example.com")) == 1
    assert len(emails_to("jo.holder@example.com")) == 1


def test_a_colleague_invited_twice_gets_one_invitation(client, sign_in, make_user):
    sign_in(make_user(Role.COMMISSIONER))
    assert invite_colleague(client).status_code == 302
    assert invite_colleague(client).status_code == 400
    assert len(open_invitations_to("cal@council.example")) == 1


def test_an_address_invited_as_a_holder_cannot_also_be_invited_as_a_colleague(
    client, sign_in, make_user
):
    sign_in(make_user(Role.COMMISSIONER))
    invite_holder(client, email="jo.holder@example.com")
    response = invite_colleague(client, email="jo.holder@example.com")
    assert response.status_code == 400
    assert "was already invited" in response.get_data(as_text=True)
    assert [i.role for i in open_invitations_to("jo.holder@example.com")] == [Role.HOLDER]


def test_an_address_can_be_invited_again_once_its_invitation_is_withdrawn_or_expired(
    client, sign_in, make_user
):
    sign_in(make_user(Role.COMMISSIONER))
    invite_holder(client)
    [first] = open_invitations_to("ada@example.org")
    first.revoked_at = utcnow()
    db.session.commit()
    assert invite_holder(client).status_code == 302
    second = open_invitations_to("ada@example.org")[-1]
    second.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert invite_holder(client).status_code == 302
    assert len(open_invitations_to("ada@example.org")) == 3


def test_another_commissioning_body_may_invite_the_same_address(
    client, another_client, sign_in, make_user
):
    sign_in(make_user(Role.COMMISSIONER))
    invite_holder(client)
    elsewhere, colleague = another_client(), make_user(Role.COMMISSIONER)
    elsewhere.post("/sign-in", data={"email": colleague.email, "password": PASSWORD})
    assert invite_holder(elsewhere).status_code == 302
    assert len(open_invitations_to("ada@example.org")) == 2


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="row locks need PostgreSQL (runs in make test)"
)
def test_two_invitations_to_one_address_sent_at_once_make_one(app, make_user):
    commissioner_id = make_user(Role.COMMISSIONER).id
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def invite(n: int) -> None:
        start.wait(timeout=30)
        with app.test_request_context():
            try:
                commissioner = db.session.get(User, commissioner_id)
                email = "JO.HOLDER@example.com" if n % 2 else "jo.holder@example.com"
                services.invite_holder(commissioner, email=email, full_name="Jo Holder")
                outcomes.append("invited")
            except DomainError:
                outcomes.append("refused")
            finally:
                db.session.commit()
                db.session.remove()

    run_together(invite, range(6))
    assert sorted(outcomes) == ["invited"] + ["refused"] * 5
    assert len(open_invitations_to("jo.holder@example.com")) == 1
