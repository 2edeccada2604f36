"""Representatives act for a budget holder only while the holder's consent stands."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts import services
from marketplace.accounts.models import ConsentMethod, Representation, Role, User
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests.marketplace.accounts.helpers import emails_to, last_link_to, represent

NEW_PASSWORD = "a brand new passphrase"
REPRESENTATIVE = {
    "full_name": "Bea Helper",
    "email": "bea@example.org",
    "relationship_to_holder": "Daughter",
}


def accept(browser, email="bea@example.org"):
    response = browser.post(
        last_link_to(email),
        data={"full_name": "Bea Helper", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    return db.session.scalar(select(User).where(User.email == email))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_holder_invites_a_representative_and_gives_consent_online(
    client, another_client, sign_in, make_user
):
    holder = make_user(Role.HOLDER)
    sign_in(holder)
    response = client.post("/account/representatives/new", data=REPRESENTATIVE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    [message] = emails_to("bea@example.org")
    assert message.template == "invitation_representative"
    assert holder.full_name in message.body_text

    rep = accept(another_client())
    assert rep.role == Role.REPRESENTATIVE
    representation = db.session.scalar(select(Representation))
    assert representation.holder_id == holder.id
    assert representation.representative_id == rep.id
    assert representation.consent_method == ConsentMethod.HOLDER_ONLINE
    assert representation.relationship_to_holder == "Daughter"
    assert services.may_act_for(rep, holder)
    assert audit_actions() == ["invitation.created", "user.created", "consent.given"]


def test_commissioner_records_consent_for_a_holder_in_their_tenant(
    client, another_client, sign_in, make_user
):
    commissioner = make_user(Role.COMMISSIONER)
    holder = make_user(Role.HOLDER, tenant=commissioner.tenant)
    sign_in(commissioner)
    response = client.post(f"/holders/{holder.id}/representatives/new", data=REPRESENTATIVE)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/commissioning/holders/{holder.id}"

    rep = accept(another_client())
    representation = db.session.scalar(select(Representation))
    assert representation.consent_method == ConsentMethod.RECORDED_BY_COMMISSIONER
    assert representation.consent_recorded_by_id == commissioner.id
    assert rep.tenant_id == holder.tenant_id
    assert "consent.given" in audit_actions()
    html = client.get(f"/commissioning/holders/{holder.id}").get_data(as_text=True)
    assert "Bea Helper" in html and "Recorded by commissioner staff" in html


def test_holder_withdraws_consent(client, another_client, sign_in, make_user):
    holder = make_user(Role.HOLDER)
    rep = make_user(Role.REPRESENTATIVE, tenant=holder.tenant)
    representation = represent(holder, rep)
    sign_in(holder)

    response = client.post(
        f"/representations/{representation.id}/revoke", data={"reason": "Moved away"}
    )
    assert response.status_code == 302
    db.session.refresh(representation)
    assert representation.revoked_at is not None
    assert representation.revoked_by_id == holder.id
    assert representation.revoked_reason == "Moved away"
    assert not services.may_act_for(rep, holder)
    assert audit_actions() == ["consent.revoked"]

    rep_browser = another_client()
    rep_browser.post("/sign-in", data={"email": rep.email, "password": "correct horse battery"})
    html = rep_browser.get("/bookings/dashboard").get_data(as_text=True)
    assert "You do not act for anyone at the moment" in html
    assert holder.full_name not in html


def test_withdrawing_consent_twice_shows_a_message(client, sign_in, make_user):
    holder = make_user(Role.HOLDER)
    representation = represent(holder, make_user(Role.REPRESENTATIVE, tenant=holder.tenant))
    sign_in(holder)
    client.post(f"/representations/{representation.id}/revoke", data={})
    response = client.post(f"/representations/{representation.id}/revoke", data={})
    assert response.status_code == 400
    assert "already been withdrawn" in response.get_data(as_text=True)


def test_representative_of_one_holder_cannot_see_another(client, sign_in, make_user):
    holder_a = make_user(Role.HOLDER, full_name="Holder Ay")
    holder_b = make_user(Role.HOLDER, tenant=holder_a.tenant, full_name="Holder Bee")
    rep = make_user(Role.REPRESENTATIVE, tenant=holder_a.tenant)
    represent(holder_a, rep)
    other = represent(holder_b, make_user(Role.REPRESENTATIVE, tenant=holder_a.tenant))
    sign_in(rep)

    html = client.get("/bookings/dashboard").get_data(as_text=True)
    assert "Holder Ay" in html and "Holder Bee" not in html
    assert client.get(f"/representations/{other.id}/revoke").status_code == 404
    assert client.post(f"/representations/{other.id}/revoke", data={}).status_code == 404
    assert client.get(f"/commissioning/holders/{holder_b.id}").status_code == 403
    assert client.get(f"/holders/{holder_b.id}/representatives/new").status_code == 403
    assert not services.may_act_for(rep, holder_b)
    db.session.refresh(other)
    assert other.revoked_at is None


def test_holder_cannot_invite_representatives_for_someone_else(client, sign_in, make_user):
    holder = make_user(Role.HOLDER)
    someone_else = make_user(Role.HOLDER, tenant=holder.tenant)
    sign_in(holder)
    response = client.post(f"/holders/{someone_else.id}/representatives/new", data=REPRESENTATIVE)
    assert response.status_code == 404
    assert emails_to("bea@example.org") == []
