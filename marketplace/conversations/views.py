"""Conversation pages: the inbox, one conversation, asking a question, reports and blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from marketplace.accounts import services as accounts
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role, User
from marketplace.bookings.models import Booking
from marketplace.bookings.services import side_of
from marketplace.bookings.states import Side
from marketplace.conversations import services
from marketplace.conversations.forms import (
    ConfirmForm,
    FirstMessageForm,
    MessageForm,
    ReportForm,
)
from marketplace.conversations.models import Conversation, Party
from marketplace.conversations.notifications import sender_name
from marketplace.directory.models import Listing, ListingStatus, Provider
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.sent_forms import once_per_form
from marketplace.web import page_number

bp = Blueprint("conversations", __name__, url_prefix="/messages")
PARTIES = (Role.HOLDER, Role.REPRESENTATIVE, Role.PROVIDER)
HOLDER_SIDE = (Role.HOLDER, Role.REPRESENTATIVE)
TOO_MANY = 429
T = TypeVar("T")


def _conversation(conversation_id: int) -> Conversation:
    found = db.session.get(Conversation, conversation_id)
    if found is None:
        raise NotFound("There is no such conversation")
    return found


@bp.get("/")
@roles_required(*PARTIES)
def inbox() -> str:
    page, rows = services.inbox(current_user, page_number())
    return render_template("conversations/inbox.html", page=page, rows=rows)


@bp.get("/reported")
@roles_required(Role.COMMISSIONER, Role.ADMIN)
def reported() -> str:
    page = services.reports_for(current_user, page_number())
    return render_template("conversations/reported.html", page=page)


def _show(conversation: Conversation, form: MessageForm, status: int = 200) -> ResponseReturnValue:
    reader = services.open_conversation(current_user, conversation)
    page = services.messages(conversation, page_number())
    return render_template(
        "conversations/conversation.html",
        conversation=conversation,
        reader=reader,
        page=page,
        shown=list(reversed(page.items)),
        form=form if not reader.overseeing else None,
        reports=services.reports_of(conversation) if reader.overseeing else [],
        blocked=services.is_blocked(conversation),
        from_whom=lambda m: sender_name(m, conversation),
        Party=Party,
    ), status


@bp.get("/<int:conversation_id>")
@login_required
def conversation(conversation_id: int) -> ResponseReturnValue:
    form = MessageForm()
    form.about.data = request.args.get("about", "")
    return _show(_conversation(conversation_id), form)


@bp.post("/<int:conversation_id>")
@roles_required(*PARTIES)
@once_per_form
def send(conversation_id: int) -> ResponseReturnValue:
    found = _conversation(conversation_id)
    services.reader_of(current_user, found)  # a stranger learns nothing, even from a bad form
    form = MessageForm()
    sent, status = _sending(
        form, lambda: services.send(current_user, found, form.body.data or "", form.booking_id())
    )
    if sent is not None:
        flash("Your message has been sent.", "success")
        return redirect(url_for(".conversation", conversation_id=found.id, _anchor="latest"))
    return _show(found, form, status)


def _sending(form: MessageForm, action: Callable[[], T]) -> tuple[T | None, int]:
    """Run `action` when the form is sent and valid: its result, or None and the status of the
    page that shows the form again (429 when the person sent too many messages lately)."""
    if not form.validate_on_submit():
        return None, 400 if form.errors else 200
    try:
        return action(), 200
    except services.SendingTooFast as error:
        form.add_domain_error(error, "body")
        return None, TOO_MANY
    except DomainError as error:
        form.add_domain_error(error, "body")
        return None, 400


# Starting: from a listing ("Ask a question") or from a booking.


def _holders_for(user: User) -> list[User]:
    if user.role == Role.HOLDER:
        return [user]
    return accounts.holders_represented_by(user)


def _first_message_page(
    provider: Provider,
    holders: list[User],
    back: str,
    title: str,
    booking_id: int | None = None,
) -> ResponseReturnValue:
    form = FirstMessageForm()
    form.holder.choices = [(str(h.id), h.full_name) for h in holders]
    if len(holders) == 1:  # nobody to choose between: the radios are not shown
        form.holder.data = str(holders[0].id)
        form.holder.raw_data = [form.holder.data]
    if booking_id is not None:
        form.about.data = str(booking_id)
    chosen = next((h for h in holders if str(h.id) == form.holder.data), None)
    made, status = _sending(
        form,
        lambda: services.start(
            current_user, _known(chosen), provider, form.body.data or "", form.booking_id()
        ),
    )
    if made is not None:
        flash("Your message has been sent.", "success")
        return redirect(url_for(".conversation", conversation_id=made.id, _anchor="latest"))
    return render_template(
        "conversations/new.html",
        form=form,
        provider=provider,
        holders=holders,
        back=back,
        title=title,
    ), status


def _known(holder: User | None) -> User:
    if holder is None:
        abort(400)
    return holder


@bp.route("/ask/<int:listing_id>", methods=["GET", "POST"])
@roles_required(*HOLDER_SIDE)
@once_per_form
def ask(listing_id: int) -> ResponseReturnValue:
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.status != ListingStatus.PUBLISHED:
        abort(404)
    holders = _holders_for(current_user)
    if not holders:
        abort(404)
    back = url_for("directory.listing", listing_id=listing.id)
    return _first_message_page(
        listing.provider, holders, back, f"Ask {listing.provider.display_name} a question"
    )


@bp.route("/about-booking/<int:booking_id>", methods=["GET", "POST"])
@roles_required(*PARTIES)
@once_per_form
def about_booking(booking_id: int) -> ResponseReturnValue:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        abort(404)
    if side_of(current_user, booking) not in (Side.HOLDER, Side.PROVIDER):
        raise NotFound("This booking is not one you can see")
    existing = services.between(booking.holder, booking.provider)
    if existing is not None and request.method == "GET":
        return redirect(url_for(".conversation", conversation_id=existing.id, about=booking.id))
    back = url_for("bookings.booking", booking_id=booking.id)
    other = (
        booking.provider.display_name
        if current_user.role != Role.PROVIDER
        else booking.holder.full_name
    )
    return _first_message_page(
        booking.provider, [booking.holder], back, f"Send a message to {other}", booking.id
    )


# Safeguarding.


@bp.route("/<int:conversation_id>/report", methods=["GET", "POST"])
@roles_required(*PARTIES)
@once_per_form
def report(conversation_id: int) -> ResponseReturnValue:
    found = _conversation(conversation_id)
    services.reader_of(current_user, found)
    form = ReportForm()
    done = form.carry_out(lambda: services.report(current_user, found, form.reason.data or ""))
    if done is not None:
        return redirect(url_for(".reported_sent", conversation_id=found.id))
    status = 400 if form.errors else 200
    return render_template("conversations/report.html", form=form, conversation=found), status


@bp.get("/<int:conversation_id>/report/sent")
@roles_required(*PARTIES)
def reported_sent(conversation_id: int) -> str:
    found = _conversation(conversation_id)
    services.reader_of(current_user, found)
    return render_template("conversations/report_sent.html", conversation=found)


@bp.route("/<int:conversation_id>/block", methods=["GET", "POST"])
@roles_required(*HOLDER_SIDE)
def block(conversation_id: int) -> ResponseReturnValue:
    found = _conversation(conversation_id)
    services.reader_of(current_user, found)
    form = ConfirmForm()
    form.submit.label.text = f"Block {found.provider.display_name}"
    done = form.carry_out(lambda: services.block(current_user, found))
    if done is not None:
        flash(_blocked(found.provider.display_name, done.value), "success")
        return redirect(url_for(".conversation", conversation_id=found.id))
    return render_template(
        "conversations/block.html",
        form=form,
        conversation=found,
        waiting=services.to_withdraw(found),
    )


def _blocked(name: str, withdrawn: services.Withdrawn | None) -> str:
    said = (
        f"You have blocked {name}. They cannot send you messages or booking offers, and you "
        "cannot ask them for a booking or a first meeting, until you unblock them."
    )
    if withdrawn is None:  # blocked already, by a click a moment before
        return said
    return f"{said} {_withdrawn(withdrawn)}"


def _withdrawn(withdrawn: services.Withdrawn) -> str:
    """'2 booking requests and 1 first meeting with them have been withdrawn.'"""
    parts = [
        _count(withdrawn.bookings, "booking request"),
        _count(withdrawn.meetings, "first meeting"),
    ]
    named = [part for part in parts if part]
    if not named:
        return "Nothing was waiting with them, so nothing was withdrawn."
    verb = "has" if withdrawn.bookings + withdrawn.meetings == 1 else "have"
    return f"{' and '.join(named)} with them {verb} been withdrawn."


def _count(n: int, thing: str) -> str:
    if n == 0:
        return ""
    return f"1 {thing}" if n == 1 else f"{n} {thing}s"


@bp.post("/<int:conversation_id>/unblock")
@roles_required(*HOLDER_SIDE)
def unblock(conversation_id: int) -> ResponseReturnValue:
    found = _conversation(conversation_id)
    services.reader_of(current_user, found)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.unblock(current_user, found)
    flash(f"You have unblocked {found.provider.display_name}.", "success")
    return redirect(url_for(".conversation", conversation_id=found.id))


# What other pages show: counts in the header and on homes, the listing's and booking's links.


@bp.app_template_global()
def unread_messages() -> int:
    """Messages the signed-in person has not read yet (0 for anyone signed out)."""
    if not current_user.is_authenticated:
        return 0
    return services.unread_count(current_user)


@bp.app_template_global()
def conversation_reports_waiting() -> int:
    if not current_user.is_authenticated:
        return 0
    return services.reports_waiting(current_user)


@bp.app_template_global()
def ask_question_url(listing: Listing) -> str | None:
    """Where a holder (or representative) asks the listing's provider a question; None for
    anyone else, or a provider not on the service yet."""
    if not current_user.is_authenticated or current_user.role not in HOLDER_SIDE:
        return None
    if not listing.provider.has_joined or listing.status != ListingStatus.PUBLISHED:
        return None
    return url_for("conversations.ask", listing_id=listing.id)


@bp.app_template_global()
def listing_blocked(listing: Listing) -> dict[str, Any] | None:
    """For the holder's side: the holders they act for who have blocked the listing's provider,
    and whether that is every one of them (the listing then offers no booking, first meeting
    or question). None when nobody they act for has blocked it."""
    if not current_user.is_authenticated or current_user.role not in HOLDER_SIDE:
        return None
    blocking = services.holders_blocking(current_user, listing.provider)
    if not blocking:
        return None
    return {"holders": blocking, "every": len(blocking) == len(_holders_for(current_user))}


@bp.app_template_global()
def unblock_url(holder: User, provider: Provider) -> str | None:
    """Where the holder's side lifts the holder's block of the provider (a POST)."""
    found = services.between(holder, provider)
    if found is None or services.party_of(current_user, found) is None:
        return None
    return url_for("conversations.unblock", conversation_id=found.id)


@bp.app_template_global()
def conversation_beside(booking: Any) -> dict[str, Any] | None:
    """The messages shown beside a booking, for its holder's side and provider's staff."""
    if not current_user.is_authenticated or current_user.role not in PARTIES:
        return None
    found = services.between(booking.holder, booking.provider)
    if found is not None and services.party_of(current_user, found) is None:
        return None
    latest = services.latest_messages(found, 3) if found is not None else []
    return {
        "conversation": found,
        "latest": latest,
        "from_whom": (lambda m: sender_name(m, found)) if found is not None else None,
        "write_url": url_for("conversations.about_booking", booking_id=booking.id),
    }
