"""Real providers from CQC's public register (public fields only; never a person's name), each
with one published demo listing whose price is invented."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from datetime import time
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import Tenant
from marketplace.demo.report import DemoReport
from marketplace.directory.cqc import age_groups_from_bands
from marketplace.directory.models import (
    AvailabilityRule,
    DeliveryMode,
    Listing,
    ListingStatus,
    PriceUnit,
    Provider,
    ProviderKind,
    VerificationStatus,
)
from marketplace.directory.taxonomy import categories_by_slug, slugs_for_cqc
from marketplace.extensions import db
from marketplace.paths import PROJECT_ROOT

CQC_FILE = PROJECT_ROOT / "data" / "providers" / "cqc_api_locations_oldham_2025-08.json"
DEMO_NOTE = (
    "Demo listing: made from this provider's public CQC registration to show how the service "
    "works. The price is invented and the provider has not joined this service."
)


def _cqc_locations() -> list[dict[str, Any]]:
    with CQC_FILE.open(encoding="utf-8") as handle:
        locations: list[dict[str, Any]] = json.load(handle)
    return [
        loc
        for loc in locations
        if loc.get("registrationStatus") == "Registered"
        and loc.get("type") == "Social Care Org"
        and loc.get("postalCode")
        and loc.get("onspdLatitude") is not None
        and loc.get("onspdLongitude") is not None
    ]


def add_cqc_providers(
    council: Tenant, report: DemoReport, locations: Iterable[dict[str, Any]] | None = None
) -> None:
    """Make a demo entry of the council, not on this service yet (shown, never bookable, until
    the provider claims it), with one published listing, for each registered social care
    location in the CQC file (or in `locations`, CQC API answers) that is not yet loaded
    (added, not flushed)."""
    known = set(db.session.scalars(select(Provider.cqc_location_id)))
    for loc in _cqc_locations() if locations is None else locations:
        if loc["locationId"] in known:
            continue
        provider = _provider_from_cqc(loc, council)
        provider.listings = [_listing_from_cqc(loc, provider)]
        db.session.add(provider)
        known.add(loc["locationId"])
        report.count("CQC providers")


def _provider_from_cqc(loc: dict[str, Any], council: Tenant) -> Provider:
    address = ", ".join(
        part for part in (loc.get("postalAddressLine1"), loc.get("postalAddressLine2")) if part
    )
    return Provider(
        kind=ProviderKind.CARE_AGENCY,
        legal_name=loc["name"].strip(),
        description="Registered with the Care Quality Commission (CQC).",
        contact_phone=loc.get("mainPhoneNumber") or None,
        website=loc.get("website") or None,
        address_line=address or None,
        town=loc.get("postalAddressTownCity") or None,
        postcode=loc["postalCode"].strip().upper(),
        latitude=float(loc["onspdLatitude"]),
        longitude=float(loc["onspdLongitude"]),
        local_authority=loc.get("localAuthority"),
        cqc_location_id=loc["locationId"],
        cqc_provider_id=loc.get("providerId"),
        cqc_rating=((loc.get("currentRatings") or {}).get("overall") or {}).get("rating"),
        cqc_service_types=[t["name"] for t in loc.get("gacServiceTypes", [])],
        cqc_specialisms=[s["name"] for s in loc.get("specialisms", [])],
        verification_status=VerificationStatus.NOT_JOINED,
        tenant_id=council.id,
        is_demo=True,
    )


def _demo_price(key: str, low_pence: int, high_pence: int) -> int:
    """A price that is the same on every run for the same key, rounded to 10p."""
    rng = random.Random(f"demo-price:{key}")
    return rng.randrange(low_pence // 10, high_pence // 10 + 1) * 10


def _listing_from_cqc(loc: dict[str, Any], provider: Provider) -> Listing:
    types = provider.cqc_service_types
    care_home = any(t in ("Residential homes", "Nursing homes") for t in types)
    listing = Listing(
        provider=provider,
        postcode=provider.postcode,
        latitude=provider.latitude,
        longitude=provider.longitude,
        status=ListingStatus.PUBLISHED,
        cancellation_notice_hours=48 if care_home else 24,
        cancellation_charge_bps=5000 if care_home else 10_000,
        works_bank_holidays=True,
        languages=["English"],
        age_groups=[group.value for group in age_groups_from_bands(provider.cqc_specialisms)],
        is_demo=True,
    )
    if care_home:
        listing.title = "Respite stays (per night)"
        listing.description = (
            "A short stay in our care home so you, and the people who care for you, get a break. "
            f"Meals and personal care included.\n\n{DEMO_NOTE}"
        )
        listing.price_pence = _demo_price(loc["locationId"], 12_000, 22_000)
        listing.price_unit = PriceUnit.SESSION
        listing.delivery_mode = DeliveryMode.VENUE
        listing.venue_address = ", ".join(
            p for p in (provider.address_line, provider.town, provider.postcode) if p
        )
        slugs = ["respite", *slugs_for_cqc(types, provider.cqc_specialisms)]
    else:
        supported = "Homecare agencies" not in types
        listing.title = "Supported living support" if supported else "Homecare visits"
        listing.description = (
            "Care workers help with washing, dressing, meals, medicines and getting out, "
            f"at times that suit you.\n\n{DEMO_NOTE}"
        )
        listing.price_pence = _demo_price(loc["locationId"], 2_100, 3_000)
        listing.price_unit = PriceUnit.HOUR
        listing.delivery_mode = DeliveryMode.AT_HOME
        listing.travel_radius_miles = 8
        listing.availability = [
            AvailabilityRule(weekday=day, start_time=time(7), end_time=time(22)) for day in range(7)
        ]
        slugs = slugs_for_cqc(types, provider.cqc_specialisms) or ["homecare"]
    listing.categories = categories_by_slug(slugs)
    return listing
