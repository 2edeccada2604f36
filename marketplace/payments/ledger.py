"""Moving money between ledger accounts. The only code that changes a balance.

Every transfer runs inside the caller's transaction with both accounts locked, carries a unique
idempotency key, and flushes but never commits. On PostgreSQL the `ledger_transfer` function
(installed by migration 0012) does the locking, the guarded balance changes and the insert in one
round trip; on SQLite (which serialises writers) each balance changes by one guarded
`UPDATE … RETURNING` and the insert follows, the same steps from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, func, inspect, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstanceState, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow
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


_accounts = LedgerAccount.__table__


def _id(account: LedgerAccount) -> int:
    """The account's id without reloading it (a commit expires objects; the id never changes)."""
    state: InstanceState[LedgerAccount] = inspect(account)
    return int(state.identity[0]) if state.identity else account.id


def _balance_update(*, guarded: bool) -> Any:
    """`balance += :delta` on one account, returning the new balance. Guarded, it changes
    nothing (and returns no row) when an account that may not go negative would."""
    statement = update(_accounts).where(_accounts.c.id == bindparam("account_id"))
    if guarded:
        statement = statement.where(
            or_(_accounts.c.may_go_negative, _accounts.c.balance_pence >= -bindparam("delta"))
        )
    return statement.values(balance_pence=_accounts.c.balance_pence + bindparam("delta")).returning(
        _accounts.c.balance_pence
    )


# Built once: each transfer only binds its numbers.
_GUARDED_UPDATE = _balance_update(guarded=True)
_UPDATE = _balance_update(guarded=False)


def _move(account: LedgerAccount, delta: int, *, guarded: bool) -> bool:
    """Add `delta` to a balance in one statement that also takes the row lock. With `guarded`,
    refuse (return False, nothing changed) when an account that may not go negative would."""
    statement = _GUARDED_UPDATE if guarded else _UPDATE
    new_balance = (
        db.session.connection()
        .execute(statement, {"account_id": _id(account), "delta": delta})
        .scalar()
    )
    if new_balance is None:
        return False
    set_committed_value(account, "balance_pence", new_balance)  # the object shows the new balance
    return True


def _apply(debit: LedgerAccount, credit: LedgerAccount, amount: int) -> None:
    """Move the balances, locking the two rows in id order so two transfers never deadlock."""
    if _id(debit) < _id(credit):
        if not _move(debit, -amount, guarded=True):
            raise InsufficientFunds("There is not enough money in the account for this")
        _move(credit, amount, guarded=False)
        return
    _move(credit, amount, guarded=False)
    if not _move(debit, -amount, guarded=True):
        _move(credit, -amount, guarded=False)  # undo inside this transaction; nothing is left
        raise InsufficientFunds("There is not enough money in the account for this")


# One textual statement for both databases (SQLite 3.35+ and PostgreSQL share this syntax). The
# same insert built with SQLAlchemy's dialect `on_conflict_do_nothing` has no cache key, so it
# would be compiled afresh for every transfer.
_INSERT = text(
    "INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount_pence, code,"
    " reference, idempotency_key, reverses_id, created_at)"
    " VALUES (:debit_account_id, :credit_account_id, :amount_pence, :code, :reference,"
    " :idempotency_key, :reverses_id, :created_at)"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
).bindparams(bindparam("created_at", type_=UTCDateTime()))


def _insert(values: dict[str, Any]) -> LedgerTransfer | None:
    """Insert the transfer; None when its idempotency key is already taken (no error, so the
    transaction stays usable on PostgreSQL). The row goes into the session as if just loaded."""
    new_id = db.session.connection().execute(_INSERT, values).scalar()
    return None if new_id is None else _into_session(new_id, values)


def _into_session(new_id: int, values: dict[str, Any]) -> LedgerTransfer:
    """The inserted row as a session object, as if just loaded (no second query)."""
    made = LedgerTransfer(id=new_id, **values)
    make_transient_to_detached(made)
    db.session.add(made)
    return made


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
    IdempotencyConflict when the key was used for a different transfer. Either way no balance
    has changed.

    On PostgreSQL one call to the `ledger_transfer` function (migration 0012) does it all in
    one round trip. Elsewhere (SQLite) three statements do the same: two guarded balance updates
    (each also the row lock) and an insert that does nothing on a known key; a replay, rare,
    pays for undoing the updates.
    """
    if not isinstance(amount_pence, int) or isinstance(amount_pence, bool) or amount_pence <= 0:
        raise DomainError("A transfer must be a whole number of pence above zero")
    debit_id, credit_id = _id(debit), _id(credit)
    if debit_id == credit_id:
        raise DomainError("A transfer needs two different accounts")
    values = {
        "debit_account_id": debit_id,
        "credit_account_id": credit_id,
        "amount_pence": amount_pence,
        "code": code,
        "reference": reference,
        "idempotency_key": idempotency_key,
        "reverses_id": reverses.id if reverses else None,
        "created_at": utcnow(),
    }
    if db.session.get_bind().dialect.name == "postgresql":
        made = _transfer_on_server(debit, credit, values)
    else:
        _apply(debit, credit, amount_pence)
        made = _insert(values)
        if made is None:
            _apply(credit, debit, amount_pence)  # a replay: put the balances back as they were
    if made is not None:
        return made
    previous = _existing(idempotency_key)
    if previous is not None and _same(previous, debit_id, credit_id, amount_pence):
        return previous
    raise IdempotencyConflict("This payment reference was already used for something else")


_SERVER_TRANSFER = text(
    "SELECT transfer_id, debit_balance, credit_balance FROM ledger_transfer("
    ":debit_account_id, :credit_account_id, CAST(:amount_pence AS bigint), :code, :reference,"
    " :idempotency_key, CAST(:reverses_id AS integer), :created_at)"
).bindparams(bindparam("created_at", type_=UTCDateTime()))


def _transfer_on_server(
    debit: LedgerAccount, credit: LedgerAccount, values: dict[str, Any]
) -> LedgerTransfer | None:
    """The whole transfer in one call; None for a replay (nothing changed)."""
    new_id, debit_balance, credit_balance = (
        db.session.connection().execute(_SERVER_TRANSFER, values).one()
    )
    if debit_balance is None:
        raise InsufficientFunds("There is not enough money in the account for this")
    if new_id is None:
        return None
    set_committed_value(debit, "balance_pence", debit_balance)
    set_committed_value(credit, "balance_pence", credit_balance)
    return _into_session(new_id, values)


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
