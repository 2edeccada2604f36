"""After acceptance: cancelling, delivery, confirmation and disputes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.bookings import notifications as notify
from marketplace.bookings import words
from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    BookingState,
    Occurrence,
    OccurrenceState,
)
from marketplace.bookings.services.parties import CONFIRM_WITHIN, reason_given, require
from marketplace.bookings.services.prices import occurrence_price
from marketplace.bookings.states import Side, move_booking, move_occurrence
from marketplace.clock import LONDON
from marketplace.commissioning.alerts import storage as alerts
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.money import apply_basis_points, format_pence
from marketplace.payments import services as payments
from marketplace.transactions import atomic, locked

# Cancelling.


@atomic
def cancel_by_holder(
    user: User, booking: Booking, reason: str, now: datetime | None = None
) -> Booking:
    """Free before the notice period agreed at acceptance; inside it, the agreed charge is paid
    to the provider for each session inside the notice and the rest returns to the pot."""
    side = require(user, booking, Side.HOLDER, Side.COMMISSIONER)
    now = now or utcnow()
    notice = timedelta(hours=booking.notice_hours)
    charge_bps = booking.charge_bps
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
    require(user, booking, Side.PROVIDER)
    why = reason_given(reason, "Tell the person why you are cancelling")
    cancelled = BookingState.CANCELLED_BY_PROVIDER
    move_booking(booking, cancelled, side=Side.PROVIDER, actor_id=user.id, reason=why)
    for occurrence in booking.occurrences:
        if occurrence.state == OccurrenceState.SCHEDULED:
            _close(occurrence, Side.PROVIDER, user.id, why, 0)
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
    require(user, occurrence.booking, Side.PROVIDER)
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
    require(user, occurrence.booking, Side.HOLDER)
    return _confirm(occurrence, Side.HOLDER, user.id)


def _confirm(
    occurrence: Occurrence,
    side: Side,
    actor_id: int | None,
    amount: int | None = None,
    reason: str = "",
) -> Occurrence:
    move_occurrence(
        occurrence, OccurrenceState.CONFIRMED, side=side, actor_id=actor_id, reason=reason
    )
    if occurrence.hold is not None:
        payments.settle(occurrence.hold, amount_due(occurrence) if amount is None else amount)
    return occurrence


@atomic
def dispute(user: User, occurrence: Occurrence, reason: str) -> Occurrence:
    """The holder's side disputes a delivery: the money stays held until a commissioner decides."""
    require(user, occurrence.booking, Side.HOLDER)
    why = reason_given(reason, "Tell us what went wrong")
    move_occurrence(
        occurrence, OccurrenceState.DISPUTED, side=Side.HOLDER, actor_id=user.id, reason=why
    )
    notify.disputed(occurrence)
    return occurrence


@dataclass(frozen=True)
class Decision:
    """A commissioner's decision on a disputed session: when, by whom (their name, "" when
    unknown), what the provider was paid of the money set aside, and the note saying why."""

    at: datetime
    by: str
    paid_pence: int
    held_pence: int
    note: str

    @property
    def returned_pence(self) -> int:
        return self.held_pence - self.paid_pence


class NotDisputed(DomainError):
    """The session has no dispute waiting (most often: another decision came first). Nothing
    more is done; `decision` is the one already made, if any."""

    def __init__(self, decision: Decision | None) -> None:
        if decision is None:
            super().__init__("There is no dispute to decide about this session")
        else:
            super().__init__(
                words.decided_words(
                    decision.at, decision.by, decision.paid_pence, decision.held_pence
                )
            )
        self.decision = decision


def decisions(occurrences: Iterable[Occurrence]) -> dict[int, Decision]:
    """The decision on each of these sessions that a commissioner decided after a dispute, by
    the session's id. What was paid is what left the budget for it (the provider's share and the
    platform fee), as the session's money set aside (payments' hold) was settled."""
    by_id = {o.id: o for o in occurrences}
    events = db.session.scalars(
        select(BookingEvent)
        .where(
            BookingEvent.occurrence_id.in_(by_id),
            BookingEvent.from_state == OccurrenceState.DISPUTED.value,
        )
        .order_by(BookingEvent.id)
    ).all()
    names = {
        u.id: u.full_name
        for u in db.session.scalars(select(User).where(User.id.in_({e.actor_id for e in events})))
    }
    return {
        e.occurrence_id: Decision(
            at=e.at,
            by=names.get(e.actor_id or 0, ""),
            paid_pence=_paid(by_id[e.occurrence_id]),
            held_pence=by_id[e.occurrence_id].price_pence,
            note=e.reason,
        )
        for e in events
        if e.occurrence_id is not None
    }


def decision_of(occurrence: Occurrence) -> Decision | None:
    """The commissioner's decision on this session's dispute; None when none was made."""
    return decisions([occurrence]).get(occurrence.id)


def _paid(occurrence: Occurrence) -> int:
    held = occurrence.hold
    return held.settled_pence + held.fee_pence if held is not None else 0


@atomic
def resolve_dispute(user: User, occurrence: Occurrence, pay_pence: int, note: str) -> Occurrence:
    """A commissioner pays the provider `pay_pence` (all, part or nothing) and returns the rest,
    once: the session is locked first, so of two decisions sent at once the second waits, then
    sees the first. Recorded in the audit log. Raises NotDisputed when there is no dispute
    waiting (already decided), DomainError (field "amount") for an amount outside what is set
    aside."""
    require(user, occurrence.booking, Side.COMMISSIONER)
    locked(Occurrence, occurrence.id)  # read afresh: the state the first decision left
    if occurrence.state != OccurrenceState.DISPUTED:
        raise NotDisputed(decision_of(occurrence))
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
    else:
        _confirm(occurrence, Side.COMMISSIONER, user.id, pay_pence, reason=note)
    audit.note(
        "session.dispute_decided",
        occurrence,
        user,
        tenant_id=occurrence.booking.holder.tenant_id,
        booking_id=occurrence.booking_id,
        paid_pence=pay_pence,
        returned_pence=occurrence.price_pence - pay_pence,
    )
    alerts.dispute_decided(occurrence.booking.pot.tenant_id, occurrence, utcnow())
    return occurrence


def auto_confirm(now: datetime | None = None) -> list[Occurrence]:
    """Deliveries neither confirmed nor disputed within seven days are confirmed and paid."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Occurrence)
        .where(
            Occurrence.state == OccurrenceState.DELIVERED,
            Occurrence.delivered_at <= now - CONFIRM_WITHIN,
        )
        .order_by(Occurrence.id)
    ).all()
    for occurrence in due:
        _confirm(occurrence, Side.SYSTEM, None)
    return list(due)


# Naming sessions for people.


def _session_id(reference: str) -> int | None:
    kind, _, number = reference.partition(":")
    return int(number) if kind == "occurrence" and number.isdigit() else None


def named_sessions(references: str) -> str:
    """Money references of sessions ('occurrence:1 occurrence:2') as a person knows them:
    'B1: Tue 3 Nov, Thu 5 Nov', bookings separated by '; '. Other references stay as they are."""
    given = references.split()
    sessions = db.session.scalars(
        select(Occurrence)
        .where(Occurrence.id.in_({_session_id(ref) for ref in given} - {None}))
        .order_by(Occurrence.booking_id, Occurrence.starts_at, Occurrence.id)
    ).all()
    days: dict[int, list[str]] = {}
    for session in sessions:
        day = f"{session.starts_at.astimezone(LONDON):%a %-d %b}"
        days.setdefault(session.booking_id, []).append(day)
    found = {session.id for session in sessions}
    named = [f"B{booking}: {', '.join(d)}" for booking, d in days.items()]
    others = " ".join(ref for ref in given if _session_id(ref) not in found)
    return "; ".join(named + ([others] if others else []))
