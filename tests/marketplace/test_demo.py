"""`flask --app wsgi demo load`: idempotent, clearly demo, and never a person's name from CQC."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts.models import ConsentMethod, Representation, Role, Tenant, User
from marketplace.clock import london_today
from marketplace.commissioning import market
from marketplace.demo.fictional import demo_email
from marketplace.demo.records import DEMO_FILE, read_demo_file
from marketplace.demo.services import COUNCIL_NAME, ICB_NAME, load_demo
from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    Category,
    Listing,
    ListingStatus,
    Provider,
    ProviderKind,
    ProviderMember,
)
from marketplace.extensions import db
from marketplace.paths import PROJECT_ROOT
from marketplace.payments import services as payments
from marketplace.payments.models import Allocation, Hold, HoldStatus, Pot
from marketplace.search.models import SearchEvent
from marketplace.search.tantivy.engine import TantivyEngine
from tests.search_engines import engine_in_use

SOURCE_CQC = Path("/work/shared/data/providers/cqc_api_locations_oldham_2025-08.json")
SHIPPED_CQC = PROJECT_ROOT / "data" / "providers" / "cqc_api_locations_oldham_2025-08.json"
MODELS = (
    Category,
    Tenant,
    User,
    Provider,
    Listing,
    AvailabilityRule,
    AvailabilityException,
    ProviderMember,
    Representation,
    Pot,
    Allocation,
    SearchEvent,
)


@pytest.fixture()
def own_index(app: Flask, tmp_path: Path) -> Iterator[TantivyEngine]:
    """A search index for this test alone: `demo load` fills the index, and other tests' searches
    must not find the demo's listings."""
    yield from engine_in_use(app, TantivyEngine(tmp_path / "tantivy"))


def row_counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in MODELS
    }


def test_loading_twice_changes_nothing_and_says_so(app, app_ctx, own_index):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = row_counts()

    second = runner.invoke(args=["demo", "load"])

    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert row_counts() == counts
    assert "Nothing changed" in second.output
    assert "already exist" in second.output
    assert "Password" in first.output and "Password" not in second.output


def test_first_load_prints_each_login_once_and_the_passwords_work(app, app_ctx, own_index):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    rows = re.findall(r"^.*?(\S+@demo\.care-marketplace\.example)\s+(\S+)$", result.output, re.M)
    assert len(rows) == 6
    client = app.test_client()
    email, password = rows[3]
    response = client.post("/sign-in", data={"email": email, "password": password})
    assert response.status_code == 302


def test_a_newcomers_first_search_finds_the_demo_listings(app, app_ctx, client, own_index):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output

    response = client.get(
        "/search.json",
        query_string={"q": "personal assistant", "postcode": "OL1 1AA", "radius": "10"},
    )

    assert response.status_code == 200
    found = response.get_json()
    assert found["total"] > 0
    first = db.session.get(Listing, found["results"][0]["listing_id"])
    assert first.is_demo and first.title.startswith("Personal assistant")
    assert own_index.count() == db.session.scalar(select(func.count(Listing.id)))
    assert "Search index (tantivy)" in result.output


def test_demo_has_every_role_tenants_and_consent(app_ctx):
    load_demo()
    council = db.session.scalar(select(Tenant).where(Tenant.name == COUNCIL_NAME))
    icb = db.session.scalar(select(Tenant).where(Tenant.name == ICB_NAME))
    assert council.is_demo and icb.is_demo
    assert {a.gss_code for a in council.areas} == {
        "E08000004",
        "E08000005",
        "E08000008",
        "E08000003",
    }
    users = db.session.scalars(select(User)).all()
    assert {u.role for u in users} == set(Role)
    assert all(u.is_demo and u.email.endswith("@demo.care-marketplace.example") for u in users)
    representation = db.session.scalar(select(Representation))
    assert representation.holder.email == demo_email("holder")
    assert representation.consent_method == ConsentMethod.RECORDED_BY_COMMISSIONER
    owner = db.session.scalar(select(User).where(User.email == demo_email("provider")))
    member = db.session.scalar(select(ProviderMember).where(ProviderMember.user_id == owner.id))
    assert member.provider.kind == ProviderKind.PERSONAL_ASSISTANT


def test_every_record_of_the_demo_file_loads_as_demo(app_ctx):
    raw = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))
    assert raw["demo"] is True
    demo = read_demo_file()
    assert len(demo.providers) == len(raw["providers"]) and len(demo.people) == len(raw["people"])

    load_demo()

    fictional = db.session.scalars(select(Provider).where(Provider.cqc_location_id.is_(None))).all()
    listings = {spec.legal_name: spec.listing for spec in demo.providers}
    assert sorted(p.legal_name for p in fictional) == sorted(listings)
    for provider in fictional:
        [listing] = provider.listings
        spec = listings[provider.legal_name]
        assert (listing.title, listing.price_pence) == (spec.title, spec.price_pence)
        assert len(listing.availability) == len(spec.days) and listing.categories
        assert provider.is_demo and listing.is_demo and "demo" in provider.description
        assert provider.contact_email.endswith("@demo.care-marketplace.example")
    users = db.session.scalars(select(User)).all()
    assert sorted(u.email for u in users) == sorted(demo_email(p.key) for p in demo.people)


def test_cqc_providers_are_demo_agencies_not_on_this_service_with_one_published_listing(app_ctx):
    load_demo()
    cqc = db.session.scalars(
        select(Provider).where(Provider.cqc_location_id.is_not(None)).order_by(Provider.id)
    ).all()
    assert len(cqc) > 50
    assert all(p.is_demo and p.kind == ProviderKind.CARE_AGENCY for p in cqc)
    assert not any(p.is_verified or p.has_joined or p.members for p in cqc)
    assert all(p.latitude and p.postcode for p in cqc)
    assert {p.cqc_rating for p in cqc} >= {"Good", "Outstanding", None}
    for provider in cqc:
        assert len(provider.listings) == 1
        listing = provider.listings[0]
        assert listing.is_demo and listing.status == ListingStatus.PUBLISHED
        assert listing.categories
    homecare = next(p for p in cqc if p.cqc_service_types == ["Homecare agencies"])
    assert homecare.listings[0].price_unit.value == "hour"
    # Who each serves comes from its registration's service user bands.
    over_65 = [p for p in cqc if "Caring for adults over 65 yrs" in p.cqc_specialisms]
    assert over_65 and all("older_people" in p.listings[0].age_groups for p in over_65)
    children = [p for p in cqc if "Caring for children" in p.cqc_specialisms]
    assert children and all("children" in p.listings[0].age_groups for p in children)


def test_every_fictional_demo_listing_says_who_it_is_for_and_search_finds_by_age(
    app, app_ctx, client, own_index
):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    fictional = db.session.scalars(select(Provider).where(Provider.cqc_location_id.is_(None)))
    assert all(p.listings[0].age_groups for p in fictional)
    found = client.get("/search.json", query_string={"age_group": "children"}).get_json()
    titles = [hit["title"] for hit in found["results"]]
    assert "Speech and language therapy" in titles
    assert "Friday social club" not in titles


def test_demo_listings_are_all_demo_and_public_pages_render(client, app_ctx):
    load_demo()
    db.session.commit()
    listings = db.session.scalars(select(Listing)).all()
    assert all(listing.is_demo for listing in listings)
    pa = db.session.scalar(select(Provider).where(Provider.legal_name == "Amira Demo"))
    page = client.get(f"/listings/{pa.listings[0].id}").get_data(as_text=True)
    assert "£15.50" in page and "Monday" in page and "Days not available" in page
    assert "Holiday" not in page and "Demo" in page
    cqc = db.session.scalars(
        select(Provider).where(Provider.cqc_rating == "Good").order_by(Provider.id)
    ).first()
    page = client.get(f"/providers/{cqc.id}").get_data(as_text=True)
    assert "cqc.org.uk/location/" + cqc.cqc_location_id in page


def test_each_demo_listing_has_a_holiday_a_few_weeks_after_the_day_the_demo_loads(app_ctx):
    load_demo()
    holidays = db.session.scalars(
        select(AvailabilityException).where(AvailabilityException.reason == "Holiday")
    ).all()
    offsets = sorted((holiday.starts_on - london_today()).days for holiday in holidays)
    assert offsets == list(range(21, 21 + len(holidays)))  # a day apart, from three weeks on


def _contact_names(path: Path) -> set[str]:
    names: set[str] = set()
    for location in json.loads(path.read_text(encoding="utf-8")):
        for activity in location.get("regulatedActivities", []):
            for person in activity.get("contacts", []):
                given = person.get("personGivenName", "").strip()
                family = person.get("personFamilyName", "").strip()
                if given and family:
                    names.add(f"{given} {family}")
                if len(family) > 3:
                    names.add(family)
    return names


def test_shipped_cqc_file_holds_no_registered_manager():
    text = SHIPPED_CQC.read_text(encoding="utf-8")
    assert "personGivenName" not in text and "personFamilyName" not in text
    assert '"contacts"' not in text


@pytest.mark.skipif(not SOURCE_CQC.exists(), reason="the shared source data is not on this machine")
def test_demo_never_stores_a_registered_managers_name(app_ctx):
    load_demo()
    names = _contact_names(SOURCE_CQC)
    assert len(names) > 50
    texts = []
    for provider in db.session.scalars(select(Provider)):
        texts += [
            provider.legal_name,
            provider.trading_name,
            provider.description,
            provider.contact_email,
            provider.address_line,
            provider.website,
        ]
    for listing in db.session.scalars(select(Listing)):
        texts += [
            listing.title,
            listing.description,
            listing.venue_address,
            listing.accessibility_notes,
        ]
    words = {w for t in texts if t for w in re.findall(r"[A-Za-z'-]+", t)}
    joined = "\n".join(t for t in texts if t)
    for name in names:
        if " " in name:
            assert name not in joined, name
        else:
            # A family name alone may also be a place or a company word; only flag whole words
            # that do not occur in the CQC location's own public name or address.
            assert name not in words or name in _public_words(), name


def _public_words() -> set[str]:
    words: set[str] = set()
    for location in json.loads(SHIPPED_CQC.read_text(encoding="utf-8")):
        for key in (
            "name",
            "postalAddressLine1",
            "postalAddressLine2",
            "postalAddressTownCity",
            "website",
        ):
            words.update(re.findall(r"[A-Za-z'-]+", location.get(key) or ""))
    return words


# `flask accounts create-admin` lives beside the demo loader's tests: both are set-up commands.


def test_create_admin_asks_for_the_password_twice_and_makes_an_admin(app, app_ctx):
    result = app.test_cli_runner().invoke(
        args=["accounts", "create-admin", "Boss@Example.org", "Ada Admin"],
        input="a long admin password\na long admin password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert user.role == Role.ADMIN and user.full_name == "Ada Admin"
    assert "a long admin password" not in result.output


def test_create_admin_refuses_a_weak_password_or_a_taken_email(app, app_ctx):
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["accounts", "create-admin", "a@example.org", "A"], input="short\nshort\n"
    )
    assert weak.exit_code != 0 and "10 characters" in weak.output
    good = "a long admin password\n" * 2
    runner.invoke(args=["accounts", "create-admin", "a@example.org", "A"], input=good)
    again = runner.invoke(args=["accounts", "create-admin", "A@example.org", "B"], input=good)
    assert again.exit_code != 0 and "already exists" in again.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_the_demo_holder_has_a_budget_paid_for_each_period_so_far(app_ctx):
    load_demo()
    db.session.commit()
    holder = db.session.scalar(select(User).where(User.email == demo_email("holder")))
    [pot] = db.session.scalars(select(Pot).where(Pot.holder_id == holder.id)).all()
    # Started ten weeks ago, paid every four: periods began 70, 42 and 14 days ago, each
    # paid within its period; the demo's bookings spent or set aside the rest.
    allocations = db.session.scalars(
        select(Allocation).where(Allocation.pot_id == pot.id).order_by(Allocation.period_start)
    ).all()
    starts = [london_today() - timedelta(days=days) for days in (70, 42, 14)]
    assert [a.period_start for a in allocations] == starts
    paid_on = [london_today(a.created_at) for a in allocations]
    assert all(s <= day < s + timedelta(days=28) for s, day in zip(starts, paid_on, strict=True))
    balance = payments.balance(pot)
    spent = db.session.scalar(
        select(func.sum(Hold.settled_pence)).where(
            Hold.pot_id == pot.id, Hold.status == HoldStatus.SETTLED
        )
    )
    assert balance.available_pence + balance.held_pence + spent == 3 * pot.allocation_pence
    assert pot.support_plan_reference.startswith("DEMO-")


def test_the_demo_councils_market_gap_report_has_searches_and_gaps(app_ctx):
    load_demo()
    db.session.commit()
    council = db.session.scalar(select(Tenant).where(Tenant.name == COUNCIL_NAME))
    events = db.session.scalars(select(SearchEvent)).all()
    assert len(events) == 400
    assert {e.tenant_id for e in events} == {council.id, None}  # signed in, or not
    assert all(e.engine == "demo" for e in events)
    facts = market.MarketFacts(council, market.default_period(london_today()))
    overview = {row.measure: row.value for row in market.overview(facts)}
    assert overview["Searches"] == 400  # every one is the council's or from its districts
    assert overview["Searches with no results"] > 0
    assert overview["Searches with 1 to 3 results"] > 0
    assert market.top_gaps(facts)
    times = {row.time_band for row in market.by_time(facts) if row.counts.searches}
    assert times == set(market.TimeBand)
    kinds = [row for row in market.by_category(facts) if row.counts.searches]
    assert len(kinds) >= 10
    districts = {row.outcode for row in market.by_area(facts) if row.counts.searches}
    assert {"OL1", "OL8", "OL12"} <= districts


def test_the_demo_searches_are_the_same_on_every_machine(app, app_ctx):
    load_demo()
    db.session.commit()

    def seen() -> list[tuple[object, ...]]:
        query = select(
            SearchEvent.outcode,
            SearchEvent.categories,
            SearchEvent.filters,
            SearchEvent.result_count,
        ).order_by(SearchEvent.id)
        return [tuple(row) for row in db.session.execute(query)]

    first = seen()
    db.session.query(SearchEvent).delete()
    db.session.commit()
    load_demo()
    db.session.commit()
    assert seen() == first
