"""One booking: its page and the moves on it (accept, decline, cancel, offers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role, User
from marketplace.bookings import cover, reviews, services, words
from marketplace.bookings.forms import (
    WEEKDAYS,
    OfferForm,
    ReasonForm,
)
from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    BookingState,
    Offer,
    OfferState,
)
from marketplace.bookings.states import AlreadyMoved, Side
from marketplace.bookings.views.blueprint import HOLDER_SIDE, bp, today
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm
from marketplace.models_base import utcnow
from marketplace.money import format_pence
from marketplace.payments import services as payments
from marketplace.payments.models import Pot

# One booking.


def booking_for(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        abort(404)
    services.side_of(current_user, booking)
    return booking


def _history(
    found: Booking,
    events: Sequence[BookingEvent],
    actors: dict[int, str],
    paid: dict[int, int],
) -> list[tuple[datetime, str, str]]:
    """The booking's story, oldest first: when, what happened, and the reason a person gave
    (a commissioner's note on a decision too). `paid`: what each decided dispute paid."""
    lines = [(found.created_at, "Request sent", "")]
    lines += [
        (
            o.created_at,
            f"The provider offered {format_pence(o.unit_price_pence)} {found.price_unit.label}",
            o.note or "",
        )
        for o in found.offers
    ]
    lines += [
        (
            e.at,
            words.event_words(
                e, found, actors.get(e.actor_id or 0), paid.get(e.occurrence_id or 0)
            ),
            e.reason if e.reason and e.actor_id else "",
        )
        for e in events
    ]
    return sorted(lines, key=lambda line: line[0])


@bp.get("/<int:booking_id>")
@login_required
def booking(booking_id: int) -> str:
    found = booking_for(booking_id)
    side = services.side_of(current_user, found)
    events = db.session.scalars(
        select(BookingEvent).where(BookingEvent.booking_id == found.id).order_by(BookingEvent.id)
    ).all()
    actors = {
        u.id: u.full_name
        for u in db.session.scalars(select(User).where(User.id.in_({e.actor_id for e in events})))
    }
    open_offer = next((o for o in found.offers if o.state == OfferState.OPEN), None)
    review = reviews.review_of(found)
    decided = {i: d.paid_pence for i, d in services.decisions(found.occurrences).items()}
    cover_found = None
    if found.state == BookingState.CANCELLED_BY_PROVIDER and side == Side.HOLDER:
        cover_found = cover.options(found)
    return render_template(
        "bookings/booking.html",
        workers=services.workers_of(found.provider_id) if side == Side.PROVIDER else [],
        booking=found,
        side=side.value,
        history=_history(found, events, actors, decided),
        decided=decided,
        status=words.booking_status(found, side.value),
        open_offer=open_offer,
        review=review,
        may_review=reviews.may_review(current_user, found),
        weekdays=WEEKDAYS,
        now=utcnow(),
        BookingState=BookingState,
        cover=cover_found,
        refusal=services.standing_refusal(found),
        other_pots=_other_pots(found) if side == Side.HOLDER else 0,
    )


def _other_pots(found: Booking) -> int:
    """How many other open budgets the holder could ask again from."""
    return len(
        db.session.scalars(
            select(Pot.id).where(
                Pot.holder_id == found.holder_id, Pot.active.is_(True), Pot.id != found.pot_id
            )
        ).all()
    )


def act(
    booking_id: int,
    action: Callable[[Booking], object],
    success: str,
    form: BaseForm | None = None,
) -> ResponseReturnValue | None:
    """Run one service on a booking from a POST and come back to the booking page. With a form:
    None when the form is not valid, or when the service refused one of its fields (the refusal
    is then shown on that field), so the caller shows the form again with what was typed."""
    found = booking_for(booking_id)
    if form is not None and not form.validate_on_submit():
        return None
    try:
        action(found)
    except AlreadyMoved:
        flash(success, "success")  # a second click: answered as the first was
    except payments.SpendRefused:
        # The booking page says why and what each side can do (the reason is the holder's).
        flash("The money for this booking could not be set aside. See below why.", "error")
    except DomainError as error:
        if form is not None and form.names_a_field(error):
            form.add_domain_error(error)
            return None
        flash(error.message, "error")
    else:
        flash(success, "success")
    return redirect(url_for("bookings.booking", booking_id=booking_id))


def run(booking_id: int, action: Callable[[Booking], object], success: str) -> ResponseReturnValue:
    done = act(booking_id, action, success)
    assert done is not None  # without a form there is nothing to show again
    return done


def plain_post() -> None:
    if not BaseForm().validate_on_submit():
        abort(400)


@bp.post("/<int:booking_id>/accept")
@roles_required(Role.PROVIDER)
def accept(booking_id: int) -> ResponseReturnValue:
    plain_post()
    worker_id = request.form.get("worker", type=int)
    return run(
        booking_id,
        lambda b: services.accept(current_user, b, today(), worker_id),
        "You have accepted the booking. The money for it has been set aside.",
    )


def reason_page(
    booking_id: int,
    title: str,
    action: Callable[[Booking, str], object],
    success: str,
    button: str,
) -> ResponseReturnValue:
    form = ReasonForm()
    form.submit.label.text = button
    if request.method == "POST":
        done = act(booking_id, lambda b: action(b, form.reason.data or ""), success, form)
        if done is not None:
            return done
    found = booking_for(booking_id)
    status = 400 if form.errors else 200
    return render_template("bookings/reason.html", form=form, booking=found, title=title), status


@bp.route("/<int:booking_id>/decline", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def decline(booking_id: int) -> ResponseReturnValue:
    return reason_page(
        booking_id,
        "Decline this request",
        lambda b, reason: services.decline(current_user, b, reason),
        "You have declined the request.",
        "Decline request",
    )


@bp.route("/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int) -> ResponseReturnValue:
    found = booking_for(booking_id)
    if services.side_of(current_user, found) == Side.PROVIDER:
        return reason_page(
            booking_id,
            "Cancel this booking",
            lambda b, reason: services.cancel_by_provider(current_user, b, reason),
            "The booking is cancelled and the person has been told.",
            "Cancel booking",
        )
    return reason_page(
        booking_id,
        "Cancel this booking",
        lambda b, reason: services.cancel_by_holder(current_user, b, reason),
        "The booking is cancelled.",
        "Cancel booking",
    )


@bp.route("/<int:booking_id>/offer", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def offer(booking_id: int) -> ResponseReturnValue:
    form = OfferForm()
    workers = services.workers_of(booking_for(booking_id).provider_id)
    form.worker.choices = [(str(w.id), w.name) for w in workers]
    if request.method == "POST":
        done = act(
            booking_id,
            lambda b: services.offer(
                current_user,
                b,
                form.price.pence,
                form.note.data or "",
                int(form.worker.data) if form.worker.data else None,
            ),
            "Your offer has been sent.",
            form,
        )
        if done is not None:
            return done
    found = booking_for(booking_id)
    status = 400 if form.errors else 200
    return render_template("bookings/offer.html", form=form, booking=found), status


@bp.post("/offers/<int:offer_id>/<any(accept, decline):answer>")
@roles_required(*HOLDER_SIDE)
def answer_offer(offer_id: int, answer: str) -> ResponseReturnValue:
    plain_post()
    made = db.session.get(Offer, offer_id)
    if made is None:
        abort(404)
    return run(
        made.booking_id,
        lambda b: services.answer_offer(
            current_user, made, accept_it=answer == "accept", today=today()
        ),
        "You have accepted the offer: the booking is confirmed."
        if answer == "accept"
        else "You have declined the offer.",
    )
