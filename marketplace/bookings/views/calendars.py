"""The provider's inbox, the week's calendar and the secret iCalendar feed."""

from __future__ import annotations

from datetime import date, timedelta

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.bookings import calendar
from marketplace.bookings.models import (
    Booking,
    BookingState,
)
from marketplace.bookings.views.blueprint import PAGE_SIZE, bp, today
from marketplace.bookings.views.booking import plain_post
from marketplace.directory.models import ProviderMember
from marketplace.extensions import db
from marketplace.sent_forms import once_per_form
from marketplace.web import page_number

# The provider's inbox.


@bp.get("/inbox")
@roles_required(Role.PROVIDER)
def inbox() -> str:
    providers = select(ProviderMember.provider_id).where(ProviderMember.user_id == current_user.id)
    requests = db.session.scalars(
        select(Booking)
        .where(Booking.provider_id.in_(providers), Booking.state == BookingState.REQUESTED)
        .order_by(Booking.expires_at, Booking.id)
    ).all()
    page = db.paginate(
        select(Booking)
        .where(Booking.provider_id.in_(providers), Booking.state != BookingState.REQUESTED)
        .order_by(Booking.id.desc()),
        page=page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template("bookings/inbox.html", requests=requests, page=page)


# Calendars.

CALENDAR_REACH_DAYS = 10 * 366  # the weeks the calendar shows, either side of today


@bp.get("/calendar")
@roles_required(Role.HOLDER, Role.REPRESENTATIVE, Role.PROVIDER)
def week() -> str:
    try:
        day = date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        day = today()
    if abs((day - today()).days) > CALENDAR_REACH_DAYS:
        day = today()  # a week nobody can have sessions in: show this week
    monday, _ = calendar.week_of(day)
    feed = calendar.feed_for(current_user)
    return render_template(
        "bookings/calendar.html",
        monday=monday,
        days=calendar.week(current_user, monday),
        meetings=calendar.meetings_week(current_user, monday),
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
        feed_url=url_for("bookings.ical", token=feed.token, _external=True),
    )


@bp.post("/calendar/new-address")
@roles_required(Role.HOLDER, Role.REPRESENTATIVE, Role.PROVIDER)
@once_per_form
def new_feed_address() -> ResponseReturnValue:
    plain_post()
    calendar.feed_for(current_user, rotate=True)
    flash("Your calendar has a new address. The old one no longer works.", "success")
    return redirect(url_for("bookings.week"))


@bp.get("/calendar/<token>.ics")
def ical(token: str) -> Response:
    user = calendar.user_for_token(token)
    if user is None:
        abort(404)
    body = calendar.ical(user, request.host, clock.london_now())
    return Response(
        body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"}
    )
