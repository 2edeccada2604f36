"""The allowed moves of bookings and occurrences, and the one function that applies a move."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, inspect, update
from sqlalchemy.orm.attributes import set_committed_value

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


class AlreadyMoved(MoveNotAllowed):
    """Another request made this very move first (a double click, a second tab): nothing more
    is done, and the person is answered as the first request was."""

    def __init__(self, target: _Labelled) -> None:
        super().__init__(f"This is already {target.label.lower()}")


def _compare_and_set(row: Booking | Occurrence, current: Any, target: Any) -> None:
    """Change the row's state only where it still is `current`, in one UPDATE; the database,
    not this process, decides which of two requests moves it. Raises AlreadyMoved when another
    request moved it to `target` first, MoveNotAllowed when it moved elsewhere."""
    if not inspect(row).persistent:  # not in the database yet: nothing can race it
        row.state = target
        return
    model = type(row)
    result = db.session.execute(
        update(model)
        .where(model.id == row.id, model.state == current)
        .values(state=target)
        .execution_options(synchronize_session=False)
    )
    changed = cast(CursorResult[Any], result).rowcount
    if changed == 1:
        set_committed_value(row, "state", target)
        return
    db.session.refresh(row, ["state"])
    if row.state == target:
        raise AlreadyMoved(target)
    raise MoveNotAllowed(f"This has changed: it is now {row.state.label.lower()}")


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
    """Apply an allowed move (compare-and-set) and record who made it. Raises MoveNotAllowed
    otherwise, AlreadyMoved when another request made the same move first."""
    current = _move(booking, BOOKING_MOVES, target, side)
    return _record(booking.id, None, current, target, actor_id, reason)


def move_occurrence(
    occurrence: Occurrence,
    target: OccurrenceState,
    *,
    side: Side,
    actor_id: int | None,
    reason: str = "",
) -> BookingEvent:
    """Apply an allowed move to one occurrence (compare-and-set) and record it. Raises
    MoveNotAllowed otherwise, AlreadyMoved when another request made the same move first."""
    current = _move(occurrence, OCCURRENCE_MOVES, target, side)
    return _record(occurrence.booking_id, occurrence.id, current, target, actor_id, reason)


def _move(
    row: Booking | Occurrence,
    table: Mapping[tuple[Any, Any], frozenset[Side]],
    target: Any,
    side: Side,
) -> Any:
    """Check the move against its table and make it; the state it was in."""
    current = row.state
    if current == target:
        raise AlreadyMoved(target)
    _check(table, current, target, side)
    _compare_and_set(row, current, target)
    return current


def _record(
    booking_id: int,
    occurrence_id: int | None,
    current: Any,
    target: Any,
    actor_id: int | None,
    reason: str,
) -> BookingEvent:
    event = BookingEvent(
        booking_id=booking_id,
        occurrence_id=occurrence_id,
        from_state=current.value,
        to_state=target.value,
        actor_id=actor_id,
        reason=reason[:500],
    )
    db.session.add(event)
    return event
