"""Searches over the last 12 weeks, so the market gap report has demand to show."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import Tenant, User
from marketplace.clock import LONDON, london_today
from marketplace.commissioning.market.areas import area_outcodes
from marketplace.demo.report import DemoReport
from marketplace.directory.models import (
    Category,
    Listing,
    ListingStatus,
    Provider,
    listing_categories,
)
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.search.models import SearchEvent

DEMO_SEARCHES = 400
DEMO_SEARCH_DAYS = 84  # the report's default period: the last 12 weeks, today included
DEMO_SEARCH_ENGINE = "demo"  # the engine named on demo search events: none answered them
DEMO_SIGNED_IN_SHARE = 0.35  # the rest were made by people not signed in
# Searches from each of the council's areas (%): Oldham, Rochdale, Tameside, Manchester.
DEMO_SEARCH_AREAS = {"E08000004": 65, "E08000005": 15, "E08000008": 12, "E08000003": 8}
DEMO_SEARCH_WEIGHTS = {  # how often each kind of support is searched for (others: 1)
    "personal-assistant": 8,
    "homecare": 8,
    "dementia-support": 4,
    "physiotherapy": 3,
    "talking-therapies": 3,
    "respite": 3,
    "social-activities": 3,
    "occupational-therapy": 2,
    "day-opportunities": 2,
    "transport": 2,
}
DEMO_SEARCH_TEXTS = ("", "", "", "", "", "", "night care", "dementia", "physio", "urdu speaking")


def add_search_events(council: Tenant, report: DemoReport) -> None:
    """The same 400 searches on every machine (seeded), over the 12 weeks before the first
    load: from the districts of the council's areas (most in Oldham, where the demo providers
    are), for kinds of support from the taxonomy, with a mix of days and times asked for.
    About a third by people signed in to the demo council, the rest by people not signed in
    (counted by district). No person is in them. Results follow the demo supply of each kind,
    fewer for evenings and weekends, so scarce kinds and times show as gaps. Made once: a
    later load adds none."""
    made = select(SearchEvent.id).where(SearchEvent.engine == DEMO_SEARCH_ENGINE).limit(1)
    if db.session.scalar(made) is not None:
        return
    rng = random.Random("demo-searches")
    districts = {  # of each of the council's areas, by the report's rule
        code: area_outcodes(frozenset({code})) for code in DEMO_SEARCH_AREAS
    }
    slugs, supply = _supply_by_category(council)
    weights = [DEMO_SEARCH_WEIGHTS.get(slug, 1) for slug in slugs]
    now = utcnow()
    rows = []
    for _ in range(DEMO_SEARCHES):
        cats = rng.choices(slugs, weights) if rng.random() < 0.85 else []
        signed_in = rng.random() < DEMO_SIGNED_IN_SHARE
        area = rng.choices(list(DEMO_SEARCH_AREAS), list(DEMO_SEARCH_AREAS.values()))[0]
        outcode = None if signed_in and rng.random() < 0.1 else rng.choice(districts[area])
        day, at = _demo_day_and_time(rng)
        found = supply.get(cats[0], 0) if cats else sum(supply.values())
        if day is not None and (day >= 5 or (at is not None and not 8 <= at.hour < 18)):
            found = found // 4  # few work evenings and weekends
        elif day is not None:
            found = found // 2
        filters: dict[str, object] = {"categories": cats, "sort": "relevance"}
        if outcode:
            filters["radius_miles"] = 10
        if day is not None:
            filters["day"] = day
        if at is not None:
            filters["time"] = at.strftime("%H:%M")
        rows.append(
            SearchEvent(
                tenant_id=council.id if signed_in else None,
                outcode=outcode,
                categories=cats,
                filters=filters,
                text=rng.choice(DEMO_SEARCH_TEXTS),
                result_count=round(found * rng.uniform(0.2, 1.0)),
                engine=DEMO_SEARCH_ENGINE,
                created_at=_demo_moment(rng, now),
            )
        )
    db.session.add_all(rows)
    report.count("search events", len(rows))


def _supply_by_category(council: Tenant) -> tuple[list[str], dict[str, int]]:
    """Every kind of support in the taxonomy's order, and the council's published listings of
    each."""
    slugs = list(db.session.scalars(select(Category.slug).order_by(Category.position, Category.id)))
    counted = db.session.execute(
        select(Category.slug, func.count(Listing.id))
        .join(listing_categories, listing_categories.c.category_id == Category.id)
        .join(Listing, Listing.id == listing_categories.c.listing_id)
        .join(Provider, Provider.id == Listing.provider_id)
        .where(Provider.tenant_id == council.id, Listing.status == ListingStatus.PUBLISHED)
        .group_by(Category.slug)
    )
    return slugs, {slug: n for slug, n in counted}


def _demo_day_and_time(rng: random.Random) -> tuple[int | None, time | None]:
    """Most searches ask for no day; of those that do, most ask for a weekday, some a time."""
    if rng.random() < 0.35:
        return None, None
    day = rng.randrange(5) if rng.random() < 0.75 else rng.randrange(5, 7)
    if rng.random() < 0.35:
        return day, None
    hour = rng.randrange(9, 17) if rng.random() < 0.6 else rng.choice([7, 18, 19, 20, 21, 22])
    return day, time(hour, rng.choice([0, 30]))


def _demo_moment(rng: random.Random, now: datetime) -> datetime:
    """A London daytime or evening moment in the 12 weeks up to now."""
    day = london_today(now) - timedelta(days=rng.randrange(DEMO_SEARCH_DAYS))
    at = datetime.combine(day, time(rng.randrange(7, 23), rng.randrange(60)), tzinfo=LONDON)
    moment = at.astimezone(UTC)
    return moment if moment <= now else now - timedelta(minutes=rng.randrange(1, 60))


# A saved search of the demo holder that finds nothing: dementia support near OL8 from someone
# who speaks Polish. The demo's only dementia support on this service (Amira's, within reach of
# OL8) is in English, Urdu and Punjabi. It shows on the holder's saved searches, as waiting
# demand in the council's market gap report and as one person waiting on Amira's home.
DEMO_SAVED_SEARCH_NAME = "Dementia support in Polish near OL8 (demo)"
DEMO_SAVED_SEARCH = [
    ["category", "dementia-support"],
    ["postcode", "OL8"],
    ["language", "polish"],
]


def add_saved_search(holder: User, report: DemoReport) -> None:
    """The demo holder's saved search (emails on), made once: not when they have any."""
    from marketplace.saved_searches.models import SavedSearch
    from marketplace.saved_searches.services import query_of

    if db.session.scalar(select(SavedSearch.id).where(SavedSearch.user_id == holder.id)):
        return
    query = query_of(DEMO_SAVED_SEARCH)
    assert query.place is not None
    db.session.add(
        SavedSearch(
            user_id=holder.id,
            tenant_id=holder.tenant_id,
            name=DEMO_SAVED_SEARCH_NAME,
            params=DEMO_SAVED_SEARCH,
            outcode=query.place.outcode,
            categories=list(query.categories),
            latitude=query.place.point.latitude,
            longitude=query.place.point.longitude,
            radius_miles=query.radius_miles,
            alerts_on=True,
            result_count=0,  # the daily check keeps it true
        )
    )
    report.count("saved searches", 1)
