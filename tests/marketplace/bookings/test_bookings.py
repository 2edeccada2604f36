"""Booking stories from request to payment, with the ledger checked after each."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.bookings import integrity, services
from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    BookingKind,
    BookingState,
    Occurrence,
    OccurrenceState,
)
from marketplace.bookings.schedule import Slot
from marketplace.bookings.states import (
    BOOKING_MOVES,
    OCCURRENCE_MOVES,
    AlreadyMoved,
    MoveNotAllowed,
    Side,
    move_booking,
    move_occurrence,
)
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments import services as payments
from marketplace.payments.models import Hold, SpendRefusal
from tests.conftest import PASSWORD
from tests.frozen import next_weekday
from tests.threads import run_together

from .conftest import NINE, TODAY, works_round_the_clock

TUESDAY = next_weekday(1)  # the first Tuesday after today
ON_TUESDAY = f"{TUESDAY:%a %-d %b}"  # as messages and statements show it


def one_off(day=TUESDAY, start=NINE, minutes=240):
    return services.Request(BookingKind.ONE_OFF, day=day, start=start, duration_minutes=minutes)


def weekly_rota(ends_on=None):
    slots = (Slot(0, time(9, 0), 180), Slot(3, time(18, 0), 120))  # Mon 9–12, Thu 18–20
    return services.Request(BookingKind.ROTA, slots=slots, starts_on=TODAY, ends_on=ends_on)


def balances(w):
    db.session.expire_all()
    return payments.balance(w.pot)


def assert_ledger_whole():
    """The ledger balances, and bookings and the money held for them agree (`flask verify`)."""
    assert ledger.verify() == [] and ledger.total_of_balances() == 0
    assert integrity.problems() == []


def test_a_one_off_session_from_request_to_payment(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    db.session.commit()
    assert booking.state == BookingState.REQUESTED and booking.unit_price_pence == 1500

    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    [occurrence] = booking.occurrences
    assert occurrence.price_pence == 6000  # 4 hours at £15
    assert balances(w).held_pence == 6000 and balances(w).available_pence == 94_000

    services.mark_delivered(w.provider_user, occurrence, 240, now=occurrence.ends_at)
    services.confirm(w.holder, occurrence)
    db.session.commit()
    assert occurrence.state == OccurrenceState.CONFIRMED
    assert balances(w).held_pence == 0 and balances(w).available_pence == 94_000
    assert payments.payable_account(w.provider.id).balance_pence == 6000
    assert occurrence.hold.description.endswith(f"for 4 hours on {ON_TUESDAY}")
    assert_ledger_whole()
    moves = db.session.scalars(select(BookingEvent.to_state).order_by(BookingEvent.id)).all()
    assert moves == ["accepted", "delivered", "confirmed"]


def test_a_price_change_after_acceptance_does_not_touch_the_booking(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    w.listing.price_pence = 9999
    db.session.commit()
    assert booking.unit_price_pence == 1500 and booking.occurrences[0].price_pence == 6000


def test_a_rota_holds_four_weeks_and_extends_as_weeks_come_due(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, weekly_rota(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    assert len(booking.occurrences) == 8  # Mondays and Thursdays for four weeks
    assert balances(w).held_pence == 4 * (4500 + 3000)
    services.extend_rotas(TODAY + timedelta(days=7))
    db.session.commit()
    assert len(booking.occurrences) == 10
    assert_ledger_whole()


def test_a_pot_that_cannot_pay_refuses_the_acceptance_and_records_why(world):
    w = world
    big = services.Request(BookingKind.ONE_OFF, day=TUESDAY, start=NINE, duration_minutes=24 * 60)
    w.listing.price_pence = 1800
    works_round_the_clock(w.listing)
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, big, TODAY)
    db.session.commit()
    w.pot.allocation_pence = 0
    payments.hold(
        w.pot,
        90_000,
        "something else",
        provider=w.provider,
        category=w.pa,
        description="earlier booking",
    )
    db.session.commit()
    with pytest.raises(payments.SpendRefused, match="available"):
        services.accept(w.provider_user, booking, TODAY)
    db.session.rollback()
    db.session.expire_all()
    assert booking.state == BookingState.REQUESTED
    assert_ledger_whole()


def test_the_request_page_warns_when_the_category_is_outside_the_plan(world):
    w = world
    w.listing.categories = [w.physio]
    db.session.commit()
    found = services.quote(w.holder, w.listing, w.pot, one_off(), TODAY)
    assert any("does not cover physiotherapy" in text for text in found.warnings)
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    with pytest.raises(payments.SpendRefused, match="not in your support plan"):
        services.accept(w.provider_user, booking, TODAY)
    db.session.commit()  # the refusal row stays, for commissioners
    assert db.session.query(SpendRefusal).count() == 1


def test_the_quote_warns_when_a_rota_would_outrun_the_budget(world):
    w = world
    long = weekly_rota(ends_on=TODAY + timedelta(weeks=20))
    w.pot.allocation_pence = 5_000  # £1,000 now + £50 a period, against £75 a week
    found = services.quote(w.holder, w.listing, w.pot, long, TODAY)
    assert any("would run out around" in text for text in found.warnings)
    w.pot.allocation_pence = 100_000
    assert not services.quote(w.holder, w.listing, w.pot, long, TODAY).warnings


def test_a_provider_cannot_be_double_booked(world):
    w = world
    first = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    second = services.request_booking(
        w.holder, w.holder, w.listing, w.pot, one_off(start=time(11, 0), minutes=60), TODAY
    )
    services.accept(w.provider_user, first, TODAY)
    db.session.commit()
    taken = f"{TUESDAY:%A %-d %B %Y}: the provider is already booked from 9am to 1pm"
    with pytest.raises(DomainError, match=taken):
        services.accept(w.provider_user, second, TODAY)
    db.session.rollback()
    assert balances(w).held_pence == 6000


def test_a_counter_offer_accepted_by_the_holder_fixes_the_new_price(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    made = services.offer(w.provider_user, booking, 1250, "Five sessions for the price of four")
    services.answer_offer(w.holder, made, accept_it=True, today=TODAY)
    db.session.commit()
    assert booking.state == BookingState.ACCEPTED
    assert booking.occurrences[0].price_pence == 5000


def test_the_same_answer_to_an_offer_again_is_answered_as_the_first_and_does_nothing(world):
    """A double click on "Accept offer" (or "Decline offer"): the second changes nothing and is
    not told the offer is closed, which would read as if the first had failed."""
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    made = services.offer(w.provider_user, booking, 1250, "")
    services.answer_offer(w.holder, made, accept_it=True, today=TODAY)
    db.session.commit()
    with pytest.raises(AlreadyMoved):
        services.answer_offer(w.holder, made, accept_it=True, today=TODAY)
    with pytest.raises(DomainError, match="no longer open"):
        services.answer_offer(w.holder, made, accept_it=False, today=TODAY)
    assert len(booking.occurrences) == 1

    later = one_off(start=time(14, 0), minutes=60)
    other = services.request_booking(w.holder, w.holder, w.listing, w.pot, later, TODAY)
    turned_down = services.offer(w.provider_user, other, 1250, "")
    services.answer_offer(w.holder, turned_down, accept_it=False, today=TODAY)
    with pytest.raises(AlreadyMoved):
        services.answer_offer(w.holder, turned_down, accept_it=False, today=TODAY)
    assert other.state == BookingState.REQUESTED


def test_late_cancellation_by_the_holder_pays_the_charge_and_returns_the_rest(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    start = booking.occurrences[0].starts_at
    services.cancel_by_holder(w.holder, booking, "Feeling unwell", now=start - timedelta(hours=5))
    db.session.commit()
    assert payments.payable_account(w.provider.id).balance_pence == 3000  # 50% charge
    assert balances(w).available_pence == 97_000 and balances(w).held_pence == 0
    assert_ledger_whole()


def test_early_cancellation_by_the_holder_is_free(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    start = booking.occurrences[0].starts_at
    services.cancel_by_holder(w.holder, booking, "Plans changed", now=start - timedelta(days=3))
    db.session.commit()
    assert balances(w).available_pence == 100_000


def test_terms_edited_after_acceptance_do_not_change_the_deal(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    w.listing.cancellation_notice_hours, w.listing.cancellation_charge_bps = 24 * 30, 10_000
    db.session.commit()  # the provider now asks a month's notice and charges everything
    start = booking.occurrences[0].starts_at
    services.cancel_by_holder(w.holder, booking, "Plans changed", now=start - timedelta(days=3))
    db.session.commit()
    assert (booking.cancellation_notice_hours, booking.cancellation_charge_bps) == (48, 5000)
    assert balances(w).available_pence == 100_000  # free, as agreed: 48 hours' notice was given
    assert payments.payable_account(w.provider.id).balance_pence == 0
    assert_ledger_whole()


def test_cancellation_by_the_provider_is_always_free_to_the_holder(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, weekly_rota(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    services.cancel_by_provider(w.provider_user, booking, "Moving away")
    db.session.commit()
    assert balances(w).available_pence == 100_000
    assert {o.state for o in booking.occurrences} == {OccurrenceState.CANCELLED}


def test_a_dispute_freezes_the_money_until_a_commissioner_part_pays(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    [occurrence] = booking.occurrences
    services.mark_delivered(w.provider_user, occurrence, 240, now=occurrence.ends_at)
    services.dispute(w.holder, occurrence, "Left after two hours")
    db.session.commit()
    assert balances(w).held_pence == 6000
    with pytest.raises(NotAllowed):
        services.resolve_dispute(w.holder, occurrence, 6000, "mine")
    services.resolve_dispute(w.commissioner, occurrence, 3000, "Two hours worked")
    db.session.commit()
    assert payments.payable_account(w.provider.id).balance_pence == 3000
    assert balances(w).available_pence == 97_000
    assert_ledger_whole()


def test_unanswered_requests_expire_and_silent_deliveries_confirm_after_seven_days(world):
    w = world
    stale = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.expire_due(now=stale.expires_at + timedelta(seconds=1))
    assert stale.state == BookingState.EXPIRED

    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    [occurrence] = booking.occurrences
    services.mark_delivered(w.provider_user, occurrence, 180, now=occurrence.ends_at)
    assert services.auto_confirm(now=occurrence.ends_at + timedelta(days=6)) == []
    assert services.auto_confirm(now=occurrence.ends_at + timedelta(days=7)) == [occurrence]
    db.session.commit()
    assert payments.payable_account(w.provider.id).balance_pence == 4500  # 3 hours worked
    assert_ledger_whole()


def test_only_the_people_in_a_booking_can_move_it(world, make_user):
    w = world
    stranger = make_user(Role.PROVIDER)
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    with pytest.raises(NotFound):  # a stranger never learns the booking exists
        services.accept(stranger, booking, TODAY)
    with pytest.raises(NotAllowed):  # the holder is in it, but may not accept it
        services.accept(w.holder, booking, TODAY)
    with pytest.raises(NotAllowed):
        services.request_booking(stranger, w.holder, w.listing, w.pot, one_off(), TODAY)


ALL_SIDES = list(Side)


@pytest.mark.parametrize("side", ALL_SIDES)
@pytest.mark.parametrize("target", list(BookingState))
@pytest.mark.parametrize("current", list(BookingState))
def test_every_booking_move_is_allowed_exactly_as_the_table_says(app_ctx, current, target, side):
    booking = Booking(state=current, id=1)
    allowed = side in BOOKING_MOVES.get((current, target), frozenset())
    if allowed:
        move_booking(booking, target, side=side, actor_id=None)
        assert booking.state == target
    else:
        with pytest.raises(MoveNotAllowed):
            move_booking(booking, target, side=side, actor_id=None)
        assert booking.state == current


@pytest.mark.parametrize("side", ALL_SIDES)
@pytest.mark.parametrize("target", list(OccurrenceState))
@pytest.mark.parametrize("current", list(OccurrenceState))
def test_every_session_move_is_allowed_exactly_as_the_table_says(app_ctx, current, target, side):
    occurrence = Occurrence(state=current, id=1, booking_id=1)
    allowed = side in OCCURRENCE_MOVES.get((current, target), frozenset())
    if allowed:
        move_occurrence(occurrence, target, side=side, actor_id=None)
        assert occurrence.state == target
    else:
        with pytest.raises(MoveNotAllowed):
            move_occurrence(occurrence, target, side=side, actor_id=None)
        assert occurrence.state == current


def test_a_rota_that_cannot_be_extended_tells_both_sides(world):
    from marketplace.mail import OutboundEmail

    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, weekly_rota(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    payments.hold(
        w.pot,
        payments.balance(w.pot).available_pence,
        "everything else",
        provider=w.provider,
        category=w.pa,
        description="another booking",
    )
    db.session.commit()
    assert services.extend_rotas(TODAY + timedelta(days=7)) == []
    db.session.commit()
    told = {
        m.to_address for m in db.session.query(OutboundEmail).filter_by(template="rota_not_funded")
    }
    assert told == {w.holder.email, w.provider_user.email}
    assert db.session.query(SpendRefusal).count() == 1
    assert services.standing_refusal(booking) is not None
    assert_ledger_whole()

    # The other booking's money comes back: the next run books the weeks, and the refusal no
    # longer stands on the booking's page.
    payments.release(db.session.query(Hold).filter_by(reference="everything else").one())
    db.session.commit()
    with clock.frozen(clock.now() + timedelta(minutes=1)):
        assert services.extend_rotas(TODAY + timedelta(days=7)) != []
    db.session.commit()
    assert services.standing_refusal(booking) is None
    assert_ledger_whole()


def test_moves_outside_the_table_are_refused(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.decline(w.provider_user, booking, "Fully booked")
    with pytest.raises(DomainError, match="already been answered"):
        services.accept(w.provider_user, booking, TODAY)
    with pytest.raises(MoveNotAllowed, match="cannot change from declined"):
        move_booking(booking, BookingState.ACCEPTED, side=Side.PROVIDER, actor_id=None)
    fresh = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    with pytest.raises(MoveNotAllowed, match="You cannot make this change"):
        move_booking(fresh, BookingState.EXPIRED, side=Side.HOLDER, actor_id=None)
    assert (OccurrenceState.PAID, OccurrenceState.SCHEDULED) not in OCCURRENCE_MOVES


@pytest.mark.skipif(
    not __import__("os").environ.get("TEST_DATABASE_URL"),
    reason="row locks need PostgreSQL (runs in make test)",
)
def test_concurrent_accepts_of_overlapping_requests_book_the_provider_once(world, app):

    w = world
    ids = [
        services.request_booking(
            w.holder, w.holder, w.listing, w.pot, one_off(start=time(9 + n % 2, 0)), TODAY
        ).id
        for n in range(6)
    ]
    db.session.commit()
    provider_user_id = w.provider_user.id
    outcomes: list[str] = []

    def accept(booking_id: int) -> None:
        from marketplace.accounts.models import User
        from marketplace.bookings.models import Booking

        with app.app_context():
            try:
                user = db.session.get(User, provider_user_id)
                services.accept(user, db.session.get(Booking, booking_id), TODAY)
                db.session.commit()
                outcomes.append("accepted")
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    run_together(accept, ids)
    assert outcomes.count("accepted") == 1 and outcomes.count("refused") == 5
    assert balances(w).held_pence == 6000
    assert_ledger_whole()


def test_each_step_emails_the_people_on_the_other_side(world):
    from marketplace.mail import OutboundEmail

    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    [occurrence] = booking.occurrences
    services.mark_delivered(w.provider_user, occurrence, 240, now=occurrence.ends_at)
    services.dispute(w.holder, occurrence, "Late")
    db.session.commit()
    sent = [
        (m.to_address, m.template)
        for m in db.session.query(OutboundEmail).order_by(OutboundEmail.id)
    ]
    assert sent == [
        (w.provider_user.email, "booking_requested"),
        (w.holder.email, "booking_accepted"),
        (w.holder.email, "booking_delivered"),
        (w.commissioner.email, "booking_disputed"),
        (w.provider_user.email, "booking_disputed"),
    ]


def test_an_agency_books_each_named_worker_once_at_a_time(world):
    from provider_onboarding.models import Worker

    w = world
    ann = Worker(provider_id=w.provider.id, name="Ann", languages=[])
    bea = Worker(provider_id=w.provider.id, name="Bea", languages=[])
    db.session.add_all([ann, bea])
    db.session.commit()
    first, second, third = (
        services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
        for _ in range(3)
    )
    db.session.commit()
    with pytest.raises(DomainError, match="Choose who will do these sessions"):
        services.accept(w.provider_user, first, TODAY)
    db.session.rollback()
    services.accept(w.provider_user, first, TODAY, worker_id=ann.id)
    services.accept(w.provider_user, second, TODAY, worker_id=bea.id)  # same time, other worker
    db.session.commit()
    with pytest.raises(
        DomainError, match=f"{TUESDAY:%A %-d %B %Y}: Ann is already booked from 9am"
    ):
        services.accept(w.provider_user, third, TODAY, worker_id=ann.id)
    db.session.rollback()
    assert {o.worker_id for b in (first, second) for o in b.occurrences} == {ann.id, bea.id}
    assert_ledger_whole()


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (9, 1500),  # under a block: the full price
        (10, 1200),  # one block of 10 hours for the price of 8
        (12, 1250),  # a block and 2 hours: 10 hours' price for 12, £12.50 each
        (20, 1200),
    ],
)
def test_a_block_price_for_a_booking_of_known_length(world, hours, expected):
    w = world
    w.listing.block_quantity, w.listing.block_pays_for = 10, 8
    works_round_the_clock(w.listing)
    request = services.Request(
        BookingKind.ONE_OFF, day=TUESDAY, start=time(0, 0), duration_minutes=hours * 60
    )
    found = services.quote(w.holder, w.listing, w.pot, request, TODAY)
    assert found.unit_price_pence == expected
    assert found.first_period_pence == expected * hours
    assert ("Block price: 10 for the price of 8" in found.block) == (expected < 1500)
    assert found.first_period_pence <= 1500 * (hours - 2 * (hours // 10))


def test_a_rota_with_an_end_pays_the_block_price_and_an_ongoing_one_does_not(world):
    w = world
    w.listing.block_quantity, w.listing.block_pays_for = 10, 8
    db.session.commit()
    # Mondays 3 hours and Thursdays 2 hours for four weeks: 20 hours, two blocks.
    ending = weekly_rota(ends_on=TODAY + timedelta(days=27))
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, ending, TODAY)
    assert booking.unit_price_pence == 1200
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    assert sum(o.price_pence for o in booking.occurrences) == 20 * 1200
    assert balances(w).held_pence == 20 * 1200
    after_it = replace(weekly_rota(), starts_on=TODAY + timedelta(days=28))
    ongoing = services.request_booking(w.holder, w.holder, w.listing, w.pot, after_it, TODAY)
    assert ongoing.unit_price_pence == 1500
    assert_ledger_whole()


def test_an_agency_is_free_to_cover_while_one_named_worker_is(world):
    """Cover is offered from an agency only when one of its workers is free at every time."""
    from marketplace.bookings import schedule
    from provider_onboarding.models import Worker

    w = world
    shifts = [schedule.one_shift(TUESDAY, NINE, 240)]
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)  # the provider works alone: now busy
    db.session.commit()
    assert not services.free_for(w.provider.id, shifts, booking_id=0)
    assert services.free_for(w.provider.id, shifts, booking_id=booking.id)  # its own sessions

    agency = w.provider
    ann = Worker(provider_id=agency.id, name="Ann", languages=[])
    bea = Worker(provider_id=agency.id, name="Bea", languages=[])
    db.session.add_all([ann, bea])
    db.session.commit()
    assert services.free_for(agency.id, shifts, booking_id=0)  # the old session named nobody
    for worker in (ann, bea):
        taken = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
        services.accept(w.provider_user, taken, TODAY, worker_id=worker.id)
        db.session.commit()
        assert services.free_for(agency.id, shifts, booking_id=0) == (worker is ann)
    later = [schedule.one_shift(TUESDAY + timedelta(days=7), NINE, 240)]
    assert services.free_for(agency.id, later, booking_id=0)


def test_a_double_clicked_accept_makes_one_set_of_sessions_and_answers_both_alike(world, app):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    db.session.commit()
    browser = app.test_client()
    browser.post("/sign-in", data={"email": w.provider_user.email, "password": PASSWORD})

    first = browser.post(f"/bookings/{booking.id}/accept", follow_redirects=True)
    second = browser.post(f"/bookings/{booking.id}/accept", follow_redirects=True)

    db.session.expire_all()
    assert first.status_code == second.status_code == 200
    assert "already" not in second.text  # the second click is answered as the first was
    assert db.session.get(Booking, booking.id).state == BookingState.ACCEPTED
    assert len(db.session.get(Booking, booking.id).occurrences) == 1
    assert balances(w).held_pence == 6000  # one session of 4 hours at £15, held once
    moves = db.session.query(BookingEvent).filter_by(booking_id=booking.id, to_state="accepted")
    assert moves.count() == 1
    assert_ledger_whole()


def test_a_booking_cannot_hold_two_sessions_at_one_start(world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    [session] = booking.occurrences
    copy = Occurrence(
        booking_id=booking.id,
        provider_id=booking.provider_id,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        price_pence=session.price_pence,
    )
    db.session.add(copy)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.skipif(
    not __import__("os").environ.get("TEST_DATABASE_URL"),
    reason="row locks need PostgreSQL (runs in make test)",
)
def test_twenty_concurrent_accepts_of_one_request_accept_it_once(world, app):
    import threading

    w = world
    booking_id = services.request_booking(
        w.holder, w.holder, w.listing, w.pot, weekly_rota(), TODAY
    ).id
    db.session.commit()
    provider_user_id = w.provider_user.id
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def accept() -> None:
        from marketplace.accounts.models import User

        start.wait(timeout=30)  # all at once; the pool (15 connections) queues the rest
        with app.app_context():
            try:
                user = db.session.get(User, provider_user_id)
                found = db.session.get(Booking, booking_id)
                services.accept(user, found, TODAY)
                db.session.commit()
                outcomes.append("accepted")
            except AlreadyMoved:
                db.session.rollback()
                outcomes.append("already")
            finally:
                db.session.remove()

    run_together(lambda _: accept(), range(20))
    db.session.expire_all()
    accepted = db.session.get(Booking, booking_id)
    assert outcomes.count("accepted") == 1 and outcomes.count("already") == 19
    starts = [o.starts_at for o in accepted.occurrences]
    assert len(starts) == len(set(starts)) > 0
    assert balances(w).held_pence == sum(o.price_pence for o in accepted.occurrences)
    assert_ledger_whole()
