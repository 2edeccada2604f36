"""The listing editor: details, block price, availability, days off, and who may publish."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.directory.models import (
    AvailabilityRule,
    Listing,
    ListingStatus,
    PriceUnit,
    VerificationStatus,
)
from marketplace.extensions import db
from tests.factories import add_checks
from tests.frozen import TODAY


def listing_form(category_id: int, **changes):
    data = {
        "title": "Physiotherapy at home",
        "description": "Exercises after a fall.",
        "category_ids": [str(category_id)],
        "price": "45.00",
        "price_unit": "session",
        "block_quantity": "10",
        "block_pays_for": "8",
        "delivery_mode": "at_home",
        "postcode": "ol1 1aa",
        "travel_radius_miles": "5",
        "languages": "English, Urdu",
        "worker_gender": "female",
        "accessibility_notes": "Step-free",
        "cancellation_notice_hours": "48",
        "cancellation_charge_percent": "50",
    }
    data.update(changes)
    return data


@pytest.fixture()
def owner(make_user, make_provider, sign_in):
    user = make_user(Role.PROVIDER)
    provider = make_provider(owner=user, verification_status=VerificationStatus.UNVERIFIED)
    sign_in(user)
    return provider


def test_provider_creates_a_draft_with_every_detail(client, owner, make_category):
    category = make_category()

    response = client.post("/provider/listings/new", data=listing_form(category.id))

    assert response.status_code == 302, response.get_data(as_text=True)
    listing = db.session.scalar(select(Listing))
    assert listing.status == ListingStatus.DRAFT
    assert (listing.price_pence, listing.price_unit) == (4500, PriceUnit.SESSION)
    assert (listing.block_quantity, listing.block_pays_for) == (10, 8)
    assert listing.postcode == "OL1 1AA" and listing.latitude is not None
    assert listing.languages == ["English", "Urdu"]
    assert listing.cancellation_charge_bps == 5000
    assert [c.id for c in listing.categories] == [category.id]
    page = client.get(f"/provider/listings/{listing.id}/availability").get_data(as_text=True)
    assert "10 for £360.00" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"price": "12.345"}, "Price must not have more than 2 decimal places"),
        ({"price": "free"}, "Enter a price in pounds and pence, like 12.50"),
        ({"price": "0"}, "Enter a price of at least £1.00"),
        ({"price": "0.99"}, "Enter a price of at least £1.00"),
        ({"price": "1000000"}, "Price must be £100,000 or less"),
        ({"price": "99999999999"}, "Price must be £100,000 or less"),
        ({"block_pays_for": "10"}, "fewer than the number in the block"),
        ({"block_pays_for": ""}, "Enter both how many are in the block"),
        ({"postcode": ""}, "Enter the postcode you travel from"),
        ({"delivery_mode": "venue", "venue_address": ""}, "Enter the venue"),
        ({"category_ids": []}, "Select at least one category"),
    ],
)
def test_bad_listing_details_are_refused_with_a_message(
    client, owner, make_category, changes, message
):
    category = make_category()
    response = client.post("/provider/listings/new", data=listing_form(category.id, **changes))

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Listing)) is None


def test_goods_are_sold_each_and_online_needs_no_place(client, owner, make_category):
    category = make_category("Equipment")
    data = listing_form(
        category.id,
        title="Riser recliner chair",
        price="399.00",
        price_unit="item",
        delivery_mode="online",
        postcode="",
        travel_radius_miles="",
        block_quantity="",
        block_pays_for="",
    )
    assert client.post("/provider/listings/new", data=data).status_code == 302
    chair = db.session.scalar(select(Listing))
    assert chair.price_unit == PriceUnit.ITEM and chair.postcode is None


def test_only_a_verified_provider_publishes(client, owner, make_listing):
    listing = make_listing(provider=owner, status=ListingStatus.DRAFT)
    listing.availability = [AvailabilityRule(weekday=0, start_time=time(9), end_time=time(17))]
    db.session.commit()

    client.post(f"/provider/listings/{listing.id}/publish")
    db.session.refresh(listing)
    assert listing.status == ListingStatus.DRAFT
    page = client.get("/provider/").get_data(as_text=True)
    assert "You can publish once your checks are complete" in page

    owner.verification_status = VerificationStatus.VERIFIED
    db.session.commit()
    client.post(f"/provider/listings/{listing.id}/publish")
    db.session.refresh(listing)
    assert listing.status == ListingStatus.PUBLISHED
    assert client.get(f"/listings/{listing.id}").status_code == 200

    client.post(f"/provider/listings/{listing.id}/unpublish")
    db.session.refresh(listing)
    assert listing.status == ListingStatus.DRAFT


def test_expired_insurance_stops_publishing(client, owner, make_listing):
    owner.verification_status = VerificationStatus.VERIFIED
    add_checks(owner.id, insurance_expires_on=TODAY - timedelta(days=1))
    db.session.commit()
    listing = make_listing(provider=owner, status=ListingStatus.DRAFT)

    client.post(f"/provider/listings/{listing.id}/publish")

    db.session.refresh(listing)
    assert listing.status == ListingStatus.DRAFT
    assert "insurance has expired" in client.get("/provider/").get_data(as_text=True)


def test_weekly_times_and_days_off(client, owner, make_listing):
    listing = make_listing(provider=owner, status=ListingStatus.DRAFT)
    url = f"/provider/listings/{listing.id}"

    ok = client.post(
        f"{url}/availability", data={"weekday": "0", "start_time": "09:00", "end_time": "12:00"}
    )
    overlap = client.post(
        f"{url}/availability", data={"weekday": "0", "start_time": "11:00", "end_time": "13:00"}
    )
    backwards = client.post(
        f"{url}/availability", data={"weekday": "1", "start_time": "13:00", "end_time": "12:00"}
    )
    start = TODAY + timedelta(days=7)
    holiday = client.post(
        f"{url}/days-off",
        data={
            "off-starts_on": [str(start.day), str(start.month), str(start.year)],
            "off-ends_on": [str(start.day), str(start.month), str(start.year)],
            "off-reason": "Holiday",
        },
    )

    assert ok.status_code == 302
    assert overlap.status_code == 400 and "overlaps" in overlap.get_data(as_text=True)
    assert backwards.status_code == 400 and "end time must be after" in backwards.get_data(
        as_text=True
    )
    assert holiday.status_code == 302, holiday.get_data(as_text=True)
    db.session.refresh(listing)
    assert len(listing.availability) == 1 and len(listing.exceptions) == 1


def test_someone_elses_listing_is_not_found(client, owner, make_listing):
    theirs = make_listing()
    assert client.get(f"/provider/listings/{theirs.id}/edit").status_code == 404
    assert client.post(f"/provider/listings/{theirs.id}/publish").status_code == 404


def test_a_price_change_is_recorded_and_leaves_the_old_price_in_the_audit_log(
    client, owner, make_listing, make_category
):
    from marketplace.audit import AuditEvent

    category = make_category()
    listing = make_listing(provider=owner, categories=[category], price_pence=4000)

    response = client.post(
        f"/provider/listings/{listing.id}/edit", data=listing_form(category.id, price="50.00")
    )

    assert response.status_code == 302
    db.session.refresh(listing)
    assert listing.price_pence == 5000
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "listing.updated"))
    assert (event.detail["old_price_pence"], event.detail["price_pence"]) == (4000, 5000)


def _price_box(page: str) -> str:
    found = re.search(r'<input[^>]*name="price"[^>]*>', page)
    assert found is not None, "no price box on the page"
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def test_the_price_typed_comes_back_as_typed_when_another_field_is_wrong(
    client, owner, make_category
):
    category = make_category()

    response = client.post(
        "/provider/listings/new", data=listing_form(category.id, price="16.00", title="")
    )

    assert response.status_code == 400
    assert _price_box(response.get_data(as_text=True)) == "16.00"
    assert db.session.scalar(select(Listing)) is None


def test_editing_shows_the_price_in_pounds_and_a_mistake_keeps_what_was_typed(
    client, owner, make_listing, make_category
):
    category = make_category()
    listing = make_listing(provider=owner, categories=[category], price_pence=1600)
    url = f"/provider/listings/{listing.id}/edit"

    shown = client.get(url).get_data(as_text=True)
    wrong = client.post(url, data=listing_form(category.id, price="17.50", postcode=""))
    saved_again = client.post(url, data=listing_form(category.id, price=_price_box(shown)))

    assert _price_box(shown) == "16.00"
    assert wrong.status_code == 400 and _price_box(wrong.get_data(as_text=True)) == "17.50"
    assert saved_again.status_code == 302
    db.session.refresh(listing)
    assert listing.price_pence == 1600


def test_a_listing_says_who_it_is_for_and_the_public_page_shows_it(client, owner, make_category):
    category = make_category()
    ages = ["older_people", "adults"]

    response = client.post(
        "/provider/listings/new", data=listing_form(category.id, age_groups=ages)
    )

    assert response.status_code == 302, response.get_data(as_text=True)
    listing = db.session.scalar(select(Listing))
    assert listing.age_groups == ["adults", "older_people"]  # youngest first
    edit = client.get(f"/provider/listings/{listing.id}/edit").get_data(as_text=True)
    assert re.search(r'value="adults"\s+checked', edit) or 'value="adults" checked' in edit
    assert 'value="children" checked' not in edit
    client.post(
        f"/provider/listings/{listing.id}/edit", data=listing_form(category.id, age_groups=[])
    )
    db.session.refresh(listing)
    assert listing.age_groups == []


def test_who_it_is_for_is_a_checkbox_group_under_its_question(client, owner, make_category):
    page = client.get("/provider/listings/new").get_data(as_text=True)
    group = page[page.index("Who it is for") - 400 : page.index('value="older_people"')]
    assert "<fieldset" in group and "govuk-fieldset__legend" in group
    assert group.count('type="checkbox"') == 4
    assert "Adults (18 to 64)" in group


def test_an_age_group_that_is_not_offered_is_refused(client, owner, make_category):
    category = make_category()
    response = client.post(
        "/provider/listings/new", data=listing_form(category.id, age_groups=["babies"])
    )
    assert response.status_code == 400
    assert "Choose one of the answers shown for ‘Who it is for’" in response.get_data(as_text=True)
    assert db.session.scalar(select(Listing)) is None


def test_a_new_listing_starts_from_the_cqc_service_user_bands(client, owner, make_category):
    owner.cqc_specialisms = ["Dementia", "Caring for adults over 65 yrs"]
    db.session.commit()
    page = client.get("/provider/listings/new").get_data(as_text=True)
    checked = re.findall(r'value="(\w+)"\s+checked', page)
    assert checked == ["older_people"]


def test_a_time_to_midnight_reads_as_midnight_and_is_stored_as_the_end_of_the_day(
    client, owner, make_listing
):
    listing = make_listing(provider=owner, status=ListingStatus.DRAFT)
    url = f"/provider/listings/{listing.id}/availability"

    client.post(url, data={"weekday": "1", "start_time": "22:00", "end_time": "23:59"})

    page = client.get(url).get_data(as_text=True)
    assert "Tuesday 22:00 to midnight" in page and "to 23:59" not in page
    db.session.refresh(listing)
    assert listing.availability[0].end_time == time(23, 59)


def test_a_listing_without_weekly_times_is_not_published_and_the_provider_is_sent_to_add_them(
    client, owner, make_listing
):
    owner.verification_status = VerificationStatus.VERIFIED
    db.session.commit()
    listing = make_listing(provider=owner, status=ListingStatus.DRAFT, title="Evening support")

    response = client.post(f"/provider/listings/{listing.id}/publish")

    db.session.refresh(listing)
    assert listing.status == ListingStatus.DRAFT
    assert response.headers["Location"].endswith(f"/provider/listings/{listing.id}/availability")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Add at least one weekly time to ‘Evening support’ before you publish it" in page


def test_equipment_sold_each_is_published_without_weekly_times(client, owner, make_listing):
    owner.verification_status = VerificationStatus.VERIFIED
    db.session.commit()
    chair = make_listing(provider=owner, status=ListingStatus.DRAFT, price_unit=PriceUnit.ITEM)

    client.post(f"/provider/listings/{chair.id}/publish")

    db.session.refresh(chair)
    assert chair.status == ListingStatus.PUBLISHED
