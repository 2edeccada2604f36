"""The report's tables, one function each: plain rows with the figures."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from marketplace.commissioning.market.areas import council_label
from marketplace.commissioning.market.counts import ALL, Counts, Key
from marketplace.commissioning.market.facts import MarketFacts
from marketplace.commissioning.market.rules import (
    FEW_RESULTS_MAX,
    SMALL_NUMBER,
    TOP_GAPS,
    UNSPENT_WEEKS,
)
from marketplace.commissioning.market.times import BAND_ORDER, TimeBand


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


@dataclass(frozen=True)
class WaitingRow:
    category: str
    outcode: str
    local_authority: str
    saved_searches: int


NOT_GIVEN = "Not given"
SAVED_WAITING = "Saved searches still finding nothing"


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
        OverviewRow(SAVED_WAITING, facts.saved_waiting_total),
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


def waiting(facts: MarketFacts) -> list[WaitingRow]:
    """Saved searches that still find nothing, by kind of support and district: demand of its
    own, apart from the searches and requests of the period (a saved search is counted once,
    under each kind of support it asks for; never with who saved it)."""
    keys = sorted(
        facts.saved_waiting,
        key=lambda k: (facts.category_order(k[0]), _outcode_order(k[1])),
    )
    return [
        WaitingRow(
            facts.category_name(slug),
            outcode or NOT_GIVEN,
            council_label(outcode, facts.own_codes),
            facts.saved_waiting[(slug, outcode)],
        )
        for slug, outcode in keys
    ]


def trend(facts: MarketFacts) -> list[TrendRow]:
    return [
        TrendRow(first, last, searches, zero, requests, failed)
        for (first, last), (searches, zero), (requests, failed) in zip(
            facts.period.weeks(), facts.search_weeks, facts.booking_weeks, strict=True
        )
    ]
