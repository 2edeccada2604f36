"""The double-entry ledger: accounts whose balances change only by immutable transfers.

A transfer moves `amount_pence` out of its debit account and into its credit account, so the
sum of every balance is always zero (funding accounts go negative as they allocate money out).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
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
    # 64-bit: a council's funding account passes £21 million (the 32-bit limit) within a year.
    balance_pence: Mapped[int] = mapped_column(BigInteger, default=0)
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
    amount_pence: Mapped[int] = mapped_column(BigInteger)
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

    categories = relationship(
        "Category", secondary=pot_categories, order_by="(Category.position, Category.id)"
    )
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
    # The form's one-time key: a double-clicked "Pay into budget" makes one allocation.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        db.UniqueConstraint("pot_id", "period_start", name="uq_allocations_pot_period"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
    )


class HoldStatus(enum.StrEnum):
    HELD = "held"
    RELEASED = "released"
    SETTLED = "settled"


class Hold(db.Model):  # type: ignore[name-defined]
    """Money set aside in a pot for one booking (or occurrence), named by the caller's reference.

    Payments knows nothing of bookings: `reference` is the caller's string, unique per pot.
    """

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    pot_id: Mapped[int] = mapped_column(ForeignKey("pots.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    reference: Mapped[str] = mapped_column(String(120))
    # Plain words for statements, e.g. "Moorside Care (PA) for 4 hours on Tue 3 Mar".
    description: Mapped[str] = mapped_column(String(200))
    amount_pence: Mapped[int] = mapped_column(Integer)
    status: Mapped[HoldStatus] = mapped_column(
        db.Enum(HoldStatus, native_enum=False, length=20), default=HoldStatus.HELD
    )
    settled_pence: Mapped[int] = mapped_column(Integer, default=0)  # paid to the provider
    fee_pence: Mapped[int] = mapped_column(Integer, default=0)  # kept as the platform fee
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    pot: Mapped[Pot] = relationship()
    provider = relationship("Provider")
    category = relationship("Category")

    __table_args__ = (
        db.UniqueConstraint("pot_id", "reference", name="uq_holds_pot_reference"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        CheckConstraint("settled_pence + fee_pence <= amount_pence", name="settled_within_hold"),
    )


class RefusalReason(enum.StrEnum):
    NOT_ENOUGH_MONEY = "not_enough_money"
    OUTSIDE_PLAN = "outside_plan"
    ABOVE_CAP = "above_cap"
    POT_CLOSED = "pot_closed"

    @property
    def label(self) -> str:
        return {
            "not_enough_money": "Not enough money in the budget",
            "outside_plan": "Not in the support plan",
            "above_cap": "Above the hourly rate cap",
            "pot_closed": "Budget closed",
        }[self.value]


class SpendRefusal(db.Model):  # type: ignore[name-defined]
    """A spend the rules refused. Commissioners read these (e.g. attempted outside-plan spend)."""

    __tablename__ = "spend_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    pot_id: Mapped[int] = mapped_column(ForeignKey("pots.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    reason: Mapped[RefusalReason] = mapped_column(
        db.Enum(RefusalReason, native_enum=False, length=30)
    )
    amount_pence: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    pot: Mapped[Pot] = relationship()
    provider = relationship("Provider")
    category = relationship("Category")


class TopUpStatus(enum.StrEnum):
    PENDING = "pending"  # PaymentIntent made, card not yet charged
    SUCCEEDED = "succeeded"  # Stripe told us by webhook; the pot was credited
    REFUNDED = "refunded"


class TopUp(db.Model):  # type: ignore[name-defined]
    """A personal top-up of a pot by card, through a Stripe PaymentIntent."""

    __tablename__ = "top_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    pot_id: Mapped[int] = mapped_column(ForeignKey("pots.id"), index=True)
    paid_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount_pence: Mapped[int] = mapped_column(Integer)
    status: Mapped[TopUpStatus] = mapped_column(
        db.Enum(TopUpStatus, native_enum=False, length=20), default=TopUpStatus.PENDING
    )
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The form's one-time key: a double-clicked "Pay" makes one PaymentIntent.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    pot: Mapped[Pot] = relationship()

    __table_args__ = (CheckConstraint("amount_pence > 0", name="amount_positive"),)


class StripeEvent(db.Model):  # type: ignore[name-defined]
    """Every Stripe webhook event we accepted, once: a replay finds its id here and does nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConnectAccount(db.Model):  # type: ignore[name-defined]
    """A provider's Stripe Connect Express account. Payouts wait until both flags are true."""

    __tablename__ = "connect_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), unique=True)
    stripe_account_id: Mapped[str] = mapped_column(String(255), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def ready(self) -> bool:
        return self.charges_enabled and self.payouts_enabled


class PayoutRail(enum.StrEnum):
    STRIPE = "stripe"
    PAYMENT_RUN = "payment_run"


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"  # in a payment run waiting for the commissioner's confirmation
    PAID = "paid"
    # Left unpaid when its run was confirmed: the run's file had no bank details for the provider.
    # Its holds were let go, so the next run gathers them again.
    NOT_PAID = "not_paid"


class PayoutRun(db.Model):  # type: ignore[name-defined]
    """A file of payments for a council's finance system; paid only when a commissioner confirms."""

    __tablename__ = "payout_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    total_pence: Mapped[int] = mapped_column(Integer, default=0)
    csv_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    payouts: Mapped[list[Payout]] = relationship(back_populates="run", order_by="Payout.id")
    confirmed_by = relationship("User")


class Payout(db.Model):  # type: ignore[name-defined]
    """Money leaving a provider's payable: one Stripe Transfer, or one line of a payment run."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    rail: Mapped[PayoutRail] = mapped_column(db.Enum(PayoutRail, native_enum=False, length=20))
    status: Mapped[PayoutStatus] = mapped_column(
        db.Enum(PayoutStatus, native_enum=False, length=20), default=PayoutStatus.PENDING
    )
    amount_pence: Mapped[int] = mapped_column(Integer)
    references: Mapped[str] = mapped_column(Text, default="")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payout_runs.id"), index=True)
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    run: Mapped[PayoutRun | None] = relationship(back_populates="payouts")
    provider = relationship("Provider")

    __table_args__ = (CheckConstraint("amount_pence > 0", name="amount_positive"),)
