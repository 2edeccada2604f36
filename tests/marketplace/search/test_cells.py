"""The grid that turns "within so many miles" into index terms (tantivy engine).

Distances are worked out by hand: a point due north of another by `miles` is
`miles / EARTH_RADIUS_MILES` radians of latitude further north, along the same meridian.
"""

from __future__ import annotations

import math

import pytest

from marketplace.search.geo import EARTH_RADIUS_MILES, Point, miles_between
from marketplace.search.tantivy import cells

OLDHAM = Point(53.5409, -2.1114)


def north_of(point: Point, miles: float) -> Point:
    return Point(point.latitude + math.degrees(miles / EARTH_RADIUS_MILES), point.longitude)


def east_of(point: Point, miles: float) -> Point:
    """Along the parallel: not a great circle, so check the distance with miles_between."""
    spread = math.degrees(miles / EARTH_RADIUS_MILES) / math.cos(math.radians(point.latitude))
    return Point(point.latitude, point.longitude + spread)


def where(point: Point, miles: float) -> str:
    """'sure', 'maybe' or 'out': how the cover of a circle around OLDHAM places a point."""
    found = cells.cover(OLDHAM.latitude, OLDHAM.longitude, miles,
                        cells.level_for(miles, 16), cells.level_for(miles, 1))  # fmt: skip
    names = set(cells.cell_names(point.latitude, point.longitude))
    if names & set(found.sure):
        return "sure"
    return "maybe" if names & set(found.maybe) else "out"


def test_a_level_holds_four_cells_of_the_level_below():
    point = Point(53.5409, -2.1114)
    names = cells.cell_names(point.latitude, point.longitude)
    assert len(names) == cells.LEVELS
    for fine, coarse in zip(names, names[1:], strict=False):
        level, row, column = (int(part) for part in fine.split(":"))
        assert coarse == f"{level + 1}:{row >> 1}:{column >> 1}"


def test_the_place_itself_is_certainly_inside_its_circle():
    assert where(OLDHAM, 5) == "sure"


@pytest.mark.parametrize("miles", [1, 5, 10, 20])
def test_a_listing_on_the_radius_edge_is_checked_not_assumed(miles):
    edge = north_of(OLDHAM, miles)  # exactly `miles` away
    assert where(edge, miles) == "maybe"
    assert where(north_of(OLDHAM, miles - 0.001), miles) in ("sure", "maybe")
    assert where(north_of(OLDHAM, miles + 0.001), miles) in ("maybe", "out")


def test_points_well_inside_or_outside_are_decided_without_a_check():
    assert where(north_of(OLDHAM, 2), 10) == "sure"
    assert where(east_of(OLDHAM, 5), 10) == "sure"
    assert where(north_of(OLDHAM, 12), 10) == "out"
    assert where(east_of(OLDHAM, 13), 10) == "out"


def test_a_point_on_a_cell_boundary_is_in_the_cover():
    # The latitude of a row edge of the finest cells, 3 miles north: inside a 5 mile circle
    # whichever of the two rows the point is put in.
    row = math.floor(north_of(OLDHAM, 3).latitude / cells.CELL_LAT)
    on_edge = Point(row * cells.CELL_LAT, OLDHAM.longitude)
    assert 2.8 < miles_between(OLDHAM, on_edge) < 3.1
    assert where(on_edge, 5) == "sure"
    # And a column edge right on the circle: not certain either side, so it is checked.
    column = math.floor(east_of(OLDHAM, 5).longitude / cells.CELL_LON)
    on_column_edge = Point(OLDHAM.latitude, column * cells.CELL_LON)
    assert where(on_column_edge, miles_between(OLDHAM, on_column_edge)) == "maybe"


def test_sure_cells_never_hold_a_point_beyond_the_radius():
    """Every corner of every sure cell is within the radius (corners are a cell's furthest
    points from a centre)."""
    miles = 7.5
    found = cells.cover(OLDHAM.latitude, OLDHAM.longitude, miles, 2, 5)
    assert len(found.sure) > 4  # a 7.5 mile circle holds many whole cells
    for name in found.sure:
        level, row, column = (int(part) for part in name.split(":"))
        tall, wide = cells.CELL_LAT * 2**level, cells.CELL_LON * 2**level
        for lat in (row * tall, (row + 1) * tall):
            for lon in (column * wide, (column + 1) * wide):
                assert miles_between(OLDHAM, Point(lat, lon)) <= miles


def test_a_travel_radius_of_nothing_still_covers_its_own_cell():
    found = cells.cover(OLDHAM.latitude, OLDHAM.longitude, 0.0, 0, 0)
    assert found.sure == ()
    assert cells.cell_names(OLDHAM.latitude, OLDHAM.longitude)[0] in found.maybe
