"""The one function that turns a listing into the document both engines index.

A document is a flat dict of plain values. Only listings a person may see get one: published,
from a provider that is not suspended or rejected, and verified where its commissioning body
requires verification (a provider with no commissioning body must be verified).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from marketplace.directory.models import (
    DeliveryMode,
    Listing,
    Provider,
    sorted_age_groups,
)
from marketplace.directory.services import listing_is_published
from marketplace.search.geo import Point, PostcodeError, locate
from marketplace.search.query import availability_slot

# Bump when the document or the index schema/mapping changes: `flask search reindex` then
# builds a new index beside the old one and swaps it in.
SCHEMA_VERSION = 6

Document = dict[str, Any]


def is_searchable(listing: Listing) -> bool:
    """Only what the public may find is indexed (the directory's one rule)."""
    return listing_is_published(listing)


def build_document(listing: Listing) -> Document | None:
    """The search document for a listing, or None when it must not be found."""
    if not is_searchable(listing):
        return None
    provider = listing.provider
    point = listing_point(listing)
    categories = listing.categories
    return {
        "listing_id": listing.id,
        "provider_id": provider.id,
        "title": listing.title,
        "description": listing.description,
        "provider_name": provider.display_name,
        "category_names": " ".join(c.name for c in categories),
        "specialisms": " ".join([*provider.cqc_specialisms, *provider.cqc_service_types]),
        "categories": [c.slug for c in categories],
        "kind": provider.kind.value,
        "price_pence": listing.price_pence,
        "price_unit": listing.price_unit.value,
        "delivery_mode": listing.delivery_mode.value,
        "latitude": point.latitude if point else None,
        "longitude": point.longitude if point else None,
        "travel_radius_miles": _reach(listing),
        "languages": sorted({language.strip().lower() for language in listing.languages or []}),
        "gender": listing.worker_gender.value if listing.worker_gender else None,
        "age_groups": sorted_age_groups(listing.age_groups),
        "accessible": bool((listing.accessibility_notes or "").strip()),
        "cqc_rating": provider.cqc_rating,
        "verified": provider.is_verified,
        "slots": availability_slots(listing),
    }


def listing_point(listing: Listing) -> Point | None:
    """Where the service is (or starts from): the listing's point, its postcode, the provider's."""
    if listing.latitude is not None and listing.longitude is not None:
        return Point(listing.latitude, listing.longitude)
    provider: Provider = listing.provider
    for postcode in (listing.postcode, provider.postcode):
        if postcode:
            try:
                return locate(postcode).point
            except PostcodeError:
                continue
    if provider.latitude is not None and provider.longitude is not None:
        return Point(provider.latitude, provider.longitude)
    return None


def _reach(listing: Listing) -> float | None:
    """How far an at-home service travels; an at-home service that does not say reaches 0 miles."""
    if listing.delivery_mode != DeliveryMode.AT_HOME:
        return None
    return float(listing.travel_radius_miles or 0)


def availability_slots(listing: Listing) -> list[str]:
    """Tokens for each weekday ('d0') and each half hour ('d0-0930') the listing can start."""
    slots: set[str] = set()
    for rule in listing.availability:
        slots.add(f"d{rule.weekday}")
        minutes = rule.start_time.hour * 60 + rule.start_time.minute
        end = rule.end_time.hour * 60 + rule.end_time.minute
        minutes -= minutes % 30
        while minutes < end:
            slot = availability_slot(rule.weekday, time(minutes // 60, minutes % 60))
            slots.add(slot or "")
            minutes += 30
    return sorted(slots)
