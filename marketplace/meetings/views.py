"""First meeting pages: ask from a listing, the meeting and its answers, the list of meetings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from marketplace.accounts import services as accounts
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role, User
from marketplace.conversations import blocks
from marketplace.directory.models import Listing, ListingStatus
from marketplace.directory.services import listing_is_bookable
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import BaseForm
from marketplace.meetings import services
from marketplace.meetings.forms import CancelForm, ChooseForm, MeetingForm, SuggestForm, at_london
from marketplace.meetings.models import Meeting, MeetingState, MeetingWay
from marketplace.models_base import utcnow
from marketplace.sent_forms import once_per_form
from marketplace.web import page_number

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
HOLDER_SIDE = (Role.HOLDER, Role.REPRESENTATIVE)
PAGE_SIZE = 20


def _meeting(meeting_id: int) -> tuple[Meeting, str]:
    found = db.session.get(Meeting, meeting_id)
    if found is None:
        abort(404)
    return found, services.side_of(current_user, found)


def _holder_for_request() -> User:
    """The holder the current person asks for: themselves, or one they act for (?for=id)."""
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


@bp.get("/")
@roles_required(*HOLDER_SIDE, Role.PROVIDER)
def index() -> str:
    page = db.paginate(
        services.meetings_query(current_user).order_by(Meeting.id.desc()),
        page=page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    side = services.PROVIDER if current_user.role == Role.PROVIDER else services.HOLDER
    return render_template("meetings/index.html", page=page, side=side, when=services.when)


@bp.route("/new/<int:listing_id>", methods=["GET", "POST"])
@roles_required(*HOLDER_SIDE)
@once_per_form
def new(listing_id: int) -> ResponseReturnValue:
    listing = db.session.get(Listing, listing_id)
    if listing is None or not listing_is_bookable(listing):
        abort(404)
    holder = _holder_for_request()
    if blocks.is_blocked(holder.id, listing.provider_id):
        return render_template("conversations/blocked.html", listing=listing, holder=holder), 409
    form = MeetingForm()
    done = form.carry_out(
        lambda: services.request_meeting(
            current_user,
            holder,
            listing,
            services.Ask(
                MeetingWay(form.way.data),
                int(form.minutes.data or 0),
                form.times(),
                form.note.data or "",
            ),
        ),
        "day_1",
    )
    if done is not None:
        flash(
            "Request sent. The provider will choose a time or suggest another. We will email you.",
            "success",
        )
        return redirect(url_for("meetings.meeting", meeting_id=done.value.id))
    status = 400 if form.errors else 200
    return render_template("meetings/new.html", form=form, listing=listing, holder=holder), status


@bp.get("/<int:meeting_id>")
@login_required
def meeting(meeting_id: int) -> str:
    found, side = _meeting(meeting_id)
    form = ChooseForm()
    form.time.choices = [(str(t.id), services.when(t.starts_at)) for t in found.times]
    return render_template(
        "meetings/meeting.html",
        meeting=found,
        side=side,
        choose=form,
        when=services.when,
        now=utcnow(),
        may_book=side == services.HOLDER and _may_book(found),
        MeetingState=MeetingState,
    )


def _may_book(found: Meeting) -> bool:
    return found.state == MeetingState.AGREED and found.listing.status == ListingStatus.PUBLISHED


@bp.post("/<int:meeting_id>/choose")
@roles_required(Role.PROVIDER)
def choose(meeting_id: int) -> ResponseReturnValue:
    found, side = _meeting(meeting_id)
    form = ChooseForm()
    form.time.choices = [(str(t.id), services.when(t.starts_at)) for t in found.times]
    done = form.carry_out(
        lambda: services.choose_time(current_user, found, int(form.time.data or 0)), "time"
    )
    if done is not None:
        flash("The meeting is agreed. The person has been told.", "success")
        return redirect(url_for("meetings.meeting", meeting_id=found.id))
    page = render_template(
        "meetings/meeting.html",
        meeting=found,
        side=side,
        choose=form,
        form=form,
        when=services.when,
        now=utcnow(),
        may_book=False,
        MeetingState=MeetingState,
    )
    return page, 400


@bp.route("/<int:meeting_id>/suggest", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def suggest(meeting_id: int) -> ResponseReturnValue:
    found, _ = _meeting(meeting_id)
    form = SuggestForm()
    done = form.carry_out(
        lambda: services.suggest_time(
            current_user,
            found,
            at_london(form.day.data, form.start.data or ""),  # type: ignore[arg-type]
        ),
        "day",
    )
    if done is not None:
        flash("Your suggested time has been sent.", "success")
        return redirect(url_for("meetings.meeting", meeting_id=found.id))
    status = 400 if form.errors else 200
    return render_template("meetings/suggest.html", form=form, meeting=found), status


@bp.post("/<int:meeting_id>/<any(accept, decline):answer>")
@roles_required(*HOLDER_SIDE)
def answer(meeting_id: int, answer: str) -> ResponseReturnValue:
    if not BaseForm().validate_on_submit():
        abort(400)
    found, _ = _meeting(meeting_id)
    try:
        services.answer_suggestion(current_user, found, accept=answer == "accept")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            "The meeting is agreed. The provider has been told."
            if answer == "accept"
            else "You have declined the suggested time.",
            "success",
        )
    return redirect(url_for("meetings.meeting", meeting_id=found.id))


@bp.route("/<int:meeting_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(meeting_id: int) -> ResponseReturnValue:
    found, _ = _meeting(meeting_id)
    if found.state not in services.OPEN:
        flash(_closed(found))
        return redirect(url_for("meetings.meeting", meeting_id=found.id))
    form = CancelForm()
    done = form.carry_out(
        lambda: services.cancel(current_user, found, form.reason.data or ""), "reason"
    )
    if done is not None:
        flash("The meeting is cancelled. The other side has been told.", "success")
        return redirect(url_for("meetings.meeting", meeting_id=found.id))
    status = 400 if form.errors else 200
    return render_template("meetings/cancel.html", form=form, meeting=found), status


def _closed(found: Meeting) -> str:
    if found.state == MeetingState.CANCELLED:
        return "This meeting is already cancelled."
    return "This meeting has already closed, so there is nothing to cancel."


@bp.app_context_processor
def _listing_helpers() -> dict[str, object]:
    """Lets the listing page offer a first meeting, and homes list the meetings waiting for an
    answer, without importing us."""

    def meeting_url(listing: Listing) -> str | None:
        if not current_user.is_authenticated or current_user.role not in HOLDER_SIDE:
            return None
        if listing.status != ListingStatus.PUBLISHED:
            return None
        return url_for("meetings.new", listing_id=listing.id)

    def meetings_waiting() -> list[Meeting]:
        if not current_user.is_authenticated:
            return []
        return services.waiting_for(current_user)

    return {
        "listing_meeting_url": meeting_url,
        "meetings_waiting": meetings_waiting,
        "meeting_time": services.when,
    }
