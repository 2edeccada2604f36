"""A weekly rota as dated shifts, in Europe/London, across clock changes and bank holidays.

Shifts are planned in wall-clock time (a 9am shift is at 9am in winter and in summer) and stored in
UTC. A start that falls in the spring-forward gap moves later by the length of the gap (01:30
becomes 02:30), as iCalendar does; one in the repeated autumn hour takes the first (summer-time)
instance. A shift lasts its duration in real minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from marketplace.clock import LONDON


@dataclass(frozen=True)
class Slot:
    weekday: int  # Monday 0 … Sunday 6
    start: time
    duration_minutes: int


@dataclass(frozen=True)
class Shift:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@cache
def _bank_holidays() -> frozenset[date]:
    from govuk_bank_holidays.bank_holidays import BankHolidays

    # The package's bundled copy of GOV.UK's list: never fetched over the network.
    holidays = BankHolidays(use_cached_holidays=True)
    return frozenset(
        h["date"] for h in holidays.get_holidays(division=BankHolidays.ENGLAND_AND_WALES)
    )


def is_bank_holiday(day: date) -> bool:
    """True on a bank holiday in England and Wales."""
    return day in _bank_holidays()


def london_to_utc(day: date, start: time) -> datetime:
    """The UTC instant of a wall-clock time in London.

    fold=0 reads a time in the spring gap with the offset before the change (so it lands after
    the gap by the gap's length) and a repeated autumn time as its first instance.
    """
    return datetime.combine(day, start, tzinfo=LONDON).replace(fold=0).astimezone(UTC)


def one_shift(day: date, start: time, duration_minutes: int) -> Shift:
    starts_at = london_to_utc(day, start)
    return Shift(starts_at, starts_at + timedelta(minutes=duration_minutes))


def shifts(
    slots: Iterable[Slot],
    *,
    first_day: date,
    last_day: date,
    skip_bank_holidays: bool,
) -> list[Shift]:
    """Every shift of the rota on the days from `first_day` to `last_day` inclusive, in order."""
    by_weekday: dict[int, list[Slot]] = {}
    for slot in slots:
        by_weekday.setdefault(slot.weekday, []).append(slot)
    made: list[Shift] = []
    day = first_day
    while day <= last_day:
        if not (skip_bank_holidays and is_bank_holiday(day)):
            for slot in sorted(by_weekday.get(day.weekday(), []), key=lambda s: s.start):
                made.append(one_shift(day, slot.start, slot.duration_minutes))
        day += timedelta(days=1)
    return made


def overlaps(a: Shift, b: Shift) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at
