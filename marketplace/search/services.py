"""Search as the rest of the app uses it: run a search (and record it), keep the index in step.

Changes to listings and providers are caught in `after_flush` and written to search_outbox in
the same transaction; after the commit the web process drains the outbox (so nothing rolled
back is indexed and nothing committed is lost when the engine is down).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app, g, has_request_context
from flask_login import current_user
from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.orm import Session, selectinload

from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    Listing,
    Provider,
)
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.search.documents import Document, build_document
from marketplace.search.interfaces import SearchEngine, SearchUnavailable
from marketplace.search.models import SearchEvent, SearchOutbox
from marketplace.search.query import SearchQuery, SearchResults
from marketplace.transactions import unit_of_work

log = logging.getLogger(__name__)
DRAIN_BATCH = 200
ENGINE_KEY = "search_engine"


# The engine


def engine() -> SearchEngine:
    """The app's engine: Elasticsearch or OpenSearch when their URL is set, else tantivy."""
    app = current_app
    found: SearchEngine | None = app.extensions.get(ENGINE_KEY)
    if found is None:
        found = _make_engine(app)
        app.extensions[ENGINE_KEY] = found
    return found


def _make_engine(app: Flask) -> SearchEngine:
    if app.config.get("ELASTICSEARCH_URL") or app.config.get("OPENSEARCH_URL"):
        from marketplace.search.elastic_engine import ElasticEngine

        return ElasticEngine.from_config(app.config)
    from marketplace.search.tantivy.engine import TantivyEngine

    return TantivyEngine(Path(app.instance_path) / "search" / "tantivy")


# Searching


def search(query: SearchQuery) -> SearchResults:
    """Run a search and record it as a SearchEvent (flushed, not committed).
    Raises SearchUnavailable when the engine is down."""
    results = engine().search(query)
    record_event(query, results.total)
    return results


def nearest_beyond(query: SearchQuery, limit: int = 3) -> SearchResults:
    """The nearest matches with no distance limit, for a page with no results."""
    if query.place is None or query.radius_miles is None:
        return SearchResults(0, [], {})
    results = engine().search(query.widened())
    results.hits = results.hits[:limit]
    return results


def record_event(query: SearchQuery, result_count: int) -> SearchEvent:
    tenant_id = None
    if has_request_context() and current_user.is_authenticated:
        tenant_id = current_user.tenant_id
    event_row = SearchEvent(
        tenant_id=tenant_id,
        outcode=query.place.outcode if query.place else None,
        categories=list(query.categories),
        filters=query.filters(),
        text=query.text,
        result_count=result_count,
        engine=engine().name,
    )
    db.session.add(event_row)
    db.session.flush()
    return event_row


# Keeping the index in step


def drain_outbox(limit: int | None = None) -> int:
    """Send waiting changes to the engine, a batch at a time, committing after each batch.
    Returns how many outbox rows were done. Raises SearchUnavailable when the engine fails; the
    rows of the failed batch stay for next time with their attempt counted."""
    done = 0
    while limit is None or done < limit:
        rows = db.session.execute(
            select(SearchOutbox.id, SearchOutbox.listing_id, SearchOutbox.provider_id)
            .order_by(SearchOutbox.id)
            .limit(DRAIN_BATCH)
        ).all()
        if not rows:
            break
        ids = [row.id for row in rows]
        try:
            with unit_of_work():
                _send(
                    [row.listing_id for row in rows if row.listing_id],
                    [row.provider_id for row in rows if row.provider_id],
                )
                db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(ids)))
        except SearchUnavailable as error:
            with unit_of_work():
                _count_failure(ids, str(error))
            raise
        done += len(ids)
    return done


def _send(listing_ids: list[int], provider_ids: list[int]) -> None:
    if provider_ids:
        listing_ids += db.session.scalars(
            select(Listing.id).where(Listing.provider_id.in_(provider_ids))
        ).all()
    wanted = sorted(set(listing_ids))
    version = read_version()
    docs = [doc for doc in map(build_document, _load(wanted)) if doc is not None]
    found = {doc["listing_id"] for doc in docs}
    gone = [listing_id for listing_id in wanted if listing_id not in found]
    if docs:
        engine().upsert(docs, version)
    if gone:
        engine().delete(gone, version)


def read_version() -> int:
    """The version of what is read next: the database's clock in microseconds, read in a
    statement of its own just before the listings are.

    Several web and worker machines drain the outbox at once, and one may read a listing before
    another and send it after. Each statement reads what was committed before it began (read
    committed), so a write versioned v holds every change committed before v; the drain of a
    listing's last change reads its outbox row after that commit and then its version, so it
    is versioned later than any read that missed the change. Engines that keep versions refuse
    the older write. One clock (the database's) serves every machine."""
    if db.engine.dialect.name == "postgresql":
        sql = "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)"
    else:  # SQLite: one machine; its clock to the millisecond
        sql = "SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
    return int(db.session.execute(text(sql)).scalar_one())


def _count_failure(ids: list[int], message: str) -> None:
    for row in db.session.scalars(select(SearchOutbox).where(SearchOutbox.id.in_(ids))):
        row.attempts += 1
        row.last_error = message[:500]


def _load(listing_ids: list[int]) -> list[Listing]:
    if not listing_ids:
        return []
    return list(
        db.session.scalars(
            select(Listing)
            .where(Listing.id.in_(listing_ids))
            .options(
                selectinload(Listing.provider).selectinload(Provider.tenant),
                selectinload(Listing.categories),
                selectinload(Listing.availability),
            )
        )
    )


def all_documents(chunk: int = 1000) -> Iterator[Document]:
    """Every searchable listing's document, read from the database a chunk at a time."""
    last = 0
    while True:
        ids = db.session.scalars(
            select(Listing.id).where(Listing.id > last).order_by(Listing.id).limit(chunk)
        ).all()
        if not ids:
            return
        for listing in sorted(_load(list(ids)), key=lambda item: item.id):
            doc = build_document(listing)
            if doc is not None:
                yield doc
        last = ids[-1]
        db.session.expunge_all()


def listing_total() -> int:
    return db.session.query(Listing.id).count()


def reindex(progress: Callable[[int], None] = lambda n: None) -> int:
    """Rebuild the index from the database and swap it in; then send listings changed while it
    ran. Returns how many documents the new index holds."""
    started: datetime = utcnow()
    added = engine().rebuild(all_documents(), progress)
    changed = db.session.scalars(select(Listing.id).where(Listing.updated_at >= started)).all()
    _send(list(changed), [])
    return added


# Writing outbox rows with the change


def listen_for_changes() -> None:
    """Register (once) the hooks that write outbox rows and drain after commit."""
    if event.contains(Session, "after_flush", _write_outbox):
        return
    event.listen(Session, "after_flush", _write_outbox)
    event.listen(Session, "after_commit", _mark_ready)


def _write_outbox(session: Session, _context: object) -> None:
    listing_ids: set[int] = set()
    provider_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Listing):
            listing_ids.add(obj.id)
        elif isinstance(obj, AvailabilityRule | AvailabilityException):
            listing_ids.add(obj.listing_id)
        elif isinstance(obj, Provider):
            provider_ids.add(obj.id)
    rows = [{"listing_id": i, "created_at": utcnow(), "attempts": 0} for i in listing_ids if i]
    rows += [{"provider_id": i, "created_at": utcnow(), "attempts": 0} for i in provider_ids if i]
    if rows:
        session.execute(insert(SearchOutbox), rows)
        if has_request_context():
            g.search_outbox_written = True


def _mark_ready(session: Session) -> None:
    if has_request_context() and g.pop("search_outbox_written", False):
        g.search_drain_after_request = True


def drain_after_request(response: object) -> object:
    """After a request that changed listings has committed, send the changes to the engine.
    A failure is logged and left in the outbox; the response is unaffected."""
    from marketplace.worker.queue import hand_off

    if not g.pop("search_drain_after_request", False) or hand_off("drain_search"):
        return response
    try:
        drain_outbox(limit=DRAIN_BATCH)
    except SearchUnavailable as error:
        log.warning("search outbox left for later: %s", error)
    except Exception:  # noqa: BLE001 - the change is saved; indexing must never fail the request
        log.exception("search outbox drain failed")
    return response
