"""A SearchQuery turned into tantivy queries: the text, the filters and the place.

Typos are expanded here against the index's own term dictionary (one edit for 4–7 letters, two
beyond) and the expansions queried as term queries, so BM25 still ranks. A care-word phrase
(an alternative of several words) is found by the terms of its neighbouring word pairs in each
field's pairs (see index.py), a phrase of three words or more checked word by word as well.
Around a place, a search reads a box held in fast fields (see index.py), and the broadest
searches use the grid cells held as terms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import tantivy
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from marketplace.search.geo import EARTH_RADIUS_MILES, Point
from marketplace.search.query import Alternative, SearchQuery, allowed_edits, typed_word
from marketplace.search.tantivy import cells
from marketplace.search.tantivy.columns import Columns
from marketplace.search.tantivy.index import (
    AT_HOME,
    EVERYWHERE,
    FAR,
    ONLINE_CELL,
    PAIRS,
    TEXT_FIELDS,
)

OUTER_SLACK = 1.02  # a box around a circle reaches 2% beyond it
RADIUS_PARTS = 16  # a search circle's edge cells are about 1/16 of its radius
AREA_CACHE = 512  # searched areas kept as built queries (place and radius)
TEXT_CACHE = 4096  # texts kept as built queries (until the index changes)
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


class Compiler:
    """Tantivy queries for a schema. What depends on the index (its term dictionary, each
    text's query, each place's filters) is kept until `forget`; areas, which depend only on
    the place and radius, are kept for good."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema
        self._vocab: dict[str, set[str]] = {}
        self._vocab_list: list[str] = []
        self._expansions: dict[str, frozenset[str]] = {}
        self._texts: dict[Any, tuple[tantivy.Query | None, frozenset[str]]] = {}
        self._areas: dict[tuple[float, float, float | None], Area] = {}
        self._places: dict[Any, tuple[list[tantivy.Query], list[tantivy.Query]]] = {}

    def forget(self) -> None:
        """Forget what was worked out from the index (it has changed)."""
        self._vocab, self._vocab_list, self._expansions = {}, [], {}
        self._texts, self._places = {}, {}

    def parts(
        self, searcher: tantivy.Searcher, query: SearchQuery, used: set[str]
    ) -> list[tantivy.Query] | None:
        """The text and the filters, each of them required: None when a word matches nothing.
        `used` gets the terms queried."""
        text = self.text(searcher, query, used)
        if text is None:
            return None
        return [text, *self.filters(query)]

    # The text

    def text(
        self, searcher: tantivy.Searcher, query: SearchQuery, used: set[str]
    ) -> tantivy.Query | None:
        """All words must match (in any field); None when a word matches nothing at all.
        Built once for each text (until the index changes); `used` gets the terms queried."""
        known = self._texts.get(query.text)
        if known is None:
            terms: set[str] = set()
            known = (self._build_text(searcher, query, terms), frozenset(terms))
            if len(self._texts) >= TEXT_CACHE:
                self._texts.pop(next(iter(self._texts)))
            self._texts[query.text] = known
        used.update(known[1])
        return known[0]

    def _build_text(
        self, searcher: tantivy.Searcher, query: SearchQuery, used: set[str]
    ) -> tantivy.Query | None:
        clauses = []
        for clause in query.clauses:
            typed = typed_word(clause)
            alternatives = [self._alternative(searcher, a, used, typed) for a in clause]
            possible = [a for a in alternatives if a is not None]
            if not possible:
                return None
            clauses.append(
                tantivy.Query.boolean_query([(tantivy.Occur.Should, a) for a in possible])
            )
        if not clauses:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, c) for c in clauses])

    def _alternative(
        self, searcher: tantivy.Searcher, words: Alternative, used: set[str], typed: bool
    ) -> tantivy.Query | None:
        """One word (with its typo expansions when the person typed it) in any field; or a
        phrase: its words next to each other, in order, in one field."""
        if len(words) > 1:
            return self._phrase(searcher, words, used)
        should = []
        for term in self.expand(searcher, words[0]) if typed else (words[0],):
            for name, boost in TEXT_FIELDS:
                if term in self.vocabulary(searcher).get(name, ()):
                    q = tantivy.Query.term_query(self.schema, name, term)
                    should.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, boost)))
                    used.add(term)
        return tantivy.Query.boolean_query(should) if should else None

    def _phrase(
        self, searcher: tantivy.Searcher, words: Alternative, used: set[str]
    ) -> tantivy.Query | None:
        """The phrase in any field: each pair of its neighbouring words, a term of the field's
        pairs (index.PAIRS), ranks it; a longer phrase is also checked word by word."""
        pairs = [f"{a} {b}" for a, b in pairwise(words)]
        should = []
        for name, boost in TEXT_FIELDS:
            field = PAIRS[name]
            if not all(searcher.doc_freq(field, pair) for pair in pairs):
                continue
            found = [tantivy.Query.term_query(self.schema, field, pair) for pair in pairs]
            if len(words) > 2:
                found.append(as_filter(tantivy.Query.phrase_query(self.schema, name, list(words))))
            q = tantivy.Query.boost_query(all_of(found), boost)
            should.append((tantivy.Occur.Should, q))
            used.update(words)
        return tantivy.Query.boolean_query(should) if should else None

    # Typo tolerance against the term dictionary

    def vocabulary(self, searcher: tantivy.Searcher) -> dict[str, set[str]]:
        """The terms of each text field (read once until the index changes)."""
        if not self._vocab:
            self._vocab = {
                name: {term for term, _ in searcher.terms_with_prefix(name, "")}
                for name, _ in TEXT_FIELDS
            }
            self._vocab_list = sorted(set().union(*self._vocab.values()))
        return self._vocab

    def expand(self, searcher: tantivy.Searcher, word: str) -> frozenset[str]:
        """The word and the indexed words within its allowed edits, most frequent first."""
        cached = self._expansions.get(word)
        if cached is not None:
            return cached
        self.vocabulary(searcher)
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

    # Filters

    def filters(self, query: SearchQuery) -> list[tantivy.Query]:
        """The query's filters (categories, kinds, languages … the highest price)."""
        filters = [
            self._any_of("categories", query.categories),
            self._any_of("kind", query.kinds),
            self._any_of("languages", query.languages),
            self._any_of("gender", (query.gender,) if query.gender else ()),
            self._any_of("age_groups", (query.age_group,) if query.age_group else ()),
            self._any_of("cqc_rating", query.cqc_ratings),
            self._any_of("flags", ("accessible",) if query.accessible else ()),
            self._any_of("flags", ("verified",) if query.verified_only else ()),
            self._any_of("slots", (query.slot,) if query.slot else ()),
        ]
        if query.max_price_pence is not None:
            filters.append(self.prices(0, query.max_price_pence))
        return [f for f in filters if f is not None]

    def _any_of(self, name: str, values: Iterable[str]) -> tantivy.Query | None:
        terms = [tantivy.Query.term_query(self.schema, name, value) for value in values]
        if not terms:
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, t) for t in terms])

    def term(self, name: str, value: str) -> tantivy.Query:
        """Documents holding the term in the field."""
        return tantivy.Query.term_query(self.schema, name, value)

    def terms(self, name: str, values: list[str] | tuple[str, ...]) -> tantivy.Query:
        """Documents holding any of the terms in the field (none when there are none)."""
        if not values:
            return tantivy.Query.empty_query()
        return tantivy.Query.term_set_query(self.schema, name, list(values))

    def prices(self, low: int | None, high: int | None) -> tantivy.Query:
        """Documents priced from `low` to `high` pence (None: no limit)."""
        return tantivy.Query.range_query(
            self.schema, "price_pence", tantivy.FieldType.Integer, low, high
        )

    def floats(self, name: str, low: float | None, high: float | None) -> tantivy.Query:
        """Documents whose float field is from `low` to `high` (None: no limit)."""
        return tantivy.Query.range_query(self.schema, name, tantivy.FieldType.Float, low, high)

    # The place

    def area(self, query: SearchQuery) -> Area:
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
        reaches = as_filter(self.terms("reach", reach_maybe))
        if miles is None:
            return Area(
                sure=(as_filter(self.terms("reach", reach_sure)),),
                band=reaches,
                candidates=(as_filter(self.terms("reach", reach_sure + reach_maybe)),),
            )
        finest, coarsest = cells.level_for(miles, RADIUS_PARTS), cells.level_for(miles, 1)
        circle = cells.cover(point.latitude, point.longitude, miles, finest, coarsest)
        return Area(
            sure=(
                as_filter(self.terms("cells", [ONLINE_CELL, *circle.sure])),
                as_filter(self.terms("reach", reach_sure)),
            ),
            band=as_filter(_any([self.terms("cells", circle.maybe), reaches])),
            candidates=(
                as_filter(self.terms("cells", [ONLINE_CELL, *circle.sure, *circle.maybe])),
                as_filter(self.terms("reach", reach_sure + reach_maybe)),
            ),
        )

    def box(self, point: Point, miles: float) -> list[tantivy.Query]:
        """A latitude/longitude box holding every point within `miles` (and a little more)."""
        dlat, dlon = outer_spread(point.latitude, miles)
        return [
            self.floats("latitude", point.latitude - dlat, point.latitude + dlat),
            self.floats("longitude", point.longitude - dlon, point.longitude + dlon),
        ]

    def near(
        self, query: SearchQuery, parts: list[tantivy.Query], table: Columns, located: bool = False
    ) -> tantivy.Query:
        """The parts, all required, and the box around the place holding every point within
        the radius (or, with no radius, anywhere): online services and located ones inside
        it. Tantivy checks the box from fast fields only for documents the rest matches.
        When most services at home within the radius would not travel as far as the place
        (a wide circle), those whose travel cover does not hold the place are left out too,
        by the reach terms (see index.reach_terms): fewer candidates to read for a little
        more work in tantivy."""
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
        """The filters of `near` for a place and radius: required and excluded. `located`:
        leave out online services (their box_n is below every place's)."""
        floor = -FAR / 2 if located else None
        if miles is None:
            box = [self.floats("box_s", -FAR / 2, None)]
            if located:
                box.append(self.floats("box_n", floor, None))
        else:
            dlat, dlon = outer_spread(point.latitude, miles)
            box = [
                self.floats("box_s", point.latitude - dlat, None),
                self.floats("box_n", floor, point.latitude + dlat),
                self.floats("box_w", point.longitude - dlon, None),
                self.floats("box_e", None, point.longitude + dlon),
            ]
        if not table.mostly_out_of_reach(miles):
            return [as_filter(q) for q in box], []
        here = cells.cell_names(point.latitude, point.longitude)
        reaching = self.terms("reach", [f"{kind}:{name}" for kind in "sm" for name in here])
        at_home = tantivy.Query.range_query(
            self.schema, "mode_code", tantivy.FieldType.Unsigned, AT_HOME, AT_HOME
        )
        beyond = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, at_home), (tantivy.Occur.MustNot, reaching)]
        )
        return [as_filter(q) for q in box], [beyond]


def outer_spread(latitude: float, miles: float) -> tuple[float, float]:
    """Degrees of latitude and longitude either side of a point that hold every point within
    `miles` of it, with a margin."""
    dlat = math.degrees(miles * OUTER_SLACK / EARTH_RADIUS_MILES) + 1e-6
    far = min(abs(latitude) + dlat, 89.0)
    return dlat, min(dlat / max(math.cos(math.radians(far)), 0.01), 360.0)


def all_of(queries: list[tantivy.Query]) -> tantivy.Query:
    """Documents matching every one of the queries."""
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])


def _any(queries: list[tantivy.Query]) -> tantivy.Query:
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def as_filter(query: tantivy.Query) -> tantivy.Query:
    """A query that narrows without adding to the score."""
    return tantivy.Query.const_score_query(query, 0.0)
