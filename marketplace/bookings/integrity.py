"""Bookings and money agree: the checks `flask --app wsgi verify` runs beside the ledger's.

Each check is one query over the whole database and names every row that breaks it, in plain
words an operator can act on. Nothing here writes.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from marketplace.bookings.models import Booking, BookingState, Occurrence, OccurrenceState
from marketplace.extensions import db
from marketplace.payments.models import Hold, HoldStatus

# A session whose money is still set aside: booked, delivered and waiting, or in dispute.
LIVE = (OccurrenceState.SCHEDULED, OccurrenceState.DELIVERED, OccurrenceState.DISPUTED)
# A booking nobody agreed to has no sessions.
NEVER_AGREED = (BookingState.REQUESTED, BookingState.DECLINED, BookingState.EXPIRED)
# A cancelled booking has no session still to come.
CANCELLED = (BookingState.CANCELLED_BY_HOLDER, BookingState.CANCELLED_BY_PROVIDER)
# Money paid to a provider for a session: confirmed, paid, or a late cancellation's charge.
MAY_BE_SETTLED = (OccurrenceState.CONFIRMED, OccurrenceState.PAID, OccurrenceState.CANCELLED)


def everything() -> list[str]:
    """What `flask --app wsgi verify` reports: the ledger's differences, then the bookings'."""
    from marketplace.payments.cli import ledger_problems

    return [*ledger_problems(), *problems()]


def problems() -> list[str]:
    """Every disagreement between bookings and the money held for them; empty when none."""
    return [
        *_live_sessions_without_their_hold(),
        *_holds_without_a_live_session(),
        *_finished_sessions_not_settled(),
        *_settlements_without_a_finished_session(),
        *_sessions_of_bookings_never_agreed(),
        *_sessions_to_come_of_cancelled_bookings(),
    ]


def _live_sessions_without_their_hold() -> list[str]:
    rows = db.session.execute(
        select(Occurrence.id, Occurrence.price_pence, Hold.id, Hold.status, Hold.amount_pence)
        .outerjoin(Hold, Hold.id == Occurrence.hold_id)
        .where(Occurrence.state.in_(LIVE), Occurrence.price_pence > 0)
        .where(
            or_(
                Hold.id.is_(None),
                Hold.status != HoldStatus.HELD,
                Hold.amount_pence != Occurrence.price_pence,
            )
        )
        .order_by(Occurrence.id)
    ).all()
    return [
        f"session {occurrence_id} (price {price} pence) is live but "
        + (
            "has no money held"
            if hold_id is None
            else f"its hold {hold_id} is {status.value} with {amount} pence"
        )
        for occurrence_id, price, hold_id, status, amount in rows
    ]


def _holds_without_a_live_session() -> list[str]:
    live = select(Occurrence.hold_id).where(
        Occurrence.state.in_(LIVE), Occurrence.hold_id.is_not(None)
    )
    rows = db.session.execute(
        select(Hold.id, Hold.reference, Hold.amount_pence)
        .where(Hold.status == HoldStatus.HELD, Hold.reference.startswith("occurrence:"))
        .where(Hold.id.not_in(live))
        .order_by(Hold.id)
    ).all()
    return [
        f"hold {hold_id} ({reference}) keeps {amount} pence for no live session"
        for hold_id, reference, amount in rows
    ]


def _finished_sessions_not_settled() -> list[str]:
    rows = db.session.execute(
        select(Occurrence.id, Occurrence.state, Hold.id, Hold.status)
        .join(Hold, Hold.id == Occurrence.hold_id)
        .where(
            or_(
                and_(
                    Occurrence.state.in_((OccurrenceState.CONFIRMED, OccurrenceState.PAID)),
                    Hold.status != HoldStatus.SETTLED,
                ),
                and_(Occurrence.state == OccurrenceState.CANCELLED, Hold.status == HoldStatus.HELD),
            )
        )
        .order_by(Occurrence.id)
    ).all()
    return [
        f"session {occurrence_id} is {state.value} but its hold {hold_id} is {status.value}"
        for occurrence_id, state, hold_id, status in rows
    ]


def _sessions_of_bookings_never_agreed() -> list[str]:
    rows = db.session.execute(
        select(Booking.id, Booking.state, Occurrence.id)
        .join(Occurrence, Occurrence.booking_id == Booking.id)
        .where(Booking.state.in_(NEVER_AGREED))
        .order_by(Booking.id, Occurrence.id)
    ).all()
    return [
        f"booking {booking_id} is {state.value} yet has session {occurrence_id}"
        for booking_id, state, occurrence_id in rows
    ]


def _settlements_without_a_finished_session() -> list[str]:
    rows = db.session.execute(
        select(Hold.id, Hold.reference, Occurrence.id, Occurrence.state)
        .outerjoin(Occurrence, Occurrence.hold_id == Hold.id)
        .where(Hold.status == HoldStatus.SETTLED, Hold.reference.startswith("occurrence:"))
        .where(or_(Occurrence.id.is_(None), Occurrence.state.not_in(MAY_BE_SETTLED)))
        .order_by(Hold.id)
    ).all()
    return [
        f"hold {hold_id} ({reference}) was paid out but "
        + ("no session holds it" if state is None else f"session {occurrence_id} is {state.value}")
        for hold_id, reference, occurrence_id, state in rows
    ]


def _sessions_to_come_of_cancelled_bookings() -> list[str]:
    rows = db.session.execute(
        select(Booking.id, Booking.state, Occurrence.id)
        .join(Occurrence, Occurrence.booking_id == Booking.id)
        .where(Booking.state.in_(CANCELLED), Occurrence.state == OccurrenceState.SCHEDULED)
        .order_by(Booking.id, Occurrence.id)
    ).all()
    return [
        f"booking {booking_id} is {state.value} yet session {occurrence_id} is still booked"
        for booking_id, state, occurrence_id in rows
    ]
