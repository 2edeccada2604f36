"""Postcodes are checked against the service's postcode data, and a provider changes its own
details; changing what the checkers approved sends a verified provider back to be checked."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.audit import AuditEvent
from marketplace.directory.models import Listing, Provider, ProviderKind, VerificationStatus
from marketplace.extensions import db
from provider_onboarding.models import VerificationDecision
from tests.provider_onboarding.test_listings import listing_form
from tests.provider_onboarding.test_register import form as registration


def details_form(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "therapist",
        "legal_name": "Sam Physio Ltd",
        "trading_name": "",
        "contact_phone": "0161 496 0000",
        "contact_email": "",
        "website": "",
        "address_line": "",
        "town": "",
        "postcode": "OL1 1AA",
        **changes,
    }


@pytest.fixture()
def signed_in_provider(make_user, make_provider, sign_in):
    def make(status: VerificationStatus) -> Provider:
        user = make_user(Role.PROVIDER)
        provider = make_provider(
            owner=user,
            verification_status=status,
            kind=ProviderKind.THERAPIST,
            legal_name="Sam Physio Ltd",
            contact_phone="0161 496 0000",
            postcode="OL1 1AA",
        )
        sign_in(user)
        return provider

    return make


def test_registration_refuses_a_postcode_that_does_not_exist(client, app_ctx):
    response = client.post("/provider/register", data=registration(postcode="XX1 1XX"))

    assert response.status_code == 400
    assert "We cannot find XX1 1XX" in response.get_data(as_text=True)
    assert db.session.scalar(select(Provider)) is None


def test_a_verified_provider_changes_its_phone_and_email_and_stays_verified(
    client, signed_in_provider
):
    provider = signed_in_provider(VerificationStatus.VERIFIED)
    page = client.get("/provider/details").get_data(as_text=True)
    assert "If you change your kind of provider, legal name or postcode, we check you again" in page

    response = client.post(
        "/provider/details",
        data=details_form(contact_phone="07700 900 982", contact_email="desk@example.org"),
    )

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(provider)
    assert (provider.contact_phone, provider.contact_email) == ("07700 900 982", "desk@example.org")
    assert provider.verification_status == VerificationStatus.VERIFIED
    assert db.session.scalar(select(VerificationDecision)) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action.like("provider.details%")))
    assert sorted(event.detail["fields"]) == ["contact_email", "contact_phone"]
    dashboard = client.get("/provider/").get_data(as_text=True)
    assert "desk@example.org" in dashboard and "Change your details" in dashboard


@pytest.mark.parametrize(
    "changes",
    [{"legal_name": "Sam Physiotherapy Ltd"}, {"postcode": "ol8 1aa"}, {"kind": "care_agency"}],
)
def test_a_verified_provider_changing_a_checked_detail_is_checked_again(
    client, signed_in_provider, changes
):
    provider = signed_in_provider(VerificationStatus.VERIFIED)

    response = client.post("/provider/details", data=details_form(**changes))

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(provider)
    assert provider.verification_status == VerificationStatus.PENDING
    decision = db.session.scalar(select(VerificationDecision))
    assert decision.move == "recheck" and "after it was verified" in decision.reason
    dashboard = client.get("/provider/").get_data(as_text=True)
    assert "so they will be checked again before people can book you" in dashboard


def test_a_postcode_that_does_not_exist_is_refused_on_the_details_page(client, signed_in_provider):
    provider = signed_in_provider(VerificationStatus.UNVERIFIED)

    response = client.post("/provider/details", data=details_form(postcode="XX1 1XX"))

    assert response.status_code == 400
    assert "We cannot find XX1 1XX" in response.get_data(as_text=True)
    db.session.refresh(provider)
    assert provider.postcode == "OL1 1AA"


def test_a_listing_takes_the_first_part_of_a_postcode_and_refuses_one_that_does_not_exist(
    client, signed_in_provider, make_category
):
    signed_in_provider(VerificationStatus.UNVERIFIED)
    category = make_category()

    refused = client.post("/provider/listings/new", data=listing_form(category.id, postcode="XX1"))
    assert refused.status_code == 400
    assert "We cannot find XX1" in refused.get_data(as_text=True)

    response = client.post("/provider/listings/new", data=listing_form(category.id, postcode="ol1"))
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = db.session.scalar(select(Listing))
    assert listing.postcode == "OL1" and listing.latitude is not None
