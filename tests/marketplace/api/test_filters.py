"""The ORUK list filters and pages, with answers worked out by hand; and bad values as 400s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from marketplace.api import ids
from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    Category,
    Listing,
    Provider,
)
from marketplace.directory.taxonomy import TAXONOMY_ID
from marketplace.extensions import db

OTHER_UUID = "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2"


def _names(body: dict[str, Any]) -> list[str]:
    return [item["name"] for item in body["contents"]]


# Pages


def test_pages_are_counted_as_ordered(
    make_listing: Callable[..., Listing], api: Callable[..., Any]
) -> None:
    titles = [f"Support {letter}" for letter in "ABCDEFG"]
    for title in titles:
        make_listing(title=title)

    # 7 services, 3 a page: pages of 3, 3 and 1; a fourth page is empty.
    first = api("/services", per_page=3)
    third = api("/services", per_page=3, page=3)
    beyond = api("/services", per_page=3, page=4)
    everything = api("/services")

    page_fields = ("total_items", "total_pages", "page_number", "size")
    assert [first[k] for k in page_fields] == [7, 3, 1, 3]
    assert (first["first_page"], first["last_page"], first["empty"]) == (True, False, False)
    assert _names(first) == titles[:3]
    assert [third[k] for k in page_fields] == [7, 3, 3, 1]
    assert (third["first_page"], third["last_page"], third["empty"]) == (False, True, False)
    assert _names(third) == ["Support G"]
    assert [beyond[k] for k in page_fields] == [7, 3, 4, 0]
    assert (beyond["first_page"], beyond["last_page"], beyond["empty"]) == (False, True, True)
    # The default page holds 50: everything on one page.
    assert [everything[k] for k in page_fields] == [7, 1, 1, 7]
    assert everything["last_page"] is True


def test_an_empty_directory_is_one_empty_first_page(api: Callable[..., Any]) -> None:
    body = api("/services")
    assert body == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


# Text, taxonomy, organization


@pytest.fixture()
def mixed(
    category: Callable[[str], Category],
    make_provider: Callable[..., Provider],
    make_listing: Callable[..., Listing],
) -> dict[str, Listing]:
    moorside = make_provider(legal_name="Moorside Care Ltd", trading_name="Moorside")
    therapy = make_provider(legal_name="Pennine Therapy Partnership")
    return {
        "homecare": make_listing(
            provider=moorside,
            title="Morning calls",
            description="Washing, dressing and breakfast.",
            categories=[category("homecare")],
        ),
        "dementia": make_listing(
            provider=moorside,
            title="Evening sitting",
            description="Company and reassurance in the evening.",
            categories=[category("dementia-support"), category("homecare")],
        ),
        "physio": make_listing(
            provider=therapy,
            title="Physio at home",
            description="Exercises after a fall, 100% at your pace.",
            categories=[category("physiotherapy")],
        ),
        "uncategorised": make_listing(provider=therapy, title="Advice line", description="Ask."),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"text": "evening"}, ["Evening sitting"]),
        ({"search": "EVENING"}, ["Evening sitting"]),  # ORUK's name for it, any case
        ({"text": "breakfast"}, ["Morning calls"]),  # the description
        ({"text": "moorside"}, ["Morning calls", "Evening sitting"]),  # the trading name
        ({"text": "pennine"}, ["Physio at home", "Advice line"]),  # the legal name
        ({"text": "dementia"}, ["Evening sitting"]),  # a category's name
        ({"text": "evening company"}, ["Evening sitting"]),  # every word must match
        ({"text": "evening breakfast"}, []),
        ({"text": "100%"}, ["Physio at home"]),  # % is a character, not a wildcard
        ({"text": "%"}, ["Physio at home"]),
        ({"text": "_"}, []),
    ],
)
def test_text(
    mixed: dict[str, Listing],
    api: Callable[..., Any],
    query: dict[str, str],
    expected: list[str],
) -> None:
    body = api("/services", **query)
    assert _names(body) == expected
    assert body["total_items"] == len(expected)


def test_taxonomy_term_and_taxonomy(
    mixed: dict[str, Listing], category: Callable[[str], Category], api: Callable[..., Any]
) -> None:
    homecare = ids.term_uuid(category("homecare"))

    assert _names(api("/services", taxonomy_term_id=homecare)) == [
        "Morning calls",
        "Evening sitting",
    ]
    assert api("/service_at_locations", taxonomy_term_id=homecare)["total_items"] == 2
    assert api("/services", taxonomy_term_id=OTHER_UUID)["total_items"] == 0
    # Our taxonomy: services with any term of it (not the uncategorised one).
    assert api("/services", taxonomy_id=TAXONOMY_ID)["total_items"] == 3
    assert api("/services", taxonomy_id=OTHER_UUID)["total_items"] == 0
    both = api("/services", taxonomy_term_id=homecare, text="evening")
    assert _names(both) == ["Evening sitting"]


def test_organization(mixed: dict[str, Listing], api: Callable[..., Any]) -> None:
    therapy = ids.row_uuid("organization", mixed["physio"].provider_id)
    service_id = ids.row_uuid("service", mixed["physio"].id)

    assert _names(api("/services", organization_id=therapy)) == ["Physio at home", "Advice line"]
    assert api("/service_at_locations", organization_id=therapy)["total_items"] == 2
    # A well-formed id that is not an organization's finds nothing.
    assert api("/services", organization_id=service_id)["total_items"] == 0
    assert api("/services", organization_id=OTHER_UUID)["total_items"] == 0


def test_organizations_list_and_search(mixed: dict[str, Listing], api: Callable[..., Any]) -> None:
    assert _names(api("/organizations")) == ["Moorside", "Pennine Therapy Partnership"]
    assert _names(api("/organizations", text="moorside care")) == ["Moorside"]
    assert _names(api("/organizations", search="therapy")) == ["Pennine Therapy Partnership"]
    second = api("/organizations", per_page=1, page=2)
    assert (second["total_pages"], second["size"], _names(second)) == (
        2,
        1,
        ["Pennine Therapy Partnership"],
    )


def test_modified_after(mixed: dict[str, Listing], api: Callable[..., Any]) -> None:
    old = datetime(2025, 1, 1, 12, tzinfo=UTC)
    for listing in mixed.values():
        listing.updated_at = old
        listing.provider.updated_at = old
    db.session.commit()
    mixed["physio"].updated_at = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    db.session.commit()

    assert _names(api("/services", modified_after="2025-02-01")) == ["Physio at home"]
    assert _names(api("/services", modified_after="2025-03-01T09:30:00Z")) == ["Physio at home"]
    assert _names(api("/services", modified_after="2025-03-01T09:30:01Z")) == []
    # 10:30 in summer time is 09:30 UTC; a "+" left unencoded in a URL arrives as a space.
    assert _names(api("/services", modified_after="2025-03-01T10:30:00+01:00")) == [
        "Physio at home"
    ]
    assert api("/services?modified_after=2025-03-01T10:30:00+01:00")["total_items"] == 1
    assert api("/services", modified_after="2024-12-31")["total_items"] == 4
    # A change to the provider counts as a change to its services.
    mixed["homecare"].provider.updated_at = datetime(2025, 4, 1, tzinfo=UTC)
    db.session.commit()
    assert _names(api("/services", modified_after="2025-03-15")) == [
        "Morning calls",
        "Evening sitting",
    ]
    detail = api(f"/services/{ids.row_uuid('service', mixed['homecare'].id)}")
    assert detail["last_modified"] == "2025-04-01T00:00:00.000Z"


def test_a_change_of_times_or_days_off_is_a_change_to_the_service(
    mixed: dict[str, Listing], api: Callable[..., Any]
) -> None:
    old = datetime(2025, 1, 1, 12, tzinfo=UTC)
    for listing in mixed.values():
        listing.updated_at = old
        listing.provider.updated_at = old
    db.session.commit()
    assert api("/services", modified_after="2025-02-01")["total_items"] == 0

    physio = mixed["physio"]
    physio.availability.append(AvailabilityRule(weekday=2, start_time=time(9), end_time=time(12)))
    db.session.commit()
    assert _names(api("/services", modified_after="2025-02-01")) == ["Physio at home"]

    for listing in mixed.values():
        listing.updated_at = old
    db.session.commit()
    physio.availability[0].end_time = time(13)
    db.session.commit()
    assert _names(api("/services", modified_after="2025-02-01")) == ["Physio at home"]

    for listing in mixed.values():
        listing.updated_at = old
    db.session.commit()
    db.session.delete(physio.availability[0])
    db.session.add(
        AvailabilityException(
            listing_id=mixed["homecare"].id, starts_on=date(2025, 8, 1), ends_on=date(2025, 8, 2)
        )
    )
    db.session.commit()
    assert sorted(_names(api("/services", modified_after="2025-02-01"))) == sorted(
        ["Physio at home", mixed["homecare"].title]
    )


def test_day_and_times(mixed: dict[str, Listing], api: Callable[..., Any]) -> None:
    mixed["homecare"].availability = [
        AvailabilityRule(weekday=0, start_time=time(7), end_time=time(10)),
    ]
    mixed["dementia"].availability = [
        AvailabilityRule(weekday=0, start_time=time(18), end_time=time(22)),
        AvailabilityRule(weekday=5, start_time=time(18), end_time=time(22)),
    ]
    db.session.commit()

    assert _names(api("/services", day="MO")) == ["Morning calls", "Evening sitting"]
    assert _names(api("/services", day="saturday")) == ["Evening sitting"]
    assert _names(api("/services", day="SU")) == []
    assert _names(api("/services", day="MO", start_time="17:00")) == ["Evening sitting"]
    assert _names(api("/services", day="MO", end_time="12:00")) == ["Morning calls"]
    assert _names(api("/services", start_time="07:00", end_time="10:00")) == ["Morning calls"]


# Bad values


@pytest.mark.parametrize(
    ("path", "query", "parameter"),
    [
        ("/services", {"page": "0"}, "page"),
        ("/services", {"page": "two"}, "page"),
        ("/services", {"page": "-1"}, "page"),
        ("/services", {"per_page": "0"}, "per_page"),
        ("/services", {"per_page": "201"}, "per_page"),
        ("/services", {"per_page": "1.5"}, "per_page"),
        ("/services", {"text": "care " * 41}, "text"),
        ("/services", {"text": " ".join(f"w{i}" for i in range(11))}, "text"),
        ("/services", {"taxonomy_term_id": "homecare"}, "taxonomy_term_id"),
        ("/services", {"taxonomy_id": "1"}, "taxonomy_id"),
        ("/services", {"organization_id": "moorside"}, "organization_id"),
        ("/services", {"modified_after": "yesterday"}, "modified_after"),
        ("/services", {"modified_after": "2025-13-01"}, "modified_after"),
        ("/services", {"day": "Funday"}, "day"),
        ("/services", {"start_time": "9am"}, "start_time"),
        ("/services", {"end_time": "25:00"}, "end_time"),
        ("/services", {"full": "perhaps"}, "full"),
        ("/services", {"minimum_age": "eighteen"}, "minimum_age"),
        ("/services", {"minimum_age": "-1"}, "minimum_age"),
        ("/services", {"maximum_age": "inf"}, "maximum_age"),
        ("/service_at_locations", {"maximum_age": "151"}, "maximum_age"),
        ("/services", {"minimal": "some"}, "minimal"),
        ("/services", {"format": "ndjson"}, "format"),
        ("/service_at_locations", {"postcode": "not a postcode"}, "postcode"),
        ("/service_at_locations", {"postcode": "ZZ99 9ZZ"}, "postcode"),
        ("/service_at_locations", {"postcode": "OL1", "proximity": "-5"}, "proximity"),
        ("/service_at_locations", {"postcode": "OL1", "proximity": "0"}, "proximity"),
        ("/service_at_locations", {"postcode": "OL1", "proximity": "far"}, "proximity"),
        ("/service_at_locations", {"postcode": "OL1", "proximity": "nan"}, "proximity"),
        ("/service_at_locations", {"postcode": "OL1", "proximity": "1e9"}, "proximity"),
        ("/service_at_locations", {"proximity": "1000"}, "proximity"),
        ("/service_at_locations", {"page": "0"}, "page"),
        ("/organizations", {"per_page": "1000"}, "per_page"),
        ("/organizations", {"format": "csv"}, "format"),
        ("/taxonomy_terms", {"parent_id": "top"}, "parent_id"),
        ("/taxonomy_terms", {"taxonomy_id": "care"}, "taxonomy_id"),
        ("/taxonomy_terms", {"top_only": "maybe"}, "top_only"),
        ("/taxonomies", {"page": "x"}, "page"),
        ("/organizations/0bc248fa-dc27-4650-9ba4-8f1a24ef16a2", {"full_service": "y"},
         "full_service"),
    ],
)  # fmt: skip
def test_bad_values_are_a_400_that_says_which(
    api: Callable[..., Any], path: str, query: dict[str, str], parameter: str
) -> None:
    body = api(path, 400, **query)
    assert body["parameter"] == parameter
    assert parameter in body["error"]


def test_messages_say_what_to_send(api: Callable[..., Any]) -> None:
    assert api("/services", 400, per_page="500")["error"] == (
        "per_page must be a whole number from 1 to 200"
    )
    assert "UUID" in api("/services", 400, taxonomy_term_id="homecare")["error"]
    assert api("/services", 400, minimum_age="old")["error"] == (
        "minimum_age must be an age in years from 0 to 150, like 18"
    )
    assert "ZZ99 9ZZ" in api("/service_at_locations", 400, postcode="zz99 9zz")["error"]
    assert "needs a postcode" in api("/service_at_locations", 400, proximity="10")["error"]


def test_unknown_ids_and_paths_are_json_404s(api: Callable[..., Any]) -> None:
    for path in (
        f"/services/{OTHER_UUID}",
        "/services/12",
        f"/service_at_locations/{OTHER_UUID}",
        f"/organizations/{OTHER_UUID}",
        f"/taxonomies/{OTHER_UUID}",
        f"/taxonomy_terms/{OTHER_UUID}",
        "/taxonomy_terms/not-an-id",
        "/locations",
        "/services/a/b",
    ):
        assert api(path, 404)["error"]


# Ages


def _ages(api: Callable[..., Any], path: str = "/services", **query: object) -> list[str]:
    items = api(path, **query)["contents"]
    return sorted(item["service"]["name"] if "service" in item else item["name"] for item in items)


def test_a_service_says_whom_it_serves_by_age(
    make_listing: Callable[..., Listing], api: Callable[..., Any]
) -> None:
    listing = make_listing(title="Youth club", age_groups=["young_people", "children"])
    make_listing(title="Home help", age_groups=["adults", "older_people"])
    make_listing(title="Gardening")

    found = {item["name"]: item for item in api("/services")["contents"]}
    assert found["Youth club"]["minimum_age"] == 0
    assert found["Youth club"]["maximum_age"] == 17
    assert found["Youth club"]["eligibility_description"] == (
        "For children (under 13), young people (13 to 17)"
    )
    assert found["Home help"]["minimum_age"] == 18
    assert "maximum_age" not in found["Home help"]  # older people: no upper limit
    assert not {"minimum_age", "maximum_age", "eligibility_description"} & set(found["Gardening"])
    full = api(f"/services/{ids.row_uuid('service', listing.id)}")
    assert (full["minimum_age"], full["maximum_age"]) == (0, 17)


def test_minimum_and_maximum_age_compare_with_the_ages_a_service_covers(
    make_listing: Callable[..., Listing], api: Callable[..., Any]
) -> None:
    make_listing(title="Children", age_groups=["children"])  # 0 to 12
    make_listing(title="Teens", age_groups=["young_people"])  # 13 to 17
    make_listing(title="Adults", age_groups=["adults"])  # 18 to 64
    make_listing(title="Grown-ups", age_groups=["adults", "older_people"])  # 18 and over
    make_listing(title="Unsaid")

    assert _ages(api, minimum_age=18) == ["Adults", "Grown-ups"]
    assert _ages(api, minimum_age=13) == ["Adults", "Grown-ups", "Teens"]
    assert _ages(api, minimum_age=12.5) == ["Adults", "Grown-ups", "Teens"]
    assert _ages(api, minimum_age=0) == ["Adults", "Children", "Grown-ups", "Teens"]
    assert _ages(api, maximum_age=17) == ["Children", "Teens"]
    assert _ages(api, maximum_age=64) == ["Adults", "Children", "Teens"]
    assert _ages(api, minimum_age=13, maximum_age=64) == ["Adults", "Teens"]
    assert _ages(api, minimum_age=65) == []
    assert _ages(api, "/service_at_locations", maximum_age=12) == ["Children"]
    assert api("/services", minimum_age=18)["total_items"] == 2


def test_minimal_lists_every_service_id_and_when_it_changed(
    make_listing: Callable[..., Listing], api: Callable[..., Any]
) -> None:
    listings = [make_listing(title=f"Support {n}", age_groups=["adults"]) for n in range(3)]
    make_listing(title="For children", age_groups=["children"])

    body = api("/services", minimal="true", per_page=1, minimum_age=18)
    assert [item["id"] for item in body] == [ids.row_uuid("service", x.id) for x in listings]
    assert all(set(item) == {"id", "last_modified"} for item in body)
    assert body[0]["last_modified"].endswith("Z")
    assert "contents" in api("/services", minimal="false")
