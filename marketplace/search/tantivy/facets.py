"""Facet counts: by category, language, kind and price band.

Counted either over the candidates' rows in memory (columns.py), or by a tantivy aggregation of
one number per document (a bit mask of categories, of languages; the kind's code): far cheaper
for tantivy than terms of a text field with several values. Every distinct mask is a bucket;
MASK_BUCKETS is far beyond what a taxonomy of a few dozen terms gives, and if a search ever had
more, the text fields' terms are aggregated instead.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

import tantivy

from marketplace.search.query import PRICE_BANDS, empty_facets, price_band
from marketplace.search.tantivy.columns import Candidates, facet_counts
from marketplace.search.tantivy.index import (
    CATEGORY_BITS,
    FAST_KEYWORDS,
    KIND_CODES,
    LANGUAGE_BITS,
    field_values,
)

Facets = dict[str, dict[str, int]]
CATEGORY_NAMES, KIND_NAMES = list(CATEGORY_BITS), list(KIND_CODES)
LANGUAGE_NAMES = list(LANGUAGE_BITS)
PRICE_RANGES = {
    "range": {
        "field": "price_pence",
        "ranges": [
            {"from": low, "to": high} if low else {"to": high}
            for _, _, low, high in PRICE_BANDS[:-1]
        ]
        + [{"from": PRICE_BANDS[-1][2]}],
    }
}
MASK_BUCKETS = 65_536
FACET_CODES = {
    "categories": {"terms": {"field": "category_mask", "size": MASK_BUCKETS}},
    "languages": {"terms": {"field": "language_mask", "size": MASK_BUCKETS}},
    "kind": {"terms": {"field": "kind_code", "size": 1000}},
    "price": PRICE_RANGES,
}
FACET_AGGREGATIONS = {
    **{name: {"terms": {"field": name, "size": 1000}} for name in FAST_KEYWORDS},
    "price": PRICE_RANGES,
}


def counted(found: Candidates) -> Facets:
    """Facet counts of the candidates."""
    edges = [low for _, _, low, _ in PRICE_BANDS] + [PRICE_BANDS[-1][3]]
    counts = facet_counts(found, len(CATEGORY_NAMES), len(LANGUAGE_NAMES), len(KIND_NAMES), edges)
    facets = empty_facets()
    for name, known, found_counts in zip(
        ("category", "language", "kind", "price_band"),
        (CATEGORY_NAMES, LANGUAGE_NAMES, KIND_NAMES, [key for key, *_ in PRICE_BANDS]),
        counts,
        strict=True,
    ):
        facets[name] = {key: n for key, n in zip(known, found_counts, strict=True) if n}
    return facets


def added(*counts: Facets) -> Facets:
    """Facet counts added up."""
    total = empty_facets()
    for facets in counts:
        for name, values in facets.items():
            for key, n in values.items():
                total[name][key] = total[name].get(key, 0) + n
    return total


def aggregated(searcher: tantivy.Searcher, q: tantivy.Query) -> tuple[Facets, int]:
    """Facet counts and how many documents match, from a tantivy aggregation: every document
    has one kind, so the kind buckets add up to the count."""
    found = searcher.aggregate(q, FACET_CODES)
    matched = sum(int(bucket["doc_count"]) for bucket in found["kind"]["buckets"])
    facets = empty_facets()
    if matched == 0:  # (an index with no segments has no price buckets at all)
        return facets, 0
    if any(found[name].get("sum_other_doc_count") for name in ("categories", "languages")):
        return _aggregated_by_terms(searcher, q)
    for name, field, known in (("category", "categories", CATEGORY_NAMES),
                               ("language", "languages", LANGUAGE_NAMES)):  # fmt: skip
        _count_bits(facets[name], [int(b["key"]) for b in found[field]["buckets"]], known,
                    [int(b["doc_count"]) for b in found[field]["buckets"]])  # fmt: skip
    for bucket in found["kind"]["buckets"]:
        if bucket["doc_count"]:
            facets["kind"][KIND_NAMES[int(bucket["key"])]] = int(bucket["doc_count"])
    _price_facets(facets, found)
    return facets, matched


def _aggregated_by_terms(searcher: tantivy.Searcher, q: tantivy.Query) -> tuple[Facets, int]:
    """As aggregated, from the text fields' terms (slower; for masks too varied to bucket)."""
    found = searcher.aggregate(q, FACET_AGGREGATIONS)
    matched = sum(int(bucket["doc_count"]) for bucket in found["kind"]["buckets"])
    facets = empty_facets()
    for name, field, known in (("category", "categories", CATEGORY_BITS),
                               ("kind", "kind", KIND_CODES),
                               ("language", "languages", LANGUAGE_BITS)):  # fmt: skip
        for bucket in found[field]["buckets"]:
            if bucket["key"] in known and bucket["doc_count"]:
                facets[name][bucket["key"]] = int(bucket["doc_count"])
    _price_facets(facets, found)
    return facets, matched


def _price_facets(facets: Facets, found: dict[str, Any]) -> None:
    for (key, _, _, _), bucket in zip(PRICE_BANDS, found["price"]["buckets"], strict=True):
        if bucket["doc_count"]:
            facets["price_band"][key] = int(bucket["doc_count"])


def count_into(
    facets: Facets, searcher: tantivy.Searcher, addresses: list[tantivy.DocAddress]
) -> None:
    """Count these documents (those of the band found within reach) into the facets."""
    if not addresses:
        return
    _count_bits(facets["category"], field_values(searcher, "category_mask", addresses),
                CATEGORY_NAMES)  # fmt: skip
    _count_bits(facets["language"], field_values(searcher, "language_mask", addresses),
                LANGUAGE_NAMES)  # fmt: skip
    for code, n in Counter(field_values(searcher, "kind_code", addresses)).items():
        facets["kind"][KIND_NAMES[code]] = facets["kind"].get(KIND_NAMES[code], 0) + n
    for price, n in Counter(field_values(searcher, "price_pence", addresses)).items():
        band = price_band(price)
        facets["price_band"][band] = facets["price_band"].get(band, 0) + n


def _count_bits(
    into: dict[str, int], masks: list[int], names: list[str], counts: list[int] | None = None
) -> None:
    """Add to `into`, for each bit set in a mask, its name: once per mask, or `counts` times."""
    pairs = Counter(masks).items() if counts is None else zip(masks, counts, strict=True)
    for mask, n in pairs:
        for bit in _bits(mask):
            into[names[bit]] = into.get(names[bit], 0) + n


@lru_cache(maxsize=65_536)
def _bits(mask: int) -> tuple[int, ...]:
    """The positions of the bits set in a mask, lowest first."""
    return tuple(bit for bit in range(mask.bit_length()) if mask >> bit & 1)
