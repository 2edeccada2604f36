"""Checks a provider sends, warnings before they run out, and `flask directory expire`."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.audit import AuditEvent
from marketplace.directory.models import (
    CqcLocation,
    ListingStatus,
    ProviderKind,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from provider_onboarding.models import ProviderBankDetails, ProviderChecks, Worker
from provider_onboarding.services import check_warnings, dbs_renewal_due
from tests.conftest import PASSWORD
from tests.factories import add_checks
from tests.frozen import TODAY


def day_parts(value: date) -> list[str]:
    return [str(value.day), str(value.month), str(value.year)]


def test_a_personal_assistant_sends_checks_and_documents_then_waits(
    client, make_user, make_provider, make_tenant, sign_in
):
    tenant = make_tenant()
    owner = make_user(Role.PROVIDER)
    provider = make_provider(
        owner=owner,
        kind=ProviderKind.PERSONAL_ASSISTANT,
        verification_status=VerificationStatus.UNVERIFIED,
    )
    sign_in(owner)
    soon = TODAY + timedelta(days=365)
    saved = client.post(
        "/provider/checks",
        data={
            "tenant_id": str(tenant.id),
            "dbs_certificate_number": "0012 3456 7890",
            "dbs_issued_on": day_parts(TODAY - timedelta(days=100)),
            "insurer": "Acme Mutual",
            "insurance_expires_on": day_parts(soon),
            "right_to_work_confirmed": "y",
            "reference_1": "Jo Smith, 07700 900 001",
            "reference_2": "Ali Khan, ali@example.org",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    early = client.post("/provider/checks/submit", follow_redirects=True)
    assert "a copy of your dbs certificate" in early.get_data(as_text=True)

    for kind in ("dbs", "insurance"):
        client.post(
            "/provider/documents",
            data={"kind": kind, "file": (io.BytesIO(b"%PDF-1.4 scan"), f"{kind}.pdf")},
            content_type="multipart/form-data",
        )
    client.post("/provider/checks/submit")

    db.session.refresh(provider)
    assert provider.verification_status == VerificationStatus.PENDING
    assert provider.tenant_id == tenant.id
    checks = db.session.scalar(select(ProviderChecks))
    assert checks.dbs_certificate_number == "001234567890"
    assert "Waiting for checks" in client.get("/provider/").get_data(as_text=True)


def test_a_dbs_number_must_be_12_digits(client, make_user, make_provider, make_tenant, sign_in):
    tenant = make_tenant()
    owner = make_user(Role.PROVIDER)
    make_provider(owner=owner)
    sign_in(owner)
    response = client.post(
        "/provider/checks", data={"tenant_id": str(tenant.id), "dbs_certificate_number": "123"}
    )
    assert response.status_code == 400
    assert "A DBS certificate number is 12 digits" in response.get_data(as_text=True)


def test_an_old_dbs_certificate_is_described_by_the_day_it_was_issued():
    checks = ProviderChecks(dbs_issued_on=date(2015, 1, 1))

    assert check_warnings(checks, date(2026, 6, 1)) == [
        "Your DBS certificate was issued on 1 January 2015, more than 3 years ago."
    ]


def test_a_reference_too_long_is_refused_with_the_fields_name(
    client, make_user, make_provider, make_tenant, sign_in
):
    tenant = make_tenant()
    owner = make_user(Role.PROVIDER)
    make_provider(owner=owner)
    sign_in(owner)
    response = client.post(
        "/provider/checks", data={"tenant_id": str(tenant.id), "reference_1": "x" * 301}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The first reference must be 300 characters or fewer" in page
    assert "Field cannot be longer" not in page


def test_the_checkers_reason_is_hinted_with_its_limit_and_refused_by_name_when_too_long(
    client, make_user, make_provider, sign_in
):
    provider = make_provider(verification_status=VerificationStatus.PENDING)
    sign_in(make_user(Role.ADMIN))
    url = f"/provider/verification/{provider.id}"

    assert "Up to 2,000 characters." in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"move": "ask_more", "reason": "x" * 2001})

    assert response.status_code == 400
    assert "The reason must be 2,000 characters or fewer" in response.get_data(as_text=True)


def test_dbs_and_insurance_are_flagged_30_days_ahead():
    insurance_ends = TODAY + timedelta(days=28)
    checks = ProviderChecks(
        dbs_issued_on=TODAY - timedelta(days=3 * 365 - 18),  # 3 years old in about 18 days
        insurance_expires_on=insurance_ends,
    )
    renewal = dbs_renewal_due(checks)
    assert renewal is not None and TODAY < renewal <= TODAY + timedelta(days=30)
    assert check_warnings(checks, TODAY) == [
        f"Your DBS certificate will be 3 years old on {renewal:%-d %B %Y}.",
        f"Your public liability insurance expires on {insurance_ends:%-d %B %Y}.",
    ]
    assert check_warnings(checks, TODAY - timedelta(days=60)) == []


def test_expire_suspends_listings_tells_the_provider_and_only_once(
    app, make_user, make_provider, make_listing
):
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner)
    listing = make_listing(provider=provider)
    fine = make_listing()
    add_checks(provider.id, insurance_expires_on=TODAY - timedelta(days=1))
    db.session.commit()
    runner = app.test_cli_runner()

    first = runner.invoke(args=["directory", "expire"])
    second = runner.invoke(args=["directory", "expire"])

    assert "suspended: 1" in first.output and "suspended: 0" in second.output
    db.session.refresh(listing)
    db.session.refresh(fine)
    assert listing.status == ListingStatus.SUSPENDED and fine.status == ListingStatus.PUBLISHED
    emails = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)).all()
    assert len(emails) == 1 and emails[0].to_address == owner.email
    assert "insurance has expired" in emails[0].body_text
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "provider.listings.suspended_on_expiry")
    )


def test_import_cqc_reads_the_public_format(app, app_ctx, tmp_path):
    path = tmp_path / "cqc.csv"
    path.write_text(
        "Name,Postcode,CQC Provider ID (for office use only),"
        "CQC Location ID (for office use only),Local authority,Provider name\n"
        "Moorside Care,OL1 1AA,1-100,1-200,Oldham,Moorside Care Ltd\n"
        "A provider row without a location,OL1 1AA,1-101,,Oldham,X\n"
    )
    result = app.test_cli_runner().invoke(args=["directory", "import-cqc", str(path)])

    assert result.exit_code == 0, result.output
    assert "imported: 1" in result.output
    assert db.session.get(CqcLocation, "1-200").postcode == "OL1 1AA"


def test_import_cqc_refuses_a_file_in_another_format(app, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    result = app.test_cli_runner().invoke(args=["directory", "import-cqc", str(path)])
    assert result.exit_code != 0 and "not a CQC care directory file" in result.output


def test_bank_details_are_validated_shown_masked_and_audited(
    client, make_user, make_provider, sign_in
):
    owner = make_user(Role.PROVIDER)
    make_provider(owner=owner)
    sign_in(owner)

    bad = client.post(
        "/provider/bank-details",
        data={"account_name": "Sam", "sort_code": "12-34", "account_number": "1234"},
    )
    good = client.post(
        "/provider/bank-details",
        data={"account_name": "Sam", "sort_code": "30-94-30", "account_number": "00733445"},
    )

    assert bad.status_code == 400
    assert "Enter a valid sort code" in bad.get_data(as_text=True)
    assert good.status_code == 302
    saved = db.session.scalar(select(ProviderBankDetails))
    assert (saved.sort_code, saved.account_number) == ("309430", "00733445")
    page = client.get("/provider/bank-details").get_data(as_text=True)
    assert "****3445" in page and "00733445" not in page and "309430" not in page
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "provider.bank_details.changed")
    )
    assert event.detail == {"account_number": "****3445"}


def test_only_an_owner_changes_the_bank_details_and_every_owner_is_told(
    app, make_user, make_provider
):
    owner, second_owner, staff = (make_user(Role.PROVIDER) for _ in range(3))
    provider = make_provider(owner=owner)
    db.session.add_all(
        [
            ProviderMember(
                provider_id=provider.id, user_id=second_owner.id, role=ProviderMemberRole.OWNER
            ),
            ProviderMember(
                provider_id=provider.id, user_id=staff.id, role=ProviderMemberRole.STAFF
            ),
        ]
    )
    db.session.commit()
    details = {"account_name": "Sam", "sort_code": "30-94-30", "account_number": "00733445"}

    as_staff = app.test_client()
    as_staff.post("/sign-in", data={"email": staff.email, "password": PASSWORD})
    assert as_staff.post("/provider/bank-details", data=details).status_code == 403
    assert db.session.scalar(select(ProviderBankDetails)) is None

    as_owner = app.test_client()
    as_owner.post("/sign-in", data={"email": owner.email, "password": PASSWORD})
    assert as_owner.post("/provider/bank-details", data=details).status_code == 302
    told = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.template == "bank_details_changed")
    ).all()
    assert sorted(m.to_address for m in told) == sorted([owner.email, second_owner.email])
    assert all("ending 3445" in m.body_text and "00733445" not in m.body_text for m in told)


def test_an_owner_adds_staff_and_a_worker_with_their_own_week(
    client, make_user, make_provider, sign_in
):
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner)
    sign_in(owner)

    staff = client.post(
        "/provider/team/staff",
        data={
            "staff-full_name": "Kim Staff",
            "staff-email": "kim@example.org",
            "staff-role": "staff",
        },
    )
    worker = client.post("/provider/team/workers", data={"worker-name": "Pat Carer"})
    week = client.post(
        worker.headers["Location"],
        data={"weekday": "2", "start_time": "08:00", "end_time": "14:00"},
    )

    assert staff.status_code == 302 and worker.status_code == 302 and week.status_code == 302
    db.session.refresh(provider)
    assert {member.user.email for member in provider.members} == {owner.email, "kim@example.org"}
    assert db.session.scalar(
        select(OutboundEmail).where(OutboundEmail.to_address == "kim@example.org")
    )
    page = client.get(worker.headers["Location"]).get_data(as_text=True)
    assert "Wednesday 08:00 to 14:00" in page


def test_an_owner_removes_a_worker_time_and_a_member_but_never_the_last_owner(
    client, make_user, make_provider, sign_in
):
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner)
    sign_in(owner)
    client.post(
        "/provider/team/staff",
        data={"staff-full_name": "Kim Staff", "staff-email": "kim@ex.org", "staff-role": "staff"},
    )
    worker_url = client.post("/provider/team/workers", data={"worker-name": "Pat"}).location
    for start, end in (("08:00", "12:00"), ("13:00", "17:00")):
        client.post(worker_url, data={"weekday": "0", "start_time": start, "end_time": end})
    db.session.refresh(provider)
    worker = db.session.scalars(select(Worker).where(Worker.provider_id == provider.id)).one()
    morning = worker.availability[0]

    removed = client.post(f"{worker_url}/times/{morning.id}/delete")
    assert removed.status_code == 302
    db.session.expire_all()
    assert [(w.start_time.hour, w.end_time.hour) for w in worker.availability] == [(13, 17)]
    assert client.post(f"{worker_url}/times/{morning.id}/delete").status_code == 404

    members = {m.user.email: m for m in provider.members}
    kim, me = members["kim@ex.org"], members[owner.email]
    assert client.post(f"/provider/team/staff/{kim.id}/remove").status_code == 302
    refused = client.post(f"/provider/team/staff/{me.id}/remove", follow_redirects=True)
    assert "You are the only owner" in refused.get_data(as_text=True)
    db.session.expire_all()
    left = db.session.scalars(
        select(ProviderMember).where(ProviderMember.provider_id == provider.id)
    ).all()
    assert [(m.user_id, m.role) for m in left] == [(owner.id, ProviderMemberRole.OWNER)]
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "provider.staff.removed")
    )


def test_staff_cannot_remove_people_and_another_providers_member_is_404(
    client, make_user, make_provider, sign_in
):
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner)
    staff = make_user(Role.PROVIDER)
    db.session.add(
        ProviderMember(provider_id=provider.id, user_id=staff.id, role=ProviderMemberRole.STAFF)
    )
    other_owner = make_user(Role.PROVIDER)
    other = make_provider(owner=other_owner)
    db.session.commit()
    [stranger] = db.session.scalars(
        select(ProviderMember).where(ProviderMember.provider_id == other.id)
    ).all()
    [owner_member] = [m for m in provider.members if m.user_id == owner.id]

    sign_in(staff)
    assert client.post(f"/provider/team/staff/{owner_member.id}/remove").status_code == 403
    client.post("/sign-out")
    sign_in(owner)
    assert client.post(f"/provider/team/staff/{stranger.id}/remove").status_code == 404


def test_checks_with_a_missing_date_count_as_expired(app, make_user, make_provider, make_listing):
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner)
    listing = make_listing(provider=provider)
    add_checks(
        provider.id,
        dbs_issued_on=TODAY - timedelta(days=30),
        insurance_expires_on=None,  # blanked
    )
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["directory", "expire"])

    assert "suspended: 1" in result.output
    db.session.refresh(listing)
    assert listing.status == ListingStatus.SUSPENDED
