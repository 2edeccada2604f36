"""A commissioner sees and changes only the people and invitations of their own tenant."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts import services
from marketplace.accounts.models import Invitation, Role
from marketplace.extensions import db
from tests.marketplace.accounts.helpers import represent


def test_commissioner_gets_404_for_a_holder_of_another_tenant(client, sign_in, make_user):
    commissioner = make_user(Role.COMMISSIONER)
    stranger = make_user(Role.HOLDER)  # a holder of another tenant
    own = make_user(Role.HOLDER, tenant=commissioner.tenant)
    sign_in(commissioner)
    assert client.get(f"/commissioning/holders/{own.id}").status_code == 200
    assert client.get(f"/commissioning/holders/{stranger.id}").status_code == 404
    assert client.get("/commissioning/holders/999999").status_code == 404
    assert client.get(f"/holders/{stranger.id}/representatives/new").status_code == 404
    assert stranger.full_name not in client.get("/commissioning/").get_data(as_text=True)


def test_commissioner_gets_404_for_another_tenants_consent_and_invitations(
    client, sign_in, make_user
):
    commissioner = make_user(Role.COMMISSIONER)
    other_commissioner = make_user(Role.COMMISSIONER)
    stranger = make_user(Role.HOLDER, tenant=other_commissioner.tenant)
    representation = represent(stranger, make_user(Role.REPRESENTATIVE, tenant=stranger.tenant))
    invitation = services.invite_holder(
        other_commissioner, email="ada@example.org", full_name="Ada"
    )
    db.session.commit()
    sign_in(commissioner)

    assert client.get(f"/representations/{representation.id}/revoke").status_code == 404
    assert client.post(f"/representations/{representation.id}/revoke").status_code == 404
    assert client.post(f"/commissioning/invitations/{invitation.id}/withdraw").status_code == 404
    assert "ada@example.org" not in client.get("/commissioning/").get_data(as_text=True)
    db.session.refresh(invitation)
    db.session.refresh(representation)
    assert invitation.revoked_at is None and representation.revoked_at is None


def test_commissioner_withdraws_consent_for_their_own_holder(client, sign_in, make_user):
    commissioner = make_user(Role.COMMISSIONER)
    holder = make_user(Role.HOLDER, tenant=commissioner.tenant)
    representation = represent(holder, make_user(Role.REPRESENTATIVE, tenant=holder.tenant))
    sign_in(commissioner)
    html = client.get(f"/commissioning/holders/{holder.id}").get_data(as_text=True)
    assert f"/representations/{representation.id}/revoke" in html
    response = client.post(f"/representations/{representation.id}/revoke", data={})
    assert response.status_code == 302
    db.session.refresh(representation)
    assert representation.revoked_by_id == commissioner.id


def test_open_invitations_are_listed_and_withdrawn_once(client, sign_in, make_user):
    commissioner = make_user(Role.COMMISSIONER)
    sign_in(commissioner)
    client.post(
        "/commissioning/holders/invite",
        data={"holder-full_name": "Ada Lovelace", "holder-email": "ada@example.org"},
    )
    html = client.get("/commissioning/").get_data(as_text=True)
    assert "ada@example.org" in html and "Budget holder" in html
    invitation = db.session.scalar(select(Invitation))
    client.post(f"/commissioning/invitations/{invitation.id}/withdraw")
    response = client.post(
        f"/commissioning/invitations/{invitation.id}/withdraw", follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "This invitation is no longer open" in html
    assert "No open invitations" in html


def test_only_commissioners_reach_commissioning_pages(client, sign_in, make_user):
    admin = make_user(Role.ADMIN)
    holder = make_user(Role.HOLDER)
    sign_in(admin)
    assert client.get("/commissioning/").status_code == 403
    assert client.get(f"/commissioning/holders/{holder.id}").status_code == 403
    assert client.post("/commissioning/holders/invite").status_code == 403
