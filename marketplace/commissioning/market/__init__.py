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

The rooms: `rules` (the figures the page states), `times` (times of week), `periods` (the period
and its weeks), `areas` (districts and their councils), `counts` (the figures of one cell),
`rollup` (search events grouped and rolled up), `facts` (everything a report reads),
`tables` (one function per table), `export` (the tables as text and CSV), `charts` and
`views` (the pages). This module only re-exports the report's public names.
"""

from __future__ import annotations

from marketplace.commissioning.market.areas import (
    Vector,
    area_outcodes,
    council_label,
    nearest_council,
    outcode_sql,
)
from marketplace.commissioning.market.counts import ALL, Counts, Key
from marketplace.commissioning.market.export import TABLES, Column, Table, TableSpec, report, table
from marketplace.commissioning.market.facts import MarketFacts
from marketplace.commissioning.market.periods import (
    Period,
    ReportError,
    default_period,
    london_midnight,
    period_for,
)
from marketplace.commissioning.market.rollup import (
    ROLLUP_NAME,
    WEEKLY_ROLLUP_NAME,
    Demand,
    rolled_up_to,
    rollup,
    search_event_groups,
)
from marketplace.commissioning.market.rules import (
    DAYTIME_STARTS,
    DEFAULT_WEEKS,
    EVENING_STARTS,
    FEW_RESULTS_MAX,
    GAP_HOURS_UNIT,
    MAX_PERIOD_DAYS,
    SMALL_NUMBER,
    TOP_GAPS,
    UNSPENT_WEEKS,
)
from marketplace.commissioning.market.tables import (
    NOT_GIVEN,
    AreaRow,
    CategoryRow,
    CellRow,
    ConcentrationRow,
    GapRow,
    OverviewRow,
    PriceRow,
    TimeRow,
    TrendRow,
    UnspentRow,
    WaitingRow,
    by_area,
    by_category,
    by_time,
    cells,
    concentration,
    overview,
    price_bands,
    quartiles,
    top_gaps,
    trend,
    unspent,
    waiting,
)
from marketplace.commissioning.market.times import (
    BAND_ORDER,
    BANDS_OF_THE_WEEK,
    TimeBand,
    band_of,
    window_minutes,
)

__all__ = [
    "FEW_RESULTS_MAX",
    "DEFAULT_WEEKS",
    "MAX_PERIOD_DAYS",
    "UNSPENT_WEEKS",
    "SMALL_NUMBER",
    "GAP_HOURS_UNIT",
    "TOP_GAPS",
    "DAYTIME_STARTS",
    "EVENING_STARTS",
    "ROLLUP_NAME",
    "WEEKLY_ROLLUP_NAME",
    "ReportError",
    "TimeBand",
    "BANDS_OF_THE_WEEK",
    "BAND_ORDER",
    "band_of",
    "window_minutes",
    "london_midnight",
    "Period",
    "default_period",
    "period_for",
    "ALL",
    "outcode_sql",
    "Vector",
    "nearest_council",
    "area_outcodes",
    "council_label",
    "Counts",
    "Key",
    "Demand",
    "search_event_groups",
    "rolled_up_to",
    "rollup",
    "MarketFacts",
    "OverviewRow",
    "CategoryRow",
    "AreaRow",
    "TimeRow",
    "CellRow",
    "GapRow",
    "PriceRow",
    "ConcentrationRow",
    "UnspentRow",
    "TrendRow",
    "WaitingRow",
    "NOT_GIVEN",
    "overview",
    "by_category",
    "by_area",
    "by_time",
    "cells",
    "top_gaps",
    "quartiles",
    "price_bands",
    "concentration",
    "unspent",
    "trend",
    "waiting",
    "Column",
    "Table",
    "TableSpec",
    "TABLES",
    "table",
    "report",
]
