"""A saved search, and the listings its owner has already been told about."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.models_base import UTCDateTime, utcnow


class SavedSearch(db.Model):  # type: ignore[name-defined]
    """A search kept by the person who made it: its parameters as /search reads them, and what
    the report and providers' homes count it by (district, kinds of support, point)."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # The search's parameters, [[name, value], …] in the order /search was sent them (no page).
    params: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    outcode: Mapped[str | None] = mapped_column(String(4))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    radius_miles: Mapped[float | None] = mapped_column(Float)
    alerts_on: Mapped[bool] = mapped_column(Boolean, default=True)
    # How many listings matched when it was last run (saved, or the daily check).
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(User)


class SavedSearchTold(db.Model):  # type: ignore[name-defined]
    """A listing the owner of a saved search already knows matches it (it was on the results
    page when the search was saved, or in an email since): never told again."""

    __tablename__ = "saved_search_told"

    saved_search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE"), primary_key=True
    )
    listing_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    told_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
