"""When each timed job runs, in London time, and the period a run is for.

A daily job runs once per London day, at or after its time (a worker that was down at 06:00
runs it when it starts). A weekly job runs once per week, at or after its day and time (its
period is the ISO week of that day). A sweep runs every N minutes; its period is the N-minute
slot. The period is what makes a job run once however many workers run (see `runs.claim`).

Each job's time is a setting: `SCHEDULE_<JOB>` with the job's name in capitals and `-` as `_`,
e.g. `SCHEDULE_REPORTS_ALERTS=07:30`, `SCHEDULE_PAYMENTS_PAYOUT_RUN="monday 06:00"` or
`SCHEDULE_MAIL_SEND="every 10"` (minutes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta


class ScheduleError(ValueError):
    """A schedule setting is malformed; the message names it."""


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class When:
    at: time | None = None  # daily (or weekly, on `weekday`), at this London time
    every_minutes: int | None = None  # a sweep
    weekday: int | None = None  # weekly on this day, Monday 0

    def period_due(self, london: datetime) -> str | None:
        """The period a run is due for at this London moment, or None when none is due yet."""
        if self.every_minutes is not None:
            minute = london.hour * 60 + london.minute
            start = minute - minute % self.every_minutes
            return f"{london:%Y-%m-%d}T{start // 60:02d}:{start % 60:02d}"
        assert self.at is not None
        if self.weekday is not None:
            return f"{self._latest_start(london):%G-W%V}"
        return f"{london:%Y-%m-%d}" if london.time() >= self.at else None

    def _latest_start(self, london: datetime) -> datetime:
        """The latest London moment at or before `london` when the weekly job became due."""
        assert self.at is not None and self.weekday is not None
        day = london.date() - timedelta(days=(london.weekday() - self.weekday) % 7)
        start = datetime.combine(day, self.at, tzinfo=london.tzinfo)
        return start if start <= london else start - timedelta(days=7)

    def next_start(self, london: datetime) -> datetime | None:
        """When the next run after this London moment is due; None for a sweep."""
        if self.at is None:
            return None
        if self.weekday is not None:
            return self._latest_start(london) + timedelta(days=7)
        start = datetime.combine(london.date(), self.at, tzinfo=london.tzinfo)
        return start if start > london else start + timedelta(days=1)

    def words(self) -> str:
        if self.every_minutes is not None:
            return f"every {self.every_minutes} minutes"
        assert self.at is not None
        if self.weekday is not None:
            return f"every {WEEKDAYS[self.weekday]} at {self.at:%H:%M}"
        return f"daily at {self.at:%H:%M}"


# The defaults: sweeps that catch what the after-commit hand-off missed, then the day's jobs in
# the order they build on each other (requests expire before rotas extend; allocations land
# before the alerts look at budgets).
DEFAULT_SCHEDULE: dict[str, When] = {
    "mail-send": When(every_minutes=5),
    "search-drain": When(every_minutes=5),
    "bookings-expire": When(every_minutes=60),
    "meetings-expire": When(every_minutes=60),
    "reports-rollup": When(at=time(1, 0)),
    "bookings-auto-confirm": When(at=time(5, 30)),
    "payments-allocate": When(at=time(6, 0)),
    "bookings-extend-rotas": When(at=time(6, 15)),
    "directory-expire": When(at=time(6, 30)),
    "reports-alerts": When(at=time(7, 0)),
    "saved-searches-alert": When(at=time(7, 30)),
    "accounts-forget-forms": When(at=time(3, 0)),
    # Weekly, after the day's allocations and confirmations: what providers are owed.
    "payments-payout-run": When(at=time(6, 0), weekday=0),
}

_EVERY = re.compile(r"every\s+(\d{1,4})", re.IGNORECASE)
_AT = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_WEEKLY = re.compile(r"([a-z]+)\s+([01]\d|2[0-3]):([0-5]\d)", re.IGNORECASE)


def setting_name(job: str) -> str:
    return "SCHEDULE_" + job.upper().replace("-", "_")


def parse_when(name: str, raw: str) -> When:
    raw = raw.strip()
    if match := _EVERY.fullmatch(raw):
        minutes = int(match.group(1))
        if not 1 <= minutes <= 1440:
            raise ScheduleError(f"{name}: every 1 to 1440 minutes, got {raw!r}")
        return When(every_minutes=minutes)
    if match := _AT.fullmatch(raw):
        return When(at=time(int(match.group(1)), int(match.group(2))))
    if (match := _WEEKLY.fullmatch(raw)) and (weekday := _weekday(match.group(1))) is not None:
        return When(at=time(int(match.group(2)), int(match.group(3))), weekday=weekday)
    raise ScheduleError(
        f"{name} must be a London time like 06:00, a day and time like 'monday 06:00' "
        f"or 'every 10', got {raw!r}"
    )


def _weekday(word: str) -> int | None:
    """Monday 0 for 'Monday' or 'mon'; None for a word that is not a day."""
    word = word.lower()
    for number, day in enumerate(WEEKDAYS):
        if word in (day.lower(), day.lower()[:3]):
            return number
    return None


def schedule_from(env: Mapping[str, str]) -> dict[str, When]:
    """The default schedule with any `SCHEDULE_<JOB>` settings applied."""
    schedule = dict(DEFAULT_SCHEDULE)
    for job in schedule:
        raw = env.get(setting_name(job), "").strip()
        if raw:
            schedule[job] = parse_when(setting_name(job), raw)
    return schedule
