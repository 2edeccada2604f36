"""The tantivy index's schema, and a listing's document made into one of its documents.

Geography is in the index twice. A box around the place is held in fast fields (box_s … box_e)
that tantivy checks only for documents the rest of a query matches. And as terms (see cells.py):
each located document names its grid cell at every level, and an at-home service names the
cells its travel radius certainly covers ("s:…") and those it may cover ("m:…"; venues name
"any").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tantivy

from marketplace.directory.models import DeliveryMode, ProviderKind
from marketplace.directory.taxonomy import terms as taxonomy_terms
from marketplace.search.documents import Document
from marketplace.search.query import LANGUAGES
from marketplace.search.tantivy import cells

# Text fields and their weight in the score.
TEXT_FIELDS = (
    ("title", 3.0),
    ("category_names", 2.0),
    ("specialisms", 2.0),
    ("provider_name", 1.5),
    ("description", 1.0),
)
KEYWORD_FIELDS = ("categories", "kind", "languages", "gender", "cqc_rating", "flags", "slots")
REACH_PARTS = 4  # a travel radius's edge cells are about 1/4 of it
EVERYWHERE = "any"  # the reach term of services that are not at home
ONLINE_CELL = "online"  # the cell of online services, in every area searched
FAST_KEYWORDS = ("categories", "kind", "languages")
# A box around the place narrows a search near it: south edge <= box_s, box_n <= north edge, and
# so on. Located services hold their latitude and longitude in these; online ones (found from
# everywhere) and those with no location (found from nowhere) hold values far outside the map.
BOX_FIELDS = ("box_s", "box_n", "box_w", "box_e")
FAR = 1e9
WRITER_HEAP = 64_000_000
REBUILD_HEAP = 400_000_000
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
        builder.add_text_field(
            name, stored=name == "categories", tokenizer_name="raw", fast=name in FAST_KEYWORDS
        )
    builder.add_text_field("price_unit", stored=True, tokenizer_name="raw")
    builder.add_integer_field("price_pence", stored=True, indexed=True, fast=True)
    for name in ("latitude", "longitude"):
        builder.add_float_field(name, fast=True)  # ranges on fast fields follow the text
    builder.add_float_field("travel_radius_miles", fast=True)
    for name in ("cells", "reach"):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in ("category_mask", "kind_code", "language_mask", "mode_code"):
        builder.add_unsigned_field(name, fast=True)
    for name in BOX_FIELDS:
        builder.add_float_field(name, fast=True)
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
        **dict(zip(BOX_FIELDS, _box_values(doc), strict=True)),
    }
    if doc["delivery_mode"] == DeliveryMode.ONLINE.value:
        values["cells"], values["reach"] = [ONLINE_CELL], [EVERYWHERE]
    elif located:
        values["cells"] = cells.cell_names(doc["latitude"], doc["longitude"])
        values["reach"] = reach_terms(doc)
    return tantivy.Document.from_dict(values, schema)


def _box_values(doc: Document) -> tuple[float, float, float, float]:
    """The document's box fields: a located service's latitude and longitude, each twice; an
    online service's values pass every box; an unlocated one's pass none."""
    if doc["delivery_mode"] == DeliveryMode.ONLINE.value:
        return FAR, -FAR, FAR, -FAR
    if doc["latitude"] is None:
        return -FAR, FAR, -FAR, FAR
    return doc["latitude"], doc["latitude"], doc["longitude"], doc["longitude"]


def reach_terms(doc: Document) -> list[str]:
    """Where a search may start from for the service to reach it: "any" for a venue; for an
    at-home service the cells certainly within its travel radius ("s:" and the cell) and those
    that may be ("m:")."""
    if doc["delivery_mode"] != DeliveryMode.AT_HOME.value:
        return [EVERYWHERE]
    miles = float(doc["travel_radius_miles"] or 0)
    found = cells.cover(
        doc["latitude"], doc["longitude"], miles,
        cells.level_for(miles, REACH_PARTS), cells.level_for(miles, 1),
    )  # fmt: skip
    return [f"s:{name}" for name in found.sure] + [f"m:{name}" for name in found.maybe]


def _mask(values: Iterable[str], bits: dict[str, int]) -> int:
    return sum(1 << bits[value] for value in set(values) if value in bits)


def field_values(
    searcher: tantivy.Searcher, name: str, addresses: list[tantivy.DocAddress]
) -> list[Any]:
    """A fast field's values for many documents at once."""
    return list(searcher.fast_field_values(name, addresses))
