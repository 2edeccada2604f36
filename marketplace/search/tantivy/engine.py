"""The default engine: a tantivy index on local disk under instance/search/.

The live index is the directory named in the file CURRENT; a rebuild writes a new directory and
replaces CURRENT in one rename, so searches never see an empty index. Typos are expanded here
against the index's own term dictionary (one edit for 4–7 letters, two beyond) and the
expansions queried as term queries, so BM25 still ranks.

A search near a place (the usual search) reads, in one pass, every candidate with its score:
the text and filters, and a box around the place held in fast fields (box_s … box_e) that
tantivy checks only for documents the rest matches. The exact distance and at-home reach
checks, the facet counts and the order are then worked out over in-memory arrays of the fast
fields (columns.py). On a wide circle, at-home services whose travel cover misses the place
are left out by their reach terms. When the text is broad, online services (found from
everywhere) are counted and faceted by tantivy and only those that could be on the page read.

Geography is also in the index as terms (see cells.py): each located document names its grid
cell at every level, and an at-home service names the cells its travel radius certainly covers
("s:…") and those it may cover ("m:…"; venues name "any"). A search too broad to read its
located candidates at once (a radius of a hundred miles or more) uses them: the cells certainly
inside the circle and the place's own cells in the travel covers give the documents certainly
within reach, counted and aggregated by tantivy; a thin band (cells on the circle's edge, or the
place on the edge of a travel cover) is checked exactly in Python.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tantivy
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from marketplace.directory.models import DeliveryMode
from marketplace.search.documents import SCHEMA_VERSION, Document
from marketplace.search.geo import EARTH_RADIUS_MILES, Point
from marketplace.search.highlight import highlight
from marketplace.search.interfaces import SearchUnavailable
from marketplace.search.query import (
    Alternative,
    Hit,
    SearchQuery,
    SearchResults,
    allowed_edits,
    empty_facets,
)
from marketplace.search.tantivy import cells
from marketplace.search.tantivy.columns import (
    Candidates,
    Columns,
    Floats,
    miles_from,
    miles_of,
    origin_of,
    without_collection,
)
from marketplace.search.tantivy.facets import added, aggregated, count_into, counted
from marketplace.search.tantivy.index import (
    AT_HOME,
    EVERYWHERE,
    FAR,
    ONLINE,
    ONLINE_CELL,
    REBUILD_HEAP,
    TEXT_FIELDS,
    WRITER_HEAP,
    build_schema,
    field_values,
    to_tantivy,
)

OVER_FETCH = 20  # extra hits read for a page sorted by price, for those the exact check drops
ALL_AT_ONCE = 20_000  # a search near a place reads this many candidates at once: most often all
ALL_AT_ONCE_LOCATED = 50_000  # beyond that, the located ones apart (the online ones counted)
APART_FROM = 5_000  # online services likely matched from which they are counted apart at once
TIE_ROOM = 40  # extra hits read by score, so a tie at the page's end is usually all read at once
OUTER_SLACK = 1.02  # a box around a circle reaches 2% beyond it
RADIUS_PARTS = 16  # a search circle's edge cells are about 1/16 of its radius
AREA_CACHE = 512  # searched areas kept as built queries (place and radius)
TEXT_CACHE = 4096  # texts kept as built queries (until the index changes)
STORED_CACHE = 4096  # listings' stored fields kept after being shown (until the index changes)
MAX_EXPANSIONS = 8


@dataclass(frozen=True)
class Area:
    """Filters around a place. `sure`: documents certainly within reach (online, or in a cell
    wholly inside the circle and, if at home, travelling to the place's cell for certain).
    `band`: the others that may be (in a cell on the circle's edge, or with the place on the
    edge of their travel). The two never overlap. `candidates`: both."""

    sure: tuple[tantivy.Query, ...]
    band: tantivy.Query
    candidates: tuple[tantivy.Query, ...]


class TantivyEngine:
    name = "tantivy"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.schema = build_schema()
        self._lock = threading.RLock()  # _write holds it and may create the index
        self._index: tantivy.Index | None = None
        self._live: str | None = None
        self._meta_mtime = 0.0
        self._vocab: dict[str, set[str]] = {}
        self._vocab_list: list[str] = []
        self._expansions: dict[str, frozenset[str]] = {}
        self._areas: dict[tuple[float, float, float | None], Area] = {}
        self._columns: Columns | None = None
        self._texts: dict[Any, tuple[tantivy.Query | None, frozenset[str]]] = {}
        self._stored: dict[tuple[int, int], dict[str, Any]] = {}
        self._places: dict[Any, tuple[list[tantivy.Query], list[tantivy.Query]]] = {}
        self._breadths: dict[str, float] = {}
        self._columns_shape = (0, 0)
        self._pointer_seen: tuple[int, ...] = ()
        self._pointer_name: str | None = None

    # The live directory

    @property
    def _pointer(self) -> Path:
        return self.root / "CURRENT"

    def _new_dir(self) -> Path:
        path = self.root / f"v{SCHEMA_VERSION}-{uuid.uuid4().hex[:12]}"
        path.mkdir(parents=True)
        return path

    def _swap_to(self, path: Path) -> None:
        previous = self._pointer.read_text().strip() if self._pointer.exists() else None
        staging = self.root / f"CURRENT.{uuid.uuid4().hex}"
        staging.write_text(path.name)
        os.replace(staging, self._pointer)
        if previous and previous != path.name:
            shutil.rmtree(self.root / previous, ignore_errors=True)

    def ensure_index(self) -> None:
        with self._lock:
            if self._pointer.exists():
                return
            path = self._new_dir()
            tantivy.Index(self.schema, path=str(path))
            self._swap_to(path)

    def _read_pointer(self) -> str:
        """The live directory's name; CURRENT is read again only when its file has changed
        (a swap replaces it with a new file)."""
        try:
            stat = os.stat(self._pointer)
        except FileNotFoundError:
            self.ensure_index()
            stat = os.stat(self._pointer)
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size)
        if seen != self._pointer_seen or self._pointer_name is None:
            self._pointer_name = self._pointer.read_text().strip()
            self._pointer_seen = seen
        return self._pointer_name

    def _current(self) -> tantivy.Index:
        """The live index, reopened when another process swapped or committed to it."""
        live = self._read_pointer()
        if not live.startswith(f"v{SCHEMA_VERSION}-"):
            raise SearchUnavailable(
                f"tantivy index {live} has an older schema: run `flask search reindex`"
            )
        meta = self.root / live / "meta.json"
        try:
            mtime = meta.stat().st_mtime
            if live != self._live or self._index is None:
                self._index = tantivy.Index.open(str(self.root / live))
                self._index.config_reader("Manual")  # searchers change only on reload()
                self._live, self._meta_mtime = live, mtime
                self._forget_vocabulary()
            elif mtime != self._meta_mtime:
                self._index.reload()
                self._meta_mtime = mtime
                self._forget_vocabulary()
        except (OSError, ValueError) as error:
            raise SearchUnavailable(f"tantivy index {live}: {error}") from error
        return self._index

    # Writing

    def upsert(self, docs: list[Document]) -> None:
        def change(writer: tantivy.IndexWriter) -> None:
            for doc in docs:
                self._replace(writer, doc)

        self._write(change)

    def delete(self, listing_ids: list[int]) -> None:
        self._write(
            lambda writer: [
                writer.delete_documents_by_term("listing_id", listing_id)
                for listing_id in listing_ids
            ]
        )

    def _replace(self, writer: tantivy.IndexWriter, doc: Document) -> None:
        writer.delete_documents_by_term("listing_id", doc["listing_id"])
        writer.add_document(to_tantivy(doc, self.schema))

    def _write(self, change: Callable[[tantivy.IndexWriter], object]) -> None:
        with self._lock:
            index = self._current()
            try:
                writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
                change(writer)
                writer.commit()
                writer.wait_merging_threads()
            except (OSError, ValueError, RuntimeError) as error:
                raise SearchUnavailable(f"tantivy write failed: {error}") from error
            index.reload()
            self._forget_vocabulary()

    def rebuild(self, docs: Iterable[Document], progress: Callable[[int], None]) -> int:
        with self._lock:
            path = self._new_dir()
            index = tantivy.Index(self.schema, path=str(path))
            # One indexing thread with room for the whole rebuild: one segment, so a search
            # opens each term's postings once (Python preparing documents is the bottleneck).
            writer = index.writer(heap_size=REBUILD_HEAP, num_threads=1)
            added = 0
            for doc in docs:
                writer.add_document(to_tantivy(doc, self.schema))
                added += 1
                progress(1)
            writer.commit()
            writer.wait_merging_threads()
            self._swap_to(path)
            self._index = None
        return added

    def count(self) -> int:
        with self._lock:
            return int(self._current().searcher().num_docs)

    # Searching
    #
    # Tantivy narrows and ranks; the candidates' exact reach, facets and order are worked out
    # over arrays (_from_all), or, for the broadest searches, tantivy counts and aggregates
    # what it can (_apart, then the passes below it).

    def search(self, query: SearchQuery) -> SearchResults:
        with self._lock:
            index = self._current()
            searcher = index.searcher()
            used: set[str] = set()
            text = self._text_query(query, used)
            if text is None:
                return SearchResults(0, [], empty_facets())
            parts = [text, *self._filters(query)]
            if query.place is None:
                return self._search_everywhere(searcher, query, _all(parts), used)
            wide = self._near(query, parts, self._table(searcher))
            start = (query.page - 1) * query.per_page
            # One pass reads every candidate with its score (all but the broadest searches);
            # the checks, counts and order are then worked out over arrays (see columns.py).
            with without_collection():
                # Online services are found from everywhere, so a broad text can match
                # thousands of them: those are counted by tantivy and only the few that could
                # be on the page read (see _apart). Otherwise one read is quickest.
                if self._likely_online(searcher, query) < APART_FROM:
                    read = searcher.search(wide, limit=ALL_AT_ONCE, count=True)
                    if _count_of(read) <= ALL_AT_ONCE:
                        return self._from_all(searcher, query, read.hits, start, used)
                apart = self._apart(searcher, query, parts, start, used)
                if apart is not None:
                    return apart
            area = self._area(query)
            facets, total = aggregated(searcher, _all([*parts, *area.sure]))
            band = _filter(_all([*parts, area.band]))
            kept = [
                a for a, _, _ in self._survivors(searcher, query, _everything(searcher, band, 256))
            ]
            total += len(kept)
            if total == 0:
                return SearchResults(0, [], empty_facets())
            count_into(facets, searcher, kept)
            need = min(start + query.per_page, total)
            if query.sort == "relevance":
                rows = self._by_score(searcher, query, wide, need)
            else:
                rows = self._ranked(searcher, query, wide, need, total)
            hits = [self._hit(searcher, address, score, distance, used)
                    for address, score, distance in rows[start:need]]  # fmt: skip
            return SearchResults(total, hits, facets)

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

    def _apart(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        parts: list[tantivy.Query],
        start: int,
        used: set[str],
    ) -> SearchResults | None:
        """A broad search, with more candidates than are read at once: the located ones are
        read whole as in _from_all, and the online ones (found from everywhere, so often
        most of them) are counted by tantivy, with only those that could be on the page
        read. None when even the located ones are too many to read at once."""
        table = self._table(searcher)
        near = self._near(query, parts, table, located=True)
        read = searcher.search(near, limit=ALL_AT_ONCE_LOCATED, count=True)
        if _count_of(read) > ALL_AT_ONCE_LOCATED:
            return None
        kept, nearness = self._within_reach(searcher, query, read.hits)
        online = _all([*parts, _filter(self._term("flags", DeliveryMode.ONLINE.value))])
        online_facets, online_total = aggregated(searcher, online)
        total = len(kept) + online_total
        need = min(start + query.per_page, total)
        extra = table.candidates(searcher, self._online_first(searcher, query, online, need))
        facets = added(counted(kept), online_facets)
        nearness = np.concatenate([nearness, np.full(len(extra), math.inf)])
        return self._page(searcher, query, kept.join(extra), nearness, facets, start, used,
                          total)  # fmt: skip

    def _likely_online(self, searcher: tantivy.Searcher, query: SearchQuery) -> float:
        """About how many online services the text and filters match: an estimate from the
        number of listings holding each term, taking words and the category and kind filters
        as independent (on the bench's queries, within a factor of 3 either way)."""
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
        return share * self._table(searcher).online_count

    def _text_share(self, searcher: tantivy.Searcher, query: SearchQuery, everyone: int) -> float:
        """About what share of listings the text matches: a word, the share of the field
        where its spellings are most often found; an alternative, the product of its words'
        shares; a clause, the sum of its alternatives'; the text, the product of its
        clauses'."""
        vocabulary = self._vocabulary()
        share = 1.0
        for clause in query.clauses:
            either = 0.0
            for alternative in clause:
                each = 1.0
                for word in alternative:
                    spellings = self._expand(word)
                    most = max(
                        sum(searcher.doc_freq(name, term) for term in spellings
                            if term in vocabulary.get(name, ()))
                        for name, _ in TEXT_FIELDS
                    )  # fmt: skip
                    each *= min(1.0, most / everyone)
                either += each
            share *= min(1.0, either)
        return share

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
        top = tantivy.Query.range_query(
            self.schema, "price_pence", tantivy.FieldType.Integer, None, int(cheapest[-1][0])
        )
        return _everything(searcher, _all([online, _filter(top)]), len(cheapest))

    def _within_reach(
        self, searcher: tantivy.Searcher, query: SearchQuery, found: list[Any]
    ) -> tuple[Candidates, Floats]:
        """The candidates within reach of the place, and their nearness to it."""
        assert query.place is not None
        point = query.place.point
        table = self._table(searcher)
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
        facets: dict[str, dict[str, int]],
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
            hits.append(self._hit(searcher, kept.address(i), float(kept.scores[i]), distance, used))
        return SearchResults(total, hits, facets)

    def _table(self, searcher: tantivy.Searcher) -> Columns:
        """The in-memory arrays of the live index (copied again whenever it changes)."""
        shape = (int(searcher.num_docs), int(searcher.num_segments))
        if self._columns is None or self._columns_shape != shape:
            self._columns, self._columns_shape = Columns.load(searcher, AT_HOME, ONLINE), shape
        return self._columns

    def _search_everywhere(
        self, searcher: tantivy.Searcher, query: SearchQuery, q: tantivy.Query, used: set[str]
    ) -> SearchResults:
        """A search with no place: tantivy alone decides, counts and ranks."""
        facets, total = aggregated(searcher, q)
        if total == 0:
            return SearchResults(0, [], empty_facets())
        start = (query.page - 1) * query.per_page
        need = min(start + query.per_page, total)
        rows = self._ranked(searcher, query, q, need, total)
        hits = [self._hit(searcher, address, score, distance, used)
                for address, score, distance in rows[start:need]]  # fmt: skip
        return SearchResults(total, hits, facets)

    def _by_score(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        wide: tantivy.Query,
        need: int,
    ) -> list[tuple[tantivy.DocAddress, float, float | None]]:
        """Best score first, then nearest: the best of the candidates, those of the band found
        out of reach left out, read until the score of the last one needed is beaten (so ties
        are broken by distance) or there are no more."""
        limit = need + TIE_ROOM
        while True:
            found = searcher.search(wide, limit=limit, count=False).hits
            rows = self._survivors(searcher, query, found)
            rows.sort(key=_relevance_order)
            if len(found) < limit or (
                len(rows) >= need and rows[need - 1][1] > float(found[-1][0])
            ):
                return rows[:need]
            limit *= 4

    def _near(
        self, query: SearchQuery, parts: list[tantivy.Query], table: Columns, located: bool = False
    ) -> tantivy.Query:
        """The parts, all required, and the box around the place holding every point within
        the radius (or, with no radius, anywhere): online services and located ones inside
        it. Tantivy checks the box from fast fields only for documents the rest matches.
        When most services at home within the radius would not travel as far as the place
        (a wide circle), those whose travel cover does not hold the place are left out too,
        by the reach terms (see reach_terms): fewer candidates to read for a little more work
        in tantivy."""
        assert query.place is not None
        point = query.place.point
        key = (point.latitude, point.longitude, query.radius_miles, located)
        near = self._places.get(key)
        if near is None:
            near = self._place_filters(point, query.radius_miles, table, located)
            if len(self._places) >= AREA_CACHE:
                self._places.pop(next(iter(self._places)))
            self._places[key] = near
        required, excluded = near
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, q) for q in [*parts, *required]]
            + [(tantivy.Occur.MustNot, q) for q in excluded]
        )

    def _place_filters(
        self, point: Point, miles: float | None, table: Columns, located: bool
    ) -> tuple[list[tantivy.Query], list[tantivy.Query]]:
        """The filters of `_near` for a place and radius: required and excluded. `located`:
        leave out online services (their box_n is below every place's)."""
        floor = -FAR / 2 if located else None
        if miles is None:
            box = [self._float("box_s", -FAR / 2, None)]
            if located:
                box.append(self._float("box_n", floor, None))
        else:
            dlat, dlon = outer_spread(point.latitude, miles)
            box = [
                self._float("box_s", point.latitude - dlat, None),
                self._float("box_n", floor, point.latitude + dlat),
                self._float("box_w", point.longitude - dlon, None),
                self._float("box_e", None, point.longitude + dlon),
            ]
        if not table.mostly_out_of_reach(miles):
            return [_filter(q) for q in box], []
        here = cells.cell_names(point.latitude, point.longitude)
        reaching = self._terms("reach", [f"{kind}:{name}" for kind in "sm" for name in here])
        at_home = tantivy.Query.range_query(
            self.schema, "mode_code", tantivy.FieldType.Unsigned, AT_HOME, AT_HOME
        )
        beyond = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, at_home), (tantivy.Occur.MustNot, reaching)]
        )
        return [_filter(q) for q in box], [beyond]

    def compiled(self, query: SearchQuery) -> tantivy.Query | None:
        """The query a search near a place reads (text, filters and the box around the place),
        or with no place the one it ranks with (for the bench): None when a word matches
        nothing."""
        with self._lock:
            searcher = self._current().searcher()
            text = self._text_query(query, set())
            if text is None:
                return None
            parts = [text, *self._filters(query)]
            if query.place is None:
                return _all(parts)
            return self._near(query, parts, self._table(searcher))

    def _ranked(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        outer: tantivy.Query,
        need: int,
        matched: int,
    ) -> list[tuple[tantivy.DocAddress, float, float | None]]:
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
    ) -> list[tuple[tantivy.DocAddress, float, float | None]]:
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
            upto = _all([outer, _filter(tantivy.Query.range_query(
                self.schema, "price_pence", tantivy.FieldType.Integer, None, top))])  # fmt: skip
            found = _everything(searcher, upto, len(cheapest))
            rows: list[tuple[tantivy.DocAddress, float, float | None]]
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
    ) -> list[tuple[tantivy.DocAddress, float, float | None]]:
        """Nearest first (then best score), growing a box around the place until it holds
        enough; online services, which have no distance, come after in score order."""
        assert query.place is not None
        point = query.place.point
        located = _all([outer, _filter(self._term("flags", "located"))])
        online = _all([outer, _filter(self._term("flags", DeliveryMode.ONLINE.value))])
        reachable = _count(searcher, located)
        scale = query.radius_miles or 50.0
        miles = max(0.5, scale * math.sqrt(2 * need / max(reachable, 1)))
        rows: list[tuple[tantivy.DocAddress, float, float | None]] = []
        while reachable:
            box = _all([located, _filter(_all(self._box(point, miles)))])
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
    ) -> list[tuple[tantivy.DocAddress, float, float | None]]:
        addresses, checks = self._checked_hits(searcher, query, found)
        return [
            (address, float(score), distance)
            for (score, address), (ok, distance) in zip(found, checks, strict=True)
            if ok
        ]

    def _checked_hits(
        self, searcher: tantivy.Searcher, query: SearchQuery, found: list[Any]
    ) -> tuple[list[tantivy.DocAddress], list[tuple[bool, float | None]]]:
        assert query.place is not None
        addresses = [address for _, address in found]
        if not addresses:
            return [], []
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
        return addresses, checks

    def _hit(
        self,
        searcher: tantivy.Searcher,
        address: tantivy.DocAddress,
        score: float,
        distance: float | None,
        used: set[str],
    ) -> Hit:
        key = (address.segment_ord, address.doc)
        stored = self._stored.get(key)
        if stored is None:
            stored = searcher.doc(address).to_dict()
            if len(self._stored) >= STORED_CACHE:
                self._stored.pop(next(iter(self._stored)))
            self._stored[key] = stored

        def first(name: str) -> Any:
            return stored.get(name, [None])[0]

        title, description = first("title") or "", first("description") or ""
        return Hit(
            listing_id=first("listing_id"),
            title=title,
            provider_id=first("provider_id"),
            provider_name=first("provider_name") or "",
            categories=list(stored.get("categories", [])),
            price_pence=first("price_pence"),
            price_unit=first("price_unit"),
            distance_miles=distance,
            score=score,
            highlights={
                "title": highlight(title, used),
                "description": highlight(description, used, snippet=True),
            },
        )

    # Building the query

    def _text_query(self, query: SearchQuery, used: set[str]) -> tantivy.Query | None:
        """All words must match (in any field); None when a word matches nothing at all.
        Built once for each text (until the index changes); `used` gets the terms queried."""
        known = self._texts.get(query.text)
        if known is None:
            terms: set[str] = set()
            known = (self._build_text_query(query, terms), frozenset(terms))
            if len(self._texts) >= TEXT_CACHE:
                self._texts.pop(next(iter(self._texts)))
            self._texts[query.text] = known
        used.update(known[1])
        return known[0]

    def _build_text_query(self, query: SearchQuery, used: set[str]) -> tantivy.Query | None:
        clauses = []
        for clause in query.clauses:
            alternatives = [self._alternative(a, used) for a in clause]
            possible = [a for a in alternatives if a is not None]
            if not possible:
                return None
            clauses.append(
                tantivy.Query.boolean_query([(tantivy.Occur.Should, a) for a in possible])
            )
        if not clauses:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, c) for c in clauses])

    def _alternative(self, words: Alternative, used: set[str]) -> tantivy.Query | None:
        musts = []
        for word in words:
            should = []
            for term in self._expand(word):
                for name, boost in TEXT_FIELDS:
                    if term in self._vocabulary().get(name, ()):
                        q = tantivy.Query.term_query(self.schema, name, term)
                        should.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, boost)))
                        used.add(term)
            if not should:
                return None
            musts.append((tantivy.Occur.Must, tantivy.Query.boolean_query(should)))
        return tantivy.Query.boolean_query(musts)

    def _filters(self, query: SearchQuery) -> list[tantivy.Query]:
        filters = [
            self._any_of("categories", query.categories),
            self._any_of("kind", query.kinds),
            self._any_of("languages", query.languages),
            self._any_of("gender", (query.gender,) if query.gender else ()),
            self._any_of("cqc_rating", query.cqc_ratings),
            self._any_of("flags", ("accessible",) if query.accessible else ()),
            self._any_of("flags", ("verified",) if query.verified_only else ()),
            self._any_of("slots", (query.slot,) if query.slot else ()),
        ]
        if query.max_price_pence is not None:
            filters.append(
                tantivy.Query.range_query(
                    self.schema, "price_pence", tantivy.FieldType.Integer, 0, query.max_price_pence
                )
            )
        return [f for f in filters if f is not None]

    def _any_of(self, name: str, values: Iterable[str]) -> tantivy.Query | None:
        terms = [tantivy.Query.term_query(self.schema, name, value) for value in values]
        if not terms:
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, t) for t in terms])

    def _term(self, name: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, name, value)

    def _terms(self, name: str, values: list[str] | tuple[str, ...]) -> tantivy.Query:
        if not values:
            return tantivy.Query.empty_query()
        return tantivy.Query.term_set_query(self.schema, name, list(values))

    def _area(self, query: SearchQuery) -> Area:
        """Around the place: filters for the documents certainly within reach, for the band
        that may be, and for both; built once for each place and radius."""
        assert query.place is not None
        point = query.place.point
        key = (point.latitude, point.longitude, query.radius_miles)
        found = self._areas.get(key)
        if found is None:
            found = self._build_area(point, query.radius_miles)
            if len(self._areas) >= AREA_CACHE:
                self._areas.pop(next(iter(self._areas)))
            self._areas[key] = found
        return found

    def _build_area(self, point: Point, miles: float | None) -> Area:
        here = cells.cell_names(point.latitude, point.longitude)
        reach_sure = [EVERYWHERE, *(f"s:{name}" for name in here)]
        reach_maybe = [f"m:{name}" for name in here]
        reaches = _filter(self._terms("reach", reach_maybe))
        if miles is None:
            return Area(
                sure=(_filter(self._terms("reach", reach_sure)),),
                band=reaches,
                candidates=(_filter(self._terms("reach", reach_sure + reach_maybe)),),
            )
        finest, coarsest = cells.level_for(miles, RADIUS_PARTS), cells.level_for(miles, 1)
        circle = cells.cover(point.latitude, point.longitude, miles, finest, coarsest)
        return Area(
            sure=(
                _filter(self._terms("cells", [ONLINE_CELL, *circle.sure])),
                _filter(self._terms("reach", reach_sure)),
            ),
            band=_filter(_any([self._terms("cells", circle.maybe), reaches])),
            candidates=(
                _filter(self._terms("cells", [ONLINE_CELL, *circle.sure, *circle.maybe])),
                _filter(self._terms("reach", reach_sure + reach_maybe)),
            ),
        )

    def _box(self, point: Point, miles: float) -> list[tantivy.Query]:
        """A latitude/longitude box holding every point within `miles` (and a little more)."""
        dlat, dlon = outer_spread(point.latitude, miles)
        return [
            self._float("latitude", point.latitude - dlat, point.latitude + dlat),
            self._float("longitude", point.longitude - dlon, point.longitude + dlon),
        ]

    def _float(self, name: str, low: float | None, high: float | None) -> tantivy.Query:
        return tantivy.Query.range_query(self.schema, name, tantivy.FieldType.Float, low, high)

    # Typo tolerance against the term dictionary

    def _vocabulary(self) -> dict[str, set[str]]:
        if not self._vocab and self._index is not None:
            searcher = self._index.searcher()
            self._vocab = {
                name: {term for term, _ in searcher.terms_with_prefix(name, "")}
                for name, _ in TEXT_FIELDS
            }
            self._vocab_list = sorted(set().union(*self._vocab.values()))
        return self._vocab

    def _forget_vocabulary(self) -> None:
        self._vocab, self._vocab_list, self._expansions = {}, [], {}
        self._columns = None
        self._texts, self._stored, self._places, self._breadths = {}, {}, {}, {}

    def _expand(self, word: str) -> frozenset[str]:
        """The word and the indexed words within its allowed edits, most frequent first."""
        cached = self._expansions.get(word)
        if cached is not None:
            return cached
        self._vocabulary()
        edits = allowed_edits(word)
        found = {word}
        if edits:
            matches = process.extract(
                word,
                self._vocab_list,
                scorer=Levenshtein.distance,
                score_cutoff=edits,
                limit=MAX_EXPANSIONS,
            )
            found.update(match for match, _, _ in matches)
        result = frozenset(found)
        if len(self._expansions) < 10_000:
            self._expansions[word] = result
        return result


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


def outer_spread(latitude: float, miles: float) -> tuple[float, float]:
    """Degrees of latitude and longitude either side of a point that hold every point within
    `miles` of it, with a margin."""
    dlat = math.degrees(miles * OUTER_SLACK / EARTH_RADIUS_MILES) + 1e-6
    far = min(abs(latitude) + dlat, 89.0)
    return dlat, min(dlat / max(math.cos(math.radians(far)), 0.01), 360.0)


def _all(queries: list[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


def _any(queries: list[tantivy.Query]) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _filter(query: tantivy.Query) -> tantivy.Query:
    """A query that narrows without adding to the score."""
    return tantivy.Query.const_score_query(query, 0.0)


def _everything(searcher: tantivy.Searcher, query: tantivy.Query, hint: int) -> list[Any]:
    """Every (score, address) matching the query, best first."""
    found = searcher.search(query, limit=max(hint, 1), count=True)
    count = _count_of(found)
    if count > len(found.hits):
        return list(searcher.search(query, limit=count, count=False).hits)
    return list(found.hits)


def _relevance_order(row: tuple[tantivy.DocAddress, float, float | None]) -> tuple[Any, ...]:
    """Best score first, then nearest (online services, with no distance, last), then index
    order."""
    address, score, distance = row
    return (-score, math.inf if distance is None else distance, address.segment_ord, address.doc)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _count_of(result: tantivy.SearchResult) -> int:
    """How many documents matched. (tantivy's type stub leaves out `count`, which it has.)"""
    return int(result.count)  # type: ignore[attr-defined]


def _count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    return _count_of(searcher.search(query, limit=1, count=True))
