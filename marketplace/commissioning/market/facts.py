"""Everything the report's tables are made from, read once per report: one tenant's grouped
rows for one period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)

from marketplace.accounts.models import Tenant
from marketplace.bookings.models import Booking, RotaSlot
from marketplace.commissioning.market.areas import area_outcodes, outcode_sql
from marketplace.commissioning.market.counts import (
    ALL,
    Counts,
    Key,
    add_requests,
    failure_sql,
    row_keys,
)
from marketplace.commissioning.market.periods import Period, london_midnight, week_sql
from marketplace.commissioning.market.rollup import (
    WEEKLY_ROLLUP_NAME,
    Demand,
    categories_of,
    daily_totals,
    rolled_up_to,
    search_event_groups,
    tune_for_aggregates,
)
from marketplace.commissioning.market.rules import UNSPENT_WEEKS
from marketplace.commissioning.market.times import (
    BANDS_OF_THE_WEEK,
    TimeBand,
    slot_band_sql,
    window_minutes,
)
from marketplace.commissioning.models import SearchEventDaily, SearchEventWeekly
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
from marketplace.directory.services import on_this_service_clause
from marketplace.extensions import db
from marketplace.payments.models import AccountKind, Hold, HoldStatus, LedgerAccount, Pot
from marketplace.saved_searches.demand import waiting_by_area, waiting_total


@dataclass(frozen=True)
class _CategoryInfo:
    slug: str
    name: str
    position: int
    is_personal_assistance: bool


@dataclass
class MarketFacts:
    """The grouped rows of one tenant's report for one period. Each part is read on first use."""

    tenant: Tenant
    period: Period
    own_codes: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.own_codes = frozenset(area.gss_code for area in self.tenant.areas)
        tune_for_aggregates()

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
                    select(*keys_daily, *daily_totals())
                    .where(
                        demand.where(SearchEventDaily.tenant_id, SearchEventDaily.outcode),
                        SearchEventDaily.day >= first,
                        SearchEventDaily.day <= min(last, days_done),
                    )
                    .group_by(*keys_daily)
                )
                for outcode, cats, band, *figures in db.session.execute(query):
                    add(categories_of(cats), outcode, band, figures)
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
                failure_sql().label("failure"),
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
        band = slot_band_sql()

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
        week = week_sql(rows.c.created_at, self.period.weeks())
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
        """Published listings of the providers this tenant checks that are on this service (an
        entry from the CQC register nobody has claimed cannot be booked, so is no supply):
        (listing id, provider id, provider verified, outcode, category slugs, weekly minutes by
        time of week)."""
        own = (
            Provider.tenant_id == self.tenant.id,
            Listing.status == ListingStatus.PUBLISHED,
            on_this_service_clause(),
        )
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
            for key in row_keys(slug, outcode, None):
                add_requests(cells[key], failure, n)
            for band, in_band in by_band.items():
                for key in row_keys(slug, outcode, band.value, with_all_bands=False):
                    add_requests(cells[key], failure, in_band)
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
                on_this_service_clause(),
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

    # Saved searches

    @cached_property
    def saved_waiting(self) -> dict[tuple[str | None, str | None], int]:
        """Saved searches of the tenant's people, made before the period ends, that found
        nothing when last run: by (kind of support slug or None, district or None)."""
        return waiting_by_area(self.tenant.id, self.period.ends_at)

    @cached_property
    def saved_waiting_total(self) -> int:
        return waiting_total(self.tenant.id, self.period.ends_at)

    @property
    def search_weeks(self) -> list[tuple[int, int]]:
        return self._search_parts[1]
