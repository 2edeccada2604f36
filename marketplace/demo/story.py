"""The demo's bookings, played as a story through the real services over the five weeks before
the first load, so every role's home has something waiting and every booking state shows.

The demo holder (and her representative) book Amira, the personal assistant the demo provider
owner runs. Each step runs with `marketplace.clock` set to the moment it happens, in the order
things happen, and goes through the same services a person's click does: requests, answers,
offers, sessions marked done, confirmed, disputed, cancelled; the council's allocations, the
rota's next weeks and the daily checks (expiry, seven-day confirmation, alerts) run as their
jobs would have. Nothing is written around the rules.

What it leaves, whatever the day of the load:

- a weekly rota of Tuesday and Thursday mornings: sessions marked arriving and leaving on the
  day, done and paid, one with a problem reported (a dispute for the council; Amira marked
  arriving an hour late that day), the latest done one waiting for the holder to confirm,
  the latest of all not yet marked done by the provider, and the rest of the rota booked ahead;
- a one-off done and paid; a request declined; one nobody answered in time; one cancelled by
  the holder and one by the provider (so the holder is offered cover);
- a request waiting for the provider and one with the provider's new price waiting for the
  holder;
- the alerts the daily check finds, and the market report's roll-ups.

Told once: a later load finds the demo holder's bookings and adds none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.models import Tenant, User
from marketplace.bookings import services as bookings
from marketplace.bookings.models import Booking, BookingKind, Occurrence
from marketplace.bookings.schedule import Slot, is_bank_holiday
from marketplace.bookings.services import marks
from marketplace.commissioning.alerts.storage import run as run_alerts
from marketplace.commissioning.market.rollup import rollup
from marketplace.demo.report import DemoReport
from marketplace.directory.models import Listing
from marketplace.extensions import db
from marketplace.payments import services as payments
from marketplace.payments.models import Pot

TUESDAY, THURSDAY = 1, 3
ROTA_START, ROTA_MINUTES = time(8), 180
DISPUTE_REASON = "Amira came an hour late and had to leave before breakfast."


@dataclass(frozen=True)
class Cast:
    """Who plays the story: the holder's side, the provider's owner, the council's commissioner."""

    holder: User
    representative: User
    provider: User
    commissioner: User
    listing: Listing
    pot: Pot
    council: Tenant


def tell(cast: Cast, report: DemoReport) -> None:
    """Play the story once (nothing when the holder already has bookings). Flushes only."""
    told = select(Booking.id).where(Booking.holder_id == cast.holder.id).limit(1)
    if db.session.scalar(told) is not None:
        return
    story = _Story(cast, clock.now())
    story.play()
    report.count("demo bookings", len(story.made))


def sessions_of(booking: Booking) -> list[Occurrence]:
    """A booking's sessions as they stand now, earliest first."""
    return list(
        db.session.scalars(
            select(Occurrence)
            .where(Occurrence.booking_id == booking.id)
            .order_by(Occurrence.starts_at)
        )
    )


class _Story:
    def __init__(self, cast: Cast, now: datetime) -> None:
        self.cast = cast
        self.now = now
        self.today = clock.london_today(now)
        self.monday = self.today - timedelta(days=self.today.weekday())
        self.made: list[Booking] = []

    # Moments and days, from the Monday of the week of the load.

    def day(self, weeks: int, weekday: int) -> date:
        """The weekday of the week `weeks` from this one, moved on past bank holidays."""
        found = self.monday + timedelta(weeks=weeks, days=weekday)
        while is_bank_holiday(found) or found.weekday() >= 5:
            found += timedelta(days=1)
        return found

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A London wall-clock moment, never later than the load itself."""
        moment = datetime.combine(day, time(hour, minute), tzinfo=clock.LONDON)
        return min(moment, self.now - timedelta(minutes=1))

    def run(self, moment: datetime, step: Callable[[], object]) -> None:
        """Do one step with the clock at `moment` (never later than the load), after the jobs
        that would have run by then."""
        with clock.frozen(min(moment, self.now)):
            payments.allocate_due_to(self.cast.pot, clock.today())
            bookings.expire_due()
            bookings.auto_confirm()
            bookings.extend_rotas(clock.today())
            step()
            db.session.flush()

    # The story.

    def play(self) -> None:
        rota = self.rota()
        self.one_off_paid()
        self.declined()
        self.expired()
        self.cancelled_by_holder()
        self.sessions(rota)
        self.cancelled_by_provider()
        self.waiting_for_provider()
        self.offer_waiting()
        self.run(self.now, self.daily_checks)

    def request(
        self, moment: datetime, request: bookings.Request, by: User | None = None
    ) -> Booking:
        cast = self.cast
        made: list[Booking] = []
        self.run(
            moment,
            lambda: made.append(
                bookings.request_booking(
                    by or cast.holder, cast.holder, cast.listing, cast.pot, request, clock.today()
                )
            ),
        )
        self.made.append(made[0])
        return made[0]

    def one_off(self, day: date, start: time, hours: int, note: str = "") -> bookings.Request:
        return bookings.Request(
            BookingKind.ONE_OFF, day=day, start=start, duration_minutes=hours * 60, note=note
        )

    def accept(self, moment: datetime, booking: Booking) -> None:
        self.run(moment, lambda: bookings.accept(self.cast.provider, booking, clock.today()))

    def rota(self) -> Booking:
        """Tuesday and Thursday mornings, asked for five weeks ago, agreed the next day; it
        ends before the provider's holiday."""
        first = self.day(-4, TUESDAY)
        slots = tuple(Slot(day, ROTA_START, ROTA_MINUTES) for day in (TUESDAY, THURSDAY))
        asked = self.at(self.day(-5, 2), 19)
        request = bookings.Request(
            BookingKind.ROTA,
            slots=slots,
            starts_on=first,
            ends_on=self.monday + timedelta(days=13),
            note="Help getting up, washed and dressed, and breakfast. I like tea, not coffee.",
        )
        booking = self.request(asked, request)
        self.accept(self.at(self.day(-5, 3), 9), booking)
        return booking

    def sessions(self, rota: Booking) -> None:
        """Every started session of the rota, oldest first: done and confirmed, except a
        problem reported, the latest done one left to confirm and the latest not marked."""
        self.run(self.now - timedelta(minutes=2), lambda: None)  # the rota's weeks so far
        started = [s for s in sessions_of(rota) if s.starts_at <= self.now - timedelta(hours=3)]
        cast = self.cast
        for index, session in enumerate(started[:-1]):
            late = index == len(started) - 4  # the session the holder reports a problem with
            self.marks(session, late)
            self.run(session.ends_at + timedelta(minutes=30), partial(self.done, session))
            if index == len(started) - 2:
                continue  # the latest done session waits for the holder
            later = session.ends_at + timedelta(hours=26)
            if late:
                self.run(later, partial(bookings.dispute, cast.holder, session, DISPUTE_REASON))
            else:
                who = cast.representative if index % 2 else cast.holder
                self.run(later, partial(bookings.confirm, who, session))

    def marks(self, session: Occurrence, late: bool) -> None:
        """Amira marks arriving and leaving on the day, as the provider's phone would: a few
        minutes after the start and just before the end; an hour late and early on the bad
        day."""
        provider = self.cast.provider
        arrived = session.starts_at + timedelta(minutes=62 if late else 4)
        left = session.ends_at - timedelta(minutes=45 if late else 2)
        self.run(arrived, lambda: marks.mark_arrived(provider, session, clock.now()))
        self.run(left, lambda: marks.mark_left(provider, session, clock.now()))

    def done(self, session: Occurrence) -> None:
        bookings.mark_delivered(self.cast.provider, session, ROTA_MINUTES)

    def one_off_paid(self) -> None:
        """A one-off Monday morning asked for by the representative, done and paid. On a few
        load days (bank holidays drawing the story's days together) the budget cannot pay for
        two hours yet: the refusal is kept, that request expires, and they ask for one hour."""
        day = self.day(-2, 0)
        for hours in (2, 1):
            booking = self.request(
                self.at(self.day(-3, 0), 18),
                self.one_off(
                    day, time(9), hours, "A lift to the GP and help with the shopping after."
                ),
                by=self.cast.representative,
            )
            try:
                self.accept(self.at(self.day(-3, 1), 10), booking)
                break
            except payments.SpendRefused:
                continue
        [session] = sessions_of(booking)
        self.run(session.ends_at + timedelta(hours=1), lambda: self.done_for(session, hours * 60))
        self.run(
            session.ends_at + timedelta(hours=5),
            lambda: bookings.confirm(self.cast.representative, session),
        )

    def done_for(self, session: Occurrence, minutes: int) -> None:
        bookings.mark_delivered(self.cast.provider, session, minutes)

    def declined(self) -> None:
        booking = self.request(
            self.at(self.day(-4, 3), 20), self.one_off(self.day(-3, 2), time(11), 2)
        )
        reason = "Sorry, I already have another client that morning."
        self.run(
            self.at(self.day(-4, 4), 8),
            lambda: bookings.decline(self.cast.provider, booking, reason),
        )

    def expired(self) -> None:
        """Asked for by the representative; nobody answered in time (the expiry job ran)."""
        self.request(
            self.at(self.day(-3, 3), 21),
            self.one_off(self.day(-2, 4), time(9), 3, "Cover while I am away for the day."),
            by=self.cast.representative,
        )

    def cancelled_by_holder(self) -> None:
        """A Friday morning, or the next free time when bank holidays move it onto the rota."""
        day = self.day(-1, 4)
        start = time(11) if day.weekday() in (TUESDAY, THURSDAY) else time(10)
        booking = self.request(self.at(self.day(-3, 4), 11), self.one_off(day, start, 2))
        self.accept(self.at(self.day(-3, 4), 15), booking)
        reason = "I am going to my sister's that week."
        self.run(
            self.at(self.day(-2, 2), 12),
            lambda: bookings.cancel_by_holder(self.cast.holder, booking, reason),
        )

    def cancelled_by_provider(self) -> None:
        """Next week's extra Thursday session, which Amira has to cancel: the holder is
        offered cover."""
        booking = self.request(
            self.at(self.day(-1, 0), 9), self.one_off(self.day(1, THURSDAY), time(11), 1)
        )
        self.accept(self.at(self.day(-1, 0), 12), booking)
        reason = "I have a hospital appointment that day, sorry."
        self.run(
            self.now - timedelta(hours=20),
            lambda: bookings.cancel_by_provider(self.cast.provider, booking, reason),
        )

    def waiting_for_provider(self) -> None:
        self.request(
            self.now - timedelta(hours=3),
            self.one_off(self.day(1, 4), time(10), 2, "Help to get ready for a family party."),
        )

    def offer_waiting(self) -> None:
        """An hour on Monday and Wednesday mornings next week, asked for yesterday; Amira
        offers a lower hourly price for the two mornings together, and the holder has not
        answered yet. The budget runs low, but holds enough for this and the request waiting for
        the provider: a newcomer trying the demo can say yes to both."""
        request = bookings.Request(
            BookingKind.ROTA,
            slots=(Slot(0, time(9), 60), Slot(2, time(9), 60)),
            starts_on=self.day(1, 0),
            ends_on=self.monday + timedelta(days=11),
            note="Extra mornings while my daughter is away.",
        )
        booking = self.request(self.now - timedelta(hours=20), request)
        note = "I can do £14.50 an hour if we keep to these two mornings every week."
        self.run(
            self.now - timedelta(hours=2),
            lambda: bookings.offer(self.cast.provider, booking, 1450, note),
        )

    def daily_checks(self) -> None:
        """The council's alerts and the market report's roll-ups, as the daily jobs make them."""
        run_alerts(self.cast.council.id, today=clock.today(), now=clock.now())
        rollup(clock.today())
