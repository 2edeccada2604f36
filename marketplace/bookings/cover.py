"""Cover: when a provider cancels, other providers who could do the same sessions, found by the
search engine and ranked by it, and free at those times as far as our bookings show."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from marketplace.bookings import schedule
from marketplace.bookings.models import Booking, Occurrence, OccurrenceState
from marketplace.bookings.services import free_for
from marketplace.directory.models import Listing
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.search import services as search
from marketplace.search.geo import locate
from marketplace.search.interfaces import SearchUnavailable
from marketplace.search.query import Hit, SearchQuery

DEFAULT_REACH_MILES = 10


@dataclass(frozen=True)
class Cover:
    hits: list[Hit]
    available: bool  # False when the search engine could not be asked


def _cancelled_shifts(booking: Booking) -> list[schedule.Shift]:
    return [
        schedule.Shift(o.starts_at, o.ends_at)
        for o in booking.occurrences
        if o.state == OccurrenceState.CANCELLED
    ]


def options(booking: Booking, limit: int = 5) -> Cover:
    """Alternatives for a booking its provider cancelled: the same kind of support, within reach
    of where the cancelled service was, open on the first cancelled session's day and time, and
    not already booked at any cancelled time (for an agency: with a named worker who is not)."""
    shifts = _cancelled_shifts(booking)
    listing = booking.listing
    try:
        place = locate(listing.postcode) if listing.postcode else None
    except DomainError:
        place = None
    first = shifts[0].starts_at.astimezone(schedule.LONDON) if shifts else None
    query = SearchQuery(
        categories=(booking.category.slug,),
        place=place,
        radius_miles=float(listing.travel_radius_miles or DEFAULT_REACH_MILES) if place else None,
        day=first.weekday() if first else None,
        time=first.time().replace(second=0, microsecond=0) if first else None,
        sort="relevance",
        per_page=limit * 4,
    )
    try:
        results = search.search(query)
    except SearchUnavailable:
        return Cover([], available=False)
    hits = []
    for hit in results.hits:
        if hit.provider_id == booking.provider_id:
            continue
        other = db.session.get(Listing, hit.listing_id)
        if other is None or (shifts and not free_for(other.provider_id, shifts, booking.id)):
            continue
        hits.append(hit)
        if len(hits) == limit:
            break
    return Cover(hits, available=True)


def first_cancelled(booking: Booking) -> Occurrence | None:
    return db.session.scalar(
        select(Occurrence)
        .where(Occurrence.booking_id == booking.id, Occurrence.state == OccurrenceState.CANCELLED)
        .order_by(Occurrence.starts_at)
        .limit(1)
    )
