"""Conversations between a budget holder's side and a provider's, and what keeps them safe.

One conversation per holder and provider. A message is text only, kept with who wrote it, for
which side, and when. Reading marks, safeguarding reports and a holder's blocks sit beside them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow

MAX_MESSAGE_LENGTH = 2000
MAX_REASON_LENGTH = 1000


class Party(enum.StrEnum):
    """The side of a conversation a message came from."""

    HOLDER = "holder"
    PROVIDER = "provider"


class Conversation(db.Model):  # type: ignore[name-defined]
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    holder = relationship("User", foreign_keys=[holder_id])
    provider = relationship("Provider")

    __table_args__ = (
        UniqueConstraint("holder_id", "provider_id", name="uq_conversations_holder_provider"),
    )


class Message(db.Model):  # type: ignore[name-defined]
    __tablename__ = "conversation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    party: Mapped[Party] = mapped_column(db.Enum(Party, native_enum=False, length=10))
    body: Mapped[str] = mapped_column(Text)
    # The booking the message was written from, if any, for the reader's context.
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sender = relationship("User")

    __table_args__ = (
        CheckConstraint(
            f"length(body) >= 1 AND length(body) <= {MAX_MESSAGE_LENGTH}", name="body_length"
        ),
        # How many a person sent lately: the rate limit counts these.
        Index("ix_conversation_messages_sender_sent", "sender_id", "sent_at"),
    )


class ConversationRead(db.Model):  # type: ignore[name-defined]
    """How far one person has read one conversation: everything up to this message."""

    __tablename__ = "conversation_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    last_read_message_id: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        UniqueConstraint("conversation_id", "user_id", name="uq_conversation_reads_pair"),
    )


class ConversationReport(db.Model):  # type: ignore[name-defined]
    """Someone in a conversation asked the holder's council or ICB to look at it."""

    __tablename__ = "conversation_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The holder's council or ICB when it was reported: its commissioners may read it.
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    conversation: Mapped[Conversation] = relationship()
    reported_by = relationship("User")


class ProviderBlock(db.Model):  # type: ignore[name-defined]
    """A holder will take no messages, booking requests or offers from this provider."""

    __tablename__ = "provider_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    blocked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("holder_id", "provider_id", name="uq_provider_blocks_pair"),)


__all__ = [
    "MAX_MESSAGE_LENGTH",
    "MAX_REASON_LENGTH",
    "Conversation",
    "ConversationRead",
    "ConversationReport",
    "Message",
    "Party",
    "ProviderBlock",
]
