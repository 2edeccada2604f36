"""The figures of one cell of the report (a kind of support, a district and a time of week):
demand and supply, how a booking request failed, and the keys a row adds to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, select
from sqlalchemy.orm import aliased

from marketplace.bookings.models import Booking, BookingEvent, BookingState
from marketplace.commissioning.market.rules import GAP_HOURS_UNIT
from marketplace.commissioning.market.times import TimeBand

ALL = "*"  # a key part meaning "every value" (totals by one dimension, or the whole report)


@dataclass
class Counts:
    searches: int = 0
    zero_results: int = 0
    few_results: int = 0
    requests: int = 0
    declined: int = 0
    expired: int = 0
    unfilled: int = 0
    listings: int = 0
    providers: int = 0
    weekly_minutes: int = 0

    @property
    def failed(self) -> int:
        return self.declined + self.expired + self.unfilled

    @property
    def unmet(self) -> int:
        """Unmet demand: searches with no or few results, and failed requests."""
        return self.zero_results + self.few_results + self.failed

    @property
    def gap_score(self) -> Fraction:
        """Unmet demand ÷ (1 + weekly hours available ÷ 10)."""
        return Fraction(self.unmet * GAP_HOURS_UNIT * 60, GAP_HOURS_UNIT * 60 + self.weekly_minutes)

    @property
    def has_any(self) -> bool:
        return bool(self.searches or self.requests or self.listings)


Key = tuple[str | None, str | None, str]  # (category slug, outcode, time band); ALL for "every"


def failure_sql() -> ColumnElement[str]:
    """How a booking request failed, or '' when it did not (yet).

    Unfilled: the holder withdrew it before any provider accepted, or the provider cancelled it
    after accepting and the holder has no accepted booking of the same kind made since."""
    later = aliased(Booking)
    cancelled_at = (
        select(func.max(BookingEvent.at))
        .where(
            BookingEvent.booking_id == Booking.id,
            BookingEvent.to_state == BookingState.CANCELLED_BY_PROVIDER.value,
            BookingEvent.occurrence_id.is_(None),
        )
        .correlate(Booking)
        .scalar_subquery()
    )
    rebooked = (
        exists()
        .where(
            later.holder_id == Booking.holder_id,
            later.category_id == Booking.category_id,
            later.id != Booking.id,
            later.accepted_at.is_not(None),
            later.created_at >= cancelled_at,
        )
        .correlate(Booking)
    )
    return case(
        (Booking.state == BookingState.DECLINED, literal("declined")),
        (Booking.state == BookingState.EXPIRED, literal("expired")),
        (
            and_(Booking.state == BookingState.CANCELLED_BY_HOLDER, Booking.accepted_at.is_(None)),
            literal("unfilled"),
        ),
        (
            and_(Booking.state == BookingState.CANCELLED_BY_PROVIDER, ~rebooked),
            literal("unfilled"),
        ),
        else_=literal(""),
    )


def row_keys(
    categories: Iterable[str | None],
    outcode: str | None,
    band: str | None,
    *,
    bands: Sequence[TimeBand] = (),
    with_all_bands: bool = True,
) -> list[Key]:
    """Every key a row adds to: itself and the totals over each dimension."""
    cats = [*categories, ALL]
    places = [outcode, ALL]
    if band is None:
        times = [b.value for b in bands] + [ALL]
    else:
        times = [band, ALL] if with_all_bands else [band]
    return [(c, o, t) for c in dict.fromkeys(cats) for o in places for t in times]


def add_requests(cell: Counts, failure: str, n: int) -> None:
    """Add `n` booking requests to a cell, and to its count of the way they failed
    (`failure_sql`: "declined", "expired", "unfilled" or "" for not failed)."""
    cell.requests += n
    if failure == "declined":
        cell.declined += n
    elif failure == "expired":
        cell.expired += n
    elif failure == "unfilled":
        cell.unfilled += n
