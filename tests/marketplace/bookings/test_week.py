"""Requests respect the provider's week: weekly times, days off, bank holidays and sessions
already booked, with the dates named and the nearest free times offered; and what both sides
read when a budget cannot pay."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

import pytest

from marketplace.bookings import schedule, services, week
from marketplace.bookings.models import Booking, BookingKind, BookingState
from marketplace.bookings.schedule import Slot
from marketplace.directory.models import AvailabilityException, PriceUnit, ProviderKind
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from marketplace.payments import services as payments
from marketplace.payments.models import Hold, SpendRefusal
from tests.frozen import NOW, next_weekday

from .conftest import NINE, TODAY
from .test_bookings import TUESDAY, assert_ledger_whole, one_off
from .test_pages import as_user, form_for

ON_TUESDAY = f"{TUESDAY:%A %-d %B %Y}"


def ask(w, request):
    return services.request_booking(w.holder, w.holder, w.listing, w.pot, request, TODAY)


def day_off(w, first, last=None):
    w.listing.exceptions.append(
        AvailabilityException(starts_on=first, ends_on=last or first, reason="Holiday")
    )
    db.session.commit()


def still_waiting(booking):
    """A refused accept left the request as it was: no sessions, no money moved."""
    db.session.rollback()
    db.session.expire_all()
    assert booking.state == BookingState.REQUESTED and booking.occurrences == []
    assert_ledger_whole()


def next_bank_holiday():
    """The first bank holiday in England and Wales that can be booked from the frozen today."""
    ahead = [
        day
        for day in sorted(schedule._bank_holidays())
        if TODAY + timedelta(days=1) < day <= TODAY + timedelta(days=300)
    ]
    if not ahead:
        pytest.skip("the bundled list of bank holidays has none in the next 300 days")
    return ahead[0]


def test_a_one_off_outside_the_providers_weekly_times_is_refused_naming_the_date(world):
    w = world
    with pytest.raises(week.OutsideTheWeek) as refused:
        ask(w, one_off(start=time(6, 0), minutes=60))
    assert f"{ON_TUESDAY}: the provider works from 7am to 10pm on Tuesdays" in str(refused.value)
    with pytest.raises(week.OutsideTheWeek, match="works from 7am to 10pm"):
        ask(w, one_off(start=time(21, 0), minutes=120))  # runs past 10pm
    assert ask(w, one_off(start=time(7, 0), minutes=15 * 60)).state == BookingState.REQUESTED


def test_a_day_the_provider_does_not_work_is_refused(world):
    w = world
    w.listing.availability = [r for r in w.listing.availability if r.weekday != 6]
    db.session.commit()
    sunday = next_weekday(6)
    with pytest.raises(week.OutsideTheWeek, match="the provider does not work on Sundays"):
        ask(w, one_off(day=sunday))


def test_goods_need_no_weekly_times(world):
    w = world
    w.listing.price_unit = PriceUnit.ITEM
    db.session.commit()
    assert ask(w, one_off(start=time(5, 0), minutes=60)).state == BookingState.REQUESTED


def test_a_day_off_is_refused_and_a_rota_across_it_names_the_date(world):
    w = world
    day_off(w, TUESDAY)
    with pytest.raises(week.OutsideTheWeek, match=f"{ON_TUESDAY}: the provider is not working"):
        ask(w, one_off())
    holiday = next_weekday(0, TODAY + timedelta(weeks=20))
    day_off(w, holiday, holiday + timedelta(days=6))
    rota = services.Request(
        BookingKind.ROTA, slots=(Slot(0, NINE, 120),), starts_on=next_weekday(0), ends_on=None
    )
    with pytest.raises(week.OutsideTheWeek) as refused:
        ask(w, rota)
    assert refused.value.misfits == [week.Misfit(holiday, "the provider is not working that day")]
    ending_before = replace(rota, ends_on=holiday - timedelta(days=1))
    assert ask(w, ending_before).state == BookingState.REQUESTED


def test_a_bank_holiday_is_refused_unless_the_listing_works_them(world):
    w = world
    holiday = next_bank_holiday()
    w.listing.works_bank_holidays = False
    db.session.commit()
    with pytest.raises(week.OutsideTheWeek) as refused:
        ask(w, one_off(day=holiday))
    said = f"{holiday:%A %-d %B %Y}: the provider does not work on bank holidays"
    assert said in str(refused.value)
    w.listing.works_bank_holidays = True
    db.session.commit()
    assert ask(w, one_off(day=holiday)).state == BookingState.REQUESTED


def test_a_request_over_a_session_already_booked_is_refused(world):
    w = world
    first = ask(w, one_off())  # Tuesday 9am to 1pm
    services.accept(w.provider_user, first, TODAY)
    db.session.commit()
    with pytest.raises(week.OutsideTheWeek) as refused:
        ask(w, one_off(start=time(11, 0), minutes=60))
    assert f"{ON_TUESDAY}: the provider is already booked from 9am to 1pm" in str(refused.value)
    assert ask(w, one_off(start=time(13, 0), minutes=60)).state == BookingState.REQUESTED


def test_an_agency_is_refused_only_when_none_of_its_workers_is_free(world):
    from provider_onboarding.models import Worker

    w = world
    ann, bea = (
        Worker(provider_id=w.provider.id, name="Ann"),
        Worker(provider_id=w.provider.id, name="Bea"),
    )
    db.session.add_all([ann, bea])
    db.session.commit()
    services.accept(w.provider_user, ask(w, one_off()), TODAY, worker_id=ann.id)
    db.session.commit()
    second = ask(w, one_off())  # Bea is free
    services.accept(w.provider_user, second, TODAY, worker_id=bea.id)
    db.session.commit()
    with pytest.raises(week.OutsideTheWeek, match="nobody from the provider is free then"):
        ask(w, one_off())


def test_the_nearest_free_times_are_offered(world):
    w = world
    services.accept(w.provider_user, ask(w, one_off()), TODAY)  # Tuesday 9am to 1pm
    db.session.commit()
    wanted = one_off(start=time(11, 0), minutes=60)
    free = services.nearest_free(w.listing, wanted, TODAY, NOW)
    wednesday, thursday = TUESDAY + timedelta(days=1), TUESDAY + timedelta(days=2)
    assert [(t.day, t.start) for t in free] == [
        (TUESDAY, time(13, 0)),  # the nearest start on the day that is free for an hour
        (wednesday, time(11, 0)),
        (thursday, time(11, 0)),
    ]
    assert free[0].label == f"{TUESDAY:%A %-d %B} at 1pm"


def test_a_rota_outside_the_weekly_times_is_offered_the_nearest_times_that_fit(world):
    w = world
    early = services.Request(
        BookingKind.ROTA,
        slots=(Slot(0, time(6, 0), 120), Slot(3, time(6, 0), 120)),
        starts_on=next_weekday(0),
    )
    with pytest.raises(week.OutsideTheWeek, match="the provider works from 7am to 10pm on Mondays"):
        ask(w, early)
    free = services.nearest_free(w.listing, early, TODAY, NOW)
    assert [t.label for t in free] == [
        "Mondays and Thursdays at 7am",
        "Mondays and Thursdays at 7:30am",
    ]
    assert all(t.day == next_weekday(0) and t.ends_on is None for t in free)


def test_a_rota_is_offered_other_times_and_an_end_before_the_day_off(world):
    w = world
    monday = next_weekday(0)
    holiday = monday + timedelta(weeks=6)
    day_off(w, holiday)
    rota = services.Request(BookingKind.ROTA, slots=(Slot(0, NINE, 120),), starts_on=monday)
    free = services.nearest_free(w.listing, rota, TODAY, NOW)
    # The day off is all day: no other time fits, but the same times ending before it do.
    assert [(t.label, t.ends_on) for t in free] == [
        (
            f"The same times, ending on {holiday - timedelta(days=1):%A %-d %B %Y}",
            holiday - timedelta(days=1),
        )
    ]


def test_the_request_page_names_the_dates_and_offers_times_that_fill_the_form(app, world):
    w = world
    taken = ask(w, one_off(day=TUESDAY + timedelta(days=7), start=time(9, 0)))
    services.accept(w.provider_user, taken, TODAY)
    db.session.commit()
    client = as_user(app, w.holder)
    page = client.post(f"/bookings/new/{w.listing.id}", data=form_for(w))  # next Tuesday 9:30am
    assert page.status_code == 400
    next_tuesday = TUESDAY + timedelta(days=7)
    assert (
        f"{next_tuesday:%A %-d %B %Y}: the provider is already booked from 9am to 1pm" in page.text
    )
    assert "Times the provider is free" in page.text
    assert f"{next_tuesday:%A %-d %B} at 7am" in page.text  # 7 to 9am, before the session
    # The button sends the same answers with the free time, back to the form to check.
    assert 'name="start" value="07:00"' in page.text
    chosen = client.post(
        f"/bookings/new/{w.listing.id}", data={**form_for(w), "start": "07:00", "change": "yes"}
    )
    assert chosen.status_code == 200 and 'value="07:00"' in chosen.text
    check = client.post(f"/bookings/new/{w.listing.id}", data=form_for(w, start="07:00"))
    assert "Check your request before sending it" in check.text
    assert db.session.query(Booking).count() == 1


def test_accepting_checks_again_and_refuses_after_a_day_off_was_added(world):
    w = world
    booking = ask(w, one_off())
    db.session.commit()
    day_off(w, TUESDAY)  # the provider books a holiday before answering
    with pytest.raises(week.OutsideTheWeek, match=f"{ON_TUESDAY}: the provider is not working"):
        services.accept(w.provider_user, booking, TODAY)
    still_waiting(booking)


def test_accepting_an_offer_checks_again_too(world):
    w = world
    booking = ask(w, one_off())
    made = services.offer(w.provider_user, booking, 1400, "A little less")
    db.session.commit()
    other = ask(w, one_off(start=time(12, 0), minutes=60))
    services.accept(w.provider_user, other, TODAY)  # the provider took another booking meanwhile
    db.session.commit()
    with pytest.raises(week.OutsideTheWeek, match="already booked from midday to 1pm"):
        services.answer_offer(w.holder, made, accept_it=True, today=TODAY)
    still_waiting(booking)


def test_extending_a_rota_skips_dates_that_no_longer_fit(world):
    w = world
    monday = next_weekday(0)
    rota = services.Request(BookingKind.ROTA, slots=(Slot(0, NINE, 120),), starts_on=monday)
    booking = ask(w, rota)
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    last = booking.occurrences[-1].starts_at.astimezone(schedule.LONDON).date()
    assert last <= TODAY + timedelta(days=27)  # four weeks are scheduled at first
    away = last + timedelta(weeks=1)  # the next Monday the job would book
    day_off(w, away)
    made = services.extend_rotas(TODAY + timedelta(days=14))
    db.session.commit()
    starts = {o.starts_at.astimezone(schedule.LONDON).date() for o in booking.occurrences}
    assert away not in starts and away + timedelta(weeks=1) in starts
    assert len(made) == 1
    told = (
        db.session.query(OutboundEmail)
        .filter_by(template="rota_dates_skipped")
        .order_by(OutboundEmail.id)
        .all()
    )
    assert {e.to_address for e in told} == {w.holder.email, w.provider_user.email}
    assert f"- {away:%A %-d %B %Y}: the provider is not working that day" in told[0].body_text
    assert_ledger_whole()


def test_an_agreed_rota_holds_its_times_beyond_the_weeks_already_scheduled(world):
    w = world
    monday = next_weekday(0)
    rota = services.Request(BookingKind.ROTA, slots=(Slot(0, NINE, 180),), starts_on=monday)
    services.accept(w.provider_user, ask(w, rota), TODAY)
    db.session.commit()
    later = monday + timedelta(weeks=10)  # no session made yet, but the rota has that time
    with pytest.raises(week.OutsideTheWeek, match="already booked from 9am to midday"):
        ask(w, one_off(day=later, start=time(10, 0), minutes=60))
    assert ask(w, one_off(day=later, start=time(12, 0), minutes=60)).state == BookingState.REQUESTED


# What both sides read when the budget cannot pay.


def refused_booking(w):
    booking = ask(w, one_off())
    w.pot.allocation_pence = 0
    payments.hold(
        w.pot, 99_000, "something else", provider=w.provider, category=w.pa, description="earlier"
    )
    db.session.commit()
    return booking


def test_when_the_budget_cannot_pay_both_sides_read_why_and_what_to_do(app, world):
    w = world
    booking = refused_booking(w)
    provider = as_user(app, w.provider_user)
    answer = provider.post(f"/bookings/{booking.id}/accept", follow_redirects=True)
    assert "could not be set aside" in answer.text
    assert "The booking could not be accepted, so it is still waiting" in answer.text
    assert "The person's budget cannot pay for this yet" in answer.text
    assert "£10.00 available" not in answer.text  # the holder's balance is theirs
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).state == BookingState.REQUESTED

    holder_page = as_user(app, w.holder).get(f"/bookings/{booking.id}").text
    assert "govuk-notification-banner" in holder_page
    assert "Your budget has £10.00 available" in holder_page
    assert f"/payments/pots/{w.pot.id}/top-up" in holder_page
    assert "ask your council or NHS team" in holder_page

    commissioner_page = as_user(app, w.commissioner).get(f"/bookings/{booking.id}").text
    assert "/payments/refusals" in commissioner_page
    assert db.session.query(SpendRefusal).filter_by(reference=f"booking:{booking.id}").count() == 1


def test_outside_the_plan_and_above_the_cap_say_what_to_do(app, world):
    w = world
    w.listing.categories = [w.physio]
    booking = ask(w, one_off())
    db.session.commit()
    as_user(app, w.provider_user).post(f"/bookings/{booking.id}/accept")
    holder_page = as_user(app, w.holder).get(f"/bookings/{booking.id}").text
    assert "ask your council or NHS team to add physiotherapy to your support plan" in holder_page

    w.listing.categories = [w.pa]
    w.provider.kind = ProviderKind.PERSONAL_ASSISTANT
    w.listing.price_pence = 2500  # above the £18.00 cap for personal assistants
    db.session.commit()
    dear = ask(w, one_off(day=TUESDAY + timedelta(days=7)))
    db.session.commit()
    provider = as_user(app, w.provider_user)
    provider.post(f"/bookings/{dear.id}/accept")
    provider_page = provider.get(f"/bookings/{dear.id}").text
    assert (
        "above the £18.00 an hour" in provider_page and "offer a price within it" in provider_page
    )


def test_an_accepted_booking_shows_no_old_refusal(app, world):
    w = world
    booking = refused_booking(w)
    as_user(app, w.provider_user).post(f"/bookings/{booking.id}/accept")
    payments.release(db.session.query(Hold).filter_by(reference="something else").one())
    db.session.commit()
    assert as_user(app, w.provider_user).post(f"/bookings/{booking.id}/accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).state == BookingState.ACCEPTED
    assert "could not be accepted" not in as_user(app, w.holder).get(f"/bookings/{booking.id}").text
