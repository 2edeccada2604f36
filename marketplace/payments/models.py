"""The double-entry ledger: accounts whose balances change only by immutable transfers.

A transfer moves `amount_pence` out of its debit account and into its credit account, so the
sum of every balance is always zero (funding accounts go negative as they allocate money out).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow


class AccountKind(enum.StrEnum):
    FUNDING = "funding"  # a commissioner's budget: goes negative as it allocates
    AVAILABLE = "available"  # a holder's pot: money free to spend
    HELD = "held"  # a holder's pot: money set aside for accepted bookings
    PAYABLE = "payable"  # owed to a provider, waiting for a payout
    STRIPE_CLEARING = "stripe_clearing"  # card money between Stripe and us
    PAYOUT_RUN = "payout_run"  # paid out to providers by Stripe or a payment run
    PLATFORM_FEES = "platform_fees"


class LedgerAccount(db.Model):  # type: ignore[name-defined]
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A stable natural key, e.g. "available:pot:12" or "payable:provider:7".
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[AccountKind] = mapped_column(db.Enum(AccountKind, native_enum=False, length=20))
    owner_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    balance_pence: Mapped[int] = mapped_column(Integer, default=0)
    may_go_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        CheckConstraint("may_go_negative OR balance_pence >= 0", name="not_overdrawn"),
    )


class LedgerTransfer(db.Model):  # type: ignore[name-defined]
    """Immutable. A mistake is corrected by a reversing transfer, never by an edit."""

    __tablename__ = "ledger_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_pence: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    debit_account: Mapped[LedgerAccount] = relationship(foreign_keys=[debit_account_id])
    credit_account: Mapped[LedgerAccount] = relationship(foreign_keys=[credit_account_id])

    __table_args__ = (
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
    )
