"""The few numbers a search needs of every candidate, held in memory as arrays.

A search near a place reads all its candidates from tantivy in one pass, with their scores; the
exact distance and reach checks, the facet counts and the ordering are then done here over arrays,
not document by document. The arrays hold tantivy's own fast fields, copied once each time the
index changes (about 0.1 s and 7 MB for 100,000 listings): one row of 64 bytes for each listing,
found by its listing id, holding all a search needs of it, so that gathering the candidates' rows
touches memory once for each.

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
# A listing's row: latitude and longitude in radians, the cosine of the latitude, the nearness
# (below) its travel radius reaches when it is at home (else infinite), its price, category and
# language masks, kind and delivery mode codes, and its place in index order (for ties).
ROW = np.dtype(
    [
        ("lat", "f8"),
        ("lon", "f8"),
        ("cos", "f8"),
        ("reach", "f8"),
        ("price", "i8"),
        ("category", "<u8"),  # (little-endian: facet_counts reads their bytes)
        ("language", "<u8"),
        ("order", "u4"),
        ("kind", "u1"),
        ("mode", "u1"),
    ],
    align=True,
)
_OFFSETS = {name: ROW.fields[name][1] for name in ROW.names or ()}  # type: ignore[index]
SPARSE = 4  # rows are found through a map when listing ids run beyond 4 × the listings
GRID = 256  # squares a side of the grid located listings are counted on (see _Grid)
NEAR_EDGE = 1e-7  # relative: a nearness this close to a limit is worked out again in Python
RADIANS = math.pi / 180.0
HALF = math.pi / 2

_BITS_OF_BYTE = (np.arange(256)[:, None] >> np.arange(8) & 1).astype(np.int64)  # 256 × 8
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
Rows = npt.NDArray[np.void]
Origin = tuple[float, float, float]


def miles_from(origin: Origin, latitude: float, longitude: float) -> float:
    """Miles from a place, given as (latitude and longitude in radians, cosine of latitude), to
    a point in degrees: `geo.miles_between`, step by step as it always has been done here."""
    return miles_from_radians(origin, latitude * RADIANS, longitude * RADIANS)


def miles_from_radians(origin: Origin, la: float, lo: float) -> float:
    """As miles_from, to a point in radians (a degree times RADIANS: exactly math.radians)."""
    lat0, lon0, cos0 = origin
    h = math.sin((la - lat0) / 2) ** 2 + cos0 * math.cos(la) * math.sin((lo - lon0) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def nearness_of(miles: npt.NDArray[Any] | float) -> Floats:
    """The nearness (see Columns) of a distance in miles; 1 for half the earth and beyond."""
    angle = np.minimum(np.asarray(miles, dtype=np.float64) / (2 * EARTH_RADIUS_MILES), HALF)
    return np.sin(angle) ** 2


def origin_of(latitude: float, longitude: float) -> Origin:
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
    order read, and for those still in hand their index in `found`, score, row number and a
    copy of their row (held as 8 words a row, which numpy copies far faster than records)."""

    found: Sequence[Any]
    index: Ints
    scores: Floats
    keys: Ints
    words: npt.NDArray[np.uint64]

    @property
    def rows(self) -> Rows:
        return self.words.view(ROW).reshape(-1)

    def take(self, picked: Ints) -> Candidates:
        """Those at these indexes (numpy's take is far quicker than a mask on rows)."""
        return Candidates(
            self.found,
            np.take(self.index, picked),
            np.take(self.scores, picked),
            np.take(self.keys, picked),
            np.take(self.words, picked, axis=0),
        )

    def join(self, other: Candidates) -> Candidates:
        """These and the other's, in that order."""
        return Candidates(
            [*self.found, *other.found],
            np.concatenate([self.index, other.index + len(self.found)]),
            np.concatenate([self.scores, other.scores]),
            np.concatenate([self.keys, other.keys]),
            np.concatenate([self.words, other.words]),
        )

    def address(self, i: int) -> Any:
        return self.found[int(self.index[i])][1]

    def __len__(self) -> int:
        return len(self.index)


class Columns:
    """A row (ROW) for every live listing, at its listing id (or, when ids are sparse, where
    `by_id` says), and each one's travel radius in miles for the exact check.

    Nearness is the haversine of the angle between two points, h in `miles_from`: it grows
    with distance, so comparing and ordering by it is comparing and ordering by miles."""

    def __init__(
        self, ids: Ints, values: dict[str, npt.NDArray[Any]], at_home: int, online: int
    ) -> None:
        count = len(ids)
        top = int(ids.max()) + 1 if count else 0
        self.by_id: Ints | None = None
        at = ids
        if top > SPARSE * count + 1024:
            at = np.arange(count, dtype=np.int64)
            self.by_id = np.zeros(top, dtype=np.int64)
            self.by_id[ids] = at
        rows = np.zeros(len(at) if self.by_id is not None else top, dtype=ROW)
        lat = values["latitude"] * RADIANS
        mode = values["mode_code"]
        rows["lat"][at] = lat
        rows["lon"][at] = values["longitude"] * RADIANS
        rows["cos"][at] = np.cos(lat)
        travel = values["travel_radius_miles"]
        rows["reach"][at] = np.where(mode == at_home, nearness_of(travel), math.inf)
        rows["price"][at] = values["price_pence"]
        rows["category"][at] = values["category_mask"]
        rows["language"][at] = values["language_mask"]
        rows["order"][at] = np.arange(count)
        rows["kind"][at] = values["kind_code"]
        rows["mode"][at] = mode
        self.rows = rows
        self.words = rows.view(np.uint64).reshape(len(rows), ROW.itemsize // 8)
        self.travel = np.zeros(len(rows))
        self.travel[at] = travel
        self.home_travel = np.sort(travel[mode == at_home])
        self.online_count = int(np.count_nonzero(mode == online))
        located = mode != online
        self.located_count = int(np.count_nonzero(located))
        self._grid = _Grid(values["latitude"][located], values["longitude"][located])
        self._out_of_reach: dict[float | None, bool] = {}

    def located_in(self, south: float, north: float, west: float, east: float) -> int:
        """About how many services that are not online lie in a box of latitudes and
        longitudes (counted by grid squares: an estimate, for choosing how to search)."""
        return self._grid.count(south, north, west, east)

    def mostly_out_of_reach(self, radius: float | None) -> bool:
        """Whether most services at home within `radius` miles of a place (None: any distance)
        would not travel as far as the place, listings being spread evenly: the share of a
        circle of radius R beyond a travel radius t is 1 - (t / R)², for t below R."""
        known = self._out_of_reach.get(radius)
        if known is None:
            travel = self.home_travel
            if not len(travel):
                known = False
            elif radius is None:
                known = True
            else:
                inside = np.minimum(travel, radius) / radius
                known = bool(np.mean(1 - inside**2) > 0.5)
            self._out_of_reach[radius] = known
        return known

    @classmethod
    def load(cls, searcher: tantivy.Searcher, at_home: int, online: int) -> Columns:
        """Copy the fast fields of every live document, in index order."""
        total = int(searcher.num_docs)
        if total == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, {name: empty for name in FIELDS}, at_home, online)
        everything = searcher.search(tantivy.Query.all_query(), limit=total, count=False).hits
        addresses = [address for _, address in everything]  # (all score 1: index order)
        ids = np.array(searcher.fast_field_values(ID, addresses), dtype=np.int64)
        values = {name: np.array(searcher.fast_field_values(name, addresses)) for name in FIELDS}
        return cls(ids, values, at_home, online)

    def candidates(self, searcher: tantivy.Searcher, found: Sequence[Any]) -> Candidates:
        """Each (score, address) read from tantivy with a copy of its row."""
        scores = np.array([score for score, _ in found], dtype=np.float64)
        ids = searcher.fast_field_values(ID, [address for _, address in found])
        keys = np.fromiter(ids, dtype=np.int64, count=len(ids))
        if self.by_id is not None:
            keys = self.by_id[keys]
        words = np.take(self.words, keys, axis=0)
        return Candidates(found, np.arange(len(found)), scores, keys, words)

    def reach(
        self,
        found: Candidates,
        origin: Origin,
        radius: float | None,
        online: int,
        at_home: int,
    ) -> tuple[Flags, Floats]:
        """Which candidates are within reach of the place (online; otherwise within the radius
        and, at home, within their own travel radius) and their nearness to it (infinite for
        online services)."""
        rows = found.rows
        lat0, lon0, cos0 = origin
        near = (
            np.sin((rows["lat"] - lat0) / 2) ** 2
            + cos0 * rows["cos"] * np.sin((rows["lon"] - lon0) / 2) ** 2
        )
        limit = math.inf if radius is None else radius
        reach = np.minimum(rows["reach"], float(nearness_of(limit)))
        is_online = rows["mode"] == online
        ok = is_online | (near <= reach)
        close = np.abs(near - reach) <= NEAR_EDGE * reach
        for i in np.flatnonzero(close & ~is_online).tolist():
            row = rows[i]
            miles = miles_from_radians(origin, float(row["lat"]), float(row["lon"]))
            far = self.travel[found.keys[i]]
            ok[i] = miles <= limit and (int(row["mode"]) != at_home or miles <= far)
        return ok, np.where(is_online, math.inf, near)


class _Grid:
    """Points counted on a grid of GRID × GRID squares over the box holding them, added up
    from one corner (a summed-area table), so the points in any box are counted in four
    look-ups: those in the squares the box touches."""

    def __init__(self, latitudes: Floats, longitudes: Floats) -> None:
        found = (latitudes != 0) | (longitudes != 0)  # (0, 0): a listing with no location
        latitudes, longitudes = latitudes[found], longitudes[found]
        self.empty = not len(latitudes)
        if self.empty:
            return
        self.south, self.west = float(latitudes.min()), float(longitudes.min())
        self.tall = max(float(latitudes.max()) - self.south, 1e-9) * (1 + 1e-9)
        self.wide = max(float(longitudes.max()) - self.west, 1e-9) * (1 + 1e-9)
        counts, _, _ = np.histogram2d(
            latitudes, longitudes, bins=GRID,
            range=[[self.south, self.south + self.tall], [self.west, self.west + self.wide]],
        )  # fmt: skip
        self.sums = np.zeros((GRID + 1, GRID + 1), dtype=np.int64)
        self.sums[1:, 1:] = counts.cumsum(axis=0).cumsum(axis=1)

    def _row(self, latitude: float, up: bool) -> int:
        at = (latitude - self.south) / self.tall * GRID
        return int(min(max(math.ceil(at) if up else math.floor(at), 0), GRID))

    def _column(self, longitude: float, up: bool) -> int:
        at = (longitude - self.west) / self.wide * GRID
        return int(min(max(math.ceil(at) if up else math.floor(at), 0), GRID))

    def count(self, south: float, north: float, west: float, east: float) -> int:
        if self.empty:
            return 0
        low, high = self._row(south, False), self._row(north, True)
        left, right = self._column(west, False), self._column(east, True)
        s = self.sums
        return int(s[high, right] - s[low, right] - s[high, left] + s[low, left])


def miles_of(found: Candidates, i: int, origin: Origin) -> float:
    """The distance in miles of candidate i (worked out as `miles_from` does)."""
    row = found.rows[i]
    return miles_from_radians(origin, float(row["lat"]), float(row["lon"]))


def facet_counts(
    found: Candidates, category_bits: int, language_bits: int, kinds: int, edges: Sequence[int]
) -> tuple[list[int], list[int], list[int], list[int]]:
    """For the candidates: how many have each category bit set, each language bit, each kind
    code, and a price in each band [edges[i], edges[i + 1]). One count of byte values does
    it: the bytes of the two masks, the kind's byte and the price band, each counted in its
    own 256 places; a mask's bit counts are then its bytes' counts times each byte value's
    bits."""
    masks = [("category", (category_bits + 7) // 8), ("language", (language_bits + 7) // 8)]
    offsets = [_OFFSETS[name] + i for name, size in masks for i in range(size)]
    offsets.append(_OFFSETS["kind"])
    rows = found.rows
    bands = np.searchsorted(np.array(edges[1:-1]), rows["price"], "right")
    table = np.empty((len(found), len(offsets) + 1), dtype=np.intp)
    table[:, :-1] = found.words.view(np.uint8)[:, offsets]
    table[:, -1] = bands
    table += np.arange(len(offsets) + 1) * 256
    counts = np.bincount(table.ravel(), minlength=table.shape[1] * 256).reshape(-1, 256)
    first = masks[0][1]
    bits = counts[: first + masks[1][1]] @ _BITS_OF_BYTE
    return (
        bits[:first].ravel()[:category_bits].tolist(),
        bits[first:].ravel()[:language_bits].tolist(),
        counts[-2, :kinds].tolist(),
        counts[-1, : len(edges) - 1].tolist(),
    )
