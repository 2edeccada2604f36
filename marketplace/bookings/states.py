"""The allowed moves of bookings and occurrences, and the one function that applies a move."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Protocol

from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    BookingState,
    Occurrence,
    OccurrenceState,
)
from marketplace.errors import DomainError
from marketplace.extensions import db


class Side(enum.StrEnum):
    """Who makes a move: the holder's side (holder, representative), the provider's staff, the
    holder's commissioner, or the service itself (expiry, auto-confirmation)."""

    HOLDER = "holder"
    PROVIDER = "provider"
    COMMISSIONER = "commissioner"
    SYSTEM = "system"


H, P, C, S = Side.HOLDER, Side.PROVIDER, Side.COMMISSIONER, Side.SYSTEM

BOOKING_MOVES: dict[tuple[BookingState, BookingState], frozenset[Side]] = {
    # A provider accepts a request; a holder accepts a provider's counter-offer.
    (BookingState.REQUESTED, BookingState.ACCEPTED): frozenset({P, H}),
    (BookingState.REQUESTED, BookingState.DECLINED): frozenset({P}),
    (BookingState.REQUESTED, BookingState.EXPIRED): frozenset({S}),
    (BookingState.REQUESTED, BookingState.CANCELLED_BY_HOLDER): frozenset({H, C}),
    (BookingState.ACCEPTED, BookingState.CANCELLED_BY_HOLDER): frozenset({H, C}),
    (BookingState.ACCEPTED, BookingState.CANCELLED_BY_PROVIDER): frozenset({P}),
    (BookingState.ACCEPTED, BookingState.ENDED): frozenset({S}),
}

OCCURRENCE_MOVES: dict[tuple[OccurrenceState, OccurrenceState], frozenset[Side]] = {
    (OccurrenceState.SCHEDULED, OccurrenceState.DELIVERED): frozenset({P}),
    (OccurrenceState.SCHEDULED, OccurrenceState.CANCELLED): frozenset({H, P, C, S}),
    (OccurrenceState.DELIVERED, OccurrenceState.CONFIRMED): frozenset({H, S}),
    (OccurrenceState.DELIVERED, OccurrenceState.DISPUTED): frozenset({H}),
    # A commissioner resolves a dispute: pay (in full or part) or refund to the pot.
    (OccurrenceState.DISPUTED, OccurrenceState.CONFIRMED): frozenset({C}),
    (OccurrenceState.DISPUTED, OccurrenceState.CANCELLED): frozenset({C}),
    (OccurrenceState.CONFIRMED, OccurrenceState.PAID): frozenset({S}),
}


class MoveNotAllowed(DomainError):
    """This change is not possible from where the booking stands, or not by this person."""


class _Labelled(Protocol):
    @property
    def label(self) -> str: ...


def _check(
    table: Mapping[tuple[Any, Any], frozenset[Side]],
    current: _Labelled,
    target: _Labelled,
    side: Side,
) -> None:
    sides = table.get((current, target))
    if sides is None:
        raise MoveNotAllowed(
            f"This cannot change from {current.label.lower()} to {target.label.lower()}"
        )
    if side not in sides:
        raise MoveNotAllowed("You cannot make this change")


def move_booking(
    booking: Booking, target: BookingState, *, side: Side, actor_id: int | None, reason: str = ""
) -> BookingEvent:
    """Apply an allowed move and record who made it. Raises MoveNotAllowed otherwise."""
    _check(BOOKING_MOVES, booking.state, target, side)
    event = BookingEvent(
        booking_id=booking.id,
        from_state=booking.state.value,
        to_state=target.value,
        actor_id=actor_id,
        reason=reason[:500],
    )
    booking.state = target
    db.session.add(event)
    return event


def move_occurrence(
    occurrence: Occurrence,
    target: OccurrenceState,
    *,
    side: Side,
    actor_id: int | None,
    reason: str = "",
) -> BookingEvent:
    """Apply an allowed move to one occurrence and record it. Raises MoveNotAllowed otherwise."""
    _check(OCCURRENCE_MOVES, occurrence.state, target, side)
    event = BookingEvent(
        booking_id=occurrence.booking_id,
        occurrence_id=occurrence.id,
        from_state=occurrence.state.value,
        to_state=target.value,
        actor_id=actor_id,
        reason=reason[:500],
    )
    occurrence.state = target
    db.session.add(event)
    return event
