"""What commissioning writes itself: alerts and the report roll-ups. It reads everything else."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow

# Alerts: computed daily by `flask reports alerts` (marketplace/commissioning/alerts/).


class AlertKind(enum.StrEnum):
    UNSPENT = "unspent"  # money building up beyond N weeks of allocation
    RUNNING_OUT = "running_out"  # projected to run out before the next allocation
    REFUSED_SPEND = "refused_spend"  # attempted spend outside the plan or above a PA rate cap
    PROVIDER_SHARE = "provider_share"  # one provider took more than X% of an allocation in a week
    DISPUTE = "dispute"  # a delivered session the holder's side disputed

    @property
    def label(self) -> str:
        return {
            "unspent": "Unspent money building up",
            "running_out": "Budget running out",
            "refused_spend": "Spending outside the plan or above a cap",
            "provider_share": "Unusual payments to one provider",
            "dispute": "Disputed session",
        }[self.value]


class Alert(db.Model):  # type: ignore[name-defined]
    """Something a tenant's commissioners should look at, open until one of them acknowledges it.

    `dedupe_key` is the kind, the subject and the period (e.g. `unspent:pot:12@2026-11-23`),
    unique per tenant: a second run in the same period updates the alert instead of adding one.
    `cleared_at` is set while the condition no longer holds; the alert stays open until
    acknowledged. `message` and `figures` carry no more personal data than the commissioner's
    own pages show.
    """

    __tablename__ = "commissioning_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[AlertKind] = mapped_column(db.Enum(AlertKind, native_enum=False, length=20))
    # The subject, as relevant to the kind: a pot (and its holder), a provider, or both.
    pot_id: Mapped[int | None] = mapped_column(ForeignKey("pots.id"), index=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    message: Mapped[str] = mapped_column(String(600))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(160))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledgement_note: Mapped[str | None] = mapped_column(String(500))
    # When the daily summary email told the body's commissioners of it (None: not yet; an alert
    # found when a commissioner opened the list is told of in the next daily summary).
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    pot = relationship("Pot")
    holder = relationship("User", foreign_keys=[holder_id])
    provider = relationship("Provider")
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])

    __table_args__ = (
        db.UniqueConstraint("tenant_id", "dedupe_key", name="uq_commissioning_alerts_dedupe"),
    )

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def subject_key(self) -> str:
        """The kind and subject without the period: `unspent:pot:12`."""
        return self.dedupe_key.rsplit("@", 1)[0]


# Market gap report roll-ups: `flask reports rollup` (marketplace/commissioning/market/rollup.py).


class SearchEventDaily(db.Model):  # type: ignore[name-defined]
    """Search events of one tenant on one day (Europe/London), counted by postcode district,
    the set of categories searched for and the time of week asked for. `tenant_id` is NULL for
    searches by people not signed in: the report picks those of the districts in a tenant's
    areas when it reads them (a tenant's areas can change; the roll-up need not).

    `categories` is the JSON text of the sorted category slugs ("[]" when none was chosen), so a
    search for two kinds of support is one row, counted under each kind by the report.
    """

    __tablename__ = "search_event_daily"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    outcode: Mapped[str | None] = mapped_column(String(4))
    categories: Mapped[str] = mapped_column(String(1000))
    time_band: Mapped[str] = mapped_column(String(20))
    searches: Mapped[int] = mapped_column(Integer)
    zero_results: Mapped[int] = mapped_column(Integer)
    few_results: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_search_event_daily_tenant_day", "tenant_id", "day"),)


class SearchEventWeekly(db.Model):  # type: ignore[name-defined]
    """Search events of one tenant in one Monday-to-Sunday week, counted per kind of support:
    `category` is a category slug, "" for searches that chose none, or "*" for every search
    once (the totals by district and time of week, where a search for two kinds counts once).
    Made from `search_event_daily` once a week is over; far fewer rows than days of it.
    `tenant_id` is NULL for searches by people not signed in, as in the daily roll-up."""

    __tablename__ = "search_event_weekly"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    week: Mapped[date] = mapped_column(Date)  # its Monday
    category: Mapped[str] = mapped_column(String(60))
    outcode: Mapped[str | None] = mapped_column(String(4))
    time_band: Mapped[str] = mapped_column(String(20))
    searches: Mapped[int] = mapped_column(Integer)
    zero_results: Mapped[int] = mapped_column(Integer)
    few_results: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_search_event_weekly_tenant_week", "tenant_id", "week"),)


class ReportRollup(db.Model):  # type: ignore[name-defined]
    """How far a roll-up has gone: every day up to and including `rolled_up_to` is in it."""

    __tablename__ = "report_rollups"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    rolled_up_to: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
