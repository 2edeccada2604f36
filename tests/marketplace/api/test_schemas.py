"""Every Open Referral UK endpoint's answers checked against the ORUK validator's 3.0 UK schemas."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import time
from typing import Any

import pytest

from marketplace.directory.models import (
    AvailabilityRule,
    Category,
    DeliveryMode,
    Listing,
    PriceUnit,
    Provider,
    ProviderKind,
)
from marketplace.directory.taxonomy import TAXONOMY_ID
from marketplace.extensions import db
from tests.marketplace.api import oruk

pytestmark = oruk.needs_schemas


@pytest.fixture()
def directory(
    category: Callable[[str], Category],
    make_provider: Callable[..., Provider],
    make_listing: Callable[..., Listing],
) -> dict[str, Listing]:
    """A care agency with every detail filled in (a venue, at-home and online listing) and a
    self-employed personal assistant."""
    agency = make_provider(
        legal_name="Moorside Care Ltd",
        trading_name="Moorside Care",
        description="Home care and day activities in Oldham.",
        contact_email="hello@moorside.example",
        contact_phone="0161 496 0000",
        website="www.moorside.example",
        address_line="1 Union Street",
        town="Oldham",
        postcode="OL1 1BE",
        local_authority="Oldham",
        cqc_location_id="1-000000001",
        cqc_rating="Good",
    )
    venue = make_listing(
        provider=agency,
        title="Day activities at Union Street",
        delivery_mode=DeliveryMode.VENUE,
        postcode="OL1 1BE",
        venue_address="1 Union Street",
        price_pence=4550,
        price_unit=PriceUnit.SESSION,
        block_quantity=10,
        block_pays_for=8,
        languages=["English", "Urdu", "Cornish"],
        accessibility_notes="Step-free entrance and an accessible toilet.",
        categories=[category("day-opportunities"), category("dementia-support")],
    )
    venue.availability = [
        AvailabilityRule(weekday=0, start_time=time(9), end_time=time(12, 30)),
        AvailabilityRule(weekday=3, start_time=time(13), end_time=time(17)),
    ]
    at_home = make_listing(provider=agency, title="Help at home", categories=[category("homecare")])
    online = make_listing(
        provider=agency,
        title="Carers' support by video",
        delivery_mode=DeliveryMode.ONLINE,
        postcode=None,
        travel_radius_miles=None,
    )
    pa = make_provider(
        kind=ProviderKind.PERSONAL_ASSISTANT,
        legal_name="Sam Example",
        contact_email="sam@example.org",
        contact_phone="07700 900000",
        postcode="OL1 1DJ",
    )
    personal = make_listing(
        provider=pa, title="Personal assistant", categories=[category("personal-assistant")]
    )
    db.session.commit()
    return {"venue": venue, "at_home": at_home, "online": online, "pa": personal}


LISTS = [
    ("services", {}),
    ("services", {"full": "true"}),
    ("service_at_locations", {}),
    ("service_at_locations", {"postcode": "OL1 1BE"}),
    ("service_at_locations", {"postcode": "OL1", "proximity": "5000"}),
    ("organizations", {}),
    ("taxonomies", {}),
    ("taxonomy_terms", {}),
    ("taxonomy_terms", {"per_page": "3", "page": "2"}),
    ("services", {"page": "9"}),  # an empty page past the end
]


@pytest.mark.parametrize(("endpoint", "query"), LISTS)
def test_list_pages_validate(
    directory: dict[str, Listing], api: Callable[..., Any], endpoint: str, query: dict[str, str]
) -> None:
    body = api(f"/{endpoint}", **query)

    assert oruk.page_errors(endpoint, body) == []
    if query.get("page") != "9":
        assert body["contents"], "an empty page would check nothing"


def test_every_service_validates_in_full(
    directory: dict[str, Listing], api: Callable[..., Any]
) -> None:
    page = api("/services")
    assert page["total_items"] == 4

    for item in page["contents"]:
        body = api(f"/services/{item['id']}")
        assert oruk.item_errors("services", body) == [], body["name"]
        for sal in body["service_at_locations"]:
            nested = api(f"/service_at_locations/{sal['id']}")
            assert oruk.item_errors("service_at_locations", nested) == []


def test_organizations_taxonomies_and_terms_validate_by_id(
    directory: dict[str, Listing], api: Callable[..., Any]
) -> None:
    for item in api("/organizations")["contents"]:
        for full in ("false", "true"):
            body = api(f"/organizations/{item['id']}", full_service=full)
            assert oruk.item_errors("organizations", body) == []
            assert body["services"]
    taxonomy = api(f"/taxonomies/{TAXONOMY_ID}")
    assert oruk.item_errors("taxonomies", taxonomy) == []
    assert len(taxonomy["taxonomy_terms"]) == 15
    for term in taxonomy["taxonomy_terms"]:
        assert oruk.item_errors("taxonomy_terms", api(f"/taxonomy_terms/{term['id']}")) == []


def test_the_full_service_carries_what_the_listing_says(
    directory: dict[str, Listing], api: Callable[..., Any]
) -> None:
    page = api("/services", text="union street")
    body = api(f"/services/{page['contents'][0]['id']}")

    assert body["name"] == "Day activities at Union Street"
    assert body["organization"]["name"] == "Moorside Care"
    assert body["organization"]["website"] == "https://www.moorside.example"
    assert body["organization"]["organization_identifiers"][0]["identifier"] == "1-000000001"
    assert [t["taxonomy_term"]["name"] for t in body["attributes"]] == [
        "Day opportunities",
        "Dementia support",
    ]
    assert [(o["amount"], o["amount_description"]) for o in body["cost_options"]] == [
        (45.5, "£45.50 per session"),
        (364.0, "£364.00 for 10 sessions (10 for the price of 8)"),
    ]
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in body["schedules"]] == [
        ("MO", "09:00", "12:30"),
        ("TH", "13:00", "17:00"),
    ]
    assert [(lang["name"], lang.get("code")) for lang in body["languages"]] == [
        ("English", "en"),
        ("Urdu", "ur"),
        ("Cornish", None),
    ]
    location = body["service_at_locations"][0]["location"]
    assert location["location_type"] == "physical"
    assert (location["latitude"], location["longitude"]) == (53.5396, -2.11454)  # OL1 1BE
    assert location["addresses"][0]["postal_code"] == "OL1 1BE"
    assert location["addresses"][0]["city"] == "Oldham"
    assert location["accessibility"][0]["description"].startswith("Step-free")
    contact = body["contacts"][0]
    assert (contact["name"], contact["email"]) == ("Moorside Care", "hello@moorside.example")
    assert contact["phones"][0]["number"] == "0161 496 0000"


def test_a_sole_trader_is_placed_by_area_and_has_no_contact_details(
    directory: dict[str, Listing], api: Callable[..., Any]
) -> None:
    found = api("/services", text="personal assistant")["contents"]
    body = api(f"/services/{found[0]['id']}")

    assert "contacts" not in body
    assert "email" not in body
    assert "email" not in body["organization"]
    location = body["service_at_locations"][0]["location"]
    assert "addresses" not in location
    # The centre of OL1, not the point of OL1 1DJ (53.54028, -2.11047).
    assert (location["latitude"], location["longitude"]) == (53.54679, -2.106001)
    assert "sam@example.org" not in str(body) and "07700" not in str(body)


def test_online_services_are_virtual_locations(
    directory: dict[str, Listing], api: Callable[..., Any]
) -> None:
    found = api("/services", text="video")["contents"]
    location = api(f"/services/{found[0]['id']}")["service_at_locations"][0]["location"]

    assert location["location_type"] == "virtual"
    assert "latitude" not in location


def test_the_check_catches_a_broken_object(
    directory: dict[str, Listing], api: Callable[..., Any]
) -> None:
    """The schemas are not checked vacuously: damaged copies of real answers fail."""
    page = api("/services")
    service = api(f"/services/{page['contents'][0]['id']}")

    no_name = copy.deepcopy(service)
    del no_name["name"]
    bad_id = copy.deepcopy(service)
    bad_id["id"] = "service-1"
    bad_status = copy.deepcopy(service)
    bad_status["status"] = "open"
    bad_time = copy.deepcopy(service)
    bad_time["last_modified"] = "yesterday"
    bad_location = copy.deepcopy(service)
    bad_location["service_at_locations"][0]["location"]["location_type"] = "home"
    bad_url = copy.deepcopy(service)
    bad_url["url"] = "not a link"

    for broken in (no_name, bad_id, bad_status, bad_time, bad_location, bad_url):
        assert oruk.item_errors("services", broken), broken
    bad_item = copy.deepcopy(page)
    bad_item["contents"][0]["id"] = 7
    bad_page = copy.deepcopy(page)
    del bad_page["total_items"]
    bad_count = copy.deepcopy(page)
    bad_count["total_pages"] = "1"
    for broken_page in (bad_item, bad_page, bad_count):
        assert oruk.page_errors("services", broken_page)
    bad_org = copy.deepcopy(api("/organizations"))
    del bad_org["contents"][0]["description"]
    assert oruk.page_errors("organizations", bad_org)
