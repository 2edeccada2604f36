"""Bookings pages: request, the booking and its sessions, the provider's inbox, calendars, reviews.

Every state change is a POST with CSRF, checked against the booking in the service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts import services as accounts
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Representation, Role, User
from marketplace.bookings import calendar, cover, reviews, services
from marketplace.bookings.forms import (
    WEEKDAYS,
    DeliveredForm,
    OfferForm,
    ReasonForm,
    ReplyForm,
    RequestForm,
    ResolveForm,
    ReviewForm,
    parse_clock,
    parse_hours,
)
from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    BookingKind,
    BookingState,
    Occurrence,
    Offer,
    OfferState,
    Review,
)
from marketplace.bookings.schedule import Slot
from marketplace.bookings.states import AlreadyMoved, Side
from marketplace.clock import LONDON, london_today
from marketplace.directory.models import Listing, ListingStatus, ProviderMember
from marketplace.directory.services import is_provider_staff
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm
from marketplace.models_base import utcnow
from marketplace.money import parse_pounds
from marketplace.payments import services as payments
from marketplace.payments.models import Pot
from marketplace.web import page_number

bp = Blueprint("bookings", __name__, url_prefix="/bookings")
HOLDER_SIDE = (Role.HOLDER, Role.REPRESENTATIVE)
PAGE_SIZE = 20


def _today() -> date:
    return london_today()


def _holder_bookings(holder_ids: list[int]) -> Pagination:
    return db.paginate(
        select(Booking).where(Booking.holder_id.in_(holder_ids)).order_by(Booking.id.desc()),
        page=page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
    )


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
        page=_holder_bookings(holder_ids),
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
    if listing is None or listing.status != ListingStatus.PUBLISHED:
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
def new(listing_id: int) -> ResponseReturnValue:
    """Step 1 asks what and when; step 2 shows the price and warnings; step 3 sends."""
    listing = _bookable(listing_id)
    holder = _holder_for_request()
    pots = _pots(holder)
    form = RequestForm()
    form.pot.choices = [(str(p.id), f"{p.kind.label} ({p.support_plan_reference})") for p in pots]
    if not pots:
        return render_template("bookings/no_budget.html", listing=listing, holder=holder), 409
    if request.method == "GET":
        _prefill(form, request.args.get("from", type=int), holder)
    if form.validate_on_submit():
        pot = next(p for p in pots if str(p.id) == form.pot.data)
        try:
            booking_request = _request_from(form)
            quote = services.quote(holder, listing, pot, booking_request, _today())
            if request.form.get("confirm") == "yes":
                booking = services.request_booking(
                    current_user, holder, listing, pot, booking_request, _today()
                )
                return redirect(url_for("bookings.sent", booking_id=booking.id))
        except DomainError as error:
            form.add_domain_error(error, "day")
        else:
            return render_template(
                "bookings/check.html",
                form=form,
                listing=listing,
                holder=holder,
                pot=pot,
                quote=quote,
                request_=booking_request,
                weekdays=WEEKDAYS,
            )
    status = 400 if form.errors else 200
    return render_template("bookings/new.html", form=form, listing=listing, holder=holder), status


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


@bp.get("/<int:booking_id>/sent")
@roles_required(*HOLDER_SIDE)
def sent(booking_id: int) -> str:
    booking = _booking_for(booking_id)
    return render_template("bookings/sent.html", booking=booking)


# One booking.


def _booking_for(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        abort(404)
    services.side_of(current_user, booking)
    return booking


@bp.get("/<int:booking_id>")
@login_required
def booking(booking_id: int) -> str:
    found = _booking_for(booking_id)
    side = services.side_of(current_user, found)
    events = db.session.scalars(
        select(BookingEvent).where(BookingEvent.booking_id == found.id).order_by(BookingEvent.id)
    ).all()
    open_offer = next((o for o in found.offers if o.state == OfferState.OPEN), None)
    review = reviews.review_of(found)
    cover_found = None
    if found.state == BookingState.CANCELLED_BY_PROVIDER and side == Side.HOLDER:
        cover_found = cover.options(found)
    return render_template(
        "bookings/booking.html",
        workers=services.workers_of(found.provider_id) if side == Side.PROVIDER else [],
        booking=found,
        side=side.value,
        events=events,
        open_offer=open_offer,
        review=review,
        may_review=reviews.may_review(current_user, found),
        weekdays=WEEKDAYS,
        now=utcnow(),
        BookingState=BookingState,
        cover=cover_found,
    )


def _act(
    booking_id: int,
    action: Callable[[Booking], object],
    success: str,
    form: BaseForm | None = None,
) -> ResponseReturnValue | None:
    """Run one service on a booking from a POST and come back to the booking page."""
    found = _booking_for(booking_id)
    if form is not None and not form.validate_on_submit():
        return None
    try:
        action(found)
    except AlreadyMoved:
        flash(success, "success")  # a second click: answered as the first was
    except payments.SpendRefused as refused:
        flash(refused.message, "error")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(success, "success")
    return redirect(url_for("bookings.booking", booking_id=booking_id))


def _run(booking_id: int, action: Callable[[Booking], object], success: str) -> ResponseReturnValue:
    done = _act(booking_id, action, success)
    assert done is not None  # without a form there is nothing to show again
    return done


def _plain_post() -> None:
    if not BaseForm().validate_on_submit():
        abort(400)


@bp.post("/<int:booking_id>/accept")
@roles_required(Role.PROVIDER)
def accept(booking_id: int) -> ResponseReturnValue:
    _plain_post()
    worker_id = request.form.get("worker", type=int)
    return _run(
        booking_id,
        lambda b: services.accept(current_user, b, _today(), worker_id),
        "You have accepted the booking. The money for it has been set aside.",
    )


def _reason_page(
    booking_id: int,
    title: str,
    action: Callable[[Booking, str], object],
    success: str,
    button: str,
) -> ResponseReturnValue:
    form = ReasonForm()
    form.submit.label.text = button
    if request.method == "POST":
        done = _act(booking_id, lambda b: action(b, form.reason.data or ""), success, form)
        if done is not None:
            return done
    found = _booking_for(booking_id)
    status = 400 if form.errors else 200
    return render_template("bookings/reason.html", form=form, booking=found, title=title), status


@bp.route("/<int:booking_id>/decline", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def decline(booking_id: int) -> ResponseReturnValue:
    return _reason_page(
        booking_id,
        "Decline this request",
        lambda b, reason: services.decline(current_user, b, reason),
        "You have declined the request.",
        "Decline request",
    )


@bp.route("/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int) -> ResponseReturnValue:
    found = _booking_for(booking_id)
    if services.side_of(current_user, found) == Side.PROVIDER:
        return _reason_page(
            booking_id,
            "Cancel this booking",
            lambda b, reason: services.cancel_by_provider(current_user, b, reason),
            "The booking is cancelled and the person has been told.",
            "Cancel booking",
        )
    return _reason_page(
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
    workers = services.workers_of(_booking_for(booking_id).provider_id)
    form.worker.choices = [(str(w.id), w.name) for w in workers]
    if request.method == "POST":
        done = _act(
            booking_id,
            lambda b: services.offer(
                current_user,
                b,
                parse_pounds(form.price.data or ""),
                form.note.data or "",
                int(form.worker.data) if form.worker.data else None,
            ),
            "Your offer has been sent.",
            form,
        )
        if done is not None:
            return done
    found = _booking_for(booking_id)
    status = 400 if form.errors else 200
    return render_template("bookings/offer.html", form=form, booking=found), status


@bp.post("/offers/<int:offer_id>/<any(accept, decline):answer>")
@roles_required(*HOLDER_SIDE)
def answer_offer(offer_id: int, answer: str) -> ResponseReturnValue:
    _plain_post()
    made = db.session.get(Offer, offer_id)
    if made is None:
        abort(404)
    return _run(
        made.booking_id,
        lambda b: services.answer_offer(
            current_user, made, accept_it=answer == "accept", today=_today()
        ),
        "You have accepted the offer: the booking is confirmed."
        if answer == "accept"
        else "You have declined the offer.",
    )


# Sessions.


def _occurrence(occurrence_id: int) -> Occurrence:
    found = db.session.get(Occurrence, occurrence_id)
    if found is None:
        abort(404)
    _booking_for(found.booking_id)
    return found


@bp.route("/sessions/<int:occurrence_id>/delivered", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def delivered(occurrence_id: int) -> ResponseReturnValue:
    found = _occurrence(occurrence_id)
    form = DeliveredForm()
    if request.method == "GET":
        form.hours.data = f"{(found.ends_at - found.starts_at).total_seconds() / 3600:g}"
    if request.method == "POST":
        done = _act(
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
    _plain_post()
    found = _occurrence(occurrence_id)
    return _run(
        found.booking_id,
        lambda b: services.confirm(current_user, found),
        "Thank you. The provider will be paid from your budget.",
    )


@bp.route("/sessions/<int:occurrence_id>/dispute", methods=["GET", "POST"])
@roles_required(*HOLDER_SIDE)
def dispute(occurrence_id: int) -> ResponseReturnValue:
    found = _occurrence(occurrence_id)
    return _reason_page(
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
        done = _act(
            found.booking_id,
            lambda b: services.resolve_dispute(
                current_user, found, parse_pounds(form.amount.data or ""), form.note.data or ""
            ),
            "Your decision is recorded and the money has moved.",
            form,
        )
        if done is not None:
            return done
    status = 400 if form.errors else 200
    return render_template("bookings/resolve.html", form=form, occurrence=found), status


# The provider's inbox.


@bp.get("/inbox")
@roles_required(Role.PROVIDER)
def inbox() -> str:
    providers = select(ProviderMember.provider_id).where(ProviderMember.user_id == current_user.id)
    requests = db.session.scalars(
        select(Booking)
        .where(Booking.provider_id.in_(providers), Booking.state == BookingState.REQUESTED)
        .order_by(Booking.expires_at)
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


@bp.get("/calendar")
@roles_required(Role.HOLDER, Role.REPRESENTATIVE, Role.PROVIDER)
def week() -> str:
    try:
        day = date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        day = _today()
    monday, _ = calendar.week_of(day)
    feed = calendar.feed_for(current_user)
    return render_template(
        "bookings/calendar.html",
        monday=monday,
        days=calendar.week(current_user, monday),
        previous=monday - timedelta(days=7),
        following=monday + timedelta(days=7),
        feed_url=url_for("bookings.ical", token=feed.token, _external=True),
    )


@bp.post("/calendar/new-address")
@roles_required(Role.HOLDER, Role.REPRESENTATIVE, Role.PROVIDER)
def new_feed_address() -> ResponseReturnValue:
    _plain_post()
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


# Reviews.


@bp.route("/<int:booking_id>/review", methods=["GET", "POST"])
@roles_required(*HOLDER_SIDE)
def review(booking_id: int) -> ResponseReturnValue:
    found = _booking_for(booking_id)
    if not reviews.may_review(current_user, found) or reviews.review_of(found) is not None:
        flash("You can write one review for a booking once a session has been confirmed.", "info")
        return redirect(url_for("bookings.booking", booking_id=found.id))
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            reviews.write(current_user, found, int(form.stars.data or 0), form.text.data or "")
        except DomainError as error:
            form.add_domain_error(error, "text")
        else:
            flash("Thank you. Your review is published.", "success")
            return redirect(url_for("bookings.booking", booking_id=found.id))
    status = 400 if form.errors else 200
    return render_template("bookings/review.html", form=form, booking=found), status


@bp.route("/reviews/<int:review_id>/reply", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def reply(review_id: int) -> ResponseReturnValue:
    found = db.session.get(Review, review_id)
    if found is None or not is_provider_staff(current_user, found.booking.provider):
        abort(404)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            reviews.reply(current_user, found, form.text.data or "")
        except DomainError as error:
            form.add_domain_error(error, "text")
        else:
            flash("Your reply is published.", "success")
            return redirect(url_for("bookings.booking", booking_id=found.booking_id))
    status = 400 if form.errors else 200
    return render_template("bookings/reply.html", form=form, review=found), status


@bp.post("/reviews/<int:review_id>/<any(hide, restore):action>")
@roles_required(Role.COMMISSIONER, Role.ADMIN)
def moderate(review_id: int, action: str) -> ResponseReturnValue:
    _plain_post()
    found = db.session.get(Review, review_id)
    if found is None:
        abort(404)
    try:
        reviews.moderate(
            current_user, found, hide=action == "hide", note=request.form.get("note", "")
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            "The review is hidden." if action == "hide" else "The review is published again.",
            "success",
        )
    return redirect(request.referrer or url_for("main.dashboard"))


@bp.app_context_processor
def _listing_helpers() -> dict[str, object]:
    """Lets the directory's listing page offer booking and show reviews without importing us."""

    def booking_url(listing: Listing) -> str | None:
        if not current_user.is_authenticated or current_user.role not in HOLDER_SIDE:
            return None
        if listing.status != ListingStatus.PUBLISHED:
            return None
        return url_for("bookings.new", listing_id=listing.id)

    def listing_reviews(listing_id: int) -> dict[str, object]:
        return {"summary": reviews.summary(listing_id), "reviews": reviews.published(listing_id)}

    return {"listing_booking_url": booking_url, "listing_reviews": listing_reviews}
