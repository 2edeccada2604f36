"""The ways a search is answered. Tantivy narrows and ranks; the rest depends on the search.

- With no place, tantivy alone decides, counts and ranks.
- Near a place (the usual search), one read of every candidate with its score: the text and
  filters, and the box around the place (see compile.py). The exact distance and at-home reach
  checks, the facet counts and the order are then worked out over in-memory arrays of the fast
  fields (columns.py). On a wide circle, at-home services whose travel cover misses the place
  are left out by their reach terms.
- A search with more candidates than that reads at once (a broad text near a crowded place,
  or a radius of a hundred miles or more) uses the grid cells held in the index: the cells
  certainly inside the circle and the place's own cells in the travel covers give the
  documents certainly within reach, counted and aggregated by tantivy on another thread while
  a thin band (cells on the circle's edge, or the place on the edge of a travel cover) is read
  and checked exactly over the arrays; then the page is read in the order asked for.

Both give the same total, facets and page in every order.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import tantivy

from marketplace.directory.models import DeliveryMode
from marketplace.search.query import SearchQuery, SearchResults, empty_facets, typed_word
from marketplace.search.tantivy.columns import (
    Candidates,
    Columns,
    Floats,
    miles_from,
    miles_of,
    origin_of,
    without_collection,
)
from marketplace.search.tantivy.compile import TEXT_CACHE, Compiler, all_of, as_filter, outer_spread
from marketplace.search.tantivy.facets import Facets, added, aggregated, counted
from marketplace.search.tantivy.hits import StoredHits
from marketplace.search.tantivy.index import AT_HOME, ONLINE, TEXT_FIELDS, field_values

OVER_FETCH = 20  # extra hits read for a page sorted by price, for those the exact check drops
ALL_AT_ONCE = 16_000  # a search near a place reads up to this many candidates at once
LIKELY_AT_ONCE = 1_500  # and tries to when it likely has no more than this (see _likely)
LIKELY_LOCATED = 10_000  # or the located ones at once, when it likely has no more of those
TIE_ROOM = 40  # extra hits read by score, so a tie at the page's end is usually all read at once

SIDE_THREADS = 2  # threads beside those answering requests, for tantivy's counts (see beside)

Row = tuple[tantivy.DocAddress, float, float | None]  # address, score, distance (None: online)
T = TypeVar("T")
_side: tuple[int, ThreadPoolExecutor] | None = None  # the process and its side threads
_side_lock = threading.Lock()


class Plans:
    """Answers searches over the live index, keeping (until `forget`, when the index changes)
    its arrays and how broad each text is."""

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler
        self.hits = StoredHits()
        self._columns: Columns | None = None
        self._columns_shape = (0, 0)
        self._breadths: dict[str, float] = {}
        self._located: dict[tuple[float, float, float | None], int] = {}

    def forget(self) -> None:
        """Forget what was worked out from the index (it has changed)."""
        self._columns = None
        self._breadths, self._located = {}, {}
        self.hits.forget()

    def table(self, searcher: tantivy.Searcher) -> Columns:
        """The in-memory arrays of the live index (copied again whenever it changes)."""
        shape = (int(searcher.num_docs), int(searcher.num_segments))
        if self._columns is None or self._columns_shape != shape:
            self._columns, self._columns_shape = Columns.load(searcher, AT_HOME, ONLINE), shape
        return self._columns

    def answer(self, searcher: tantivy.Searcher, query: SearchQuery) -> SearchResults:
        """The page of results, the total and the facets, in the quickest way that holds."""
        used: set[str] = set()
        parts = self.compiler.parts(searcher, query, used)
        if parts is None:
            return SearchResults(0, [], empty_facets())
        if query.place is None:
            return self._everywhere(searcher, query, all_of(parts), used)
        wide = self.compiler.near(query, parts, self.table(searcher))
        start = (query.page - 1) * query.per_page
        # One pass reads every candidate with its score, unless there are many; the checks,
        # counts and order are then worked out over arrays (see columns.py). With many online
        # candidates tantivy counts those itself (_apart); with many located ones too, most
        # of those (_in_passes).
        online, located = self._likely(searcher, query)
        with without_collection():
            if online + located <= LIKELY_AT_ONCE:
                read = searcher.search(wide, limit=ALL_AT_ONCE, count=True)
                if _count_of(read) <= ALL_AT_ONCE:
                    return self._from_all(searcher, query, read.hits, start, used)
            if located <= LIKELY_LOCATED:
                apart = self._apart(searcher, query, parts, start, used)
                if apart is not None:
                    return apart
        return self._in_passes(searcher, query, parts, wide, start, used)

    # Near a place, from every candidate read at once

    def _from_all(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        found: list[Any],
        start: int,
        used: set[str],
    ) -> SearchResults:
        """Results from every candidate, read with its score: those within reach are counted
        into the total and facets, then put in the order asked for."""
        kept, nearness = self._within_reach(searcher, query, found)
        return self._page(searcher, query, kept, nearness, counted(kept), start, used)

    def _within_reach(
        self, searcher: tantivy.Searcher, query: SearchQuery, found: list[Any]
    ) -> tuple[Candidates, Floats]:
        """The candidates within reach of the place, and their nearness to it."""
        assert query.place is not None
        point = query.place.point
        table = self.table(searcher)
        everyone = table.candidates(searcher, found)
        origin = origin_of(point.latitude, point.longitude)
        ok, nearness = table.reach(everyone, origin, query.radius_miles, ONLINE, AT_HOME)
        picked = np.flatnonzero(ok)
        return everyone.take(picked), np.take(nearness, picked)

    def _page(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        kept: Candidates,
        nearness: Floats,
        facets: Facets,
        start: int,
        used: set[str],
        total: int | None = None,
    ) -> SearchResults:
        """The page of results from `kept` (all the results, or all that could be on the
        page when `total` says how many there are)."""
        assert query.place is not None
        total = len(kept) if total is None else total
        if not total:
            return SearchResults(0, [], empty_facets())
        point = query.place.point
        origin = origin_of(point.latitude, point.longitude)
        need = min(start + query.per_page, len(kept))
        hits = []
        for i in _order(query.sort, kept, nearness, need)[start:need]:
            distance = None if math.isinf(nearness[i]) else miles_of(kept, i, origin)
            score = float(kept.scores[i])
            hits.append(self.hits.hit(searcher, kept.address(i), score, distance, used))
        return SearchResults(total, hits, facets)

    # Many online candidates: counted apart

    def _apart(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        parts: list[tantivy.Query],
        start: int,
        used: set[str],
    ) -> SearchResults | None:
        """A search with many online candidates (found from everywhere, so often most of
        them): the located ones are read whole as in _from_all while tantivy counts the online
        ones and reads those that could be on the page, on other threads. None when the
        located ones are too many to read at once."""
        table = self.table(searcher)
        near = self.compiler.near(query, parts, table, located=True)
        online_only = as_filter(self.compiler.term("flags", DeliveryMode.ONLINE.value))
        online = all_of([*parts, online_only])
        need = start + query.per_page
        online_side = beside(self._online_apart, searcher, query, online, need)
        read = searcher.search(near, limit=ALL_AT_ONCE, count=True)
        if _count_of(read) > ALL_AT_ONCE:
            online_side.result()
            return None
        kept, nearness = self._within_reach(searcher, query, read.hits)
        (online_facets, online_total), first = online_side.result()
        extra = table.candidates(searcher, first)
        facets = added(counted(kept), online_facets)
        nearness = np.concatenate([nearness, np.full(len(extra), math.inf)])
        return self._page(searcher, query, kept.join(extra), nearness, facets, start, used,
                          len(kept) + online_total)  # fmt: skip

    def _online_apart(
        self, searcher: tantivy.Searcher, query: SearchQuery, online: tantivy.Query, need: int
    ) -> tuple[tuple[Facets, int], list[Any]]:
        """The online candidates' facets and count, and those that could be on the page."""
        return aggregated(searcher, online), self._online_first(searcher, query, online, need)

    def _online_first(
        self, searcher: tantivy.Searcher, query: SearchQuery, online: tantivy.Query, need: int
    ) -> list[Any]:
        """The online candidates (score, address) that could be among the first `need` in
        the order asked for: by price every one as cheap as the need-th cheapest, otherwise
        the `need` best (online services have no distance, so among themselves they go by
        score, then index order, as tantivy gives them)."""
        if need <= 0:
            return []
        if query.sort != "price":
            return list(searcher.search(online, limit=need, count=False).hits)
        cheapest = searcher.search(
            online, limit=need, count=False, order_by_field="price_pence", order=tantivy.Order.Asc
        ).hits
        if not cheapest:
            return []
        top = self.compiler.prices(None, int(cheapest[-1][0]))
        return _everything(searcher, all_of([online, as_filter(top)]), len(cheapest))

    def _likely(self, searcher: tantivy.Searcher, query: SearchQuery) -> tuple[float, float]:
        """About how many online and located candidates a search near a place has: the share
        of listings its text matches (an estimate from the number of listings holding each
        term, taking words and the category and kind filters as independent; on the bench's
        queries within a factor of 3 either way) of the online services, and of the located
        ones in the box around the place."""
        assert query.place is not None
        everyone = max(int(searcher.num_docs), 1)
        share = self._breadths.get(query.text)
        if share is None:
            share = self._text_share(searcher, query, everyone)
            if len(self._breadths) >= TEXT_CACHE:
                self._breadths.pop(next(iter(self._breadths)))
            self._breadths[query.text] = share
        for name, values in (("categories", query.categories), ("kind", query.kinds)):
            if values:
                held = sum(searcher.doc_freq(name, value) for value in values)
                share *= min(1.0, held / everyone)
        table = self.table(searcher)
        point = query.place.point
        key = (point.latitude, point.longitude, query.radius_miles)
        located = self._located.get(key)
        if located is None:
            if query.radius_miles is None:
                located = table.located_count
            else:
                dlat, dlon = outer_spread(point.latitude, query.radius_miles)
                lat, lon = point.latitude, point.longitude
                located = table.located_in(lat - dlat, lat + dlat, lon - dlon, lon + dlon)
            if len(self._located) >= TEXT_CACHE:
                self._located.pop(next(iter(self._located)))
            self._located[key] = located
        return share * table.online_count, share * located

    def _text_share(self, searcher: tantivy.Searcher, query: SearchQuery, everyone: int) -> float:
        """About what share of listings the text matches: a word, the share of the field
        where its spellings are most often found; an alternative, the product of its words'
        shares; a clause, the sum of its alternatives'; the text, the product of its
        clauses'."""
        vocabulary = self.compiler.vocabulary(searcher)
        share = 1.0
        for clause in query.clauses:
            either = 0.0
            for alternative in clause:
                each = 1.0
                for word in alternative:
                    spellings = (
                        self.compiler.expand(searcher, word) if typed_word(clause) else {word}
                    )
                    most = max(
                        sum(searcher.doc_freq(name, term) for term in spellings
                            if term in vocabulary.get(name, ()))
                        for name, _ in TEXT_FIELDS
                    )  # fmt: skip
                    each *= min(1.0, most / everyone)
                either += each
            share *= min(1.0, either)
        return share

    # The broadest: in passes, with the grid cells

    def _in_passes(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        parts: list[tantivy.Query],
        wide: tantivy.Query,
        start: int,
        used: set[str],
    ) -> SearchResults:
        """A search with too many candidates to read at once: tantivy counts and aggregates
        those certainly within reach, the band that may be is checked exactly, and the page
        is read in the order asked for."""
        area = self.compiler.area(query)
        counting = beside(aggregated, searcher, all_of([*parts, *area.sure]))
        band = as_filter(all_of([*parts, area.band]))
        kept, _ = self._within_reach(searcher, query, _everything(searcher, band, 256))
        facets, total = counting.result()
        total += len(kept)
        if total == 0:
            return SearchResults(0, [], empty_facets())
        facets = added(facets, counted(kept))
        need = min(start + query.per_page, total)
        # The page is read from those certainly within reach and the band, far fewer than the
        # box holds on a wide circle: few are then found out of reach and read past.
        within = all_of([*parts, *area.candidates])
        if query.sort == "relevance":
            rows = self._by_score(searcher, query, within, need)
        else:
            rows = self._ranked(searcher, query, within, need, total)
        hits = [self.hits.hit(searcher, address, score, distance, used)
                for address, score, distance in rows[start:need]]  # fmt: skip
        return SearchResults(total, hits, facets)

    def _everywhere(
        self, searcher: tantivy.Searcher, query: SearchQuery, q: tantivy.Query, used: set[str]
    ) -> SearchResults:
        """A search with no place: tantivy alone decides, counts and ranks."""
        facets, total = aggregated(searcher, q)
        if total == 0:
            return SearchResults(0, [], empty_facets())
        start = (query.page - 1) * query.per_page
        need = min(start + query.per_page, total)
        rows = self._ranked(searcher, query, q, need, total)
        hits = [self.hits.hit(searcher, address, score, distance, used)
                for address, score, distance in rows[start:need]]  # fmt: skip
        return SearchResults(total, hits, facets)

    def _by_score(
        self, searcher: tantivy.Searcher, query: SearchQuery, within: tantivy.Query, need: int
    ) -> list[Row]:
        """Best score first, then nearest: the best of the candidates, those of the band found
        out of reach left out, read until the score of the last one needed is beaten (so ties
        are broken by distance) or there are no more. Many listings can share a score (short
        titles alike), so each read is several times the last, and many times when all read
        so far share one."""
        assert query.place is not None
        point = query.place.point
        origin = origin_of(point.latitude, point.longitude)
        limit = need + TIE_ROOM
        while True:
            found = searcher.search(within, limit=limit, count=False).hits
            kept, nearness = self._within_reach(searcher, query, found)
            if len(found) < limit or (
                len(kept) >= need
                and -np.partition(-kept.scores, need - 1)[need - 1] > float(found[-1][0])
            ):
                break
            # All read so far share one score: that tie is likely far longer still.
            limit *= 64 if float(found[0][0]) == float(found[-1][0]) else 8
        rows: list[Row] = []
        for i in _order("relevance", kept, nearness, min(need, len(kept))):
            distance = None if math.isinf(nearness[i]) else miles_of(kept, i, origin)
            rows.append((kept.address(i), float(kept.scores[i]), distance))
        return rows

    def _ranked(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        outer: tantivy.Query,
        need: int,
        matched: int,
    ) -> list[Row]:
        """The first `need` results by price, by distance, or (with no place) by score:
        (address, score, distance). `outer` holds every result (and perhaps more)."""
        if need <= 0:
            return []
        if query.sort == "price":
            return self._by_price(searcher, query, outer, need, matched)
        if query.sort == "distance":
            return self._by_distance(searcher, query, outer, need, matched)
        first = searcher.search(outer, limit=need, count=False)
        return [(address, float(score), None) for score, address in first.hits]

    def _by_price(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        outer: tantivy.Query,
        need: int,
        matched: int,
    ) -> list[Row]:
        """Cheapest first, then best score, then nearest: read every document up to the price
        of the last one needed, so ties are broken exactly."""
        limit = need + OVER_FETCH
        far = math.inf
        while True:
            cheapest = searcher.search(
                outer, limit=limit, count=False, order_by_field="price_pence",
                order=tantivy.Order.Asc,
            ).hits  # fmt: skip
            exhausted = len(cheapest) < limit
            top = int(cheapest[-1][0])
            upto = all_of([outer, as_filter(self.compiler.prices(None, top))])
            found = _everything(searcher, upto, len(cheapest))
            rows: list[Row]
            if query.place is None:
                rows = [(a, float(s), None) for s, a in found]
            else:
                rows = self._survivors(searcher, query, found)
            if exhausted or len(rows) >= need or limit >= matched:
                break
            limit = min(limit * 4, matched)
        prices = field_values(searcher, "price_pence", [r[0] for r in rows])
        order = sorted(
            range(len(rows)),
            key=lambda i: (prices[i], -rows[i][1], _or(rows[i][2], far)),
        )
        return [rows[i] for i in order[:need]]

    def _by_distance(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        outer: tantivy.Query,
        need: int,
        matched: int,
    ) -> list[Row]:
        """Nearest first (then best score), growing a box around the place until it holds
        enough; online services, which have no distance, come after in score order."""
        assert query.place is not None
        point = query.place.point
        located = all_of([outer, as_filter(self.compiler.term("flags", "located"))])
        online_only = as_filter(self.compiler.term("flags", DeliveryMode.ONLINE.value))
        online = all_of([outer, online_only])
        reachable = _count(searcher, located)
        scale = query.radius_miles or 50.0
        miles = max(0.5, scale * math.sqrt(2 * need / max(reachable, 1)))
        rows: list[Row] = []
        while reachable:
            box = all_of([located, as_filter(all_of(self.compiler.box(point, miles)))])
            found = _everything(searcher, box, need)
            rows = [r for r in self._survivors(searcher, query, found)
                    if r[2] is not None and r[2] <= miles]  # fmt: skip
            if len(rows) >= need or len(found) >= reachable:
                if len(found) >= reachable:
                    rows = [r for r in self._survivors(searcher, query, found) if r[2] is not None]
                break
            miles *= 2
        rows.sort(key=lambda r: (r[2], -r[1]))
        if len(rows) < need:
            extra = searcher.search(online, limit=need - len(rows), count=False).hits
            rows += [(address, float(score), None) for score, address in extra]
        return rows[:need]

    def _survivors(
        self, searcher: tantivy.Searcher, query: SearchQuery, found: list[Any]
    ) -> list[Row]:
        """Those of `found` (score, address) within reach of the place, with their distance."""
        checks = _checked(searcher, query, [address for _, address in found])
        return [
            (address, float(score), distance)
            for (score, address), (ok, distance) in zip(found, checks, strict=True)
            if ok
        ]


def _checked(
    searcher: tantivy.Searcher, query: SearchQuery, addresses: list[tantivy.DocAddress]
) -> list[tuple[bool, float | None]]:
    """For each document, whether it is within reach of the place, and its distance."""
    assert query.place is not None
    if not addresses:
        return []
    lats = field_values(searcher, "latitude", addresses)
    lons = field_values(searcher, "longitude", addresses)
    modes = field_values(searcher, "mode_code", addresses)
    reaches = field_values(searcher, "travel_radius_miles", addresses)
    origin = origin_of(query.place.point.latitude, query.place.point.longitude)
    limit = query.radius_miles if query.radius_miles is not None else math.inf
    checks: list[tuple[bool, float | None]] = []
    for lat, lon, mode, reach in zip(lats, lons, modes, reaches, strict=True):
        if mode == ONLINE:
            checks.append((True, None))
            continue
        miles = miles_from(origin, lat, lon)
        checks.append((miles <= limit and (mode != AT_HOME or miles <= reach), miles))
    return checks


def _order(sort: str, kept: Candidates, nearness: Floats, need: int) -> list[int]:
    """The first `need` of the candidates (indexes into `kept`) in the order asked for: by
    relevance best score first, then nearest; by distance nearest first (online services last),
    then best score; by price cheapest first, then best score, then nearest. Equal in all that,
    in index order."""
    scores = -kept.scores
    keys: list[Any]
    if sort == "distance":
        keys = [nearness, scores]
    elif sort == "price":
        keys = [kept.rows["price"], scores, nearness]
    else:
        keys = [scores, nearness]
    picked = np.arange(len(kept))
    if len(kept) > 4 * need + 64:  # only those that can be among the first `need` are sorted
        first = keys[0]
        picked = np.flatnonzero(first <= np.partition(first, need - 1)[need - 1])
    order = np.lexsort([kept.rows["order"][picked], *(key[picked] for key in reversed(keys))])
    return picked[order[:need]].tolist()


def beside(call: Callable[..., T], *args: Any) -> Future[T]:
    """`call(*args)` on another thread. Tantivy lets go of Python's lock while it reads, so a
    count by tantivy and a read into Python, both of one search, use two processor cores at
    once. The threads (SIDE_THREADS for the process, made after any fork) are shared by every
    search of the process."""
    global _side
    with _side_lock:
        if _side is None or _side[0] != os.getpid():
            _side = (os.getpid(), ThreadPoolExecutor(SIDE_THREADS, "search-side"))
        pool = _side[1]
    return pool.submit(call, *args)


def _everything(searcher: tantivy.Searcher, query: tantivy.Query, hint: int) -> list[Any]:
    """Every (score, address) matching the query, best first."""
    found = searcher.search(query, limit=max(hint, 1), count=True)
    count = _count_of(found)
    if count > len(found.hits):
        return list(searcher.search(query, limit=count, count=False).hits)
    return list(found.hits)


def _count_of(result: tantivy.SearchResult) -> int:
    """How many documents matched. (tantivy's type stub leaves out `count`, which it has.)"""
    return int(result.count)  # type: ignore[attr-defined]


def _count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many documents match the query."""
    return _count_of(searcher.search(query, limit=1, count=True))


def _or(value: float | None, default: float) -> float:
    return default if value is None else value
