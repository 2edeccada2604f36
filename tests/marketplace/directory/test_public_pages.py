"""The public listing and provider pages."""

from __future__ import annotations

from datetime import time, timedelta

from marketplace.accounts.models import Role
from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    DeliveryMode,
    ListingStatus,
    PriceUnit,
    ProviderKind,
    VerificationStatus,
    WorkerGender,
)
from marketplace.directory.taxonomy import categories_by_slug, load_taxonomy
from marketplace.extensions import db
from tests.frozen import TODAY


def test_listing_page_shows_price_in_pounds_and_weekly_availability(client, make_listing):
    load_taxonomy()
    listing = make_listing(
        title="Morning support at home",
        price_pence=1850,
        price_unit=PriceUnit.HOUR,
        categories=categories_by_slug(["personal-assistant"]),
        languages=["English", "Urdu"],
        worker_gender=WorkerGender.FEMALE,
        accessibility_notes="Experienced with hoists.",
        is_demo=True,
    )
    listing.availability = [
        AvailabilityRule(weekday=0, start_time=time(9), end_time=time(13, 30)),
        AvailabilityRule(weekday=2, start_time=time(14), end_time=time(18)),
    ]
    soon = TODAY + timedelta(days=10)
    listing.exceptions = [
        AvailabilityException(starts_on=soon, ends_on=soon + timedelta(days=6), reason="Holiday")
    ]
    db.session.commit()

    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)

    assert "Morning support at home" in page
    assert "£18.50" in page and "per hour" in page
    assert "Personal assistant" in page
    assert "9am to 1:30pm" in page and "2pm to 6pm" in page
    assert "Monday" in page and "Wednesday" in page
    assert "Urdu" in page and "Woman" in page and "Experienced with hoists." in page
    assert "Travels up to 10 miles from OL1" in page
    assert "Days not available" in page and soon.strftime("%-d %B %Y") in page
    assert "Holiday" not in page  # the reason is the provider's own business
    assert "Demo" in page


def test_draft_listing_is_hidden_from_the_public(client, make_listing):
    listing = make_listing(status=ListingStatus.DRAFT)
    assert client.get(f"/listings/{listing.id}").status_code == 404


def test_draft_listing_is_visible_to_its_own_provider_staff(
    client, make_user, make_provider, make_listing, sign_in
):
    owner = make_user(Role.PROVIDER)
    listing = make_listing(
        provider=make_provider(owner=owner), status=ListingStatus.DRAFT, title="Draft service"
    )
    sign_in(owner)

    response = client.get(f"/listings/{listing.id}")

    assert response.status_code == 200
    assert "This is a preview" in response.get_data(as_text=True)


def test_draft_listing_is_hidden_from_other_providers_staff(
    client, make_user, make_provider, make_listing, sign_in
):
    listing = make_listing(status=ListingStatus.DRAFT)
    other = make_user(Role.PROVIDER)
    make_provider(owner=other)
    sign_in(other)
    assert client.get(f"/listings/{listing.id}").status_code == 404


def test_published_listing_of_a_suspended_provider_is_hidden(client, make_provider, make_listing):
    provider = make_provider(verification_status=VerificationStatus.SUSPENDED)
    listing = make_listing(provider=provider)
    assert client.get(f"/listings/{listing.id}").status_code == 404
    assert client.get(f"/providers/{provider.id}").status_code == 404


def test_missing_listing_is_404(client, app_ctx):
    assert client.get("/listings/999999").status_code == 404


def test_provider_page_shows_rating_cqc_link_contacts_and_published_listings(
    client, make_provider, make_listing
):
    provider = make_provider(
        legal_name="Sunrise Care Ltd",
        trading_name="Sunrise Care",
        cqc_location_id="1-123456789",
        cqc_rating="Good",
        contact_phone="0161 000 0000",
        website="www.sunrise.example",
        address_line="1 High Street",
        town="Oldham",
    )
    make_listing(provider=provider, title="Homecare visits", price_pence=2400)
    make_listing(provider=provider, title="Secret draft", status=ListingStatus.DRAFT)

    page = client.get(f"/providers/{provider.id}").get_data(as_text=True)

    assert "Sunrise Care" in page and "Verified" in page
    assert "Good" in page and "https://www.cqc.org.uk/location/1-123456789" in page
    assert "0161 000 0000" in page and "1 High Street" in page
    assert "Homecare visits" in page and "£24.00" in page
    assert "Secret draft" not in page


def test_provider_page_never_shows_a_sole_traders_street_or_staff(client, make_user, make_provider):
    owner = make_user(Role.PROVIDER, full_name="Priya Private", email="priya.private@example.org")
    provider = make_provider(
        owner=owner,
        kind=ProviderKind.PERSONAL_ASSISTANT,
        legal_name="P Support",
        address_line="12 Home Road",
        town="Oldham",
        postcode="OL8 1AB",
    )

    page = client.get(f"/providers/{provider.id}").get_data(as_text=True)

    assert "12 Home Road" not in page and "OL8 1AB" not in page
    assert "OL8" in page
    assert "Priya Private" not in page and "priya.private@example.org" not in page


def test_online_listing_says_so(client, make_listing):
    listing = make_listing(
        delivery_mode=DeliveryMode.ONLINE, price_unit=PriceUnit.SESSION, price_pence=4500
    )
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Online" in page and "£45.00" in page and "per session" in page


def test_a_block_price_is_shown_on_the_listing_page(client, make_listing):
    listing = make_listing(block_quantity=10, block_pays_for=8)
    page = client.get(f"/listings/{listing.id}")
    assert "book 10 for the price of 8" in page.get_data(as_text=True)


def test_signed_out_a_listing_offers_sign_in_to_book_and_comes_back_to_book(
    client, make_listing, make_user, sign_in
):
    listing = make_listing(title="Evening sitting service")
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Sign in to book" in page
    assert f"/sign-in?next=/bookings/new/{listing.id}" in page.replace("%2F", "/")

    sign_in(make_user(Role.HOLDER))
    signed_in = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "Sign in to book" not in signed_in and "Book Evening sitting service" in signed_in


def test_a_weekly_time_to_the_end_of_the_day_says_midnight(client, make_listing):
    listing = make_listing()
    listing.availability = [
        AvailabilityRule(weekday=1, start_time=time(22), end_time=time(23, 59)),
        AvailabilityRule(weekday=2, start_time=time(0), end_time=time(23, 59)),
    ]
    db.session.commit()

    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)

    assert "10pm to midnight" in page and "midnight to midnight" in page
    assert "11:59pm" not in page
