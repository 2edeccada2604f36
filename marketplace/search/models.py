"""The search outbox (listing changes waiting to reach the engine) and anonymous search events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow


class SearchOutbox(db.Model):  # type: ignore[name-defined]
    """A listing, or every listing of a provider, to send to the engine again.

    Written in the same transaction as the change; removed only once the engine has it. No
    foreign keys: a deleted listing still needs its document removed.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int | None] = mapped_column(Integer, index=True)
    provider_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class SearchEvent(db.Model):  # type: ignore[name-defined]
    """One search, for market gap reports. Never a user id or a full postcode."""

    __tablename__ = "search_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), index=True
    )
    outcode: Mapped[str | None] = mapped_column(String(4))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    filters: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(String(100), default="")
    result_count: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
