"""The default engine: a tantivy index on local disk under instance/search/.

The live index is the directory named in the file CURRENT; a rebuild writes a new directory and
replaces CURRENT in one rename, so searches never see an empty index. Typos are expanded here
against the index's own term dictionary (one edit for 4–7 letters, two beyond) and the
expansions queried as term queries, so BM25 still ranks. Distance and at-home reach are checked
exactly on the candidates with fast fields; facets are counted from the same candidates.
"""

from __future__ import annotations

import math
import os
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import tantivy
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from marketplace.directory.models import DeliveryMode, ProviderKind
from marketplace.directory.taxonomy import terms as taxonomy_terms
from marketplace.search.documents import SCHEMA_VERSION, Document
from marketplace.search.geo import EARTH_RADIUS_MILES
from marketplace.search.highlight import highlight
from marketplace.search.interfaces import SearchUnavailable
from marketplace.search.query import (
    LANGUAGES,
    Alternative,
    Hit,
    SearchQuery,
    SearchResults,
    allowed_edits,
    empty_facets,
    price_band,
)

# Text fields and their weight in the score.
TEXT_FIELDS = (
    ("title", 3.0),
    ("category_names", 2.0),
    ("specialisms", 2.0),
    ("provider_name", 1.5),
    ("description", 1.0),
)
KEYWORD_FIELDS = ("categories", "kind", "languages", "gender", "cqc_rating", "flags", "slots")
CANDIDATES = 20_000  # most candidates read for exact distance, sorting and facets
MAX_EXPANSIONS = 8
WRITER_HEAP = 64_000_000
CATEGORY_BITS = {term.slug: i for i, term in enumerate(taxonomy_terms())}
KIND_CODES = {kind.value: i for i, kind in enumerate(ProviderKind)}
MODE_CODES = {mode.value: i for i, mode in enumerate(DeliveryMode)}
LANGUAGE_BITS = {language: i for i, language in enumerate(LANGUAGES)}
AT_HOME = MODE_CODES[DeliveryMode.AT_HOME.value]
ONLINE = MODE_CODES[DeliveryMode.ONLINE.value]


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("listing_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("provider_id", stored=True)
    for name, _ in TEXT_FIELDS:
        builder.add_text_field(name, stored=name in ("title", "description", "provider_name"))
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, stored=name == "categories", tokenizer_name="raw")
    builder.add_text_field("price_unit", stored=True, tokenizer_name="raw")
    builder.add_integer_field("price_pence", stored=True, indexed=True, fast=True)
    for name in ("latitude", "longitude"):
        builder.add_float_field(name, indexed=True, fast=True)
    builder.add_float_field("travel_radius_miles", fast=True)
    for name in ("category_mask", "kind_code", "language_mask", "mode_code"):
        builder.add_unsigned_field(name, fast=True)
    return builder.build()


def to_tantivy(doc: Document, schema: tantivy.Schema) -> tantivy.Document:
    flags = [doc["delivery_mode"]]
    flags += [name for name in ("accessible", "verified") if doc[name]]
    located = doc["latitude"] is not None
    if located:
        flags.append("located")
    values: dict[str, Any] = {
        "listing_id": doc["listing_id"],
        "provider_id": doc["provider_id"],
        **{name: doc[name] or "" for name, _ in TEXT_FIELDS},
        "categories": doc["categories"],
        "kind": doc["kind"],
        "languages": doc["languages"],
        "gender": doc["gender"] or "",
        "cqc_rating": doc["cqc_rating"] or "",
        "flags": flags,
        "slots": doc["slots"],
        "price_unit": doc["price_unit"],
        "price_pence": doc["price_pence"],
        "latitude": doc["latitude"] if located else 0.0,
        "longitude": doc["longitude"] if located else 0.0,
        "travel_radius_miles": float(doc["travel_radius_miles"] or 0),
        "category_mask": _mask(doc["categories"], CATEGORY_BITS),
        "kind_code": KIND_CODES[doc["kind"]],
        "language_mask": _mask(doc["languages"], LANGUAGE_BITS),
        "mode_code": MODE_CODES[doc["delivery_mode"]],
    }
    return tantivy.Document.from_dict(values, schema)


def _mask(values: Iterable[str], bits: dict[str, int]) -> int:
    return sum(1 << bits[value] for value in set(values) if value in bits)


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

    def _current(self) -> tantivy.Index:
        """The live index, reopened when another process swapped or committed to it."""
        try:
            live = self._pointer.read_text().strip()
        except FileNotFoundError:
            self.ensure_index()
            live = self._pointer.read_text().strip()
        meta = self.root / live / "meta.json"
        try:
            mtime = meta.stat().st_mtime
            if live != self._live or self._index is None:
                self._index = tantivy.Index.open(str(self.root / live))
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
            writer = index.writer(heap_size=WRITER_HEAP * 4, num_threads=2)
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

    def search(self, query: SearchQuery) -> SearchResults:
        with self._lock:
            index = self._current()
            searcher = index.searcher()
            used: set[str] = set()
            text = self._text_query(query, used)
            if text is None:
                return SearchResults(0, [], empty_facets())
            compiled = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, q) for q in [text, *self._filters(query)]]
            )
            found = searcher.search(compiled, limit=CANDIDATES, count=True)
            return self._collect(searcher, query, found, used)

    def _collect(
        self,
        searcher: tantivy.Searcher,
        query: SearchQuery,
        found: tantivy.SearchResult,
        used: set[str],
    ) -> SearchResults:
        addresses = [address for _, address in found.hits]
        scores = [float(score) for score, _ in found.hits]
        prices = _values(searcher, "price_pence", addresses)
        distances: list[float | None] = [None] * len(addresses)
        keep = list(range(len(addresses)))
        if query.place is not None:
            distances, keep = self._within_reach(searcher, query, addresses)
        matched: int = found.count  # type: ignore[attr-defined]
        total = matched if query.place is None else len(keep)
        facets = self._facets(searcher, [addresses[i] for i in keep], [prices[i] for i in keep])
        order = _sorted(keep, query.sort, scores, distances, prices)
        start = (query.page - 1) * query.per_page
        page = order[start : start + query.per_page]
        hits = [self._hit(searcher, addresses[i], scores[i], distances[i], used) for i in page]
        return SearchResults(total, hits, facets)

    def _within_reach(
        self, searcher: tantivy.Searcher, query: SearchQuery, addresses: list[tantivy.DocAddress]
    ) -> tuple[list[float | None], list[int]]:
        assert query.place is not None
        lats = _values(searcher, "latitude", addresses)
        lons = _values(searcher, "longitude", addresses)
        modes = _values(searcher, "mode_code", addresses)
        reaches = _values(searcher, "travel_radius_miles", addresses)
        origin = query.place.point
        lat0, lon0 = math.radians(origin.latitude), math.radians(origin.longitude)
        cos0 = math.cos(lat0)
        limit = query.radius_miles if query.radius_miles is not None else math.inf
        distances: list[float | None] = []
        keep = []
        for i, (lat, lon, mode, reach) in enumerate(zip(lats, lons, modes, reaches, strict=True)):
            if mode == ONLINE:
                distances.append(None)
                keep.append(i)
                continue
            la, lo = math.radians(lat), math.radians(lon)
            h = (
                math.sin((la - lat0) / 2) ** 2
                + cos0 * math.cos(la) * math.sin((lo - lon0) / 2) ** 2
            )
            miles = 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))
            distances.append(miles)
            if miles <= limit and (mode != AT_HOME or miles <= reach):
                keep.append(i)
        return distances, keep

    def _facets(
        self, searcher: tantivy.Searcher, addresses: list[tantivy.DocAddress], prices: list[int]
    ) -> dict[str, dict[str, int]]:
        facets = empty_facets()
        _count_bits(facets["category"], _values(searcher, "category_mask", addresses),
                    list(CATEGORY_BITS))  # fmt: skip
        _count_bits(facets["language"], _values(searcher, "language_mask", addresses),
                    list(LANGUAGE_BITS))  # fmt: skip
        kinds = list(KIND_CODES)
        for code, n in Counter(_values(searcher, "kind_code", addresses)).items():
            facets["kind"][kinds[code]] = n
        for price, n in Counter(prices).items():
            band = price_band(price)
            facets["price_band"][band] = facets["price_band"].get(band, 0) + n
        return facets

    def _hit(
        self,
        searcher: tantivy.Searcher,
        address: tantivy.DocAddress,
        score: float,
        distance: float | None,
        used: set[str],
    ) -> Hit:
        stored = searcher.doc(address).to_dict()

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
        """All words must match (in any field); None when a word matches nothing at all."""
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
        if query.place is not None:
            filters.append(self._near(query))
        return [f for f in filters if f is not None]

    def _any_of(self, name: str, values: Iterable[str]) -> tantivy.Query | None:
        terms = [tantivy.Query.term_query(self.schema, name, value) for value in values]
        if not terms:
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, t) for t in terms])

    def _near(self, query: SearchQuery) -> tantivy.Query:
        """Online services, or located ones inside the bounding box of the radius."""
        assert query.place is not None
        online = tantivy.Query.term_query(self.schema, "flags", DeliveryMode.ONLINE.value)
        located = tantivy.Query.term_query(self.schema, "flags", "located")
        if query.radius_miles is None:
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, online), (tantivy.Occur.Should, located)]
            )
        point, miles = query.place.point, query.radius_miles
        dlat = math.degrees(miles / EARTH_RADIUS_MILES)
        dlon = dlat / max(math.cos(math.radians(point.latitude)), 0.01)
        box = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, located),
                (tantivy.Occur.Must, self._between("latitude", point.latitude, dlat)),
                (tantivy.Occur.Must, self._between("longitude", point.longitude, dlon)),
            ]
        )
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, online), (tantivy.Occur.Should, box)]
        )

    def _between(self, name: str, centre: float, spread: float) -> tantivy.Query:
        return tantivy.Query.range_query(
            self.schema, name, tantivy.FieldType.Float, centre - spread, centre + spread
        )

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


def _values(
    searcher: tantivy.Searcher, name: str, addresses: list[tantivy.DocAddress]
) -> list[Any]:
    """A fast field's values for many documents at once."""
    return list(searcher.fast_field_values(name, addresses))


def _count_bits(into: dict[str, int], masks: list[int], names: list[str]) -> None:
    for mask, n in Counter(masks).items():
        bit = 0
        while mask:
            if mask & 1:
                into[names[bit]] = into.get(names[bit], 0) + n
            mask >>= 1
            bit += 1


def _sorted(
    keep: list[int],
    sort: str,
    scores: list[float],
    distances: list[float | None],
    prices: list[int],
) -> list[int]:
    far = math.inf
    if sort == "distance":
        return sorted(keep, key=lambda i: (_or(distances[i], far), -scores[i]))
    if sort == "price":
        return sorted(keep, key=lambda i: (prices[i], -scores[i], _or(distances[i], far)))
    return sorted(keep, key=lambda i: (-scores[i], _or(distances[i], far)))


def _or(value: float | None, default: float) -> float:
    return default if value is None else value
