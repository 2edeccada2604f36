"""Places: postcode districts and the council nearest each, which decide whose area a
search by someone not signed in was made in.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, case, func

from marketplace.paths import PROJECT_ROOT
from marketplace.search import geo


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
            for outcode in geo.outcodes()  # every district the service can place
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
