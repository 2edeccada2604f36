"""The listing editor's rules: create and edit a listing, its week and its days off, and publish.

Services flush and never commit; the view commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.bookings.models import Booking, Occurrence, OccurrenceState
from marketplace.clock import LONDON
from marketplace.directory.models import (
    AgeGroup,
    AvailabilityException,
    AvailabilityRule,
    Category,
    DeliveryMode,
    Listing,
    ListingStatus,
    PriceUnit,
    Provider,
    WorkerGender,
    sorted_age_groups,
)
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.transactions import atomic, locked, take_turns
from provider_onboarding.details import place_of
from provider_onboarding.services import (
    check_window,
    checks_of,
    expired_reasons,
)


@dataclass(frozen=True)
class ListingDetails:
    title: str
    description: str
    category_ids: list[int]
    price_pence: int
    price_unit: PriceUnit
    block_quantity: int | None
    block_pays_for: int | None
    delivery_mode: DeliveryMode
    postcode: str | None
    travel_radius_miles: int | None
    venue_address: str | None
    languages: list[str]
    worker_gender: WorkerGender | None
    accessibility_notes: str
    cancellation_notice_hours: int
    cancellation_charge_bps: int
    works_bank_holidays: bool
    # None leaves the listing's age groups as they are (an import that does not say).
    age_groups: list[AgeGroup] | None = None


def listing_of(provider: Provider, listing_id: int) -> Listing:
    """One of the provider's own listings. Raises NotFound for anyone else's."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.provider_id != provider.id:
        raise NotFound("Listing not found")
    return listing


def all_categories() -> list[Category]:
    return list(
        db.session.scalars(select(Category).order_by(Category.position, Category.name, Category.id))
    )


@atomic
def create_listing(provider: Provider, details: ListingDetails, actor: User) -> Listing:
    """A new draft listing. Raises DomainError naming the field on a rule the details break."""
    listing = Listing(status=ListingStatus.DRAFT)
    apply_details(listing, details)
    listing.provider = provider
    db.session.add(listing)
    db.session.flush()
    audit.record("listing.created", "listing", listing.id, actor_id=actor.id)
    return listing


@atomic
def update_listing(listing: Listing, details: ListingDetails, actor: User) -> None:
    """Change a listing. A new price applies to bookings made from now on: a booking keeps the
    price it was accepted at. Raises DomainError naming the field."""
    old_price = listing.price_pence
    apply_details(listing, details)
    if not db.session.is_modified(listing):
        return  # the same answers again (a double click, a second tab): nothing to record
    audit.record(
        "listing.updated",
        "listing",
        listing.id,
        actor_id=actor.id,
        old_price_pence=old_price,
        price_pence=listing.price_pence,
    )
    db.session.flush()


def apply_details(listing: Listing, details: ListingDetails) -> None:
    """Set a listing's fields from the details, by the editor's rules (the listing editor and
    the bulk import both use it). Raises DomainError naming the field on a rule they break."""
    check_price(details.price_pence)
    _check_block(details)
    categories = _categories(details.category_ids)
    listing.title = details.title.strip()
    listing.description = details.description.strip()
    listing.categories = categories
    listing.price_pence = details.price_pence
    listing.price_unit = details.price_unit
    listing.block_quantity = details.block_quantity
    listing.block_pays_for = details.block_pays_for
    listing.delivery_mode = details.delivery_mode
    _apply_place(listing, details)
    listing.languages = [text.strip() for text in details.languages if text.strip()]
    listing.worker_gender = details.worker_gender
    listing.accessibility_notes = details.accessibility_notes.strip()
    listing.cancellation_notice_hours = details.cancellation_notice_hours
    listing.cancellation_charge_bps = details.cancellation_charge_bps
    listing.works_bank_holidays = details.works_bank_holidays
    if details.age_groups is not None:
        listing.age_groups = sorted_age_groups(details.age_groups)


MIN_PRICE_PENCE = 100


def check_price(pence: int) -> None:
    """Raises DomainError on the price field when the price is below £1.00: nothing is free or
    nearly free here, and a price of 0 is nearly always a mistake."""
    if pence < MIN_PRICE_PENCE:
        raise DomainError("Enter a price of at least £1.00", field="price")


class NoWeeklyTimes(DomainError):
    """A listing booked by the hour or session has no weekly times, so nobody could book it."""


def _check_block(details: ListingDetails) -> None:
    quantity, pays_for = details.block_quantity, details.block_pays_for
    if quantity is None and pays_for is None:
        return
    if quantity is None or pays_for is None:
        raise DomainError(
            "Enter both how many are in the block and how many are paid for",
            field="block_quantity",
        )
    if not 1 <= pays_for < quantity:
        raise DomainError(
            "The number paid for must be at least 1 and fewer than the number in the block",
            field="block_pays_for",
        )


def _categories(ids: list[int]) -> list[Category]:
    if not ids:
        raise DomainError("Select at least one category", field="category_ids")
    found = list(db.session.scalars(select(Category).where(Category.id.in_(ids))))
    if len(found) != len(set(ids)):
        raise DomainError("Select categories from the list", field="category_ids")
    return found


def _apply_place(listing: Listing, details: ListingDetails) -> None:
    mode = details.delivery_mode
    postcode = (details.postcode or "").strip() or None
    if mode == DeliveryMode.AT_HOME and (postcode is None or details.travel_radius_miles is None):
        raise DomainError(
            "Enter the postcode you travel from and how far you travel", field="postcode"
        )
    if mode == DeliveryMode.VENUE and (
        postcode is None or not (details.venue_address or "").strip()
    ):
        raise DomainError("Enter the venue's address and postcode", field="venue_address")
    listing.postcode, listing.latitude, listing.longitude = None, None, None
    if postcode is not None and mode != DeliveryMode.ONLINE:
        place = place_of(postcode, full=False)  # where they travel from: OL1 is enough
        listing.postcode = place.postcode or place.outcode
        listing.latitude, listing.longitude = place.point.latitude, place.point.longitude
    listing.travel_radius_miles = (
        details.travel_radius_miles if mode == DeliveryMode.AT_HOME else None
    )
    listing.venue_address = (
        (details.venue_address or "").strip() or None if mode == DeliveryMode.VENUE else None
    )


@atomic
def publish(listing: Listing, actor: User, today: date) -> None:
    """Show the listing to the public. Only a verified provider whose DBS and insurance still
    hold may publish, and only a listing with weekly times (unless it is sold each). Raises
    DomainError saying why not; NoWeeklyTimes when the times are missing."""
    locked(Listing, listing.id)  # sent twice at once: the second finds it done
    if listing.status == ListingStatus.PUBLISHED:
        return
    provider = listing.provider
    if not provider.is_verified:
        raise DomainError("You can publish once your checks are complete and you are verified.")
    reasons = expired_reasons(checks_of(provider), today)
    if reasons:
        raise DomainError(
            "You cannot publish because " + " and ".join(reasons) + ". Update your checks first."
        )
    # Things sold each (equipment) are not booked for a time; everything else is.
    if listing.price_unit != PriceUnit.ITEM and not listing.availability:
        raise NoWeeklyTimes(
            f"Add at least one weekly time to ‘{listing.title}’ before you publish it: "
            "people can only book the times you add."
        )
    listing.status = ListingStatus.PUBLISHED
    audit.record("listing.published", "listing", listing.id, actor_id=actor.id)
    db.session.flush()


@atomic
def unpublish(listing: Listing, actor: User) -> None:
    """Hide the listing from the public; it stays as a draft to publish again."""
    locked(Listing, listing.id)  # sent twice at once: the second finds it done
    if listing.status == ListingStatus.DRAFT:
        return
    listing.status = ListingStatus.DRAFT
    audit.record("listing.unpublished", "listing", listing.id, actor_id=actor.id)
    db.session.flush()


@atomic
def add_rule(listing: Listing, weekday: int, start: time, end: time) -> AvailabilityRule:
    """Add a weekly window. Raises DomainError when it is back to front or overlaps another."""
    take_turns(listing, "availability")
    check_window(
        weekday, start, end, [(r.weekday, r.start_time, r.end_time) for r in listing.availability]
    )
    rule = AvailabilityRule(weekday=weekday, start_time=start, end_time=end)
    listing.availability.append(rule)
    db.session.flush()
    return rule


@atomic
def remove_rule(listing: Listing, rule_id: int) -> None:
    """Raises NotFound when the window is not this listing's."""
    rule = locked(AvailabilityRule, rule_id)
    if rule is None or rule.listing_id != listing.id:
        raise NotFound("Availability not found")
    listing.availability.remove(rule)
    db.session.flush()


@atomic
def add_exception(
    listing: Listing, starts_on: date, ends_on: date, reason: str, today: date
) -> AvailabilityException:
    """Add days off (inclusive). Raises DomainError when they end before they start or are past."""
    if ends_on < starts_on:
        raise DomainError("The last day must be on or after the first day", field="ends_on")
    if ends_on < today:
        raise DomainError("The days off must not all be in the past", field="ends_on")
    take_turns(listing, "exceptions")  # of two sent at once, the second sees the first's
    for earlier in listing.exceptions:
        if earlier.starts_on <= starts_on and ends_on <= earlier.ends_on:
            return earlier  # those days are already off (sent twice): nothing more to add
    item = AvailabilityException(starts_on=starts_on, ends_on=ends_on, reason=reason.strip()[:200])
    listing.exceptions.append(item)
    db.session.flush()
    return item


@dataclass(frozen=True)
class BookedSession:
    starts_at: datetime  # London time
    ends_at: datetime
    client_first_name: str
    booking_id: int

    def describe(self) -> str:
        """'Tuesday 8 December 2026, 9:00am to 11:00am, with Sam'."""
        day = f"{self.starts_at:%A %-d %B %Y}"
        hours = f"{_time_of_day(self.starts_at)} to {_time_of_day(self.ends_at)}"
        return f"{day}, {hours}, with {self.client_first_name}"


def _time_of_day(at: datetime) -> str:
    return f"{at:%-I:%M%p}".replace("AM", "am").replace("PM", "pm")


def sessions_booked_between(
    listing: Listing, starts_on: date, ends_on: date
) -> list[BookedSession]:
    """The listing's booked sessions (not yet delivered or cancelled) that start on these days
    (London dates, inclusive), earliest first: days off never cancel them by themselves."""
    first = datetime.combine(starts_on, time(0), LONDON)
    after = datetime.combine(ends_on + timedelta(days=1), time(0), LONDON)
    rows = db.session.execute(
        select(Occurrence, User.full_name)
        .join(Booking, Booking.id == Occurrence.booking_id)
        .join(User, User.id == Booking.holder_id)
        .where(
            Booking.listing_id == listing.id,
            Occurrence.state == OccurrenceState.SCHEDULED,
            Occurrence.starts_at >= first,
            Occurrence.starts_at < after,
        )
        .order_by(Occurrence.starts_at, Occurrence.id)
    )
    return [
        BookedSession(
            occurrence.starts_at.astimezone(LONDON),
            occurrence.ends_at.astimezone(LONDON),
            (name.split() or ["the client"])[0],
            occurrence.booking_id,
        )
        for occurrence, name in rows
    ]


@atomic
def remove_exception(listing: Listing, exception_id: int) -> None:
    item = locked(AvailabilityException, exception_id)
    if item is None or item.listing_id != listing.id:
        raise NotFound("Days off not found")
    listing.exceptions.remove(item)
    db.session.flush()


def block_price_pence(listing: Listing) -> int | None:
    """What a whole block costs (e.g. 10 sessions for the price of 8), or None without one."""
    if listing.block_quantity is None or listing.block_pays_for is None:
        return None
    return listing.price_pence * listing.block_pays_for
