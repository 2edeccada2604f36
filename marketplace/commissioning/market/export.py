"""The report's tables as text: what the page shows and the CSV files hold, cell for cell."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from marketplace.accounts.models import Tenant
from marketplace.commissioning.market.counts import Counts
from marketplace.commissioning.market.facts import MarketFacts
from marketplace.commissioning.market.periods import Period
from marketplace.commissioning.market.rules import FEW_RESULTS_MAX, SMALL_NUMBER, UNSPENT_WEEKS
from marketplace.commissioning.market.tables import (
    OverviewRow,
    by_area,
    by_category,
    by_time,
    cells,
    concentration,
    overview,
    price_bands,
    top_gaps,
    trend,
    unspent,
    waiting,
)
from marketplace.money import format_pence


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
        """The table for a spreadsheet: the page's words, but each figure a plain number a
        spreadsheet can add up ("£1,234.50" is 1234.50 under a header that says "(£)", "95.0%"
        is 95.0 under "(%)"); words in a figure's place ("No cap") stay words."""
        units = [
            _unit(self.rows, index) if column.numeric else ""
            for index, column in enumerate(self.columns)
        ]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.header + unit for c, unit in zip(self.columns, units, strict=True)])
        for row in self.rows:
            writer.writerow(
                [
                    _plain(text) if column.numeric else text
                    for column, text in zip(self.columns, row, strict=True)
                ]
            )
        return out.getvalue()


_FIGURE = re.compile(r"(?P<pounds>£)?(?P<number>-?[0-9][0-9,]*(?:\.[0-9]+)?)(?P<percent>%)?")


def _plain(text: str) -> str:
    """A figure as a spreadsheet reads it ("£1,234.50" → "1234.50"); anything else as it is."""
    found = _FIGURE.fullmatch(text)
    return found["number"].replace(",", "") if found else text


def _unit(rows: list[list[str]], index: int) -> str:
    """The unit of a column of figures for its CSV header: " (£)", " (%)" or nothing."""
    for row in rows:
        found = _FIGURE.fullmatch(row[index])
        if found and found["pounds"]:
            return " (£)"
        if found and found["percent"]:
            return " (%)"
    return ""


def _tenths(value: Fraction) -> str:
    """A fraction of at least 0 to one decimal place, rounded half up: '2.1', '1,234.0'."""
    tenths = (value.numerator * 20 + value.denominator) // (2 * value.denominator)
    return f"{tenths // 10:,}.{tenths % 10}"


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
    "waiting": TableSpec(
        "Saved searches still finding nothing",
        (
            Column("Kind of support"),
            Column("District"),
            Column("Council"),
            Column("Saved searches", True),
        ),
        waiting,
        lambda r: [r.category, r.outcode, r.local_authority, _n(r.saved_searches)],
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
