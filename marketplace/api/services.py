"""What the Open Referral UK API publishes, read from the directory.

**Published** means what search indexes, the directory's one rule
(`marketplace.directory.services.listing_is_published`): a listing in PUBLISHED status whose
provider is not suspended or rejected, and is verified unless its commissioning body does not
require verification. A single object is checked with that function; lists use its SQL twin
`published_listing_clause()` to filter and page in the database
(tests/marketplace/api/test_published.py checks the two agree on every combination).

**Tenant**: the feed covers the whole published directory; `?tenant=ID` narrows every endpoint to
the providers that commissioning body oversees (`Provider.tenant_id`), so a council can offer its
own feed. A listing of another tenant's provider is then absent from lists and a 404 by id.

**Where**: each listing is one location. A venue is a physical location with its address; an
at-home service is the physical point it travels from, with its travel radius as service area; an
online service is a virtual location. Points are the ones search uses (`listing_point`), except that
a sole trader (a self-employed personal assistant) is placed at the centre of their postcode area,
as the public pages never show a sole trader's street.

Services here read and never write; they raise BadParameter (400) or NotFound (404).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, String, and_, cast, exists, false, func, or_, select
from sqlalchemy.orm import contains_eager, load_only, selectinload
from sqlalchemy.sql.base import ExecutableOption

from marketplace.accounts.models import Tenant
from marketplace.api import ids
from marketplace.api.params import BadParameter, Paging
from marketplace.directory.models import (
    AgeGroup,
    AvailabilityRule,
    Category,
    DeliveryMode,
    Listing,
    Provider,
)
from marketplace.directory.services import (
    SOLE_TRADER_KINDS,
    outcode,
    published_listing_clause,
)
from marketplace.directory.taxonomy import TAXONOMY_ID
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.search.documents import is_searchable, listing_point
from marketplace.search.geo import Point, PostcodeError, locate, miles_between

METRES_PER_MILE = 1609.344

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    paging: Paging

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.paging.per_page)


@dataclass(frozen=True)
class ServiceFilter:
    """Filters shared by /services and /service_at_locations."""

    tenant_id: int | None = None
    words: tuple[str, ...] = ()
    taxonomy_term_id: uuid.UUID | None = None
    taxonomy_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    modified_after: datetime | None = None
    day: int | None = None
    start_time: time | None = None
    end_time: time | None = None
    # ORUK's age filters: services whose youngest age served is at least `minimum_age`, and
    # whose oldest is at most `maximum_age` (a service with no upper limit has none at most).
    minimum_age: float | None = None
    maximum_age: float | None = None


@dataclass(frozen=True)
class Near:
    """A postcode's point, and how far from it (metres) a location may be (None: no limit)."""

    point: Point
    proximity_metres: float | None = None


@dataclass
class Located:
    """A listing with its distance in metres from the asked-for point (None when not placed)."""

    listing: Listing
    distance_metres: float | None = field(default=None)


# What is published


def published() -> ColumnElement[bool]:
    """What the feed lists: the directory's published rule in SQL (Listing joined to Provider)."""
    return published_listing_clause()


def check_tenant(tenant_id: int | None) -> None:
    if tenant_id is not None and db.session.get(Tenant, tenant_id) is None:
        raise BadParameter(f"There is no commissioning body with tenant id {tenant_id}", "tenant")


def published_point(listing: Listing) -> Point | None:
    """Where the API says a listing is: none for an online service; a sole trader's postcode
    area rather than their street; otherwise the point search uses."""
    if listing.delivery_mode == DeliveryMode.ONLINE:
        return None
    provider = listing.provider
    if provider.kind not in SOLE_TRADER_KINDS:
        return listing_point(listing)
    for postcode in (listing.postcode, provider.postcode):
        area = outcode(postcode)
        if area:
            try:
                return locate(area).point
            except PostcodeError:
                continue
    return None


def reach_metres(listing: Listing) -> float | None:
    """How far an at-home service travels (its service area); None for venues and online."""
    if listing.delivery_mode != DeliveryMode.AT_HOME:
        return None
    return (listing.travel_radius_miles or 0) * METRES_PER_MILE


# Services


def _term_condition(term_id: uuid.UUID) -> ColumnElement[bool]:
    category = category_for_term(term_id)
    if category is None:
        return false()
    return Listing.categories.any(Category.id == category.id)


def _text_condition(word: str) -> ColumnElement[bool]:
    def has(column: ColumnElement[str] | object) -> ColumnElement[bool]:
        return func.lower(column).contains(word, autoescape=True)

    return or_(
        has(Listing.title),
        has(Listing.description),
        has(Provider.legal_name),
        has(func.coalesce(Provider.trading_name, "")),
        Listing.categories.any(has(Category.name)),
    )


def _serves(group: AgeGroup) -> ColumnElement[bool]:
    """The listing serves the age group (its JSON list names it; the same text on every
    database)."""
    return cast(Listing.age_groups, String).contains(f'"{group.value}"')


def _age_conditions(wanted: ServiceFilter) -> list[ColumnElement[bool]]:
    """A service that does not say whom it serves has no minimum or maximum age to compare."""
    if wanted.minimum_age is None and wanted.maximum_age is None:
        return []
    excluded = set()
    if wanted.minimum_age is not None:
        excluded |= {g for g in AgeGroup if g.minimum_age < wanted.minimum_age}
    if wanted.maximum_age is not None:
        limit = wanted.maximum_age
        excluded |= {g for g in AgeGroup if g.maximum_age is None or g.maximum_age > limit}
    allowed = [g for g in AgeGroup if g not in excluded]
    return [
        or_(*[_serves(g) for g in allowed]) if allowed else false(),
        *[~_serves(g) for g in sorted(excluded)],
    ]


def _service_conditions(wanted: ServiceFilter) -> list[ColumnElement[bool]]:
    check_tenant(wanted.tenant_id)
    conditions = [published()]
    if wanted.tenant_id is not None:
        conditions.append(Provider.tenant_id == wanted.tenant_id)
    conditions += [_text_condition(word) for word in wanted.words]
    if wanted.taxonomy_term_id is not None:
        conditions.append(_term_condition(wanted.taxonomy_term_id))
    if wanted.taxonomy_id is not None:
        ours = wanted.taxonomy_id == uuid.UUID(TAXONOMY_ID)
        conditions.append(Listing.categories.any() if ours else false())
    if wanted.organization_id is not None:
        provider_id = ids.row_id("organization", wanted.organization_id)
        conditions.append(Listing.provider_id == provider_id if provider_id else false())
    if wanted.modified_after is not None:
        conditions.append(
            or_(
                Listing.updated_at >= wanted.modified_after,
                Provider.updated_at >= wanted.modified_after,
            )
        )
    window = []
    if wanted.day is not None:
        window.append(AvailabilityRule.weekday == wanted.day)
    if wanted.start_time is not None:
        window.append(AvailabilityRule.start_time >= wanted.start_time)
    if wanted.end_time is not None:
        window.append(AvailabilityRule.end_time <= wanted.end_time)
    if window:
        conditions.append(Listing.availability.any(and_(*window)))
    return conditions + _age_conditions(wanted)


def _count_listings(conditions: Sequence[ColumnElement[bool]]) -> int:
    query = select(func.count(Listing.id)).join(Listing.provider).where(*conditions)
    return db.session.scalar(query) or 0


def _full_service_options() -> list[ExecutableOption]:
    return [selectinload(Listing.categories), selectinload(Listing.availability)]


def service_page(wanted: ServiceFilter, paging: Paging, full: bool = False) -> Page[Listing]:
    """A page of published services, in the order they were listed. `full` also loads what a
    fully nested service shows."""
    conditions = _service_conditions(wanted)
    query = (
        select(Listing)
        .join(Listing.provider)
        .where(*conditions)
        .options(contains_eager(Listing.provider))
        .order_by(Listing.id)
        .limit(paging.per_page)
        .offset(paging.offset)
    )
    if full:
        query = query.options(*_full_service_options())
    rows = db.session.scalars(query).all()
    return Page(list(rows), _count_listings(conditions), paging)


def every_service(wanted: ServiceFilter) -> list[Listing]:
    """Every published service the filter finds, in the order they were listed, with its
    provider (for ORUK's `minimal` list: ids and when they changed, in one answer)."""
    query = (
        select(Listing)
        .join(Listing.provider)
        .where(*_service_conditions(wanted))
        .options(
            load_only(Listing.id, Listing.updated_at),
            contains_eager(Listing.provider).load_only(Provider.id, Provider.updated_at),
        )
        .order_by(Listing.id)
    )
    return list(db.session.scalars(query))


def _published_listing(listing_id: int | None, tenant_id: int | None) -> Listing | None:
    """The listing with everything a full ORUK object shows, when published (and, with a
    tenant, one of its providers'); else None."""
    check_tenant(tenant_id)
    if listing_id is None:
        return None
    listing = db.session.scalar(
        select(Listing)
        .where(Listing.id == listing_id)
        .options(
            selectinload(Listing.provider).selectinload(Provider.tenant),
            *_full_service_options(),
        )
    )
    if listing is None or not is_searchable(listing):
        return None
    if tenant_id is not None and listing.provider.tenant_id != tenant_id:
        return None
    return listing


def service(service_id: uuid.UUID | None, tenant_id: int | None = None) -> Listing:
    """One published service, with everything its full ORUK object shows. Raises NotFound."""
    listing = _published_listing(ids.row_id("service", service_id), tenant_id)
    if listing is None:
        raise NotFound("There is no published service with this id")
    return listing


def service_at_location(sal_id: uuid.UUID | None, tenant_id: int | None = None) -> Listing:
    """The published listing behind a service_at_location id. Raises NotFound."""
    listing = _published_listing(ids.row_id("service_at_location", sal_id), tenant_id)
    if listing is None:
        raise NotFound("There is no published service at a location with this id")
    return listing


# Service at locations


def service_at_location_page(
    wanted: ServiceFilter, paging: Paging, near: Near | None = None
) -> Page[Located]:
    """A page of published services at their locations. With a postcode's point: only those
    whose service area (an at-home service's travel radius) covers it and, with a proximity,
    only those placed within that many metres; nearest first, online services last."""
    if near is None:
        found = service_page(wanted, paging)
        return Page([Located(listing) for listing in found.items], found.total, paging)
    candidates = db.session.scalars(
        select(Listing)
        .join(Listing.provider)
        .where(*_service_conditions(wanted))
        .options(
            load_only(
                Listing.id,
                Listing.provider_id,
                Listing.delivery_mode,
                Listing.latitude,
                Listing.longitude,
                Listing.postcode,
                Listing.travel_radius_miles,
            ),
            contains_eager(Listing.provider).load_only(
                Provider.id, Provider.kind, Provider.postcode, Provider.latitude, Provider.longitude
            ),
        )
    ).all()
    placed = [item for item in map(lambda c: _place(c, near), candidates) if item is not None]
    placed.sort(key=lambda item: (item[0] is None, item[0] or 0.0, item[1]))
    chosen = placed[paging.offset : paging.offset + paging.per_page]
    loaded = {
        listing.id: listing
        for listing in db.session.scalars(
            select(Listing)
            .where(Listing.id.in_([listing_id for _, listing_id in chosen]))
            .options(selectinload(Listing.provider))
            .execution_options(populate_existing=True)
        )
    }
    return Page(
        [Located(loaded[listing_id], distance) for distance, listing_id in chosen],
        len(placed),
        paging,
    )


def _place(listing: Listing, near: Near) -> tuple[float | None, int] | None:
    """(distance in metres, id) when the listing answers the postcode search, else None."""
    point = published_point(listing)
    if point is None:
        online = listing.delivery_mode == DeliveryMode.ONLINE
        return (None, listing.id) if online and near.proximity_metres is None else None
    distance = miles_between(near.point, point) * METRES_PER_MILE
    reach = reach_metres(listing)
    if reach is not None and distance > reach:
        return None
    if near.proximity_metres is not None and distance > near.proximity_metres:
        return None
    return (distance, listing.id)


def near(postcode: str | None, proximity_metres: float | None) -> Near | None:
    """The point of a postcode or outcode. Raises BadParameter when it is malformed or unknown,
    or when a proximity comes without one."""
    if postcode is None:
        if proximity_metres is not None:
            raise BadParameter("proximity needs a postcode to measure from", "proximity")
        return None
    try:
        place = locate(postcode)
    except PostcodeError as error:
        raise BadParameter(error.message, "postcode") from None
    return Near(place.point, proximity_metres)


# Organizations


@dataclass(frozen=True)
class OrganizationFilter:
    tenant_id: int | None = None
    words: tuple[str, ...] = ()


def _has_published_listing() -> ColumnElement[bool]:
    return exists(select(Listing.id).where(Listing.provider_id == Provider.id, published()))


def organization_page(wanted: OrganizationFilter, paging: Paging) -> Page[Provider]:
    """Providers with at least one published listing, in the order they joined."""
    check_tenant(wanted.tenant_id)
    conditions = [_has_published_listing()]
    if wanted.tenant_id is not None:
        conditions.append(Provider.tenant_id == wanted.tenant_id)
    for word in wanted.words:
        conditions.append(
            or_(
                func.lower(Provider.legal_name).contains(word, autoescape=True),
                func.lower(func.coalesce(Provider.trading_name, "")).contains(
                    word, autoescape=True
                ),
            )
        )
    query = select(Provider).where(*conditions)
    total = (
        db.session.scalar(
            select(func.count()).select_from(query.with_only_columns(Provider.id).subquery())
        )
        or 0
    )
    rows = db.session.scalars(
        query.order_by(Provider.id).limit(paging.per_page).offset(paging.offset)
    ).all()
    return Page(list(rows), total, paging)


@dataclass(frozen=True)
class OrganizationWithServices:
    provider: Provider
    services: Sequence[Listing]


def organization(
    organization_id: uuid.UUID | None, tenant_id: int | None = None, full: bool = False
) -> OrganizationWithServices:
    """A provider with its published listings. Raises NotFound when it has none."""
    check_tenant(tenant_id)
    provider_id = ids.row_id("organization", organization_id)
    missing = NotFound("There is no organization with published services with this id")
    if provider_id is None:
        raise missing
    query = (
        select(Listing)
        .join(Listing.provider)
        .where(Listing.provider_id == provider_id, published())
        .options(contains_eager(Listing.provider))
        .order_by(Listing.id)
    )
    if full:
        query = query.options(*_full_service_options())
    listings = db.session.scalars(query).all()
    if not listings:
        raise missing
    provider = listings[0].provider
    if tenant_id is not None and provider.tenant_id != tenant_id:
        raise missing
    return OrganizationWithServices(provider, listings)


# The taxonomy


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))


def category_for_term(term_id: uuid.UUID) -> Category | None:
    """The category whose ORUK taxonomy term id this is."""
    found = db.session.scalar(select(Category).where(Category.oruk_term_id == str(term_id)))
    if found is not None:
        return found
    wanted = str(term_id)
    return next((c for c in categories() if ids.term_uuid(c) == wanted), None)


@dataclass(frozen=True)
class TermFilter:
    words: tuple[str, ...] = ()
    taxonomy_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None
    top_only: bool | None = None


def taxonomy_term_page(wanted: TermFilter, paging: Paging) -> Page[Category]:
    """Terms of our taxonomy. It is flat: every term is at the top and none has a parent, so a
    parent_id filter finds none and top_only keeps them all."""
    conditions: list[ColumnElement[bool]] = []
    if wanted.taxonomy_id is not None and wanted.taxonomy_id != uuid.UUID(TAXONOMY_ID):
        conditions.append(false())
    if wanted.parent_id is not None:
        conditions.append(false())
    for word in wanted.words:
        conditions.append(
            or_(
                func.lower(Category.name).contains(word, autoescape=True),
                func.lower(Category.description).contains(word, autoescape=True),
            )
        )
    query = select(Category).where(*conditions)
    total = (
        db.session.scalar(
            select(func.count()).select_from(query.with_only_columns(Category.id).subquery())
        )
        or 0
    )
    rows = db.session.scalars(
        query.order_by(Category.position, Category.id).limit(paging.per_page).offset(paging.offset)
    ).all()
    return Page(list(rows), total, paging)


def taxonomy_term(term_id: uuid.UUID | None) -> Category:
    found = None if term_id is None else category_for_term(term_id)
    if found is None:
        raise NotFound("There is no taxonomy term with this id")
    return found


def taxonomy(taxonomy_id: uuid.UUID | None) -> list[Category]:
    """Our one taxonomy's terms. Raises NotFound for any other id."""
    if taxonomy_id != uuid.UUID(TAXONOMY_ID):
        raise NotFound("There is no taxonomy with this id")
    return categories()
