"""Saved searches: saving one from the results page, the daily alert through the real worker
job and the tantivy engine (a new listing is told once, an old one never), the page that lists
them, and the count of people waiting on a provider's home."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.audit import AuditEvent
from marketplace.directory.models import DeliveryMode
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from marketplace.saved_searches import demand
from marketplace.saved_searches.alerts import TEMPLATE
from marketplace.saved_searches.models import SavedSearch, SavedSearchTold
from marketplace.search.geo import locate
from marketplace.search.services import drain_outbox
from marketplace.worker import runs
from marketplace.worker.models import RunState

HOMECARE_NEAR_OL1 = "category=homecare&postcode=OL1+1AA&radius=10"


def run_daily_job(day: str) -> str:
    """The worker's own run of the saved-search job for one day: its outcome line."""
    run_id = runs.claim("saved-searches-alert", day)
    assert run_id is not None
    run = runs.execute(run_id)
    assert run.state is RunState.DONE, run.outcome
    return run.outcome or ""


def alerts_sent() -> list[OutboundEmail]:
    return list(
        db.session.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.template == TEMPLATE)
            .order_by(OutboundEmail.id)
        )
    )


def save_from_results(client, query: str, name: str = "Homecare", alerts: str = "yes"):
    page = client.get(f"/search?{query}")
    assert "Save this search" in page.get_data(as_text=True)
    form = client.get(f"/search/save?{query}")
    assert form.status_code == 200
    return client.post("/search/save", data={"search": query, "name": name, "alerts": alerts})


@pytest.fixture()
def holder(make_user):
    return make_user(Role.HOLDER, full_name="Rita Holder", email="rita@example.org")


def test_a_new_listing_is_told_once_and_an_old_one_never(
    tantivy_engine, client, sign_in, holder, make_listing, category
):
    homecare = category("homecare")
    old = make_listing(title="Morning calls", categories=[homecare], postcode="OL1 1AA")
    drain_outbox()
    sign_in(holder)
    answer = save_from_results(client, HOMECARE_NEAR_OL1, name="Mornings for Mum")
    assert answer.status_code == 302 and answer.location.endswith("/saved-searches")
    saved = db.session.scalars(select(SavedSearch)).one()
    assert (saved.name, saved.outcode, saved.categories) == (
        "Mornings for Mum",
        "OL1",
        ["homecare"],
    )
    assert saved.result_count == 1 and saved.alerts_on
    # The listing on the page it was saved from is known already: no email about it.
    assert "no new match" not in run_daily_job("2026-11-24")
    assert alerts_sent() == []
    # The old listing changes; a new one opens nearby; one opens far beyond the radius.
    old.title = "Morning and evening calls"
    db.session.commit()
    new = make_listing(title="Evening calls", categories=[homecare], postcode="OL8 1AA")
    make_listing(title="Calls in Reading", categories=[homecare], postcode="RG1 1AA")
    drain_outbox()
    outcome = run_daily_job("2026-11-25")
    assert outcome == "Checked 1 saved search(es); 1 new match(es); emailed 1 person(s)."
    [email] = alerts_sent()
    assert email.to_address == "rita@example.org"
    assert email.subject == "New support matches your saved search"
    assert "Mornings for Mum: 1 new listing." in email.body_text
    assert f"/search?category=homecare&postcode={quote_plus('OL1 1AA')}&radius=10" in (
        email.body_text
    )
    assert "/saved-searches" in email.body_text
    told = set(db.session.scalars(select(SavedSearchTold.listing_id)))
    assert told == {old.id, new.id}
    # The next day nothing is new: no second email about the same listing.
    assert run_daily_job("2026-11-26").endswith("emailed 0 person(s).")
    assert len(alerts_sent()) == 1
    assert db.session.get(SavedSearch, saved.id).result_count == 2


def test_with_emails_off_nothing_is_sent_and_nothing_is_saved_up(
    tantivy_engine, client, sign_in, holder, make_listing, category
):
    homecare = category("homecare")
    sign_in(holder)
    assert save_from_results(client, HOMECARE_NEAR_OL1, alerts="no").status_code == 302
    saved = db.session.scalars(select(SavedSearch)).one()
    assert saved.result_count == 0 and not saved.alerts_on
    make_listing(categories=[homecare], postcode="OL1 1AA")
    drain_outbox()
    assert run_daily_job("2026-11-24").endswith("1 new match(es); emailed 0 person(s).")
    # Switched on later: told of what is new from then on, not of what it already matched.
    assert (
        client.post(f"/saved-searches/{saved.id}/alerts", data={"alerts": "on"}).status_code == 302
    )
    assert run_daily_job("2026-11-25").endswith("0 new match(es); emailed 0 person(s).")
    make_listing(categories=[homecare], postcode="OL8 1AA")
    drain_outbox()
    assert run_daily_job("2026-11-26").endswith("1 new match(es); emailed 1 person(s).")
    assert len(alerts_sent()) == 1


def test_one_email_a_day_tells_of_every_search_with_news(
    tantivy_engine, client, sign_in, holder, make_listing, category
):
    sign_in(holder)
    save_from_results(client, HOMECARE_NEAR_OL1, name="Homecare")
    save_from_results(client, "category=physiotherapy&postcode=OL1", name="Physio")
    make_listing(categories=[category("homecare")], postcode="OL1 1AA")
    make_listing(categories=[category("physiotherapy")], postcode="OL1 1AA")
    make_listing(categories=[category("physiotherapy")], postcode="OL8 1AA")
    drain_outbox()
    run_daily_job("2026-11-24")
    [email] = alerts_sent()
    assert email.subject == "New support matches 2 of your saved searches"
    assert "Homecare: 1 new listing." in email.body_text
    assert "Physio: 2 new listings." in email.body_text


def test_the_saved_searches_page_renames_switches_and_deletes(
    tantivy_engine, client, sign_in, holder, make_user
):
    sign_in(holder)
    empty = client.get("/saved-searches").get_data(as_text=True)
    assert "You have no saved searches." in empty
    save_from_results(client, HOMECARE_NEAR_OL1, name="Homecare")
    saved_id = db.session.scalars(select(SavedSearch.id)).one()
    listed = client.get("/saved-searches").get_data(as_text=True)
    assert "Search saved. We will email you when new support matches it." in listed
    assert "Homecare" in listed and "No results" in listed and "Stop emails" in listed
    off = client.post(f"/saved-searches/{saved_id}/alerts", data={"alerts": "off"})
    assert off.status_code == 302 and not db.session.get(SavedSearch, saved_id).alerts_on
    assert client.post(f"/saved-searches/{saved_id}/alerts", data={}).status_code == 400
    blank = client.post(f"/saved-searches/{saved_id}/rename", data={"name": "  "})
    assert blank.status_code == 400 and "Enter a name for the search" in blank.get_data(
        as_text=True
    )
    client.post(f"/saved-searches/{saved_id}/rename", data={"name": "Care for Dad"})
    assert db.session.get(SavedSearch, saved_id).name == "Care for Dad"
    assert "Care for Dad" in client.get(f"/saved-searches/{saved_id}/delete").get_data(as_text=True)
    gone = client.post(f"/saved-searches/{saved_id}/delete")
    assert gone.status_code == 302 and db.session.get(SavedSearch, saved_id) is None
    again = client.post(f"/saved-searches/{saved_id}/delete", follow_redirects=True)
    assert "That saved search had already been deleted." in again.get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "saved_search.saved",
        "saved_search.alerts_off",
        "saved_search.renamed",
        "saved_search.deleted",
    } <= actions
    for event in db.session.scalars(select(AuditEvent)):
        assert "Care for Dad" not in str(event.detail) and "OL1" not in str(event.detail)


def test_another_persons_saved_search_is_not_found(
    tantivy_engine, client, sign_in, holder, make_user
):
    sign_in(holder)
    save_from_results(client, HOMECARE_NEAR_OL1)
    saved = db.session.scalars(select(SavedSearch)).one()
    client.post("/sign-out")
    sign_in(make_user(Role.HOLDER))
    assert client.get(f"/saved-searches/{saved.id}/rename").status_code == 404
    assert (
        client.post(f"/saved-searches/{saved.id}/alerts", data={"alerts": "off"}).status_code == 404
    )
    client.post(f"/saved-searches/{saved.id}/delete")
    assert db.session.get(SavedSearch, saved.id) is not None
    assert "Homecare" not in client.get("/saved-searches").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("", 400, "There is no search to save"),
        ("page=2", 400, "There is no search to save"),
        ("postcode=ZZ99+9ZZ", 400, "We cannot find ZZ99 9ZZ"),
    ],
)
def test_saving_needs_a_search(tantivy_engine, client, sign_in, holder, query, status, message):
    sign_in(holder)
    answer = client.get(f"/search/save?{query}")
    assert answer.status_code == status and message in answer.get_data(as_text=True)


def test_saving_needs_a_name_and_a_choice_about_emails(tantivy_engine, client, sign_in, holder):
    sign_in(holder)
    answer = client.post("/search/save", data={"search": HOMECARE_NEAR_OL1, "name": ""})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "There is a problem" in html and "Enter a name for the search" in html
    assert "Choose whether you want an email when new support matches" in html
    assert db.session.scalars(select(SavedSearch)).all() == []


def test_the_same_search_is_saved_once_and_names_are_not_repeated(
    tantivy_engine, client, sign_in, holder
):
    """Saving the same search again (the same link, its parameters in another order, or Back
    and save) is refused with where it is kept; a second search that would get the same name is
    numbered; a name the person already uses is refused, in saving and in renaming."""
    sign_in(holder)
    named = "Homecare near OL1 1AA"
    assert save_from_results(client, HOMECARE_NEAR_OL1, name=named).status_code == 302
    again = client.get("/search/save?radius=10&postcode=ol1+1aa&category=homecare")
    assert again.status_code == 200
    assert "You already saved this search" in again.get_data(as_text=True)
    assert f"You saved it as “{named}”" in again.get_data(as_text=True)
    sent = client.post(
        "/search/save", data={"search": HOMECARE_NEAR_OL1, "name": "Other", "alerts": "yes"}
    )
    assert sent.status_code == 409
    assert len(db.session.scalars(select(SavedSearch)).all()) == 1

    # Within 5 miles is another search with the same words: its suggested name is numbered.
    wider = "category=homecare&postcode=OL1+1AA&radius=5"
    form = client.get(f"/search/save?{wider}").get_data(as_text=True)
    assert 'value="Homecare near OL1 1AA (2)"' in form
    taken = client.post(
        "/search/save", data={"search": wider, "name": "homecare near ol1 1aa", "alerts": "no"}
    )
    assert taken.status_code == 400
    assert "You already have a saved search called" in taken.get_data(as_text=True)
    assert save_from_results(client, wider, name="Homecare near OL1 1AA (2)").status_code == 302
    first, second = db.session.scalars(select(SavedSearch).order_by(SavedSearch.id)).all()
    renamed = client.post(f"/saved-searches/{second.id}/rename", data={"name": first.name})
    assert renamed.status_code == 400 and "choose another name" in renamed.get_data(as_text=True)
    same = client.post(f"/saved-searches/{second.id}/rename", data={"name": second.name})
    assert same.status_code == 302  # keeping its own name is no clash


def waiting(user, postcode: str | None, categories: list[str], found: int = 0) -> SavedSearch:
    place = locate(postcode) if postcode else None
    saved = SavedSearch(
        user_id=user.id,
        tenant_id=user.tenant_id,
        name="a search",
        params=[["postcode", postcode or ""]],
        outcode=place.outcode if place else None,
        categories=categories,
        latitude=place.point.latitude if place else None,
        longitude=place.point.longitude if place else None,
        radius_miles=10.0 if place else None,
        result_count=found,
    )
    db.session.add(saved)
    db.session.commit()
    return saved


def test_a_providers_home_counts_the_people_waiting_for_what_it_offers(
    app_ctx, client, sign_in, make_user, make_provider, make_listing, category
):
    """The provider's homecare goes to people's homes up to 10 miles from OL1 1AA; its
    physiotherapy is at a venue in OL1. Waiting (saved searches that find nothing):
      A homecare from OL8 (1.4 miles)               counts
      A homecare from OL12, a second search of A     the same person: counted once
      B physiotherapy from M1 (7.2 miles, within the 10 miles B would travel)   counts
      C homecare from RG1 (152 miles)                beyond where it goes
      D talking therapies from OL1                   not something it offers
      E homecare from OL1, found 2 listings          not waiting
      F homecare, no postcode                        nowhere to go to
    So 2 people: A and B."""
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner)
    make_listing(provider, [category("homecare")], postcode="OL1 1AA", travel_radius_miles=10)
    make_listing(
        provider,
        [category("physiotherapy")],
        postcode="OL1 1AA",
        delivery_mode=DeliveryMode.VENUE,
        travel_radius_miles=None,
    )
    a, b, c, d, e, f = (make_user(Role.HOLDER) for _ in range(6))
    waiting(a, "OL8", ["homecare"])
    waiting(a, "OL12", ["homecare"])
    waiting(b, "M1", ["physiotherapy"])
    waiting(c, "RG1", ["homecare"])
    waiting(d, "OL1 1AA", ["talking-therapies"])
    waiting(e, "OL1 1AA", ["homecare"], found=2)
    waiting(f, None, ["homecare"])
    assert demand.people_waiting_for(provider) == 2
    sign_in(owner)
    html = client.get("/provider/").get_data(as_text=True)
    assert "2 people near you are waiting for a kind of support you offer" in html
    for person in (a, b, c, d, e, f):
        assert person.full_name not in html and person.email not in html


def test_a_holder_who_blocked_the_provider_is_not_counted_as_waiting_for_it(
    app_ctx, client, sign_in, make_user, make_provider, make_listing, category
):
    """A and B both wait for homecare near OL1; A has blocked the provider, so only B counts
    on its home. Another provider A has not blocked still counts A."""
    from marketplace.conversations.models import ProviderBlock

    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner)
    make_listing(provider, [category("homecare")], postcode="OL1 1AA", travel_radius_miles=10)
    other = make_provider(owner=make_user(Role.PROVIDER))
    make_listing(other, [category("homecare")], postcode="OL1 1AA", travel_radius_miles=10)
    a, b = make_user(Role.HOLDER), make_user(Role.HOLDER)
    waiting(a, "OL8", ["homecare"])
    waiting(b, "OL8", ["homecare"])
    assert demand.people_waiting_for(provider) == 2
    db.session.add(ProviderBlock(holder_id=a.id, provider_id=provider.id, blocked_by_id=a.id))
    db.session.commit()
    assert demand.people_waiting_for(provider) == 1
    assert demand.people_waiting_for(other) == 2
    sign_in(owner)
    html = client.get("/provider/").get_data(as_text=True)
    assert "1 person near you is waiting for a kind of support you offer" in html


def test_the_people_waiting_are_narrowed_in_the_database_without_losing_anyone_at_the_edge(
    app_ctx, make_user, make_provider, make_listing, category
):
    """Saved searches due north and due south of a provider's listings, just inside and just
    outside each reach: homecare at home up to 10 miles from OL1 1AA, physiotherapy at a venue
    there (as far as each person said they would go: 5 miles, or the 10 of no answer), and
    talking therapies online (anywhere). The count read through the database's narrowing is the
    count of checking every saved search one by one, and the searches far away are not read."""
    owner = make_user(Role.PROVIDER)
    provider = make_provider(owner=owner)
    make_listing(provider, [category("homecare")], postcode="OL1 1AA", travel_radius_miles=10)
    make_listing(
        provider,
        [category("physiotherapy")],
        postcode="OL1 1AA",
        delivery_mode=DeliveryMode.VENUE,
        travel_radius_miles=None,
    )
    make_listing(
        provider,
        [category("talking-therapies")],
        postcode="OL1 1AA",
        delivery_mode=DeliveryMode.ONLINE,
        travel_radius_miles=None,
    )
    centre = locate("OL1 1AA").point

    def at(miles: float, user, categories: list[str], radius: float | None) -> None:
        degrees = miles / 69.05
        db.session.add(
            SavedSearch(
                user_id=user.id,
                tenant_id=user.tenant_id,
                name="a search",
                params=[],
                categories=categories,
                latitude=centre.latitude + degrees,
                longitude=centre.longitude,
                radius_miles=radius,
                result_count=0,
            )
        )

    expected = 0
    for miles, kinds, radius in [
        (9.9, ["homecare"], 10.0), (-9.9, ["homecare"], 10.0), (10.2, ["homecare"], 10.0),
        (-10.2, ["homecare"], 10.0), (4.9, ["physiotherapy"], 5.0), (5.2, ["physiotherapy"], 5.0),
        (-9.9, ["physiotherapy"], None), (-10.2, ["physiotherapy"], None),
        (400.0, ["talking-therapies"], 1.0), (0.0, ["respite"], 50.0),
    ]:  # fmt: skip
        at(miles, make_user(Role.HOLDER), kinds, radius)
    db.session.commit()
    reaches = demand._reaches(provider)
    for saved in db.session.scalars(select(SavedSearch)):
        place = (saved.latitude, saved.longitude, saved.radius_miles)
        expected += any(
            set(saved.categories) & reach.categories and demand._within(reach, place)
            for reach in reaches
        )
    assert expected == 5  # two homecare, one physiotherapy at 5 miles, one at 10, online
    assert demand.people_waiting_for(provider) == expected
    narrowed = select(SavedSearch.id).where(
        sa.or_(*(demand._could_match(reach) for reach in reaches))
    )
    # Due north or south, the band of latitude is the reach: nothing beyond it is read.
    assert len(db.session.scalars(narrowed).all()) == expected


def test_the_demo_holders_saved_search_is_demand_no_one_meets(tantivy_engine, app_ctx):
    """The demo holder asks for dementia support near OL8 from someone who speaks Polish; the
    demo's only dementia support on the service (Amira's, within 6 miles of OL8) is in English,
    Urdu and Punjabi. The daily check finds nothing and emails no one; the council's report and
    Amira's home count it."""
    from marketplace.accounts.models import Tenant
    from marketplace.clock import london_today
    from marketplace.commissioning import market
    from marketplace.demo.searches import DEMO_SAVED_SEARCH_NAME
    from marketplace.demo.services import COUNCIL_NAME, STORY_PROVIDER, load_demo
    from marketplace.directory.models import Provider

    load_demo()
    db.session.commit()
    drain_outbox()
    assert run_daily_job("2026-11-24").endswith("0 new match(es); emailed 0 person(s).")
    saved = db.session.scalars(select(SavedSearch)).one()
    assert saved.name == DEMO_SAVED_SEARCH_NAME and saved.result_count == 0
    amira = db.session.scalars(select(Provider).where(Provider.legal_name == STORY_PROVIDER)).one()
    assert demand.people_waiting_for(amira) == 1
    council = db.session.scalars(select(Tenant).where(Tenant.name == COUNCIL_NAME)).one()
    facts = market.MarketFacts(council, market.default_period(london_today()))
    rows = [(r.category, r.outcode, r.saved_searches) for r in market.waiting(facts)]
    assert rows == [("Dementia support", "OL8", 1)]


def test_the_save_page_says_what_the_search_asks_for(tantivy_engine, client, sign_in, holder):
    sign_in(holder)
    query = (
        "q=night+care&category=homecare&postcode=OL1+1AA&radius=5&language=polish"
        "&day=2&time=19:00&max_price=25&verified=1"
    )
    html = client.get(f"/search/save?{query}").get_data(as_text=True)
    for words in (
        "night care",
        "Homecare",
        "OL1 1AA, within 5 miles",
        "Up to £25.00; Wednesday at 19:00; Speaks Polish; Checked providers only",
        'value="Night care, Homecare near OL1 1AA"',
    ):
        assert words in html, words
