"""Arriving and leaving: marked on the session's day, left after arrived, each once, told and
audited; the hours between are offered when the session is marked delivered, and a commissioner
deciding a dispute sees the marks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace import clock
from marketplace.audit import AuditEvent
from marketplace.bookings import services
from marketplace.bookings.models import BookingKind, Occurrence
from marketplace.bookings.services import marks
from marketplace.errors import DomainError, NotAllowed
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from tests.conftest import PASSWORD

from .conftest import NINE, TODAY, works_round_the_clock

TOMORROW = TODAY + timedelta(days=1)


@pytest.fixture()
def session(world) -> Occurrence:
    """Two hours from 9am tomorrow, accepted and paid for."""
    w = world
    works_round_the_clock(w.listing)
    ask = services.Request(BookingKind.ONE_OFF, day=TOMORROW, start=NINE, duration_minutes=120)
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, ask, TODAY)
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    [occurrence] = booking.occurrences
    return occurrence


def told(template: str) -> list[str]:
    return db.session.scalars(
        select(OutboundEmail.to_address)
        .where(OutboundEmail.template == template)
        .order_by(OutboundEmail.id)
    ).all()


def audited(action: str) -> int:
    return len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())


def signed_in(app, user):
    client = app.test_client()
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD}).status_code
    return client


def test_arrived_then_left_on_the_day_each_once_told_and_audited(world, session):
    w, start = world, session.starts_at
    assert marks.mark_arrived(w.provider_user, session, now=start - timedelta(minutes=5))
    assert not marks.mark_arrived(w.provider_user, session, now=start + timedelta(minutes=5))
    assert marks.mark_left(w.provider_user, session, now=start + timedelta(hours=2))
    assert not marks.mark_left(w.provider_user, session, now=start + timedelta(hours=3))
    db.session.commit()
    assert session.arrived_at == start - timedelta(minutes=5)
    assert session.left_at == start + timedelta(hours=2)
    assert told("session_arrived") == [w.holder.email] and told("session_left") == [w.holder.email]
    assert audited("session.arrived") == 1 and audited("session.left") == 1


def test_marks_only_on_the_sessions_day(world, session):
    day_before = session.starts_at - timedelta(days=1)
    with pytest.raises(DomainError, match="only mark arriving and leaving on the day"):
        marks.mark_arrived(world.provider_user, session, now=day_before)
    day_after = session.starts_at + timedelta(days=1)
    with pytest.raises(DomainError, match="on the day"):
        marks.mark_arrived(world.provider_user, session, now=day_after)
    assert session.arrived_at is None


def test_left_only_after_arrived(world, session):
    with pytest.raises(DomainError, match="arrived first"):
        marks.mark_left(world.provider_user, session, now=session.starts_at)
    assert session.left_at is None


def test_only_the_providers_staff_mark(world, session):
    with pytest.raises(NotAllowed):
        marks.mark_arrived(world.holder, session, now=session.starts_at)


def test_a_cancelled_session_cannot_be_marked(world, session):
    services.cancel_by_provider(world.provider_user, session.booking, "Worker unwell")
    db.session.commit()
    with pytest.raises(DomainError, match="cannot be marked"):
        marks.mark_arrived(world.provider_user, session, now=session.starts_at)


def test_leaving_marked_moments_after_arriving_is_refused(world, session):
    """A second tap where "Mark arrived" was is not a visit: leaving is refused for a minute."""
    w, start = world, session.starts_at
    marks.mark_arrived(w.provider_user, session, now=start)
    with pytest.raises(DomainError, match="moments ago. Mark leaving when they leave"):
        marks.mark_left(w.provider_user, session, now=start + timedelta(seconds=8))
    assert session.left_at is None
    assert marks.mark_left(w.provider_user, session, now=start + timedelta(minutes=1))


@pytest.mark.parametrize(
    ("stayed", "offered"),
    [
        (timedelta(hours=2, minutes=5), "2"),
        (timedelta(hours=1, minutes=40), "1.75"),
        (timedelta(minutes=3), "0.25"),
    ],
)
def test_the_hours_between_the_marks_are_offered_on_delivery(app, world, session, stayed, offered):
    w, start = world, session.starts_at
    marks.mark_arrived(w.provider_user, session, now=start)
    marks.mark_left(w.provider_user, session, now=start + stayed)
    db.session.commit()
    clock.freeze(start + timedelta(hours=3))
    page = signed_in(app, w.provider_user).get(f"/bookings/sessions/{session.id}/delivered")
    assert page.status_code == 200
    assert f'value="{offered}"' in page.text
    assert "marked as arriving at 9:00am" in page.text


def test_without_marks_the_booked_hours_are_offered(app, world, session):
    clock.freeze(session.starts_at + timedelta(hours=3))
    page = signed_in(app, world.provider_user).get(f"/bookings/sessions/{session.id}/delivered")
    assert 'value="2"' in page.text and "marked as arriving" not in page.text


def test_the_marks_page_marks_and_a_second_send_changes_nothing(app, world, session):
    w = world
    clock.freeze(session.starts_at - timedelta(minutes=2))
    provider = signed_in(app, w.provider_user)
    today = provider.get("/bookings/today")
    assert f"/bookings/sessions/{session.id}/marks" in today.text
    page = provider.get(f"/bookings/sessions/{session.id}/marks")
    assert "Mark arrived" in page.text
    for _ in range(2):
        sent = provider.post(f"/bookings/sessions/{session.id}/arrived", data={})
        assert sent.status_code == 302
    assert "Mark left" in provider.get(f"/bookings/sessions/{session.id}/marks").text
    assert len(told("session_arrived")) == 1


def test_a_commissioner_deciding_a_dispute_sees_the_marks(app, world, session):
    w, start = world, session.starts_at
    marks.mark_arrived(w.provider_user, session, now=start + timedelta(minutes=20))
    marks.mark_left(w.provider_user, session, now=start + timedelta(hours=1))
    services.mark_delivered(w.provider_user, session, 120, now=start + timedelta(hours=2))
    services.dispute(w.holder, session, "They left after 40 minutes")
    db.session.commit()
    page = signed_in(app, w.commissioner).get(f"/bookings/sessions/{session.id}/resolve")
    assert page.status_code == 200
    assert "Worker arrived" in page.text and "9:20am" in page.text
    assert "Worker left" in page.text and "10:00am" in page.text


def test_the_providers_home_asks_to_mark_a_session_done_once_it_is_over(app, world, session):
    """While the session runs it is on the sessions of the day, not yet one to mark done; once
    the worker is marked leaving, or the booked time is over, the home asks."""
    w, start = world, session.starts_at
    asks = f"/bookings/sessions/{session.id}/delivered"
    clock.freeze(start + timedelta(minutes=20))
    assert asks not in signed_in(app, w.provider_user).get("/provider/").text
    marks.mark_arrived(w.provider_user, session, now=start)
    marks.mark_left(w.provider_user, session, now=start + timedelta(minutes=90))
    db.session.commit()
    clock.freeze(start + timedelta(minutes=95))
    assert asks in signed_in(app, w.provider_user).get("/provider/").text


def test_an_unmarked_session_is_asked_about_once_its_booked_time_is_over(app, world, session):
    clock.freeze(session.ends_at - timedelta(minutes=1))
    asks = f"/bookings/sessions/{session.id}/delivered"
    assert asks not in signed_in(app, world.provider_user).get("/provider/").text
    clock.freeze(session.ends_at)
    assert asks in signed_in(app, world.provider_user).get("/provider/").text
