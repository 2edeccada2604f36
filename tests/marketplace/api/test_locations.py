"""/service_at_locations with `postcode` and `proximity`, distances worked out by hand.

OL1 1BE's centroid (data/geo) is 53.53960, -2.11454. Along a meridian the haversine distance is
R × Δlatitude, so a point `n` km due north is n × KM_NORTH degrees of latitude further on, with R
the earth radius search uses (3958.8 miles).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from marketplace.api import ids
from marketplace.directory.models import DeliveryMode, Listing, Provider, ProviderKind

HERE = (53.53960, -2.11454)  # OL1 1BE
KM_NORTH = math.degrees(1000 / (3958.8 * 1609.344))  # 0.0089932 degrees


def _north(km: float) -> dict[str, float]:
    return {"latitude": HERE[0] + km * KM_NORTH, "longitude": HERE[1]}


@pytest.fixture()
def placed(
    make_provider: Callable[..., Provider], make_listing: Callable[..., Listing]
) -> dict[str, Listing]:
    agency = make_provider(legal_name="Moorside Care Ltd")
    return {
        # Comes to homes up to 10 miles from a base 1 km north.
        "one_km": make_listing(provider=agency, title="1 km", **_north(1)),
        # A venue 3 km north.
        "three_km": make_listing(
            provider=agency,
            title="3 km",
            delivery_mode=DeliveryMode.VENUE,
            venue_address="Hall",
            travel_radius_miles=None,
            **_north(3),
        ),
        # Online: no place at all.
        "online": make_listing(
            provider=agency,
            title="online",
            delivery_mode=DeliveryMode.ONLINE,
            postcode=None,
            travel_radius_miles=None,
        ),
        # 1 km away, but it only serves homes within 0 miles of its base.
        "no_reach": make_listing(
            provider=agency, title="no reach", travel_radius_miles=0, **_north(1)
        ),
    }


def _services(body: dict[str, Any]) -> list[str]:
    return [item["service"]["name"] for item in body["contents"]]


def test_a_listing_1_km_away_is_in_at_2000_metres_and_out_at_500(
    placed: dict[str, Listing], api: Callable[..., Any]
) -> None:
    assert _services(api("/service_at_locations", postcode="OL1 1BE", proximity="2000")) == ["1 km"]
    assert _services(api("/service_at_locations", postcode="OL1 1BE", proximity="500")) == []
    assert _services(api("/service_at_locations", postcode="ol11be", proximity="1010")) == ["1 km"]
    assert _services(api("/service_at_locations", postcode="OL1 1BE", proximity="990")) == []


def test_nearest_first_within_the_proximity(
    placed: dict[str, Listing], api: Callable[..., Any]
) -> None:
    body = api("/service_at_locations", postcode="OL1 1BE", proximity="5000")

    assert _services(body) == ["1 km", "3 km"]
    assert body["total_items"] == 2


def test_a_postcode_alone_keeps_the_services_that_reach_it_nearest_first_online_last(
    placed: dict[str, Listing], api: Callable[..., Any]
) -> None:
    body = api("/service_at_locations", postcode="OL1 1BE")

    assert _services(body) == ["1 km", "3 km", "online"]
    # Without a postcode: every one, in the order they were listed.
    assert _services(api("/service_at_locations")) == ["1 km", "3 km", "online", "no reach"]


def test_pages_of_a_distance_search(placed: dict[str, Listing], api: Callable[..., Any]) -> None:
    # 3 results, 2 a page: [1 km, 3 km], [online].
    first = api("/service_at_locations", postcode="OL1 1BE", per_page=2)
    second = api("/service_at_locations", postcode="OL1 1BE", per_page=2, page=2)

    assert (first["total_items"], first["total_pages"], first["size"]) == (3, 2, 2)
    assert _services(first) == ["1 km", "3 km"]
    assert (second["page_number"], second["size"], second["last_page"]) == (2, 1, True)
    assert _services(second) == ["online"]


def test_filters_combine_with_the_postcode(
    placed: dict[str, Listing], api: Callable[..., Any]
) -> None:
    assert _services(api("/service_at_locations", postcode="OL1 1BE", text="3")) == ["3 km"]


def test_an_outcode_measures_from_its_centre(
    placed: dict[str, Listing], api: Callable[..., Any]
) -> None:
    # OL1's centre is 53.546790, -2.106001: 0.00719° north and 0.008539° east of OL1 1BE.
    # The 1 km listing (53.548593, -2.11454) is 200 m north and 564 m west of it: ~599 m.
    assert _services(api("/service_at_locations", postcode="OL1", proximity="650")) == ["1 km"]
    assert _services(api("/service_at_locations", postcode="OL1", proximity="550")) == []


def test_a_sole_trader_is_measured_from_their_postcode_area(
    make_provider: Callable[..., Provider],
    make_listing: Callable[..., Listing],
    api: Callable[..., Any],
) -> None:
    """A personal assistant's own point is never used: their listing is placed at the centre of
    OL4 (53.542351, -2.075770), ~2,580 m from OL1 1BE, even though it records OL1 1BE's point:
    a proximity search cannot find their street."""
    pa = make_provider(kind=ProviderKind.PERSONAL_ASSISTANT, postcode="OL4 1AA")
    make_listing(provider=pa, title="PA", postcode="OL4 1AA", latitude=HERE[0], longitude=HERE[1])

    assert _services(api("/service_at_locations", postcode="OL1 1BE", proximity="500")) == []
    assert _services(api("/service_at_locations", postcode="OL1 1BE", proximity="2500")) == []
    assert _services(api("/service_at_locations", postcode="OL1 1BE", proximity="2700")) == ["PA"]


def test_a_service_at_location_by_id(placed: dict[str, Listing], api: Callable[..., Any]) -> None:
    listing = placed["three_km"]
    body = api(f"/service_at_locations/{ids.row_uuid('service_at_location', listing.id)}")

    assert body["service"]["name"] == "3 km"
    assert body["service_id"] == ids.row_uuid("service", listing.id)
    assert body["location"]["latitude"] == round(HERE[0] + 3 * KM_NORTH, 6)
    assert "service_at_locations" not in body["service"]
    # A service id is not a service_at_location id.
    api(f"/service_at_locations/{ids.row_uuid('service', listing.id)}", 404)
