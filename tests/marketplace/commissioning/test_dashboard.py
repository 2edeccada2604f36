"""The commissioner's dashboard: each holder's pots with balance, spend this period against the
allocation, share used and last activity; search and filters; the holder's own page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from marketplace.accounts.models import Role
from marketplace.clock import london_today
from marketplace.commissioning import services as oversight
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.payments import services as payments
from marketplace.payments.models import Hold, Pot, PotKind
from tests.factories import set_up_pot
from tests.marketplace.bookings.conftest import world
from tests.marketplace.payments.conftest import money

__all__ = ["money", "world"]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 12, 31), None),  # before the schedule starts
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2026, 1, 28), date(2026, 1, 1)),  # last day of the first 28-day period
        (date(2026, 1, 29), date(2026, 1, 29)),
        (date(2026, 3, 1), date(2026, 2, 26)),  # 1 Jan + 56 days
    ],
)
def test_current_period_starts_on_the_schedule(today, expected):
    pot = Pot(allocation_starts_on=date(2026, 1, 1), allocation_every_days=28, allocation_pence=1)
    assert oversight.current_period_start(pot, today) == expected


def test_a_pot_without_a_schedule_has_no_period():
    pot = Pot(allocation_starts_on=date(2026, 1, 1), allocation_every_days=0, allocation_pence=0)
    assert oversight.current_period_start(pot, date(2026, 6, 1)) is None


def _scheduled_pot(money, allocation_pence=40_000) -> Pot:
    """A 28-day pot whose current period began three days ago, funded with one period."""
    pot = set_up_pot(
        money.commissioner,
        money.holder,
        [money.pa],
        kind=PotKind.HEALTH,
        support_plan_reference="PHB-0042",
        allocation_pence=allocation_pence,
        allocation_starts_on=london_today() - timedelta(days=3),
    )
    payments.fund_pot(money.commissioner, pot, allocation_pence, "This period")
    db.session.commit()
    return pot


def test_dashboard_shows_balance_spend_this_period_and_share_used(client, sign_in, money):
    pot = _scheduled_pot(money)
    settled = payments.hold(
        pot, 12_000, "b1", provider=money.provider, category=money.pa, description="6 hours"
    )
    payments.settle(settled)
    payments.hold(pot, 4_000, "b2", provider=money.provider, category=money.pa, description="2 h")
    db.session.commit()

    [row] = oversight.overview([money.holder])
    [social_care, health] = row.pots
    assert social_care.share_used_percent is None  # the fixture's pot has no allocation
    assert (health.available_pence, health.held_pence) == (24_000, 4_000)
    assert health.spent_this_period_pence == 12_000
    assert health.share_used_percent == 40  # (12,000 + 4,000) / 40,000
    assert row.last_activity_at is not None

    sign_in(money.commissioner)
    html = client.get("/commissioning/").get_data(as_text=True)
    assert "Ada Holder" in html
    assert "£240.00" in html and "£120.00 and £40.00 held" in html and "40%" in html
    assert f"/payments/pots/{pot.id}" in html


def test_money_settled_before_this_period_is_not_this_periods_spend(money):
    pot = _scheduled_pot(money)
    old = payments.hold(
        pot, 10_000, "old", provider=money.provider, category=money.pa, description="5 hours"
    )
    payments.settle(old)
    db.session.execute(
        update(Hold).where(Hold.id == old.id).values(closed_at=utcnow() - timedelta(days=4))
    )
    db.session.commit()

    [row] = oversight.overview([money.holder])
    health = row.pots[1]
    assert health.spent_this_period_pence == 0
    assert health.share_used_percent == 0
    assert health.available_pence == 30_000


def test_another_tenants_holders_and_money_never_appear(
    client, sign_in, money, make_user, make_tenant
):
    other_tenant = make_tenant()
    stranger = make_user(Role.HOLDER, tenant=other_tenant, full_name="Zed Stranger")
    other_commissioner = make_user(Role.COMMISSIONER, tenant=other_tenant)
    set_up_pot(
        other_commissioner,
        stranger,
        [money.pa],
        support_plan_reference="PHB-0042",  # the same reference as ours
        allocation_every_days=0,
        allocation_starts_on=date(2026, 1, 1),
    )
    _scheduled_pot(money)
    sign_in(money.commissioner)

    for url in ("/commissioning/", "/commissioning/?q=PHB-0042", "/commissioning/?q=Zed"):
        html = client.get(url).get_data(as_text=True)
        assert "Zed Stranger" not in html, url
    assert client.get(f"/commissioning/holders/{stranger.id}").status_code == 404


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("q=ada", {"Ada Holder"}),
        ("q=ADA+HOLD", {"Ada Holder"}),
        ("q=bob%40example", {"Bob Brown"}),
        ("q=phb-0042", {"Ada Holder"}),  # the support plan reference
        ("q=100%25", set()),  # a per cent sign is a character, not a wildcard
        ("pot=health", {"Ada Holder"}),
        ("pot=social_care", {"Ada Holder"}),
        ("pot=none", {"Bob Brown", "Cy Suspended"}),
        ("status=suspended", {"Cy Suspended"}),
        ("status=active", {"Ada Holder", "Bob Brown"}),
        ("q=&pot=&status=", {"Ada Holder", "Bob Brown", "Cy Suspended"}),
    ],
)
def test_search_and_filters_find_the_right_holders(client, sign_in, money, make_user, query, found):
    _scheduled_pot(money)
    make_user(Role.HOLDER, tenant=money.tenant, full_name="Bob Brown", email="bob@example.org")
    cy = make_user(Role.HOLDER, tenant=money.tenant, full_name="Cy Suspended")
    cy.active = False
    db.session.commit()
    sign_in(money.commissioner)

    response = client.get(f"/commissioning/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    shown = {name for name in ("Ada Holder", "Bob Brown", "Cy Suspended") if name in html}
    assert shown == found
    if not found:
        assert "No budget holders match your search" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [("q=" + "x" * 101, "Search for 100 characters or fewer")],
)
def test_a_bad_filter_gets_a_message_and_a_400(client, sign_in, money, query, message):
    sign_in(money.commissioner)
    response = client.get(f"/commissioning/?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and message in html and "Not a valid" not in html


@pytest.mark.parametrize("query", ["pot=bogus", "status=everyone", "pot=lottery&status=x"])
def test_an_unknown_filter_choice_is_ignored_and_everyone_shown(
    client, sign_in, money, make_user, query
):
    make_user(Role.HOLDER, tenant=money.tenant, full_name="Bob Brown")
    sign_in(money.commissioner)
    response = client.get(f"/commissioning/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ada Holder" in html and "Bob Brown" in html
    assert "There is a problem" not in html and "Clear search" not in html


def test_a_page_past_the_end_of_the_holders_says_so_and_links_to_the_first(
    client, sign_in, money, make_user
):
    for number in range(26):
        make_user(Role.HOLDER, tenant=money.tenant, full_name=f"Holder {number:02d}")
    sign_in(money.commissioner)
    html = client.get("/commissioning/?page=3").get_data(as_text=True)
    assert "No budget holders yet" not in html
    assert "There are no more budget holders." in html
    assert 'href="/commissioning/#holders">Go to the first page' in html
    searched = client.get("/commissioning/?q=holder&page=3").get_data(as_text=True)
    assert "There are no more budget holders matching your search." in searched
    assert 'href="/commissioning/?q=holder#holders">Go to the first page' in searched


def test_pages_of_holders_open_at_the_list(client, sign_in, money, make_user):
    for number in range(26):
        make_user(Role.HOLDER, tenant=money.tenant, full_name=f"Holder {number:02d}")
    sign_in(money.commissioner)
    html = client.get("/commissioning/").get_data(as_text=True)
    assert 'href="/commissioning/?page=2#holders"' in html


def test_pages_of_holders_keep_the_search(client, sign_in, money, make_user):
    for number in range(30):
        make_user(Role.HOLDER, tenant=money.tenant, full_name=f"Match {number:02d}")
    sign_in(money.commissioner)

    first = client.get("/commissioning/?q=match").get_data(as_text=True)
    assert "Match 00" in first and "Match 25" not in first
    assert "q=match" in first and "page=2" in first
    second = client.get("/commissioning/?q=match&page=2").get_data(as_text=True)
    assert "Match 25" in second and "Ada Holder" not in second


def test_holder_page_shows_budgets_and_bookings(client, sign_in, money):
    _scheduled_pot(money)
    sign_in(money.commissioner)
    html = client.get(f"/commissioning/holders/{money.holder.id}").get_data(as_text=True)
    assert "PHB-0042" in html and "£400.00" in html
    assert "No bookings yet." in html


def test_holder_page_lists_their_bookings_and_links_to_each(client, sign_in, world):
    from marketplace.bookings import services as bookings
    from marketplace.bookings.models import BookingKind
    from tests.marketplace.bookings.conftest import NINE, TODAY

    booking = bookings.request_booking(
        world.holder,
        world.holder,
        world.listing,
        world.pot,
        bookings.Request(
            BookingKind.ONE_OFF, day=TODAY + timedelta(days=1), start=NINE, duration_minutes=60
        ),
        TODAY,
    )
    db.session.commit()
    sign_in(world.commissioner)

    html = client.get(f"/commissioning/holders/{world.holder.id}").get_data(as_text=True)
    assert f"/bookings/{booking.id}" in html
    assert "Waiting for the provider" in html and "Personal assistant" in html
    assert client.get(f"/bookings/{booking.id}").status_code == 200


def test_dashboard_counts_open_alerts_of_its_own_tenant_only(client, sign_in, money, make_tenant):
    from marketplace.commissioning import alerts
    from marketplace.commissioning.models import AlertKind

    def finding(subject):
        return alerts.Finding(AlertKind.DISPUTE, subject, "open", "A session is disputed.", {})

    alerts.store(money.tenant.id, [finding("occurrence:1"), finding("occurrence:2")], now=utcnow())
    alerts.store(make_tenant().id, [finding("occurrence:3")], now=utcnow())
    db.session.commit()
    sign_in(money.commissioner)

    html = client.get("/commissioning/").get_data(as_text=True)
    assert "Disputed session: 2 open" in html
    assert "kind=dispute" in html
