"""The market gap report: where a tenant's people look for support and book it, and find too little.

Demand (searches, booking requests and how they failed, money left unspent by failed hiring) is
set against supply (published listings, verified providers, weekly hours of availability) by kind
of support, postcode district (and the council nearest it) and time of week. Every figure is the
tenant's own: searches made by its signed-in people (wherever they searched from) and by people
not signed in from a district in its areas (the district's nearest council centre is one of the
tenant's councils: `nearest_council`, `area_outcodes`), bookings paid from its pots, listings of
the providers its staff check. Another tenant's signed-in searches never count, even in the same
district. No person is named; counts and money are by category and area only.

Aggregation happens in the database (GROUP BY); Python only turns grouped rows into tables.
`flask reports rollup` (daily) counts search events per tenant and day into
`search_event_daily`, and each finished week per kind of support into `search_event_weekly`
(searches by people not signed in under tenant NULL, picked by district when read);
a report reads whole weeks from the weekly table, other finished days from the daily one and
only the days not yet rolled up (today) from `search_events`. Each roll-up adds only what it
has not done before.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache, cached_property
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    String,
    Text,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from marketplace import PROJECT_ROOT
from marketplace.accounts.models import Tenant
from marketplace.bookings.models import Booking, BookingEvent, BookingState, RotaSlot
from marketplace.clock import LONDON
from marketplace.commissioning.models import ReportRollup, SearchEventDaily, SearchEventWeekly
from marketplace.directory.models import (
    AvailabilityRule,
    Category,
    Listing,
    ListingStatus,
    PriceUnit,
    Provider,
    VerificationStatus,
    listing_categories,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.money import format_pence
from marketplace.payments.models import AccountKind, Hold, HoldStatus, LedgerAccount, Pot
from marketplace.search import geo
from marketplace.search.models import SearchEvent

# The report's rules, named so the page can say them.
FEW_RESULTS_MAX = 3  # a "few-result" search found 1 to 3 listings
DEFAULT_WEEKS = 12  # the period when none is chosen: the last 12 weeks, today included
MAX_PERIOD_DAYS = 731  # at most two years
UNSPENT_WEEKS = 8  # money above this many weeks of allocation counts as unspent
SMALL_NUMBER = 3  # money of fewer budgets than this is not shown (it could point to one person)
GAP_HOURS_UNIT = 10  # the gap score counts supply in units of 10 weekly hours
TOP_GAPS = 20
DAYTIME_STARTS = time(8)
EVENING_STARTS = time(18)
ROLLUP_NAME = "search_event_daily"
WEEKLY_ROLLUP_NAME = "search_event_weekly"


class ReportError(DomainError):
    """A period the report cannot be made for. The message says why, for the person."""


class TimeBand(enum.StrEnum):
    WEEKDAY_DAYTIME = "weekday_daytime"
    WEEKDAY_EVENING = "weekday_evening"
    WEEKEND = "weekend"
    ANY = "any"  # a search that gave no day, or a weekday without a time

    @property
    def label(self) -> str:
        return {
            "weekday_daytime": "Weekday daytime (Monday to Friday, 8am to 6pm)",
            "weekday_evening": "Weekday evenings and nights (Monday to Friday, 6pm to 8am)",
            "weekend": "Weekends (Saturday and Sunday, all day)",
            "any": "No day or time given",
        }[self.value]

    @property
    def short_label(self) -> str:
        """For table cells; the page says the hours of each."""
        return {
            "weekday_daytime": "Weekday daytime",
            "weekday_evening": "Weekday evenings and nights",
            "weekend": "Weekends",
            "any": "No day or time given",
        }[self.value]


BANDS_OF_THE_WEEK = (TimeBand.WEEKDAY_DAYTIME, TimeBand.WEEKDAY_EVENING, TimeBand.WEEKEND)
BAND_ORDER = {band.value: n for n, band in enumerate(TimeBand)}


def band_of(weekday: int | None, at: time | None) -> TimeBand:
    """The time of week of a day (Monday 0) and start time, both in London wall-clock time."""
    if weekday is None:
        return TimeBand.ANY
    if weekday >= 5:
        return TimeBand.WEEKEND
    if at is None:
        return TimeBand.ANY
    if DAYTIME_STARTS <= at < EVENING_STARTS:
        return TimeBand.WEEKDAY_DAYTIME
    return TimeBand.WEEKDAY_EVENING


def window_minutes(weekday: int, start: time, end: time) -> dict[TimeBand, int]:
    """Minutes of a weekly availability window in each time of week."""

    def minutes(at: time) -> int:
        return at.hour * 60 + at.minute

    first, last = minutes(start), minutes(end)
    if last <= first:
        return {}
    if weekday >= 5:
        return {TimeBand.WEEKEND: last - first}
    day_from, day_to = minutes(DAYTIME_STARTS), minutes(EVENING_STARTS)
    daytime = max(0, min(last, day_to) - max(first, day_from))
    return {
        TimeBand.WEEKDAY_DAYTIME: daytime,
        TimeBand.WEEKDAY_EVENING: (last - first) - daytime,
    }


# The period


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


# Places: postcode districts and the council nearest each


ALL = "*"  # a key part meaning "every value" (totals by one dimension, or the whole report)


def outcode_sql(postcode: Any) -> ColumnElement[Any]:
    """The district (outcode) of a stored postcode, in SQL that SQLite and PostgreSQL share:
    a UK postcode's inward part is always its last three characters."""
    cleaned = func.upper(func.trim(postcode))
    return case(
        (
            func.length(cleaned) > 4,
            func.trim(func.substr(cleaned, 1, func.length(cleaned) - 3)),
        ),
        else_=cleaned,
    )


@dataclass(frozen=True)
class _Council:
    gss_code: str
    name: str
    point: geo.Point


Vector = tuple[float, float, float]


def _unit_vector(point: geo.Point) -> Vector:
    """The point on the unit sphere. Of two points, the one whose vector has the larger dot
    product with a third is the nearer to it along the Earth's surface (a smaller angle)."""
    latitude, longitude = math.radians(point.latitude), math.radians(point.longitude)
    return (
        math.cos(latitude) * math.cos(longitude),
        math.cos(latitude) * math.sin(longitude),
        math.sin(latitude),
    )


@cache
def _councils() -> tuple[tuple[_Council, Vector], ...]:
    with (PROJECT_ROOT / "data" / "local_authorities.csv").open(encoding="utf-8") as handle:
        found = [
            _Council(
                row["gss_code"],
                row["name"],
                geo.Point(float(row["latitude"]), float(row["longitude"])),
            )
            for row in csv.DictReader(handle)
            if row["latitude"] and row["longitude"]
        ]
    return tuple((council, _unit_vector(council.point)) for council in found)


@cache
def nearest_council(outcode: str) -> _Council | None:
    """The upper-tier council whose centre is nearest the district's centre (ONS centroids).
    An approximation: the service holds no postcode-to-council lookup."""
    try:
        place = geo.locate(outcode)
    except geo.PostcodeError:
        return None
    x, y, z = _unit_vector(place.point)
    nearest = max(
        _councils(),
        key=lambda entry: entry[1][0] * x + entry[1][1] * y + entry[1][2] * z,
        default=None,
    )
    return nearest[0] if nearest else None


@cache
def area_outcodes(own_codes: frozenset[str]) -> tuple[str, ...]:
    """Every postcode district whose nearest council (by `nearest_council`) is one of these
    (GSS codes), in order: where a search by someone not signed in counts as the tenant's.
    Worked out once per set of areas, over every district of the ONS centroids (0.1 s)."""
    return tuple(
        sorted(
            outcode
            for outcode in geo._outcodes()  # every district the service can place
            if (council := nearest_council(outcode)) is not None and council.gss_code in own_codes
        )
    )


def council_label(outcode: str | None, own_codes: frozenset[str]) -> str:
    if outcode is None:
        return ""
    council = nearest_council(outcode)
    if council is None:
        return "Not known"
    if council.gss_code in own_codes:
        return council.name
    return f"{council.name} (outside your areas)"


# The figures of one cell: demand and supply


@dataclass
class Counts:
    searches: int = 0
    zero_results: int = 0
    few_results: int = 0
    requests: int = 0
    declined: int = 0
    expired: int = 0
    unfilled: int = 0
    listings: int = 0
    providers: int = 0
    weekly_minutes: int = 0

    @property
    def failed(self) -> int:
        return self.declined + self.expired + self.unfilled

    @property
    def unmet(self) -> int:
        """Unmet demand: searches with no or few results, and failed requests."""
        return self.zero_results + self.few_results + self.failed

    @property
    def gap_score(self) -> Fraction:
        """Unmet demand ÷ (1 + weekly hours available ÷ 10)."""
        return Fraction(self.unmet * GAP_HOURS_UNIT * 60, GAP_HOURS_UNIT * 60 + self.weekly_minutes)

    @property
    def has_any(self) -> bool:
        return bool(self.searches or self.requests or self.listings)


Key = tuple[str | None, str | None, str]  # (category slug, outcode, time band); ALL for "every"


@dataclass(frozen=True)
class _CategoryInfo:
    slug: str
    name: str
    position: int
    is_personal_assistance: bool


# Reading the database


def _failure_sql() -> ColumnElement[str]:
    """How a booking request failed, or '' when it did not (yet).

    Unfilled: the holder withdrew it before any provider accepted, or the provider cancelled it
    after accepting and the holder has no accepted booking of the same kind made since."""
    later = aliased(Booking)
    cancelled_at = (
        select(func.max(BookingEvent.at))
        .where(
            BookingEvent.booking_id == Booking.id,
            BookingEvent.to_state == BookingState.CANCELLED_BY_PROVIDER.value,
            BookingEvent.occurrence_id.is_(None),
        )
        .correlate(Booking)
        .scalar_subquery()
    )
    rebooked = (
        exists()
        .where(
            later.holder_id == Booking.holder_id,
            later.category_id == Booking.category_id,
            later.id != Booking.id,
            later.accepted_at.is_not(None),
            later.created_at >= cancelled_at,
        )
        .correlate(Booking)
    )
    return case(
        (Booking.state == BookingState.DECLINED, literal("declined")),
        (Booking.state == BookingState.EXPIRED, literal("expired")),
        (
            and_(Booking.state == BookingState.CANCELLED_BY_HOLDER, Booking.accepted_at.is_(None)),
            literal("unfilled"),
        ),
        (
            and_(Booking.state == BookingState.CANCELLED_BY_PROVIDER, ~rebooked),
            literal("unfilled"),
        ),
        else_=literal(""),
    )


def _slot_band_sql() -> ColumnElement[str]:
    return case(
        (RotaSlot.weekday >= 5, literal(TimeBand.WEEKEND.value)),
        (
            and_(RotaSlot.start_time >= DAYTIME_STARTS, RotaSlot.start_time < EVENING_STARTS),
            literal(TimeBand.WEEKDAY_DAYTIME.value),
        ),
        else_=literal(TimeBand.WEEKDAY_EVENING.value),
    )


def _week_sql(column: Any, weeks: Sequence[tuple[date, date]]) -> Any:
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
        key = (tenant, outcode, _categories_of(cats), band_of(weekday, _time_of(at_text)))
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
def _categories_of(text: str | None) -> tuple[str, ...]:
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


def _tune_for_aggregates() -> None:
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


# The roll-up


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
    _tune_for_aggregates()
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
            select(*keys, *_daily_totals())
            .where(SearchEventDaily.day >= monday, SearchEventDaily.day <= sunday)
            .group_by(*keys)
        )
        for tenant, outcode, cats, band, n, zero, few in db.session.execute(query):
            for category in (*(_categories_of(cats) or ("",)), ALL):
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


def _daily_totals() -> tuple[Any, Any, Any]:
    return (
        func.sum(SearchEventDaily.searches),
        func.sum(SearchEventDaily.zero_results),
        func.sum(SearchEventDaily.few_results),
    )


# Everything the tables are made from, read once per report


@dataclass
class MarketFacts:
    """The grouped rows of one tenant's report for one period. Each part is read on first use."""

    tenant: Tenant
    period: Period
    own_codes: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.own_codes = frozenset(area.gss_code for area in self.tenant.areas)
        _tune_for_aggregates()

    @cached_property
    def demand(self) -> Demand:
        return Demand(self.tenant.id, area_outcodes(self.own_codes))

    @cached_property
    def categories(self) -> dict[int, _CategoryInfo]:
        return {
            c.id: _CategoryInfo(c.slug, c.name, c.position, c.is_personal_assistance)
            for c in db.session.scalars(select(Category))
        }

    @cached_property
    def category_by_slug(self) -> dict[str, _CategoryInfo]:
        return {c.slug: c for c in self.categories.values()}

    # Searches

    @cached_property
    def _search_parts(self) -> tuple[list[tuple[Any, ...]], list[tuple[int, int]]]:
        """(searches, no-result and few-result searches by (category, outcode, band), where the
        category is a slug, None for searches that chose none, or ALL for every search once;
        per week of the period (searches, no-result searches)).

        Whole weeks come from `search_event_weekly`; other rolled-up days from
        `search_event_daily`; days not yet rolled up (today at least) from the events."""
        weeks = self.period.weeks()
        entries: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
        weekly = [[0, 0] for _ in weeks]
        demand = self.demand

        def add(cats: tuple[str, ...], outcode: str | None, band: str, figures: Sequence[int]):
            for category in (*(cats or (None,)), ALL):
                found = entries[(category, outcode, band)]
                found[0] += figures[0]
                found[1] += figures[1]
                found[2] += figures[2]

        weeks_done = rolled_up_to(WEEKLY_ROLLUP_NAME)
        whole = [
            n
            for n, (first, last) in enumerate(weeks)
            if weeks_done is not None
            and first.weekday() == 0
            and last.weekday() == 6
            and last <= weeks_done
        ]
        if whole:
            in_range = (
                demand.where(SearchEventWeekly.tenant_id, SearchEventWeekly.outcode),
                SearchEventWeekly.week >= weeks[whole[0]][0],
                SearchEventWeekly.week <= weeks[whole[-1]][0],
            )
            totals = (
                func.sum(SearchEventWeekly.searches),
                func.sum(SearchEventWeekly.zero_results),
                func.sum(SearchEventWeekly.few_results),
            )
            keys = (
                SearchEventWeekly.category,
                SearchEventWeekly.outcode,
                SearchEventWeekly.time_band,
            )
            for category, outcode, band, *figures in db.session.execute(
                select(*keys, *totals).where(*in_range).group_by(*keys)
            ):
                found = entries[(ALL if category == ALL else category or None, outcode, band)]
                for n, value in enumerate(figures):
                    found[n] += value
            by_monday = {weeks[n][0]: n for n in whole}
            for monday, n, zero in db.session.execute(
                select(SearchEventWeekly.week, totals[0], totals[1])
                .where(*in_range, SearchEventWeekly.category == ALL)
                .group_by(SearchEventWeekly.week)
            ):
                weekly[by_monday[monday]] = [n, zero]
        days_done = rolled_up_to()
        keys_daily = (
            SearchEventDaily.outcode,
            SearchEventDaily.categories,
            SearchEventDaily.time_band,
        )
        for number, (first, last) in enumerate(weeks):
            if number in whole:
                continue
            if days_done is not None and first <= days_done:
                query = (
                    select(*keys_daily, *_daily_totals())
                    .where(
                        demand.where(SearchEventDaily.tenant_id, SearchEventDaily.outcode),
                        SearchEventDaily.day >= first,
                        SearchEventDaily.day <= min(last, days_done),
                    )
                    .group_by(*keys_daily)
                )
                for outcode, cats, band, *figures in db.session.execute(query):
                    add(_categories_of(cats), outcode, band, figures)
                    weekly[number][0] += figures[0]
                    weekly[number][1] += figures[1]
                first = days_done + timedelta(days=1)
            if first > last:
                continue
            for _, outcode, cats, band, *figures in search_event_groups(
                london_midnight(first), london_midnight(last + timedelta(days=1)), demand
            ):
                add(cats, outcode, band.value, figures)
                weekly[number][0] += figures[0]
                weekly[number][1] += figures[1]
        return (
            [(*key, *figures) for key, figures in entries.items()],
            [(n, zero) for n, zero in weekly],
        )

    # Bookings

    def _booking_rows(self) -> Any:
        """This tenant's booking requests made in the period, one row each, with how they
        failed. Only bookings and pots: the cheap base of every booking figure. A CTE, read by
        each part of `_booking_parts` (PostgreSQL works it out once for all of them)."""
        return (
            select(
                Booking.id.label("id"),
                Booking.pot_id.label("pot_id"),
                Booking.listing_id.label("listing_id"),
                Booking.category_id.label("category_id"),
                Booking.created_at.label("created_at"),
                _failure_sql().label("failure"),
            )
            .join(Pot, Pot.id == Booking.pot_id)
            .where(
                Pot.tenant_id == self.tenant.id,
                Booking.created_at >= self.period.starts_at,
                Booking.created_at < self.period.ends_at,
            )
            .cte("requests")
        )

    @cached_property
    def _booking_parts(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every booking figure in one statement, so the period's requests and how each
        failed (a correlated subquery per provider cancellation) are worked out once, not once
        per figure: rows of (part, key, outcode, failure, four figures), part one of "groups"
        (`booking_groups`), "weeks" (`booking_weeks`) and "unspent" (`_unspent`)."""
        rows = self._booking_rows()
        statement = union_all(
            self._booking_groups_sql(rows),
            self._booking_weeks_sql(rows),
            *self._unspent_sql(rows),
        )
        found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for part, *values in db.session.execute(statement):
            found[part].append(tuple(values))
        return found

    def _booking_groups_sql(self, rows: Any) -> Any:
        """(category id, outcode, failure): requests, and of them those with a shift starting
        in each time of week. Each request's times of week are found first (one row a
        request), so the groups are counted without DISTINCT."""
        band = _slot_band_sql()

        def starts_in(value: TimeBand) -> Any:
            in_band = and_(RotaSlot.booking_id.is_not(None), band == value.value)
            return func.max(case((in_band, 1), else_=0)).label(value.value)

        per_request = (
            select(
                rows.c.category_id,
                rows.c.listing_id,
                rows.c.failure,
                *map(starts_in, BANDS_OF_THE_WEEK),
            )
            .select_from(rows)
            .outerjoin(RotaSlot, RotaSlot.booking_id == rows.c.id)
            .group_by(rows.c.id, rows.c.category_id, rows.c.listing_id, rows.c.failure)
            .subquery("per_request")
        )
        # The district of each listing asked for, worked out once per listing (a grouped
        # subquery is not merged into the outer query, so the string functions run per listing).
        place = outcode_sql(func.coalesce(Listing.postcode, Provider.postcode))
        places = (
            select(Listing.id.label("listing_id"), place.label("outcode"))
            .join(Provider, Provider.id == Listing.provider_id)
            .group_by(Listing.id, place)
            .subquery("places")
        )
        keys = (per_request.c.category_id, places.c.outcode, per_request.c.failure)
        return (
            select(
                literal("groups", String),
                *keys,
                func.count(),
                *(func.sum(per_request.c[b.value]) for b in BANDS_OF_THE_WEEK),
            )
            .select_from(per_request)
            .join(places, places.c.listing_id == per_request.c.listing_id)
            .group_by(*keys)
        )

    def _booking_weeks_sql(self, rows: Any) -> Any:
        """(week number): requests and failed requests."""
        week = _week_sql(rows.c.created_at, self.period.weeks())
        failed = func.sum(case((rows.c.failure != "", 1), else_=0))
        nothing, none = cast(literal(None), String), literal(0, BigInteger)
        return select(
            literal("weeks", String), week, nothing, nothing, func.count(), failed, none, none
        ).group_by(week)

    def _unspent_sql(self, rows: Any) -> tuple[Any, Any]:
        """(category id, or None for every category): budgets with a failed request in the
        period, of them holding more than UNSPENT_WEEKS of allocation, pence above that."""
        failed = (
            select(rows.c.pot_id, rows.c.category_id)
            .where(rows.c.failure != "")
            .distinct()
            .cte("failed")
        )
        threshold = case(
            (
                Pot.allocation_every_days > 0,
                cast(Pot.allocation_pence, BigInteger)
                * (7 * UNSPENT_WEEKS)
                // Pot.allocation_every_days,
            ),
            else_=0,
        )
        above = func.coalesce(LedgerAccount.balance_pence, 0) - threshold
        pots = (
            select(
                Pot.id.label("pot_id"),
                case((above > 0, 1), else_=0).label("over"),
                case((above > 0, above), else_=0).label("excess"),
            )
            .where(Pot.id.in_(select(failed.c.pot_id)))
            .outerjoin(
                # By its unique key (payments' ledger.account names it so): an indexed lookup.
                LedgerAccount,
                LedgerAccount.key
                == literal(f"{AccountKind.AVAILABLE.value}:pot:") + cast(Pot.id, String),
            )
            .cte("failed_pots")
        )
        nothing = cast(literal(None), String)
        figures = (func.count(), func.sum(pots.c.over), func.sum(pots.c.excess))
        none = literal(0, BigInteger)
        by_category = (
            select(
                literal("unspent", String), failed.c.category_id, nothing, nothing, *figures, none
            )
            .select_from(failed)
            .join(pots, pots.c.pot_id == failed.c.pot_id)
            .group_by(failed.c.category_id)
        )
        overall = select(
            literal("unspent", String),
            cast(literal(None), Integer),
            nothing,
            nothing,
            *figures,
            none,
        ).select_from(pots)
        return by_category, overall

    @cached_property
    def booking_groups(self) -> list[tuple[int, str | None, str, int, dict[TimeBand, int]]]:
        """(category id, outcode, failure, requests, requests by time of week). A request counts
        once in each time of week one of its shifts starts in."""
        return [
            (
                cat,
                outcode or None,
                failure,
                int(n),
                {b: int(m or 0) for b, m in zip(BANDS_OF_THE_WEEK, by_band, strict=True)},
            )
            for cat, outcode, failure, n, *by_band in self._booking_parts["groups"]
        ]

    @cached_property
    def booking_weeks(self) -> list[tuple[int, int]]:
        """Per week of the period: (requests, failed requests)."""
        weekly = [(0, 0) for _ in self.period.weeks()]
        for number, _, _, n, lost, _, _ in self._booking_parts["weeks"]:
            if 0 <= number < len(weekly):
                weekly[number] = (int(n), int(lost or 0))
        return weekly

    # Supply

    @cached_property
    def listings(
        self,
    ) -> list[tuple[int, int, bool, str | None, frozenset[str], dict[TimeBand, int]]]:
        """Published listings of the providers this tenant checks: (listing id, provider id,
        provider verified, outcode, category slugs, weekly minutes by time of week)."""
        own = (Provider.tenant_id == self.tenant.id, Listing.status == ListingStatus.PUBLISHED)
        outcode = outcode_sql(func.coalesce(Listing.postcode, Provider.postcode))
        found: dict[int, tuple[int, bool, str | None, set[str], dict[TimeBand, int]]] = {}
        query = (
            select(
                Listing.id,
                Listing.provider_id,
                Provider.verification_status,
                outcode,
                Category.slug,
            )
            .join(Provider, Provider.id == Listing.provider_id)
            .outerjoin(listing_categories, listing_categories.c.listing_id == Listing.id)
            .outerjoin(Category, Category.id == listing_categories.c.category_id)
            .where(*own)
        )
        for listing_id, provider_id, status, place, slug in db.session.execute(query):
            entry = found.setdefault(
                listing_id,
                (provider_id, status == VerificationStatus.VERIFIED, place or None, set(), {}),
            )
            if slug:
                entry[3].add(slug)
        windows = (
            select(
                AvailabilityRule.listing_id,
                AvailabilityRule.weekday,
                AvailabilityRule.start_time,
                AvailabilityRule.end_time,
                func.count(),
            )
            .join(Listing, Listing.id == AvailabilityRule.listing_id)
            .join(Provider, Provider.id == Listing.provider_id)
            .where(*own)
            .group_by(
                AvailabilityRule.listing_id,
                AvailabilityRule.weekday,
                AvailabilityRule.start_time,
                AvailabilityRule.end_time,
            )
        )
        for listing_id, weekday, start, end, n in db.session.execute(windows):
            minutes = found[listing_id][4]
            for band, m in window_minutes(weekday, start, end).items():
                minutes[band] = minutes.get(band, 0) + m * n
        return [
            (listing_id, provider_id, verified, place, frozenset(slugs), minutes)
            for listing_id, (provider_id, verified, place, slugs, minutes) in found.items()
        ]

    # Demand and supply in every cell, and by each dimension

    @cached_property
    def counts(self) -> dict[Key, Counts]:
        """Counts keyed (category, outcode, band), with ALL standing for every value; None is a
        search that chose no category or gave no postcode."""
        cells: dict[Key, Counts] = defaultdict(Counts)
        entries, _ = self._search_parts
        for category, outcode, band, n, zero, few in entries:
            for key in ((category, outcode, band), (category, outcode, ALL)):
                for wide in (key, (category, ALL, key[2])):
                    cell = cells[wide]
                    cell.searches += n
                    cell.zero_results += zero
                    cell.few_results += few
        for cat_id, outcode, failure, n, by_band in self.booking_groups:
            slug = {self.slug_of(cat_id)}
            for key in _keys(slug, outcode, None):
                _add_requests(cells[key], failure, n)
            for band, in_band in by_band.items():
                for key in _keys(slug, outcode, band.value, with_all_bands=False):
                    _add_requests(cells[key], failure, in_band)
        supply: dict[Key, Counts] = defaultdict(Counts)
        providers: dict[Key, set[int]] = defaultdict(set)
        for _, provider_id, verified, outcode, slugs, minutes in self.listings:
            times = [(band.value, m) for band, m in minutes.items() if m]
            times.append((ALL, sum(minutes.values())))
            for c in (*slugs, ALL):
                for o in (outcode, ALL):
                    for t, m in times:
                        cell = supply[(c, o, t)]
                        cell.listings += 1
                        cell.weekly_minutes += m
                        if verified:
                            providers[(c, o, t)].add(provider_id)
        for key, figures in supply.items():
            cell = cells[key]
            cell.listings = figures.listings
            cell.weekly_minutes = figures.weekly_minutes
            cell.providers = len(providers.get(key, ()))
        # Demand that chose no category, gave no postcode or no time is set against all supply.
        for key, cell in cells.items():
            wide = (
                ALL if key[0] is None else key[0],
                ALL if key[1] is None else key[1],
                ALL if key[2] == TimeBand.ANY.value else key[2],
            )
            if wide != key and wide in supply:
                figures = supply[wide]
                cell.listings = figures.listings
                cell.weekly_minutes = figures.weekly_minutes
                cell.providers = len(providers.get(wide, ()))
        return dict(cells)

    def slug_of(self, category_id: int) -> str:
        info = self.categories.get(category_id)
        return info.slug if info else str(category_id)

    def category_name(self, slug: str | None) -> str:
        if slug is None:
            return "No kind of support chosen"
        info = self.category_by_slug.get(slug)
        return info.name if info else slug

    def category_order(self, slug: str | None) -> tuple[int, str]:
        if slug is None:
            return (1_000_000, "")
        info = self.category_by_slug.get(slug)
        return (info.position if info else 999_999, slug)

    # Money

    @cached_property
    def spend(self) -> list[tuple[int, int, int]]:
        """Settled spend in the period from the tenant's pots: (category id, provider id, pence)."""
        total = func.sum(Hold.settled_pence)
        query = (
            select(Hold.category_id, Hold.provider_id, total)
            .join(Pot, Pot.id == Hold.pot_id)
            .where(
                Pot.tenant_id == self.tenant.id,
                Hold.status == HoldStatus.SETTLED,
                Hold.closed_at >= self.period.starts_at,
                Hold.closed_at < self.period.ends_at,
            )
            .group_by(Hold.category_id, Hold.provider_id)
        )
        return [(c, p, int(pence)) for c, p, pence in db.session.execute(query) if pence]

    @cached_property
    def _unspent(self) -> list[tuple[int | None, int, int, int]]:
        """(category id, or None for every category, budgets with a failed request in the
        period, of them holding more than UNSPENT_WEEKS of allocation, pence above that)."""
        return [
            (category, int(n), int(over or 0), int(pence or 0))
            for category, _, _, n, over, pence, _ in self._booking_parts["unspent"]
            if n
        ]

    @property
    def unspent_by_category(self) -> list[tuple[int | None, int, int, int]]:
        return [row for row in self._unspent if row[0] is not None]

    @property
    def unspent_total(self) -> tuple[int, int, int]:
        found = [row for row in self._unspent if row[0] is None]
        return (found[0][1], found[0][2], found[0][3]) if found else (0, 0, 0)

    @cached_property
    def hourly_prices(self) -> dict[str, list[tuple[int, int]]]:
        """Hourly rates of published listings by category slug: sorted (pence, listings)."""
        query = (
            select(Category.slug, Listing.price_pence, func.count())
            .join(listing_categories, listing_categories.c.category_id == Category.id)
            .join(Listing, Listing.id == listing_categories.c.listing_id)
            .join(Provider, Provider.id == Listing.provider_id)
            .where(
                Provider.tenant_id == self.tenant.id,
                Listing.status == ListingStatus.PUBLISHED,
                Listing.price_unit == PriceUnit.HOUR,
            )
            .group_by(Category.slug, Listing.price_pence)
            .order_by(Category.slug, Listing.price_pence)
        )
        found: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for slug, pence, n in db.session.execute(query):
            found[slug].append((pence, n))
        return dict(found)

    @cached_property
    def caps(self) -> list[int]:
        """The hourly caps for personal assistants of the tenant's open pots, lowest first."""
        return sorted(
            db.session.scalars(
                select(Pot.pa_hourly_cap_pence)
                .where(
                    Pot.tenant_id == self.tenant.id,
                    Pot.active.is_(True),
                    Pot.pa_hourly_cap_pence.is_not(None),
                )
                .distinct()
            )
        )

    @property
    def search_weeks(self) -> list[tuple[int, int]]:
        return self._search_parts[1]


def _keys(
    categories: Iterable[str | None],
    outcode: str | None,
    band: str | None,
    *,
    bands: Sequence[TimeBand] = (),
    with_all_bands: bool = True,
) -> list[Key]:
    """Every key a row adds to: itself and the totals over each dimension."""
    cats = [*categories, ALL]
    places = [outcode, ALL]
    if band is None:
        times = [b.value for b in bands] + [ALL]
    else:
        times = [band, ALL] if with_all_bands else [band]
    return [(c, o, t) for c in dict.fromkeys(cats) for o in places for t in times]


def _add_requests(cell: Counts, failure: str, n: int) -> None:
    cell.requests += n
    if failure == "declined":
        cell.declined += n
    elif failure == "expired":
        cell.expired += n
    elif failure == "unfilled":
        cell.unfilled += n


# The tables, one function each: plain rows with the figures


@dataclass(frozen=True)
class OverviewRow:
    measure: str
    value: int | None  # None: not shown (fewer than SMALL_NUMBER budgets)
    unit: str = "count"  # count, pence or minutes


@dataclass(frozen=True)
class CategoryRow:
    category: str
    counts: Counts


@dataclass(frozen=True)
class AreaRow:
    outcode: str
    local_authority: str
    counts: Counts


@dataclass(frozen=True)
class TimeRow:
    time_band: TimeBand
    counts: Counts


@dataclass(frozen=True)
class CellRow:
    category: str
    outcode: str
    local_authority: str
    time_band: TimeBand
    counts: Counts


@dataclass(frozen=True)
class GapRow:
    rank: int
    cell: CellRow


@dataclass(frozen=True)
class PriceRow:
    category: str
    listings: int
    lower_quartile: int
    median: int
    upper_quartile: int
    lowest_cap: int | None  # None: no cap applies to this category, or none is set
    highest_cap: int | None
    above_lowest_cap: int | None


@dataclass(frozen=True)
class ConcentrationRow:
    category: str
    spend_pence: int
    providers: int
    top_three_share: Decimal  # per cent, one decimal place
    hhi: int  # sum of squared percentage shares, 0 to 10,000


@dataclass(frozen=True)
class UnspentRow:
    category: str
    pots: int  # budgets with a failed request
    pots_above: int  # of them, holding more than UNSPENT_WEEKS weeks of allocation
    unspent_pence: int | None  # None when pots_above < SMALL_NUMBER (not shown)


@dataclass(frozen=True)
class TrendRow:
    week_from: date
    week_to: date
    searches: int
    zero_results: int
    requests: int
    failed: int


NOT_GIVEN = "Not given"


def overview(facts: MarketFacts) -> list[OverviewRow]:
    c = facts.counts.get((ALL, ALL, ALL), Counts())
    pots, above, pence = facts.unspent_total
    return [
        OverviewRow("Searches", c.searches),
        OverviewRow("Searches with no results", c.zero_results),
        OverviewRow(f"Searches with 1 to {FEW_RESULTS_MAX} results", c.few_results),
        OverviewRow("Booking requests", c.requests),
        OverviewRow("Requests declined by the provider", c.declined),
        OverviewRow("Requests with no reply in time (expired)", c.expired),
        OverviewRow("Requests unfilled", c.unfilled),
        OverviewRow("Budgets with a failed request", pots),
        OverviewRow(
            f"Of them, budgets holding more than {UNSPENT_WEEKS} weeks of allocation", above
        ),
        OverviewRow(
            f"Money in those budgets above {UNSPENT_WEEKS} weeks of allocation",
            pence if above >= SMALL_NUMBER else None,
            "pence",
        ),
        OverviewRow("Published listings", c.listings),
        OverviewRow("Verified providers with a published listing", c.providers),
        OverviewRow("Weekly hours of availability", c.weekly_minutes, "minutes"),
    ]


def by_category(facts: MarketFacts) -> list[CategoryRow]:
    keys = [k for k, v in facts.counts.items() if k[1] == ALL and k[2] == ALL and k[0] != ALL]
    keys.sort(key=lambda k: facts.category_order(k[0]))
    return [CategoryRow(facts.category_name(k[0]), facts.counts[k]) for k in keys]


def _outcode_order(outcode: str | None) -> tuple[int, str]:
    return (1, "") if outcode is None else (0, outcode)


def by_area(facts: MarketFacts) -> list[AreaRow]:
    keys = [k for k in facts.counts if k[0] == ALL and k[2] == ALL and k[1] != ALL]
    keys.sort(key=lambda k: _outcode_order(k[1]))
    return [
        AreaRow(k[1] or NOT_GIVEN, council_label(k[1], facts.own_codes), facts.counts[k])
        for k in keys
    ]


def by_time(facts: MarketFacts) -> list[TimeRow]:
    keys = [k for k in facts.counts if k[0] == ALL and k[1] == ALL and k[2] != ALL]
    keys.sort(key=lambda k: BAND_ORDER[k[2]])
    return [TimeRow(TimeBand(k[2]), facts.counts[k]) for k in keys]


def _cell_keys(facts: MarketFacts) -> list[Key]:
    """Every category × district × time of week with any demand or supply, in table order."""
    keys = [k for k, v in facts.counts.items() if ALL not in k and v.has_any]
    keys.sort(
        key=lambda k: (
            facts.category_order(k[0]),
            _outcode_order(k[1]),
            BAND_ORDER[k[2]],
        )
    )
    return keys


def _cell_row(facts: MarketFacts, key: Key) -> CellRow:
    return CellRow(
        facts.category_name(key[0]),
        key[1] or NOT_GIVEN,
        council_label(key[1], facts.own_codes),
        TimeBand(key[2]),
        facts.counts[key],
    )


def cells(facts: MarketFacts) -> list[CellRow]:
    """Every category × district × time of week with any demand or supply."""
    return [_cell_row(facts, key) for key in _cell_keys(facts)]


def top_gaps(facts: MarketFacts, limit: int = TOP_GAPS) -> list[GapRow]:
    """The cells with the most unmet demand for their supply (highest gap score first; ties by
    more unmet demand, then in table order)."""
    ranked = [key for key in _cell_keys(facts) if facts.counts[key].unmet > 0]
    ranked.sort(key=lambda key: (-facts.counts[key].gap_score, -facts.counts[key].unmet))
    return [GapRow(n, _cell_row(facts, key)) for n, key in enumerate(ranked[:limit], start=1)]


def quartiles(prices: Sequence[tuple[int, int]]) -> tuple[int, int, int]:
    """Lower quartile, median and upper quartile of (pence, how many) sorted by pence, by linear
    interpolation between ranked values (PostgreSQL's percentile_cont, a spreadsheet's
    QUARTILE.INC), rounded to the penny."""
    values: list[int] = []
    total = sum(n for _, n in prices)
    if total == 0:
        raise ValueError("no prices")

    def at(rank: int) -> int:  # the rank-th value (0-based) without expanding the counts
        seen = 0
        for pence, n in prices:
            seen += n
            if rank < seen:
                return pence
        return prices[-1][0]

    for quarter in (1, 2, 3):
        position = Fraction(quarter * (total - 1), 4)
        low = math.floor(position)
        value = at(low) + (position - low) * (at(min(low + 1, total - 1)) - at(low))
        values.append(int(_round(Fraction(value), "1")))
    return values[0], values[1], values[2]


def price_bands(facts: MarketFacts) -> list[PriceRow]:
    rows = []
    caps = facts.caps
    for slug in sorted(facts.hourly_prices, key=facts.category_order):
        prices = facts.hourly_prices[slug]
        lower, median, upper = quartiles(prices)
        info = facts.category_by_slug.get(slug)
        capped = bool(info and info.is_personal_assistance and caps)
        rows.append(
            PriceRow(
                facts.category_name(slug),
                sum(n for _, n in prices),
                lower,
                median,
                upper,
                caps[0] if capped else None,
                caps[-1] if capped else None,
                sum(n for pence, n in prices if pence > caps[0]) if capped else None,
            )
        )
    return rows


def concentration(facts: MarketFacts) -> list[ConcentrationRow]:
    by_category: dict[int, list[int]] = defaultdict(list)
    for cat_id, _, pence in facts.spend:
        by_category[cat_id].append(pence)
    rows = []
    for cat_id, amounts in by_category.items():
        total = sum(amounts)
        amounts.sort(reverse=True)
        top = Fraction(100 * sum(amounts[:3]), total)
        hhi = Fraction(10_000 * sum(a * a for a in amounts), total * total)
        rows.append(
            ConcentrationRow(
                facts.category_name(facts.slug_of(cat_id)),
                total,
                len(amounts),
                _round(top, "0.1"),
                int(_round(hhi, "1")),
            )
        )
    rows.sort(key=lambda r: (-r.hhi, r.category))
    return rows


def _tenths(value: Fraction) -> str:
    """A fraction of at least 0 to one decimal place, rounded half up: '2.1', '1,234.0'."""
    tenths = (value.numerator * 20 + value.denominator) // (2 * value.denominator)
    return f"{tenths // 10:,}.{tenths % 10}"


def _round(value: Fraction, places: str) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal(places), rounding=ROUND_HALF_UP
    )


def unspent(facts: MarketFacts) -> list[UnspentRow]:
    rows = [
        UnspentRow(
            facts.category_name(facts.slug_of(cat_id)) if cat_id is not None else "",
            pots,
            above,
            pence if above >= SMALL_NUMBER else None,
        )
        for cat_id, pots, above, pence in facts.unspent_by_category
    ]
    rows.sort(key=lambda r: r.category)
    return rows


def trend(facts: MarketFacts) -> list[TrendRow]:
    return [
        TrendRow(first, last, searches, zero, requests, failed)
        for (first, last), (searches, zero), (requests, failed) in zip(
            facts.period.weeks(), facts.search_weeks, facts.booking_weeks, strict=True
        )
    ]


# The same tables as text: what the page shows and the CSV files hold, cell for cell


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[list[str]]

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.header for c in self.columns])
        writer.writerows(self.rows)
        return out.getvalue()


def _n(value: int) -> str:
    return f"{value:,}"


def _hours(minutes: int) -> str:
    return _tenths(Fraction(minutes, 60)).removesuffix(".0")


def _money(pence: int | None) -> str:
    return format_pence(pence) if pence is not None else f"Fewer than {SMALL_NUMBER} budgets"


_DEMAND_SUPPLY = (
    Column("Searches", True),
    Column("No results", True),
    Column(f"1 to {FEW_RESULTS_MAX} results", True),
    Column("Requests", True),
    Column("Declined", True),
    Column("Expired", True),
    Column("Unfilled", True),
    Column("Published listings", True),
    Column("Verified providers", True),
    Column("Weekly hours", True),
)


def _figures(c: Counts) -> list[str]:
    return [
        _n(c.searches),
        _n(c.zero_results),
        _n(c.few_results),
        _n(c.requests),
        _n(c.declined),
        _n(c.expired),
        _n(c.unfilled),
        _n(c.listings),
        _n(c.providers),
        _hours(c.weekly_minutes),
    ]


def _score(c: Counts) -> str:
    return _tenths(c.gap_score)


def _overview_cells(row: OverviewRow) -> list[str]:
    if row.unit == "pence":
        return [row.measure, _money(row.value)]
    if row.unit == "minutes":
        return [row.measure, _hours(row.value or 0)]
    return [row.measure, _n(row.value or 0)]


def _cap(pence: int | None) -> str:
    return format_pence(pence) if pence is not None else "No cap"


@dataclass(frozen=True)
class TableSpec:
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[MarketFacts], Sequence[Any]]
    cells: Callable[[Any], list[str]]


TABLES: dict[str, TableSpec] = {
    "overview": TableSpec(
        "Demand and supply in the period",
        (Column("Measure"), Column("Figure", True)),
        overview,
        _overview_cells,
    ),
    "gaps": TableSpec(
        "Top gaps: most unmet demand for the supply there",
        (
            Column("Rank", True),
            Column("Kind of support"),
            Column("District"),
            Column("Council"),
            Column("Time of week"),
            Column("Unmet demand", True),
            Column("Weekly hours", True),
            Column("Gap score", True),
        ),
        top_gaps,
        lambda g: [
            str(g.rank),
            g.cell.category,
            g.cell.outcode,
            g.cell.local_authority,
            g.cell.time_band.short_label,
            _n(g.cell.counts.unmet),
            _hours(g.cell.counts.weekly_minutes),
            _score(g.cell.counts),
        ],
    ),
    "categories": TableSpec(
        "By kind of support",
        (Column("Kind of support"), *_DEMAND_SUPPLY),
        by_category,
        lambda r: [r.category, *_figures(r.counts)],
    ),
    "areas": TableSpec(
        "By area",
        (Column("District"), Column("Council"), *_DEMAND_SUPPLY),
        by_area,
        lambda r: [r.outcode, r.local_authority, *_figures(r.counts)],
    ),
    "times": TableSpec(
        "By time of week",
        (Column("Time of week"), *_DEMAND_SUPPLY),
        by_time,
        lambda r: [r.time_band.short_label, *_figures(r.counts)],
    ),
    "prices": TableSpec(
        "Hourly rates against your caps",
        (
            Column("Kind of support"),
            Column("Listings priced by the hour", True),
            Column("Lower quartile", True),
            Column("Median", True),
            Column("Upper quartile", True),
            Column("Lowest cap", True),
            Column("Highest cap", True),
            Column("Listings above the lowest cap", True),
        ),
        price_bands,
        lambda r: [
            r.category,
            _n(r.listings),
            format_pence(r.lower_quartile),
            format_pence(r.median),
            format_pence(r.upper_quartile),
            _cap(r.lowest_cap),
            _cap(r.highest_cap),
            _n(r.above_lowest_cap) if r.above_lowest_cap is not None else "No cap",
        ],
    ),
    "concentration": TableSpec(
        "Provider concentration of settled spend",
        (
            Column("Kind of support"),
            Column("Settled spend", True),
            Column("Providers paid", True),
            Column("Top 3 providers' share", True),
            Column("HHI (0 to 10,000)", True),
        ),
        concentration,
        lambda r: [
            r.category,
            format_pence(r.spend_pence),
            _n(r.providers),
            f"{r.top_three_share}%",
            _n(r.hhi),
        ],
    ),
    "unspent": TableSpec(
        "Unspent money in budgets with failed requests",
        (
            Column("Kind of support"),
            Column("Budgets with a failed request", True),
            Column(f"Holding more than {UNSPENT_WEEKS} weeks of allocation", True),
            Column(f"Money above {UNSPENT_WEEKS} weeks of allocation", True),
        ),
        unspent,
        lambda r: [r.category, _n(r.pots), _n(r.pots_above), _money(r.unspent_pence)],
    ),
    "trend": TableSpec(
        "Week by week",
        (
            Column("Week"),
            Column("Searches", True),
            Column("No results", True),
            Column("Requests", True),
            Column("Failed requests", True),
        ),
        trend,
        lambda r: [
            _week_label(r.week_from, r.week_to),
            _n(r.searches),
            _n(r.zero_results),
            _n(r.requests),
            _n(r.failed),
        ],
    ),
    "cells": TableSpec(
        "Every kind of support, district and time of week",
        (
            Column("Kind of support"),
            Column("District"),
            Column("Council"),
            Column("Time of week"),
            *_DEMAND_SUPPLY,
            Column("Gap score", True),
        ),
        cells,
        lambda r: [
            r.category,
            r.outcode,
            r.local_authority,
            r.time_band.short_label,
            *_figures(r.counts),
            _score(r.counts),
        ],
    ),
}


def _week_label(first: date, last: date) -> str:
    if first == last:
        return f"{first:%-d %b %Y}"
    return f"{first:%-d %b} to {last:%-d %b %Y}"


def table(name: str, facts: MarketFacts, rows: Sequence[Any] | None = None) -> Table:
    """One table as text. Raises KeyError for an unknown name."""
    spec = TABLES[name]
    found = spec.rows(facts) if rows is None else rows
    return Table(name, spec.title, spec.columns, [spec.cells(row) for row in found])


def report(tenant: Tenant, period: Period, names: Iterable[str] = TABLES) -> dict[str, Table]:
    """The tables named (all by default) of one tenant's report for one period."""
    facts = MarketFacts(tenant, period)
    return {name: table(name, facts) for name in names}
