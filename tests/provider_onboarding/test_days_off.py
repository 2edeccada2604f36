"""Days off: the reason stays with the provider, and booked sessions on those days are named."""

from __future__ import annotations

from datetime import timedelta

from marketplace.bookings import services
from marketplace.bookings.models import BookingKind, OccurrenceState
from marketplace.extensions import db
from tests.frozen import next_weekday
from tests.marketplace.bookings.conftest import NINE, TODAY, world  # noqa: F401  (the fixture)

TUESDAY = next_weekday(1)


def days_off(day, reason="Hospital appointment", **more):
    return {
        "off-starts_on": [str(day.day), str(day.month), str(day.year)],
        "off-ends_on": [str(day.day), str(day.month), str(day.year)],
        "off-reason": reason,
        **more,
    }


def booked_tuesday(w):
    request = services.Request(BookingKind.ONE_OFF, day=TUESDAY, start=NINE, duration_minutes=120)
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, request, TODAY)
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    return booking


def test_the_public_sees_the_dates_off_but_never_the_reason(client, sign_in, world):  # noqa: F811
    sign_in(world.provider_user)
    day = TODAY + timedelta(days=9)
    added = client.post(f"/provider/listings/{world.listing.id}/days-off", data=days_off(day))
    client.post("/sign-out")

    public = client.get(f"/listings/{world.listing.id}").get_data(as_text=True)

    assert added.status_code == 302
    assert "Days not available" in public and f"{day:%-d %B %Y}" in public
    assert "Hospital appointment" not in public


def test_days_off_over_a_booked_session_warn_and_name_it_before_adding(client, sign_in, world):  # noqa: F811
    booking = booked_tuesday(world)
    sign_in(world.provider_user)
    url = f"/provider/listings/{world.listing.id}/days-off"

    first = client.post(url, data=days_off(TUESDAY))
    db.session.refresh(world.listing)
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and world.listing.exceptions == []
    holder_first_name = world.holder.full_name.split()[0]
    assert f"{TUESDAY:%A %-d %B %Y}, 9:00am to 11:00am, with {holder_first_name}" in page
    assert "does not cancel it" in page and "Add the days off anyway" in page

    anyway = client.post(url, data=days_off(TUESDAY, **{"off-confirmed": "yes"}))
    db.session.refresh(world.listing)
    assert anyway.status_code == 302 and len(world.listing.exceptions) == 1
    shown = client.get(anyway.headers["Location"]).get_data(as_text=True)
    assert "1 booked session is still on those days" in shown
    db.session.refresh(booking)
    assert [o.state for o in booking.occurrences] == [OccurrenceState.SCHEDULED]


def test_days_off_with_nothing_booked_are_added_at_once(client, sign_in, world):  # noqa: F811
    booked_tuesday(world)
    sign_in(world.provider_user)
    wednesday = TUESDAY + timedelta(days=1)

    response = client.post(
        f"/provider/listings/{world.listing.id}/days-off", data=days_off(wednesday)
    )

    assert response.status_code == 302
    db.session.refresh(world.listing)
    assert len(world.listing.exceptions) == 1
