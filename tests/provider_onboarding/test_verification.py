"""Verification as a state machine: the table of moves, who may make them, and what is recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.audit import AuditEvent
from marketplace.directory.models import VerificationStatus
from marketplace.errors import DomainError, NotAllowed
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from provider_onboarding.models import VerificationDecision
from provider_onboarding.verification import MOVES, Decision, Move, apply_move

S = VerificationStatus

# Every (move, from) pair: the state it leads to, or None where the move is refused.
EXPECTED = {
    (Move.SUBMIT, S.UNVERIFIED): S.PENDING,
    (Move.SUBMIT, S.MORE_INFO): S.PENDING,
    (Move.SUBMIT, S.SUSPENDED): S.PENDING,
    (Move.APPROVE, S.PENDING): S.VERIFIED,
    (Move.REJECT, S.PENDING): S.REJECTED,
    (Move.ASK_MORE, S.PENDING): S.MORE_INFO,
    (Move.SUSPEND, S.VERIFIED): S.SUSPENDED,
    (Move.RECHECK, S.VERIFIED): S.PENDING,
    (Move.CLAIM, S.NOT_JOINED): S.UNVERIFIED,
}
ALL_PAIRS = [(move, status) for move in Move for status in S]


@pytest.mark.parametrize(("move", "from_status"), ALL_PAIRS)
def test_each_move_from_each_state_goes_where_the_table_says(
    make_user, make_provider, make_tenant, move, from_status
):
    tenant = make_tenant()
    owner = make_user(Role.PROVIDER)
    commissioner = make_user(Role.COMMISSIONER, tenant=tenant)
    provider = make_provider(owner=owner, verification_status=from_status, tenant_id=tenant.id)
    actor = owner if move in (Move.SUBMIT, Move.RECHECK, Move.CLAIM) else commissioner
    expected = EXPECTED.get((move, from_status))

    if expected is None:
        with pytest.raises(DomainError, match="You cannot do that"):
            apply_move(provider, Decision(move, "a reason"), actor)
        assert provider.verification_status == from_status
        return
    row = apply_move(provider, Decision(move, "a reason"), actor)

    assert provider.verification_status == expected
    assert (row.from_status, row.to_status, row.actor_id) == (
        from_status.value,
        expected.value,
        actor.id,
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.subject_id == provider.id))
    assert event.action == f"provider.verification.{move.value}"
    assert event.detail == {"from_status": from_status.value, "to_status": expected.value}


def test_the_table_in_the_code_is_the_table_in_this_test():
    assert MOVES == EXPECTED


def test_a_commissioner_of_another_tenant_may_not_decide(make_user, make_provider, make_tenant):
    provider = make_provider(verification_status=S.PENDING, tenant_id=make_tenant().id)
    outsider = make_user(Role.COMMISSIONER)

    with pytest.raises(NotAllowed):
        apply_move(provider, Decision(Move.APPROVE), outsider)
    assert provider.verification_status == S.PENDING


def test_an_admin_may_decide_on_any_provider(make_user, make_provider):
    provider = make_provider(verification_status=S.PENDING)
    apply_move(provider, Decision(Move.APPROVE), make_user(Role.ADMIN))
    assert provider.verification_status == S.VERIFIED and provider.verified_at is not None


@pytest.mark.parametrize("move", [Move.REJECT, Move.ASK_MORE])
def test_rejecting_or_asking_for_more_needs_a_reason(make_user, make_provider, move):
    provider = make_provider(verification_status=S.PENDING)
    with pytest.raises(DomainError, match="Enter a reason"):
        apply_move(provider, Decision(move, "  "), make_user(Role.ADMIN))


def test_provider_is_told_why_and_sees_it_on_their_dashboard(
    client, make_user, make_provider, make_tenant, sign_in
):
    tenant = make_tenant()
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner, verification_status=S.PENDING, tenant_id=tenant.id)
    commissioner = make_user(Role.COMMISSIONER, tenant=tenant)
    sign_in(commissioner)

    queue = client.get("/provider/verification/").get_data(as_text=True)
    assert provider.legal_name in queue
    response = client.post(
        f"/provider/verification/{provider.id}",
        data={"move": "ask_more", "reason": "Please upload the back of your DBS certificate"},
    )

    assert response.status_code == 302
    db.session.refresh(provider)
    assert provider.verification_status == S.MORE_INFO
    email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.to_address == owner.email))
    assert "back of your DBS certificate" in email.body_text
    client.post("/sign-out")
    sign_in(owner)
    page = client.get("/provider/").get_data(as_text=True)
    assert "More information needed" in page and "back of your DBS certificate" in page
    assert db.session.scalar(select(VerificationDecision)).reason.startswith("Please upload")


def test_after_approval_the_checking_page_says_approved_and_tells_the_history_plainly(
    client, make_user, make_provider, make_tenant, sign_in
):
    tenant = make_tenant()
    provider = make_provider(verification_status=S.PENDING, tenant_id=tenant.id)
    commissioner = make_user(Role.COMMISSIONER, tenant=tenant)
    apply_move(provider, Decision(Move.ASK_MORE, "Send your insurance"), commissioner)
    apply_move(provider, Decision(Move.SUBMIT), None)  # they sent their checks again
    apply_move(provider, Decision(Move.APPROVE), commissioner)
    db.session.commit()
    sign_in(commissioner)

    page = client.get(f"/provider/verification/{provider.id}").get_data(as_text=True)

    assert "This provider has been approved" in page
    assert "asked for more information. You can decide" not in page
    assert "Approved" in page and "Asked for more information. Reason: Send your insurance" in page
    assert "more_info" not in page and "pending to" not in page


def test_deciding_without_a_reason_shows_the_error_and_changes_nothing(
    client, make_user, make_provider, sign_in
):
    provider = make_provider(verification_status=S.PENDING)
    sign_in(make_user(Role.ADMIN))

    response = client.post(f"/provider/verification/{provider.id}", data={"move": "reject"})

    assert response.status_code == 400
    assert "Enter a reason the provider will see" in response.get_data(as_text=True)
    db.session.refresh(provider)
    assert provider.verification_status == S.PENDING


def test_a_commissioner_sees_only_their_own_tenants_queue(
    client, make_user, make_provider, make_tenant, sign_in
):
    ours, theirs = make_tenant(), make_tenant()
    mine = make_provider(verification_status=S.PENDING, tenant_id=ours.id)
    other = make_provider(verification_status=S.PENDING, tenant_id=theirs.id)
    sign_in(make_user(Role.COMMISSIONER, tenant=ours))

    page = client.get("/provider/verification/").get_data(as_text=True)

    assert mine.legal_name in page and other.legal_name not in page
    assert client.get(f"/provider/verification/{other.id}").status_code == 404


def test_a_verified_provider_that_changes_its_checks_is_checked_again_and_hidden(
    client, make_user, make_provider, make_tenant, make_listing, sign_in
):
    from marketplace.directory.services import listing_is_published
    from marketplace.extensions import db
    from provider_onboarding.models import ProviderChecks

    tenant = make_tenant()
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner, tenant_id=tenant.id)
    listing = make_listing(provider=provider)
    db.session.add(
        ProviderChecks(provider_id=provider.id, insurer="Acme", right_to_work_confirmed=True)
    )
    db.session.commit()
    assert listing_is_published(listing)
    sign_in(owner)

    blanked = client.post("/provider/checks", data={"tenant_id": str(tenant.id)})

    assert blanked.status_code == 302
    db.session.refresh(provider)
    assert provider.verification_status == S.PENDING
    assert not listing_is_published(listing)  # search and the feed no longer show it


def test_a_provider_asked_for_more_is_told_on_their_home_what_to_give(
    client, make_user, make_provider, make_tenant, sign_in
):
    tenant = make_tenant()
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner, verification_status=S.PENDING, tenant_id=tenant.id)
    commissioner = make_user(Role.COMMISSIONER, tenant=tenant)
    apply_move(provider, Decision(Move.ASK_MORE, "Send the back of your DBS"), commissioner)
    db.session.commit()
    sign_in(owner)

    page = client.get("/provider/").get_data(as_text=True)

    assert "Nothing needs doing right now" not in page
    assert "Give the information asked for" in page
    assert "“Send the back of your DBS”" in page


def test_the_queue_shows_providers_asked_for_more_as_waiting_for_the_provider(
    client, make_user, make_provider, make_tenant, sign_in
):
    tenant = make_tenant()
    commissioner = make_user(Role.COMMISSIONER, tenant=tenant)
    asked = make_provider(verification_status=S.PENDING, tenant_id=tenant.id)
    apply_move(asked, Decision(Move.ASK_MORE, "Send your insurance"), commissioner)
    to_check = make_provider(verification_status=S.PENDING, tenant_id=tenant.id)
    db.session.commit()
    sign_in(commissioner)

    page = client.get("/provider/verification/").get_data(as_text=True)
    checks_part, provider_part = page.split("Waiting for the provider")

    assert to_check.legal_name in checks_part and asked.legal_name not in checks_part
    assert asked.legal_name in provider_part
