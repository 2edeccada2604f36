"""Providers listed from the CQC register that have not joined: shown with their public contact
details and an invitation to claim the listing; never bookable, never shown or counted as
verified; claimed only with the CQC details the service holds, then checked as usual."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role, Tenant, User
from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking, BookingKind
from marketplace.commissioning import market
from marketplace.directory.models import (
    ListingStatus,
    ProviderMember,
    VerificationStatus,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.search.documents import build_document
from provider_onboarding.verification import Decision, Move, apply_move
from tests.conftest import PASSWORD
from tests.frozen import next_weekday
from tests.marketplace.bookings.conftest import NINE, TODAY, world  # noqa: F401  (the fixture)

# A real registered location from the CQC record the service ships (data/providers/).
LOCATION_ID, PROVIDER_ID, POSTCODE = "1-10024040008", "1-9408305833", "M35 9BG"
NAME = "Ebenezer Care Services"


@pytest.fixture()
def unclaimed(world):  # noqa: F811
    """The world's listing, from a provider listed from the CQC register nobody has claimed."""
    provider = world.provider
    provider.members.clear()
    provider.verification_status = VerificationStatus.NOT_JOINED
    provider.legal_name = NAME
    provider.cqc_location_id, provider.cqc_provider_id = LOCATION_ID, PROVIDER_ID
    provider.postcode, provider.contact_phone = POSTCODE, "0161 681 0000"
    provider.tenant_id = world.holder.tenant_id
    db.session.commit()
    return world


def as_user(app, user):
    client = app.test_client()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_public_sees_contact_details_and_an_invitation_never_verified_or_a_book_button(
    app, unclaimed
):
    w = unclaimed
    holder = as_user(app, w.holder)

    listing = holder.get(f"/listings/{w.listing.id}").get_data(as_text=True)
    provider = app.test_client().get(f"/providers/{w.provider.id}").get_data(as_text=True)

    for page in (listing, provider):
        assert f"{NAME} is not on this service yet" in page
        assert "Claim this listing" in page and f"/provider/claim/{w.provider.id}" in page
        assert "Verified" not in page
    assert "Book " not in listing and f"/bookings/new/{w.listing.id}" not in listing
    assert "0161 681 0000" in provider and "You cannot book or pay them here" in provider


def test_the_booking_request_route_and_service_refuse_them(app, unclaimed):
    w = unclaimed
    holder = as_user(app, w.holder)

    assert holder.get(f"/bookings/new/{w.listing.id}").status_code == 404
    assert holder.post(f"/bookings/new/{w.listing.id}", data={}).status_code == 404
    request = bookings.Request(
        BookingKind.ONE_OFF, day=next_weekday(1), start=NINE, duration_minutes=60
    )
    with pytest.raises(DomainError, match="not taking bookings"):
        bookings.request_booking(w.holder, w.holder, w.listing, w.pot, request, TODAY)
    assert db.session.scalar(select(Booking)) is None


def test_they_are_found_but_never_as_verified_supply(unclaimed, make_provider, make_listing):
    w = unclaimed
    tenant = db.session.get(Tenant, w.holder.tenant_id)
    joined = make_listing(provider=make_provider(tenant_id=tenant.id), categories=[w.pa])

    document = build_document(w.listing)
    facts = market.MarketFacts(tenant, market.Period(date(2026, 6, 1), date(2026, 6, 14)))

    assert document is not None and document["verified"] is False
    assert [row[0] for row in facts.listings] == [joined.id]
    assert sum(n for _, n in facts.hourly_prices.get(w.pa.slug, [])) == 1


def claim_form(**changes):
    data = {
        "full_name": "Grace Owner",
        "email": "grace@ebenezer.example",
        "password": "blue kettle orchard lamp",
        "confirm": "blue kettle orchard lamp",
        "cqc_location_id": LOCATION_ID,
        "cqc_provider_id": PROVIDER_ID,
        "postcode": "m35 9bg",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cqc_location_id": "1-000000001"}, "This is not the CQC location ID of this service"),
        ({"cqc_provider_id": "1-000000002"}, "This is not the CQC provider ID"),
        ({"postcode": "OL1 1AA"}, "This is not the postcode the CQC has"),
        ({"cqc_provider_id": ""}, "Enter the CQC provider ID"),
    ],
)
def test_a_claim_that_does_not_match_the_cqc_record_is_refused(app, unclaimed, changes, message):
    w = unclaimed
    response = app.test_client().post(
        f"/provider/claim/{w.provider.id}", data=claim_form(**changes)
    )

    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert w.provider.verification_status == VerificationStatus.NOT_JOINED
    assert db.session.scalar(select(User).where(User.email == "grace@ebenezer.example")) is None


def test_a_claim_ends_in_the_commissioners_checks_and_then_bookings(app, unclaimed):
    w = unclaimed
    client = app.test_client()

    claimed = client.post(f"/provider/claim/{w.provider.id}", data=claim_form())
    twice = client.post(f"/provider/claim/{w.provider.id}", data=claim_form())
    someone_else = app.test_client().post(f"/provider/claim/{w.provider.id}", data=claim_form())

    assert claimed.status_code == 302, claimed.get_data(as_text=True)
    assert twice.status_code == 302 and twice.headers["Location"] == claimed.headers["Location"]
    assert someone_else.status_code == 404
    db.session.expire_all()
    owner = db.session.scalar(select(User).where(User.email == "grace@ebenezer.example"))
    assert owner.role == Role.PROVIDER
    assert [m.user_id for m in db.session.scalars(select(ProviderMember))] == [owner.id]
    assert w.provider.verification_status == VerificationStatus.UNVERIFIED
    assert w.listing.status == ListingStatus.DRAFT  # its details came from the register
    assert "Claim this listing" not in client.get(f"/providers/{w.provider.id}").text

    saved = client.post("/provider/checks", data={"tenant_id": str(w.provider.tenant_id)})
    sent = client.post("/provider/checks/submit")
    db.session.expire_all()
    assert saved.status_code == 302 and sent.status_code == 302, sent.get_data(as_text=True)
    assert w.provider.verification_status == VerificationStatus.PENDING
    apply_move(w.provider, Decision(Move.APPROVE), w.commissioner)
    db.session.commit()
    client.post(f"/provider/listings/{w.listing.id}/publish")
    db.session.expire_all()
    assert w.provider.is_verified and w.listing.status == ListingStatus.PUBLISHED
    listing_page = as_user(app, w.holder).get(f"/listings/{w.listing.id}").text
    assert f"/bookings/new/{w.listing.id}" in listing_page


def test_registering_with_the_cqc_id_of_a_listed_provider_points_to_claiming_it(app, unclaimed):
    response = app.test_client().post(
        "/provider/register",
        data={
            **claim_form(),
            "kind": "care_agency",
            "legal_name": NAME,
            "contact_phone": "0161 681 0000",
        },
    )

    assert response.status_code == 400
    assert "already listed here from the CQC register" in response.get_data(as_text=True)
