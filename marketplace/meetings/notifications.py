"""Emails about first meetings, queued in the outbox and sent after the change commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.accounts.services import representations_for_holder
from marketplace.directory.models import ProviderMember
from marketplace.extensions import db
from marketplace.mail import link, queue_email

if TYPE_CHECKING:
    from marketplace.meetings.models import Meeting


def _holder_side(meeting: Meeting) -> list[User]:
    people = [meeting.holder]
    people += [r.representative for r in representations_for_holder(meeting.holder) if r.is_active]
    return [p for p in people if p.active]


def _provider_side(meeting: Meeting) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(ProviderMember, ProviderMember.user_id == User.id)
            .where(ProviderMember.provider_id == meeting.provider_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _send(people: list[User], subject: str, body: str, meeting: Meeting, template: str) -> None:
    text = f"{body}\n\nSee the meeting: {link('meetings.meeting', meeting_id=meeting.id)}\n"
    for person in people:
        queue_email(
            person.email, subject, f"Hello {person.full_name},\n\n{text}", template=template
        )


def _when(meeting: Meeting) -> str:
    from marketplace.meetings.services import when

    return when(meeting.starts_at)


def requested(meeting: Meeting) -> None:
    _send(
        _provider_side(meeting),
        "Someone would like a first meeting",
        f"Someone would like a free first meeting about {meeting.listing.title}. Please choose "
        "one of the times they offered, or suggest another.",
        meeting,
        "meeting_requested",
    )


def agreed(meeting: Meeting, *, to_holder: bool) -> None:
    people = _holder_side(meeting) if to_holder else _provider_side(meeting)
    _send(
        people,
        "Your first meeting is agreed",
        f"The first meeting about {meeting.listing.title} with {meeting.provider.display_name} "
        f"is on {_when(meeting)}. It is free.",
        meeting,
        "meeting_agreed",
    )


def suggested(meeting: Meeting) -> None:
    from marketplace.meetings.services import when

    _send(
        _holder_side(meeting),
        "Another time for your first meeting",
        f"{meeting.provider.display_name} cannot do the times you offered for a first meeting "
        f"about {meeting.listing.title}, and suggests {when(meeting.suggested_at)}. You can "
        "accept or decline it.",
        meeting,
        "meeting_suggested",
    )


def declined(meeting: Meeting) -> None:
    _send(
        _provider_side(meeting),
        "A suggested meeting time was declined",
        f"The time you suggested for a first meeting about {meeting.listing.title} was declined.",
        meeting,
        "meeting_declined",
    )


def cancelled(meeting: Meeting, *, by_provider: bool) -> None:
    people = _holder_side(meeting) if by_provider else _provider_side(meeting)
    _send(
        people,
        "A first meeting was cancelled",
        f"The first meeting about {meeting.listing.title} has been cancelled.",
        meeting,
        "meeting_cancelled",
    )


def expired(meeting: Meeting) -> None:
    """Both sides: the meeting lapsed with no time agreed."""
    about = f"The first meeting about {meeting.listing.title}"
    _send(
        _holder_side(meeting),
        "Your first meeting request has lapsed",
        f"{about} with {meeting.provider.display_name} was not agreed before the times had "
        "passed. You can ask for another from the listing.",
        meeting,
        "meeting_expired",
    )
    _send(
        _provider_side(meeting),
        "A first meeting request has lapsed",
        f"{about} was not agreed before the times had passed, so it has been closed.",
        meeting,
        "meeting_expired",
    )
