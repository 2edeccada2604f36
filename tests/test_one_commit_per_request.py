"""One commit per request: a request that fails after its service has run leaves nothing behind.

Every state-changing route of the access table (POST, PUT, PATCH, DELETE; the read-only Open
Referral UK routes answer 405 to everyone and are left out) has a case here: a role that may use
it, valid form data that makes its service do its work, and, where the world's objects are not
already in a state that allows the move, a preparation. Each case is checked twice on a fresh
world from `build_world` (tests/test_access_table.py):

1. with the view made to fail where it finishes (rendering, redirecting, JSON, or after the
   Stripe webhook's handler), the database, every table row by row, is as it was; and
2. the same request without interference changes the database, so the service really ran.

A route whose every valid request changes nothing is listed in NO_DATABASE_CHANGE with its
reason, and the test checks it really changes nothing. A state-changing route without a case
fails, so a new route joins the table.

"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import flask.templating
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from marketplace.accounts.models import Role, User
from marketplace.bookings import services as bookings
from marketplace.bookings.models import (
    Booking,
    BookingKind,
    BookingState,
    Occurrence,
    OccurrenceState,
    Review,
)
from marketplace.directory.models import (
    ListingStatus,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.payments import services as payments
from marketplace.payments import stripe_gateway, topups, webhooks
from marketplace.payments.models import (
    Hold,
    LedgerAccount,
    LedgerTransfer,
    Pot,
    SpendRefusal,
    TopUp,
)
from provider_onboarding.importer import plans as importer
from provider_onboarding.models import ProviderChecks
from tests.frozen import TODAY
from tests.test_access_table import (
    ACCESS,
    PASSWORD,
    PASSWORD_HASH,
    ROLES,
    UNCLAIMED_CQC,
    World,
    build_world,
)

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
NEW_PASSWORD = "a longer password for tests"
WEBHOOK_SECRET = "whsec_one_commit_per_request"
TOMORROW = TODAY + timedelta(days=1)

Send = Callable[[World], dict[str, Any]]  # the keyword arguments of client.open
Prepare = Callable[[World], None]


def state_changing_routes() -> list[tuple[str, str]]:
    """Every (method, rule) of the access table that may change something: not GET, and not
    one that answers 405 to everyone (the read-only Open Referral UK API)."""
    return [
        (method, rule)
        for (method, rule), statuses in ACCESS.items()
        if method in STATE_CHANGING and set(statuses) != {405}
    ]


@dataclass(frozen=True)
class Case:
    """Who sends the request, what they send, and what the world needs first."""

    role: str
    send: Send
    prepare: Prepare | None = None


def form(**fields: object) -> Send:
    return lambda w: {"data": dict(fields)}


def upload(fields: dict[str, object], filename: str, content: bytes) -> Send:
    return lambda w: {
        "data": {**fields, "file": (io.BytesIO(content), filename)},
        "content_type": "multipart/form-data",
    }


def day_parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def world_id(w: World, name: str) -> Any:
    return w.more_ids[name]


# Preparations: put the world's objects where the move is possible. Each commits.


def funded_pot(w: World) -> Pot:
    """The holder's pot, allowed to buy the world's category, with £1,000 in it."""
    pot = db.session.get(Pot, world_id(w, "pot_id"))
    assert pot is not None
    pot.categories = list(w.listing.categories)
    db.session.flush()
    payments.fund_pot(w.users["commissioner"], pot, 100_000, "Money for the tests")
    db.session.commit()
    return pot


def requested_booking(w: World, pot: Pot) -> Booking:
    """A request for two hours tomorrow morning, from the holder to the world's listing. It
    becomes the booking the routes point at."""
    ask = bookings.Request(
        BookingKind.ONE_OFF, day=TOMORROW, start=clock_time(9), duration_minutes=120
    )
    booking = bookings.request_booking(
        w.users["holder"], w.users["holder"], w.listing, pot, ask, TODAY
    )
    db.session.commit()
    w.more_ids["booking_id"] = booking.id
    return booking


def a_funded_request(w: World) -> None:
    requested_booking(w, funded_pot(w))


def an_open_offer_on_a_funded_request(w: World) -> None:
    booking = requested_booking(w, funded_pot(w))
    made = bookings.offer(w.users["provider"], booking, 2000, "", world_id(w, "worker_id"))
    db.session.commit()
    w.more_ids["offer_id"] = made.id


def the_session(state: OccurrenceState) -> Prepare:
    """The world's past session in `state`, with its price held in a funded pot."""

    def prepare(w: World) -> None:
        pot = funded_pot(w)
        occurrence = db.session.get(Occurrence, world_id(w, "occurrence_id"))
        assert occurrence is not None
        held = payments.hold(
            pot,
            occurrence.price_pence,
            f"occurrence:{occurrence.id}",
            provider=w.provider,
            category=occurrence.booking.category,
            description="2 hours",
            hourly_rate_pence=occurrence.booking.unit_price_pence,
        )
        occurrence.hold_id, occurrence.state = held.id, state
        if state != OccurrenceState.SCHEDULED:
            occurrence.delivered_at, occurrence.actual_minutes = occurrence.ends_at, 120
        db.session.commit()

    return prepare


def no_review_yet(w: World) -> None:
    db.session.delete(db.session.get(Review, world_id(w, "review_id")))
    db.session.commit()


def a_paid_card_top_up(w: World) -> None:
    made = db.session.get(TopUp, world_id(w, "top_up_id"))
    assert made is not None
    made.payment_intent_id = f"pi_{made.id}"
    topups.payment_succeeded(
        made.payment_intent_id,
        status="succeeded",
        currency="gbp",
        amount_received=made.amount_pence,
    )
    db.session.commit()


def a_card_top_up_with_its_intent(w: World) -> None:
    made = db.session.get(TopUp, world_id(w, "top_up_id"))
    assert made is not None
    made.payment_intent_id = f"pi_{made.id}"
    db.session.commit()


def the_listing_in_draft(w: World) -> None:
    w.listing.status = ListingStatus.DRAFT
    db.session.commit()


def the_provider_waiting_for_checks(w: World) -> None:
    w.provider.verification_status = VerificationStatus.PENDING
    db.session.commit()


def the_provider_ready_to_send_checks(w: World) -> None:
    """Unverified, CQC registered (so only a checking body is needed), checks saved."""
    w.provider.verification_status = VerificationStatus.UNVERIFIED
    w.provider.cqc_location_id = "1-123456789"
    db.session.add(ProviderChecks(provider_id=w.provider.id))
    db.session.commit()


def a_second_staff_member(w: World) -> None:
    staff = User(
        email="staff@example.org",
        full_name="Staff Person",
        role=Role.PROVIDER,
        password_hash=PASSWORD_HASH,
    )
    db.session.add(staff)
    db.session.flush()
    member = ProviderMember(
        provider_id=w.provider.id, user_id=staff.id, role=ProviderMemberRole.STAFF
    )
    db.session.add(member)
    db.session.commit()
    w.more_ids["member_id"] = member.id


def the_provider_blocked(w: World) -> None:
    from marketplace.conversations import services as conversations
    from marketplace.conversations.models import Conversation

    found = db.session.get(Conversation, world_id(w, "conversation_id"))
    assert found is not None
    conversations.block(w.users["holder"], found)
    db.session.commit()


def the_meeting_suggested(w: World) -> None:
    from marketplace.meetings.models import Meeting, MeetingState

    meeting = db.session.get(Meeting, world_id(w, "meeting_id"))
    assert meeting is not None
    meeting.state = MeetingState.SUGGESTED
    meeting.suggested_at = meeting.times[0].starts_at + timedelta(hours=1)
    db.session.commit()


def the_session_today(w: World) -> None:
    """The world's session, scheduled to start now (so today, in London) and paid for."""
    the_session(OccurrenceState.SCHEDULED)(w)
    occurrence = db.session.get(Occurrence, world_id(w, "occurrence_id"))
    assert occurrence is not None
    occurrence.starts_at = utcnow()
    occurrence.ends_at = occurrence.starts_at + timedelta(hours=2)
    db.session.commit()


def new_meeting_form(w: World) -> dict[str, Any]:
    return {
        "data": {
            "way": "video",
            "minutes": "30",
            "day_1": day_parts(TOMORROW),
            "start_1": "2pm",
            "day_2": day_parts(TOMORROW),
            "start_2": "4:30pm",
        }
    }


IMPORT_CSV = (
    b"title,description,categories,price,price_unit,delivery_mode,postcode,travel_radius_miles\n"
    b"Evening help,Help with tea and getting ready for bed.,pa-world,21.50,hour,at_home,OL1 1AA,5\n"
)


def an_import_checked_on_the_previous_page(w: World) -> None:
    from flask import current_app

    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{w.provider.id}-{importer.digest_of(IMPORT_CSV)}.csv").write_bytes(IMPORT_CSV)


# What each request sends.


def signed_webhook(w: World) -> dict[str, Any]:
    """Stripe's payment_intent.succeeded for the world's top-up, signed as Stripe signs it."""
    made = db.session.get(TopUp, world_id(w, "top_up_id"))
    assert made is not None
    body = json.dumps(
        {
            "id": "evt_one_commit",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": made.payment_intent_id,
                    "status": "succeeded",
                    "currency": "gbp",
                    "amount_received": 5_000,
                }
            },
        }
    ).encode()
    stamp = int(time.time())  # Stripe's library checks the stamp against the real clock
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return {
        "data": body,
        "headers": {
            "Stripe-Signature": f"t={stamp},v1={mac.hexdigest()}",
            "Content-Type": "application/json",
        },
    }


def listing_form(w: World) -> dict[str, Any]:
    return {
        "data": {
            "title": "Help in the evening",
            "description": "Tea, and getting ready for bed.",
            "category_ids": [str(c.id) for c in w.listing.categories],
            "price": "22.00",
            "price_unit": "hour",
            "delivery_mode": "at_home",
            "postcode": "ol1 1aa",
            "travel_radius_miles": "5",
            "cancellation_notice_hours": "24",
            "cancellation_charge_percent": "0",
        }
    }


def new_booking_form(w: World) -> dict[str, Any]:
    return {
        "data": {
            "pot": str(world_id(w, "pot_id")),
            "kind": "one_off",
            "day": day_parts(TOMORROW),
            "start": "9:30am",
            "hours": "2",
            "confirm": "yes",
        }
    }


def new_pot_form(w: World) -> dict[str, Any]:
    return {
        "data": {
            "kind": "health",
            "support_plan_reference": "PHB-1",
            "categories": [str(c.id) for c in w.listing.categories],
            "allocation": "100.00",
            "every_days": "28",
            "starts_on": day_parts(TODAY),
        }
    }


def checks_form(w: World) -> dict[str, Any]:
    return {
        "data": {
            "tenant_id": str(w.tenant.id),
            "dbs_certificate_number": "0012 3456 7890",
            "dbs_issued_on": day_parts(TODAY - timedelta(days=100)),
            "insurer": "Acme Mutual",
            "insurance_expires_on": day_parts(TODAY + timedelta(days=300)),
            "right_to_work_confirmed": "y",
            "reference_1": "Jo Smith, 0161 496 0001",
            "reference_2": "Al Jones, 0161 496 0002",
        }
    }


def import_confirmation(w: World) -> dict[str, Any]:
    return {"data": {"digest": importer.digest_of(IMPORT_CSV), "format": "csv"}}


def worker_form(w: World) -> dict[str, Any]:
    return {"data": {"worker": str(world_id(w, "worker_id"))}}


def offer_form(w: World) -> dict[str, Any]:
    return {"data": {"price": "18.00", "note": "Three hours for this", **worker_form(w)["data"]}}


REGISTRATION = {
    "full_name": "Sam Provider",
    "email": "sam@example.org",
    "password": NEW_PASSWORD,
    "confirm": NEW_PASSWORD,
    "kind": "therapist",
    "legal_name": "Sam Physio Ltd",
    "contact_phone": "0161 496 0000",
    "postcode": "ol11aa",
}
A_PERSON = {"full_name": "Ann Other", "email": "ann.other@example.org"}
PDF = b"%PDF-1.4 a scanned certificate"

CASES: dict[tuple[str, str], Case] = {
    # Signing in, passwords, invitations
    ("POST", "/sign-in"): Case("anonymous", form(email="holder@example.org", password=PASSWORD)),
    ("POST", "/sign-out"): Case("holder", form()),
    ("POST", "/forgot-password"): Case("anonymous", form(email="holder@example.org")),
    ("POST", "/reset-password/<token>"): Case(
        "anonymous", form(password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    ),
    ("POST", "/invitations/<token>"): Case(
        "anonymous", form(full_name="New Holder", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    ),
    # Saved searches (the world's is the holder's, emails on)
    ("POST", "/search/save"): Case(
        "holder", form(search="q=help+at+home&postcode=OL1+1AA", name="Mornings", alerts="yes")
    ),
    ("POST", "/saved-searches/<int:saved_search_id>/alerts"): Case("holder", form(alerts="off")),
    ("POST", "/saved-searches/<int:saved_search_id>/rename"): Case(
        "holder", form(name="Help at home")
    ),
    ("POST", "/saved-searches/<int:saved_search_id>/delete"): Case("holder", form()),
    # Your account and representatives
    ("POST", "/account/password"): Case(
        "holder", form(current_password=PASSWORD, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    ),
    ("POST", "/account/representatives/new"): Case(
        "holder", form(**A_PERSON, relationship_to_holder="Son")
    ),
    ("POST", "/holders/<int:holder_id>/representatives/new"): Case(
        "commissioner", form(**A_PERSON, relationship_to_holder="Broker")
    ),
    ("POST", "/representations/<int:representation_id>/revoke"): Case(
        "holder", form(reason="Moved away")
    ),
    # Budget holders and representatives
    ("POST", "/payments/pots/<int:pot_id>/top-up"): Case(
        "holder", form(amount="50.00", request_key="top-up-1")
    ),
    ("POST", "/payments/top-ups/<int:top_up_id>/refund"): Case(
        "holder", form(), a_paid_card_top_up
    ),
    ("POST", "/payments/stripe/webhook"): Case(
        "anonymous", signed_webhook, a_card_top_up_with_its_intent
    ),
    # Providers
    ("POST", "/provider/register"): Case("anonymous", form(**REGISTRATION)),
    ("POST", "/provider/claim/<int:unclaimed_id>"): Case(
        "anonymous",
        form(
            **{key: REGISTRATION[key] for key in ("full_name", "email", "password", "confirm")},
            cqc_location_id=UNCLAIMED_CQC["location_id"],
            cqc_provider_id=UNCLAIMED_CQC["provider_id"],
            postcode=UNCLAIMED_CQC["postcode"],
        ),
    ),
    ("POST", "/payments/provider/stripe"): Case("provider", form()),
    ("POST", "/provider/checks"): Case("provider", checks_form),
    ("POST", "/provider/details"): Case(
        "provider",
        form(
            kind="therapist",
            legal_name="Moorside Therapy Ltd",
            contact_phone="0161 496 0001",
            postcode="OL8 1AA",
        ),
    ),
    ("POST", "/provider/checks/submit"): Case(
        "provider", form(), the_provider_ready_to_send_checks
    ),
    ("POST", "/provider/documents"): Case(
        "provider", upload({"kind": "insurance"}, "insurance.pdf", PDF)
    ),
    ("POST", "/provider/documents/<int:document_id>/delete"): Case("provider", form()),
    ("POST", "/provider/listings/new"): Case("provider", listing_form),
    ("POST", "/provider/listings/<int:listing_id>/edit"): Case("provider", listing_form),
    ("POST", "/provider/listings/<int:listing_id>/availability"): Case(
        "provider", form(weekday="2", start_time="14:00", end_time="17:00")
    ),
    ("POST", "/provider/listings/<int:listing_id>/availability/<int:rule_id>/delete"): Case(
        "provider", form()
    ),
    ("POST", "/provider/listings/<int:listing_id>/days-off"): Case(
        "provider",
        form(
            **{
                "off-starts_on": day_parts(TODAY + timedelta(days=7)),
                "off-ends_on": day_parts(TODAY + timedelta(days=8)),
                "off-reason": "Holiday",
            }
        ),
    ),
    ("POST", "/provider/listings/<int:listing_id>/days-off/<int:exception_id>/delete"): Case(
        "provider", form()
    ),
    ("POST", "/provider/listings/<int:listing_id>/publish"): Case(
        "provider", form(), the_listing_in_draft
    ),
    ("POST", "/provider/listings/<int:listing_id>/unpublish"): Case("provider", form()),
    ("POST", "/provider/bank-details"): Case(
        "provider", form(account_name="Moorside", sort_code="30-94-30", account_number="00733445")
    ),
    ("POST", "/provider/team/staff"): Case(
        "provider",
        form(
            **{
                "staff-full_name": "Kim Staff",
                "staff-email": "kim@example.org",
                "staff-role": "staff",
            }
        ),
    ),
    ("POST", "/provider/team/workers"): Case("provider", form(**{"worker-name": "Lee Worker"})),
    ("POST", "/provider/team/staff/<int:member_id>/remove"): Case(
        "provider", form(), a_second_staff_member
    ),
    ("POST", "/provider/team/workers/<int:worker_id>/times/<int:window_id>/delete"): Case(
        "provider", form()
    ),
    ("POST", "/provider/team/workers/<int:worker_id>/remove"): Case("provider", form()),
    ("POST", "/provider/team/workers/<int:worker_id>"): Case(
        "provider", form(weekday="3", start_time="14:00", end_time="17:00")
    ),
    ("POST", "/provider/<int:provider_id>/import"): Case(
        "provider", upload({}, "listings.csv", IMPORT_CSV)
    ),
    ("POST", "/provider/<int:provider_id>/import/apply"): Case(
        "provider", import_confirmation, an_import_checked_on_the_previous_page
    ),
    ("POST", "/provider/verification/<int:provider_id>"): Case(
        "commissioner", form(move="approve"), the_provider_waiting_for_checks
    ),
    # Commissioners
    ("POST", "/commissioning/holders/invite"): Case(
        "commissioner",
        form(**{"holder-full_name": "Ann Other", "holder-email": "ann.other@example.org"}),
    ),
    ("POST", "/commissioning/staff/invite"): Case(
        "commissioner",
        form(**{"staff-full_name": "Ann Other", "staff-email": "ann.other@example.org"}),
    ),
    ("POST", "/commissioning/invitations/<int:invitation_id>/withdraw"): Case(
        "commissioner", form()
    ),
    ("POST", "/commissioning/alerts/<int:alert_id>/acknowledge"): Case(
        "commissioner", form(note="Rang the holder: saving for a holiday")
    ),
    ("POST", "/payments/holders/<int:holder_id>/pots/new"): Case("commissioner", new_pot_form),
    ("POST", "/payments/pots/<int:pot_id>/fund"): Case(
        "commissioner", form(amount="250.00", reason="Equipment", request_key="fund-1")
    ),
    ("POST", "/payments/payout-runs/<int:run_id>/confirm"): Case("commissioner", form()),
    # Bookings
    ("POST", "/bookings/new/<int:listing_id>"): Case("holder", new_booking_form),
    ("POST", "/bookings/<int:booking_id>/accept"): Case("provider", worker_form, a_funded_request),
    ("POST", "/bookings/<int:booking_id>/decline"): Case(
        "provider", form(reason="Fully booked that week"), a_funded_request
    ),
    ("POST", "/bookings/<int:booking_id>/cancel"): Case("holder", form(reason="In hospital")),
    ("POST", "/bookings/<int:booking_id>/offer"): Case("provider", offer_form, a_funded_request),
    ("POST", "/bookings/offers/<int:offer_id>/<any(accept, decline):answer>"): Case(
        "holder", form(), an_open_offer_on_a_funded_request
    ),
    ("POST", "/bookings/sessions/<int:occurrence_id>/delivered"): Case(
        "provider", form(hours="2"), the_session(OccurrenceState.SCHEDULED)
    ),
    ("POST", "/bookings/sessions/<int:occurrence_id>/confirm"): Case(
        "holder", form(), the_session(OccurrenceState.DELIVERED)
    ),
    ("POST", "/bookings/sessions/<int:occurrence_id>/dispute"): Case(
        "holder", form(reason="Nobody came"), the_session(OccurrenceState.DELIVERED)
    ),
    ("POST", "/bookings/sessions/<int:occurrence_id>/resolve"): Case(
        "commissioner",
        form(amount="20.00", note="Half the time was worked"),
        the_session(OccurrenceState.DISPUTED),
    ),
    ("POST", "/bookings/calendar/new-address"): Case("holder", form()),
    ("POST", "/bookings/<int:booking_id>/review"): Case(
        "holder", form(stars="5", text="Kind and on time"), no_review_yet
    ),
    ("POST", "/bookings/reviews/<int:review_id>/reply"): Case(
        "provider", form(text="Thank you, we enjoyed it")
    ),
    ("POST", "/bookings/reviews/<int:review_id>/<any(hide, restore):action>"): Case(
        "commissioner", form(note="Names the worker")
    ),
    # Conversations
    ("POST", "/messages/<int:conversation_id>"): Case(
        "holder", form(body="Could you come at ten instead?")
    ),
    ("POST", "/messages/ask/<int:listing_id>"): Case("holder", form(body="Do you speak Urdu?")),
    ("POST", "/messages/about-booking/<int:booking_id>"): Case(
        "provider", form(body="Pat will be ten minutes late")
    ),
    ("POST", "/messages/<int:conversation_id>/report"): Case(
        "representative", form(reason="They keep asking for cash")
    ),
    ("POST", "/messages/<int:conversation_id>/block"): Case("holder", form()),
    ("POST", "/messages/<int:conversation_id>/unblock"): Case(
        "holder", form(), the_provider_blocked
    ),
    ("POST", "/bookings/sessions/<int:occurrence_id>/<any(arrived, left):mark>"): Case(
        "provider", form(), the_session_today
    ),
    # First meetings
    ("POST", "/meetings/new/<int:listing_id>"): Case("holder", new_meeting_form),
    ("POST", "/meetings/<int:meeting_id>/choose"): Case(
        "provider", lambda w: {"data": {"time": str(world_id(w, "meeting_time_id"))}}
    ),
    ("POST", "/meetings/<int:meeting_id>/suggest"): Case(
        "provider", form(day=day_parts(TOMORROW), start="11am")
    ),
    ("POST", "/meetings/<int:meeting_id>/<any(accept, decline):answer>"): Case(
        "holder", form(), the_meeting_suggested
    ),
    ("POST", "/meetings/<int:meeting_id>/cancel"): Case("holder", form(reason="Found someone")),
    # Administrators
    ("POST", "/admin/tenants/new"): Case(
        "admin", form(name="Rochdale Council", kind="council", areas=["E08000005"])
    ),
    ("POST", "/admin/tenants/<int:tenant_id>"): Case("admin", form(**A_PERSON)),
    ("POST", "/admin/users/<int:user_id>/active"): Case("admin", form(active="0")),
}

# Forms that make something new carry the key their page drew (marketplace/sent_forms.py): a
# double click, or twenty tabs of one page, send the same key.
FORM_KEY = "drawn-by-the-form-page-0123456789"
MADE_ONCE_PER_FORM = {
    ("POST", "/search/save"),
    ("POST", "/account/representatives/new"),
    ("POST", "/holders/<int:holder_id>/representatives/new"),
    ("POST", "/admin/tenants/<int:tenant_id>"),
    ("POST", "/commissioning/holders/invite"),
    ("POST", "/commissioning/staff/invite"),
    ("POST", "/payments/holders/<int:holder_id>/pots/new"),
    ("POST", "/bookings/new/<int:listing_id>"),
    ("POST", "/bookings/calendar/new-address"),
    ("POST", "/meetings/new/<int:listing_id>"),
    ("POST", "/provider/listings/new"),
    ("POST", "/provider/documents"),
    ("POST", "/provider/team/workers"),
    ("POST", "/provider/<int:provider_id>/import/apply"),
    ("POST", "/messages/<int:conversation_id>"),
    ("POST", "/messages/ask/<int:listing_id>"),
    ("POST", "/messages/about-booking/<int:booking_id>"),
    ("POST", "/messages/<int:conversation_id>/report"),
}


def keyed(send: Send) -> Send:
    def with_key(w: World) -> dict[str, Any]:
        sent = send(w)
        return {**sent, "data": {**sent["data"], "form_key": FORM_KEY}}

    return with_key


for _route in MADE_ONCE_PER_FORM:
    CASES[_route] = replace(CASES[_route], send=keyed(CASES[_route].send))

# Routes no valid request of which changes the database, and why.
NO_DATABASE_CHANGE: dict[tuple[str, str], str] = {
    ("POST", "/provider/<int:provider_id>/import"): "a dry run: it shows what importing would do",
}

# The webhook is Stripe's, not a role's: it answers 404 until a signing secret is set, as
# these tests set one.
OPENED_BY_CONFIGURATION = {("POST", "/payments/stripe/webhook")}


class FailedAfterTheService(Exception):
    """Raised where a view finishes (render, redirect, JSON): its service has already run."""


class RollbackDidNotHold(AssertionError):
    """A request failed after its service ran, and the service's work is in the database."""


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every committed row of every table, in primary key order, read on a connection of its
    own (so nothing the request's session still holds is seen)."""
    with db.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in db.metadata.sorted_tables
        }


def tables_changed(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@contextmanager
def writes_sent() -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements sent to the database inside the block."""
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def fail_where_views_finish(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Make rendering, redirecting, JSON and the Stripe webhook's handler raise once the view
    reaches them. Returns a list that records, at each failure, whether the session still
    held changes not yet sent (a service that changed an object without flushing)."""
    pending: list[bool] = []

    def fail(*args: Any, **kwargs: Any) -> Any:
        session = db.session
        pending.append(bool(session.new or session.deleted or session.dirty))
        raise FailedAfterTheService

    def handle_then_fail(event: dict[str, Any]) -> bool:
        handled(event)
        return fail()

    handled = webhooks.handle
    monkeypatch.setattr(flask.templating, "_render", fail)
    monkeypatch.setattr(app, "redirect", fail)
    monkeypatch.setattr(app.json, "response", fail)
    monkeypatch.setattr(webhooks, "handle", handle_then_fail)
    return pending


@pytest.fixture()
def world(app_ctx: Flask) -> World:
    return build_world()


@pytest.fixture()
def stripe_answers(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stripe as it answers when all is well, without the network."""
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setattr(stripe_gateway, "configured", lambda: True)
    monkeypatch.setattr(
        stripe_gateway,
        "create_payment_intent",
        lambda pence, top_up_id: stripe_gateway.Intent(f"pi_{top_up_id}", "secret"),
    )
    monkeypatch.setattr(stripe_gateway, "refund", lambda intent, pence, top_up_id: "re_1")
    monkeypatch.setattr(stripe_gateway, "create_express_account", lambda *_: "acct_1")
    monkeypatch.setattr(
        stripe_gateway, "onboarding_link", lambda *_: "https://connect.stripe.com/setup/acct_1"
    )


def signed_in(client: FlaskClient, w: World, role: str) -> FlaskClient:
    if role != "anonymous":
        response = client.post(
            "/sign-in", data={"email": w.users[role].email, "password": PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


def url_of(app: Flask, w: World, method: str, rule: str) -> str:
    [found] = [r for r in app.url_map.iter_rules() if r.rule == rule and method in r.methods]
    return w.url_for_rule(found)


def test_every_case_is_a_state_changing_route() -> None:
    stale = set(CASES) - set(state_changing_routes())
    assert not stale, f"cases for routes the access table does not list: {sorted(stale)}"
    assert set(NO_DATABASE_CHANGE) <= set(CASES)


@pytest.mark.usefixtures("stripe_answers")
@pytest.mark.parametrize(
    ("method", "rule"),
    [pytest.param(m, r, id=f"{m} {r}") for m, r in state_changing_routes()],
)
def test_a_request_commits_its_work_once_or_not_at_all(
    app: Flask,
    world: World,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    rule: str,
) -> None:
    case = CASES.get((method, rule))
    assert case is not None, f"add a case for {method} {rule} to CASES in {__name__}"
    status = ACCESS[(method, rule)][ROLES.index(case.role)]
    may_use = status not in (403, 404, 405) and not (case.role == "anonymous" and status == 302)
    assert may_use or (method, rule) in OPENED_BY_CONFIGURATION, (
        f"{case.role} gets {status} from {method} {rule}: choose a role that may use it"
    )
    if case.prepare is not None:
        case.prepare(world)
    client = signed_in(client, world, case.role)
    url = url_of(app, world, method, rule)
    before = snapshot()

    if (method, rule) in NO_DATABASE_CHANGE:
        with writes_sent() as writes:
            response = client.open(url, method=method, **case.send(world))
        assert response.status_code < 400, response.get_data(as_text=True)
        assert not tables_changed(before, snapshot()) and not writes, (
            f"{method} {rule} changes the database: take it out of NO_DATABASE_CHANGE"
        )
        return

    # 1. Failing where the view finishes: the service's work is undone.
    with monkeypatch.context() as patches, writes_sent() as writes:
        pending = fail_where_views_finish(app, patches)
        with pytest.raises(FailedAfterTheService):
            client.open(url, method=method, **case.send(world))
    assert writes or any(pending), f"{method} {rule}: the service changed nothing before failing"
    changed = tables_changed(before, snapshot())
    if changed:
        raise RollbackDidNotHold(f"{method} {rule} failed, yet changed {changed}")

    # 2. The same request without interference: the service's work is kept.
    response = client.open(url, method=method, **case.send(world))
    assert response.status_code < 400, response.get_data(as_text=True)
    assert tables_changed(before, snapshot()), f"{method} {rule} changed nothing"


def test_a_spend_refusal_keeps_the_booking_requested_and_the_refusal_on_record(
    app: Flask, world: World, client: FlaskClient
) -> None:
    w = world
    pot = db.session.get(Pot, world_id(w, "pot_id"))
    assert pot is not None
    pot.categories = list(w.listing.categories)  # allowed to buy it, but holding no money
    booking = requested_booking(w, pot)
    ledger = {LedgerAccount.__tablename__, LedgerTransfer.__tablename__}
    before = {name: rows for name, rows in snapshot().items() if name in ledger}

    response = signed_in(client, w, "provider").post(
        f"/bookings/{booking.id}/accept", data={"worker": str(world_id(w, "worker_id"))}
    )

    assert response.status_code == 302
    assert "could not be set aside" in client.get(response.headers["Location"]).text
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).state == BookingState.REQUESTED
    occurrences = select(func.count(Occurrence.id)).where(Occurrence.booking_id == booking.id)
    assert db.session.scalar(occurrences) == 0
    assert db.session.scalar(select(func.count(Hold.id)).where(Hold.pot_id == pot.id)) == 0
    committed = snapshot()
    assert {name: committed[name] for name in ledger} == before
    assert len(committed[SpendRefusal.__tablename__]) == 1  # kept, for commissioners to read
    refusal = db.session.scalars(select(SpendRefusal)).one()
    assert (refusal.pot_id, refusal.amount_pence) == (pot.id, 4300)
    assert (
        refusal.reference == f"booking:{booking.id}"
    )  # its session was undone; the booking shows it
