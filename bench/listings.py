"""Generated listings for load benches: copies of the demo's published listings with numbered
titles, on the demo's providers, marked as generated demo data. Only ever for a bench database."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from marketplace.directory.models import Listing, ListingStatus
from marketplace.extensions import db

COPIED = (
    "description",
    "price_pence",
    "price_unit",
    "delivery_mode",
    "postcode",
    "travel_radius_miles",
)


def add_listings(count: int) -> int:
    originals = db.session.scalars(
        select(Listing).where(Listing.status == ListingStatus.PUBLISHED).order_by(Listing.id)
    ).all()
    if not originals:
        raise SystemExit("bench: load the demo first; it has no published listing to copy")
    for n, original in zip(range(1, count + 1), itertools.cycle(originals), strict=False):
        copy = Listing(
            provider=original.provider,
            title=f"{original.title} (generated {n}, demo)",
            status=ListingStatus.PUBLISHED,
            categories=list(original.categories),
            **{field: getattr(original, field) for field in COPIED},
        )
        db.session.add(copy)
        if n % 500 == 0:
            db.session.commit()
    db.session.commit()
    return count
