"""Bookings: a request for a listing, its occurrences (one, or a weekly rota's), offers and events.

A booking's own state covers the agreement (requested, accepted, declined, expired, cancelled);
each occurrence carries delivery and payment (scheduled, delivered, confirmed, paid, disputed,
cancelled). Every change of either is a BookingEvent row.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.bookings.words import BOOKING_STATE_WORDS, SESSION_STATE_WORDS
from marketplace.directory.models import PriceUnit
from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow


class BookingKind(enum.StrEnum):
    ONE_OFF = "one_off"
    ROTA = "rota"


class BookingState(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED_BY_HOLDER = "cancelled_by_holder"
    CANCELLED_BY_PROVIDER = "cancelled_by_provider"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return BOOKING_STATE_WORDS[self.value]


class OccurrenceState(enum.StrEnum):
    SCHEDULED = "scheduled"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    PAID = "paid"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return SESSION_STATE_WORDS[self.value]


class OfferState(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Booking(db.Model):  # type: ignore[name-defined]
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    # For an agency with named workers: who does the sessions (chosen when accepting).
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("provider_workers.id"), index=True)
    pot_id: Mapped[int] = mapped_column(ForeignKey("pots.id"), index=True)
    # The kind of support the pot pays for: one of the listing's categories.
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    kind: Mapped[BookingKind] = mapped_column(db.Enum(BookingKind, native_enum=False, length=10))
    state: Mapped[BookingState] = mapped_column(
        db.Enum(BookingState, native_enum=False, length=24), default=BookingState.REQUESTED
    )
    # The price per unit: the listing's when requested, a counter-offer's if one is accepted,
    # and fixed from acceptance on, whatever the listing says later.
    unit_price_pence: Mapped[int] = mapped_column(Integer)
    price_unit: Mapped[PriceUnit] = mapped_column(db.Enum(PriceUnit, native_enum=False, length=10))
    note: Mapped[str] = mapped_column(Text, default="")
    rota_starts_on: Mapped[date | None] = mapped_column(Date)
    rota_ends_on: Mapped[date | None] = mapped_column(Date)
    # Occurrences exist (and are paid for) up to this date; later ones are made as they come due.
    scheduled_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The listing's cancellation terms, copied when the booking is accepted: the deal agreed.
    # A later edit of the listing never changes them. Empty until accepted.
    cancellation_notice_hours: Mapped[int | None] = mapped_column(Integer)
    cancellation_charge_bps: Mapped[int | None] = mapped_column(Integer)

    holder = relationship("User", foreign_keys=[holder_id])
    listing = relationship("Listing")
    provider = relationship("Provider")
    worker = relationship("Worker")
    pot = relationship("Pot")
    category = relationship("Category")
    slots: Mapped[list[RotaSlot]] = relationship(
        back_populates="booking",
        cascade="all, delete-orphan",
        order_by="(RotaSlot.weekday, RotaSlot.start_time, RotaSlot.id)",
    )
    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", order_by="Occurrence.starts_at"
    )
    offers: Mapped[list[Offer]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", order_by="Offer.id"
    )

    __table_args__ = (CheckConstraint("unit_price_pence >= 0", name="price_not_negative"),)

    @property
    def notice_hours(self) -> int:
        """Hours before a session within which cancelling is charged: agreed, or the listing's
        while the request waits."""
        agreed = self.cancellation_notice_hours
        return agreed if agreed is not None else self.listing.cancellation_notice_hours

    @property
    def charge_bps(self) -> int:
        """The share of a session's price paid on a late cancellation, in basis points."""
        agreed = self.cancellation_charge_bps
        return agreed if agreed is not None else self.listing.cancellation_charge_bps


class RotaSlot(db.Model):  # type: ignore[name-defined]
    """One weekly shift of a rota, in Europe/London wall-clock time."""

    __tablename__ = "rota_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)  # Monday 0 … Sunday 6
    start_time: Mapped[time] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer)

    booking: Mapped[Booking] = relationship(back_populates="slots")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("duration_minutes BETWEEN 15 AND 1440", name="duration_range"),
    )


class Occurrence(db.Model):  # type: ignore[name-defined]
    """One session or shift: what is delivered, confirmed and paid."""

    __tablename__ = "occurrences"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("provider_workers.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[OccurrenceState] = mapped_column(
        db.Enum(OccurrenceState, native_enum=False, length=12), default=OccurrenceState.SCHEDULED
    )
    price_pence: Mapped[int] = mapped_column(Integer)
    actual_minutes: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Marked by the provider's staff on the session's day, each once: the worker arrived, left.
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The money set aside for this occurrence in the holder's pot (payments' Hold).
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"), unique=True)

    booking: Mapped[Booking] = relationship(back_populates="occurrences")
    hold = relationship("Hold")

    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="time_order"),
        CheckConstraint("price_pence >= 0", name="price_not_negative"),
        CheckConstraint(
            "left_at IS NULL OR (arrived_at IS NOT NULL AND left_at >= arrived_at)",
            name="left_after_arrived",
        ),
        # A booking has one session at a time: a repeated schedule can never make a second.
        db.UniqueConstraint("booking_id", "starts_at", name="uq_occurrences_booking_start"),
    )


class Offer(db.Model):  # type: ignore[name-defined]
    """A provider's counter-offer: another price (and note) for the same request."""

    __tablename__ = "booking_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    unit_price_pence: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    made_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[OfferState] = mapped_column(
        db.Enum(OfferState, native_enum=False, length=10), default=OfferState.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    booking: Mapped[Booking] = relationship(back_populates="offers")

    __table_args__ = (CheckConstraint("unit_price_pence >= 0", name="price_not_negative"),)


class BookingEvent(db.Model):  # type: ignore[name-defined]
    """Who moved a booking or occurrence from one state to another, when and why."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    occurrence_id: Mapped[int | None] = mapped_column(
        ForeignKey("occurrences.id", ondelete="CASCADE")
    )
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReviewStatus(enum.StrEnum):
    PUBLISHED = "published"
    HIDDEN = "hidden"  # by a commissioner or administrator, with a note


class Review(db.Model):  # type: ignore[name-defined]
    """One review per booking, after a confirmed session, with one reply from the provider."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stars: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[ReviewStatus] = mapped_column(
        db.Enum(ReviewStatus, native_enum=False, length=10), default=ReviewStatus.PUBLISHED
    )
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderation_note: Mapped[str | None] = mapped_column(String(500))

    booking = relationship("Booking")

    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)


class CalendarFeed(db.Model):  # type: ignore[name-defined]
    """A secret address at which a person's calendar app reads their sessions (iCalendar)."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
