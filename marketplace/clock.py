"""Time as people in England read it: stored in UTC, reckoned and shown in Europe/London."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london_today(now: datetime | None = None) -> date:
    """Today's date in London (after midnight London time, even while UTC is still yesterday)."""
    return (now or datetime.now(LONDON)).astimezone(LONDON).date()
