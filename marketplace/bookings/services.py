"""Bookings from request to payment. Every move goes through states.move_*; money through payments.

Services take plain arguments, check who may act on this booking, flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from flask import current_app, has_app_context
from sqlalchemy import func, or_, select

from marketplace.accounts.access import commissions
from marketplace.accounts.models import Role, User
from marketplace.accounts.services import may_act_for
from marketplace.bookings import notifications as notify
from marketplace.bookings import schedule
from marketplace.bookings.models import (
    Booking,
    BookingKind,
    BookingState,
    Occurrence,
    OccurrenceState,
    Offer,
    OfferState,
    RotaSlot,
)
from marketplace.bookings.states import AlreadyMoved, Side, move_booking, move_occurrence
from marketplace.directory.models import Category, Listing, ListingStatus, PriceUnit, Provider
from marketplace.directory.services import is_provider_staff
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.money import apply_basis_points, format_pence
from marketplace.payments import services as payments
from marketplace.payments.models import Pot
from marketplace.transactions import atomic
from provider_onboarding.models import Worker

HOLD_AHEAD_DAYS = 28  # a rota's money is set aside four weeks (28 days, today included) at a time
CONFIRM_WITHIN = timedelta(days=7)


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name, default)) if has_app_context() else default


# Who is acting.


def side_of(user: User, booking: Booking) -> Side:
    """Which side `user` is on for this booking. Raises NotFound when they have no part in it,
    so nobody learns of a booking that is not theirs."""
    if may_act_for(user, booking.holder):
        return Side.HOLDER
    if is_provider_staff(user, booking.provider):
        return Side.PROVIDER
    if commissions(user, booking.holder.tenant_id):
        return Side.COMMISSIONER
    raise NotFound("This booking is not one you can see")


def _require(user: User, booking: Booking, *sides: Side) -> Side:
    side = side_of(user, booking)
    if side not in sides:
        raise NotAllowed("You cannot make this change to this booking")
    return side


# Prices.


def occurrence_price(unit_price_pence: int, unit: PriceUnit, minutes: int) -> int:
    """What one session costs: hourly prices by the minute, rounded half up to a penny."""
    if unit != PriceUnit.HOUR:
        return unit_price_pence
    return int((Decimal(unit_price_pence) * minutes / 60).to_integral_value(ROUND_HALF_UP))


def block_unit_price(listing: Listing, shifts: list[schedule.Shift]) -> int:
    """The unit price for a booking of these shifts (its whole length): the listing's price,
    or less when the booking holds whole blocks ("10 for the price of 8"). Units are hours
    for an hourly price, otherwise sessions; every whole block is charged as its paid units
    and the rest at the full price, spread evenly over the units and rounded down to a
    penny, so the holder never pays more than the block price."""
    price, quantity, paid = listing.price_pence, listing.block_quantity, listing.block_pays_for
    if not quantity or not paid or not shifts:
        return price
    if listing.price_unit == PriceUnit.HOUR:
        units = Decimal(sum(shift.minutes for shift in shifts)) / 60
    else:
        units = Decimal(len(shifts))
    blocks = int(units // quantity)
    if not blocks:
        return price
    charged = units - blocks * quantity + blocks * paid
    return int((Decimal(price) * charged / units).to_integral_value(ROUND_FLOOR))


def hourly_rate(unit_price_pence: int, unit: PriceUnit) -> int | None:
    return unit_price_pence if unit == PriceUnit.HOUR else None


def describe(shift: schedule.Shift) -> str:
    """'4 hours on Tue 3 Mar' in London time, as statements say it."""
    local = shift.starts_at.astimezone(schedule.LONDON)
    hours = Decimal(shift.minutes) / 60
    amount = f"{hours.normalize():f}" if hours == hours.to_integral() else f"{hours:.2f}"
    unit = "hour" if hours == 1 else "hours"
    return f"{amount} {unit} on {local:%a %-d %b}"


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


def _check_request(request: Request, today: date) -> None:
    if request.kind == BookingKind.ONE_OFF:
        if request.day is None or request.start is None:
            raise DomainError("Enter the date and time you want", field="day")
        if request.day < today:
            raise DomainError("The date must be today or in the future", field="day")
        if not 15 <= request.duration_minutes <= 24 * 60:
            raise DomainError(
                "The length must be between 15 minutes and 24 hours", field="duration"
            )
        return
    if not request.slots:
        raise DomainError("Choose at least one day and time for the rota", field="slots")
    if request.starts_on is None or request.starts_on < today:
        raise DomainError("The rota must start today or later", field="starts_on")
    if request.ends_on is not None and request.ends_on < request.starts_on:
        raise DomainError("The end date must be after the start date", field="ends_on")
    for slot in request.slots:
        if not 15 <= slot.duration_minutes <= 24 * 60:
            raise DomainError("Each shift must be between 15 minutes and 24 hours", field="slots")


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


def quote(holder: User, listing: Listing, pot: Pot, request: Request, today: date) -> Quote:
    """The price and the warnings a holder should read before sending a request."""
    _check_request(request, today)
    category = _category_for(listing, pot)
    unit, price = listing.price_unit, block_price_for(listing, request)
    first = planned_shifts(listing, request, today + timedelta(days=HOLD_AHEAD_DAYS - 1))
    first_pence = sum(occurrence_price(price, unit, s.minutes) for s in first)
    week = (
        [s for s in first if s.starts_at.date() < first[0].starts_at.date() + timedelta(7)]
        if first
        else []
    )
    per_week = sum(occurrence_price(price, unit, s.minutes) for s in week)
    warnings = []
    if category.id not in {c.id for c in pot.categories}:
        warnings.append(
            f"Your {pot.kind.label.lower()} does not cover {category.name.lower()}, so the "
            "provider will not be able to accept this unless your plan changes."
        )
    cap = pot.pa_hourly_cap_pence
    if category.is_personal_assistance and cap and unit == PriceUnit.HOUR and price > cap:
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
    if listing.status != ListingStatus.PUBLISHED:
        raise DomainError("This service is not taking bookings")
    found = quote(holder, listing, pot, request, today)
    hours = _config("BOOKING_REQUEST_EXPIRY_HOURS", 48)
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


# Accepting, declining, offers, expiry.


def _lock_provider(provider_id: int) -> None:
    """Serialise accepts for one provider, so two cannot both pass the overlap check."""
    db.session.execute(select(Provider.id).where(Provider.id == provider_id).with_for_update())


def clashes(
    provider_id: int, shifts: list[schedule.Shift], booking_id: int, worker_id: int | None = None
) -> list[Occurrence]:
    """Accepted sessions of the same worker (a named agency worker, or a provider working alone)
    that overlap any of `shifts`."""
    if not shifts:
        return []
    first, last = min(s.starts_at for s in shifts), max(s.ends_at for s in shifts)
    same_worker = (
        Occurrence.worker_id == worker_id
        if worker_id is not None
        else Occurrence.worker_id.is_(None)
    )
    taken = db.session.scalars(
        select(Occurrence)
        .join(Booking)
        .where(
            Occurrence.provider_id == provider_id,
            same_worker,
            Occurrence.booking_id != booking_id,
            Booking.state == BookingState.ACCEPTED,
            Occurrence.state.in_([OccurrenceState.SCHEDULED, OccurrenceState.DELIVERED]),
            Occurrence.starts_at < last,
            Occurrence.ends_at > first,
        )
    ).all()
    return [
        o
        for o in taken
        if any(schedule.overlaps(schedule.Shift(o.starts_at, o.ends_at), s) for s in shifts)
    ]


def free_for(provider_id: int, shifts: list[schedule.Shift], booking_id: int) -> bool:
    """Whether a provider could take all these shifts as far as our bookings show: one working
    alone is free of accepted sessions at those times; an agency has a named worker who is."""
    workers = workers_of(provider_id)
    if not workers:
        return not clashes(provider_id, shifts, booking_id)
    return any(not clashes(provider_id, shifts, booking_id, worker.id) for worker in workers)


def workers_of(provider_id: int) -> list[Worker]:
    """A provider's named workers who have not left."""
    return list(
        db.session.scalars(
            select(Worker)
            .where(Worker.provider_id == provider_id, Worker.left_at.is_(None))
            .order_by(Worker.name)
        )
    )


def bookings_ahead(worker_id: int, today: date) -> int:
    """How many accepted bookings name this worker and still run today or later."""
    return int(
        db.session.scalar(
            select(func.count(Booking.id)).where(
                Booking.worker_id == worker_id,
                Booking.state == BookingState.ACCEPTED,
                or_(Booking.rota_ends_on.is_(None), Booking.rota_ends_on >= today),
            )
        )
        or 0
    )


def _assign_worker(booking: Booking, worker_id: int | None) -> None:
    """An agency with named workers says who will do the sessions; one working alone does not."""
    workers = {w.id: w for w in workers_of(booking.provider_id)}
    if not workers:
        booking.worker_id = None
        return
    if worker_id not in workers:
        raise DomainError("Choose who will do these sessions", field="worker")
    booking.worker_id = worker_id


def _schedule_and_hold(booking: Booking, until: date) -> list[Occurrence]:
    """Make the occurrences up to `until` that do not exist yet and set their money aside."""
    start = booking.scheduled_until + timedelta(days=1) if booking.scheduled_until else None
    shifts = [
        s
        for s in planned_shifts(booking.listing, request_of(booking), until)
        if start is None or s.starts_at.astimezone(schedule.LONDON).date() >= start
    ]
    taken = clashes(booking.provider_id, shifts, booking.id, booking.worker_id)
    if taken:
        first = taken[0].starts_at.astimezone(schedule.LONDON)
        who = booking.worker.name if booking.worker else "This provider"
        raise DomainError(
            f"{who} is already booked at {first:%-I:%M%p on %a %-d %b}".replace("AM", "am").replace(
                "PM", "pm"
            )
        )
    made = []
    for shift in shifts:
        occurrence = Occurrence(
            booking_id=booking.id,
            provider_id=booking.provider_id,
            worker_id=booking.worker_id,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            price_pence=occurrence_price(
                booking.unit_price_pence, booking.price_unit, shift.minutes
            ),
        )
        db.session.add(occurrence)
        db.session.flush()
        if occurrence.price_pence > 0:
            held = payments.hold(
                booking.pot,
                occurrence.price_pence,
                f"occurrence:{occurrence.id}",
                provider=booking.provider,
                category=booking.category,
                description=describe(shift),
                hourly_rate_pence=hourly_rate(booking.unit_price_pence, booking.price_unit),
            )
            occurrence.hold_id = held.id
        made.append(occurrence)
    booking.scheduled_until = until
    return made


@atomic
def accept(user: User, booking: Booking, today: date, worker_id: int | None = None) -> Booking:
    """The provider accepts: the price is fixed, the first four weeks (or the session) are
    scheduled and their money held. Raises payments.SpendRefused when the pot cannot pay
    (the refusal is recorded; commit to keep it) and DomainError on a clash."""
    _require(user, booking, Side.PROVIDER)
    if booking.state == BookingState.REQUESTED:
        _assign_worker(booking, worker_id)
    return _accept(booking, Side.PROVIDER, user.id, today)


def _accept(booking: Booking, side: Side, actor_id: int, today: date) -> Booking:
    if booking.state == BookingState.ACCEPTED:
        raise AlreadyMoved(BookingState.ACCEPTED)  # a second click: nothing more to do
    if booking.state != BookingState.REQUESTED:
        raise DomainError("This request has already been answered")
    if booking.expires_at <= utcnow():
        raise DomainError("This request has expired")
    _lock_provider(booking.provider_id)
    move_booking(booking, BookingState.ACCEPTED, side=side, actor_id=actor_id)
    booking.accepted_at = utcnow()
    _schedule_and_hold(booking, today + timedelta(days=HOLD_AHEAD_DAYS - 1))
    notify.accepted(booking)
    return booking


@atomic
def decline(user: User, booking: Booking, reason: str) -> Booking:
    _require(user, booking, Side.PROVIDER)
    if not reason.strip():
        raise DomainError("Tell the person why you cannot take this booking", field="reason")
    move_booking(
        booking, BookingState.DECLINED, side=Side.PROVIDER, actor_id=user.id, reason=reason.strip()
    )
    notify.declined(booking, reason.strip())
    return booking


@atomic
def offer(
    user: User, booking: Booking, unit_price_pence: int, note: str, worker_id: int | None = None
) -> Offer:
    """A provider proposes another price for the same request (e.g. more sessions for the same
    money). One open offer at a time; a new one replaces the last."""
    _require(user, booking, Side.PROVIDER)
    if booking.state != BookingState.REQUESTED:
        raise DomainError("You can only make an offer on a request you have not answered")
    if unit_price_pence <= 0:
        raise DomainError("Enter a price above £0", field="price")
    _assign_worker(booking, worker_id)
    for earlier in booking.offers:
        if earlier.state == OfferState.OPEN:
            earlier.state = OfferState.WITHDRAWN
    made = Offer(
        booking_id=booking.id,
        unit_price_pence=unit_price_pence,
        note=note.strip()[:2000],
        made_by_id=user.id,
    )
    db.session.add(made)
    # The holder needs time to answer: the request stays open as long again.
    booking.expires_at = utcnow() + timedelta(hours=_config("BOOKING_REQUEST_EXPIRY_HOURS", 48))
    db.session.flush()
    notify.offered(booking)
    return made


@atomic
def answer_offer(user: User, made: Offer, *, accept_it: bool, today: date) -> Booking:
    """The holder's side takes the offer (the booking is accepted at that price) or turns it
    down (the request stays with the provider)."""
    booking = made.booking
    _require(user, booking, Side.HOLDER)
    if made.state != OfferState.OPEN:
        raise DomainError("This offer is no longer open")
    if not accept_it:
        made.state = OfferState.DECLINED
        return booking
    made.state = OfferState.ACCEPTED
    booking.unit_price_pence = made.unit_price_pence
    return _accept(booking, Side.HOLDER, user.id, today)


def expire_due(now: datetime | None = None) -> list[Booking]:
    """Requests nobody answered in time become expired (and count as unmet demand)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Booking).where(Booking.state == BookingState.REQUESTED, Booking.expires_at <= now)
    ).all()
    for booking in due:
        move_booking(
            booking,
            BookingState.EXPIRED,
            side=Side.SYSTEM,
            actor_id=None,
            reason="No answer in time",
        )
        notify.expired(booking)
    return list(due)


def extend_rotas(today: date) -> list[Occurrence]:
    """Schedule and hold the next weeks of every accepted rota as they come due. A failed hold
    (the pot cannot pay) is recorded and the rota is left for people to sort out."""
    made: list[Occurrence] = []
    rotas = db.session.scalars(
        select(Booking).where(
            Booking.state == BookingState.ACCEPTED, Booking.kind == BookingKind.ROTA
        )
    ).all()
    until = today + timedelta(days=HOLD_AHEAD_DAYS - 1)
    for booking in rotas:
        if booking.scheduled_until and booking.scheduled_until >= until:
            continue
        try:
            with db.session.begin_nested():
                made.extend(_schedule_and_hold(booking, until))
        except payments.SpendRefused as refused:
            db.session.add(refused.refusal)
            notify.rota_not_funded(booking, refused.message)
    return made


# Cancelling.


@atomic
def cancel_by_holder(
    user: User, booking: Booking, reason: str, now: datetime | None = None
) -> Booking:
    """Free before the listing's notice period; inside it, the listing's charge is paid to the
    provider for each session inside the notice and the rest of the money returns to the pot."""
    side = _require(user, booking, Side.HOLDER, Side.COMMISSIONER)
    now = now or utcnow()
    notice = timedelta(hours=booking.listing.cancellation_notice_hours)
    charge_bps = booking.listing.cancellation_charge_bps
    was = booking.state
    move_booking(
        booking, BookingState.CANCELLED_BY_HOLDER, side=side, actor_id=user.id, reason=reason
    )
    if was == BookingState.ACCEPTED:
        for occurrence in booking.occurrences:
            if occurrence.state == OccurrenceState.SCHEDULED:
                late = occurrence.starts_at - now < notice
                _close(occurrence, side, user.id, reason, charge_bps if late else 0)
    notify.cancelled(booking, by_provider=False)
    return booking


@atomic
def cancel_by_provider(user: User, booking: Booking, reason: str) -> Booking:
    """Always free to the holder: every scheduled session's money returns to the pot."""
    _require(user, booking, Side.PROVIDER)
    if not reason.strip():
        raise DomainError("Tell the person why you are cancelling", field="reason")
    move_booking(
        booking,
        BookingState.CANCELLED_BY_PROVIDER,
        side=Side.PROVIDER,
        actor_id=user.id,
        reason=reason.strip(),
    )
    for occurrence in booking.occurrences:
        if occurrence.state == OccurrenceState.SCHEDULED:
            _close(occurrence, Side.PROVIDER, user.id, reason, 0)
    notify.cancelled(booking, by_provider=True)
    return booking


def _close(occurrence: Occurrence, side: Side, actor_id: int, reason: str, charge_bps: int) -> None:
    move_occurrence(
        occurrence, OccurrenceState.CANCELLED, side=side, actor_id=actor_id, reason=reason
    )
    if occurrence.hold is None:
        return
    charge = apply_basis_points(occurrence.price_pence, charge_bps)
    if charge > 0:
        payments.settle(occurrence.hold, charge)
    else:
        payments.release(occurrence.hold)


# Delivery, confirmation, disputes.


@atomic
def mark_delivered(
    user: User, occurrence: Occurrence, actual_minutes: int, now: datetime | None = None
) -> Occurrence:
    """The provider records a session as delivered with the time actually worked."""
    _require(user, occurrence.booking, Side.PROVIDER)
    now = now or utcnow()
    if occurrence.starts_at > now:
        raise DomainError("You can only mark a session delivered once it has started")
    if not 1 <= actual_minutes <= 24 * 60:
        raise DomainError("Enter the time worked, between 1 minute and 24 hours", field="minutes")
    move_occurrence(occurrence, OccurrenceState.DELIVERED, side=Side.PROVIDER, actor_id=user.id)
    occurrence.actual_minutes = actual_minutes
    occurrence.delivered_at = now
    notify.delivered(occurrence)
    return occurrence


def amount_due(occurrence: Occurrence) -> int:
    """What the provider is paid: the time worked at the agreed rate, never more than was held."""
    booking = occurrence.booking
    minutes = occurrence.actual_minutes or int(
        (occurrence.ends_at - occurrence.starts_at).total_seconds() // 60
    )
    worked = occurrence_price(booking.unit_price_pence, booking.price_unit, minutes)
    return min(worked, occurrence.price_pence)


@atomic
def confirm(user: User, occurrence: Occurrence) -> Occurrence:
    """The holder's side confirms delivery: the provider is paid through the payments service."""
    _require(user, occurrence.booking, Side.HOLDER)
    return _confirm(occurrence, Side.HOLDER, user.id)


def _confirm(
    occurrence: Occurrence, side: Side, actor_id: int | None, amount: int | None = None
) -> Occurrence:
    move_occurrence(occurrence, OccurrenceState.CONFIRMED, side=side, actor_id=actor_id)
    if occurrence.hold is not None:
        payments.settle(occurrence.hold, amount_due(occurrence) if amount is None else amount)
    return occurrence


@atomic
def dispute(user: User, occurrence: Occurrence, reason: str) -> Occurrence:
    """The holder's side disputes a delivery: the money stays held until a commissioner decides."""
    _require(user, occurrence.booking, Side.HOLDER)
    if not reason.strip():
        raise DomainError("Tell us what went wrong", field="reason")
    move_occurrence(
        occurrence,
        OccurrenceState.DISPUTED,
        side=Side.HOLDER,
        actor_id=user.id,
        reason=reason.strip(),
    )
    notify.disputed(occurrence)
    return occurrence


@atomic
def resolve_dispute(user: User, occurrence: Occurrence, pay_pence: int, note: str) -> Occurrence:
    """A commissioner pays the provider `pay_pence` (all, part or nothing) and returns the rest."""
    _require(user, occurrence.booking, Side.COMMISSIONER)
    if not 0 <= pay_pence <= occurrence.price_pence:
        raise DomainError(
            f"Enter an amount between £0 and {format_pence(occurrence.price_pence)}", field="amount"
        )
    if pay_pence == 0:
        move_occurrence(
            occurrence,
            OccurrenceState.CANCELLED,
            side=Side.COMMISSIONER,
            actor_id=user.id,
            reason=note,
        )
        if occurrence.hold is not None:
            payments.release(occurrence.hold)
        return occurrence
    return _confirm(occurrence, Side.COMMISSIONER, user.id, pay_pence)


def auto_confirm(now: datetime | None = None) -> list[Occurrence]:
    """Deliveries neither confirmed nor disputed within seven days are confirmed and paid."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Occurrence).where(
            Occurrence.state == OccurrenceState.DELIVERED,
            Occurrence.delivered_at <= now - CONFIRM_WITHIN,
        )
    ).all()
    for occurrence in due:
        _confirm(occurrence, Side.SYSTEM, None)
    return list(due)
