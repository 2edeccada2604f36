"""The period a report covers: whole London days, at most two years, split into weeks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, literal

from marketplace.clock import LONDON
from marketplace.commissioning.market.rules import DEFAULT_WEEKS, MAX_PERIOD_DAYS
from marketplace.errors import DomainError


class ReportError(DomainError):
    """A period the report cannot be made for. The message says why, for the person."""


def london_midnight(day: date) -> datetime:
    """The UTC instant a London day starts (midnight is 23:00 UTC the evening before in summer)."""
    return datetime.combine(day, time(), tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def starts_at(self) -> datetime:
        return london_midnight(self.start)

    @property
    def ends_at(self) -> datetime:
        """The first instant after the period."""
        return london_midnight(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def weeks(self) -> list[tuple[date, date]]:
        """Monday-to-Sunday weeks, the first and last cut to the period: (first day, last day)."""
        found = []
        monday = self.start - timedelta(days=self.start.weekday())
        while monday <= self.end:
            found.append((max(monday, self.start), min(monday + timedelta(days=6), self.end)))
            monday += timedelta(days=7)
        return found

    def query_string(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def default_period(today: date) -> Period:
    return Period(today - timedelta(days=DEFAULT_WEEKS * 7 - 1), today)


def period_for(start: date | None, end: date | None, today: date) -> Period:
    """The period asked for, or the last 12 weeks. Raises ReportError naming the wrong field."""
    if start is None and end is None:
        return default_period(today)
    if start is None:
        raise ReportError("Enter the date the report starts from", field="from")
    if end is None:
        raise ReportError("Enter the date the report runs to", field="to")
    if end > today:
        raise ReportError("The date the report runs to must be today or in the past", field="to")
    if start > end:
        raise ReportError(
            "The date the report starts from must be the same as or before the date it runs to",
            field="from",
        )
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ReportError("The report can cover at most 2 years", field="from")
    return Period(start, end)


def week_sql(column: Any, weeks: Sequence[tuple[date, date]]) -> Any:
    """The number of the period's week an instant falls in (0 for the first), as a balanced
    tree of CASEs: a handful of comparisons a row even for two years of weeks."""
    starts = [london_midnight(first) for first, _ in weeks]

    def between(low: int, high: int) -> Any:  # weeks low..high (included)
        if low == high:
            return literal(low)
        middle = (low + high + 1) // 2
        return case(
            (column < starts[middle], between(low, middle - 1)), else_=between(middle, high)
        )

    return between(0, len(weeks) - 1)
