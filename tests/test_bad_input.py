"""Bad input a person or a script may send gets a 4xx with a message, never a 500.

Each case was once a 500 (a traceback in the log). The world is the access table's
(tests/test_access_table.py): one of everything, in one council.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.test_access_table import PASSWORD, World, build_world


@pytest.fixture()
def world(app_ctx: Flask) -> World:
    return build_world()


def signed_in(app: Flask, world: World, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anonymous":
        email = world.users[role].email
        assert (
            client.post("/sign-in", data={"email": email, "password": PASSWORD}).status_code == 302
        )
    return client


CASES: list[tuple[str, str, str, Callable[[World], dict[str, object]] | None]] = [
    ("anonymous", "GET", "/search?q=care&day=²", None),
    ("anonymous", "GET", "/search?q=care&page=²", None),
    ("anonymous", "GET", "/search?q=care&page=99999999999999999999", None),
    ("anonymous", "GET", "/search.json?q=care&page=99999999999999999999", None),
    ("anonymous", "GET", "/openreferral/services?modified_after=9999-12-31T23:59:59-23:59", None),
    ("anonymous", "GET", "/openreferral/services?page=99999999999999999999", None),
    ("commissioner", "GET", "/commissioning/?page=99999999999999999999", None),
    ("admin", "GET", "/admin/users?page=99999999999999999999", None),
    ("admin", "GET", "/admin/audit?page=99999999999999999999", None),
    ("holder", "GET", "/bookings/dashboard?page=99999999999999999999", None),
    ("holder", "GET", "/bookings/calendar?week=9999-12-31", None),
    ("holder", "GET", "/bookings/calendar?week=0001-01-01", None),
    ("provider", "GET", "/bookings/inbox?page=99999999999999999999", None),
]


@pytest.mark.parametrize(("role", "method", "url", "data"), CASES, ids=[c[2] for c in CASES])
def test_bad_input_is_answered_without_a_server_error(app, world, role, method, url, data):
    client = signed_in(app, world, role)
    response = client.open(url, method=method, data=data(world) if data else None)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]


def test_an_offer_naming_a_worker_that_is_not_a_number_is_refused(app, world):
    client = signed_in(app, world, "provider")
    booking_id = world.more_ids["booking_id"]
    response = client.post(
        f"/bookings/{booking_id}/offer", data={"price": "20", "note": "", "worker": "abc"}
    )
    assert 400 <= response.status_code < 500


def test_a_booking_at_the_end_of_time_is_refused_with_a_message(app, world):
    client = signed_in(app, world, "holder")
    response = client.post(
        f"/bookings/new/{world.listing.id}",
        data={
            "pot": str(world.more_ids["pot_id"]),
            "kind": "one_off",
            "day": ["31", "12", "9999"],
            "start": "11pm",
            "hours": "24",
        },
    )
    assert response.status_code == 400
    assert "govuk-error-summary" in response.get_data(as_text=True)


def test_an_offer_beyond_any_listing_price_is_refused(app, world):
    from marketplace.bookings import services
    from marketplace.bookings.models import Booking, BookingState
    from marketplace.errors import DomainError
    from marketplace.extensions import db

    booking = db.session.get(Booking, world.more_ids["booking_id"])
    booking.state = BookingState.REQUESTED
    db.session.commit()
    with pytest.raises(DomainError, match="Enter a price of £100,000.00 or less"):
        services.offer(world.users["provider"], booking, 100_000_000_00, "")


@pytest.mark.parametrize(
    "content",
    [
        b'{"id": "x", "name": "Care", "amount": ' + b"9" * 5000 + b"}",
        b'{"id": "x", "name": "\\ud800"}',
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=["a 5,000-digit number", "a lone surrogate", "deep nesting"],
)
def test_an_import_file_that_is_not_sensible_json_is_refused_with_a_message(app, world, content):
    import io

    client = signed_in(app, world, "provider")
    response = client.post(
        f"/provider/{world.provider.id}/import",
        data={"file": (io.BytesIO(content), "services.json")},
        content_type="multipart/form-data",
    )
    assert 400 <= response.status_code < 500


def test_refunding_a_top_up_when_card_payments_are_off_says_so(app, world):
    client = signed_in(app, world, "holder")
    top_up_id = world.more_ids.get("top_up_id")
    assert top_up_id is not None
    response = client.post(f"/payments/top-ups/{top_up_id}/refund", follow_redirects=True)
    assert response.status_code < 500
