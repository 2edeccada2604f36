"""What the alert rules read: one query each per tenant; nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select

from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    BookingState,
    Occurrence,
    OccurrenceState,
)
from marketplace.commissioning.alerts.limits import REFUSAL_REASONS
from marketplace.extensions import db
from marketplace.payments.models import (
    AccountKind,
    Hold,
    HoldStatus,
    LedgerAccount,
    Pot,
    SpendRefusal,
)


def pots(tenant_id: int) -> list[Pot]:
    """The tenant's active pots, in id order."""
    return list(
        db.session.scalars(
            select(Pot).where(Pot.tenant_id == tenant_id, Pot.active.is_(True)).order_by(Pot.id)
        )
    )


def available(tenant_id: int) -> dict[int, int]:
    """Each pot's available balance, read without creating ledger accounts."""
    rows = db.session.execute(
        select(Pot.id, LedgerAccount.balance_pence)
        .join(
            LedgerAccount,
            and_(
                LedgerAccount.kind == AccountKind.AVAILABLE,
                LedgerAccount.owner_type == "pot",
                LedgerAccount.owner_id == Pot.id,
            ),
        )
        .where(Pot.tenant_id == tenant_id)
    )
    return {pot_id: int(balance) for pot_id, balance in rows}


def spend_since(tenant_id: int, since: datetime) -> dict[int, int]:
    """Per pot: money set aside or paid by holds made since `since` (released ones left out)."""
    spent = case(
        (Hold.status == HoldStatus.SETTLED, Hold.settled_pence + Hold.fee_pence),
        else_=Hold.amount_pence,
    )
    rows = db.session.execute(
        select(Hold.pot_id, func.sum(spent))
        .join(Pot, Hold.pot_id == Pot.id)
        .where(
            Pot.tenant_id == tenant_id,
            Hold.status.in_([HoldStatus.HELD, HoldStatus.SETTLED]),
            Hold.created_at > since,
        )
        .group_by(Hold.pot_id)
    )
    return {pot_id: int(total or 0) for pot_id, total in rows}


@dataclass
class RequestCounts:
    """What became of a pot's booking requests."""

    accepted: int = 0
    declined: int = 0
    expired: int = 0
    never_accepted: int = 0  # still waiting, or withdrawn before the provider answered
    cancelled_by_provider: int = 0

    @property
    def total(self) -> int:
        return (
            self.accepted
            + self.declined
            + self.expired
            + self.never_accepted
            + self.cancelled_by_provider
        )

    @property
    def failed(self) -> int:
        return self.total - self.accepted

    def add(self, state: BookingState, was_accepted: bool, count: int) -> None:
        if state == BookingState.DECLINED:
            self.declined += count
        elif state == BookingState.EXPIRED:
            self.expired += count
        elif state == BookingState.CANCELLED_BY_PROVIDER:
            self.cancelled_by_provider += count
        elif state == BookingState.REQUESTED or not was_accepted:
            self.never_accepted += count
        else:
            self.accepted += count


def requests_since(tenant_id: int, since: datetime) -> dict[int, RequestCounts]:
    """Per pot: what became of the booking requests made since `since`."""
    was_accepted = case((Booking.accepted_at.is_(None), 0), else_=1)
    rows = db.session.execute(
        select(Booking.pot_id, Booking.state, was_accepted, func.count(Booking.id))
        .join(Pot, Booking.pot_id == Pot.id)
        .where(Pot.tenant_id == tenant_id, Booking.created_at >= since)
        .group_by(Booking.pot_id, Booking.state, was_accepted)
    )
    counts: dict[int, RequestCounts] = defaultdict(RequestCounts)
    for pot_id, state, accepted, count in rows:
        counts[pot_id].add(BookingState(state), bool(accepted), int(count))
    return counts


def refusals_since(tenant_id: int, since: datetime) -> list[SpendRefusal]:
    """The tenant's spend refused for one of REFUSAL_REASONS since `since`, in id order."""
    return list(
        db.session.scalars(
            select(SpendRefusal)
            .where(
                SpendRefusal.tenant_id == tenant_id,
                SpendRefusal.reason.in_(REFUSAL_REASONS),
                SpendRefusal.created_at >= since,
            )
            .order_by(SpendRefusal.id)
        )
    )


def settled_since(tenant_id: int, since: datetime) -> list[tuple[int, int, datetime, int]]:
    """(pot id, provider id, when settled, pence that left the pot, fee included) for
    each hold of the tenant settled since `since`, leaving out those that moved no money."""
    rows = db.session.execute(
        select(Hold.pot_id, Hold.provider_id, Hold.closed_at, Hold.settled_pence + Hold.fee_pence)
        .join(Pot, Hold.pot_id == Pot.id)
        .where(
            Pot.tenant_id == tenant_id,
            Hold.status == HoldStatus.SETTLED,
            Hold.closed_at >= since,
        )
    )
    return [(p, v, at, int(pence)) for p, v, at, pence in rows if pence]


def disputed(tenant_id: int) -> list[tuple[Occurrence, datetime | None]]:
    """Each session (occurrence) of the tenant's bookings in the disputed state, with when it
    was last disputed (None when no event says)."""
    occurrences = list(
        db.session.scalars(
            select(Occurrence)
            .join(Booking, Occurrence.booking_id == Booking.id)
            .join(Pot, Booking.pot_id == Pot.id)
            .where(Pot.tenant_id == tenant_id, Occurrence.state == OccurrenceState.DISPUTED)
            .order_by(Occurrence.id)
        )
    )
    if not occurrences:
        return []
    rows = db.session.execute(
        select(BookingEvent.occurrence_id, func.max(BookingEvent.at))
        .where(
            BookingEvent.occurrence_id.in_([o.id for o in occurrences]),
            BookingEvent.to_state == OccurrenceState.DISPUTED.value,
        )
        .group_by(BookingEvent.occurrence_id)
    )
    since: dict[int | None, datetime] = {occurrence_id: at for occurrence_id, at in rows}
    return [(o, since.get(o.id)) for o in occurrences]
