"""Arrival and leaving: the provider's staff mark when the worker arrived and left a session.

Marks are made only on the session's day (London time), "left" only after "arrived", and each
once: the mark is one UPDATE that changes the row only while the mark is still empty, so a mark
sent twice (or twenty times at once) is kept once and the holder's side is told once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from marketplace import audit
from marketplace.accounts.models import User
from marketplace.bookings import notifications as notify
from marketplace.bookings.models import Occurrence, OccurrenceState
from marketplace.bookings.services.parties import require
from marketplace.bookings.states import Side
from marketplace.clock import LONDON, london_today
from marketplace.directory.models import ProviderMember
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models_base import utcnow

QUARTER_HOUR = 15
# Leaving marked this soon after arriving is a second tap on the same spot, not a visit.
SHORTEST_STAY = timedelta(minutes=1)
MARKABLE = (OccurrenceState.SCHEDULED, OccurrenceState.DELIVERED)


def sessions_on(user: User, day: date) -> list[Occurrence]:
    """The sessions of the person's providers starting on `day` (London) that can be marked."""
    start = datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
    providers = select(ProviderMember.provider_id).where(ProviderMember.user_id == user.id)
    return list(
        db.session.scalars(
            select(Occurrence)
            .where(
                Occurrence.provider_id.in_(providers),
                Occurrence.state.in_(MARKABLE),
                Occurrence.starts_at >= start,
                Occurrence.starts_at < end,
            )
            .order_by(Occurrence.starts_at, Occurrence.id)
        )
    )


def on_the_day(occurrence: Occurrence, now: datetime) -> bool:
    """Whether `now` falls on the session's day in London."""
    return occurrence.starts_at.astimezone(LONDON).date() == london_today(now)


def _check(user: User, occurrence: Occurrence, now: datetime) -> None:
    require(user, occurrence.booking, Side.PROVIDER)
    if occurrence.state not in MARKABLE:
        raise DomainError(f"This session cannot be marked: it is {occurrence.state.label.lower()}")
    if not on_the_day(occurrence, now):
        day = occurrence.starts_at.astimezone(LONDON)
        raise DomainError(f"You can only mark arriving and leaving on the day: {day:%A %-d %B}")


def mark_arrived(user: User, occurrence: Occurrence, now: datetime | None = None) -> bool:
    """Records that the worker arrived, once. True when this request made the mark.
    Raises NotFound, NotAllowed or DomainError (not the session's day, or not markable)."""
    now = now or utcnow()
    _check(user, occurrence, now)
    made = _set(occurrence, "arrived_at", now, Occurrence.arrived_at.is_(None))
    if made:
        _record("session.arrived", occurrence, user)
        notify.arrived(occurrence)
    return made


def mark_left(user: User, occurrence: Occurrence, now: datetime | None = None) -> bool:
    """Records that the worker left, once, after arriving. True when this request made the mark.
    Raises DomainError when arrival is not marked yet."""
    now = now or utcnow()
    _check(user, occurrence, now)
    if occurrence.arrived_at is None:
        raise DomainError("Mark that the worker has arrived first")
    if now - occurrence.arrived_at < SHORTEST_STAY:
        arrived = f"{occurrence.arrived_at.astimezone(LONDON):%-I:%M%p}".lower()
        raise DomainError(
            f"The worker was marked arriving at {arrived}, moments ago. "
            "Mark leaving when they leave."
        )
    made = _set(
        occurrence,
        "left_at",
        now,
        Occurrence.left_at.is_(None),
        Occurrence.arrived_at.is_not(None),
        Occurrence.arrived_at <= now,
    )
    if made:
        _record("session.left", occurrence, user)
        notify.left(occurrence)
    return made


def _set(occurrence: Occurrence, column: str, now: datetime, *still: object) -> bool:
    db.session.flush()
    changed = db.session.execute(
        update(Occurrence)
        .where(Occurrence.id == occurrence.id, *still)  # type: ignore[arg-type]
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    db.session.expire(occurrence, ["arrived_at", "left_at"])
    return bool(getattr(changed, "rowcount", 0))


def _record(action: str, occurrence: Occurrence, user: User) -> None:
    audit.note(action, occurrence, user, tenant_id=occurrence.booking.holder.tenant_id)


def marked_minutes(occurrence: Occurrence) -> int | None:
    """The time between the marks, to the nearest quarter hour (at least 15 minutes), or None
    while either mark is missing."""
    if occurrence.arrived_at is None or occurrence.left_at is None:
        return None
    seconds = (occurrence.left_at - occurrence.arrived_at).total_seconds()
    quarters = round(seconds / 60 / QUARTER_HOUR)
    return max(QUARTER_HOUR, min(quarters * QUARTER_HOUR, 24 * 60))
