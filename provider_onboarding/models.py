"""What provider onboarding keeps: bank details, the checks a provider sends, its documents, the
decisions on them, and an agency's workers."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.directory.models import Provider, WorkerGender
from marketplace.extensions import db
from marketplace.models_base import TimestampMixin, UTCDateTime, utcnow


class ProviderBankDetails(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """Where a council's payment run pays a provider that does not use Stripe Connect.

    Shown only masked (last digits) outside the payment-run file itself.
    """

    __tablename__ = "provider_bank_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), unique=True
    )
    account_name: Mapped[str] = mapped_column(String(140))
    sort_code: Mapped[str] = mapped_column(String(6))  # six digits, no dashes
    account_number: Mapped[str] = mapped_column(String(8))  # eight digits

    provider: Mapped[Provider] = relationship()

    __table_args__ = (
        CheckConstraint("length(sort_code) = 6", name="sort_code_length"),
        CheckConstraint("length(account_number) = 8", name="account_number_length"),
    )

    @property
    def masked_account_number(self) -> str:
        return "****" + self.account_number[-4:]

    @property
    def masked_sort_code(self) -> str:
        return "**-**-" + self.sort_code[-2:]


class ProviderChecks(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """What a personal assistant or unregulated provider tells us to prove they are safe to hire.

    One row per provider; the dates drive the expiry warnings and `flask directory expire`.
    """

    __tablename__ = "provider_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), unique=True
    )
    dbs_certificate_number: Mapped[str | None] = mapped_column(String(12))
    dbs_issued_on: Mapped[date | None] = mapped_column(Date)
    insurer: Mapped[str | None] = mapped_column(String(200))
    insurance_expires_on: Mapped[date | None] = mapped_column(Date)
    right_to_work_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    reference_1: Mapped[str | None] = mapped_column(String(300))
    reference_2: Mapped[str | None] = mapped_column(String(300))
    cqc_matched: Mapped[bool] = mapped_column(Boolean, default=False)

    provider: Mapped[Provider] = relationship()


class DocumentKind(enum.StrEnum):
    DBS = "dbs"
    INSURANCE = "insurance"
    RIGHT_TO_WORK = "right_to_work"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "dbs": "DBS certificate",
            "insurance": "Public liability insurance",
            "right_to_work": "Right to work",
            "other": "Other",
        }[self.value]


class ProviderDocument(db.Model):  # type: ignore[name-defined]
    """A file a provider uploaded. Stored outside the web root under a random name."""

    __tablename__ = "provider_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DocumentKind] = mapped_column(db.Enum(DocumentKind, native_enum=False, length=20))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    provider: Mapped[Provider] = relationship()

    @property
    def size_words(self) -> str:
        """'less than 1 KB', '240 KB' or '3.4 MB': a small file never reads as '0 KB'."""
        if self.size_bytes < 1024:
            return "less than 1 KB"
        if self.size_bytes < 1024 * 1024:
            return f"{self.size_bytes // 1024} KB"
        return f"{self.size_bytes / (1024 * 1024):.1f} MB"


class VerificationDecision(db.Model):  # type: ignore[name-defined]
    """One move of a provider's verification: who, when, from and to which state, and why."""

    __tablename__ = "verification_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    move: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class Worker(db.Model):  # type: ignore[name-defined]
    """A named care worker of an agency, whose weekly availability is kept one by one. One who
    has left keeps their row (past bookings name them) with `left_at` set, and is offered for
    nothing new."""

    __tablename__ = "provider_workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(140))
    gender: Mapped[WorkerGender | None] = mapped_column(
        db.Enum(WorkerGender, native_enum=False, length=12)
    )
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    availability: Mapped[list[WorkerAvailability]] = relationship(
        back_populates="worker",
        cascade="all, delete-orphan",
        order_by="(WorkerAvailability.weekday, WorkerAvailability.start_time,"
        " WorkerAvailability.id)",
    )


class WorkerAvailability(db.Model):  # type: ignore[name-defined]
    __tablename__ = "provider_worker_availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("provider_workers.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)

    worker: Mapped[Worker] = relationship(back_populates="availability")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="worker_weekday_range"),
        CheckConstraint("start_time < end_time", name="worker_window_order"),
    )
