"""Lists cost the same number of SQL statements for 2 services as for 12 (no query per row), and
pages are cut in SQL (LIMIT) unless a postcode orders them by distance."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import time
from itertools import count as counter
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from marketplace.api import ids
from marketplace.directory.models import AvailabilityRule, Category, Listing, Provider
from marketplace.extensions import db

CQC_IDS = counter(1)
PATHS = (
    "/services",
    "/services?full=true",
    "/service_at_locations",
    "/service_at_locations?postcode=OL1&proximity=20000",
    "/organizations",
    "/taxonomy_terms",
)


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _add(
    count: int,
    make_provider: Callable[..., Provider],
    make_listing: Callable[..., Listing],
    category: Callable[[str], Category],
) -> None:
    for _ in range(count):
        provider = make_provider(
            cqc_location_id=f"1-{next(CQC_IDS):09d}", contact_email="a@b.example"
        )
        listing = make_listing(
            provider=provider, categories=[category("homecare"), category("respite")]
        )
        listing.availability = [AvailabilityRule(weekday=1, start_time=time(9), end_time=time(17))]
    db.session.commit()


def _count(client: FlaskClient, path: str) -> int:
    with statements() as seen:
        response = client.get(f"/openreferral{path}")
    assert response.status_code == 200
    return len(seen)


@pytest.mark.parametrize("path", PATHS)
def test_a_list_costs_the_same_for_more_rows(
    client: FlaskClient,
    make_provider: Callable[..., Provider],
    make_listing: Callable[..., Listing],
    category: Callable[[str], Category],
    path: str,
) -> None:
    _add(2, make_provider, make_listing, category)
    few = _count(client, path)
    _add(10, make_provider, make_listing, category)
    many = _count(client, path)

    assert many == few
    assert few <= 6


def test_a_full_service_is_a_fixed_number_of_statements(
    client: FlaskClient,
    make_provider: Callable[..., Provider],
    make_listing: Callable[..., Listing],
    category: Callable[[str], Category],
) -> None:
    _add(1, make_provider, make_listing, category)
    listing = db.session.query(Listing).one()

    assert _count(client, f"/services/{ids.row_uuid('service', listing.id)}") <= 6
    organization = ids.row_uuid("organization", listing.provider_id)
    assert _count(client, f"/organizations/{organization}") <= 4


def test_pages_are_cut_in_sql(
    client: FlaskClient, make_listing: Callable[..., Listing], category: Callable[[str], Category]
) -> None:
    make_listing()
    with statements() as seen:
        client.get("/openreferral/services?per_page=5&page=2")
    assert any("LIMIT" in sql.upper() and "OFFSET" in sql.upper() for sql in seen)
