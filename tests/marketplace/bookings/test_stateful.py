"""Random stories of bookings and money, checked after every step by what `flask verify` checks.

Hypothesis plays a holder, a provider and a commissioner in any order: requests (once or every
week), offers and answers, accepts and declines, deliveries, confirmations, disputes and their
resolution, cancellations from either side, card top-ups, allocations, rotas extended by the
daily job, requests expiring and deliveries confirmed on their own, with time moving on only
through `marketplace.clock`. Each step goes through the services and is committed as a request
would be; a refusal (DomainError) is a fine answer, any other exception is a failure. After
every step the ledger balances and bookings agree with the money held for them
(`integrity.everything()`, the code `flask --app wsgi verify` runs).

Each story builds its own holder, pot and provider, so stories never share money.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import time, timedelta
from itertools import count
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.models import Role, User
from marketplace.bookings import integrity, schedule, services
from marketplace.bookings.models import (
    Booking,
    BookingKind,
    BookingState,
    Occurrence,
    OccurrenceState,
    Offer,
    OfferState,
)
from marketplace.directory.models import Category, Listing, PriceUnit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments import services as payments
from marketplace.payments import topups
from marketplace.payments.models import Pot, PotKind, TopUp
from tests.frozen import NOW

STORIES = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HOURS = st.sampled_from([60, 120, 240])
PICK = st.integers(
    min_value=0, max_value=3
)  # the latest booking or session, or one of the few before
_stories = count(1)


class People:
    """Makes each story's people, provider, listing and funded pot."""

    def __init__(self, make_user: Callable[..., User], make_provider: Any, make_listing: Any):
        self.make_user, self.make_provider, self.make_listing = (
            make_user,
            make_provider,
            make_listing,
        )
        n = next(_stories)
        self.category = Category(
            slug=f"pa-story-{n}",
            name="Personal assistant",
            description="",
            oruk_term_id=f"pa-story-{n}",
            is_personal_assistance=True,
        )
        db.session.add(self.category)
        db.session.commit()

    def story(self) -> tuple[User, User, User, Listing, Pot]:
        commissioner = self.make_user(Role.COMMISSIONER)
        holder = self.make_user(Role.HOLDER, tenant=commissioner.tenant)
        provider_user = self.make_user(Role.PROVIDER)
        listing = self.make_listing(
            provider=self.make_provider(owner=provider_user),
            categories=[self.category],
            price_pence=1500,
            price_unit=PriceUnit.HOUR,
            cancellation_notice_hours=48,
            cancellation_charge_bps=5000,
            works_bank_holidays=True,
        )
        pot = payments.create_pot(
            commissioner,
            holder,
            kind=PotKind.SOCIAL_CARE,
            support_plan_reference="SP-STORY",
            allocation_pence=20_000,
            allocation_every_days=7,
            allocation_starts_on=clock.today(),
            category_ids=[self.category.id],
            pa_hourly_cap_pence=2000,
        )
        payments.allocate_due(clock.today())
        db.session.commit()
        return commissioner, holder, provider_user, listing, pot


class BookingStories(RuleBasedStateMachine):
    people: People  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        clock.freeze(NOW)  # every story starts at the same moment
        (
            self.commissioner,
            self.holder,
            self.provider_user,
            self.listing,
            self.pot,
        ) = self.people.story()
        self.booking_ids: list[int] = []
        self.top_ups = 0

    # How each step runs: as one request would, committed once; a refusal is an answer.

    def attempt(self, move: Callable[[], object]) -> None:
        with contextlib.suppress(DomainError):
            move()
        db.session.commit()

    def booking(self, pick: int, *likely: BookingState) -> Booking:
        """One of the story's latest bookings, from those in a `likely` state when there are
        any (so moves mostly meet bookings they can move), else from all."""
        found = db.session.scalars(
            select(Booking).where(Booking.id.in_(self.booking_ids)).order_by(Booking.id)
        ).all()
        fitting = [b for b in found if b.state in likely] or list(found)
        return fitting[-1 - pick % len(fitting)]

    def session(self, pick: int, *likely: OccurrenceState) -> Occurrence | None:
        """One of the story's latest sessions, as `booking` picks."""
        found = db.session.scalars(
            select(Occurrence)
            .where(Occurrence.booking_id.in_(self.booking_ids))
            .order_by(Occurrence.id)
        ).all()
        fitting = [o for o in found if o.state in likely] or list(found)
        return fitting[-1 - pick % len(fitting)] if fitting else None

    def has_bookings(self) -> bool:
        return bool(self.booking_ids)

    # The holder's side.

    def _request(self, ask: services.Request) -> None:
        with contextlib.suppress(DomainError):
            made = services.request_booking(
                self.holder, self.holder, self.listing, self.pot, ask, clock.today()
            )
            self.booking_ids.append(made.id)
        db.session.commit()

    @rule(days=st.integers(0, 20), hour=st.integers(6, 20), minutes=HOURS)
    def request_once(self, days: int, hour: int, minutes: int) -> None:
        day = clock.today() + timedelta(days=days)
        ask = services.Request(
            BookingKind.ONE_OFF, day=day, start=time(hour), duration_minutes=minutes
        )
        self._request(ask)

    @rule(
        weekday=st.integers(0, 6),
        hour=st.integers(6, 20),
        minutes=HOURS,
        weeks=st.none() | st.integers(1, 8),
    )
    def request_every_week(self, weekday: int, hour: int, minutes: int, weeks: int | None) -> None:
        today = clock.today()
        ends_on = today + timedelta(weeks=weeks) if weeks else None
        slots = (schedule.Slot(weekday, time(hour), minutes),)
        self._request(
            services.Request(BookingKind.ROTA, slots=slots, starts_on=today, ends_on=ends_on)
        )

    @precondition(has_bookings)
    @rule(pick=PICK, accept_it=st.booleans())
    def answer_offer(self, pick: int, accept_it: bool) -> None:
        booking = self.booking(pick, BookingState.REQUESTED)
        made = db.session.scalars(
            select(Offer).where(Offer.booking_id == booking.id, Offer.state == OfferState.OPEN)
        ).first()
        if made is not None:
            self.attempt(
                lambda: services.answer_offer(
                    self.holder, made, accept_it=accept_it, today=clock.today()
                )
            )

    @precondition(has_bookings)
    @rule(pick=PICK, by_provider=st.booleans())
    def cancel(self, pick: int, by_provider: bool) -> None:
        booking = self.booking(pick, BookingState.ACCEPTED)
        if by_provider:
            self.attempt(lambda: services.cancel_by_provider(self.provider_user, booking, "Ill"))
        else:
            self.attempt(lambda: services.cancel_by_holder(self.holder, booking, "In hospital"))

    @precondition(has_bookings)
    @rule(pick=PICK)
    def confirm(self, pick: int) -> None:
        occurrence = self.session(pick, OccurrenceState.DELIVERED)
        if occurrence is not None:
            self.attempt(lambda: services.confirm(self.holder, occurrence))

    @precondition(has_bookings)
    @rule(pick=PICK)
    def dispute(self, pick: int) -> None:
        occurrence = self.session(pick, OccurrenceState.DELIVERED)
        if occurrence is not None:
            self.attempt(lambda: services.dispute(self.holder, occurrence, "Nobody came"))

    @rule(pounds=st.integers(1, 500))
    def top_up(self, pounds: int) -> None:
        """A card top-up, credited when Stripe's webhook says it was paid."""
        self.top_ups += 1
        key = f"story-{self.pot.id}-{self.top_ups}"
        made = TopUp(
            pot_id=self.pot.id,
            paid_by_id=self.holder.id,
            amount_pence=pounds * 100,
            request_key=key,
            payment_intent_id=f"pi_{key}",
        )
        db.session.add(made)
        db.session.flush()
        self.attempt(
            lambda: topups.payment_succeeded(
                f"pi_{key}", status="succeeded", currency="gbp", amount_received=pounds * 100
            )
        )

    # The provider's side.

    @precondition(has_bookings)
    @rule(pick=PICK)
    def accept(self, pick: int) -> None:
        booking = self.booking(pick, BookingState.REQUESTED)
        self.attempt(lambda: services.accept(self.provider_user, booking, clock.today()))

    @precondition(has_bookings)
    @rule(pick=PICK)
    def decline(self, pick: int) -> None:
        booking = self.booking(pick, BookingState.REQUESTED)
        self.attempt(lambda: services.decline(self.provider_user, booking, "Fully booked"))

    @precondition(has_bookings)
    @rule(pick=PICK, pence=st.integers(1000, 2500))
    def offer(self, pick: int, pence: int) -> None:
        booking = self.booking(pick, BookingState.REQUESTED)
        self.attempt(lambda: services.offer(self.provider_user, booking, pence, "For you"))

    @precondition(has_bookings)
    @rule(pick=PICK, minutes=st.integers(30, 300))
    def deliver(self, pick: int, minutes: int) -> None:
        occurrence = self.session(pick, OccurrenceState.SCHEDULED)
        if occurrence is not None:
            clock.advance(max(occurrence.starts_at - clock.now(), timedelta(0)))  # it has begun
            self.attempt(lambda: services.mark_delivered(self.provider_user, occurrence, minutes))

    # The commissioner.

    @precondition(has_bookings)
    @rule(pick=PICK, share=st.integers(0, 100))
    def resolve(self, pick: int, share: int) -> None:
        occurrence = self.session(pick, OccurrenceState.DISPUTED)
        if occurrence is not None:
            pay = occurrence.price_pence * share // 100
            self.attempt(
                lambda: services.resolve_dispute(self.commissioner, occurrence, pay, "Agreed")
            )

    # Time and the daily jobs.

    @rule(hours=st.integers(1, 24 * 9))
    def time_passes(self, hours: int) -> None:
        clock.advance(timedelta(hours=hours))

    @rule(job=st.sampled_from(["allocate", "extend rotas", "expire", "auto-confirm"]))
    def daily_job(self, job: str) -> None:
        run = {
            "allocate": lambda: payments.allocate_due(clock.today()),
            "extend rotas": lambda: services.extend_rotas(clock.today()),
            "expire": services.expire_due,
            "auto-confirm": services.auto_confirm,
        }
        self.attempt(run[job])

    @invariant()
    def bookings_and_money_agree(self) -> None:
        db.session.expire_all()
        assert integrity.everything() == []


def test_any_story_of_bookings_keeps_the_money_and_the_bookings_in_agreement(
    app_ctx: Flask, make_user: Any, make_provider: Any, make_listing: Any
) -> None:
    BookingStories.people = People(make_user, make_provider, make_listing)
    run_state_machine_as_test(BookingStories, settings=STORIES)
