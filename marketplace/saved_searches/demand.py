"""Saved searches that find nothing: demand no one meets yet, counted without naming anyone.

For the market gap report, by district and kind of support; for a provider's home, how many
people are waiting for what its published listings could offer where they reach. Counts only:
never who, never the words they searched for.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, Text, and_, cast, false, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.conversations.models import ProviderBlock
from marketplace.directory.models import DeliveryMode, Listing, ListingStatus, Provider
from marketplace.directory.services import on_this_service_clause
from marketplace.extensions import db
from marketplace.saved_searches.models import SavedSearch
from marketplace.search.documents import listing_point
from marketplace.search.geo import Point, miles_between
from marketplace.search.query import DEFAULT_RADIUS_MILES

# (kind of support slug or None for none chosen, district or None for none given)
AreaKey = tuple[str | None, str | None]


def waiting_by_area(tenant_id: int, made_before: datetime) -> dict[AreaKey, int]:
    """Saved searches of the tenant's people made before `made_before` that found nothing when
    last run, by (kind of support, district). A search for several kinds counts under each."""
    categories = cast(SavedSearch.categories, Text)
    rows = db.session.execute(
        select(SavedSearch.outcode, categories, func.count())
        .where(
            SavedSearch.tenant_id == tenant_id,
            SavedSearch.result_count == 0,
            SavedSearch.created_at < made_before,
        )
        .group_by(SavedSearch.outcode, categories)
    ).all()
    found: Counter[AreaKey] = Counter()
    for outcode, text, n in rows:
        for slug in _slugs(text) or [None]:
            found[(slug, outcode or None)] += n
    return dict(found)


def _slugs(text: str | None) -> list[str | None]:
    """The kinds of support of a saved search's stored categories (JSON text), sorted."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [*sorted({str(v) for v in value})]


def waiting_total(tenant_id: int, made_before: datetime) -> int:
    """How many of the tenant's saved searches made before `made_before` find nothing."""
    return (
        db.session.scalar(
            select(func.count(SavedSearch.id)).where(
                SavedSearch.tenant_id == tenant_id,
                SavedSearch.result_count == 0,
                SavedSearch.created_at < made_before,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class _Reach:
    categories: frozenset[str]
    point: Point | None
    mode: DeliveryMode
    miles: float


def _reaches(provider: Provider) -> list[_Reach]:
    listings = db.session.scalars(
        select(Listing)
        .join(Provider, Provider.id == Listing.provider_id)
        .where(
            Listing.provider_id == provider.id,
            Listing.status == ListingStatus.PUBLISHED,
            on_this_service_clause(),
        )
        .options(selectinload(Listing.categories), selectinload(Listing.provider))
    ).all()
    return [
        _Reach(
            frozenset(c.slug for c in listing.categories),
            listing_point(listing),
            listing.delivery_mode,
            float(listing.travel_radius_miles or 0),
        )
        for listing in listings
    ]


def _within(reach: _Reach, saved: tuple[float | None, float | None, float | None]) -> bool:
    """Whether a listing could serve a search made from this point (latitude, longitude,
    radius): online anywhere; at home as far as the provider travels; at a venue as far as the
    person said they would go."""
    if reach.mode == DeliveryMode.ONLINE:
        return True
    latitude, longitude, radius = saved
    if latitude is None or longitude is None or reach.point is None:
        return False
    miles = miles_between(reach.point, Point(latitude, longitude))
    if reach.mode == DeliveryMode.AT_HOME:
        return miles <= reach.miles
    return miles <= (radius if radius is not None else DEFAULT_RADIUS_MILES)


# Miles in a degree of latitude, rounded down so the band read is never narrower than the reach.
_MILES_PER_DEGREE = 68.5


def _could_match(reach: _Reach) -> ColumnElement[bool]:
    """The saved searches this listing might serve, narrowed in the database so a provider's
    home reads those, not every search that finds nothing: one of its kinds of support named,
    and (unless it is online) made from within a band of latitude it could reach. `_within`
    then decides exactly."""
    stored = cast(SavedSearch.categories, Text)
    named = or_(
        *(stored.like(f'%"{_escaped(slug)}"%', escape="\\") for slug in sorted(reach.categories))
    )
    if reach.mode == DeliveryMode.ONLINE:
        return named
    if reach.point is None:
        return false()  # placed nowhere, so it reaches no one
    latitude = reach.point.latitude
    if reach.mode == DeliveryMode.AT_HOME:
        band = reach.miles / _MILES_PER_DEGREE
        return and_(named, SavedSearch.latitude.between(latitude - band, latitude + band))
    radius = func.coalesce(SavedSearch.radius_miles, DEFAULT_RADIUS_MILES) / _MILES_PER_DEGREE
    return and_(
        named,
        SavedSearch.latitude >= latitude - radius,
        SavedSearch.latitude <= latitude + radius,
    )


def _escaped(slug: str) -> str:
    return slug.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _blocked_by(provider: Provider) -> Select[tuple[int]]:
    """The holders who have blocked the provider: they are not waiting for it."""
    return select(ProviderBlock.holder_id).where(ProviderBlock.provider_id == provider.id)


def people_waiting_for(provider: Provider) -> int:
    """How many people have a saved search that finds nothing, for a kind of support one of the
    provider's published listings offers, from where that listing reaches. A count of people
    (several searches of one person count once), never who, and never someone who has blocked
    the provider."""
    reaches = [reach for reach in _reaches(provider) if reach.categories]
    if not reaches:
        return 0
    offered = set().union(*(reach.categories for reach in reaches))
    people: set[int] = set()
    rows = db.session.execute(
        select(
            SavedSearch.user_id,
            SavedSearch.categories,
            SavedSearch.latitude,
            SavedSearch.longitude,
            SavedSearch.radius_miles,
        ).where(
            SavedSearch.result_count == 0,
            or_(*(_could_match(reach) for reach in reaches)),
            SavedSearch.user_id.not_in(_blocked_by(provider)),
        )
    )
    for user_id, categories, latitude, longitude, radius in rows:
        wanted = set(categories or []) & offered
        if not wanted or user_id in people:
            continue
        place = (latitude, longitude, radius)
        if any(reach.categories & wanted and _within(reach, place) for reach in reaches):
            people.add(user_id)
    return len(people)
