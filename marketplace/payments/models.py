"""The double-entry ledger: accounts whose balances change only by immutable transfers.

A transfer moves `amount_pence` out of its debit account and into its credit account, so the
sum of every balance is always zero (funding accounts go negative as they allocate money out).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String
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


class PotKind(enum.StrEnum):
    SOCIAL_CARE = "social_care"
    HEALTH = "health"
    ILF = "ilf"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "social_care": "Personal budget (social care)",
            "health": "Personal health budget",
            "ilf": "Independent Living Fund",
            "other": "Other funding",
        }[self.value]


pot_categories = db.Table(
    "pot_categories",
    db.metadata,
    db.Column("pot_id", ForeignKey("pots.id", ondelete="CASCADE"), primary_key=True),
    db.Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Pot(db.Model):  # type: ignore[name-defined]
    """One of a holder's budgets, with what it may buy and when it is topped up."""

    __tablename__ = "pots"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[PotKind] = mapped_column(db.Enum(PotKind, native_enum=False, length=20))
    support_plan_reference: Mapped[str] = mapped_column(String(60))
    # Paid every `allocation_every_days` days from `allocation_starts_on` (0 days: no schedule).
    allocation_pence: Mapped[int] = mapped_column(Integer, default=0)
    allocation_every_days: Mapped[int] = mapped_column(Integer, default=28)
    allocation_starts_on: Mapped[date] = mapped_column(Date)
    allocation_ends_on: Mapped[date | None] = mapped_column(Date)
    pa_hourly_cap_pence: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    categories = relationship("Category", secondary=pot_categories, order_by="Category.position")
    holder = relationship("User", foreign_keys=[holder_id])
    tenant = relationship("Tenant")

    __table_args__ = (
        CheckConstraint("allocation_pence >= 0", name="allocation_not_negative"),
        CheckConstraint("allocation_every_days BETWEEN 0 AND 366", name="schedule_range"),
        CheckConstraint(
            "pa_hourly_cap_pence IS NULL OR pa_hourly_cap_pence > 0", name="cap_positive"
        ),
    )


class Allocation(db.Model):  # type: ignore[name-defined]
    """Money a commissioner put into a pot: a scheduled period (once each) or a one-off."""

    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    pot_id: Mapped[int] = mapped_column(ForeignKey("pots.id"), index=True)
    # Set for scheduled allocations; unique per pot so a period is never paid twice.
    period_start: Mapped[date | None] = mapped_column(Date)
    amount_pence: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        db.UniqueConstraint("pot_id", "period_start", name="uq_allocations_pot_period"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
    )
