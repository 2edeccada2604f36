"""Conversations: asking a question, replies and unread counts, emails that never carry the
text, the rate limit, consent ending, blocks, reports and who may read what.

The access table's world (tests/test_access_table.py) is the setting: a council with a holder,
their representative, a provider's owner, a commissioner and an administrator, a booking, and a
conversation between the holder and the provider that the holder has reported.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace import clock
from marketplace.accounts import services as accounts
from marketplace.accounts.models import (
    ConsentMethod,
    Representation,
    Role,
    Tenant,
    TenantArea,
    TenantKind,
    User,
)
from marketplace.audit import AuditEvent
from marketplace.bookings import services as bookings
from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    BookingKind,
    BookingState,
    Offer,
    OfferState,
)
from marketplace.bookings.views.blueprint import asked
from marketplace.conversations import blocks
from marketplace.conversations import services as conversations
from marketplace.conversations.models import Conversation, Message, ProviderBlock
from marketplace.directory.models import (
    Listing,
    ListingStatus,
    Provider,
    ProviderKind,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from marketplace.meetings import services as meetings
from marketplace.meetings.models import Meeting, MeetingState, MeetingTime, MeetingWay
from marketplace.models_base import utcnow
from marketplace.payments.models import Pot
from tests.frozen import NOW, TODAY
from tests.test_access_table import PASSWORD, PASSWORD_HASH, World, world

__all__ = ["world"]


def signed_in(app: Flask, user: User) -> FlaskClient:
    """A browser of its own, signed in as `user`."""
    client = app.test_client()
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def person(role: Role, name: str, tenant: Tenant | None) -> User:
    user = User(
        email=f"{name.lower().replace(' ', '.')}@example.net",
        full_name=name,
        role=role,
        tenant_id=tenant.id if tenant else None,
        password_hash=PASSWORD_HASH,
    )
    db.session.add(user)
    db.session.flush()
    return user


def provider_with_listing(owner_name: str, provider_name: str) -> tuple[User, Provider, Listing]:
    owner = person(Role.PROVIDER, owner_name, None)
    provider = Provider(
        kind=ProviderKind.THERAPIST,
        legal_name=provider_name,
        verification_status=VerificationStatus.VERIFIED,
        postcode="OL1 1AA",
    )
    db.session.add(provider)
    db.session.flush()
    db.session.add(
        ProviderMember(provider_id=provider.id, user_id=owner.id, role=ProviderMemberRole.OWNER)
    )
    listing = Listing(
        provider=provider,
        title="Talking therapy",
        description="Weekly sessions.",
        price_pence=4000,
        price_unit="session",
        delivery_mode="online",
        postcode="OL1 1AA",
        travel_radius_miles=0,
        status=ListingStatus.PUBLISHED,
    )
    db.session.add(listing)
    db.session.commit()
    return owner, provider, listing


def the_conversation(world: World) -> Conversation:
    found = db.session.get(Conversation, world.more_ids["conversation_id"])
    assert found is not None
    return found


def message_count(conversation_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Message.id)).where(Message.conversation_id == conversation_id)
        )
        or 0
    )


def readings(conversation_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "conversation.read_after_report",
                AuditEvent.subject_id == conversation_id,
            )
            .order_by(AuditEvent.id)
        )
    )


# Asking, replying, unread counts.


def test_a_holder_asks_a_question_from_a_listing_and_the_provider_replies(
    app: Flask, world: World
) -> None:
    owner, provider, listing = provider_with_listing("Sam Owner", "Calm Minds CIC")
    holder = signed_in(app, world.users["holder"])

    listing_page = holder.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert f'href="/messages/ask/{listing.id}"' in listing_page and "Ask a question" in listing_page

    sent = holder.post(f"/messages/ask/{listing.id}", data={"body": "Do you work evenings?"})
    assert sent.status_code == 302
    conversation = conversations.between(world.users["holder"], provider)
    assert conversation is not None
    assert sent.location.startswith(f"/messages/{conversation.id}")

    staff = signed_in(app, owner)
    home = staff.get("/provider/").get_data(as_text=True)
    assert "Messages (1 unread)" in home and "You have 1 unread message." in home
    page = staff.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert "Do you work evenings?" in page and "Holder Person" in page
    assert "Messages (1 unread)" not in staff.get("/provider/").get_data(as_text=True)

    reply = staff.post(f"/messages/{conversation.id}", data={"body": "Yes, until 8pm."})
    assert reply.status_code == 302
    # The reply, and the world's provider's answer the holder has not opened yet.
    holder_home = holder.get("/bookings/dashboard").get_data(as_text=True)
    assert "Messages (2 unread)" in holder_home and "You have 2 unread messages." in holder_home
    inbox = holder.get("/messages/").get_data(as_text=True)
    assert "Calm Minds CIC" in inbox and "1 new" in inbox
    [message] = [m for m in conversations.latest_messages(conversation, 5) if m.party == "provider"]
    assert (message.body, message.sender_id) == ("Yes, until 8pm.", owner.id)
    assert NOW <= message.sent_at <= utcnow()  # kept with when it was written


def test_a_booking_page_shows_the_messages_and_a_message_sent_from_it_names_the_booking(
    app: Flask, world: World
) -> None:
    booking_id = world.more_ids["booking_id"]
    holder = signed_in(app, world.users["holder"])
    page = holder.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert 'id="messages"' in page and "Yes, nine is fine." in page

    opened = holder.get(f"/messages/about-booking/{booking_id}")
    assert opened.status_code == 302 and f"about={booking_id}" in opened.location
    form = holder.get(opened.location).get_data(as_text=True)
    assert f'name="about" type="hidden" value="{booking_id}"' in form
    holder.post(
        f"/messages/{world.more_ids['conversation_id']}",
        data={"body": "About Monday", "about": str(booking_id)},
    )
    newest = conversations.latest_messages(the_conversation(world), 1)[0]
    assert (newest.body, newest.booking_id) == ("About Monday", booking_id)


def test_a_booking_page_titles_its_messages_as_the_whole_conversation_s_latest(
    app: Flask, world: World
) -> None:
    booking_id = world.more_ids["booking_id"]
    for role, other in (("holder", world.provider.display_name), ("provider", "Holder Person")):
        page = signed_in(app, world.users[role]).get(f"/bookings/{booking_id}").text
        assert (
            f'<h2 class="govuk-heading-m" id="messages">Latest messages with {other}</h2>' in page
        )
        assert f"whole conversation with {other}, about this booking or anything else" in page
        assert f"Read the whole conversation with {other} and reply" in page
        assert ">Messages</h2>" not in page


def test_the_inbox_is_newest_first_a_page_at_a_time(app: Flask, world: World) -> None:
    provider_user, provider = world.users["provider"], world.provider
    for n in range(conversations.PAGE_SIZE + 1):
        clock.advance(timedelta(minutes=1))
        holder = person(Role.HOLDER, f"Holder Number {n:02d}", world.tenant)
        conversations.start(holder, holder, provider, f"Question {n}")
    db.session.commit()
    staff = signed_in(app, provider_user)
    first = staff.get("/messages/").get_data(as_text=True)
    second = staff.get("/messages/?page=2").get_data(as_text=True)
    newest = f"Holder Number {conversations.PAGE_SIZE:02d}"
    assert newest in first and first.index(newest) < first.index("Holder Number 19")
    assert "Holder Person" in second  # the world's conversation is the oldest
    assert newest not in second


# Emails.


def test_the_email_says_a_message_came_and_from_whom_but_never_what_it_says(
    app: Flask, world: World
) -> None:
    before = db.session.scalar(select(func.max(OutboundEmail.id))) or 0
    secret = "My door code is 4821"
    holder = signed_in(app, world.users["holder"])
    holder.post(f"/messages/{world.more_ids['conversation_id']}", data={"body": secret})
    emails = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.id > before).order_by(OutboundEmail.id)
    ).all()
    assert [e.to_address for e in emails] == [world.users["provider"].email]
    [email] = emails
    assert email.subject == "New message from Holder Person"
    assert "You have a new message from Holder Person" in email.body_text
    assert f"/messages/{world.more_ids['conversation_id']}" in email.body_text
    assert "4821" not in email.body_text and "door code" not in email.body_text.lower()
    assert "4821" not in email.subject


def test_a_providers_message_is_emailed_to_the_holder_and_their_representative(
    app: Flask, world: World
) -> None:
    before = db.session.scalar(select(func.max(OutboundEmail.id))) or 0
    staff = signed_in(app, world.users["provider"])
    staff.post(f"/messages/{world.more_ids['conversation_id']}", data={"body": "See you soon"})
    emails = db.session.scalars(select(OutboundEmail).where(OutboundEmail.id > before)).all()
    assert sorted(e.to_address for e in emails) == [
        "holder@example.org",
        "representative@example.org",
    ]
    assert {e.subject for e in emails} == {"New message from Moorside Home Care Ltd"}
    assert all("See you soon" not in e.body_text for e in emails)


# The rate limit.


def test_sending_is_limited_per_person_with_a_clear_message_and_counted_in_the_database(
    app: Flask, world: World
) -> None:
    conversation = the_conversation(world)
    holder_user = world.users["holder"]
    already = db.session.scalar(
        select(func.count(Message.id)).where(Message.sender_id == holder_user.id)
    )
    # Messages sent by any process count: these are written straight through the service.
    for n in range(conversations.RATE_LIMIT - (already or 0)):
        conversations.send(holder_user, conversation, f"Message {n}")
    db.session.commit()
    holder = signed_in(app, holder_user)
    refused = holder.post(f"/messages/{conversation.id}", data={"body": "One too many"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "You have sent 20 messages in the last 10 minutes" in page
    assert "govuk-error-summary" in page and "One too many" in page  # kept in the box
    assert "One too many" not in [m.body for m in conversations.latest_messages(conversation, 3)]

    # Someone else in the same conversation is not held back by the holder's count.
    staff = signed_in(app, world.users["provider"])
    assert staff.post(f"/messages/{conversation.id}", data={"body": "Hello"}).status_code == 302

    clock.advance(conversations.RATE_WINDOW + timedelta(seconds=1))
    again = holder.post(f"/messages/{conversation.id}", data={"body": "Now it goes"})
    assert again.status_code == 302
    assert conversations.latest_messages(conversation, 1)[0].body == "Now it goes"


# Representatives.


def test_a_representative_reads_and_writes_while_consent_stands_and_not_after(
    app: Flask, world: World
) -> None:
    conversation_id = world.more_ids["conversation_id"]
    representative = signed_in(app, world.users["representative"])
    assert representative.get(f"/messages/{conversation_id}").status_code == 200
    sent = representative.post(f"/messages/{conversation_id}", data={"body": "I am her son"})
    assert sent.status_code == 302
    newest = conversations.latest_messages(the_conversation(world), 1)[0]
    assert newest.sender_id == world.users["representative"].id
    staff_page = signed_in(app, world.users["provider"]).get(f"/messages/{conversation_id}")
    assert "Representative Person, for Holder Person" in staff_page.get_data(as_text=True)

    accounts.revoke_consent(world.users["holder"], world.representation, "No longer needed")
    db.session.commit()

    assert representative.get(f"/messages/{conversation_id}").status_code == 404
    refused = representative.post(f"/messages/{conversation_id}", data={"body": "Still here?"})
    assert refused.status_code == 404
    assert representative.get(f"/messages/{conversation_id}/report").status_code == 404
    assert "Holder Person" not in representative.get("/messages/").get_data(as_text=True)
    assert conversations.unread_count(world.users["representative"]) == 0

    before = db.session.scalar(select(func.max(OutboundEmail.id))) or 0
    staff = signed_in(app, world.users["provider"])
    staff.post(f"/messages/{conversation_id}", data={"body": "Thanks"})
    told = db.session.scalars(
        select(OutboundEmail.to_address).where(OutboundEmail.id > before).order_by(OutboundEmail.id)
    ).all()
    assert told == ["holder@example.org"]


# Blocks.


def requested_booking(world: World) -> Booking:
    """A request from the holder to the provider, waiting for an answer."""
    booking = Booking(
        holder_id=world.users["holder"].id,
        requested_by_id=world.users["holder"].id,
        listing_id=world.listing.id,
        provider_id=world.provider.id,
        pot_id=world.more_ids["pot_id"],
        category_id=world.listing.categories[0].id,
        kind=BookingKind.ONE_OFF,
        state=BookingState.REQUESTED,
        unit_price_pence=2150,
        price_unit=world.listing.price_unit,
        rota_starts_on=TODAY + timedelta(days=1),
        rota_ends_on=TODAY + timedelta(days=1),
        expires_at=utcnow() + timedelta(days=2),
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def test_a_blocked_provider_cannot_message_offer_or_be_asked_for_a_booking_until_unblocked(
    app: Flask, world: World
) -> None:
    conversation_id = world.more_ids["conversation_id"]
    waiting = requested_booking(world)
    holder = signed_in(app, world.users["holder"])
    confirm = holder.get(f"/messages/{conversation_id}/block").get_data(as_text=True)
    assert "Block Moorside Home Care Ltd?" in confirm
    assert holder.post(f"/messages/{conversation_id}/block").status_code == 302
    assert holder.post(f"/messages/{conversation_id}/block").status_code == 302  # twice: one
    assert db.session.scalar(select(func.count(ProviderBlock.id))) == 1
    assert "You have blocked Moorside Home Care Ltd" in holder.get(
        f"/messages/{conversation_id}"
    ).get_data(as_text=True)

    staff = signed_in(app, world.users["provider"])
    page = staff.get(f"/messages/{conversation_id}").get_data(as_text=True)
    assert "chosen not to hear from you" in page and 'name="body"' not in page
    before = message_count(conversation_id)
    refused = staff.post(f"/messages/{conversation_id}", data={"body": "Please reply"})
    assert refused.status_code == 400
    assert blocks.MESSAGE_REFUSED in refused.get_data(as_text=True)
    assert message_count(conversation_id) == before

    # The request waiting for the provider's answer was withdrawn, and the provider told.
    withdrawn = db.session.get(Booking, waiting.id)
    assert withdrawn.state == BookingState.CANCELLED_BY_HOLDER
    reasons = db.session.scalars(
        select(BookingEvent.reason)
        .where(BookingEvent.booking_id == waiting.id)
        .order_by(BookingEvent.id)
    ).all()
    assert reasons[-1] == blocks.WITHDRAWN_ON_BLOCK
    assert db.session.scalar(
        select(func.count(OutboundEmail.id)).where(OutboundEmail.template == "booking_cancelled")
    ) == 1  # fmt: skip
    offer = staff.post(f"/bookings/{waiting.id}/offer", data={"price": "18.00", "note": "Less"})
    assert offer.status_code == 302
    assert "not answered" in staff.get(offer.location).get_data(as_text=True)
    assert withdrawn.offers == []

    pot = db.session.get(Pot, world.more_ids["pot_id"])
    ask = bookings.Request(
        BookingKind.ONE_OFF, day=TODAY + timedelta(days=2), start=time(9), duration_minutes=60
    )
    with pytest.raises(DomainError) as refused_request:
        bookings.request_booking(
            world.users["holder"], world.users["holder"], world.listing, pot, ask, TODAY
        )
    assert refused_request.value.message == blocks.REQUEST_REFUSED
    db.session.rollback()

    assert holder.post(f"/messages/{conversation_id}/unblock").status_code == 302
    assert db.session.scalar(select(func.count(ProviderBlock.id))) == 0
    assert staff.post(f"/messages/{conversation_id}", data={"body": "Hi"}).status_code == 302
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.action.like("provider.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["provider.blocked", "provider.unblocked"]


def offered_booking(world: World) -> Booking:
    """A request the provider answered with a new price the holder has not answered yet."""
    booking = requested_booking(world)
    db.session.add(
        Offer(booking_id=booking.id, unit_price_pence=1900, made_by_id=world.users["provider"].id)
    )
    db.session.commit()
    return booking


def a_meeting(world: World, state: MeetingState, starts_at: datetime | None = None) -> Meeting:
    """A first meeting between the world's holder and provider, in `state`."""
    first = NOW + timedelta(days=3)
    meeting = Meeting(
        holder_id=world.users["holder"].id,
        requested_by_id=world.users["holder"].id,
        listing_id=world.listing.id,
        provider_id=world.provider.id,
        way=MeetingWay.PHONE,
        minutes=15,
        state=state,
        starts_at=starts_at if state == MeetingState.AGREED else None,
        suggested_at=starts_at if state == MeetingState.SUGGESTED else None,
        times=[MeetingTime(starts_at=first)],
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def the_worlds_meeting(world: World) -> Meeting:
    found = db.session.get(Meeting, world.more_ids["meeting_id"])
    assert found is not None
    return found


def test_the_block_page_names_what_will_be_withdrawn_and_then_says_how_much_was(
    app: Flask, world: World
) -> None:
    conversation_id = world.more_ids["conversation_id"]
    waiting, offered = requested_booking(world), offered_booking(world)
    asked_for = the_worlds_meeting(world)  # waiting for the provider to choose a time
    suggested = a_meeting(world, MeetingState.SUGGESTED, NOW + timedelta(days=4, hours=2))
    agreed = a_meeting(world, MeetingState.AGREED, NOW + timedelta(days=5))
    a_meeting(world, MeetingState.AGREED, NOW - timedelta(days=1))  # over: not withdrawn
    holder = signed_in(app, world.users["holder"])

    page = holder.get(f"/messages/{conversation_id}/block").get_data(as_text=True)
    requests, offers, meetings_listed = (
        page.split('id="requests"')[1].split("</ul>")[0],
        page.split('id="offers"')[1].split("</ul>")[0],
        page.split('id="meetings"')[1].split("</ul>")[0],
    )
    assert f"{world.listing.title}: {asked(waiting).dates}" in requests
    assert asked(waiting).dates in offers and world.listing.title in offers
    assert meetings_listed.count("<li>") == 3
    assert "waiting for them to choose a time" in meetings_listed
    assert f"they suggested {meetings.when(suggested.suggested_at)}" in meetings_listed
    assert f"agreed for {meetings.when(agreed.starts_at)}" in meetings_listed
    assert "Moorside Home Care Ltd will be told that each of these was cancelled" in page
    assert "Nothing is waiting" not in page

    done = holder.post(f"/messages/{conversation_id}/block", follow_redirects=True)
    assert (
        "2 booking requests and 3 first meetings with them have been withdrawn."
        in done.get_data(as_text=True)
    )
    db.session.expire_all()
    assert waiting.state == offered.state == BookingState.CANCELLED_BY_HOLDER
    assert [o.state for o in offered.offers] == [OfferState.WITHDRAWN]
    assert asked_for.state == suggested.state == agreed.state == MeetingState.CANCELLED


def test_the_block_page_says_when_nothing_is_waiting(app: Flask, world: World) -> None:
    conversation_id = world.more_ids["conversation_id"]
    the_worlds_meeting(world).state = MeetingState.CANCELLED
    db.session.commit()
    holder = signed_in(app, world.users["holder"])
    page = holder.get(f"/messages/{conversation_id}/block").get_data(as_text=True)
    assert "Nothing is waiting between you and Moorside Home Care Ltd now" in page
    assert "What will be withdrawn" not in page
    done = holder.post(f"/messages/{conversation_id}/block", follow_redirects=True)
    assert "Nothing was waiting with them, so nothing was withdrawn." in done.get_data(as_text=True)


def test_blocking_cancels_the_holders_meetings_to_come_telling_the_provider_only_that(
    app: Flask, world: World
) -> None:
    """Each meeting is cancelled once, in the audit log, with the reason a withdrawn booking
    request shows; the provider's email is the one of any cancelled meeting. Clicking twice
    cancels nothing more; unblocking brings nothing back."""
    conversation_id = world.more_ids["conversation_id"]
    asked_for = the_worlds_meeting(world)
    agreed = a_meeting(world, MeetingState.AGREED, NOW + timedelta(days=5))
    over = a_meeting(world, MeetingState.AGREED, NOW - timedelta(hours=2))
    representative = signed_in(app, world.users["representative"])
    for _ in range(2):
        assert representative.post(f"/messages/{conversation_id}/block").status_code == 302

    db.session.expire_all()
    assert asked_for.state == agreed.state == MeetingState.CANCELLED
    assert asked_for.cancel_reason == agreed.cancel_reason == blocks.WITHDRAWN_ON_BLOCK
    assert agreed.cancelled_by_id == world.users["representative"].id
    assert over.state == MeetingState.AGREED
    told = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.template == "meeting_cancelled")
    ).all()
    assert sorted(e.to_address for e in told) == [world.users["provider"].email] * 2
    for email in told:
        assert email.subject == "A first meeting was cancelled"
        assert "block" not in email.body_text.lower() and "hear from" not in email.body_text
    cancelled = db.session.scalars(
        select(AuditEvent.subject_id).where(AuditEvent.action == "meeting.cancelled")
    ).all()
    assert sorted(cancelled) == sorted([asked_for.id, agreed.id])

    assert representative.post(f"/messages/{conversation_id}/unblock").status_code == 302
    db.session.expire_all()
    assert asked_for.state == agreed.state == MeetingState.CANCELLED


def test_after_blocking_the_listing_offers_the_holders_side_a_notice_instead_of_asking(
    app: Flask, world: World
) -> None:
    conversation_id = world.more_ids["conversation_id"]
    listing_id = world.listing.id
    holder = signed_in(app, world.users["holder"])
    representative = signed_in(app, world.users["representative"])
    before = holder.get(f"/listings/{listing_id}").get_data(as_text=True)
    assert f"/bookings/new/{listing_id}" in before and f"/meetings/new/{listing_id}" in before
    holder.post(f"/messages/{conversation_id}/block")

    for client, whom in ((holder, ""), (representative, " for Holder Person")):
        page = client.get(f"/listings/{listing_id}").get_data(as_text=True)
        assert f"You have blocked Moorside Home Care Ltd{whom}, so they cannot" in page
        assert f"/messages/{conversation_id}/unblock" in page
        assert f"Unblock Moorside Home Care Ltd{whom}" in page
        for action in (f"/bookings/new/{listing_id}", f"/meetings/new/{listing_id}"):
            assert action not in page
            assert f"/messages/ask/{listing_id}" not in page
            for sent in (client.get(action), client.post(action, data={"day_1": "1"})):
                refused = sent.get_data(as_text=True)
                assert sent.status_code == 409
                assert "You have blocked Moorside Home Care Ltd" in refused
                assert "govuk-error-summary" not in refused and "govuk-form-group" not in refused

    assert holder.post(f"/messages/{conversation_id}/unblock").status_code == 302
    after = holder.get(f"/listings/{listing_id}").get_data(as_text=True)
    assert f"/bookings/new/{listing_id}" in after and "You have blocked" not in after


def test_a_provider_blocked_while_a_request_waits_can_neither_take_it_nor_offer_on_it(
    app: Flask, world: World
) -> None:
    """Blocking withdraws the waiting requests; should one still wait (an answer and a block
    at the same moment), the provider can still not take it up."""
    waiting = requested_booking(world)
    db.session.add(
        ProviderBlock(
            holder_id=world.users["holder"].id,
            provider_id=world.provider.id,
            blocked_by_id=world.users["holder"].id,
        )
    )
    db.session.commit()
    with pytest.raises(DomainError, match="cannot take this booking"):
        bookings.accept(world.users["provider"], waiting, TODAY)
    db.session.rollback()
    with pytest.raises(DomainError, match="cannot make them an offer"):
        bookings.offer(world.users["provider"], waiting, 1800, "")
    db.session.rollback()
    assert db.session.get(Booking, waiting.id).state == BookingState.REQUESTED


def test_only_the_holders_side_may_block(app: Flask, world: World) -> None:
    conversation_id = world.more_ids["conversation_id"]
    staff = signed_in(app, world.users["provider"])
    assert staff.post(f"/messages/{conversation_id}/block").status_code == 403
    representative = signed_in(app, world.users["representative"])
    assert representative.post(f"/messages/{conversation_id}/block").status_code == 302
    assert blocks.is_blocked(world.users["holder"].id, world.provider.id)


# Reports, and who may read a conversation.


def a_second_council() -> tuple[Tenant, User]:
    tenant = Tenant(name="Rochdale Council", kind=TenantKind.COUNCIL)
    tenant.areas = [TenantArea(gss_code="E08000005", name="Rochdale")]
    db.session.add(tenant)
    db.session.flush()
    return tenant, person(Role.COMMISSIONER, "Rochdale Commissioner", tenant)


def test_a_report_lets_the_holders_commissioners_read_it_and_every_reading_is_audited(
    app: Flask, world: World
) -> None:
    owner, provider, _ = provider_with_listing("Sam Owner", "Calm Minds CIC")
    holder_user = world.users["holder"]
    conversation = conversations.start(holder_user, holder_user, provider, "Hello there")
    _, elsewhere = a_second_council()
    db.session.commit()
    commissioner = signed_in(app, world.users["commissioner"])
    admin = signed_in(app, world.users["admin"])
    other_commissioner = signed_in(app, elsewhere)
    assert commissioner.get(f"/messages/{conversation.id}").status_code == 404  # not reported
    assert admin.get(f"/messages/{conversation.id}").status_code == 404

    staff = signed_in(app, owner)
    assert staff.get(f"/messages/{conversation.id}/report").status_code == 200
    empty = staff.post(f"/messages/{conversation.id}/report", data={"reason": "  "})
    assert empty.status_code == 400 and "Tell us what worries you" in empty.get_data(as_text=True)
    before = db.session.scalar(select(func.max(OutboundEmail.id))) or 0
    reported = staff.post(
        f"/messages/{conversation.id}/report", data={"reason": "Asked us to pay in cash"}
    )
    assert reported.status_code == 302
    assert "Conversation reported" in staff.get(reported.location).get_data(as_text=True)
    [email] = db.session.scalars(select(OutboundEmail).where(OutboundEmail.id > before)).all()
    assert email.to_address == world.users["commissioner"].email
    assert "cash" not in email.body_text and "Hello there" not in email.body_text

    listed = commissioner.get("/messages/reported").get_data(as_text=True)
    assert "Holder Person and Calm Minds CIC" in listed
    assert "Asked us to pay in cash" in listed  # what worries them, without opening each one
    assert "2 reports about conversations" in commissioner.get("/commissioning/").get_data(
        as_text=True
    )
    page = commissioner.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert "Hello there" in page and "Asked us to pay in cash" in page
    assert 'name="body"' not in page  # they read; they do not write
    commissioner.get(f"/messages/{conversation.id}")
    assert admin.get(f"/messages/{conversation.id}").status_code == 200
    seen = readings(conversation.id)
    assert [(e.actor_id, e.tenant_id) for e in seen] == [
        (world.users["commissioner"].id, world.tenant.id),
        (world.users["commissioner"].id, world.tenant.id),
        (world.users["admin"].id, world.tenant.id),
    ]
    assert [e.detail["role"] for e in seen] == ["commissioner", "commissioner", "admin"]

    assert other_commissioner.get(f"/messages/{conversation.id}").status_code == 404
    assert "Calm Minds" not in other_commissioner.get("/messages/reported").get_data(as_text=True)
    assert commissioner.post(f"/messages/{conversation.id}", data={"body": "x"}).status_code == 403
    assert len(readings(conversation.id)) == 3  # a refused visit reads nothing


def test_a_party_reading_their_own_conversation_is_not_an_oversight_reading(
    app: Flask, world: World
) -> None:
    conversation_id = world.more_ids["conversation_id"]
    before = len(readings(conversation_id))
    signed_in(app, world.users["holder"]).get(f"/messages/{conversation_id}")
    assert len(readings(conversation_id)) == before


def test_another_holder_another_provider_and_another_councils_commissioner_get_404(
    app: Flask, world: World
) -> None:
    conversation_id = world.more_ids["conversation_id"]  # reported to the world's council
    other_holder = person(Role.HOLDER, "Other Holder", world.tenant)
    other_owner, _, _ = provider_with_listing("Other Owner", "Elsewhere Care Ltd")
    _, elsewhere = a_second_council()
    db.session.commit()
    strangers = [signed_in(app, u) for u in (other_holder, other_owner, elsewhere)]
    for stranger in strangers:
        assert stranger.get(f"/messages/{conversation_id}").status_code == 404
        assert stranger.get("/messages/reported").status_code in (403, 200)
    for stranger in strangers[:2]:  # those who may write somewhere
        assert stranger.post(f"/messages/{conversation_id}", data={"body": "hi"}).status_code == 404
        assert stranger.get(f"/messages/{conversation_id}/report").status_code == 404
        reported = stranger.post(f"/messages/{conversation_id}/report", data={"reason": "x"})
        assert reported.status_code == 404
        assert "Moorside" not in stranger.get("/messages/").get_data(as_text=True)
        assert "Holder Person" not in stranger.get("/messages/").get_data(as_text=True)
    assert strangers[0].get(f"/messages/{conversation_id}/block").status_code == 404
    assert strangers[0].post(f"/messages/{conversation_id}/block").status_code == 404
    assert not blocks.is_blocked(world.users["holder"].id, world.provider.id)
    assert (
        strangers[1].get(f"/messages/about-booking/{world.more_ids['booking_id']}").status_code
        == 404
    )
    assert message_count(conversation_id) == 2  # nothing the strangers sent was kept


def test_a_provider_writes_first_only_about_a_booking_between_them(
    app: Flask, world: World
) -> None:
    owner, provider, _ = provider_with_listing("Sam Owner", "Calm Minds CIC")
    holder = world.users["holder"]
    with pytest.raises(Exception, match="cannot start this conversation"):
        conversations.start(owner, holder, provider, "Hello, want some therapy?")
    db.session.rollback()
    assert conversations.between(holder, provider) is None


def test_a_representative_for_two_people_says_whom_a_question_is_about(
    app: Flask, world: World
) -> None:
    _, provider, listing = provider_with_listing("Sam Owner", "Calm Minds CIC")
    second = person(Role.HOLDER, "Second Holder", world.tenant)
    db.session.add(
        Representation(
            holder_id=second.id,
            representative_id=world.users["representative"].id,
            relationship_to_holder="Neighbour",
            consent_method=ConsentMethod.HOLDER_ONLINE,
            consent_recorded_by_id=second.id,
        )
    )
    db.session.commit()
    representative = signed_in(app, world.users["representative"])
    form = representative.get(f"/messages/ask/{listing.id}").get_data(as_text=True)
    assert "Who is this about?" in form and "Second Holder" in form

    unsaid = representative.post(f"/messages/ask/{listing.id}", data={"body": "Evenings?"})
    assert unsaid.status_code == 400
    assert "Choose who you are asking for" in unsaid.get_data(as_text=True)
    sent = representative.post(
        f"/messages/ask/{listing.id}", data={"body": "Evenings?", "holder": str(second.id)}
    )
    assert sent.status_code == 302
    assert conversations.between(second, provider) is not None
    assert conversations.between(world.users["holder"], provider) is None
