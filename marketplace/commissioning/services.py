"""The commissioner's overview of their budget holders: who they are, and how each pot is used.

Read-only. Every query is scoped to the commissioner's own tenant; the figures for a page of
holders come from a few grouped queries (not one per pot), so the page stays quick for a large
council.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Select, exists, func, or_, select

from marketplace.accounts.models import Role, User
from marketplace.bookings.models import Booking
from marketplace.clock import LONDON, london_today
from marketplace.extensions import db
from marketplace.payments.models import (
    AccountKind,
    Hold,
    HoldStatus,
    LedgerAccount,
    LedgerTransfer,
    Pot,
    PotKind,
)
from marketplace.payments.services import current_period_start

ACCOUNT_STATUSES = {"active": True, "suspended": False}


@dataclass(frozen=True)
class HolderFilter:
    """What a commissioner typed or chose above the list of holders."""

    text: str = ""
    pot_kind: PotKind | None = None
    status: str = ""  # "", "active" or "suspended"
    no_pot: bool = False


@dataclass
class PotUse:
    """One pot as the dashboard shows it. `used_pence` is settled this period plus held now."""

    pot: Pot
    period_start: date | None
    available_pence: int = 0
    held_pence: int = 0
    spent_this_period_pence: int = 0

    @property
    def used_pence(self) -> int:
        return self.spent_this_period_pence + self.held_pence

    @property
    def share_used_percent(self) -> int | None:
        """Whole per cent of the allocation spent or held this period; None if nothing allocated."""
        if self.pot.allocation_pence <= 0:
            return None
        return round(100 * self.used_pence / self.pot.allocation_pence)


@dataclass
class HolderRow:
    holder: User
    pots: list[PotUse] = field(default_factory=list)
    last_activity_at: datetime | None = None


def holders_query(commissioner: User, chosen: HolderFilter) -> Select[tuple[User]]:
    """The commissioner's tenant's budget holders matching the filter, by name, to paginate."""
    query = select(User).where(User.role == Role.HOLDER, User.tenant_id == commissioner.tenant_id)
    if chosen.text:
        like = f"%{_escape_like(chosen.text.lower())}%"
        plan_matches = exists().where(
            Pot.holder_id == User.id,
            func.lower(Pot.support_plan_reference).like(like, escape="\\"),
        )
        query = query.where(
            or_(
                func.lower(User.full_name).like(like, escape="\\"),
                func.lower(User.email).like(like, escape="\\"),
                plan_matches,
            )
        )
    if chosen.pot_kind is not None:
        query = query.where(exists().where(Pot.holder_id == User.id, Pot.kind == chosen.pot_kind))
    if chosen.no_pot:
        query = query.where(~exists().where(Pot.holder_id == User.id))
    if chosen.status in ACCOUNT_STATUSES:
        query = query.where(User.active.is_(ACCOUNT_STATUSES[chosen.status]))
    return query.order_by(User.full_name, User.id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def overview(holders: Sequence[User], today: date | None = None) -> list[HolderRow]:
    """Each holder's pots (balance, spend this period, share used) and their last activity."""
    today = today or london_today()
    rows = {holder.id: HolderRow(holder) for holder in holders}
    pots = db.session.scalars(
        select(Pot).where(Pot.holder_id.in_(rows)).order_by(Pot.holder_id, Pot.id)
    ).all()
    uses = {pot.id: PotUse(pot, current_period_start(pot, today)) for pot in pots}
    _add_balances(uses)
    _add_spend(uses)
    for use in uses.values():
        rows[use.pot.holder_id].pots.append(use)
    _add_last_activity(rows, uses)
    return list(rows.values())


def _add_balances(uses: dict[int, PotUse]) -> None:
    accounts = db.session.execute(
        select(LedgerAccount.owner_id, LedgerAccount.kind, LedgerAccount.balance_pence).where(
            LedgerAccount.owner_type == "pot", LedgerAccount.owner_id.in_(uses)
        )
    )
    for pot_id, kind, balance in accounts:
        if kind == AccountKind.AVAILABLE:
            uses[pot_id].available_pence = balance
        elif kind == AccountKind.HELD:
            uses[pot_id].held_pence = balance


def _add_spend(uses: dict[int, PotUse]) -> None:
    """Money settled to providers since each pot's period began (London midnight)."""
    starts = [use.period_start for use in uses.values() if use.period_start is not None]
    if not starts:
        return
    since = _london_midnight(min(starts))
    settled = db.session.execute(
        select(Hold.pot_id, Hold.closed_at, Hold.settled_pence).where(
            Hold.pot_id.in_(uses),
            Hold.status == HoldStatus.SETTLED,
            Hold.closed_at >= since,
        )
    )
    for pot_id, closed_at, amount in settled:
        start = uses[pot_id].period_start
        if start is not None and closed_at >= _london_midnight(start):
            uses[pot_id].spent_this_period_pence += amount


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LONDON)


def _add_last_activity(rows: dict[int, HolderRow], uses: dict[int, PotUse]) -> None:
    """The latest of: signing in, asking for a booking, money moving in or out of a pot."""
    for row in rows.values():
        _note(row, row.holder.last_sign_in_at)
    booked = db.session.execute(
        select(Booking.holder_id, func.max(Booking.created_at))
        .where(Booking.holder_id.in_(rows))
        .group_by(Booking.holder_id)
    )
    for holder_id, when in booked:
        _note(rows[holder_id], when)
    for pot_id, when in _last_money_movement(uses):
        _note(rows[uses[pot_id].pot.holder_id], when)


def _last_money_movement(uses: dict[int, PotUse]) -> Iterable[tuple[int, datetime]]:
    latest: dict[int, datetime] = {}
    for side in (LedgerTransfer.debit_account_id, LedgerTransfer.credit_account_id):
        moved = db.session.execute(
            select(LedgerAccount.owner_id, func.max(LedgerTransfer.created_at))
            .join(LedgerTransfer, side == LedgerAccount.id)
            .where(LedgerAccount.owner_type == "pot", LedgerAccount.owner_id.in_(uses))
            .group_by(LedgerAccount.owner_id)
        )
        for pot_id, when in moved:
            if when is not None and (pot_id not in latest or when > latest[pot_id]):
                latest[pot_id] = when
    return latest.items()


def _note(row: HolderRow, when: datetime | None) -> None:
    if when is not None and (row.last_activity_at is None or when > row.last_activity_at):
        row.last_activity_at = when


def holder_bookings_query(holder: User) -> Select[tuple[Booking]]:
    """A holder's bookings, newest first, for the commissioner's page about them."""
    return (
        select(Booking)
        .where(Booking.holder_id == holder.id)
        .order_by(Booking.created_at.desc(), Booking.id.desc())
    )
