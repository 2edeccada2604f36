"""The provider's answer: accepting (scheduling and holding the money), declining, offers,
expiry, and rotas extended as their weeks come due."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select

from marketplace.accounts.models import User
from marketplace.bookings import notifications as notify
from marketplace.bookings import schedule, week
from marketplace.bookings.models import (
    Booking,
    BookingKind,
    BookingState,
    Occurrence,
    OccurrenceState,
    Offer,
    OfferState,
)
from marketplace.bookings.services.parties import (
    HOLD_AHEAD_DAYS,
    config,
    reason_given,
    require,
)
from marketplace.bookings.services.prices import describe, hourly_rate, occurrence_price
from marketplace.bookings.services.refusals import refusal_reference
from marketplace.bookings.services.requests import plan_until, planned_shifts, request_of
from marketplace.bookings.states import AlreadyMoved, Side, move_booking
from marketplace.conversations import blocks
from marketplace.directory.models import MAX_UNIT_PRICE_PENCE, Provider
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.money import format_pence
from marketplace.payments import services as payments
from marketplace.payments.models import Hold
from marketplace.transactions import atomic
from provider_onboarding.models import Worker

# Accepting, declining, offers, expiry.


def _lock_provider(provider_id: int) -> None:
    """Serialise accepts for one provider, so two cannot both pass the overlap check."""
    db.session.execute(select(Provider.id).where(Provider.id == provider_id).with_for_update())


def _lock_booking(booking: Booking) -> None:
    """Take the booking's row lock and read it afresh, so two requests about it take turns."""
    db.session.refresh(booking, with_for_update=True)


def _open_offer(booking: Booking, pence: int, note: str, worker_id: int | None) -> Offer | None:
    return next(
        (
            o
            for o in booking.offers
            if o.state == OfferState.OPEN
            and (o.unit_price_pence, o.note) == (pence, note)
            and booking.worker_id == worker_id
        ),
        None,
    )


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
            .order_by(Worker.name, Worker.id)
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


def _schedule_and_hold(
    booking: Booking, until: date, *, skip_misfits: bool = False
) -> list[Occurrence]:
    """Make the occurrences up to `until` that do not exist yet and set their money aside.
    With `skip_misfits`, dates that no longer fit the provider's week (a day off added since,
    a session booked meanwhile) are left out rather than booked."""
    start = booking.scheduled_until + timedelta(days=1) if booking.scheduled_until else None
    shifts = [
        s
        for s in planned_shifts(booking.listing, request_of(booking), until)
        if start is None or s.starts_at.astimezone(schedule.LONDON).date() >= start
    ]
    if skip_misfits and shifts:
        free = week.week_of(
            booking.listing,
            first=shifts[0].starts_at,
            last=max(s.ends_at for s in shifts),
            booking_id=booking.id,
            worker_id=booking.worker_id,
        )
        skipped = free.misfits(shifts)
        shifts = [s for s in shifts if free.misfit(s) is None]
        if skipped:
            notify.rota_dates_skipped(booking, skipped)
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
            occurrence.hold_id = _hold(booking, occurrence, shift).id
        made.append(occurrence)
    booking.scheduled_until = until
    return made


def _hold(booking: Booking, occurrence: Occurrence, shift: schedule.Shift) -> Hold:
    """Set a session's money aside. A refusal is kept under the booking, whose page says why."""
    try:
        return payments.hold(
            booking.pot,
            occurrence.price_pence,
            f"occurrence:{occurrence.id}",
            provider=booking.provider,
            category=booking.category,
            description=describe(shift),
            hourly_rate_pence=hourly_rate(booking.unit_price_pence, booking.price_unit),
        )
    except payments.SpendRefused as refused:
        refused.refusal.reference = refusal_reference(booking)
        raise


@atomic
def accept(user: User, booking: Booking, today: date, worker_id: int | None = None) -> Booking:
    """The provider accepts: the price is fixed, the first four weeks (or the session) are
    scheduled and their money held. Raises payments.SpendRefused when the pot cannot pay
    (the refusal is recorded; commit to keep it) and DomainError on a clash."""
    require(user, booking, Side.PROVIDER)
    blocks.refuse_if_blocked(booking.holder_id, booking.provider_id, blocks.ACCEPT_REFUSED)
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
    # The week may have changed since the request: a day off added, another booking accepted.
    asked = request_of(booking)
    planned = [
        s
        for s in planned_shifts(booking.listing, asked, plan_until(asked, today))
        if s.starts_at.astimezone(schedule.LONDON).date() >= today
    ]
    week.check(booking.listing, planned, booking_id=booking.id, worker_id=booking.worker_id)
    move_booking(booking, BookingState.ACCEPTED, side=side, actor_id=actor_id)
    booking.accepted_at = utcnow()
    booking.cancellation_notice_hours = booking.listing.cancellation_notice_hours
    booking.cancellation_charge_bps = booking.listing.cancellation_charge_bps
    _schedule_and_hold(booking, today + timedelta(days=HOLD_AHEAD_DAYS - 1))
    notify.accepted(booking)
    return booking


@atomic
def decline(user: User, booking: Booking, reason: str) -> Booking:
    require(user, booking, Side.PROVIDER)
    why = reason_given(reason, "Tell the person why you cannot take this booking")
    move_booking(booking, BookingState.DECLINED, side=Side.PROVIDER, actor_id=user.id, reason=why)
    notify.declined(booking, why)
    return booking


@atomic
def offer(
    user: User, booking: Booking, unit_price_pence: int, note: str, worker_id: int | None = None
) -> Offer:
    """A provider proposes another price for the same request (e.g. more sessions for the same
    money). One open offer at a time; a new one replaces the last."""
    require(user, booking, Side.PROVIDER)
    if booking.state != BookingState.REQUESTED:
        raise DomainError("You can only make an offer on a request you have not answered")
    if unit_price_pence <= 0:
        raise DomainError("Enter a price above £0", field="price")
    if unit_price_pence > MAX_UNIT_PRICE_PENCE:
        limit = format_pence(MAX_UNIT_PRICE_PENCE)
        raise DomainError(f"Enter a price of {limit} or less", field="price")
    blocks.refuse_if_blocked(booking.holder_id, booking.provider_id, blocks.OFFER_REFUSED)
    _lock_booking(booking)
    if booking.state != BookingState.REQUESTED:
        raise DomainError("You can only make an offer on a request you have not answered")
    same = _open_offer(booking, unit_price_pence, note.strip()[:2000], worker_id)
    if same is not None:  # sent twice (a double click): the first stands, told once
        return same
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
    booking.expires_at = utcnow() + timedelta(hours=config("BOOKING_REQUEST_EXPIRY_HOURS", 48))
    db.session.flush()
    notify.offered(booking)
    return made


@atomic
def answer_offer(user: User, made: Offer, *, accept_it: bool, today: date) -> Booking:
    """The holder's side takes the offer (the booking is accepted at that price) or turns it
    down (the request stays with the provider)."""
    booking = made.booking
    require(user, booking, Side.HOLDER)
    if made.state == (OfferState.ACCEPTED if accept_it else OfferState.DECLINED):
        # The same answer again (a double click): answered as the first was, nothing more done.
        raise AlreadyMoved(booking.state)
    if made.state != OfferState.OPEN:
        raise DomainError("This offer is no longer open")
    if not accept_it:
        made.state = OfferState.DECLINED
        return booking
    blocks.refuse_if_blocked(booking.holder_id, booking.provider_id, blocks.REQUEST_REFUSED)
    made.state = OfferState.ACCEPTED
    booking.unit_price_pence = made.unit_price_pence
    return _accept(booking, Side.HOLDER, user.id, today)


def expire_due(now: datetime | None = None) -> list[Booking]:
    """Requests nobody answered in time become expired (and count as unmet demand)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Booking)
        .where(Booking.state == BookingState.REQUESTED, Booking.expires_at <= now)
        .order_by(Booking.id)
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
        select(Booking)
        .where(Booking.state == BookingState.ACCEPTED, Booking.kind == BookingKind.ROTA)
        .order_by(Booking.id)
    ).all()
    until = today + timedelta(days=HOLD_AHEAD_DAYS - 1)
    for booking in rotas:
        if booking.scheduled_until and booking.scheduled_until >= until:
            continue
        try:
            with db.session.begin_nested():
                made.extend(_schedule_and_hold(booking, until, skip_misfits=True))
        except payments.SpendRefused as refused:
            db.session.add(refused.refusal)
            notify.rota_not_funded(booking, refused.message)
    return made
