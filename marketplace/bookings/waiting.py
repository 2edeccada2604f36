"""What waits for a person on their home page: the bookings and sessions they must act on.

Read-only. The holder's side: offers to answer and sessions to confirm. The provider's staff:
requests to answer (soonest to run out first) and sessions to mark delivered. Each list is
oldest first, so the thing waiting longest is done first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from marketplace.bookings import models
from marketplace.bookings.models import (
    Booking,
    BookingState,
    Occurrence,
    OccurrenceState,
)
from marketplace.directory.models import ProviderMember
from marketplace.extensions import db


@dataclass(frozen=True)
class OfferWaiting:
    """A provider's new price the holder's side has not answered."""

    booking: Booking
    offer: models.Offer


def offers_to_answer(holder_ids: Sequence[int]) -> list[OfferWaiting]:
    """Open offers on the holders' requests, the one running out first first."""
    rows = db.session.execute(
        select(Booking, models.Offer)
        .join(models.Offer, models.Offer.booking_id == Booking.id)
        .where(
            Booking.holder_id.in_(holder_ids),
            Booking.state == BookingState.REQUESTED,
            models.Offer.state == models.OfferState.OPEN,
        )
        .order_by(Booking.expires_at, Booking.id)
    )
    return [OfferWaiting(booking, offer) for booking, offer in rows]


def sessions_to_confirm(holder_ids: Sequence[int]) -> list[Occurrence]:
    """Sessions the provider marked delivered that the holder's side has not confirmed."""
    return list(
        db.session.scalars(
            select(Occurrence)
            .join(Booking, Occurrence.booking_id == Booking.id)
            .where(
                Booking.holder_id.in_(holder_ids),
                Occurrence.state == OccurrenceState.DELIVERED,
            )
            .options(selectinload(Occurrence.booking))
            .order_by(Occurrence.starts_at, Occurrence.id)
        )
    )


def _providers_of(user_id: int) -> Sequence[int]:
    return list(
        db.session.scalars(
            select(ProviderMember.provider_id).where(ProviderMember.user_id == user_id)
        )
    )


def requests_to_answer(user_id: int) -> list[Booking]:
    """Requests to the person's providers not yet answered, the one running out first first.
    A request with an open offer waits for the holder, not the provider, so is left out."""
    has_open_offer = (
        select(models.Offer.id)
        .where(models.Offer.booking_id == Booking.id, models.Offer.state == models.OfferState.OPEN)
        .exists()
    )
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.provider_id.in_(_providers_of(user_id)),
                Booking.state == BookingState.REQUESTED,
                ~has_open_offer,
            )
            .order_by(Booking.expires_at, Booking.id)
        )
    )


def sessions_to_mark_delivered(user_id: int, now: datetime) -> list[Occurrence]:
    """Sessions of the person's providers that are over (ended, or the worker marked leaving)
    and not yet marked done. One still going is on the provider's sessions of the day."""
    return list(
        db.session.scalars(
            select(Occurrence)
            .join(Booking, Occurrence.booking_id == Booking.id)
            .where(
                Occurrence.provider_id.in_(_providers_of(user_id)),
                Booking.state == BookingState.ACCEPTED,
                Occurrence.state == OccurrenceState.SCHEDULED,
                or_(Occurrence.ends_at <= now, Occurrence.left_at.is_not(None)),
            )
            .options(selectinload(Occurrence.booking))
            .order_by(Occurrence.starts_at, Occurrence.id)
        )
    )
