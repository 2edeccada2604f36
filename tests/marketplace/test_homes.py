"""Each role's home says what waits for that person, in order, with the notification banner, and
each thing is a link to where it is done; the demo's story leaves something on every home."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import set_password
from marketplace.bookings import integrity, models
from marketplace.bookings.models import (
    Booking,
    BookingKind,
    BookingState,
    Occurrence,
    OccurrenceState,
)
from marketplace.commissioning.models import Alert, AlertKind, SearchEventDaily
from marketplace.demo.fictional import demo_email
from marketplace.demo.services import load_demo
from marketplace.directory.models import (
    Listing,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.extensions import db
from marketplace.payments import ledger
from provider_onboarding.models import ProviderChecks
from tests.conftest import PASSWORD
from tests.frozen import DEFAULT, NOW

BANNER = 'class="govuk-notification-banner"'
NOTHING = "Nothing needs doing right now"


@pytest.fixture()
def demo(app_ctx):
    """The demo loaded into an empty database, as `make run` leaves it (with the tests'
    password, so its people can sign in)."""
    load_demo()
    for user in db.session.scalars(select(User)):
        set_password(user, PASSWORD)
    db.session.commit()


def person(key: str) -> User:
    return db.session.scalars(select(User).where(User.email == demo_email(key))).one()


def home_of(client, sign_in, user: User, path: str) -> str:
    sign_in(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def in_order(html: str, *words: str) -> bool:
    places = [html.find(w) for w in words]
    return -1 not in places and places == sorted(places)


def waiting_part(html: str) -> str:
    """The notification banner: what needs doing."""
    start = html.index(BANNER)
    return html[start : html.index("</div>\n</div>", start)]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# The demo's story.


def budget_running_low() -> tuple[str, ...]:
    """The demo's budget runs low at the default moment (the story is made so); at a few other
    moments (just after a payment, with bank holidays moving the story's days) it does not, and
    then no home may say it does."""
    low = db.session.scalars(select(Alert.id).where(Alert.kind == AlertKind.RUNNING_OUT)).first()
    if NOW.strftime("%Y-%m-%dT%H:%M") == DEFAULT:
        assert low is not None, "the demo budget should be running low"
    return ("Budgets running low",) if low is not None else ()


def test_the_demo_story_leaves_bookings_and_sessions_in_every_state_people_reach(demo):
    booking_states = set(db.session.scalars(select(Booking.state)))
    session_states = set(db.session.scalars(select(Occurrence.state)))
    # Nothing in the service moves a booking to "ended" or a session to "paid" (a confirmed
    # session is paid from the budget when confirmed); every other state is there.
    assert booking_states == set(BookingState) - {BookingState.ENDED}
    assert session_states == set(OccurrenceState) - {OccurrenceState.PAID}
    assert db.session.scalars(
        select(models.Offer).where(models.Offer.state == models.OfferState.OPEN)
    ).one()
    kinds = set(db.session.scalars(select(Alert.kind)))
    assert AlertKind.DISPUTE in kinds
    assert (AlertKind.RUNNING_OUT in kinds) == bool(budget_running_low())
    assert db.session.scalars(select(SearchEventDaily)).first() is not None
    assert ledger.verify() == [] and integrity.problems() == []
    assert all(listing.is_demo for listing in db.session.scalars(select(Listing)))


def test_the_demo_story_happened_in_the_past_in_order_and_by_the_people_it_names(demo):
    events = db.session.scalars(select(models.BookingEvent).order_by(models.BookingEvent.at)).all()
    assert events and all(e.at <= NOW for e in events)
    assert events[0].at < NOW - timedelta(weeks=4)
    actors = set(db.session.scalars(select(models.BookingEvent.actor_id)))
    assert {person("holder").id, person("representative").id, person("provider").id} <= actors


def test_loading_the_demo_again_tells_the_story_once(demo):
    bookings = db.session.scalars(select(Booking.id).order_by(Booking.id)).all()
    load_demo()
    db.session.commit()
    assert db.session.scalars(select(Booking.id).order_by(Booking.id)).all() == bookings


# The holder's home.


def test_the_holders_home_lists_the_offer_then_the_session_to_confirm_then_the_budget(
    demo, client, sign_in
):
    html = home_of(client, sign_in, person("holder"), "/bookings/dashboard")
    banner = waiting_part(html)
    assert "What needs doing" in banner
    low = budget_running_low()
    assert in_order(banner, "Offers to answer", "Sessions to confirm", *low)
    assert low or "Budgets running low" not in banner
    offer = db.session.scalars(
        select(models.Offer).where(models.Offer.state == models.OfferState.OPEN)
    ).one()
    to_confirm = db.session.scalars(
        select(Occurrence).where(Occurrence.state == OccurrenceState.DELIVERED)
    ).one()
    assert f"/bookings/{offer.booking_id}" in banner and "£14.50 per hour" in banner
    assert f"/bookings/{to_confirm.booking_id}#sessions" in banner
    assert not low or ("/payments/pots/" in banner and "may run out around" in banner)
    assert "Offer waiting for your answer" in html and "Session to confirm" in html
    assert "Done and paid" in html  # the one-off whose session was confirmed


def test_the_representative_sees_what_waits_for_the_person_they_act_for(demo, client, sign_in):
    html = home_of(client, sign_in, person("representative"), "/bookings/dashboard")
    banner = waiting_part(html)
    assert in_order(banner, "Offers to answer", "Sessions to confirm", *budget_running_low())
    assert "for Demo Budget Holder" in banner


def test_a_holder_with_nothing_waiting_sees_no_banner(app_ctx, client, sign_in, make_user):
    html = home_of(client, sign_in, make_user(Role.HOLDER), "/bookings/dashboard")
    assert BANNER not in html and NOTHING in html


# The provider's home and inbox.


def test_the_providers_home_lists_requests_then_sessions_to_mark_done(demo, client, sign_in):
    html = home_of(client, sign_in, person("provider"), "/provider/")
    banner = waiting_part(html)
    assert in_order(banner, "Requests to answer", "Sessions to mark as done")
    request = db.session.scalars(
        select(Booking).where(Booking.state == BookingState.REQUESTED, ~Booking.offers.any())
    ).one()
    day = request.rota_starts_on
    words = text_of(banner)
    assert f"Demo asks for {request.listing.title}" in words
    assert f"{day:%a %-d %b %Y}, 10am to 12pm (2 hours), £31.00" in words
    unmarked = db.session.scalars(
        select(Occurrence).where(
            Occurrence.state == OccurrenceState.SCHEDULED, Occurrence.starts_at <= NOW
        )
    ).all()
    assert unmarked and all(f"/bookings/sessions/{o.id}/delivered" in banner for o in unmarked)


@pytest.fixture()
def owner(app_ctx, make_user, make_provider) -> tuple[User, int]:
    """A provider's owner with no bookings, and the provider's id."""
    user = make_user(Role.PROVIDER)
    provider = make_provider()
    db.session.add(
        ProviderMember(provider_id=provider.id, user_id=user.id, role=ProviderMemberRole.OWNER)
    )
    db.session.commit()
    return user, provider.id


def test_a_provider_with_checks_running_out_is_told_to_update_them(owner, client, sign_in):
    user, provider_id = owner
    ends = NOW.date() + timedelta(days=10)
    db.session.add(ProviderChecks(provider_id=provider_id, insurance_expires_on=ends))
    db.session.commit()
    banner = waiting_part(home_of(client, sign_in, user, "/provider/"))
    assert "Checks running out" in banner and "insurance expires on" in banner
    assert "/provider/checks" in banner


def test_a_provider_with_nothing_waiting_sees_no_banner(owner, client, sign_in):
    html = home_of(client, sign_in, owner[0], "/provider/")
    assert BANNER not in html and NOTHING in html


def test_the_inbox_rows_carry_the_clients_first_name_date_time_hours_and_price(
    demo, client, sign_in
):
    html = home_of(client, sign_in, person("provider"), "/bookings/inbox")
    table = text_of(html[html.index("app-inbox") : html.index("</table>")])
    one_off = db.session.scalars(
        select(Booking).where(Booking.state == BookingState.REQUESTED, ~Booking.offers.any())
    ).one()
    assert f"Demo {one_off.rota_starts_on:%a %-d %b %Y} 10am to 12pm 2 hours £31.00" in table
    rota = db.session.scalars(
        select(Booking).where(Booking.state == BookingState.REQUESTED, Booking.offers.any())
    ).one()
    assert f"Mondays and Wednesdays, every week from {rota.rota_starts_on:%-d %b %Y}" in table
    assert "Mon 9am to 10am; Wed 9am to 10am 1 hour each time" in table
    assert "Your offer: waiting for their answer" in table
    bookings = text_of(html[html.index("Your bookings") :])
    assert "Client" in bookings and "Amira, personal assistant (demo)" not in bookings


# The commissioner's home.


def test_the_commissioners_home_lists_checks_then_disputes_then_alerts(
    demo, client, sign_in, make_provider
):
    council = person("commissioner.council")
    waiting = make_provider(
        verification_status=VerificationStatus.PENDING, tenant_id=council.tenant_id
    )
    db.session.commit()
    html = home_of(client, sign_in, council, "/commissioning/")
    banner = waiting_part(html)
    assert in_order(
        banner,
        "Providers waiting for checks",
        "Problems with sessions to decide",
        "Alerts to look at",
    )
    assert f"/provider/verification/{waiting.id}" in banner
    disputed = db.session.scalars(
        select(Occurrence).where(Occurrence.state == OccurrenceState.DISPUTED)
    ).one()
    assert f"/bookings/sessions/{disputed.id}/resolve" in banner
    assert "Disputed session: 1 open" in banner
    assert bool(budget_running_low()) == ("Budget running out: 1 open" in banner)


def test_a_commissioner_with_nothing_waiting_sees_no_banner(app_ctx, client, sign_in, make_user):
    html = home_of(client, sign_in, make_user(Role.COMMISSIONER), "/commissioning/")
    assert BANNER not in html and NOTHING in html


# The words on the booking page.


def test_the_booking_history_is_in_plain_words(demo, client, sign_in):
    rota = db.session.scalars(
        select(Booking).where(Booking.kind == "rota").order_by(Booking.id)
    ).first()
    html = home_of(client, sign_in, person("holder"), f"/bookings/{rota.id}")
    history = text_of(html[html.index(">History<") :])
    assert "→" not in history and "_" not in history
    assert "Booking agreed" in history
    assert "A problem was reported with the session on" in history
    assert "was confirmed and paid" in history
    cancelled = db.session.scalars(
        select(Booking).where(Booking.state == BookingState.CANCELLED_BY_HOLDER)
    ).one()
    html = home_of(client, sign_in, person("representative"), f"/bookings/{cancelled.id}")
    assert "Cancelled by Demo Budget Holder" in text_of(html)
    assert "Cancelled by you" not in html


def test_a_session_time_reads_as_people_write_it():
    from marketplace.bookings.words import clock_words

    assert [clock_words(time(9)), clock_words(time(9, 30)), clock_words(time(12))] == [
        "9am",
        "9:30am",
        "12pm",
    ]


def booking_with(state: str, sessions: tuple[str, ...] = (), offer: bool = False, kind="one_off"):
    booking = Booking(kind=BookingKind(kind), state=BookingState(state))
    booking.occurrences = [Occurrence(state=OccurrenceState(s)) for s in sessions]
    booking.offers = [models.Offer(state=models.OfferState.OPEN)] if offer else []
    return booking


@pytest.mark.parametrize(
    ("booking", "side", "words"),
    [
        (booking_with("requested", offer=True), "holder", "Offer waiting for your answer"),
        (booking_with("requested", offer=True), "provider", "Your offer: waiting for their answer"),
        (booking_with("requested"), "holder", "Waiting for the provider"),
        (booking_with("requested"), "provider", "Waiting for your answer"),
        (booking_with("accepted", ("scheduled",)), "holder", "Booked"),
        (booking_with("accepted", ("delivered",)), "holder", "Session to confirm"),
        (booking_with("accepted", ("delivered",)), "provider", "Waiting for confirmation"),
        (booking_with("accepted", ("confirmed",)), "holder", "Done and paid"),
        (booking_with("accepted", ("confirmed",), kind="rota"), "holder", "Booked"),
        (
            booking_with("accepted", ("confirmed", "disputed"), kind="rota"),
            "commissioner",
            "Problem reported",
        ),
        (booking_with("cancelled_by_holder"), "holder", "Cancelled"),
        (booking_with("cancelled_by_holder"), "provider", "Cancelled by the budget holder"),
        (booking_with("cancelled_by_provider"), "provider", "Cancelled by you"),
        (booking_with("expired"), "holder", "No answer in time"),
    ],
)
def test_a_bookings_status_reads_as_its_reader_would_say_it(booking, side, words):
    from marketplace.bookings.words import booking_status

    assert booking_status(booking, side).text == words
