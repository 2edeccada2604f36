"""Reviews of a booking, the provider's reply, moderation; listing pages' booking helpers."""

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

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.bookings import reviews
from marketplace.bookings.forms import (
    ReplyForm,
    ReviewForm,
)
from marketplace.bookings.models import (
    Review,
)
from marketplace.bookings.views.blueprint import HOLDER_SIDE, bp
from marketplace.bookings.views.booking import booking_for, plain_post
from marketplace.directory.models import Listing, ListingStatus
from marketplace.directory.services import is_provider_staff
from marketplace.errors import DomainError
from marketplace.extensions import db

# Reviews.


@bp.route("/<int:booking_id>/review", methods=["GET", "POST"])
@roles_required(*HOLDER_SIDE)
def review(booking_id: int) -> ResponseReturnValue:
    found = booking_for(booking_id)
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
    plain_post()
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

    def sign_in_to_book_url(listing: Listing) -> str | None:
        """For someone signed out, the sign-in page that comes back to book this listing."""
        if current_user.is_authenticated or listing.status != ListingStatus.PUBLISHED:
            return None
        return url_for("accounts.sign_in", next=url_for("bookings.new", listing_id=listing.id))

    def listing_reviews(listing_id: int) -> dict[str, object]:
        return {"summary": reviews.summary(listing_id), "reviews": reviews.published(listing_id)}

    return {
        "listing_booking_url": booking_url,
        "listing_sign_in_to_book_url": sign_in_to_book_url,
        "listing_reviews": listing_reviews,
    }
