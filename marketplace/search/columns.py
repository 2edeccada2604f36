"""The few numbers a search needs of every candidate, held in memory as arrays.

A search near a place reads all its candidates from tantivy in one pass, with their scores; the
exact distance and reach checks, the facet counts and the ordering are then done here over arrays,
not document by document. The arrays are tantivy's own fast fields, copied once each time the
index changes (about 0.2 s and 7 MB for 100,000 listings) and indexed by a document's position:
its place in index order.

Distances are those of `geo.miles_between`. The arrays work them out to within a few units in
the last place; a document that close to a limit (the search radius or its own travel radius)
is checked again with Python's own arithmetic, so the edge falls exactly where it always has.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import tantivy

from marketplace.search.geo import EARTH_RADIUS_MILES

ID = "listing_id"
FIELDS = (
    "latitude",
    "longitude",
    "travel_radius_miles",
    "mode_code",
    "category_mask",
    "language_mask",
    "kind_code",
    "price_pence",
)
NEAR_EDGE = 1e-7  # relative: a nearness this close to a limit is worked out again in Python
RADIANS = math.pi / 180.0

_BITS_OF_BYTE = (np.arange(256)[:, None] >> np.arange(8) & 1).astype(np.int64)  # 256 × 8
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]


def miles_from(origin: tuple[float, float, float], latitude: float, longitude: float) -> float:
    """Miles from a place, given as (latitude and longitude in radians, cosine of latitude), to
    a point in degrees: `geo.miles_between`, step by step as it always has been done here."""
    lat0, lon0, cos0 = origin
    la, lo = latitude * RADIANS, longitude * RADIANS  # (exactly what math.radians computes)
    h = math.sin((la - lat0) / 2) ** 2 + cos0 * math.cos(la) * math.sin((lo - lon0) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def nearness_of(miles: npt.NDArray[Any]) -> Floats:
    """The nearness (see Columns) of a distance in miles; 1 for half the earth and beyond."""
    angle = np.minimum(np.asarray(miles, dtype=np.float64) / (2 * EARTH_RADIUS_MILES), math.pi / 2)
    return np.sin(angle) ** 2


def origin_of(latitude: float, longitude: float) -> tuple[float, float, float]:
    lat0 = math.radians(latitude)
    return lat0, math.radians(longitude), math.cos(lat0)


@contextmanager
def without_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused: reading tens of thousands of hits makes as
    many small objects (none of them in a cycle), and the collections they would set off walk
    every object of the process, at times costing more than the search."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@dataclass(frozen=True)
class Candidates:
    """Documents read from one search: `found` as tantivy gave them, (score, address) in the
    order read, and for those still in hand their index in `found`, score and position in the
    arrays (positions follow segment, then number in the segment: index order)."""

    found: Sequence[Any]
    index: Ints
    scores: Floats
    positions: Ints

    def take(self, keep: Flags) -> Candidates:
        return Candidates(self.found, self.index[keep], self.scores[keep], self.positions[keep])

    def address(self, i: int) -> Any:
        return self.found[int(self.index[i])][1]

    def __len__(self) -> int:
        return len(self.index)


class Columns:
    """Every live document's values of FIELDS, by position (see the module's docstring), and
    what the distance check needs worked out ahead: latitude and longitude in radians, the
    cosine of the latitude, and for a service at home the nearness (below) its travel radius
    reaches. A document is found by its listing id (tantivy gives that from a fast field far
    faster than a document's own number): `where` maps every listing id up to the highest
    indexed to a position (4 bytes each).

    Nearness is the haversine of the angle between two points, h in `miles_from`: it grows
    with distance, so comparing and ordering by it is comparing and ordering by miles."""

    def __init__(self, ids: Ints, values: dict[str, npt.NDArray[Any]], at_home: int) -> None:
        self.where = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=np.int32)
        self.where[ids] = np.arange(len(ids), dtype=np.int32)
        self.values = values
        self.latitude = values["latitude"]
        self.longitude = values["longitude"]
        self.mode = values["mode_code"]
        self.travel = values["travel_radius_miles"]
        self.lat = self.latitude * RADIANS
        self.lon = self.longitude * RADIANS
        self.cos_lat = np.cos(self.lat)
        self.travel_nearness = np.where(self.mode == at_home, nearness_of(self.travel), math.inf)

    @classmethod
    def load(cls, searcher: tantivy.Searcher, at_home: int) -> Columns:
        """Copy the fast fields of every live document, in index order."""
        total = int(searcher.num_docs)
        if total == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, {name: empty for name in FIELDS}, at_home)
        everything = searcher.search(tantivy.Query.all_query(), limit=total, count=False).hits
        addresses = [address for _, address in everything]  # (all score 1: index order)
        ids = np.array(searcher.fast_field_values(ID, addresses), dtype=np.int64)
        values = {name: np.array(searcher.fast_field_values(name, addresses)) for name in FIELDS}
        return cls(ids, values, at_home)

    def candidates(self, searcher: tantivy.Searcher, found: Sequence[Any]) -> Candidates:
        """Where each (score, address) read from tantivy is held."""
        scores = np.array([score for score, _ in found], dtype=np.float64)
        ids = searcher.fast_field_values(ID, [address for _, address in found])
        positions = self.where[np.array(ids, dtype=np.int64)].astype(np.int64)
        return Candidates(found, np.arange(len(found)), scores, positions)

    def reach(
        self,
        found: Candidates,
        latitude: float,
        longitude: float,
        radius: float | None,
        online: int,
        at_home: int,
    ) -> tuple[Flags, Floats]:
        """Which candidates are within reach of the place (online; otherwise within the radius
        and, at home, within their own travel radius) and their nearness to it (infinite for
        online services)."""
        at = found.positions
        lat0, lon0, cos0 = origin_of(latitude, longitude)
        near = (
            np.sin((self.lat[at] - lat0) / 2) ** 2
            + cos0 * self.cos_lat[at] * np.sin((self.lon[at] - lon0) / 2) ** 2
        )
        limit = math.inf if radius is None else radius
        reach = np.minimum(self.travel_nearness[at], float(nearness_of(np.array(limit))))
        is_online = self.mode[at] == online
        ok = is_online | (near <= reach)
        close = np.abs(near - reach) <= NEAR_EDGE * reach
        origin = (lat0, lon0, cos0)
        for i in np.flatnonzero(close & ~is_online).tolist():
            p = int(at[i])
            miles = miles_from(origin, float(self.latitude[p]), float(self.longitude[p]))
            ok[i] = miles <= limit and (self.mode[p] != at_home or miles <= self.travel[p])
        return ok, np.where(is_online, math.inf, near)

    def counts_of_bits(self, name: str, positions: Ints, bits: int) -> list[int]:
        """How many of the documents have each of the first `bits` bits set in a mask field:
        each byte of the masks counted by value, then each value's bits added up."""
        masks = self.values[name][positions].astype("<u8")
        as_bytes = masks.view(np.uint8).reshape(-1, 8)
        counts = np.zeros(64, dtype=np.int64)
        for byte in range((bits + 7) // 8):
            by_value = np.bincount(as_bytes[:, byte], minlength=256)
            counts[8 * byte : 8 * byte + 8] = by_value @ _BITS_OF_BYTE
        return counts[:bits].tolist()

    def counts_of(self, name: str, positions: Ints, size: int) -> list[int]:
        """How many of the documents have each code 0 … size - 1 in a field."""
        return np.bincount(self.values[name][positions], minlength=size).tolist()

    def counts_between(self, name: str, positions: Ints, edges: Sequence[int]) -> list[int]:
        """How many of the documents have a value in each band [edges[i], edges[i + 1])."""
        bands = np.searchsorted(np.array(edges[1:-1]), self.values[name][positions], "right")
        return np.bincount(bands, minlength=len(edges) - 1).tolist()

    def value(self, name: str, positions: Ints) -> npt.NDArray[Any]:
        return self.values[name][positions]
