"""A holder's bookings and asking for a booking: the question page, the check page, sent."""

from __future__ import annotations

from flask import (
    abort,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Representation, Role, User
from marketplace.bookings import cover, services, waiting, week
from marketplace.bookings.forms import (
    WEEKDAYS,
    RequestForm,
    parse_clock,
    parse_hours,
)
from marketplace.bookings.models import (
    Booking,
    BookingKind,
)
from marketplace.bookings.schedule import Slot
from marketplace.bookings.views.blueprint import HOLDER_SIDE, bp, holder_bookings, today
from marketplace.bookings.views.booking import booking_for
from marketplace.clock import LONDON, now
from marketplace.commissioning.alerts.storage import running_out_for
from marketplace.conversations import blocks
from marketplace.directory.models import Listing
from marketplace.directory.services import listing_is_bookable
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import Pot
from marketplace.sent_forms import once_per_form


@bp.get("/dashboard")
@roles_required(*HOLDER_SIDE)
def holder_dashboard() -> str:
    representations: list[Representation] = []
    represented: list[User] = []
    if current_user.role == Role.HOLDER:
        representations = [
            r for r in accounts.representations_for_holder(current_user) if r.is_active
        ]
        holder_ids = [current_user.id]
    else:
        represented = accounts.holders_represented_by(current_user)
        holder_ids = [h.id for h in represented]
    return render_template(
        "bookings/holder_dashboard.html",
        representations=representations,
        represented=represented,
        page=holder_bookings(holder_ids),
        offers=waiting.offers_to_answer(holder_ids),
        to_confirm=waiting.sessions_to_confirm(holder_ids),
        low_budgets=running_out_for(holder_ids, today()),
    )


# Requesting a booking.


def _holder_for_request() -> User:
    """The holder the current person books for: themselves, or one they act for (?for=id)."""
    if current_user.role == Role.HOLDER:
        return current_user
    represented = accounts.holders_represented_by(current_user)
    wanted = request.args.get("for", type=int)
    chosen = next((h for h in represented if h.id == wanted), None)
    if chosen is None and len(represented) == 1:
        chosen = represented[0]
    if chosen is None:
        abort(404)
    return chosen


def _bookable(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or not listing_is_bookable(listing):
        abort(404)
    return listing


def _pots(holder: User) -> list[Pot]:
    return list(
        db.session.scalars(
            select(Pot).where(Pot.holder_id == holder.id, Pot.active.is_(True)).order_by(Pot.id)
        )
    )


def _request_from(form: RequestForm) -> services.Request:
    start, minutes = parse_clock(form.start.data or ""), parse_hours(form.hours.data or "")
    if form.kind.data == BookingKind.ROTA.value:
        slots = tuple(Slot(int(day), start, minutes) for day in form.weekdays.data or [])
        return services.Request(
            BookingKind.ROTA,
            slots=slots,
            starts_on=form.day.data,
            ends_on=form.ends_on.data,
            note=form.note.data or "",
        )
    return services.Request(
        BookingKind.ONE_OFF,
        day=form.day.data,
        start=start,
        duration_minutes=minutes,
        note=form.note.data or "",
    )


@bp.route("/new/<int:listing_id>", methods=["GET", "POST"])
@roles_required(*HOLDER_SIDE)
@once_per_form
def new(listing_id: int) -> ResponseReturnValue:
    """Step 1 asks what and when; step 2 shows the price and warnings; step 3 sends."""
    listing = _bookable(listing_id)
    holder = _holder_for_request()
    if blocks.is_blocked(holder.id, listing.provider_id):
        return render_template("conversations/blocked.html", listing=listing, holder=holder), 409
    pots = _pots(holder)
    form = RequestForm()
    form.pot.choices = [(str(p.id), f"{p.kind.label} ({p.support_plan_reference})") for p in pots]
    if not pots:
        return render_template("bookings/no_budget.html", listing=listing, holder=holder), 409
    if request.method == "GET":
        _prefill(form, request.args.get("from", type=int), holder)
        _after_meeting(form, request.args.get("meeting", type=int), holder, listing, pots)
    changing = request.form.get("change") == "yes"  # back from the check page, answers kept
    misfits: list[week.Misfit] = []
    free: list[services.FreeTime] = []
    answers = {"form": form, "listing": listing, "holder": holder}
    if not changing and form.validate_on_submit():
        pot = next(p for p in pots if str(p.id) == form.pot.data)
        try:
            booking_request = _request_from(form)
            quote = services.quote(holder, listing, pot, booking_request, today())
            if request.form.get("confirm") == "yes":
                booking = services.request_booking(
                    current_user, holder, listing, pot, booking_request, today()
                )
                return redirect(url_for("bookings.sent", booking_id=booking.id))
        except week.OutsideTheWeek as outside:
            form.add_domain_error(outside, "day")
            misfits = outside.misfits
            free = services.nearest_free(listing, booking_request, today(), now())
        except DomainError as error:
            form.add_domain_error(error, "day")
        else:
            checked = {"pot": pot, "quote": quote, "request_": booking_request}
            return render_template("bookings/check.html", **answers, **checked, weekdays=WEEKDAYS)
    status = 400 if form.errors else 200
    times = {"misfits": misfits, "free": free, "shown_at_most": SHOWN_AT_MOST}
    return render_template("bookings/new.html", **answers, **times), status


SHOWN_AT_MOST = 10  # dates that do not fit, listed on the page (the rest are counted)


def _prefill(form: RequestForm, booking_id: int | None, holder: User) -> None:
    """Cover in one step: the same pot, days and times as a booking the provider cancelled."""
    earlier = db.session.get(Booking, booking_id) if booking_id else None
    if earlier is None or earlier.holder_id != holder.id or not earlier.slots:
        return
    first = cover.first_cancelled(earlier)
    slot = earlier.slots[0]
    form.pot.data = str(earlier.pot_id)
    form.kind.data = earlier.kind.value
    form.day.process_data(
        first.starts_at.astimezone(LONDON).date() if first else earlier.rota_starts_on
    )
    form.weekdays.data = [str(s.weekday) for s in earlier.slots]
    form.ends_on.process_data(earlier.rota_ends_on if earlier.kind == BookingKind.ROTA else None)
    form.start.data = slot.start_time.strftime("%H:%M")
    form.hours.data = f"{slot.duration_minutes / 60:g}"


def _after_meeting(
    form: RequestForm, meeting_id: int | None, holder: User, listing: Listing, pots: list[Pot]
) -> None:
    """Booking after a first meeting in one step: the budget when there is only one, once, and
    a note to the provider saying which meeting it follows."""
    from marketplace.meetings.models import Meeting, MeetingState
    from marketplace.meetings.services import when

    meeting = db.session.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None or meeting.holder_id != holder.id or meeting.listing_id != listing.id:
        return
    if meeting.state != MeetingState.AGREED:
        return
    if len(pots) == 1:
        form.pot.data = str(pots[0].id)
    form.kind.data = form.kind.data or BookingKind.ONE_OFF.value
    form.note.data = f"Following our first meeting on {when(meeting.starts_at)}."


@bp.get("/<int:booking_id>/sent")
@roles_required(*HOLDER_SIDE)
def sent(booking_id: int) -> str:
    booking = booking_for(booking_id)
    return render_template("bookings/sent.html", booking=booking)
