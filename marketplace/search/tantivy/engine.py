"""The default engine: a tantivy index on local disk under instance/search/.

The engine keeps the SearchEngine promises (interfaces.py) by calling the package's rooms: the
index on disk and its writes (index.py), the queries built from a SearchQuery (compile.py), the
ways a search is answered (plans.py), with facet counts (facets.py) over arrays of the index's
fast fields (columns.py) and grid cells held as terms (cells.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import tantivy

from marketplace.search.documents import Document
from marketplace.search.query import SearchQuery, SearchResults
from marketplace.search.tantivy.columns import Columns
from marketplace.search.tantivy.compile import Compiler, all_of
from marketplace.search.tantivy.index import LiveIndex
from marketplace.search.tantivy.plans import Plans


class TantivyEngine:
    name = "tantivy"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.live = LiveIndex(root, changed=self._forget_vocabulary)
        self.schema = self.live.schema
        self.compiler = Compiler(self.schema)
        self.plans = Plans(self.compiler)

    def ensure_index(self) -> None:
        self.live.ensure()

    # tantivy's index lives on one machine and keeps no versions: writes land in the order the
    # processes there take the index writer's lock.
    def upsert(self, docs: list[Document], version: int | None = None) -> None:
        self.live.upsert(docs)

    def delete(self, listing_ids: list[int], version: int | None = None) -> None:
        self.live.delete(listing_ids)

    def rebuild(self, docs: Iterable[Document], progress: Callable[[int], None]) -> int:
        return self.live.rebuild(docs, progress)

    def count(self) -> int:
        return self.live.count()

    def search(self, query: SearchQuery) -> SearchResults:
        with self.live.lock:
            return self.plans.answer(self._current().searcher(), query)

    def compiled(self, query: SearchQuery) -> tantivy.Query | None:
        """The query a search near a place reads (text, filters and the box around the place),
        or with no place the one it ranks with (for the bench): None when a word matches
        nothing."""
        with self.live.lock:
            searcher = self._current().searcher()
            parts = self.compiler.parts(searcher, query, set())
            if parts is None:
                return None
            if query.place is None:
                return all_of(parts)
            return self.compiler.near(query, parts, self._table(searcher))

    def _current(self) -> tantivy.Index:
        """The live index, reopened when another process swapped or committed to it."""
        return self.live.current()

    def _table(self, searcher: tantivy.Searcher) -> Columns:
        """The in-memory arrays of the live index (copied again whenever it changes)."""
        return self.plans.table(searcher)

    def _forget_vocabulary(self) -> None:
        """Forget what was worked out from the index: it has changed."""
        self.compiler.forget()
        self.plans.forget()
