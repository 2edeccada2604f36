"""A commissioner never sees another tenant's holders, events or money: on any page, CSV or API.

The access table's world (one council with one of everything) sits beside a second council whose
holder, plan, money, search and alert carry marker words. The council's commissioner opens every
page the access table gives them (so a new page is checked the day its row is added) and none may
show a marker; every page about one object, asked for with the other council's object, is a 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask

from marketplace.accounts.models import Role, Tenant, TenantArea, TenantKind, User
from marketplace.bookings.models import Booking, BookingKind
from marketplace.commissioning import alerts
from marketplace.commissioning.models import AlertKind
from marketplace.directory.models import Category
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.payments import services as payments
from marketplace.payments.models import Pot, PotKind
from marketplace.search.models import SearchEvent
from tests.factories import add_category, set_up_pot
from tests.frozen import TODAY
from tests.test_access_table import PASSWORD_HASH, World, pages_for, routes, world

__all__ = ["world"]

MARKERS = ("Zebedee", "Otherton", "OTHER-PLAN-777", "9,876.54", "otherborough", "ZZ9")

# Random values a page carries (CSRF tokens, form keys, script nonces) may spell a short marker
# ("zz9") by chance: they are taken out before looking.
RANDOM_TOKEN = re.compile(r'(?:value|nonce|content)="[A-Za-z0-9_.-]{16,}"')


def without_random_tokens(body: str) -> str:
    return RANDOM_TOKEN.sub("", body)


@dataclass
class Other:
    tenant: Tenant
    holder: User
    pot: Pot
    booking: Booking
    alert_id: int

    def ids(self) -> dict[str, int]:
        return {
            "holder_id": self.holder.id,
            "user_id": self.holder.id,
            "pot_id": self.pot.id,
            "booking_id": self.booking.id,
            "alert_id": self.alert_id,
        }


def _person(role: Role, email: str, name: str, tenant: Tenant) -> User:
    user = User(
        email=email, full_name=name, role=role, tenant_id=tenant.id, password_hash=PASSWORD_HASH
    )
    db.session.add(user)
    return user


def build_other_council(world: World) -> Other:
    tenant = Tenant(name="Otherborough Council", kind=TenantKind.COUNCIL)
    tenant.areas = [TenantArea(gss_code="E08000010", name="Wigan")]
    db.session.add(tenant)
    db.session.flush()
    holder = _person(Role.HOLDER, "zebedee@example.net", "Zebedee Otherton", tenant)
    commissioner = _person(Role.COMMISSIONER, "boss@otherborough.example", "Other Boss", tenant)
    db.session.flush()
    category = db.session.query(Category).first() or add_category("pa-other", term="t-other")
    db.session.flush()
    pot = set_up_pot(
        commissioner,
        holder,
        [category],
        kind=PotKind.HEALTH,
        support_plan_reference="OTHER-PLAN-777",
        allocation_pence=987_654,
        allocation_starts_on=TODAY - timedelta(days=3),
    )
    payments.fund_pot(commissioner, pot, 987_654, "Otherborough funding")
    booking = Booking(
        holder_id=holder.id,
        requested_by_id=holder.id,
        listing_id=world.listing.id,
        provider_id=world.provider.id,
        pot_id=pot.id,
        category_id=category.id,
        kind=BookingKind.ONE_OFF,
        unit_price_pence=2_150,
        price_unit=world.listing.price_unit,
        note="Otherton's request",
        expires_at=utcnow() + timedelta(days=2),
    )
    event = SearchEvent(
        tenant_id=tenant.id,
        outcode="ZZ9",
        categories=["otherborough-care"],
        filters={},
        text="otherton marker",
        result_count=0,
        engine="tantivy",
    )
    db.session.add_all([booking, event])
    db.session.flush()
    finding = alerts.Finding(
        AlertKind.UNSPENT,
        f"pot:{pot.id}",
        "2026-11-23",
        "The budget for plan OTHER-PLAN-777 has £9,876.54 unspent.",
        {"available_pence": 987_654},
        pot_id=pot.id,
        holder_id=holder.id,
    )
    [alert] = alerts.store(tenant.id, [finding], now=utcnow()).new
    db.session.commit()
    return Other(tenant, holder, pot, booking, alert.id)


@pytest.fixture()
def other(world: World) -> Other:
    return build_other_council(world)


def _commissioner_client(client, world: World):
    email = world.users["commissioner"].email
    response = client.post("/sign-in", data={"email": email, "password": "correct horse battery"})
    assert response.status_code == 302
    return client


def _commissioner_pages(app: Flask):
    by_text = {(method, text): rule for method, text, rule in routes(app)}
    return [by_text[key] for key in pages_for("commissioner")]


def test_no_page_csv_or_api_answer_shows_another_councils_people_or_money(
    app, client, world, other
):
    signed_in = _commissioner_client(client, world)
    leaks = []
    for rule in _commissioner_pages(app):
        url = world.url_for_rule(rule)
        body = without_random_tokens(signed_in.get(url).get_data(as_text=True))
        found = [marker for marker in MARKERS if marker.lower() in body.lower()]
        if found:
            leaks.append((url, found))
    assert leaks == []


def test_the_markers_would_be_seen_by_the_other_councils_own_commissioner(app, client, other):
    """The check above can fail: the same pages show the markers to the council they belong to."""
    response = client.post(
        "/sign-in", data={"email": "boss@otherborough.example", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert "Zebedee Otherton" in client.get("/commissioning/").get_data(as_text=True)
    assert "OTHER-PLAN-777" in client.get(f"/payments/pots/{other.pot.id}").get_data(as_text=True)


def test_every_page_about_one_object_is_404_for_another_councils_object(app, client, world, other):
    signed_in = _commissioner_client(client, world)
    theirs = other.ids()
    checked, wrong = 0, []
    for rule in _commissioner_pages(app):
        swapped = rule.arguments & set(theirs)
        if not swapped:
            continue
        url = World.url_for_rule(_WithIds(world, theirs), rule)
        status = signed_in.get(url).status_code
        checked += 1
        if status != 404:
            wrong.append((url, status))
    assert checked >= 5  # holder, budgets, pot statement and CSV, booking, alert …
    assert wrong == []


class _WithIds(World):
    """The access-table world with some ids swapped for another council's objects."""

    def __init__(self, world: World, ids: dict[str, int]) -> None:
        self.__dict__.update(world.__dict__)
        self._ids = ids

    def url_values(self) -> dict[str, object]:
        return {**World.url_values(self), **self._ids}
