"""The provider's week: whether shifts fit the listing's weekly times, its days off, bank holidays
(unless the listing works them) and the sessions already booked, said in words a person reads.

A listing priced per item (goods, equipment) keeps no weekly times; nor does one whose provider
has set none yet: its times are then whatever the provider accepts. Days off, bank holidays and
sessions already booked count for every listing, and so do agreed first meetings of a provider
working alone. An agency with named workers is free when one
of them is (and, once a worker is chosen, when that worker is); a worker with weekly times of
their own works only inside them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select

from marketplace.bookings.models import (
    Booking,
    BookingKind,
    BookingState,
    Occurrence,
    OccurrenceState,
)
from marketplace.bookings.schedule import Shift, Slot, is_bank_holiday, overlaps, shifts
from marketplace.clock import LONDON
from marketplace.directory.models import Listing, PriceUnit
from marketplace.directory.services import END_OF_DAY, clock, clock_until
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.meetings.models import Meeting, MeetingState
from provider_onboarding.models import Worker

Windows = dict[int, list[tuple[time, time]]]  # weekday → (start, end), London wall-clock time
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
LONGEST_SHIFT = timedelta(hours=24)
NAMED_AT_MOST = 5  # dates named in one message; the rest are counted


@dataclass(frozen=True)
class Misfit:
    """One date a request cannot have, and why."""

    day: date
    why: str

    def __str__(self) -> str:
        return f"{self.day:%A %-d %B %Y}: {self.why}"


class OutsideTheWeek(DomainError):
    """Shifts that do not fit the provider's week. `misfits` names each date and why."""

    def __init__(self, misfits: list[Misfit]) -> None:
        named = "; ".join(str(m) for m in misfits[:NAMED_AT_MOST])
        more = len(misfits) - NAMED_AT_MOST
        rest = f"; and {more} more date{'s' if more != 1 else ''}" if more > 0 else ""
        super().__init__(f"The provider cannot do these times. {named}{rest}.", field="day")
        self.misfits = misfits


@dataclass
class Person:
    """Someone who could do the shifts: a provider working alone (`name` 'the provider') or
    a named worker, with their own weekly times (None: any) and the sessions they have."""

    name: str
    windows: Windows | None
    booked: list[Shift] = field(default_factory=list)
    _starts: list[datetime] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.booked = sorted(self.booked, key=lambda s: s.starts_at)
        self._starts = [s.starts_at for s in self.booked]

    def clash(self, shift: Shift) -> Shift | None:
        """A session of theirs overlapping the shift, or None. Sessions last at most a day, so
        only those starting in the day before the shift ends can overlap it."""
        end = bisect_left(self._starts, shift.ends_at)
        begin = bisect_left(self._starts, shift.starts_at - LONGEST_SHIFT)
        return next((s for s in self.booked[begin:end] if overlaps(s, shift)), None)


@dataclass
class Week:
    """What a listing allows, loaded once and asked about many shifts."""

    windows: Windows | None
    days_off: list[tuple[date, date]]
    works_bank_holidays: bool
    people: list[Person]

    def misfit(self, shift: Shift) -> Misfit | None:
        """Why this shift cannot be booked (the first reason), or None when it fits."""
        start = shift.starts_at.astimezone(LONDON)
        days = _days_touched(shift)
        if any(first <= day <= last for day in days for first, last in self.days_off):
            return Misfit(start.date(), "the provider is not working that day")
        if not self.works_bank_holidays and any(is_bank_holiday(day) for day in days):
            return Misfit(start.date(), "the provider does not work on bank holidays")
        if self.windows is not None and not within(self.windows, shift):
            return Misfit(start.date(), _hours_of(self.windows, start.weekday()))
        return self._nobody_free(shift)

    def _nobody_free(self, shift: Shift) -> Misfit | None:
        day = shift.starts_at.astimezone(LONDON).date()
        working = [p for p in self.people if p.windows is None or within(p.windows, shift)]
        if any(not p.clash(shift) for p in working):
            return None
        if len(self.people) > 1:
            return Misfit(day, "nobody from the provider is free then")
        [person] = self.people
        if not working:
            return Misfit(day, f"{person.name} does not work then")
        taken = person.clash(shift)
        assert taken is not None
        return Misfit(day, f"{person.name} is already booked from {_span(taken)}")

    def misfits(self, shifts: Iterable[Shift]) -> list[Misfit]:
        """Every shift that does not fit, one line per date and reason, in order."""
        found: dict[tuple[date, str], Misfit] = {}
        for shift in shifts:
            wrong = self.misfit(shift)
            if wrong is not None:
                found.setdefault((wrong.day, wrong.why), wrong)
        return list(found.values())

    def require(self, shifts: list[Shift]) -> None:
        """Raises OutsideTheWeek naming every date that does not fit."""
        wrong = self.misfits(shifts)
        if wrong:
            raise OutsideTheWeek(wrong)


def week_of(
    listing: Listing,
    *,
    first: datetime,
    last: datetime,
    booking_id: int | None = None,
    worker_id: int | None = None,
) -> Week:
    """The listing's week with the sessions its provider has booked between `first` and `last`
    (UTC), leaving out `booking_id`'s own. With `worker_id` only that worker counts; otherwise
    any of the provider's named workers (or the provider alone when it has none)."""
    windows: Windows | None = _windows(
        (r.weekday, r.start_time, r.end_time) for r in listing.availability
    )
    if listing.price_unit == PriceUnit.ITEM or not windows:
        windows = None
    days_off = [(e.starts_on, e.ends_on) for e in listing.exceptions]
    booked = _booked(listing.provider_id, booking_id, first, last)
    return Week(windows, days_off, listing.works_bank_holidays, _people(listing, worker_id, booked))


def _people(
    listing: Listing, worker_id: int | None, booked: dict[int | None, list[Shift]]
) -> list[Person]:
    """Who could do the shifts: the chosen worker, else the provider's named workers, else the
    provider working alone."""
    query = select(Worker).where(Worker.provider_id == listing.provider_id)
    if worker_id is not None:
        query = query.where(Worker.id == worker_id)
    else:
        query = query.where(Worker.left_at.is_(None))
    workers = db.session.scalars(query.order_by(Worker.name, Worker.id)).all()
    if not workers:
        return [Person("the provider", None, booked.get(None, []))]
    return [
        Person(
            w.name,
            _windows((a.weekday, a.start_time, a.end_time) for a in w.availability) or None,
            booked.get(w.id, []),
        )
        for w in workers
    ]


def _booked(
    provider_id: int, booking_id: int | None, first: datetime, last: datetime
) -> dict[int | None, list[Shift]]:
    """The provider's live sessions of agreed bookings that overlap first–last, by worker."""
    rows = db.session.execute(
        select(Occurrence.worker_id, Occurrence.starts_at, Occurrence.ends_at)
        .join(Booking, Booking.id == Occurrence.booking_id)
        .where(
            Occurrence.provider_id == provider_id,
            Occurrence.booking_id != (booking_id or 0),
            Booking.state == BookingState.ACCEPTED,
            Occurrence.state.in_([OccurrenceState.SCHEDULED, OccurrenceState.DELIVERED]),
            Occurrence.starts_at < last,
            Occurrence.ends_at > first,
        )
        .order_by(Occurrence.starts_at)
    ).all()
    booked: dict[int | None, list[Shift]] = {}
    for worker_id, starts_at, ends_at in rows:
        booked.setdefault(worker_id, []).append(Shift(starts_at, ends_at))
    for worker_id, promised in _rotas_ahead(provider_id, booking_id, first, last):
        booked.setdefault(worker_id, []).extend(promised)
    booked.setdefault(None, []).extend(_meetings_agreed(provider_id, first, last))
    return booked


def busy_alone(provider_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    """Whether a provider working alone (no named workers) has a session booked, a rota's
    promised shift or an agreed first meeting overlapping the time. An agency with named
    workers is never busy this way: it meets people from its office."""
    has_workers = db.session.scalar(
        select(Worker.id)
        .where(Worker.provider_id == provider_id, Worker.left_at.is_(None))
        .limit(1)
    )
    if has_workers is not None:
        return False
    wanted = Shift(starts_at, ends_at)
    booked = _booked(provider_id, None, starts_at, ends_at)
    return any(overlaps(wanted, shift) for shift in booked.get(None, []))


def _meetings_agreed(provider_id: int, first: datetime, last: datetime) -> list[Shift]:
    """The provider's agreed first meetings overlapping first–last: a provider working alone
    is busy then (an agency's meetings are with its office, not a named worker)."""
    rows = db.session.execute(
        select(Meeting.starts_at, Meeting.minutes).where(
            Meeting.provider_id == provider_id,
            Meeting.state == MeetingState.AGREED,
            Meeting.starts_at < last,
            Meeting.starts_at > first - timedelta(minutes=30),
        )
    ).all()
    found = [Shift(start, start + timedelta(minutes=minutes)) for start, minutes in rows]
    return [shift for shift in found if shift.ends_at > first]


def _rotas_ahead(
    provider_id: int, booking_id: int | None, first: datetime, last: datetime
) -> list[tuple[int | None, list[Shift]]]:
    """The shifts agreed rotas will book after the weeks already scheduled: the times are
    promised, though their sessions are made (and paid for) only as they come due."""
    first_day, last_day = first.astimezone(LONDON).date(), last.astimezone(LONDON).date()
    rotas = db.session.scalars(
        select(Booking).where(
            Booking.provider_id == provider_id,
            Booking.id != (booking_id or 0),
            Booking.state == BookingState.ACCEPTED,
            Booking.kind == BookingKind.ROTA,
            Booking.scheduled_until < last_day,
            or_(Booking.rota_ends_on.is_(None), Booking.rota_ends_on >= first_day),
        )
    ).all()
    ahead = []
    for rota in rotas:
        assert rota.scheduled_until is not None and rota.rota_starts_on is not None
        start = max(rota.scheduled_until + timedelta(days=1), first_day, rota.rota_starts_on)
        end = min(last_day, rota.rota_ends_on or last_day)
        slots = [Slot(s.weekday, s.start_time, s.duration_minutes) for s in rota.slots]
        skip = not rota.listing.works_bank_holidays
        ahead.append(
            (rota.worker_id, shifts(slots, first_day=start, last_day=end, skip_bank_holidays=skip))
        )
    return ahead


def _windows(rules: Iterable[tuple[int, time, time]]) -> Windows:
    windows: Windows = {}
    for weekday, start, end in rules:
        windows.setdefault(weekday, []).append((start, end))
    for day in windows.values():
        day.sort()
    return windows


def within(windows: Windows, shift: Shift) -> bool:
    """Whether the shift's wall-clock time lies inside the weekly windows; one running past
    midnight needs the next day's window to go on from midnight."""
    cursor = shift.starts_at.astimezone(LONDON).replace(tzinfo=None)
    end = shift.ends_at.astimezone(LONDON).replace(tzinfo=None)
    while cursor < end:
        reach = _reach(windows, cursor)
        if reach is None:
            return False
        cursor = reach
    return True


def _reach(windows: Windows, at: datetime) -> datetime | None:
    """How far the window covering `at` runs, or None when no window covers it."""
    for start, end in windows.get(at.weekday(), []):
        runs_to_midnight = end >= END_OF_DAY
        if start <= at.time() and (at.time() < end or runs_to_midnight):
            if runs_to_midnight:
                return datetime.combine(at.date() + timedelta(days=1), time(0))
            return datetime.combine(at.date(), end)
    return None


def _days_touched(shift: Shift) -> list[date]:
    first = shift.starts_at.astimezone(LONDON).date()
    last = (shift.ends_at - timedelta(minutes=1)).astimezone(LONDON).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _hours_of(windows: Windows, weekday: int) -> str:
    day = WEEKDAYS[weekday]
    if not windows.get(weekday):
        return f"the provider does not work on {day}s"
    spans = " and ".join(f"{clock(start)} to {clock_until(end)}" for start, end in windows[weekday])
    return f"the provider works from {spans} on {day}s"


def _span(shift: Shift) -> str:
    start = shift.starts_at.astimezone(LONDON)
    end = shift.ends_at.astimezone(LONDON)
    return f"{clock(start.time())} to {clock(end.time())}"


def check(
    listing: Listing,
    shifts: list[Shift],
    *,
    booking_id: int | None = None,
    worker_id: int | None = None,
) -> None:
    """Raises OutsideTheWeek unless every shift fits the listing's week and the sessions its
    provider (or the chosen worker) has booked."""
    if not shifts:
        return
    first, last = min(s.starts_at for s in shifts), max(s.ends_at for s in shifts)
    week_of(listing, first=first, last=last, booking_id=booking_id, worker_id=worker_id).require(
        shifts
    )
