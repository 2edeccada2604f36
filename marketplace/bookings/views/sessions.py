"""Sessions of a booking: delivered, confirmed, disputed, a dispute resolved."""

from __future__ import annotations

from flask import (
    abort,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.bookings import services
from marketplace.bookings.forms import (
    DeliveredForm,
    ResolveForm,
    parse_hours,
)
from marketplace.bookings.models import (
    Occurrence,
)
from marketplace.bookings.views.blueprint import HOLDER_SIDE, bp
from marketplace.bookings.views.booking import act, booking_for, plain_post, reason_page, run
from marketplace.extensions import db

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
    if request.method == "GET":
        form.hours.data = f"{(found.ends_at - found.starts_at).total_seconds() / 3600:g}"
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
    return render_template("bookings/delivered.html", form=form, occurrence=found), status


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
    return render_template("bookings/resolve.html", form=form, occurrence=found), status
