"""A grid of cells over the map, so that "within so many miles" becomes a set of index terms.

Cells are fixed steps of latitude and longitude. A level 0 cell is BASE_MILES tall (and about as
wide at British latitudes); each level up doubles both sides, so a level k cell holds exactly four
cells of level k - 1. A located document carries the name of its cell at every level.

`cover` sorts the cells near a circle into those certainly inside it (every point of the cell is
within the miles) and those that may hold points inside it (the cell touches the circle but is
not certainly inside); between them they hold every point of the circle. Sure cells are as
coarse as they can be, so there are few; maybe cells are all at the finest level asked for. The
geometry is that of `geo.miles_between` (a sphere of EARTH_RADIUS_MILES), with a margin of
EPSILON degrees (about a millimetre) on the safe side, so a point in a sure cell is within the
circle by any rounding of the exact check, and a point in the circle is always in a sure or a
maybe cell. The grid does not wrap at the date line or reach over a pole (it serves the UK).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from marketplace.search.geo import EARTH_RADIUS_MILES

BASE_MILES = 0.125
LEVELS = 12  # cells of 1/8 mile up to 256 miles
CELL_LAT = math.degrees(BASE_MILES / EARTH_RADIUS_MILES)  # degrees of latitude of a level 0 cell
CELL_LON = CELL_LAT / math.cos(math.radians(54.0))  # square cells in the middle of Britain
EPSILON = 1e-8


@dataclass(frozen=True)
class Cover:
    """Cell names certainly inside a circle, and those that may hold points of it."""

    sure: tuple[str, ...]
    maybe: tuple[str, ...]


def name(level: int, row: int, column: int) -> str:
    return f"{level}:{row}:{column}"


def cell_names(latitude: float, longitude: float) -> list[str]:
    """The names of the cells holding a point, one for each level, finest first."""
    row, column = math.floor(latitude / CELL_LAT), math.floor(longitude / CELL_LON)
    return [name(level, row >> level, column >> level) for level in range(LEVELS)]


def level_for(miles: float, parts: int) -> int:
    """The coarsest level whose cells are at most miles / parts tall (level 0 at least)."""
    level = 0
    while level + 1 < LEVELS and BASE_MILES * 2 ** (level + 1) <= miles / parts:
        level += 1
    return level


def cover(latitude: float, longitude: float, miles: float, finest: int, coarsest: int) -> Cover:
    """The cells within `miles` of a point: sure ones from level `coarsest` down to `finest`,
    maybe ones at level `finest`."""
    circle = _Circle(latitude, longitude, miles)
    coarsest = max(coarsest, finest)
    tall = CELL_LAT * 2**finest
    # Row edges at the finest level; a coarser level's row edges are among them.
    top = CELL_LAT * 2**coarsest
    first = math.floor((circle.south - EPSILON) / top) << (coarsest - finest)
    last = (math.floor((circle.north + EPSILON) / top) + 1) << (coarsest - finest)
    widths = {edge: circle.half_width(edge * tall) for edge in range(first, last + 1)}
    sure: list[str] = []
    maybe: list[str] = []
    above: dict[int, tuple[int, int]] = {}  # row → first and last sure column, one level up
    for level in range(coarsest, finest - 1, -1):
        shift, wide = level - finest, CELL_LON * 2**level
        inside: dict[int, tuple[int, int]] = {}
        first_row = math.floor((circle.south - EPSILON) / (tall * 2**shift))
        for row in range(first_row, math.floor((circle.north + EPSILON) / (tall * 2**shift)) + 1):
            south, north = row << shift, (row + 1) << shift
            left, right = circle.inside_columns(south * tall, north * tall, widths[south],
                                                widths[north], wide)  # fmt: skip
            if left <= right:
                inside[row] = (left, right)
                # Columns a sure cell of the level above already holds are left out.
                up_left, up_right = above.get(row >> 1, (0, -1))
                if up_left <= up_right:
                    _add(sure, level, row, left, min(right, 2 * up_left - 1))
                    _add(sure, level, row, max(left, 2 * up_right + 2), right)
                else:
                    _add(sure, level, row, left, right)
            if level == finest:
                low, high = circle.touching_columns(
                    south * tall, north * tall, widths[south], widths[north], wide
                )
                if low <= high:
                    _add(maybe, level, row, low, min(high, left - 1))
                    _add(maybe, level, row, max(low, right + 1), high)
        above = inside
    return Cover(tuple(sure), tuple(maybe))


def _add(names: list[str], level: int, row: int, first: int, last: int) -> None:
    """Add the names of the row's cells from column `first` to `last` (none when first > last)."""
    if first <= last:
        prefix = f"{level}:{row}:"
        names += [prefix + str(column) for column in range(first, last + 1)]


class _Circle:
    """The points within `miles` of a centre, row by row of latitude (degrees throughout)."""

    def __init__(self, latitude: float, longitude: float, miles: float) -> None:
        self.angle = miles / EARTH_RADIUS_MILES  # radians at the centre of the earth
        self.latitude, self.longitude = latitude, longitude
        self.phi = math.radians(latitude)
        self.hav = math.sin(self.angle / 2) ** 2
        self.south = latitude - math.degrees(self.angle)
        self.north = latitude + math.degrees(self.angle)
        # The circle is widest (in longitude) where a meridian touches it.
        level = math.sin(self.phi) / math.cos(self.angle)
        self.widest_at = math.degrees(math.asin(max(-1.0, min(1.0, level))))
        spread = math.sin(self.angle) / math.cos(self.phi)
        self.widest = 180.0 if spread >= 1 else math.degrees(math.asin(spread))

    def half_width(self, latitude: float) -> float:
        """Degrees of longitude either side of the centre that are within the circle at a
        latitude (0 beyond its north and south)."""
        phi = math.radians(latitude)
        room = self.hav - math.sin((phi - self.phi) / 2) ** 2
        if room <= 0:
            return 0.0
        ratio = room / (math.cos(phi) * math.cos(self.phi))
        return 180.0 if ratio >= 1 else math.degrees(2 * math.asin(math.sqrt(ratio)))

    def inside_columns(
        self, south: float, north: float, south_width: float, north_width: float, wide: float
    ) -> tuple[int, int]:
        """The first and last column of cells `wide` degrees wide, in the row from `south` to
        `north` (where the circle's half widths are given), that lie wholly inside the circle
        (first > last when there are none)."""
        if south < self.south + EPSILON or north > self.north - EPSILON:
            return 0, -1
        # Across a row the circle is narrowest at one of the row's edges.
        span = min(south_width, north_width) - EPSILON
        if span <= 0:
            return 0, -1
        return (
            math.ceil((self.longitude - span) / wide),
            math.floor((self.longitude + span) / wide) - 1,
        )

    def touching_columns(
        self, south: float, north: float, south_width: float, north_width: float, wide: float
    ) -> tuple[int, int]:
        """The first and last column of cells in the row that may hold points of the circle
        (first > last when the row misses it); the circle's half widths at the row's edges are
        given."""
        low, high = max(south, self.south), min(north, self.north)
        if low > high + 2 * EPSILON:
            return 0, -1
        if low <= self.widest_at <= high:
            span = self.widest
        else:
            low_width = south_width if low == south else self.half_width(low)
            high_width = north_width if high == north else self.half_width(high)
            span = max(low_width, high_width)
        span += EPSILON
        return (
            math.floor((self.longitude - span) / wide),
            math.floor((self.longitude + span) / wide),
        )
