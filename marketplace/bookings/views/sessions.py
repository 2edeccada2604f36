"""Sessions of a booking: delivered, confirmed, disputed, a dispute resolved."""

from __future__ import annotations

from flask import (
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

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.bookings import services
from marketplace.bookings.forms import (
    DeliveredForm,
    ResolveForm,
    parse_hours,
)
from marketplace.bookings.models import (
    BookingEvent,
    Occurrence,
    OccurrenceState,
)
from marketplace.bookings.services import marks
from marketplace.bookings.states import Side
from marketplace.bookings.views.blueprint import HOLDER_SIDE, bp
from marketplace.bookings.views.booking import act, booking_for, plain_post, reason_page, run
from marketplace.clock import london_today
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models_base import utcnow

# Sessions.


def _occurrence(occurrence_id: int) -> Occurrence:
    found = db.session.get(Occurrence, occurrence_id)
    if found is None:
        abort(404)
    booking_for(found.booking_id)
    return found


@bp.route("/sessions/<int:occurrence_id>/delivered", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def delivered(occurrence_id: int) -> ResponseReturnValue:
    found = _occurrence(occurrence_id)
    form = DeliveredForm()
    marked = marks.marked_minutes(found)
    if request.method == "GET":
        minutes = marked or (found.ends_at - found.starts_at).total_seconds() / 60
        form.hours.data = f"{minutes / 60:g}"
    if request.method == "POST":
        done = act(
            found.booking_id,
            lambda b: services.mark_delivered(
                current_user, found, parse_hours(form.hours.data or "")
            ),
            "Marked as delivered. The person has been asked to confirm.",
            form,
        )
        if done is not None:
            return done
    status = 400 if form.errors else 200
    return render_template(
        "bookings/delivered.html", form=form, occurrence=found, marked=marked
    ), status


@bp.post("/sessions/<int:occurrence_id>/confirm")
@roles_required(*HOLDER_SIDE)
def confirm(occurrence_id: int) -> ResponseReturnValue:
    plain_post()
    found = _occurrence(occurrence_id)
    return run(
        found.booking_id,
        lambda b: services.confirm(current_user, found),
        "Thank you. The provider will be paid from your budget.",
    )


@bp.route("/sessions/<int:occurrence_id>/dispute", methods=["GET", "POST"])
@roles_required(*HOLDER_SIDE)
def dispute(occurrence_id: int) -> ResponseReturnValue:
    found = _occurrence(occurrence_id)
    return reason_page(
        found.booking_id,
        "Tell us what went wrong",
        lambda b, reason: services.dispute(current_user, found, reason),
        "Thank you. The money stays set aside while your council or NHS team looks into it.",
        "Send",
    )


@bp.route("/sessions/<int:occurrence_id>/resolve", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER)
def resolve(occurrence_id: int) -> ResponseReturnValue:
    found = _occurrence(occurrence_id)
    if found.state != OccurrenceState.DISPUTED:
        return _decided(found)
    form = ResolveForm()
    if request.method == "POST":
        done = act(
            found.booking_id,
            lambda b: services.resolve_dispute(
                current_user, found, form.amount.pence, form.note.data or ""
            ),
            "Your decision is recorded and the money has moved.",
            form,
        )
        if done is not None:
            return done
    status = 400 if form.errors else 200
    said = db.session.scalars(
        select(BookingEvent)
        .where(
            BookingEvent.occurrence_id == found.id,
            BookingEvent.to_state == OccurrenceState.DISPUTED.value,
        )
        .order_by(BookingEvent.id.desc())
        .limit(1)
    ).first()
    page = render_template("bookings/resolve.html", form=form, occurrence=found, said=said)
    return page, status


def _decided(found: Occurrence) -> ResponseReturnValue:
    """No dispute to decide (already decided): who decided it, when and what was paid, without
    a form. Sending the form again changes nothing."""
    page = render_template(
        "bookings/decided.html", occurrence=found, decision=services.decision_of(found)
    )
    return page, 409 if request.method == "POST" else 200


# Arriving and leaving, on the session's day.


@bp.get("/today")
@roles_required(Role.PROVIDER)
def today_sessions() -> str:
    """The provider's sessions today, each with its arrival and leaving marks (phone-sized)."""
    day = london_today()
    sessions = marks.sessions_on(current_user, day)
    return render_template("bookings/today.html", sessions=sessions, day=day)


@bp.get("/sessions/<int:occurrence_id>/marks")
@roles_required(Role.PROVIDER)
def marks_page(occurrence_id: int) -> str:
    found = _occurrence(occurrence_id)
    services.require(current_user, found.booking, Side.PROVIDER)
    return render_template(
        "bookings/marks.html",
        occurrence=found,
        on_the_day=marks.on_the_day(found, utcnow()),
        markable=found.state in marks.MARKABLE,
        OccurrenceState=OccurrenceState,
    )


@bp.post("/sessions/<int:occurrence_id>/<any(arrived, left):mark>")
@roles_required(Role.PROVIDER)
def mark(occurrence_id: int, mark: str) -> ResponseReturnValue:
    plain_post()
    found = _occurrence(occurrence_id)
    try:
        if mark == "arrived":
            marks.mark_arrived(current_user, found)
        else:
            marks.mark_left(current_user, found)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            "Arrival marked. The person has been told."
            if mark == "arrived"
            else "Leaving marked. The person has been told.",
            "success",
        )
    return redirect(url_for("bookings.marks_page", occurrence_id=found.id))
