"""Search events counted: grouped in SQL straight from the events, and rolled up by
`flask reports rollup` (daily) into `search_event_daily` per tenant and day and
`search_event_weekly` per finished week and kind of support, each adding only what it has
not done before.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
)

from marketplace.clock import LONDON
from marketplace.commissioning.market.counts import ALL
from marketplace.commissioning.market.periods import london_midnight
from marketplace.commissioning.market.rules import FEW_RESULTS_MAX
from marketplace.commissioning.market.times import TimeBand, band_of
from marketplace.commissioning.models import ReportRollup, SearchEventDaily, SearchEventWeekly
from marketplace.extensions import db
from marketplace.search.models import SearchEvent

ROLLUP_NAME = "search_event_daily"
WEEKLY_ROLLUP_NAME = "search_event_weekly"


@dataclass(frozen=True)
class Demand:
    """Whose searches are a tenant's demand: those of people signed in to its accounts,
    wherever they searched from, and those of people not signed in from a district in its
    areas (`area_outcodes`). Another tenant's signed-in searches never are."""

    tenant_id: int
    outcodes: tuple[str, ...]

    def where(self, tenant: Any, outcode: Any) -> ColumnElement[bool]:
        """The condition on a table's tenant and outcode columns."""
        own = tenant == self.tenant_id
        if not self.outcodes:
            return own
        return or_(own, and_(tenant.is_(None), outcode.in_(self.outcodes)))


def search_event_groups(
    starts_at: datetime, ends_at: datetime, demand: Demand | None = None
) -> list[tuple[int | None, str | None, tuple[str, ...], TimeBand, int, int, int]]:
    """Search events in [starts_at, ends_at) grouped in SQL, then keyed in Python by
    (tenant, outcode, categories, time band): (searches, zero-result, few-result). Every
    event (tenant None: not signed in), or only a tenant's demand."""
    bucket = case(
        (SearchEvent.result_count == 0, literal("zero")),
        (SearchEvent.result_count <= FEW_RESULTS_MAX, literal("few")),
        else_=literal("more"),
    )
    day = SearchEvent.filters["day"].as_integer()
    at = SearchEvent.filters["time"].as_string()
    categories = cast(SearchEvent.categories, Text)
    query = (
        select(
            SearchEvent.tenant_id, SearchEvent.outcode, categories, day, at, bucket, func.count()
        )
        .where(SearchEvent.created_at >= starts_at, SearchEvent.created_at < ends_at)
        .group_by(SearchEvent.tenant_id, SearchEvent.outcode, categories, day, at, bucket)
    )
    if demand is not None:
        query = query.where(demand.where(SearchEvent.tenant_id, SearchEvent.outcode))
    found: dict[tuple[int | None, str | None, tuple[str, ...], TimeBand], list[int]] = defaultdict(
        lambda: [0, 0, 0]
    )
    for tenant, outcode, cats, weekday, at_text, kind, n in db.session.execute(query):
        key = (tenant, outcode, categories_of(cats), band_of(weekday, _time_of(at_text)))
        figures = found[key]
        figures[0] += n
        if kind == "zero":
            figures[1] += n
        elif kind == "few":
            figures[2] += n
    return [
        (tenant, outcode, cats, band, n, zero, few)
        for (tenant, outcode, cats, band), (n, zero, few) in found.items()
    ]


@cache
def categories_of(text: str | None) -> tuple[str, ...]:
    """The sorted category slugs of a search event's stored categories (JSON text); none
    when the text is missing or not a list."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return ()
    if not isinstance(value, list):
        return ()
    return tuple(sorted({str(v) for v in value}))


def _time_of(text: str | None) -> time | None:
    try:
        return time.fromisoformat(text) if text else None
    except ValueError:
        return None


def tune_for_aggregates() -> None:
    """On PostgreSQL, for the rest of this transaction: no JIT compilation (the report's short
    aggregates have estimated costs, from correlated subqueries, above jit_above_cost, and
    compiling took longer than running: 1.5 s against 50 ms); sorts and hashes in memory up to
    64 MB rather than spilled to disk; and no parallel workers, which on a small server rebuild
    the same hash tables in each worker."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL jit = off")
        connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        connection.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")


def rolled_up_to(name: str = ROLLUP_NAME) -> date | None:
    """The last day a roll-up holds (`search_event_daily`, or `search_event_weekly`: a
    Sunday), or None before the first roll-up."""
    return db.session.scalar(select(ReportRollup.rolled_up_to).where(ReportRollup.name == name))


def _mark_rolled_up(name: str, day: date) -> None:
    state = db.session.get(ReportRollup, name)
    if state is None:
        db.session.add(ReportRollup(name=name, rolled_up_to=day))
    else:
        state.rolled_up_to = day


def rollup(today: date) -> list[date]:
    """Count every search event of each whole day not yet rolled up (up to yesterday, London)
    into `search_event_daily`, then every whole week of those days into `search_event_weekly`.
    Flushes; the caller commits. Returns the days rolled up."""
    tune_for_aggregates()
    done = rolled_up_to()
    if done is None:
        first_at = db.session.scalar(select(func.min(SearchEvent.created_at)))
        if first_at is None:
            return []
        first = first_at.astimezone(LONDON).date()
    else:
        first = done + timedelta(days=1)
    last = today - timedelta(days=1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    for day in days:
        db.session.execute(delete(SearchEventDaily).where(SearchEventDaily.day == day))
        rows = [
            {
                "tenant_id": tenant,
                "day": day,
                "outcode": outcode,
                "categories": json.dumps(list(cats)),
                "time_band": band.value,
                "searches": n,
                "zero_results": zero,
                "few_results": few,
            }
            for tenant, outcode, cats, band, n, zero, few in search_event_groups(
                london_midnight(day), london_midnight(day + timedelta(days=1))
            )
        ]
        if rows:
            db.session.execute(insert(SearchEventDaily), rows)
    if days:
        _mark_rolled_up(ROLLUP_NAME, days[-1])
        db.session.flush()
    if days or done is not None:
        _rollup_weeks(days[-1] if days else done)  # type: ignore[arg-type]
    return days


def _rollup_weeks(daily_done: date) -> None:
    """Fold every whole week of `search_event_daily` not yet folded into `search_event_weekly`,
    one row per category (and one "*" row for every search) instead of one per set of them."""
    done = rolled_up_to(WEEKLY_ROLLUP_NAME)
    if done is not None:
        monday = done + timedelta(days=1)
    else:
        first = db.session.scalar(select(func.min(SearchEventDaily.day)))
        if first is None:
            return
        monday = first - timedelta(days=first.weekday())
    keys = (
        SearchEventDaily.tenant_id,
        SearchEventDaily.outcode,
        SearchEventDaily.categories,
        SearchEventDaily.time_band,
    )
    last_sunday = None
    while monday + timedelta(days=6) <= daily_done:
        sunday = monday + timedelta(days=6)
        db.session.execute(delete(SearchEventWeekly).where(SearchEventWeekly.week == monday))
        entries: dict[tuple[int | None, str, str | None, str], list[int]] = defaultdict(
            lambda: [0, 0, 0]
        )
        query = (
            select(*keys, *daily_totals())
            .where(SearchEventDaily.day >= monday, SearchEventDaily.day <= sunday)
            .group_by(*keys)
        )
        for tenant, outcode, cats, band, n, zero, few in db.session.execute(query):
            for category in (*(categories_of(cats) or ("",)), ALL):
                figures = entries[(tenant, category, outcode, band)]
                figures[0] += n
                figures[1] += zero
                figures[2] += few
        rows = [
            {
                "tenant_id": tenant,
                "week": monday,
                "category": category,
                "outcode": outcode,
                "time_band": band,
                "searches": n,
                "zero_results": zero,
                "few_results": few,
            }
            for (tenant, category, outcode, band), (n, zero, few) in entries.items()
        ]
        if rows:
            db.session.execute(insert(SearchEventWeekly), rows)
        last_sunday = sunday
        monday += timedelta(days=7)
    if last_sunday is not None:
        _mark_rolled_up(WEEKLY_ROLLUP_NAME, last_sunday)
        db.session.flush()


def daily_totals() -> tuple[Any, Any, Any]:
    """The summed searches, no-result and few-result searches of `search_event_daily`
    rows, in that order."""
    return (
        func.sum(SearchEventDaily.searches),
        func.sum(SearchEventDaily.zero_results),
        func.sum(SearchEventDaily.few_results),
    )
