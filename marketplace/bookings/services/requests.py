"""Asking for a booking: what is asked, what it would cost, and sending it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import may_act_for
from marketplace.bookings import notifications as notify
from marketplace.bookings import schedule, week
from marketplace.bookings.models import (
    Booking,
    BookingKind,
    BookingState,
    RotaSlot,
)
from marketplace.bookings.services.parties import HOLD_AHEAD_DAYS, config
from marketplace.bookings.services.prices import block_unit_price, occurrence_price
from marketplace.conversations import blocks
from marketplace.directory.models import Category, Listing, PriceUnit
from marketplace.directory.services import listing_is_bookable
from marketplace.errors import DomainError, NotAllowed
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.money import format_pence
from marketplace.payments import services as payments
from marketplace.payments.models import Pot
from marketplace.transactions import atomic

# Requesting.


@dataclass(frozen=True)
class Request:
    """What a holder asks for. One-off: `day`, `start`, `duration_minutes`. Rota: `slots`,
    `starts_on` and optionally `ends_on` (none: ongoing)."""

    kind: BookingKind
    day: date | None = None
    start: time | None = None
    duration_minutes: int = 60
    slots: tuple[schedule.Slot, ...] = ()
    starts_on: date | None = None
    ends_on: date | None = None
    note: str = ""


@dataclass
class Quote:
    unit_price_pence: int
    price_unit: PriceUnit
    category: Category
    first_period_pence: int
    per_week_pence: int
    warnings: list[str] = field(default_factory=list)
    block: str = ""  # how a block price was applied, for the holder to read


def _category_for(listing: Listing, pot: Pot) -> Category:
    """The listing's first category the pot may buy, or its first category (which will be
    refused with a clear message)."""
    if not listing.categories:
        raise DomainError("This service has no category, so it cannot be booked yet")
    allowed = {c.id for c in pot.categories}
    return next((c for c in listing.categories if c.id in allowed), listing.categories[0])


# Bookings are made at most a year ahead; an ongoing rota is extended as its weeks come due.
BOOK_AHEAD_DAYS = 366


def _check_request(request: Request, today: date) -> None:
    latest = today + timedelta(days=BOOK_AHEAD_DAYS)
    if request.kind == BookingKind.ONE_OFF:
        if request.day is None or request.start is None:
            raise DomainError("Enter the date and time you want", field="day")
        if request.day < today:
            raise DomainError("The date must be today or in the future", field="day")
        if request.day > latest:
            raise DomainError(
                f"Choose a date before {latest:%-d %B %Y}: bookings are made up to a year ahead",
                field="day",
            )
        if not 15 <= request.duration_minutes <= 24 * 60:
            raise DomainError(
                "The length must be between 15 minutes and 24 hours", field="duration"
            )
        return
    if not request.slots:
        raise DomainError("Choose at least one day and time for the rota", field="slots")
    if request.starts_on is None or request.starts_on < today:
        raise DomainError("The rota must start today or later", field="starts_on")
    if request.starts_on > latest:
        raise DomainError(
            f"Start the rota before {latest:%-d %B %Y}: bookings are made up to a year ahead",
            field="starts_on",
        )
    if request.ends_on is not None and request.ends_on < request.starts_on:
        raise DomainError("The end date must be after the start date", field="ends_on")
    if request.ends_on is not None and request.ends_on > latest:
        raise DomainError(
            f"End the rota by {latest:%-d %B %Y}, or leave the end date empty: a rota "
            "with no end goes on, a few weeks ahead at a time",
            field="ends_on",
        )
    for slot in request.slots:
        if not 15 <= slot.duration_minutes <= 24 * 60:
            raise DomainError(
                "Each shift must be between 15 minutes and 24 hours", field="duration"
            )


def planned_shifts(listing: Listing, request: Request, until: date) -> list[schedule.Shift]:
    """The shifts a request asks for, up to `until` (a rota) or its one session."""
    if request.kind == BookingKind.ONE_OFF:
        assert request.day is not None and request.start is not None
        return [schedule.one_shift(request.day, request.start, request.duration_minutes)]
    assert request.starts_on is not None
    last = min(until, request.ends_on) if request.ends_on else until
    return schedule.shifts(
        request.slots,
        first_day=request.starts_on,
        last_day=last,
        skip_bank_holidays=not listing.works_bank_holidays,
    )


def plan_until(request: Request, today: date) -> date:
    """The last day a request is planned to: a rota's end, or a year ahead for one with none
    (it goes on, a few weeks at a time); a one-off's day."""
    if request.kind == BookingKind.ONE_OFF:
        assert request.day is not None
        return request.day
    return request.ends_on or today + timedelta(days=BOOK_AHEAD_DAYS)


def quote(holder: User, listing: Listing, pot: Pot, request: Request, today: date) -> Quote:
    """The price and the warnings a holder should read before sending a request. Raises
    DomainError on a malformed request and week.OutsideTheWeek naming the dates that do not
    fit the provider's week."""
    _check_request(request, today)
    week.check(listing, planned_shifts(listing, request, plan_until(request, today)))
    category = _category_for(listing, pot)
    unit, price = listing.price_unit, block_price_for(listing, request)
    first = planned_shifts(listing, request, today + timedelta(days=HOLD_AHEAD_DAYS - 1))
    first_pence = sum(occurrence_price(price, unit, s.minutes) for s in first)
    first_week = (
        [s for s in first if s.starts_at.date() < first[0].starts_at.date() + timedelta(7)]
        if first
        else []
    )
    per_week = sum(occurrence_price(price, unit, s.minutes) for s in first_week)
    warnings = []
    if category.id not in {c.id for c in pot.categories}:
        warnings.append(
            f"Your {pot.kind.label.lower()} does not cover {category.name.lower()}, so the "
            "provider will not be able to accept this unless your plan changes."
        )
    cap = pot.pa_hourly_cap_pence
    if listing.provider.is_personal_assistant and cap and unit == PriceUnit.HOUR and price > cap:
        warnings.append(
            f"{format_pence(price)} an hour is above the {format_pence(cap)} an hour your budget "
            "allows for personal assistants."
        )
    runs_out = projected_run_out(pot, listing, request, today, price)
    if runs_out is not None:
        warnings.append(
            f"At this price your budget would run out around {runs_out:%-d %B %Y}, before the "
            "rota ends. You can still ask; talk to your council or NHS contact about your plan."
        )
    block = ""
    if price < listing.price_pence:
        block = (
            f"Block price: {listing.block_quantity} for the price of {listing.block_pays_for}, "
            f"so {format_pence(price)} {unit.label} instead of "
            f"{format_pence(listing.price_pence)}, for every session of this booking."
        )
    return Quote(price, unit, category, first_pence, per_week, warnings, block)


def block_price_for(listing: Listing, request: Request) -> int:
    """The unit price of a request: a block price needs its whole length known (a one-off, or
    a rota with an end date); an ongoing rota pays the listing's price."""
    if request.kind == BookingKind.ROTA and request.ends_on is None:
        return listing.price_pence
    last = request.ends_on if request.kind == BookingKind.ROTA else request.day
    assert last is not None
    return block_unit_price(listing, planned_shifts(listing, request, last))


def projected_run_out(
    pot: Pot, listing: Listing, request: Request, today: date, unit_price_pence: int
) -> date | None:
    """The first day this request's costs would pass what the pot has now plus its scheduled
    allocations (ongoing rotas are projected twelve weeks). None when it can pay throughout."""
    horizon = request.ends_on or (today + timedelta(weeks=12))
    if request.kind == BookingKind.ONE_OFF:
        horizon = request.day or today
    funds = payments.balance(pot).available_pence
    incoming = {
        start: pot.allocation_pence for start in payments.periods_due(pot, horizon) if start > today
    }
    spent = 0
    for shift in planned_shifts(listing, request, horizon):
        day = shift.starts_at.astimezone(schedule.LONDON).date()
        funds += sum(amount for start, amount in list(incoming.items()) if start <= day)
        incoming = {start: amount for start, amount in incoming.items() if start > day}
        spent += occurrence_price(unit_price_pence, listing.price_unit, shift.minutes)
        if spent > funds:
            return day
    return None


@atomic
def request_booking(
    actor: User, holder: User, listing: Listing, pot: Pot, request: Request, today: date
) -> Booking:
    """Send a request to the provider. Raises NotAllowed when `actor` may not act for `holder`
    or the pot is not theirs, and DomainError when the listing cannot be booked or the request
    is malformed."""
    if holder.role != Role.HOLDER or not may_act_for(actor, holder):
        raise NotAllowed("You can only book for yourself or someone you act for")
    if pot.holder_id != holder.id or not pot.active:
        raise NotAllowed("That budget is not one you can use")
    if not listing_is_bookable(listing):
        raise DomainError("This service is not taking bookings here")
    blocks.refuse_if_blocked(holder.id, listing.provider_id, blocks.REQUEST_REFUSED)
    found = quote(holder, listing, pot, request, today)
    hours = config("BOOKING_REQUEST_EXPIRY_HOURS", 48)
    booking = Booking(
        holder_id=holder.id,
        requested_by_id=actor.id,
        listing_id=listing.id,
        provider_id=listing.provider_id,
        pot_id=pot.id,
        category_id=found.category.id,
        kind=request.kind,
        state=BookingState.REQUESTED,
        unit_price_pence=found.unit_price_pence,
        price_unit=listing.price_unit,
        note=request.note.strip()[:2000],
        rota_starts_on=request.starts_on if request.kind == BookingKind.ROTA else request.day,
        rota_ends_on=request.ends_on if request.kind == BookingKind.ROTA else request.day,
        expires_at=utcnow() + timedelta(hours=hours),
    )
    if request.kind == BookingKind.ONE_OFF:
        assert request.day is not None and request.start is not None  # _check_request saw to it
        booking.slots = [
            RotaSlot(
                weekday=request.day.weekday(),
                start_time=request.start,
                duration_minutes=request.duration_minutes,
            )
        ]
    else:
        booking.slots = [
            RotaSlot(weekday=s.weekday, start_time=s.start, duration_minutes=s.duration_minutes)
            for s in request.slots
        ]
    db.session.add(booking)
    db.session.flush()
    notify.request_received(booking)
    return booking


def request_of(booking: Booking) -> Request:
    """The request a booking was made from, to plan its shifts again."""
    slots = tuple(schedule.Slot(s.weekday, s.start_time, s.duration_minutes) for s in booking.slots)
    if booking.kind == BookingKind.ONE_OFF:
        slot = slots[0]
        return Request(
            BookingKind.ONE_OFF,
            day=booking.rota_starts_on,
            start=slot.start,
            duration_minutes=slot.duration_minutes,
        )
    return Request(
        BookingKind.ROTA,
        slots=slots,
        starts_on=booking.rota_starts_on,
        ends_on=booking.rota_ends_on,
    )
