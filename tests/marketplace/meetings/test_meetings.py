"""First meetings: asked for at up to three times, answered, agreed, cancelled, never booked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from marketplace.accounts import services as accounts
from marketplace.accounts.models import ConsentMethod, Representation, Role
from marketplace.audit import AuditEvent
from marketplace.bookings import calendar, integrity
from marketplace.bookings.models import Booking
from marketplace.clock import LONDON
from marketplace.commissioning.market import export
from marketplace.commissioning.market.periods import Period
from marketplace.conversations import blocks
from marketplace.conversations import services as conversations
from marketplace.conversations.models import ProviderBlock
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from marketplace.meetings import services
from marketplace.meetings.models import Meeting, MeetingState, MeetingTime, MeetingWay
from marketplace.payments import ledger
from tests.conftest import PASSWORD
from tests.frozen import NOW, TODAY
from tests.threads import run_together

TOMORROW = TODAY + timedelta(days=1)


def at(day, hour, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def ask(*times, way=MeetingWay.PHONE, minutes=15) -> services.Ask:
    return services.Ask(way, minutes, tuple(times or (at(TOMORROW, 10), at(TOMORROW, 14))))


def asked(w, *times, **kwargs) -> Meeting:
    meeting = services.request_meeting(w.holder, w.holder, w.listing, ask(*times, **kwargs))
    db.session.commit()
    return meeting


def emails(template: str) -> list[OutboundEmail]:
    return db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.template == template).order_by(OutboundEmail.id)
    ).all()


def signed_in(app, user):
    client = app.test_client()
    answer = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def test_the_provider_picks_one_of_the_times_offered_and_both_sides_are_told(world):
    w = world
    meeting = asked(w)
    assert meeting.state == MeetingState.REQUESTED and len(meeting.times) == 2
    assert [e.to_address for e in emails("meeting_requested")] == [w.provider_user.email]

    services.choose_time(w.provider_user, meeting, meeting.times[1].id)
    db.session.commit()
    assert meeting.state == MeetingState.AGREED
    assert meeting.starts_at == at(TOMORROW, 14)
    assert meeting.ends_at == at(TOMORROW, 14, 15)
    assert [e.to_address for e in emails("meeting_agreed")] == [w.holder.email]
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["meeting.requested", "meeting.agreed"]


def test_choosing_the_same_time_twice_agrees_once_and_tells_once(world):
    w = world
    meeting = asked(w)
    for _ in range(2):
        services.choose_time(w.provider_user, meeting, meeting.times[0].id)
        db.session.commit()
    assert len(emails("meeting_agreed")) == 1
    with pytest.raises(DomainError, match="has changed"):
        services.choose_time(w.provider_user, meeting, meeting.times[1].id)


def test_a_suggested_time_is_accepted_or_declined_by_the_holder(world):
    w = world
    first, second = asked(w), asked(w)
    for meeting in (first, second):
        services.suggest_time(w.provider_user, meeting, at(TOMORROW, 16, 30))
    db.session.commit()
    assert first.state == MeetingState.SUGGESTED and len(emails("meeting_suggested")) == 2

    services.answer_suggestion(w.holder, first, accept=True)
    services.answer_suggestion(w.holder, second, accept=False)
    db.session.commit()
    assert first.state == MeetingState.AGREED and first.starts_at == at(TOMORROW, 16, 30)
    assert second.state == MeetingState.DECLINED and second.starts_at is None
    with pytest.raises(NotAllowed):
        services.answer_suggestion(w.provider_user, first, accept=True)


@pytest.mark.parametrize(
    ("times", "message"),
    [
        ((NOW - timedelta(minutes=1),), "in the future"),
        ((NOW + timedelta(days=91),), "within the next 90 days"),
        (
            (at(TOMORROW, 10), at(TOMORROW, 10)),
            "Second time: choose a different time from the first",
        ),
        (tuple(at(TOMORROW, h) for h in (9, 10, 11, 12)), "between one and three"),
    ],
)
def test_the_times_offered_are_checked(world, times, message):
    with pytest.raises(DomainError, match=message):
        services.request_meeting(world.holder, world.holder, world.listing, ask(*times))
    assert db.session.query(Meeting).count() == 0


def test_a_meeting_is_15_or_30_minutes(world):
    with pytest.raises(DomainError, match="15 or 30"):
        services.request_meeting(world.holder, world.holder, world.listing, ask(minutes=60))


def test_a_representative_asks_only_while_consent_stands(world, make_user):
    w = world
    rep = make_user(Role.REPRESENTATIVE, tenant=w.holder.tenant)
    consent = Representation(
        holder_id=w.holder.id,
        representative_id=rep.id,
        relationship_to_holder="Son",
        consent_method=ConsentMethod.HOLDER_ONLINE,
        consent_recorded_by_id=w.holder.id,
    )
    db.session.add(consent)
    db.session.commit()
    meeting = services.request_meeting(rep, w.holder, w.listing, ask())
    assert meeting.holder_id == w.holder.id and meeting.requested_by_id == rep.id

    accounts.revoke_consent(w.holder, consent, "")
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.request_meeting(rep, w.holder, w.listing, ask())
    with pytest.raises(NotFound):
        services.side_of(rep, meeting)


def test_either_side_cancels_once_and_the_other_is_told(world, make_user):
    w = world
    by_holder, by_provider = asked(w), asked(w)
    for _ in range(2):
        services.cancel(w.holder, by_holder, "Found someone")
        services.cancel(w.provider_user, by_provider, "")
    db.session.commit()
    assert by_holder.state == by_provider.state == MeetingState.CANCELLED
    told = sorted(e.to_address for e in emails("meeting_cancelled"))
    assert told == sorted([w.provider_user.email, w.holder.email])
    stranger = make_user(Role.HOLDER)
    with pytest.raises(NotFound):
        services.cancel(stranger, asked(w), "")


def test_an_agreed_meeting_is_in_both_calendars_and_the_feed_and_a_request_is_not(world):
    w = world
    agreed, waiting = asked(w), asked(w)
    services.choose_time(w.provider_user, agreed, agreed.times[0].id)
    db.session.commit()
    monday = TOMORROW - timedelta(days=TOMORROW.weekday())
    for person in (w.holder, w.provider_user):
        week = calendar.meetings_week(person, monday)
        assert [m.id for m in week[TOMORROW]] == [agreed.id]
        feed = calendar.ical(person, "care.example", NOW)
        assert f"UID:meeting-{agreed.id}@care.example" in feed
        assert f"meeting-{waiting.id}@" not in feed
        assert f"DTSTART:{at(TOMORROW, 10).astimezone(UTC):%Y%m%dT%H%M%SZ}" in feed
        assert "SUMMARY:First meeting: " in feed


def test_a_meeting_never_counts_as_a_booking(world):
    w = world
    period = Period(TODAY - timedelta(days=28), TODAY + timedelta(days=28))
    report_before = {n: t.csv_text() for n, t in export.report(w.holder.tenant, period).items()}
    agreed, suggested = asked(w), asked(w)
    services.choose_time(w.provider_user, agreed, agreed.times[0].id)
    services.suggest_time(w.provider_user, suggested, at(TOMORROW, 17))
    services.cancel(w.holder, asked(w), "")
    db.session.commit()

    assert db.session.query(Booking).count() == 0
    report_after = {n: t.csv_text() for n, t in export.report(w.holder.tenant, period).items()}
    assert report_after == report_before
    assert integrity.problems() == [] and ledger.verify() == []


# Pages.


def meeting_form(**changes):
    fields = {
        "way": "video",
        "minutes": "30",
        "day_1": [str(TOMORROW.day), str(TOMORROW.month), str(TOMORROW.year)],
        "start_1": "10:30am",
    }
    return {**fields, **changes}


def test_the_request_form_says_what_is_wrong(app, world):
    client = signed_in(app, world.holder)
    page = client.post(
        f"/meetings/new/{world.listing.id}",
        data=meeting_form(way="", start_1="25:00", day_2=["1", "1", "2020"]),
    )
    assert page.status_code == 400
    for message in (
        "Choose how you would like to meet",
        "Enter a time like 9:30am or 17:00",
        "Enter a start time for this date",
    ):
        assert message in page.text
    assert "govuk-error-summary" in page.text
    assert db.session.query(Meeting).count() == 0


def boxes(day):
    return [str(day.day), str(day.month), str(day.year)]


def error_on(page_text, field_id):
    """The message GOV.UK shows under a field, or None."""
    found = re.search(
        rf'id="{field_id}-error" class="govuk-error-message">\s*'
        r'<span class="govuk-visually-hidden">Error:</span>\s*([^<]+?)\s*</p>',
        page_text,
    )
    return found.group(1) if found else None


YESTERDAY, TOO_FAR = TODAY - timedelta(days=1), TODAY + timedelta(days=91)


@pytest.mark.parametrize(
    ("changes", "message", "field_id"),
    [
        (
            {"day_2": boxes(YESTERDAY), "start_2": "2pm"},
            "Second time: choose a time in the future",
            "day_2",
        ),
        (
            {"day_2": boxes(TOMORROW), "start_2": "2pm", "day_3": boxes(TOO_FAR), "start_3": "9"},
            "Third time: choose a time within the next 90 days",
            "day_3",
        ),
        (
            {
                "day_2": boxes(TOMORROW),
                "start_2": "2pm",
                "day_3": boxes(TOMORROW),
                "start_3": "2pm",
            },
            "Third time: choose a different time from the second",
            "day_3",
        ),
        (
            {"day_1": boxes(YESTERDAY), "day_2": boxes(YESTERDAY), "start_2": "2pm"},
            "First time: choose a time in the future",
            "day_1",
        ),
    ],
)
def test_a_refused_time_is_shown_on_that_time_s_date_and_the_summary_goes_to_its_day_box(
    app, world, changes, message, field_id
):
    page = signed_in(app, world.holder).post(
        f"/meetings/new/{world.listing.id}", data=meeting_form(**changes)
    )
    assert page.status_code == 400
    assert f'<a href="#{field_id}-day">{message}</a>' in page.text
    assert error_on(page.text, field_id) == message
    assert error_on(page.text, "way") is None
    assert db.session.query(Meeting).count() == 0


def test_a_third_time_offered_with_no_second_is_shown_and_named_as_the_second(app, world):
    page = signed_in(app, world.holder).post(
        f"/meetings/new/{world.listing.id}",
        data=meeting_form(day_3=boxes(YESTERDAY), start_3="2pm"),
    )
    assert page.status_code == 400
    assert error_on(page.text, "day_2") == "Second time: choose a time in the future"
    assert f'id="day_2-day" name="day_2" type="text" value="{YESTERDAY.day}"' in page.text
    assert 'id="start_2" name="start_2" type="text" value="2pm"' in page.text
    assert 'id="day_3-day" name="day_3" type="text" value=""' in page.text


def test_a_suggested_time_in_the_past_is_shown_on_its_date(app, world):
    meeting = asked(world)
    page = signed_in(app, world.provider_user).post(
        f"/meetings/{meeting.id}/suggest", data={"day": boxes(YESTERDAY), "start": "2pm"}
    )
    assert page.status_code == 400
    assert '<a href="#day-day">Choose a time in the future</a>' in page.text
    assert error_on(page.text, "day") == "Choose a time in the future"


def test_choosing_a_time_that_has_passed_is_shown_on_the_times(app, world):
    meeting = asked(world, at(TOMORROW, 10), NOW + timedelta(minutes=5))
    db.session.execute(
        MeetingTime.__table__.update()
        .where(MeetingTime.id == meeting.times[0].id)
        .values(starts_at=NOW - timedelta(hours=1))
    )
    db.session.commit()
    page = signed_in(app, world.provider_user).post(
        f"/meetings/{meeting.id}/choose", data={"time": meeting.times[0].id}
    )
    assert page.status_code == 400
    assert '<a href="#time">Choose a time in the future</a>' in page.text
    assert error_on(page.text, "time") == "Choose a time in the future"


def test_a_holder_asks_from_the_listing_and_books_in_one_step_after_the_meeting(app, world):
    w = world
    listing_page = signed_in(app, w.holder).get(f"/listings/{w.listing.id}")
    assert f"/meetings/new/{w.listing.id}" in listing_page.text
    client = signed_in(app, w.holder)
    sent = client.post(f"/meetings/new/{w.listing.id}", data=meeting_form())
    assert sent.status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.way == MeetingWay.VIDEO and meeting.minutes == 30
    assert meeting.times[0].starts_at == at(TOMORROW, 10, 30)

    provider = signed_in(app, w.provider_user)
    chosen = provider.post(f"/meetings/{meeting.id}/choose", data={"time": meeting.times[0].id})
    assert chosen.status_code == 302
    db.session.expire_all()
    assert meeting.state == MeetingState.AGREED

    page = client.get(f"/meetings/{meeting.id}")
    book = f"/bookings/new/{w.listing.id}?meeting={meeting.id}"
    assert f"Book {w.listing.title}" in page.text and book in page.text
    form = client.get(book)
    assert form.status_code == 200
    assert "Following our first meeting on" in form.text
    assert f'value="{w.pot.id}" checked' in form.text


def tag_on(page_text):
    """The meeting's state, shown as a tag under its heading (the first tag is the phase's)."""
    tags = re.findall(r'<strong class="govuk-tag[^"]*">\s*([^<]+?)\s*</strong>', page_text)
    return tags[1]


def test_each_side_reads_the_meeting_s_state_in_its_own_words(app, world):
    w = world
    meeting = asked(w)
    holder, provider = signed_in(app, w.holder), signed_in(app, w.provider_user)
    for side, client, wording in (
        ("holder", holder, "Waiting for the provider to choose a time"),
        ("provider", provider, "Choose a time"),
    ):
        assert tag_on(client.get(f"/meetings/{meeting.id}").text) == wording, side
        assert f'<td class="govuk-table__cell">{wording}</td>' in client.get("/meetings/").text
    assert "Waiting for the provider" not in provider.get("/meetings/").text

    services.suggest_time(w.provider_user, meeting, at(TOMORROW, 17))
    db.session.commit()
    assert tag_on(holder.get(f"/meetings/{meeting.id}").text) == (
        "The provider suggested another time"
    )
    assert tag_on(provider.get(f"/meetings/{meeting.id}").text) == (
        "Waiting for them to answer your suggestion"
    )


@pytest.mark.parametrize("close", ["cancel", "decline"])
def test_a_closed_meeting_cannot_be_cancelled_again_and_nobody_is_told(app, world, close):
    w = world
    meeting = asked(w)
    if close == "cancel":
        services.cancel(w.provider_user, meeting, "Not taking new people")
        said = "This meeting is already cancelled."
    else:
        services.suggest_time(w.provider_user, meeting, at(TOMORROW, 17))
        services.answer_suggestion(w.holder, meeting, accept=False)
        said = "This meeting has already closed, so there is nothing to cancel."
    db.session.commit()
    told_before = db.session.query(OutboundEmail).count()
    client = signed_in(app, w.holder)
    for method in ("GET", "POST"):
        answer = client.open(
            f"/meetings/{meeting.id}/cancel", method=method, data={"reason": "Changed my mind"}
        )
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/meetings/{meeting.id}"
        page = client.get(answer.headers["Location"]).text
        assert said in page
        assert "Success" not in page and "has been told" not in page
    db.session.expire_all()
    assert meeting.cancel_reason != "Changed my mind"
    assert db.session.query(OutboundEmail).count() == told_before


def test_request_sent_is_said_once_not_on_every_reload(app, world):
    client = signed_in(app, world.holder)
    sent = client.post(f"/meetings/new/{world.listing.id}", data=meeting_form())
    assert sent.status_code == 302 and "sent=" not in sent.headers["Location"]
    assert "Request sent" in client.get(sent.headers["Location"]).text
    assert "Request sent" not in client.get(sent.headers["Location"]).text
    assert "Request sent" not in client.get(sent.headers["Location"] + "?sent=yes").text


def test_people_outside_the_meeting_cannot_open_it(app, world, make_user):
    meeting = asked(world)
    stranger = signed_in(app, make_user(Role.HOLDER))
    assert stranger.get(f"/meetings/{meeting.id}").status_code == 404
    other_provider = signed_in(app, make_user(Role.PROVIDER))
    assert other_provider.post(f"/meetings/{meeting.id}/cancel", data={}).status_code == 404


def test_each_home_lists_the_meetings_waiting_for_that_person(app, world):
    w = world
    meeting = asked(w)
    provider_home = signed_in(app, w.provider_user).get("/provider/")
    assert "First meetings to answer" in provider_home.text
    assert f"/meetings/{meeting.id}" in provider_home.text
    holder = signed_in(app, w.holder)
    assert "First meeting times to answer" not in holder.get("/bookings/dashboard").text

    services.suggest_time(w.provider_user, meeting, at(TOMORROW, 16))
    db.session.commit()
    home = holder.get("/bookings/dashboard").text
    assert "First meeting times to answer" in home and "suggests" in home
    assert "First meetings to answer" not in signed_in(app, w.provider_user).get("/provider/").text


def test_an_agreed_meeting_keeps_a_provider_working_alone_busy_then(world):
    from marketplace.bookings import services as bookings
    from marketplace.bookings.models import BookingKind
    from marketplace.bookings.week import OutsideTheWeek

    w = world
    agreed, cancelled = asked(w), asked(w, at(TOMORROW, 18))
    services.choose_time(w.provider_user, agreed, agreed.times[0].id)  # 10am, 15 minutes
    services.choose_time(w.provider_user, cancelled, cancelled.times[0].id)
    services.cancel(w.holder, cancelled, "")
    db.session.commit()
    morning = bookings.Request(
        BookingKind.ONE_OFF, day=TOMORROW, start=time(9), duration_minutes=180
    )
    with pytest.raises(OutsideTheWeek, match="already booked from 10am to 10:15am"):
        bookings.request_booking(w.holder, w.holder, w.listing, w.pot, morning, TODAY)
    evening = bookings.Request(
        BookingKind.ONE_OFF, day=TOMORROW, start=time(17), duration_minutes=120
    )
    assert bookings.request_booking(w.holder, w.holder, w.listing, w.pot, evening, TODAY)


def test_a_meeting_whose_times_all_pass_unanswered_lapses_and_both_sides_are_told(world):
    w = world
    waiting = asked(w, at(TOMORROW, 10), at(TOMORROW, 14))
    answered = asked(w, at(TOMORROW, 9))
    services.choose_time(w.provider_user, answered, answered.times[0].id)
    suggested = asked(w, at(TOMORROW, 11))
    services.suggest_time(w.provider_user, suggested, at(TOMORROW, 16))
    db.session.commit()

    between = at(TOMORROW, 12).astimezone(UTC)  # one of the first's times is still ahead
    assert services.expire_due(between) == []
    after = at(TOMORROW, 16, 1).astimezone(UTC)
    assert {m.id for m in services.expire_due(after)} == {waiting.id, suggested.id}
    db.session.commit()
    assert services.expire_due(after) == []  # a second run lapses nothing again
    assert (waiting.state, suggested.state) == (MeetingState.EXPIRED, MeetingState.EXPIRED)
    assert answered.state == MeetingState.AGREED
    told = sorted(e.to_address for e in emails("meeting_expired"))
    assert told == sorted([w.holder.email, w.provider_user.email] * 2)
    assert all(w.holder.full_name not in e.subject for e in emails("meeting_expired"))
    assert waiting not in services.waiting_for(w.holder)
    assert waiting not in services.waiting_for(w.provider_user)
    with pytest.raises(DomainError, match="has changed"):
        services.choose_time(w.provider_user, waiting, waiting.times[1].id, now=between)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "meeting.expired")
    ).all()
    assert len(actions) == 2


def test_the_worker_job_lapses_meetings_hourly(world):
    from marketplace.worker.jobs import JOBS
    from marketplace.worker.schedule import DEFAULT_SCHEDULE

    assert DEFAULT_SCHEDULE["meetings-expire"].every_minutes == 60
    assert JOBS["meetings-expire"].run() == "0 meeting request(s) lapsed."


def test_a_lapsed_meeting_page_says_so_and_offers_to_ask_again(app, world):
    w = world
    meeting = asked(w, at(TOMORROW, 10))
    services.expire_due(at(TOMORROW, 11).astimezone(UTC))
    db.session.commit()
    page = signed_in(app, w.holder).get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Lapsed: no time was agreed" in page
    assert f"/meetings/new/{w.listing.id}" in page and "Cancel this meeting" not in page
    staff = signed_in(app, w.provider_user).get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "this request has closed" in staff and "Agree this time" not in staff


def test_a_provider_working_alone_cannot_meet_while_a_session_is_booked(world):
    from marketplace.bookings import services as bookings
    from marketplace.bookings.models import BookingKind

    w = world
    session = bookings.Request(
        BookingKind.ONE_OFF, day=TOMORROW, start=time(10), duration_minutes=60
    )
    booking = bookings.request_booking(w.holder, w.holder, w.listing, w.pot, session, TODAY)
    bookings.accept(w.provider_user, booking, TODAY)
    db.session.commit()

    meeting = asked(w, at(TOMORROW, 10, 30))
    with pytest.raises(DomainError, match="choose another time, or suggest one"):
        services.choose_time(w.provider_user, meeting, meeting.times[0].id)
    db.session.rollback()
    with pytest.raises(DomainError, match="suggest another time"):
        services.suggest_time(w.provider_user, meeting, at(TOMORROW, 10, 45))
    db.session.rollback()
    services.suggest_time(w.provider_user, meeting, at(TOMORROW, 11))  # just after the session
    db.session.commit()

    # Booked over the suggested time before the holder answers: the holder is told plainly.
    later = bookings.Request(BookingKind.ONE_OFF, day=TOMORROW, start=time(11), duration_minutes=60)
    other = bookings.request_booking(w.holder, w.holder, w.listing, w.pot, later, TODAY)
    bookings.accept(w.provider_user, other, TODAY)
    db.session.commit()
    with pytest.raises(DomainError, match="no longer free"):
        services.answer_suggestion(w.holder, meeting, accept=True)
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).state == MeetingState.SUGGESTED


# Blocks: the holder's side has chosen not to hear from the provider.


def the_block_landed(w) -> None:
    """The holder's block, as an answer made at the same moment sees it: the block is there,
    the meeting still open (blocking itself would have cancelled it)."""
    db.session.add(
        ProviderBlock(holder_id=w.holder.id, provider_id=w.provider.id, blocked_by_id=w.holder.id)
    )
    db.session.commit()


def conversation_of(w):
    found = conversations.start(w.holder, w.holder, w.provider, "Hello")
    db.session.commit()
    return found


def test_a_provider_blocked_while_a_meeting_waits_can_neither_choose_nor_suggest_a_time(app, world):
    w = world
    meeting = asked(w)
    the_block_landed(w)
    sent_before = db.session.query(OutboundEmail).count()
    with pytest.raises(DomainError) as refused:
        services.choose_time(w.provider_user, meeting, meeting.times[0].id)
    assert refused.value.message == blocks.MEETING_ANSWER_REFUSED
    db.session.rollback()
    with pytest.raises(DomainError, match="chosen not to hear from you"):
        services.suggest_time(w.provider_user, meeting, at(TOMORROW, 16))
    db.session.rollback()
    provider = signed_in(app, w.provider_user)
    page = provider.post(f"/meetings/{meeting.id}/choose", data={"time": meeting.times[0].id})
    assert page.status_code == 400 and blocks.MEETING_ANSWER_REFUSED in page.text
    db.session.expire_all()
    assert meeting.state == MeetingState.REQUESTED and meeting.starts_at is None
    assert db.session.query(OutboundEmail).count() == sent_before  # nobody was told anything


def test_a_holder_who_blocked_the_provider_cannot_ask_it_for_a_meeting_or_take_its_time(world):
    w = world
    meeting = asked(w)
    services.suggest_time(w.provider_user, meeting, at(TOMORROW, 16))
    db.session.commit()
    the_block_landed(w)
    with pytest.raises(DomainError) as refused:
        services.request_meeting(w.holder, w.holder, w.listing, ask())
    assert refused.value.message == blocks.MEETING_REFUSED and refused.value.field is None
    db.session.rollback()
    assert len(emails("meeting_requested")) == 1 and db.session.query(Meeting).count() == 1
    with pytest.raises(DomainError, match="You have blocked this provider"):
        services.answer_suggestion(w.holder, meeting, accept=True)
    db.session.rollback()
    services.answer_suggestion(w.holder, meeting, accept=False)  # saying no is still possible
    db.session.commit()
    assert meeting.state == MeetingState.DECLINED


def test_a_meeting_agreed_a_moment_before_the_block_is_cancelled_by_it_and_stays_so(world):
    w = world
    conversation = conversation_of(w)
    meeting = asked(w)
    services.choose_time(w.provider_user, meeting, meeting.times[0].id)  # the answer first
    withdrawn = conversations.block(w.holder, conversation)
    db.session.commit()
    assert withdrawn == conversations.Withdrawn(bookings=0, meetings=1)
    assert meeting.state == MeetingState.CANCELLED
    assert [e.to_address for e in emails("meeting_cancelled")] == [w.provider_user.email]

    assert conversations.block(w.holder, conversation) is None  # a second click
    assert conversations.unblock(w.holder, conversation)
    db.session.commit()
    assert meeting.state == MeetingState.CANCELLED
    with pytest.raises(DomainError, match="has changed"):
        services.choose_time(w.provider_user, meeting, meeting.times[0].id)
    assert len(emails("meeting_cancelled")) == 1


def block_and_choose_at_once(app, holder_id, provider_user_id, conversation_id, meeting):
    """The holder's block and the provider's choice of the first time, in two threads at once."""
    import threading

    from marketplace.accounts.models import User
    from marketplace.conversations.models import Conversation

    meeting_id, time_id = meeting.id, meeting.times[0].id
    start = threading.Barrier(2)

    def act(which: str) -> None:
        start.wait(timeout=30)
        with app.app_context():
            try:
                if which == "block":
                    conversations.block(
                        db.session.get(User, holder_id),
                        db.session.get(Conversation, conversation_id),
                    )
                else:
                    services.choose_time(
                        db.session.get(User, provider_user_id),
                        db.session.get(Meeting, meeting_id),
                        time_id,
                    )
                db.session.commit()
            except DomainError:
                db.session.rollback()
            finally:
                db.session.remove()

    run_together(act, ["block", "choose"])


@pytest.mark.skipif(
    not __import__("os").environ.get("TEST_DATABASE_URL"),
    reason="row locks need PostgreSQL (runs in make test)",
)
def test_a_block_and_the_providers_answer_at_the_same_moment_leave_no_meeting_agreed(world, app):
    """Whichever lands first, the meeting ends cancelled: an answer made first is cancelled by
    the block, an answer made second is refused."""
    w = world
    conversation = conversation_of(w)
    ids = (w.holder.id, w.provider_user.id, conversation.id)
    for _ in range(5):
        meeting = asked(w)
        block_and_choose_at_once(app, *ids, meeting)
        db.session.expire_all()
        assert db.session.get(Meeting, meeting.id).state == MeetingState.CANCELLED
        assert blocks.is_blocked(w.holder.id, w.provider.id)
        conversations.unblock(w.holder, conversation)
        db.session.commit()
