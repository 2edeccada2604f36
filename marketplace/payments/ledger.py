"""Moving money between ledger accounts. The only code that changes a balance.

Every transfer runs inside the caller's transaction with both accounts locked
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite serialises writers), carries a unique idempotency
key, and flushes but never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments.models import AccountKind, LedgerAccount, LedgerTransfer


class InsufficientFunds(DomainError):
    """The debit account does not hold enough money, and may not go negative."""


class IdempotencyConflict(DomainError):
    """The idempotency key was used before for a different transfer."""


def account(
    kind: AccountKind, owner_type: str, owner_id: int | None, *, may_go_negative: bool = False
) -> LedgerAccount:
    """The account of this kind for this owner, created on first use."""
    key = f"{kind.value}:{owner_type}:{owner_id if owner_id is not None else '-'}"
    existing = db.session.scalar(select(LedgerAccount).where(LedgerAccount.key == key))
    if existing is not None:
        return existing
    created = LedgerAccount(
        key=key,
        kind=kind,
        owner_type=owner_type,
        owner_id=owner_id,
        balance_pence=0,
        may_go_negative=may_go_negative,
    )
    try:
        with db.session.begin_nested():
            db.session.add(created)
    except IntegrityError:  # made by a concurrent transaction a moment ago
        return db.session.scalars(select(LedgerAccount).where(LedgerAccount.key == key)).one()
    return created


def _lock(*account_ids: int) -> dict[int, LedgerAccount]:
    """Lock accounts in id order (so two transfers never wait on each other) and reload them."""
    rows = db.session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.id.in_(account_ids))
        .order_by(LedgerAccount.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.id: row for row in rows}


def _existing(key: str) -> LedgerTransfer | None:
    return db.session.scalar(select(LedgerTransfer).where(LedgerTransfer.idempotency_key == key))


def _same(transfer: LedgerTransfer, debit_id: int, credit_id: int, amount: int) -> bool:
    return (transfer.debit_account_id, transfer.credit_account_id, transfer.amount_pence) == (
        debit_id,
        credit_id,
        amount,
    )


def transfer(
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount_pence: int,
    *,
    code: str,
    reference: str,
    idempotency_key: str,
    reverses: LedgerTransfer | None = None,
) -> LedgerTransfer:
    """Move money from `debit` to `credit`. A replay with the same key returns the first transfer.

    Raises InsufficientFunds when `debit` may not go negative and holds too little, and
    IdempotencyConflict when the key was used for a different transfer.
    """
    if not isinstance(amount_pence, int) or isinstance(amount_pence, bool) or amount_pence <= 0:
        raise DomainError("A transfer must be a whole number of pence above zero")
    if debit.id == credit.id:
        raise DomainError("A transfer needs two different accounts")
    previous = _existing(idempotency_key)
    if previous is not None:
        if _same(previous, debit.id, credit.id, amount_pence):
            return previous
        raise IdempotencyConflict("This payment reference was already used for something else")
    locked = _lock(debit.id, credit.id)
    source, target = locked[debit.id], locked[credit.id]
    if not source.may_go_negative and source.balance_pence < amount_pence:
        raise InsufficientFunds("There is not enough money in the account for this")
    source.balance_pence -= amount_pence
    target.balance_pence += amount_pence
    made = LedgerTransfer(
        debit_account_id=source.id,
        credit_account_id=target.id,
        amount_pence=amount_pence,
        code=code,
        reference=reference,
        idempotency_key=idempotency_key,
        reverses_id=reverses.id if reverses else None,
    )
    db.session.add(made)
    db.session.flush()
    return made


def reverse(original: LedgerTransfer, *, reason: str) -> LedgerTransfer:
    """Undo a transfer with an opposite one. A transfer can be reversed once."""
    already = db.session.scalar(
        select(LedgerTransfer).where(LedgerTransfer.reverses_id == original.id)
    )
    if already is not None:
        return already
    return transfer(
        original.credit_account,
        original.debit_account,
        original.amount_pence,
        code="reversal",
        reference=f"Reversal of transfer {original.id}: {reason}"[:200],
        idempotency_key=f"reversal:{original.id}",
        reverses=original,
    )


@dataclass(frozen=True)
class Discrepancy:
    account_key: str
    balance_pence: int
    from_transfers_pence: int


def verify() -> list[Discrepancy]:
    """Re-add every transfer and compare with each stored balance. Empty means all agree."""
    credits = (
        select(func.coalesce(func.sum(LedgerTransfer.amount_pence), 0))
        .where(LedgerTransfer.credit_account_id == LedgerAccount.id)
        .scalar_subquery()
    )
    debits = (
        select(func.coalesce(func.sum(LedgerTransfer.amount_pence), 0))
        .where(LedgerTransfer.debit_account_id == LedgerAccount.id)
        .scalar_subquery()
    )
    computed = credits - debits
    rows = db.session.execute(
        select(LedgerAccount.key, LedgerAccount.balance_pence, computed)
        .where(case((LedgerAccount.balance_pence != computed, True), else_=False))
        .order_by(LedgerAccount.key)
    ).all()
    return [Discrepancy(key, int(balance), int(sums)) for key, balance, sums in rows]


def total_of_balances() -> int:
    """Always zero while the ledger is whole: every transfer takes from one and gives to another."""
    total = db.session.scalar(select(func.coalesce(func.sum(LedgerAccount.balance_pence), 0)))
    return int(total or 0)
