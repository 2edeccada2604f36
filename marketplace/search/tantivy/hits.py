"""A hit as a page shows it, from a listing's stored fields, kept once read."""

from __future__ import annotations

from dataclasses import dataclass

import tantivy

from marketplace.search.highlight import highlight
from marketplace.search.query import Hit

STORED_CACHE = 4096  # listings' stored fields kept after being shown (until the index changes)


@dataclass(frozen=True)
class Stored:
    """What a hit shows of a listing, as stored in the index."""

    listing_id: int
    title: str
    description: str
    provider_id: int
    provider_name: str
    categories: tuple[str, ...]
    price_pence: int
    price_unit: str


class StoredHits:
    """Hits made from the listings' stored fields, which are kept (until `forget`, when the
    index changes) for the next search that shows them."""

    def __init__(self) -> None:
        self._stored: dict[tuple[int, int], Stored] = {}

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
            doc = searcher.doc(address)
            stored = Stored(
                listing_id=int(doc.get_all("listing_id")[0]),
                title=doc.get_first("title") or "",
                description=doc.get_first("description") or "",
                provider_id=int(doc.get_all("provider_id")[0]),
                provider_name=doc.get_first("provider_name") or "",
                categories=tuple(doc.get_all("categories")),
                price_pence=int(doc.get_all("price_pence")[0]),
                price_unit=str(doc.get_first("price_unit")),
            )
            if len(self._stored) >= STORED_CACHE:
                self._stored.pop(next(iter(self._stored)))
            self._stored[key] = stored
        return Hit(
            listing_id=stored.listing_id,
            title=stored.title,
            provider_id=stored.provider_id,
            provider_name=stored.provider_name,
            categories=list(stored.categories),
            price_pence=stored.price_pence,
            price_unit=stored.price_unit,
            distance_miles=distance,
            score=score,
            highlights={
                "title": highlight(stored.title, used),
                "description": highlight(stored.description, used, snippet=True),
            },
        )
