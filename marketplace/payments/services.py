"""Budget pots: creating them, funding them once or on a schedule, and their balances.

Services flush and never commit; the view or CLI command commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.directory.models import Category
from marketplace.errors import DomainError, NotAllowed
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.models import AccountKind, Allocation, LedgerAccount, Pot, PotKind

LONDON = ZoneInfo("Europe/London")


def london_today(now: datetime | None = None) -> date:
    return (now or datetime.now(LONDON)).astimezone(LONDON).date()


def funding_account(tenant_id: int) -> LedgerAccount:
    return ledger.account(AccountKind.FUNDING, "tenant", tenant_id, may_go_negative=True)


def available_account(pot: Pot) -> LedgerAccount:
    return ledger.account(AccountKind.AVAILABLE, "pot", pot.id)


def held_account(pot: Pot) -> LedgerAccount:
    return ledger.account(AccountKind.HELD, "pot", pot.id)


@dataclass(frozen=True)
class PotBalance:
    available_pence: int
    held_pence: int

    @property
    def total_pence(self) -> int:
        return self.available_pence + self.held_pence


def balance(pot: Pot) -> PotBalance:
    return PotBalance(available_account(pot).balance_pence, held_account(pot).balance_pence)


def _check_commissioner_of(actor: User, tenant_id: int) -> None:
    if actor.role != Role.COMMISSIONER or actor.tenant_id != tenant_id:
        raise NotAllowed("Only commissioner staff of this person's council or NHS body can do this")


def create_pot(
    commissioner: User,
    holder: User,
    *,
    kind: PotKind,
    support_plan_reference: str,
    allocation_pence: int,
    allocation_every_days: int,
    allocation_starts_on: date,
    allocation_ends_on: date | None = None,
    category_ids: list[int],
    pa_hourly_cap_pence: int | None = None,
) -> Pot:
    """A new pot for a holder of the commissioner's own tenant. Raises DomainError on bad terms."""
    if holder.role != Role.HOLDER or holder.tenant_id is None:
        raise DomainError("Budgets can only be set up for budget holders")
    _check_commissioner_of(commissioner, holder.tenant_id)
    if not support_plan_reference.strip():
        raise DomainError("Enter the support plan reference", field="support_plan_reference")
    if allocation_ends_on is not None and allocation_ends_on < allocation_starts_on:
        raise DomainError("The end date must be after the start date", field="allocation_ends_on")
    categories = list(db.session.scalars(select(Category).where(Category.id.in_(category_ids))))
    if not categories:
        raise DomainError(
            "Choose at least one kind of support this budget may buy", field="categories"
        )
    pot = Pot(
        holder_id=holder.id,
        tenant_id=holder.tenant_id,
        kind=kind,
        support_plan_reference=support_plan_reference.strip(),
        allocation_pence=allocation_pence,
        allocation_every_days=allocation_every_days,
        allocation_starts_on=allocation_starts_on,
        allocation_ends_on=allocation_ends_on,
        pa_hourly_cap_pence=pa_hourly_cap_pence,
    )
    pot.categories = categories
    db.session.add(pot)
    db.session.flush()
    audit.record(
        "pot.created",
        "pot",
        pot.id,
        actor_id=commissioner.id,
        tenant_id=pot.tenant_id,
        kind=kind.value,
        allocation_pence=allocation_pence,
        every_days=allocation_every_days,
        categories=sorted(c.slug for c in categories),
    )
    return pot


def _allocate(
    pot: Pot, amount_pence: int, reason: str, period_start: date | None, actor_id: int | None
) -> Allocation | None:
    """One allocation row and its transfer, or None when this period was paid already."""
    allocation = Allocation(
        pot_id=pot.id,
        period_start=period_start,
        amount_pence=amount_pence,
        reason=reason,
        created_by_id=actor_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(allocation)
    except IntegrityError:
        return None
    key = (
        f"allocation:pot:{pot.id}:{period_start.isoformat()}"
        if period_start
        else f"allocation:one-off:{allocation.id}"
    )
    made = ledger.transfer(
        funding_account(pot.tenant_id),
        available_account(pot),
        amount_pence,
        code="allocation",
        reference=reason[:200],
        idempotency_key=key,
    )
    allocation.transfer_id = made.id
    return allocation


def fund_pot(commissioner: User, pot: Pot, amount_pence: int, reason: str) -> Allocation:
    """A one-off payment into a pot, with the commissioner's reason on record."""
    _check_commissioner_of(commissioner, pot.tenant_id)
    if amount_pence <= 0:
        raise DomainError("Enter an amount above £0", field="amount")
    if not reason.strip():
        raise DomainError("Enter the reason for this payment", field="reason")
    allocation = _allocate(pot, amount_pence, reason.strip(), None, commissioner.id)
    assert allocation is not None  # one-off rows have no period, so never clash
    audit.record(
        "pot.funded",
        "pot",
        pot.id,
        actor_id=commissioner.id,
        tenant_id=pot.tenant_id,
        amount_pence=amount_pence,
    )
    return allocation


def periods_due(pot: Pot, today: date) -> list[date]:
    """Start dates of every scheduled period from the pot's start up to and including today."""
    if pot.allocation_every_days <= 0 or pot.allocation_pence <= 0:
        return []
    last = min(today, pot.allocation_ends_on) if pot.allocation_ends_on else today
    starts, current = [], pot.allocation_starts_on
    while current <= last:
        starts.append(current)
        current += timedelta(days=pot.allocation_every_days)
    return starts


def allocate_due(today: date) -> list[Allocation]:
    """Pay every scheduled period that has started and not been paid. Safe to run any number of
    times, even at once: a period is paid once (unique per pot and period, and by its key)."""
    paid = {
        (pot_id, start)
        for pot_id, start in db.session.execute(
            select(Allocation.pot_id, Allocation.period_start).where(
                Allocation.period_start.is_not(None)
            )
        )
    }
    made: list[Allocation] = []
    pots = db.session.scalars(select(Pot).where(Pot.active.is_(True)).order_by(Pot.id))
    for pot in pots:
        for start in periods_due(pot, today):
            if (pot.id, start) in paid:
                continue
            reason = f"Scheduled allocation for the period from {start:%-d %B %Y}"
            allocation = _allocate(pot, pot.allocation_pence, reason, start, None)
            if allocation is not None:
                made.append(allocation)
    return made
