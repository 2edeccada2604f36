"""Charts for the market gap report, drawn on the server as SVG from the same rows as its tables.

Each chart is a plain description (rectangles, lines, text) that `templates/commissioning/
market_chart.html` writes out as inline SVG with presentation attributes only (the Content
Security Policy forbids style attributes), `role="img"`, a title and a description. The table
beside each chart is its full text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from marketplace.commissioning.market.tables import (
    CategoryRow,
    ConcentrationRow,
    GapRow,
    PriceRow,
    TrendRow,
)
from marketplace.money import format_pence

# GOV.UK Frontend's colours: text, blue, orange, red, green, mid grey, light grey.
INK = "#0b0c0c"
BLUE = "#1d70b8"
ORANGE = "#f47738"
RED = "#d4351c"
GREEN = "#00703c"
GREY = "#505a5f"
LIGHT = "#b1b4b6"

WIDTH = 640
LABEL_WIDTH = 250
LEGEND_X = 8  # a legend starts at the left edge, so it fits within WIDTH
ROW_HEIGHT = 30
TOP = 40
BOTTOM = 30
RIGHT = 70


@dataclass(frozen=True)
class Shape:
    kind: str  # rect, line, polyline, circle or text
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    x2: float = 0
    y2: float = 0
    points: str = ""
    text: str = ""
    anchor: str = "start"
    colour: str = INK
    stroke_width: float = 2
    dash: str = ""
    bold: bool = False


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _scale(value: float, top: float, span: float) -> float:
    return 0 if top <= 0 else round(span * value / top, 1)


def _bars(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, float, str]],
    colour: str = BLUE,
    maximum: float | None = None,
) -> Chart:
    """Horizontal bars: (label, value, value as text) per row."""
    span = WIDTH - LABEL_WIDTH - RIGHT
    top = maximum if maximum is not None else max((v for _, v, _ in rows), default=0)
    shapes = [
        Shape("line", x=LABEL_WIDTH, y=TOP - 10, x2=LABEL_WIDTH, y2=TOP + ROW_HEIGHT * len(rows))
    ]
    for n, (label, value, shown) in enumerate(rows):
        y = TOP + n * ROW_HEIGHT
        length = _scale(value, top, span)
        shapes.append(Shape("text", x=LABEL_WIDTH - 8, y=y + 19, text=_short(label), anchor="end"))
        shapes.append(Shape("rect", x=LABEL_WIDTH, y=y + 5, width=length, height=20, colour=colour))
        shapes.append(Shape("text", x=LABEL_WIDTH + length + 6, y=y + 19, text=shown))
    return Chart(chart_id, title, description, WIDTH, TOP + ROW_HEIGHT * len(rows) + BOTTOM, shapes)


def gaps_chart(rows: Sequence[GapRow]) -> Chart:
    def label(row: GapRow) -> str:
        return f"{row.rank}. {row.cell.category}, {row.cell.outcode}"

    return _bars(
        "chart-gaps",
        "Gap score of the top gaps",
        "Horizontal bars, one per gap in rank order, longest for the highest gap score. "
        "The table before this chart gives every figure.",
        [
            (label(r), float(r.cell.counts.gap_score), f"{float(r.cell.counts.gap_score):.1f}")
            for r in rows[:10]
        ],
        colour=RED,
    )


def categories_chart(rows: Sequence[CategoryRow]) -> Chart:
    return _bars(
        "chart-categories",
        "Unmet demand by kind of support",
        "Horizontal bars of unmet demand (searches with no or few results and failed requests) "
        "for each kind of support. The table before this chart gives every figure.",
        [(r.category, r.counts.unmet, f"{r.counts.unmet:,}") for r in rows],
        colour=ORANGE,
    )


def concentration_chart(rows: Sequence[ConcentrationRow]) -> Chart:
    return _bars(
        "chart-concentration",
        "Provider concentration (HHI) by kind of support",
        "Horizontal bars of the Herfindahl-Hirschman index from 0 to 10,000 for each kind of "
        "support; 10,000 means one provider was paid all of it. The table before this chart "
        "gives every figure.",
        [(r.category, r.hhi, f"{r.hhi:,}") for r in rows],
        maximum=10_000,
    )


def prices_chart(rows: Sequence[PriceRow]) -> Chart:
    """For each kind: a bar from the lower to the upper quartile, a mark at the median and a
    dashed red mark at the lowest cap."""
    span = WIDTH - LABEL_WIDTH - RIGHT
    top = max([r.upper_quartile for r in rows] + [r.lowest_cap or 0 for r in rows] + [1]) * 1.1
    height = TOP + ROW_HEIGHT * len(rows) + BOTTOM
    shapes = [
        Shape("line", x=LABEL_WIDTH, y=TOP - 10, x2=LABEL_WIDTH, y2=height - BOTTOM),
        Shape("text", x=LABEL_WIDTH, y=height - 8, text="£0"),
        Shape(
            "text", x=LABEL_WIDTH + span, y=height - 8, text=format_pence(int(top)), anchor="end"
        ),
        Shape("rect", x=LEGEND_X, y=8, width=24, height=12, colour=BLUE),
        Shape("text", x=LEGEND_X + 30, y=19, text="Lower to upper quartile"),
        Shape(
            "line",
            x=LEGEND_X + 230,
            y=6,
            x2=LEGEND_X + 230,
            y2=22,
            colour=INK,
            stroke_width=3,
        ),
        Shape("text", x=LEGEND_X + 238, y=19, text="Median"),
        Shape("line", x=LEGEND_X + 320, y=6, x2=LEGEND_X + 320, y2=22, colour=RED, dash="4 3"),
        Shape("text", x=LEGEND_X + 328, y=19, text="Lowest cap"),
    ]
    for n, row in enumerate(rows):
        y = TOP + n * ROW_HEIGHT
        low = LABEL_WIDTH + _scale(row.lower_quartile, top, span)
        high = LABEL_WIDTH + _scale(row.upper_quartile, top, span)
        middle = LABEL_WIDTH + _scale(row.median, top, span)
        shapes += [
            Shape("text", x=LABEL_WIDTH - 8, y=y + 19, text=_short(row.category), anchor="end"),
            Shape("rect", x=low, y=y + 8, width=max(high - low, 2), height=14, colour=BLUE),
            Shape("line", x=middle, y=y + 3, x2=middle, y2=y + 27, colour=INK, stroke_width=3),
        ]
        if row.lowest_cap is not None:
            cap = LABEL_WIDTH + _scale(row.lowest_cap, top, span)
            shapes.append(Shape("line", x=cap, y=y + 1, x2=cap, y2=y + 29, colour=RED, dash="4 3"))
    return Chart(
        "chart-prices",
        "Hourly rates by kind of support against the lowest cap",
        "For each kind of support a bar runs from the lower to the upper quartile of hourly "
        "rates, with a mark at the median and a dashed mark at the lowest hourly cap where one "
        "applies. The table before this chart gives every figure.",
        WIDTH,
        height,
        shapes,
    )


SERIES = (
    ("Searches", BLUE, ""),
    ("No results", RED, "6 3"),
    ("Requests", GREEN, ""),
    ("Failed requests", ORANGE, "2 3"),
)


def trend_chart(rows: Sequence[TrendRow]) -> Chart:
    """Four lines across the weeks, each with its own colour and dash pattern, and a legend."""
    left, right, top_y, height = 50, WIDTH - 40, 60, 300
    bottom_y = height - 40
    values = [(r.searches, r.zero_results, r.requests, r.failed) for r in rows]
    top = max((max(v) for v in values), default=0) or 1
    step = (right - left) / max(len(rows) - 1, 1)
    shapes = [
        Shape("line", x=left, y=bottom_y, x2=right, y2=bottom_y, colour=GREY, stroke_width=1),
        Shape("line", x=left, y=top_y, x2=left, y2=bottom_y, colour=GREY, stroke_width=1),
        Shape("text", x=left - 6, y=bottom_y + 5, text="0", anchor="end"),
        Shape("text", x=left - 6, y=top_y + 5, text=f"{top:,}", anchor="end"),
    ]
    for n, (name, colour, dash) in enumerate(SERIES):
        key_x = left + n * 145
        shapes.append(
            Shape(
                "line",
                x=key_x,
                y=20,
                x2=key_x + 28,
                y2=20,
                colour=colour,
                stroke_width=3,
                dash=dash,
            )
        )
        shapes.append(Shape("text", x=key_x + 34, y=25, text=name))
    for series, (_, colour, dash) in enumerate(SERIES):
        points = []
        for n, v in enumerate(values):
            x = round(left + n * step, 1)
            y = round(bottom_y - float(Fraction(v[series] * (bottom_y - top_y), top)), 1)
            points.append(f"{x},{y}")
            shapes.append(Shape("circle", x=x, y=y, width=3, colour=colour))
        shapes.append(
            Shape("polyline", points=" ".join(points), colour=colour, stroke_width=2, dash=dash)
        )
    every = max(1, len(rows) // 6)
    for n, row in enumerate(rows):
        if n % every == 0:
            x = round(left + n * step, 1)
            anchor = "start" if n == 0 else "end" if n == len(rows) - 1 else "middle"
            shapes.append(
                Shape("text", x=x, y=bottom_y + 22, text=f"{row.week_from:%-d %b}", anchor=anchor)
            )
    return Chart(
        "chart-trend",
        "Searches, searches with no results, requests and failed requests, week by week",
        "Four lines across the weeks of the period: searches (solid blue), searches with no "
        "results (dashed red), booking requests (solid green) and failed requests (dotted "
        "orange). The table before this chart gives every figure.",
        WIDTH,
        height,
        shapes,
    )
