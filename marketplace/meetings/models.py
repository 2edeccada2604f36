"""A first meeting: a free introduction asked for from a listing, at one of up to three times.

No money moves and a meeting is never a booking: it lives in its own tables, which the reports,
dashboards and ledger checks never read.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow


class MeetingWay(enum.StrEnum):
    PHONE = "phone"
    VIDEO = "video"
    IN_PERSON = "in_person"

    @property
    def label(self) -> str:
        return {"phone": "By phone", "video": "By video call", "in_person": "In person"}[self.value]


class MeetingState(enum.StrEnum):
    REQUESTED = "requested"  # the holder's side offered times; the provider picks or suggests
    SUGGESTED = "suggested"  # the provider suggested another time; the holder's side answers
    AGREED = "agreed"
    DECLINED = "declined"  # the holder's side declined the provider's suggestion
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # every time offered (or the one suggested) passed with no answer

    @property
    def label(self) -> str:
        return {
            "requested": "Waiting for the provider to choose a time",
            "suggested": "The provider suggested another time",
            "agreed": "Meeting agreed",
            "declined": "Suggested time declined",
            "cancelled": "Cancelled",
            "expired": "Lapsed: no time was agreed before the times offered had passed",
        }[self.value]

    def label_for(self, side: str) -> str:
        """The state as a person on `side` ("holder" or "provider") reads it: `label` is
        written for the holder's side."""
        if side == "provider":
            return _FOR_THE_PROVIDER.get(self.value, self.label)
        return self.label


_FOR_THE_PROVIDER = {
    "requested": "Choose a time",
    "suggested": "Waiting for them to answer your suggestion",
    "declined": "They declined the time you suggested",
}


class Meeting(db.Model):  # type: ignore[name-defined]
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    way: Mapped[MeetingWay] = mapped_column(db.Enum(MeetingWay, native_enum=False, length=10))
    minutes: Mapped[int] = mapped_column(Integer)
    state: Mapped[MeetingState] = mapped_column(
        db.Enum(MeetingState, native_enum=False, length=10), default=MeetingState.REQUESTED
    )
    note: Mapped[str] = mapped_column(Text, default="")
    # The time the provider suggested instead of those offered, while the holder's side answers.
    suggested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The time both sides agreed.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    holder = relationship("User", foreign_keys=[holder_id])
    listing = relationship("Listing")
    provider = relationship("Provider")
    times: Mapped[list[MeetingTime]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingTime.starts_at"
    )

    __table_args__ = (CheckConstraint("minutes IN (15, 30)", name="minutes_offered"),)

    @property
    def ends_at(self) -> datetime | None:
        return self.starts_at + timedelta(minutes=self.minutes) if self.starts_at else None


class MeetingTime(db.Model):  # type: ignore[name-defined]
    """One of the (up to three) times the holder's side offered."""

    __tablename__ = "meeting_times"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship(back_populates="times")

    __table_args__ = (
        db.UniqueConstraint("meeting_id", "starts_at", name="uq_meeting_times_meeting_start"),
    )
