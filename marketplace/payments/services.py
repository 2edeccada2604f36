"""Budget pots: creating them, funding them once or on a schedule, and their balances.

Services flush and never commit; the view or CLI command commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.access import commissions
from marketplace.accounts.models import Role, User
from marketplace.directory.models import Category, Provider
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.money import MAX_PENCE, apply_basis_points, format_pence
from marketplace.payments import ledger
from marketplace.payments.models import (
    AccountKind,
    Allocation,
    Hold,
    HoldStatus,
    LedgerAccount,
    Pot,
    PotKind,
    RefusalReason,
    SpendRefusal,
)
from marketplace.transactions import atomic


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
    if not commissions(actor, tenant_id):
        raise NotFound("Only commissioner staff of this person's council or NHS body can do this")


@atomic
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
    audit.note(
        "pot.created",
        pot,
        commissioner,
        kind=kind.value,
        allocation_pence=allocation_pence,
        every_days=allocation_every_days,
        categories=sorted(c.slug for c in categories),
    )
    return pot


def _allocate(
    pot: Pot,
    amount_pence: int,
    reason: str,
    period_start: date | None,
    actor_id: int | None,
    request_key: str | None = None,
) -> Allocation | None:
    """One allocation row and its transfer, or None when this period (or request) was paid."""
    allocation = Allocation(
        pot_id=pot.id,
        period_start=period_start,
        amount_pence=amount_pence,
        reason=reason,
        created_by_id=actor_id,
        request_key=request_key,
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


@atomic
def fund_pot(
    commissioner: User, pot: Pot, amount_pence: int, reason: str, request_key: str | None = None
) -> Allocation:
    """A one-off payment into a pot, with the commissioner's reason on record. The same
    `request_key` again (a double-clicked form) returns the first allocation and pays nothing."""
    _check_commissioner_of(commissioner, pot.tenant_id)
    check_amount(amount_pence)
    if not reason.strip():
        raise DomainError("Enter the reason for this payment", field="reason")
    if not pot.active:
        raise DomainError("This budget is closed", field="amount")
    if request_key:
        earlier = db.session.scalar(select(Allocation).where(Allocation.request_key == request_key))
        if earlier is not None:
            return earlier
    allocation = _allocate(pot, amount_pence, reason.strip(), None, commissioner.id, request_key)
    if allocation is None:  # the same request committed a moment ago in another transaction
        return db.session.scalars(
            select(Allocation).where(Allocation.request_key == request_key)
        ).one()
    audit.note("pot.funded", pot, commissioner, amount_pence=amount_pence)
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


def current_period_start(pot: Pot, today: date) -> date | None:
    """The first day of the allocation period `today` falls in; None before the schedule starts
    or for a pot without a schedule."""
    if pot.allocation_every_days <= 0 or today < pot.allocation_starts_on:
        return None
    periods = (today - pot.allocation_starts_on).days // pot.allocation_every_days
    return pot.allocation_starts_on + timedelta(days=periods * pot.allocation_every_days)


def allocate_due(today: date) -> list[Allocation]:
    """Pay every scheduled period that has started and not been paid. Safe to run any number of
    times, even at once: a period is paid once (unique per pot and period, and by its key)."""
    paid = _paid_periods()
    pots = db.session.scalars(select(Pot).where(Pot.active.is_(True)).order_by(Pot.id))
    return [made for pot in pots for made in allocate_due_to(pot, today, paid)]


def _paid_periods(pot: Pot | None = None) -> set[tuple[int, date]]:
    query = select(Allocation.pot_id, Allocation.period_start).where(
        Allocation.period_start.is_not(None)
    )
    if pot is not None:
        query = query.where(Allocation.pot_id == pot.id)
    return {(pot_id, start) for pot_id, start in db.session.execute(query)}


def allocate_due_to(
    pot: Pot, today: date, paid: set[tuple[int, date]] | None = None
) -> list[Allocation]:
    """Pay this pot's scheduled periods that have started and not been paid (see allocate_due).
    `paid` is the (pot id, period start) pairs already paid, when the caller has them."""
    paid = _paid_periods(pot) if paid is None else paid
    made: list[Allocation] = []
    for start in periods_due(pot, today):
        if (pot.id, start) in paid:
            continue
        reason = f"Scheduled allocation for the period from {start:%-d %B %Y}"
        allocation = _allocate(pot, pot.allocation_pence, reason, start, None)
        if allocation is not None:
            made.append(allocation)
    return made


# Holds and settlement: the bookings capability calls these with its own reference string.


class SpendRefused(DomainError):
    """A hold the pot's rules refused. The refusal row is kept for commissioners even when the
    work that asked for the money is undone (see transactions.atomic)."""

    def __init__(self, refusal: SpendRefusal) -> None:
        super().__init__(refusal.message, field="amount")
        self.refusal = refusal

    def kept(self) -> list[object]:
        """A fresh copy of the refusal, to write again after the refused work is undone."""
        columns = SpendRefusal.__table__.columns.keys()
        self.refusal = SpendRefusal(
            **{name: getattr(self.refusal, name) for name in columns if name != "id"}
        )
        return [self.refusal]


def platform_fee_account() -> LedgerAccount:
    return ledger.account(AccountKind.PLATFORM_FEES, "platform", None)


def payable_account(provider_id: int) -> LedgerAccount:
    return ledger.account(AccountKind.PAYABLE, "provider", provider_id)


def spend_label(provider: Provider, category: Category) -> str:
    """'Moorside Care (PA)' or 'Moorside Care (Physiotherapy)': who and what, for statements."""
    what = "PA" if category.is_personal_assistance else category.name
    return f"{provider.display_name} ({what})"


def _refusal_reason(
    pot: Pot,
    provider: Provider,
    category: Category,
    amount_pence: int,
    hourly_rate_pence: int | None,
) -> tuple[RefusalReason, str] | None:
    """Why the pot's rules refuse this spend, in words for the holder; None when they allow it."""
    if not pot.active:
        return RefusalReason.POT_CLOSED, "This budget is closed, so it cannot pay for bookings"
    if category.id not in {c.id for c in pot.categories}:
        return (
            RefusalReason.OUTSIDE_PLAN,
            f"Your {pot.kind.label.lower()} cannot pay for {category.name.lower()}: it is not "
            "in your support plan. Ask your council or NHS contact if you think it should be.",
        )
    cap = pot.pa_hourly_cap_pence
    if provider.is_personal_assistant and cap and hourly_rate_pence and hourly_rate_pence > cap:
        return (
            RefusalReason.ABOVE_CAP,
            f"The rate of {format_pence(hourly_rate_pence)} an hour is above the "
            f"{format_pence(cap)} an hour your budget allows for personal assistants",
        )
    available = available_account(pot).balance_pence
    if available < amount_pence:
        return RefusalReason.NOT_ENOUGH_MONEY, _not_enough_message(available, amount_pence)
    return None


def _not_enough_message(available_pence: int, amount_pence: int) -> str:
    return (
        f"Your budget has {format_pence(available_pence)} available and this needs "
        f"{format_pence(amount_pence)}, so it cannot be paid for"
    )


def _refuse(
    pot: Pot,
    provider: Provider,
    category: Category,
    amount_pence: int,
    reference: str,
    why: tuple[RefusalReason, str],
) -> SpendRefused:
    refusal = SpendRefusal(
        pot_id=pot.id,
        tenant_id=pot.tenant_id,
        provider_id=provider.id,
        category_id=category.id,
        reason=why[0],
        amount_pence=amount_pence,
        reference=reference[:120],
        message=why[1][:300],
    )
    db.session.add(refusal)
    db.session.flush()
    return SpendRefused(refusal)


def hold(
    pot: Pot,
    amount_pence: int,
    reference: str,
    *,
    provider: Provider,
    category: Category,
    description: str,
    hourly_rate_pence: int | None = None,
) -> Hold:
    """Set money aside in `pot` for a booking: available → held. The same reference again returns
    the first hold (a double-clicked accept moves money once).

    Raises SpendRefused (after adding a SpendRefusal row to the session) when the pot is closed,
    the category is outside the plan, a PA rate is above the cap or the pot cannot pay; raises
    DomainError on a bad amount or reference.
    """
    check_amount(amount_pence)
    if not reference.strip():
        raise DomainError("A hold needs a reference")
    existing = db.session.scalar(
        select(Hold).where(Hold.pot_id == pot.id, Hold.reference == reference)
    )
    if existing is not None:
        return existing
    why = _refusal_reason(pot, provider, category, amount_pence, hourly_rate_pence)
    if why is not None:
        raise _refuse(pot, provider, category, amount_pence, reference, why)
    made = Hold(
        pot_id=pot.id,
        provider_id=provider.id,
        category_id=category.id,
        reference=reference,
        description=f"{spend_label(provider, category)} for {description}"[:200],
        amount_pence=amount_pence,
    )
    try:
        with db.session.begin_nested():
            db.session.add(made)
            db.session.flush()
            ledger.transfer(
                available_account(pot),
                held_account(pot),
                amount_pence,
                code="hold",
                reference=made.description,
                idempotency_key=f"hold:{made.id}",
            )
    except ledger.InsufficientFunds:  # another booking took the money since we looked
        available = available_account(pot).balance_pence
        why = (RefusalReason.NOT_ENOUGH_MONEY, _not_enough_message(available, amount_pence))
        raise _refuse(pot, provider, category, amount_pence, reference, why) from None
    return made


def check_amount(amount_pence: int) -> None:
    """Raise DomainError unless the amount is whole pence above £0 and within MAX_PENCE."""
    if not isinstance(amount_pence, int) or isinstance(amount_pence, bool) or amount_pence <= 0:
        raise DomainError("Enter an amount above £0", field="amount")
    if amount_pence > MAX_PENCE:
        raise DomainError("Amount is too large", field="amount")


def _lock_hold(held: Hold) -> Hold:
    """Reload the hold under a row lock so two closes of the same hold queue, not race."""
    return db.session.scalars(
        select(Hold)
        .where(Hold.id == held.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def release(held: Hold) -> Hold:
    """Give a hold's money back to the pot: held → available. Releasing twice changes nothing;
    a settled hold cannot be released (raises DomainError)."""
    held = _lock_hold(held)
    if held.status == HoldStatus.RELEASED:
        return held
    if held.status == HoldStatus.SETTLED:
        raise DomainError("This has already been paid to the provider, so it cannot be returned")
    pot = held.pot
    ledger.transfer(
        held_account(pot),
        available_account(pot),
        held.amount_pence,
        code="release",
        reference=f"Returned: {held.description}"[:200],
        idempotency_key=f"release:{held.id}",
    )
    held.status, held.closed_at = HoldStatus.RELEASED, utcnow()
    return held


def fee_bps_for(pot: Pot) -> int:
    """The tenant's platform fee; when the tenant sets none, the installation's PLATFORM_FEE_BPS."""
    if pot.tenant.platform_fee_bps:
        return pot.tenant.platform_fee_bps
    return int(current_app.config.get("PLATFORM_FEE_BPS") or 0) if has_app_context() else 0


def settle(held: Hold, amount_pence: int | None = None) -> Hold:
    """Pay a hold to the provider: held → provider payable, less the platform fee (held →
    platform fees). `amount_pence` below the hold (e.g. a late cancellation charge) returns the
    rest to the pot. Settling twice changes nothing; a released hold cannot be settled."""
    held = _lock_hold(held)
    if held.status == HoldStatus.SETTLED:
        return held
    if held.status == HoldStatus.RELEASED:
        raise DomainError("This booking's money was returned to the budget, so it cannot be paid")
    amount = held.amount_pence if amount_pence is None else amount_pence
    if not isinstance(amount, int) or amount < 0 or amount > held.amount_pence:
        raise DomainError("The amount to pay must be between £0 and the amount set aside")
    pot = held.pot
    fee = apply_basis_points(amount, fee_bps_for(pot))
    if amount - fee > 0:
        ledger.transfer(
            held_account(pot),
            payable_account(held.provider_id),
            amount - fee,
            code="settlement",
            reference=held.description,
            idempotency_key=f"settle:{held.id}",
        )
    if fee > 0:
        ledger.transfer(
            held_account(pot),
            platform_fee_account(),
            fee,
            code="platform_fee",
            reference=f"Service fee: {held.description}"[:200],
            idempotency_key=f"fee:{held.id}",
        )
    if amount < held.amount_pence:
        ledger.transfer(
            held_account(pot),
            available_account(pot),
            held.amount_pence - amount,
            code="release",
            reference=f"Returned: {held.description}"[:200],
            idempotency_key=f"release:{held.id}",
        )
    held.status, held.closed_at = HoldStatus.SETTLED, utcnow()
    held.settled_pence, held.fee_pence = amount - fee, fee
    return held
