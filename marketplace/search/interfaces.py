"""The port every search engine implements. Views and services know only this."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from marketplace.search.documents import Document
from marketplace.search.query import SearchQuery, SearchResults


class SearchUnavailable(Exception):
    """The engine cannot be reached or failed. Searches answer 503; the outbox keeps changes."""


class SearchEngine(Protocol):
    name: str

    def ensure_index(self) -> None:
        """Make the index (current schema version) if there is none. Idempotent."""

    def upsert(self, docs: list[Document], version: int | None = None) -> None:
        """Add or replace documents by listing_id, visible to searches when this returns.
        `version` (see services.read_version) orders writes from several machines: an engine
        that keeps versions ignores a write older than the one it holds."""

    def delete(self, listing_ids: list[int], version: int | None = None) -> None:
        """Remove documents; ids not in the index are ignored. `version` as for upsert."""

    def search(self, query: SearchQuery) -> SearchResults:
        """Hits for one page, the total and facet counts. Raises SearchUnavailable."""

    def count(self) -> int:
        """Documents in the live index."""

    def rebuild(self, docs: Iterable[Document], progress: Callable[[int], None]) -> int:
        """Build a fresh index from `docs` beside the live one, then swap it in; returns how many
        documents it holds. Searches use the old index until the swap."""
