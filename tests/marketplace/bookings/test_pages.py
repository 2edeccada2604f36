"""The booking pages, as a holder, a representative, a provider and a commissioner use them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.accounts.models import ConsentMethod, Representation, Role
from marketplace.bookings import schedule, services
from marketplace.bookings.models import Booking, BookingState, OccurrenceState
from marketplace.extensions import db
from marketplace.mail import OutboundEmail

from .conftest import NINE, TODAY
from .test_bookings import TUESDAY, one_off

NEXT_TUESDAY = TUESDAY + timedelta(days=7)


def form_for(w, **changes):
    data = {
        "pot": str(w.pot.id),
        "kind": "one_off",
        "day": [str(NEXT_TUESDAY.day), str(NEXT_TUESDAY.month), str(NEXT_TUESDAY.year)],
        "start": "9:30am",
        "hours": "2",
        "note": "Please ring the bell twice",
    }
    data.update(changes)
    return data


def as_user(app, user):
    client = app.test_client()
    response = client.post(
        "/sign-in", data={"email": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    return client


def test_a_holder_checks_the_price_then_sends_a_request(app, world):
    w = world
    client = as_user(app, w.holder)
    page = client.get(f"/bookings/new/{w.listing.id}")
    assert page.status_code == 200 and "Which budget will pay?" in page.text
    check = client.post(f"/bookings/new/{w.listing.id}", data=form_for(w))
    assert check.status_code == 200
    assert "Check your request before sending it" in check.text and "£30.00" in check.text
    sent = client.post(f"/bookings/new/{w.listing.id}", data={**form_for(w), "confirm": "yes"})
    assert sent.status_code == 302
    booking = db.session.query(Booking).one()
    assert booking.state == BookingState.REQUESTED and booking.note == "Please ring the bell twice"
    assert client.get(sent.headers["Location"]).status_code == 200
    assert db.session.query(OutboundEmail).filter_by(template="booking_requested").count() == 1


def test_the_check_page_says_when_and_how_long_and_lets_the_person_change_it(app, world):
    w = world
    client = as_user(app, w.holder)
    check = client.post(f"/bookings/new/{w.listing.id}", data=form_for(w))
    page = check.get_data(as_text=True)
    assert f"{NEXT_TUESDAY:%A %-d %B %Y}, 9:30am for 2 hours" in page
    assert "the money for this session is set aside" in page and "first 4 weeks" not in page
    assert "Back to the service" in page and ">Change<" in page

    back = client.post(f"/bookings/new/{w.listing.id}", data={**form_for(w), "change": "yes"})
    assert back.status_code == 200 and "Which budget will pay?" in back.text
    assert 'value="9:30am"' in back.text  # the answers are kept
    assert db.session.query(Booking).count() == 0


def test_the_check_page_says_when_a_block_price_applies(app, world):
    w = world
    w.listing.block_quantity, w.listing.block_pays_for = 2, 1
    db.session.commit()
    client = as_user(app, w.holder)
    check = client.post(f"/bookings/new/{w.listing.id}", data=form_for(w))
    assert "Block price: 2 for the price of 1" in check.text
    assert "£7.50 per hour" in check.text and "£15.00" in check.text  # 2 hours for the price of 1
    sent = client.post(f"/bookings/new/{w.listing.id}", data={**form_for(w), "confirm": "yes"})
    assert sent.status_code == 302
    assert db.session.query(Booking).one().unit_price_pence == 750


def test_a_bad_request_shows_messages_and_saves_nothing(app, world):
    w = world
    client = as_user(app, w.holder)
    response = client.post(
        f"/bookings/new/{w.listing.id}",
        data=form_for(w, start="25:99", hours="100", kind="rota", weekdays=[]),
    )
    assert response.status_code == 400
    for message in (
        "Enter a time like 9:30am",
        "Enter between 0.25 and 24 hours",
        "Choose at least one day of the week",
    ):
        assert message in response.text
    assert db.session.query(Booking).count() == 0


def test_a_rota_starting_in_the_past_is_shown_on_its_first_date(app, world):
    w = world
    last_week = TODAY - timedelta(days=7)
    response = as_user(app, w.holder).post(
        f"/bookings/new/{w.listing.id}",
        data=form_for(
            w,
            kind="rota",
            weekdays=["1"],
            day=[str(last_week.day), str(last_week.month), str(last_week.year)],
        ),
    )
    assert response.status_code == 400
    assert '<a href="#day-day">The rota must start today or later</a>' in response.text
    assert '<a href="#pot">' not in response.text
    assert db.session.query(Booking).count() == 0


def test_a_representative_books_for_the_holder_they_act_for(app, world, make_user):
    w = world
    rep = make_user(Role.REPRESENTATIVE, tenant=w.holder.tenant)
    db.session.add(
        Representation(
            holder_id=w.holder.id,
            representative_id=rep.id,
            relationship_to_holder="Daughter",
            consent_method=ConsentMethod.HOLDER_ONLINE,
            consent_recorded_by_id=w.holder.id,
        )
    )
    db.session.commit()
    client = as_user(app, rep)
    sent = client.post(f"/bookings/new/{w.listing.id}", data={**form_for(w), "confirm": "yes"})
    assert sent.status_code == 302
    booking = db.session.query(Booking).one()
    assert booking.holder_id == w.holder.id and booking.requested_by_id == rep.id


def test_the_provider_accepts_from_the_booking_page_and_others_cannot_see_it(app, world, make_user):
    w = world
    booking = services.request_booking(
        w.holder, w.holder, w.listing, w.pot, one_off(day=NEXT_TUESDAY), TODAY
    )
    db.session.commit()
    provider = as_user(app, w.provider_user)
    assert "Booking requests" in provider.get("/bookings/inbox").text
    page = provider.get(f"/bookings/{booking.id}")
    assert page.status_code == 200 and "Accept" in page.text
    assert provider.post(f"/bookings/{booking.id}/accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).state == BookingState.ACCEPTED

    stranger = as_user(app, make_user(Role.HOLDER))
    assert stranger.get(f"/bookings/{booking.id}").status_code == 404
    other_commissioner = as_user(app, make_user(Role.COMMISSIONER))
    assert other_commissioner.get(f"/bookings/{booking.id}").status_code == 404
    own_commissioner = as_user(app, w.commissioner)
    assert own_commissioner.get(f"/bookings/{booking.id}").status_code == 200


def test_delivery_confirmation_and_review_through_the_pages(app, world):
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    [occurrence] = booking.occurrences
    services.mark_delivered(w.provider_user, occurrence, 240, now=occurrence.ends_at)
    db.session.commit()
    holder = as_user(app, w.holder)
    assert holder.post(f"/bookings/sessions/{occurrence.id}/confirm").status_code == 302
    db.session.expire_all()
    assert occurrence.state == OccurrenceState.CONFIRMED
    review = holder.post(
        f"/bookings/{booking.id}/review", data={"stars": "5", "text": "Kind and on time"}
    )
    assert review.status_code == 302
    listing_page = app.test_client().get(f"/listings/{w.listing.id}")
    assert (
        "5.0 out of 5 from 1 review" in listing_page.text
        and "Kind and on time" in listing_page.text
    )
    again = holder.post(f"/bookings/{booking.id}/review", data={"stars": "1", "text": "Twice"})
    assert again.status_code == 302
    assert "one review for a booking" in holder.get(again.headers["Location"]).text


def test_the_calendar_feed_lists_sessions_at_a_secret_address(app, world):
    w = world
    booking = services.request_booking(
        w.holder, w.holder, w.listing, w.pot, one_off(day=NEXT_TUESDAY), TODAY
    )
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    holder = as_user(app, w.holder)
    week = holder.get(f"/bookings/calendar?week={NEXT_TUESDAY.isoformat()}")
    assert week.status_code == 200 and w.listing.title in week.text
    feed_path = week.text.split("/bookings/calendar/")[1].split(".ics")[0]
    feed = app.test_client().get(f"/bookings/calendar/{feed_path}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    starts = schedule.london_to_utc(NEXT_TUESDAY, NINE)
    assert "BEGIN:VEVENT" in feed.text and f"DTSTART:{starts:%Y%m%dT%H%M%SZ}" in feed.text
    assert app.test_client().get("/bookings/calendar/not-a-token.ics").status_code == 404
    holder.post("/bookings/calendar/new-address")
    assert app.test_client().get(f"/bookings/calendar/{feed_path}.ics").status_code == 404


def test_a_line_break_typed_in_a_title_cannot_end_a_line_of_the_calendar_feed(app, world):
    w = world
    w.listing.title = "Morning help\rX-INJECTED:1\nSUMMARY:fake\r\nEND:VEVENT"
    db.session.commit()
    booking = services.request_booking(
        w.holder, w.holder, w.listing, w.pot, one_off(day=NEXT_TUESDAY), TODAY
    )
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    holder = as_user(app, w.holder)
    week = holder.get(f"/bookings/calendar?week={NEXT_TUESDAY.isoformat()}")
    feed_path = week.text.split("/bookings/calendar/")[1].split(".ics")[0]
    body = app.test_client().get(f"/bookings/calendar/{feed_path}.ics").get_data()

    lines = body.split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert not any(line.startswith(b"X-INJECTED") for line in lines)
    assert b"Morning help\\nX-INJECTED:1\\nSUMMARY:fake\\nEND:VEVENT" in body.replace(b"\r\n ", b"")


def test_when_a_provider_cancels_the_holder_is_offered_cover_bookable_in_one_step(
    app, world, make_provider, make_listing
):
    from datetime import time as clock

    from marketplace.directory.models import AvailabilityRule, PriceUnit
    from marketplace.search import services as search

    w = world
    other = make_listing(
        provider=make_provider(legal_name="Saddleworth Support CIC"),
        categories=[w.pa],
        title="Evening and morning PA",
        price_pence=1600,
        price_unit=PriceUnit.HOUR,
    )
    other.availability = [AvailabilityRule(weekday=1, start_time=clock(7), end_time=clock(20))]
    db.session.commit()
    search.drain_outbox()
    db.session.commit()
    booking = services.request_booking(
        w.holder, w.holder, w.listing, w.pot, one_off(day=NEXT_TUESDAY), TODAY
    )
    services.accept(w.provider_user, booking, TODAY)
    services.cancel_by_provider(w.provider_user, booking, "Off sick")
    db.session.commit()

    holder = as_user(app, w.holder)
    page = holder.get(f"/bookings/{booking.id}")
    assert "Other people who may be able to help" in page.text
    assert "Evening and morning PA" in page.text and w.listing.title in page.text
    prefilled = holder.get(f"/bookings/new/{other.id}?from={booking.id}")
    assert 'value="09:00"' in prefilled.text
    for part in f"{NEXT_TUESDAY:%d %m %Y}".split():  # the date boxes, zero-padded
        assert f'value="{part}"' in prefilled.text


def test_a_worker_leaves_once_their_bookings_are_done_and_is_offered_for_nothing_new(app, world):
    from marketplace.audit import AuditEvent
    from marketplace.errors import DomainError
    from provider_onboarding.models import Worker

    w = world
    ann = Worker(provider_id=w.provider.id, name="Ann", languages=[])
    bea = Worker(provider_id=w.provider.id, name="Bea", languages=[])
    db.session.add_all([ann, bea])
    db.session.commit()
    booking = services.request_booking(
        w.holder, w.holder, w.listing, w.pot, one_off(day=NEXT_TUESDAY), TODAY
    )
    services.accept(w.provider_user, booking, TODAY, worker_id=ann.id)
    db.session.commit()
    provider = as_user(app, w.provider_user)

    refused = provider.post(f"/provider/team/workers/{ann.id}/remove", follow_redirects=True)
    assert "Ann still has 1 booking to do: cancel it first" in refused.text
    db.session.expire_all()
    assert ann.left_at is None

    services.cancel_by_provider(w.provider_user, booking, "Ann is leaving")
    db.session.commit()
    left = provider.post(f"/provider/team/workers/{ann.id}/remove", follow_redirects=True)
    assert "Ann has been removed from your workers" in left.text
    assert "Bea" in left.text and ">Ann<" not in left.text
    assert provider.get(f"/provider/team/workers/{ann.id}").status_code == 404
    db.session.expire_all()
    assert ann.left_at is not None and booking.worker_id == ann.id  # the past keeps her name
    assert [x.name for x in services.workers_of(w.provider.id)] == ["Bea"]
    again = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    with pytest.raises(DomainError, match="Choose who will do these sessions"):
        services.accept(w.provider_user, again, TODAY, worker_id=ann.id)
    db.session.rollback()
    assert db.session.query(AuditEvent).filter_by(action="provider.worker.removed").count() == 1
