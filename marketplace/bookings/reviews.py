"""Reviews: one per booking after a confirmed session, one reply, moderation by commissioners."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from marketplace import audit
from marketplace.accounts.access import commissions
from marketplace.accounts.models import Role, User
from marketplace.accounts.services import may_act_for
from marketplace.bookings.models import (
    Booking,
    Occurrence,
    OccurrenceState,
    Review,
    ReviewStatus,
)
from marketplace.directory.services import is_provider_staff
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.transactions import atomic, locked


def may_review(user: User, booking: Booking) -> bool:
    """The holder's side may review once a session of the booking has been confirmed or paid."""
    if not may_act_for(user, booking.holder):
        return False
    confirmed = db.session.scalar(
        select(func.count(Occurrence.id)).where(
            Occurrence.booking_id == booking.id,
            Occurrence.state.in_([OccurrenceState.CONFIRMED, OccurrenceState.PAID]),
        )
    )
    return bool(confirmed)


def review_of(booking: Booking) -> Review | None:
    return db.session.scalar(select(Review).where(Review.booking_id == booking.id))


@atomic
def write(user: User, booking: Booking, stars: int, text: str) -> Review:
    if not may_review(user, booking):
        raise NotAllowed("You can review a booking once a session has been confirmed")
    if review_of(booking) is not None:
        raise DomainError("This booking has already been reviewed")
    if not 1 <= stars <= 5:
        raise DomainError("Choose a rating from 1 to 5", field="stars")
    review = Review(
        booking_id=booking.id,
        listing_id=booking.listing_id,
        author_id=user.id,
        stars=stars,
        text=text.strip(),
    )
    db.session.add(review)
    db.session.flush()
    return review


@atomic
def reply(user: User, review: Review, text: str) -> Review:
    if not is_provider_staff(user, review.booking.provider):
        raise NotAllowed("Only the provider can reply to this review")
    if review.reply_text:
        raise DomainError("You have already replied to this review")
    review.reply_text, review.replied_at = text.strip(), utcnow()
    return review


@atomic
def moderate(user: User, review: Review, *, hide: bool, note: str) -> Review:
    """A commissioner of the holder's tenant, or an administrator, hides or restores a review."""
    tenant_id = review.booking.holder.tenant_id
    allowed = user.role == Role.ADMIN or commissions(user, tenant_id)
    if not allowed:
        raise NotFound("You cannot moderate this review")
    if hide and not note.strip():
        raise DomainError("Say why the review is hidden", field="note")
    locked(Review, review.id)  # sent twice at once: the second finds it done
    if review.status == (ReviewStatus.HIDDEN if hide else ReviewStatus.PUBLISHED):
        return review
    review.status = ReviewStatus.HIDDEN if hide else ReviewStatus.PUBLISHED
    review.moderated_by_id, review.moderation_note = user.id, note.strip()[:500] or None
    audit.record(
        "review.hidden" if hide else "review.restored",
        "review",
        review.id,
        actor_id=user.id,
        tenant_id=tenant_id,
    )
    return review


@dataclass(frozen=True)
class Summary:
    count: int
    average: float | None


def summary(listing_id: int) -> Summary:
    count, average = db.session.execute(
        select(func.count(Review.id), func.avg(Review.stars)).where(
            Review.listing_id == listing_id, Review.status == ReviewStatus.PUBLISHED
        )
    ).one()
    return Summary(int(count), round(float(average), 1) if average is not None else None)


def published(listing_id: int, limit: int = 20) -> list[Review]:
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.listing_id == listing_id, Review.status == ReviewStatus.PUBLISHED)
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        )
    )
