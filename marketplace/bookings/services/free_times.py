"""The nearest times a provider could take, offered when a request does not fit their week."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from marketplace.bookings import schedule, week
from marketplace.bookings.models import BookingKind
from marketplace.bookings.services.requests import (
    BOOK_AHEAD_DAYS,
    Request,
    plan_until,
    planned_shifts,
)
from marketplace.directory.models import Listing
from marketplace.directory.services import clock

OFFERED = 3  # times offered at most
LOOK_AHEAD_DAYS = 28  # how far past the asked-for day a one-off looks
STEP_MINUTES = 30  # start times are tried on the hour and half hour


@dataclass(frozen=True)
class FreeTime:
    """A time that fits, as the answers it changes: the (first) day, the start and, for a rota
    cut short or started later, its end."""

    label: str
    day: date
    start: time
    ends_on: date | None = None


def nearest_free(listing: Listing, request: Request, today: date, now: datetime) -> list[FreeTime]:
    """Up to three times near the one asked for that fit the provider's week, nearest first:
    for a one-off, a start on the asked-for day or the days after; for a rota, the same days
    at another time, or the same times ending before (or starting after) the dates that do
    not fit. Empty when nothing near fits."""
    if request.kind == BookingKind.ONE_OFF:
        return _one_off_times(listing, request, today, now)
    return _rota_times(listing, request, today)


def _starts(asked: time) -> list[time]:
    """Every start on the hour and half hour, nearest the asked-for time first."""
    wanted = asked.hour * 60 + asked.minute
    minutes = sorted(range(0, 24 * 60, STEP_MINUTES), key=lambda m: (abs(m - wanted), m))
    return [time(m // 60, m % 60) for m in minutes if m != wanted]


def _midnight(day: date) -> datetime:
    return schedule.london_to_utc(day, time(0))


def _one_off_times(
    listing: Listing, request: Request, today: date, now: datetime
) -> list[FreeTime]:
    assert request.day is not None and request.start is not None
    first = max(request.day, today)
    last = min(first + timedelta(days=LOOK_AHEAD_DAYS), today + timedelta(days=BOOK_AHEAD_DAYS))
    free = week.week_of(listing, first=_midnight(first), last=_midnight(last + timedelta(days=2)))
    found: list[FreeTime] = []
    day = first
    while day <= last and len(found) < OFFERED:
        starts = _starts(request.start) if day == request.day else [request.start]
        starts += [] if day == request.day else _starts(request.start)
        for start in starts:
            shift = schedule.one_shift(day, start, request.duration_minutes)
            if shift.starts_at > now and free.misfit(shift) is None:
                found.append(FreeTime(f"{day:%A %-d %B} at {clock(start)}", day, start))
                break
        day += timedelta(days=1)
    return found


def _rota_times(listing: Listing, request: Request, today: date) -> list[FreeTime]:
    assert request.starts_on is not None and request.slots
    until = plan_until(request, today)
    free = week.week_of(
        listing,
        first=_midnight(request.starts_on),
        last=_midnight(until + timedelta(days=2)),
    )

    def fits(asked: Request) -> bool:
        shifts = planned_shifts(listing, asked, plan_until(asked, today))
        return bool(shifts) and all(free.misfit(s) is None for s in shifts)

    asked_start = request.slots[0].start
    names = [f"{week.WEEKDAYS[d]}s" for d in sorted({s.weekday for s in request.slots})]
    days = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    found: list[FreeTime] = []
    for start in _starts(asked_start):
        moved = replace(request, slots=tuple(replace(s, start=start) for s in request.slots))
        if fits(moved):
            found.append(FreeTime(f"{days} at {clock(start)}", request.starts_on, start))
            if len(found) == OFFERED - 1:
                break
    return found + _around_the_misfits(listing, request, today, free, fits)


def _around_the_misfits(
    listing: Listing,
    request: Request,
    today: date,
    free: week.Week,
    fits: Callable[[Request], bool],
) -> list[FreeTime]:
    """The same times ending the day before the first date that does not fit, or else starting
    the day after the last one."""
    assert request.starts_on is not None
    planned = planned_shifts(listing, request, plan_until(request, today))
    wrong = sorted(m.day for m in free.misfits(planned))
    if not wrong:
        return []
    start = request.slots[0].start
    offers = []
    if wrong[0] > request.starts_on:
        shorter = replace(request, ends_on=wrong[0] - timedelta(days=1))
        if fits(shorter):
            label = f"The same times, ending on {shorter.ends_on:%A %-d %B %Y}"
            offers.append(FreeTime(label, request.starts_on, start, shorter.ends_on))
    later_day = wrong[-1] + timedelta(days=1)
    if later_day <= today + timedelta(days=BOOK_AHEAD_DAYS):
        later = replace(request, starts_on=later_day)
        if (later.ends_on is None or later.ends_on >= later_day) and fits(later):
            label = f"The same times, starting on {later_day:%A %-d %B %Y}"
            offers.append(FreeTime(label, later_day, start, later.ends_on))
    return offers[:1]
