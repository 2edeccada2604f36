"""Emails about bookings, queued in the outbox and sent after the change commits."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.accounts.models import User
from marketplace.accounts.services import representations_for_holder
from marketplace.bookings.models import Booking, Occurrence
from marketplace.bookings.week import Misfit
from marketplace.clock import LONDON
from marketplace.directory.models import ProviderMember
from marketplace.extensions import db
from marketplace.mail import link, queue_email


def _link(booking: Booking) -> str:
    return link("bookings.booking", booking_id=booking.id)


def _holder_side(booking: Booking) -> list[User]:
    people = [booking.holder]
    people += [r.representative for r in representations_for_holder(booking.holder) if r.is_active]
    return [p for p in people if p.active]


def _provider_side(booking: Booking) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(ProviderMember, ProviderMember.user_id == User.id)
            .where(ProviderMember.provider_id == booking.provider_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _send(people: list[User], subject: str, body: str, booking: Booking, template: str) -> None:
    text = f"{body}\n\nSee the booking: {_link(booking)}\n"
    for person in people:
        queue_email(
            person.email, subject, f"Hello {person.full_name},\n\n{text}", template=template
        )


def _what(booking: Booking) -> str:
    return f"{booking.listing.title} from {booking.provider.display_name}"


def request_received(booking: Booking) -> None:
    _send(
        _provider_side(booking),
        "New booking request",
        f"You have a new request for {booking.listing.title}. Please accept, decline or make "
        "an offer before it expires.",
        booking,
        "booking_requested",
    )


def accepted(booking: Booking) -> None:
    _send(
        _holder_side(booking),
        "Your booking is confirmed",
        f"{_what(booking)} is booked. The money for the first sessions has been set aside "
        "from your budget.",
        booking,
        "booking_accepted",
    )


def declined(booking: Booking, reason: str) -> None:
    _send(
        _holder_side(booking),
        "Your booking request was declined",
        f"{booking.provider.display_name} cannot take your request for "
        f"{booking.listing.title}. They said: {reason}",
        booking,
        "booking_declined",
    )


def offered(booking: Booking) -> None:
    _send(
        _holder_side(booking),
        "You have an offer for your booking",
        f"{booking.provider.display_name} has offered a different price for "
        f"{booking.listing.title}. You can accept or decline it.",
        booking,
        "booking_offer",
    )


def expired(booking: Booking) -> None:
    _send(
        _holder_side(booking),
        "Your booking request had no reply",
        f"{booking.provider.display_name} did not answer your request for "
        f"{booking.listing.title} in time. You can search for someone else.",
        booking,
        "booking_expired",
    )


def cancelled(booking: Booking, by_provider: bool) -> None:
    if by_provider:
        _send(
            _holder_side(booking),
            "Your booking was cancelled by the provider",
            f"{booking.provider.display_name} has cancelled {booking.listing.title}. Any "
            "money set aside has gone back to your budget. We have found other people who "
            "may be able to help instead.",
            booking,
            "booking_cancelled_cover",
        )
    else:
        _send(
            _provider_side(booking),
            "A booking was cancelled",
            f"The booking for {booking.listing.title} has been cancelled.",
            booking,
            "booking_cancelled",
        )


def delivered(occurrence: Occurrence) -> None:
    booking = occurrence.booking
    when = occurrence.starts_at.astimezone(LONDON)
    _send(
        _holder_side(booking),
        "Please confirm a session",
        f"{booking.provider.display_name} says the session on {when:%A %-d %B} was "
        "delivered. Please confirm it, or tell us if something was wrong, within 7 days.",
        booking,
        "booking_delivered",
    )


def arrived(occurrence: Occurrence) -> None:
    booking = occurrence.booking
    when = occurrence.starts_at.astimezone(LONDON)
    _send(
        _holder_side(booking),
        "Your worker has arrived",
        f"{booking.provider.display_name} says their worker has arrived for the session of "
        f"{booking.listing.title} on {when:%A %-d %B}.",
        booking,
        "session_arrived",
    )


def left(occurrence: Occurrence) -> None:
    booking = occurrence.booking
    when = occurrence.starts_at.astimezone(LONDON)
    _send(
        _holder_side(booking),
        "Your worker has left",
        f"{booking.provider.display_name} says their worker has left after the session of "
        f"{booking.listing.title} on {when:%A %-d %B}.",
        booking,
        "session_left",
    )


def disputed(occurrence: Occurrence) -> None:
    booking = occurrence.booking
    _send(
        accounts.commissioners_of(booking.holder.tenant_id) + _provider_side(booking),
        "A session has been disputed",
        f"A session of {_what(booking)} has been disputed. The money stays set aside until "
        "commissioner staff decide.",
        booking,
        "booking_disputed",
    )


def rota_not_funded(booking: Booking, reason: str) -> None:
    """Both sides learn at once that the next weeks of a rota could not be paid for."""
    body = (
        f"The next weeks of {_what(booking)} could not be booked because the money could not "
        f"be set aside: {reason} Sessions already booked still go ahead. Please talk to the "
        "council or NHS team that manages the budget."
    )
    _send(
        _holder_side(booking) + _provider_side(booking),
        "A rota could not be extended",
        body,
        booking,
        "rota_not_funded",
    )


def rota_dates_skipped(booking: Booking, misfits: list[Misfit]) -> None:
    """Both sides learn which dates of a rota were left out because they no longer fit the
    provider's week (a day off added, another session booked at that time)."""
    dates = "\n".join(f"- {misfit}" for misfit in misfits)
    body = (
        f"These dates of {_what(booking)} were not booked, because they no longer fit the "
        f"provider's week:\n\n{dates}\n\nNothing is paid for them. The other sessions go ahead."
    )
    _send(
        _holder_side(booking) + _provider_side(booking),
        "Some dates of a rota were not booked",
        body,
        booking,
        "rota_dates_skipped",
    )
