"""Why a booking's money could not be set aside, kept so both sides can read it on the booking."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.bookings.models import Booking, BookingState
from marketplace.extensions import db
from marketplace.payments.models import SpendRefusal


def refusal_reference(booking: Booking) -> str:
    """The reference a refused hold of this booking is kept under (its session was undone, so
    the booking is what the refusal is about)."""
    return f"booking:{booking.id}"


def standing_refusal(booking: Booking) -> SpendRefusal | None:
    """The newest refusal that still stands: one made while the booking waits for an answer,
    or, once it is accepted, one of a later week of its rota. None when there is none."""
    if booking.state == BookingState.REQUESTED:
        since = booking.created_at
    elif booking.state == BookingState.ACCEPTED and booking.accepted_at is not None:
        since = booking.accepted_at
    else:
        return None
    return db.session.scalar(
        select(SpendRefusal)
        .where(
            SpendRefusal.pot_id == booking.pot_id,
            SpendRefusal.reference == refusal_reference(booking),
            SpendRefusal.created_at >= since,
        )
        .order_by(SpendRefusal.id.desc())
        .limit(1)
    )
