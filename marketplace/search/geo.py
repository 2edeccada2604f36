"""UK postcodes and outcodes to points, and distances between points.

Points come from ONS postcode centroids shipped in data/geo (OGL): the exact centroid for the
postcodes of the providers we hold, otherwise the centroid of the postcode's outcode (the part
before the space), which is usually within a mile or two of the real point.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from marketplace.errors import DomainError
from marketplace.paths import PROJECT_ROOT

GEO_DIR = PROJECT_ROOT / "data" / "geo"
OUTCODES_FILE = GEO_DIR / "outcode_centroids_nspl_2025-05.csv"
POSTCODES_FILE = GEO_DIR / "postcodes_for_provider_samples_nspl_2025-05.csv"

EARTH_RADIUS_MILES = 3958.8
_OUTCODE = r"(?:[A-Z]{1,2}[0-9][0-9A-Z]?)"
_INCODE = r"(?:[0-9][A-Z]{2})"
_FULL_RE = re.compile(rf"^({_OUTCODE})({_INCODE})$")
_OUTCODE_RE = re.compile(rf"^{_OUTCODE}$")


class PostcodeError(DomainError):
    """A postcode that is malformed or that we cannot place. The message says which."""


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Place:
    """Where a typed postcode or outcode is. `outcode` is safe to record; `postcode` is not."""

    outcode: str
    postcode: str | None
    point: Point
    exact: bool


def normalise(text: str) -> str:
    """'ol1 1aa' -> 'OL1 1AA'; 'ol1' -> 'OL1'. Raises PostcodeError when it is not a UK postcode."""
    compact = re.sub(r"\s+", "", text or "").upper()
    if not compact:
        raise PostcodeError("Enter a postcode, like OL1 1AA, or the first part of one, like OL1")
    match = _FULL_RE.match(compact)
    if match:
        return f"{match.group(1)} {match.group(2)}"
    if _OUTCODE_RE.match(compact):
        return compact
    raise PostcodeError("Enter a real postcode, like OL1 1AA, or the first part of one, like OL1")


def _points(path: Path, key: str) -> dict[str, Point]:
    """The places in a CSV file of centroids: the `key` column to its latitude and longitude."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row[key]: Point(float(row["latitude"]), float(row["longitude"]))
            for row in csv.DictReader(handle)
        }


@cache
def outcodes() -> dict[str, Point]:
    """Every postcode district the service can place, with its centre (ONS centroids)."""
    return _points(OUTCODES_FILE, "outcode")


@cache
def _postcodes() -> dict[str, Point]:
    return _points(POSTCODES_FILE, "postcode")


def locate(text: str) -> Place:
    """Place a typed postcode or outcode. Raises PostcodeError when malformed or unknown."""
    normal = normalise(text)
    outcode, _, incode = normal.partition(" ")
    if incode and normal in _postcodes():
        return Place(outcode, normal, _postcodes()[normal], exact=True)
    point = outcodes().get(outcode)
    if point is None:
        raise PostcodeError(f"We cannot find {normal}. Check the postcode and try again.")
    return Place(outcode, normal if incode else None, point, exact=False)


def miles_between(a: Point, b: Point) -> float:
    """Great-circle distance in miles (haversine)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))
