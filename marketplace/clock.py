"""The one clock: every page, service and command reads the time here, and tests freeze it.

Times are stored in UTC and reckoned and shown in Europe/London. `now()` is the current moment
(aware, UTC); `today()` is the date in London, which differs from UTC's around midnight for half
the year. `freeze(at)` pins the clock to a moment and lets it run on from there, so a test reads
the same date on any day it runs, while times within the test still move forward.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# While frozen: the moment it was frozen at and the monotonic reading at that moment.
_frozen: tuple[datetime, float] | None = None


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    if _frozen is None:
        return datetime.now(UTC)
    at, started = _frozen
    return at + timedelta(seconds=time.monotonic() - started)


def today() -> date:
    """Today's date in London (after midnight London time, even while UTC is still yesterday)."""
    return now().astimezone(LONDON).date()


def london_now() -> datetime:
    """The current moment in London's wall-clock time."""
    return now().astimezone(LONDON)


def london_today(at: datetime | None = None) -> date:
    """The London date of a moment; of now when none is given."""
    return (at or now()).astimezone(LONDON).date()


def freeze(at: datetime) -> None:
    """Pin the clock to `at` (aware) from this moment on; it runs forward from there."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = (at.astimezone(UTC), time.monotonic())


def unfreeze() -> None:
    """Back to the real clock."""
    global _frozen
    _frozen = None


def advance(delta: timedelta) -> None:
    """Move a frozen clock on by `delta` (a test's "a week later")."""
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    freeze(now() + delta)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """The clock pinned to `at` inside the block, restored after it."""
    before = _frozen
    freeze(at)
    try:
        yield
    finally:
        globals()["_frozen"] = before
