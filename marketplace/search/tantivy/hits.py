"""A hit as a page shows it, from a listing's stored fields, kept once read."""

from __future__ import annotations

from typing import Any

import tantivy

from marketplace.search.highlight import highlight
from marketplace.search.query import Hit

STORED_CACHE = 4096  # listings' stored fields kept after being shown (until the index changes)


class StoredHits:
    """Hits made from the listings' stored fields, which are kept (until `forget`, when the
    index changes) for the next search that shows them."""

    def __init__(self) -> None:
        self._stored: dict[tuple[int, int], dict[str, Any]] = {}

    def forget(self) -> None:
        """Forget the stored fields read (the index has changed)."""
        self._stored = {}

    def hit(
        self,
        searcher: tantivy.Searcher,
        address: tantivy.DocAddress,
        score: float,
        distance: float | None,
        used: set[str],
    ) -> Hit:
        """The hit at `address`, its title and description highlighted for the terms `used`."""
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
