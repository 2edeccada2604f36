"""Why a booking's money could not be set aside, kept so both sides can read it on the booking."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.bookings.models import Booking, BookingState, Occurrence
from marketplace.extensions import db
from marketplace.payments.models import Hold, SpendRefusal


def refusal_reference(booking: Booking) -> str:
    """The reference a refused hold of this booking is kept under (its session was undone, so
    the booking is what the refusal is about)."""
    return f"booking:{booking.id}"


def standing_refusal(booking: Booking) -> SpendRefusal | None:
    """The newest refusal that still stands: one made while the booking waits for an answer,
    or, once it is accepted, one of a later week of its rota that has not been booked since.
    None when there is none."""
    if booking.state == BookingState.REQUESTED:
        since = booking.created_at
    elif booking.state == BookingState.ACCEPTED and booking.accepted_at is not None:
        since = booking.accepted_at
    else:
        return None
    refusal = db.session.scalar(
        select(SpendRefusal)
        .where(
            SpendRefusal.pot_id == booking.pot_id,
            SpendRefusal.reference == refusal_reference(booking),
            SpendRefusal.created_at >= since,
        )
        .order_by(SpendRefusal.id.desc())
        .limit(1)
    )
    if refusal is None or booking.state == BookingState.REQUESTED:
        return refusal
    return None if _booked_since(booking, refusal) else refusal


def _booked_since(booking: Booking, refusal: SpendRefusal) -> bool:
    """Whether an accepted rota's weeks were booked after the refusal: it is booked to its
    end, or a later week's money was set aside after it (the budget was topped up, say)."""
    ends, until = booking.rota_ends_on, booking.scheduled_until
    if ends is not None and until is not None and until >= ends:
        return True
    later = (
        select(Hold.id)
        .join(Occurrence, Occurrence.hold_id == Hold.id)
        .where(Occurrence.booking_id == booking.id, Hold.created_at > refusal.created_at)
        .limit(1)
    )
    return db.session.scalar(later) is not None
