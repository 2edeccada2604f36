"""A form that makes something new is acted on once per key its page drew (sent_forms.py).

The races themselves (twenty at once on PostgreSQL) are in tests/test_double_submit_http.py; here
the rules: a repeat is answered as the first was, a mistake gives the key back, a form without a
key or with another person's key is a new sending, and every such form's page draws a key.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.directory.models import Listing
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.sent_forms import ALREADY_SENT, SentForm, forget_old
from tests.test_access_table import World, build_world
from tests.test_one_commit_per_request import (
    CASES,
    FORM_KEY,
    MADE_ONCE_PER_FORM,
    listing_form,
    signed_in,
    url_of,
)


def listings_of_world(world: World) -> int:
    return db.session.scalar(
        select(func.count(Listing.id)).where(Listing.provider_id == world.listing.provider_id)
    )


def send_listing(client: FlaskClient, world: World, **changes: str) -> object:
    data = {**listing_form(world)["data"], **changes}
    return client.post("/provider/listings/new", data=data)


@pytest.fixture()
def world(app_ctx: Flask) -> World:
    built = build_world()
    db.session.commit()
    return built


def test_the_same_key_again_is_answered_as_the_first_and_makes_nothing(
    client: FlaskClient, world: World
) -> None:
    signed_in(client, world, "provider")
    before = listings_of_world(world)
    first = send_listing(client, world, form_key=FORM_KEY)
    second = send_listing(client, world, form_key=FORM_KEY)
    assert first.status_code == second.status_code == 302
    assert second.location == first.location  # the new listing's times page, both times
    assert listings_of_world(world) == before + 1
    page = client.get(second.location).get_data(as_text=True)
    assert ALREADY_SENT in page


def test_a_form_with_a_mistake_gives_its_key_back(client: FlaskClient, world: World) -> None:
    signed_in(client, world, "provider")
    before = listings_of_world(world)
    wrong = send_listing(client, world, form_key=FORM_KEY, title="")
    assert wrong.status_code == 400
    assert "Enter a title" in wrong.get_data(as_text=True) or "title" in wrong.get_data(
        as_text=True
    )
    mended = send_listing(client, world, form_key=FORM_KEY)
    assert mended.status_code == 302
    assert listings_of_world(world) == before + 1


def test_two_page_loads_are_two_sendings_and_a_form_without_a_key_is_acted_on(
    client: FlaskClient, world: World
) -> None:
    """Two identical listings from two pages are meant; an old page without a key still works."""
    signed_in(client, world, "provider")
    before = listings_of_world(world)
    send_listing(client, world, form_key="a" * 32)
    send_listing(client, world, form_key="b" * 32)
    send_listing(client, world)
    assert listings_of_world(world) == before + 3


def test_a_key_belongs_to_the_person_who_sent_it(app: Flask, world: World) -> None:
    """Another person sending the same key has it acted on: keys are (person, key)."""
    holder = signed_in(app.test_client(), world, "holder")
    representative = signed_in(app.test_client(), world, "representative")
    for client in (holder, representative):
        answer = client.post("/bookings/calendar/new-address", data={"form_key": FORM_KEY})
        assert answer.status_code == 302
        assert ALREADY_SENT not in client.get(answer.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count(SentForm.id))) == 2


def test_keys_are_forgotten_after_a_week(client: FlaskClient, world: World) -> None:
    signed_in(client, world, "provider")
    send_listing(client, world, form_key=FORM_KEY)
    assert forget_old(utcnow() + timedelta(days=6)) == 0
    assert forget_old(utcnow() + timedelta(days=8)) == 1
    db.session.commit()
    again = send_listing(client, world, form_key=FORM_KEY)
    assert ALREADY_SENT not in client.get(again.location).get_data(as_text=True)


def test_every_form_that_makes_something_new_is_kept_once(app: Flask) -> None:
    for method, rule in MADE_ONCE_PER_FORM:
        [found] = [r for r in app.url_map.iter_rules() if r.rule == rule and method in r.methods]
        assert getattr(app.view_functions[found.endpoint], "once_per_form", False), rule


# The pages that draw those forms, and the form's action on each (None: it posts to itself).
PAGES = {
    ("POST", "/search/save"): ("holder", "/search/save?q=help+at+home"),
    ("POST", "/account/representatives/new"): ("holder", None),
    ("POST", "/holders/<int:holder_id>/representatives/new"): ("commissioner", None),
    ("POST", "/admin/tenants/<int:tenant_id>"): ("admin", None),
    ("POST", "/commissioning/holders/invite"): ("commissioner", "/commissioning/"),
    ("POST", "/commissioning/staff/invite"): ("commissioner", "/commissioning/"),
    ("POST", "/payments/holders/<int:holder_id>/pots/new"): ("commissioner", None),
    ("POST", "/bookings/calendar/new-address"): ("holder", "/bookings/calendar"),
    ("POST", "/provider/listings/new"): ("provider", None),
    ("POST", "/provider/documents"): ("provider", None),
    ("POST", "/provider/team/workers"): ("provider", "/provider/team"),
    ("POST", "/messages/<int:conversation_id>"): ("holder", None),
    ("POST", "/messages/ask/<int:listing_id>"): ("holder", None),
    ("POST", "/messages/<int:conversation_id>/report"): ("provider", None),
}


def action_of(form: str, page: str) -> str:
    """Where a form posts: its action, or the page it is on."""
    found = re.search(r'action="([^"#]*)', form.split(">")[0])
    return found.group(1) if found else page


@pytest.mark.parametrize("route", sorted(PAGES), ids=lambda r: r[1])
def test_each_page_draws_a_fresh_key_in_the_form(
    app: Flask, world: World, route: tuple[str, str]
) -> None:
    role, page = PAGES[route]
    client = signed_in(app.test_client(), world, role)
    action = url_of(app, world, *route)
    CASES[route].prepare and CASES[route].prepare(world)  # type: ignore[func-returns-value]
    drawn = []
    for _ in range(2):
        html = client.get(page or action).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*>.*?</form>", html, re.DOTALL)
        posting = [f for f in forms if action_of(f, page or action) == action]
        keys = [re.search(r'name="form_key" value="([^"]+)"', f) for f in posting]
        assert posting and all(keys), f"{page or action}: no key in the form posting to {action}"
        drawn.extend(k.group(1) for k in keys if k)
    assert len(set(drawn)) == len(drawn), "each drawing of the page gives a new key"
