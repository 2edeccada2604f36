"""Emails about conversations: that a message came and from whom, or that a conversation was
reported. Never the text of a message, nor the reason for a report."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import Representation, Role, User
from marketplace.conversations.models import Conversation, ConversationReport, Message, Party
from marketplace.directory.models import ProviderMember
from marketplace.extensions import db
from marketplace.mail import link, queue_email


def _holder_side(conversation: Conversation) -> list[User]:
    representatives = db.session.scalars(
        select(User)
        .join(Representation, Representation.representative_id == User.id)
        .where(
            Representation.holder_id == conversation.holder_id,
            Representation.revoked_at.is_(None),
        )
        .order_by(User.id)
    )
    return [conversation.holder, *representatives]


def _provider_side(conversation: Conversation) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(ProviderMember, ProviderMember.user_id == User.id)
            .where(ProviderMember.provider_id == conversation.provider_id)
            .order_by(User.id)
        )
    )


def sender_name(message: Message, conversation: Conversation) -> str:
    """Who a message is from, as its reader knows them: the provider's name, the holder's, or
    a representative's with the holder they act for."""
    if message.party == Party.PROVIDER:
        return str(conversation.provider.display_name)
    if message.sender_id == conversation.holder_id:
        return str(conversation.holder.full_name)
    return f"{message.sender.full_name}, for {conversation.holder.full_name}"


def new_message(message: Message, conversation: Conversation) -> None:
    """Tell the other side (everyone on it who can sign in) that a message came."""
    readers = (
        _provider_side(conversation)
        if message.party == Party.HOLDER
        else _holder_side(conversation)
    )
    who = sender_name(message, conversation)
    address = link("conversations.conversation", conversation_id=conversation.id)
    for person in readers:
        if not person.active or person.id == message.sender_id:
            continue
        queue_email(
            person.email,
            f"New message from {who}",
            f"Hello {person.full_name},\n\n"
            f"You have a new message from {who} on the care marketplace.\n\n"
            f"Sign in to read it and reply: {address}\n",
            template="conversation_message",
        )


def reported(made: ConversationReport) -> None:
    """Tell the commissioners of the holder's council or ICB that a report waits for them."""
    if made.tenant_id is None:
        return
    staff = db.session.scalars(
        select(User)
        .where(
            User.tenant_id == made.tenant_id,
            User.role == Role.COMMISSIONER,
            User.active.is_(True),
        )
        .order_by(User.id)
    )
    address = link("conversations.reported")
    for person in staff:
        queue_email(
            person.email,
            "A conversation has been reported to you",
            f"Hello {person.full_name},\n\n"
            "Someone has reported a conversation on the care marketplace to you for "
            "safeguarding. Sign in to read it and the reason they gave.\n\n"
            f"Reports: {address}\n",
            template="conversation_reported",
        )
