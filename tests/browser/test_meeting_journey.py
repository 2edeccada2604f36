"""A first meeting and a session's arrival and leaving marks, in the browser, with axe on every
page on the way.

A holder asks for a free first meeting from a listing, offering two times; the provider picks
one; both calendars show it; the holder books in one step from the meeting page. On the day of a
session, the provider marks the worker arrived and left from a phone, and the hours between are
offered when the session is marked delivered.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.bookings import services as bookings
from marketplace.bookings.models import BookingKind, Occurrence
from marketplace.directory.models import Listing
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from marketplace.payments import services as payments
from marketplace.payments.models import Pot
from tests.browser.conftest import PHONE, LiveSite, Problems, Visitor
from tests.browser.test_booking_journey import check, new_visitor, submit
from tests.frozen import TODAY

TOMORROW = TODAY + timedelta(days=1)


def _a_session_today(site: LiveSite) -> int:
    """A quarter of an hour at half past midnight today, booked, accepted and paid for."""
    with site.app.app_context():
        world = site.world
        pot = db.session.get(Pot, world.more_ids["pot_id"])
        listing = db.session.get(Listing, world.listing.id)
        holder = db.session.get(User, world.users["holder"].id)
        provider = db.session.get(User, world.users["provider"].id)
        commissioner = db.session.get(User, world.users["commissioner"].id)
        pot.categories = list(listing.categories)
        listing.works_bank_holidays = True
        payments.fund_pot(commissioner, pot, 10_000, "Meeting journey")
        ask = bookings.Request(
            BookingKind.ONE_OFF, day=TODAY, start=time(0, 30), duration_minutes=15
        )
        booking = bookings.request_booking(holder, holder, listing, pot, ask, TODAY)
        bookings.accept(provider, booking, TODAY, world.more_ids["worker_id"])
        db.session.commit()
        return booking.occurrences[0].id


def _fill_day(page: Any, name: str, day: Any) -> None:
    page.locator(f"#{name}-day").fill(str(day.day))
    page.locator(f"#{name}-month").fill(str(day.month))
    page.locator(f"#{name}-year").fill(str(day.year))


def test_a_holder_meets_a_provider_first_then_books_in_one_step(
    browser: Any, live_site: LiveSite, problems: Problems
) -> None:
    holder = new_visitor(browser, live_site)
    holder.sign_in("holder@example.org")
    holder.goto(f"{live_site.base_url}/listings/{live_site.world.listing.id}")
    with holder.page.expect_navigation():
        holder.page.get_by_role("link", name="Ask for a free first meeting").click()
    check(holder, problems, "meeting-form")

    page = holder.page
    submit(page, "Ask for the meeting")  # nothing filled in: the error summary says what to do
    check(holder, problems, "meeting-form-errors")
    assert "There is a problem" in page.content()
    assert "Choose how you would like to meet" in page.content()
    page.locator("#way-2").check()  # by video call
    page.locator("#minutes").check()  # 15 minutes
    _fill_day(page, "day_1", TOMORROW)
    page.locator("#start_1").fill("10:30am")
    _fill_day(page, "day_2", TOMORROW)
    page.locator("#start_2").fill("2pm")
    submit(page, "Ask for the meeting")
    check(holder, problems, "meeting-sent")
    assert "Request sent" in page.content()
    meeting_url = page.url.split("?")[0]

    provider = new_visitor(browser, live_site)
    provider.sign_in("provider@example.org")
    provider.goto(f"{live_site.base_url}/meetings/")
    check(provider, problems, "provider-meetings")
    provider.goto(meeting_url)
    check(provider, problems, "provider-meeting")
    provider.page.get_by_label("at 2pm").check()
    submit(provider.page, "Agree this time")
    assert "The meeting is agreed" in provider.page.content()

    week = f"{live_site.base_url}/bookings/calendar?week={TOMORROW.isoformat()}"
    for person, name in ((holder, "holder"), (provider, "provider")):
        person.goto(week)
        check(person, problems, f"{name}-calendar-with-meeting")
        assert "first meeting about Help at home in the morning" in person.page.content()

    holder.goto(meeting_url)
    check(holder, problems, "meeting-agreed")
    assert "Meeting agreed" in holder.page.content()
    with holder.page.expect_navigation():
        holder.page.get_by_role("button", name="Book Help at home in the morning").click()
    check(holder, problems, "booking-after-meeting")
    assert "Following our first meeting on" in holder.page.content()
    problems.assert_none()


def test_the_worker_marks_arriving_and_leaving_on_a_phone(
    browser: Any, live_site: LiveSite, problems: Problems
) -> None:
    occurrence_id = _a_session_today(live_site)
    provider: Visitor = new_visitor(browser, live_site)
    provider.page.set_viewport_size(PHONE)
    provider.sign_in("provider@example.org")
    provider.goto(f"{live_site.base_url}/bookings/today")
    check(provider, problems, "today-phone")
    with provider.page.expect_navigation():
        provider.page.locator(f"a[href$='/sessions/{occurrence_id}/marks']").click()
    check(provider, problems, "marks-phone")
    submit(provider.page, "Mark arrived")
    assert "Arrival marked" in provider.page.content()
    check(provider, problems, "marks-phone-arrived")
    # A second tap where "Mark arrived" was is not taken as leaving.
    submit(provider.page, "Mark left")
    assert "moments ago. Mark leaving when they leave" in provider.page.content()
    with live_site.app.app_context():  # the worker arrived a few minutes ago
        session = db.session.get(Occurrence, occurrence_id)
        session.arrived_at -= timedelta(minutes=3)
        db.session.commit()
    provider.goto(f"{live_site.base_url}/bookings/sessions/{occurrence_id}/marks")
    submit(provider.page, "Mark left")
    assert "Leaving marked" in provider.page.content()
    check(provider, problems, "marks-phone-left")
    width = provider.page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the marks page is {width}px wide on a phone"
    assert "Both marks are made" in provider.page.content()

    with live_site.app.app_context():
        told = db.session.scalars(
            select(OutboundEmail.template).where(OutboundEmail.to_address == "holder@example.org")
        ).all()
    assert "session_arrived" in told and "session_left" in told

    provider.goto(f"{live_site.base_url}/bookings/sessions/{occurrence_id}/delivered")
    check(provider, problems, "delivered-with-marks")
    assert provider.page.locator("#hours").input_value() == "0.25"
    assert "marked as arriving at" in provider.page.content()
    problems.assert_none()
