"""A holder's blocks: a blocked provider cannot message them, make or answer for them a
booking request or an offer, or arrange a first meeting with them. Bookings and meetings ask
here before a request, an offer, an acceptance or a meeting time is made; blocking withdraws
the requests and meetings still open (conversations.services.block)."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.conversations.models import ProviderBlock
from marketplace.errors import DomainError
from marketplace.extensions import db

REQUEST_REFUSED = (
    "You have blocked this provider, so you cannot ask them for a booking. You can unblock "
    "them from your messages with them."
)
OFFER_REFUSED = "This person has chosen not to hear from you, so you cannot make them an offer."
MESSAGE_REFUSED = "This person has chosen not to hear from you, so you cannot send them messages."
ACCEPT_REFUSED = "This person has chosen not to hear from you, so you cannot take this booking."
MEETING_REFUSED = (
    "You have blocked this provider, so you cannot arrange a first meeting with them. You can "
    "unblock them from your messages with them."
)
MEETING_ANSWER_REFUSED = (
    "This person has chosen not to hear from you, so you cannot arrange a meeting with them."
)
WITHDRAWN_ON_BLOCK = "Withdrawn: the person chose not to hear from this provider"


def is_blocked(holder_id: int, provider_id: int) -> bool:
    """Whether the holder has blocked the provider."""
    found = db.session.scalar(
        select(ProviderBlock.id).where(
            ProviderBlock.holder_id == holder_id, ProviderBlock.provider_id == provider_id
        )
    )
    return found is not None


def refuse_if_blocked(holder_id: int, provider_id: int, message: str) -> None:
    """Raises DomainError with `message` when the holder has blocked the provider."""
    if is_blocked(holder_id, provider_id):
        raise DomainError(message)
