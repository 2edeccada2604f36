"""What a person finds, run once against tantivy and once against a real OpenSearch node."""

from __future__ import annotations

import math
from datetime import time

from marketplace.directory.models import (
    AvailabilityRule,
    DeliveryMode,
    ListingStatus,
    ProviderKind,
    VerificationStatus,
    WorkerGender,
)
from marketplace.extensions import db
from marketplace.search.geo import EARTH_RADIUS_MILES, locate
from marketplace.search.models import SearchEvent


def titles(client, **params):
    response = client.get("/search.json", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [hit["title"] for hit in response.get_json()["results"]]


def test_a_typo_still_finds_the_word_and_ranks_it(engine, client, make_listing, drain):
    make_listing(title="Dementia companionship", description="Company for people with dementia.")
    make_listing(title="Gardening help", description="Weeding and mowing.")
    drain()
    assert titles(client, q="demensia") == ["Dementia companionship"]
    assert titles(client, q="companionshp") == ["Dementia companionship"]  # 2 edits, 13 letters


def test_short_words_must_be_spelt_right(engine, client, make_listing, drain):
    make_listing(title="Help with a cat")
    drain()
    assert titles(client, q="cot") == []


def test_care_words_find_their_synonyms(engine, client, make_listing, drain):
    make_listing(title="Personal assistant for days out")
    make_listing(title="Occupational therapy assessment")
    make_listing(title="Short break in the Peak District")
    drain()
    assert titles(client, q="PA") == ["Personal assistant for days out"]
    assert titles(client, q="OT") == ["Occupational therapy assessment"]
    assert titles(client, q="respite") == ["Short break in the Peak District"]


def test_a_care_phrase_needs_its_words_together_in_order_in_one_field(
    engine, client, make_listing, drain
):
    """ "care at home" (three words) and "home care" (two) find their words next to each other,
    in that order, in one field: never the same words apart, reversed or split between the
    title and the description."""
    make_listing(title="Care at home for older people", description="Visits.")
    make_listing(title="Home visits", description="Care and company.")
    make_listing(title="Care provided at your home", description="Visits.")
    make_listing(title="Care home", description="Rooms with a garden.")
    make_listing(title="Gardening help", description="Home care for your roses.")
    drain()
    assert titles(client, q="care at home") == [
        "Care at home for older people", "Gardening help"]  # fmt: skip
    assert titles(client, q="care home") == ["Care home"]


def test_at_home_services_are_found_only_within_the_miles_they_travel(
    engine, client, make_listing, drain
):
    make_listing(title="Visits near Oldham", postcode="OL1 1AA", travel_radius_miles=3)
    make_listing(title="Day centre in Oldham", delivery_mode=DeliveryMode.VENUE, postcode="OL1 1AA")
    drain()
    # Rochdale (OL16) is some 5–6 miles from Oldham centre: in a 10 mile radius, beyond 3 miles.
    assert titles(client, postcode="OL16 1AA", radius="10") == ["Day centre in Oldham"]
    assert sorted(titles(client, postcode="OL1", radius="10")) == [
        "Day centre in Oldham",
        "Visits near Oldham",
    ]


def test_filters_narrow_the_results(engine, client, make_listing, make_provider, drain):
    therapist = make_provider(kind=ProviderKind.THERAPIST)
    make_listing(title="Cheap help", price_pence=1200, languages=["Urdu"])
    make_listing(
        title="Therapy at home",
        provider=therapist,
        price_pence=4500,
        worker_gender=WorkerGender.FEMALE,
        accessibility_notes="Step-free access",
    )
    drain()
    assert titles(client, max_price="15") == ["Cheap help"]
    assert titles(client, kind="therapist") == ["Therapy at home"]
    assert titles(client, language="urdu") == ["Cheap help"]
    assert titles(client, gender="female") == ["Therapy at home"]
    assert titles(client, accessible="yes") == ["Therapy at home"]


def test_availability_on_a_day_and_time(engine, client, make_listing, drain):
    listing = make_listing(title="Mornings")
    listing.availability = [AvailabilityRule(weekday=0, start_time=time(8), end_time=time(12))]
    db.session.commit()
    drain()
    assert titles(client, day="monday", time="09:30") == ["Mornings"]
    assert titles(client, day="monday", time="13:00") == []
    assert titles(client, day="tuesday") == []


def test_sort_by_price_and_distance_and_facets(engine, client, make_listing, category, drain):
    homecare = category("homecare")
    make_listing(title="Far and cheap", postcode="OL16 1AA", price_pence=1000,
                 travel_radius_miles=20, categories=[homecare])  # fmt: skip
    make_listing(title="Near and dear", postcode="OL1 1AA", price_pence=3000)
    drain()
    assert titles(client, postcode="OL1 1AA", sort="price") == ["Far and cheap", "Near and dear"]
    assert titles(client, postcode="OL1 1AA", sort="distance") == ["Near and dear", "Far and cheap"]
    body = client.get("/search.json", query_string={"postcode": "OL1 1AA"}).get_json()
    assert body["total"] == 2
    assert body["facets"]["category"] == {"homecare": 1}
    assert body["facets"]["price_band"] == {"under-15": 1, "25-40": 1}
    assert body["results"][0]["distance_miles"] is not None


def test_hidden_listings_never_appear(
    engine, client, make_listing, make_provider, make_tenant, drain
):
    trusting = make_tenant(requires_provider_verification=False)
    make_listing(title="Draft support", status=ListingStatus.DRAFT)
    make_listing(title="Suspended support", status=ListingStatus.SUSPENDED)
    unverified = make_provider(verification_status=VerificationStatus.PENDING)
    make_listing(title="Unchecked support", provider=unverified)
    allowed = make_provider(verification_status=VerificationStatus.PENDING, tenant=trusting)
    make_listing(title="Allowed support", provider=allowed)
    drain()
    assert titles(client, q="support") == ["Allowed support"]
    assert titles(client, q="support", verified="yes") == []


def test_a_change_reaches_search_after_the_outbox_drains(engine, client, make_listing, drain):
    listing = make_listing(title="Swimming")
    drain()
    listing.title = "Walking"
    db.session.commit()
    assert titles(client, q="swimming") == ["Swimming"]  # not yet drained
    drain()
    assert titles(client, q="walking") == ["Walking"]
    listing.status = ListingStatus.SUSPENDED
    db.session.commit()
    drain()
    assert titles(client, q="walking") == []


def test_a_reindex_swaps_in_a_new_index_with_what_the_database_holds(
    engine, app, client, make_listing, drain
):
    make_listing(title="Swimming")
    drain()
    make_listing(title="Walking")  # queued, not yet sent
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 searchable listing(s) of 2" in result.output
    assert engine.count() == 2
    assert titles(client, q="walking") == ["Walking"]
    assert titles(client, q="swimming") == ["Swimming"]


def test_no_results_offers_a_wider_search_and_the_nearest_beyond(
    engine, client, make_listing, drain
):
    make_listing(title="Venue far away", delivery_mode=DeliveryMode.VENUE, postcode="M1 1AE")
    drain()
    page = client.get("/search", query_string={"postcode": "OL1 1AA", "radius": "1"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "No results" in text and "Search within 2 miles" in text
    assert "Nearest matches further away" in text and "Venue far away" in text


def test_every_search_is_recorded_without_personal_data(engine, client, make_listing, drain):
    make_listing(title="Dementia support")
    drain()
    client.get("/search", query_string={"q": "Dementia!", "postcode": "ol1 1aa"})
    event = db.session.scalars(db.select(SearchEvent)).one()
    assert (event.outcode, event.text, event.result_count) == ("OL1", "dementia", 1)
    assert "OL1 1AA" not in str(event.filters) and event.tenant_id is None


def test_highlights_mark_the_matched_words(engine, client, make_listing, drain):
    make_listing(title="Dementia <b>café</b>")
    drain()
    page = client.get("/search", query_string={"q": "dementia"}).get_data(as_text=True)
    assert "<mark>Dementia</mark> &lt;b&gt;" in page


def test_a_word_found_despite_a_typo_is_marked_as_written(engine, client, make_listing, drain):
    make_listing(title="Dementia café", description="Weekly dementia support, not memory clinic")
    drain()
    page = client.get("/search", query_string={"q": "demensia"}).get_data(as_text=True)
    assert "<mark>Dementia</mark> café" in page
    assert "Weekly <mark>dementia</mark> support" in page and "<mark>clinic</mark>" not in page


def _north_of_oldham(miles: float) -> dict[str, float]:
    """A point due north of OL1 1AA by `miles` (along a meridian: miles / earth radius radians)."""
    point = locate("OL1 1AA").point
    return {
        "latitude": point.latitude + math.degrees(miles / EARTH_RADIUS_MILES),
        "longitude": point.longitude,
    }


def test_the_radius_keeps_a_venue_just_inside_and_drops_one_just_outside(
    engine, client, make_listing, drain
):
    make_listing(title="Just inside", delivery_mode=DeliveryMode.VENUE, **_north_of_oldham(4.98))
    make_listing(title="Just outside", delivery_mode=DeliveryMode.VENUE, **_north_of_oldham(5.02))
    make_listing(title="Well inside", delivery_mode=DeliveryMode.VENUE, **_north_of_oldham(1))
    drain()
    body = client.get("/search.json", query_string={"postcode": "OL1 1AA", "radius": "5"})
    found = {hit["title"]: hit["distance_miles"] for hit in body.get_json()["results"]}
    assert found == {"Just inside": 4.98, "Well inside": 1.0}
    assert body.get_json()["total"] == 2


def test_at_home_reach_just_inside_and_just_outside_the_miles_it_travels(
    engine, client, make_listing, drain
):
    make_listing(title="Reaches", travel_radius_miles=3, **_north_of_oldham(2.98))
    make_listing(title="Falls short", travel_radius_miles=3, **_north_of_oldham(3.02))
    make_listing(title="Travels far", travel_radius_miles=15, **_north_of_oldham(8))
    drain()
    body = client.get("/search.json", query_string={"postcode": "OL1 1AA", "radius": "10"})
    assert sorted(hit["title"] for hit in body.get_json()["results"]) == ["Reaches", "Travels far"]
    assert body.get_json()["facets"]["kind"] == {"care_agency": 2}
    # With no distance limit (the nearest beyond), reach still holds.
    wider = client.get("/search", query_string={"postcode": "OL1 1AA", "radius": "1"})
    text = wider.get_data(as_text=True)
    assert "Reaches" in text and "Falls short" not in text


def test_the_persons_age_group_finds_only_listings_that_serve_it(
    engine, client, make_listing, drain
):
    make_listing(title="After-school club", age_groups=["children", "young_people"])
    make_listing(title="Day care for older people", age_groups=["older_people"])
    make_listing(title="Support at home", age_groups=["adults", "older_people"])
    make_listing(title="Gardening", age_groups=[])  # says nothing: never matches an age filter
    drain()
    assert titles(client, age_group="children") == ["After-school club"]
    assert sorted(titles(client, age_group="older_people")) == [
        "Day care for older people",
        "Support at home",
    ]
    assert titles(client, age_group="adults") == ["Support at home"]
    assert len(titles(client)) == 4
    refused = client.get("/search.json", query_string={"age_group": "toddlers"})
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "age_group"
