"""The moment every test runs at: the clock is frozen there (and runs on from it) for each test.

`MARKETPLACE_TEST_NOW` picks the moment, as London wall-clock time (`2027-03-28T22:30`), so the
suite can be run at awkward moments: clock-change nights, bank holidays, 29 February, New Year's
Eve. Tests derive every date from `NOW` and `TODAY`, never from the real clock.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

from marketplace.clock import LONDON

DEFAULT = "2026-11-23T10:00"  # a Monday morning


def _moment(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=LONDON)


NOW = _moment(os.environ.get("MARKETPLACE_TEST_NOW") or DEFAULT)
TODAY = NOW.astimezone(LONDON).date()


def next_weekday(weekday: int, after: date = TODAY) -> date:
    """The first date after `after` falling on `weekday` (Monday is 0)."""
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)
