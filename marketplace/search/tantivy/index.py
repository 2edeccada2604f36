"""The tantivy index on disk: its schema, the live directory and the writes to it.

The live index is the directory named in the file CURRENT; a rebuild writes a new directory and
replaces CURRENT in one rename, so searches never see an empty index.

Each text field also holds its pairs of neighbouring words as terms ("learning disabilities"),
in a field of its own (title_pairs …): a care-word phrase is found by looking its pairs up, where
a phrase query would read the positions of every listing holding all its words.

Geography is in the index twice. A box around the place is held in fast fields (box_s … box_e)
that tantivy checks only for documents the rest of a query matches. And as terms (see cells.py):
each located document names its grid cell at every level, and an at-home service names the
cells its travel radius certainly covers ("s:…") and those it may cover ("m:…"; venues name
"any").
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any

import tantivy

from marketplace.directory.models import DeliveryMode, ProviderKind
from marketplace.directory.taxonomy import terms as taxonomy_terms
from marketplace.search.documents import SCHEMA_VERSION, Document
from marketplace.search.interfaces import SearchUnavailable
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
# The terms of neighbouring words in each text field, as its default tokenizer splits it.
PAIRS = {name: f"{name}_pairs" for name, _ in TEXT_FIELDS}
_WORDS = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .build()
)  # tantivy's "default" tokenizer, which the text fields use
KEYWORD_FIELDS = ("categories", "kind", "languages", "gender", "age_groups", "cqc_rating", "flags",
                  "slots")  # fmt: skip
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
        builder.add_text_field(PAIRS[name], tokenizer_name="raw", index_option="freq")
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
        **{PAIRS[name]: word_pairs(doc[name] or "") for name, _ in TEXT_FIELDS},
        "categories": doc["categories"],
        "kind": doc["kind"],
        "languages": doc["languages"],
        "gender": doc["gender"] or "",
        "age_groups": doc["age_groups"],
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


def word_pairs(text: str) -> list[str]:
    """Each two neighbouring words of the text, as a text field's tokenizer splits it, joined
    by a space: the terms of its pairs field."""
    words = _WORDS.analyze(text)
    return [f"{a} {b}" for a, b in pairwise(words)]


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


class LiveIndex:
    """The live index under `root`, opened again when another process swapped or committed to
    it; `changed` is called whenever what it holds may have changed (so what was worked out
    from it is forgotten). `lock` guards the open index and what was worked out from it."""

    def __init__(self, root: Path, changed: Callable[[], None]) -> None:
        self.root = root
        self.schema = build_schema()
        self.lock = threading.RLock()  # _write holds it and may create the index
        self._changed = changed
        self._index: tantivy.Index | None = None
        self._live: str | None = None
        self._meta_mtime = 0.0
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

    def ensure(self) -> None:
        """Make an empty index of the current schema if there is none."""
        with self.lock:
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
            self.ensure()
            stat = os.stat(self._pointer)
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size)
        if seen != self._pointer_seen or self._pointer_name is None:
            self._pointer_name = self._pointer.read_text().strip()
            self._pointer_seen = seen
        return self._pointer_name

    def current(self) -> tantivy.Index:
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
                self._changed()
            elif mtime != self._meta_mtime:
                self._index.reload()
                self._meta_mtime = mtime
                self._changed()
        except (OSError, ValueError) as error:
            raise SearchUnavailable(f"tantivy index {live}: {error}") from error
        return self._index

    # Writing

    def upsert(self, docs: list[Document]) -> None:
        """Add or replace documents by listing_id."""

        def change(writer: tantivy.IndexWriter) -> None:
            for doc in docs:
                self._replace(writer, doc)

        self._write(change)

    def delete(self, listing_ids: list[int]) -> None:
        """Remove documents by listing_id."""
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
        with self.lock:
            index = self.current()
            try:
                writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
                change(writer)
                writer.commit()
                writer.wait_merging_threads()
            except (OSError, ValueError, RuntimeError) as error:
                raise SearchUnavailable(f"tantivy write failed: {error}") from error
            index.reload()
            self._changed()

    def rebuild(self, docs: Iterable[Document], progress: Callable[[int], None]) -> int:
        """Build a fresh index from `docs` beside the live one, then swap it in."""
        with self.lock:
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
        """Documents in the live index."""
        with self.lock:
            return int(self.current().searcher().num_docs)
