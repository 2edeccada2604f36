"""First meetings: asked for, answered, agreed or cancelled. No money moves.

Services check who may act on the meeting, flush and never commit. A move takes the meeting's row
lock and then checks its state: a second click finds the move made and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.accounts.services import holders_represented_by, may_act_for
from marketplace.clock import LONDON
from marketplace.conversations import blocks
from marketplace.directory.models import Listing, ProviderMember
from marketplace.directory.services import clock, is_provider_staff, listing_is_bookable
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.meetings import notifications as notify
from marketplace.meetings.models import Meeting, MeetingState, MeetingTime, MeetingWay
from marketplace.models_base import utcnow
from marketplace.transactions import atomic, locked

MINUTES_OFFERED = (15, 30)
MOST_TIMES = 3
FURTHEST_AHEAD = timedelta(days=90)
HOLDER = "holder"
PROVIDER = "provider"
OPEN = (MeetingState.REQUESTED, MeetingState.SUGGESTED, MeetingState.AGREED)
BUSY_CHOOSING = "You have a session or another meeting then: choose another time, or suggest one"
BUSY_SUGGESTING = "You have a session or another meeting then: suggest another time"
ORDINALS = ("First", "Second", "Third")
BUSY_NOW = "The provider is no longer free at that time: decline it and ask for another meeting"


@dataclass(frozen=True)
class Ask:
    """What the holder's side asks for: how, how long, the times offered and a note."""

    way: MeetingWay
    minutes: int
    times: tuple[datetime, ...]
    note: str = ""


def side_of(user: User, meeting: Meeting) -> str:
    """'holder' or 'provider'. Raises NotFound for anyone else, who learns nothing of it."""
    if may_act_for(user, meeting.holder):
        return HOLDER
    if is_provider_staff(user, meeting.provider):
        return PROVIDER
    raise NotFound("This meeting is not one you can see")


def _require(user: User, meeting: Meeting, side: str) -> None:
    if side_of(user, meeting) != side:
        raise NotAllowed("You cannot make this change to this meeting")


def check_time(starts_at: datetime, now: datetime, field: str = "times", which: str = "") -> None:
    """Raises DomainError unless the time is in the future and within 90 days. `which` names
    the time in the message ("Second time"), when there are several."""
    refusal = None
    if starts_at <= now:
        refusal = "Choose a time in the future"
    elif starts_at > now + FURTHEST_AHEAD:
        refusal = "Choose a time within the next 90 days"
    if refusal and which:
        raise DomainError(f"{which}: {refusal[0].lower()}{refusal[1:]}", field=field)
    if refusal:
        raise DomainError(refusal, field=field)


def _check_ask(ask: Ask, now: datetime) -> None:
    """The times are named by their place in `ask.times` (field "times.0" is the first)."""
    if ask.minutes not in MINUTES_OFFERED:
        raise DomainError("Choose 15 or 30 minutes", field="minutes")
    if not 1 <= len(ask.times) <= MOST_TIMES:
        raise DomainError("Offer between one and three times", field="times")
    for n, starts_at in enumerate(ask.times):
        if starts_at in ask.times[:n]:
            same_as = ORDINALS[ask.times.index(starts_at)].lower()
            message = f"{ORDINALS[n]} time: choose a different time from the {same_as}"
            raise DomainError(message, field=f"times.{n}")
    for n, starts_at in enumerate(ask.times):
        check_time(starts_at, now, field=f"times.{n}", which=f"{ORDINALS[n]} time")


@atomic
def request_meeting(
    actor: User, holder: User, listing: Listing, ask: Ask, now: datetime | None = None
) -> Meeting:
    """The holder (or a representative while consent stands) asks the listing's provider for a
    free first meeting at one of the times offered. Raises NotAllowed, NotFound or DomainError
    (the holder has blocked the provider, or the times are wrong)."""
    if not may_act_for(actor, holder):
        raise NotAllowed("You cannot ask for a meeting for this person")
    if not listing_is_bookable(listing):
        raise NotFound("This listing is not open for requests")
    blocks.refuse_if_blocked(holder.id, listing.provider_id, blocks.MEETING_REFUSED)
    _check_ask(ask, now or utcnow())
    meeting = Meeting(
        holder_id=holder.id,
        requested_by_id=actor.id,
        listing_id=listing.id,
        provider_id=listing.provider_id,
        way=ask.way,
        minutes=ask.minutes,
        note=ask.note.strip(),
        times=[MeetingTime(starts_at=t) for t in sorted(ask.times)],
    )
    db.session.add(meeting)
    db.session.flush()
    audit.note("meeting.requested", meeting, actor, tenant_id=holder.tenant_id)
    notify.requested(meeting)
    return meeting


def _free(meeting: Meeting, starts_at: datetime, message: str, field: str = "times") -> None:
    """Raises DomainError with `message` when the provider works alone and has a session or
    another meeting at that time."""
    from marketplace.bookings.week import busy_alone

    ends_at = starts_at + timedelta(minutes=meeting.minutes)
    if busy_alone(meeting.provider_id, starts_at, ends_at):
        raise DomainError(message, field=field)


def _fresh(meeting: Meeting) -> Meeting:
    found = locked(Meeting, meeting.id)
    if found is None:
        raise NotFound("This meeting is not one you can see")
    return found


def _refuse_if_blocked(meeting: Meeting, message: str) -> None:
    """Asked under the meeting's lock: a block landing at the same moment either is seen here,
    or cancels the meeting once this answer is made (blocking takes the same lock)."""
    blocks.refuse_if_blocked(meeting.holder_id, meeting.provider_id, message)


def _wrong_state(meeting: Meeting) -> DomainError:
    return DomainError(f"This meeting has changed: {meeting.state.label.lower()}")


@atomic
def choose_time(
    actor: User, meeting: Meeting, time_id: int, now: datetime | None = None
) -> Meeting:
    """The provider picks one of the times offered (by its id); the meeting is agreed. Raises
    DomainError when the holder has blocked the provider, or the meeting has moved on."""
    _require(actor, meeting, PROVIDER)
    meeting = _fresh(meeting)
    _refuse_if_blocked(meeting, blocks.MEETING_ANSWER_REFUSED)
    chosen = next((t for t in meeting.times if t.id == time_id), None)
    if chosen is None:
        raise DomainError("Choose one of the times offered", field="time")
    if meeting.state == MeetingState.AGREED and meeting.starts_at == chosen.starts_at:
        return meeting  # sent twice
    if meeting.state != MeetingState.REQUESTED:
        raise _wrong_state(meeting)
    check_time(chosen.starts_at, now or utcnow(), field="time")
    _free(meeting, chosen.starts_at, BUSY_CHOOSING, field="time")
    meeting.state, meeting.starts_at = MeetingState.AGREED, chosen.starts_at
    _moved("meeting.agreed", meeting, actor)
    notify.agreed(meeting, to_holder=True)
    return meeting


@atomic
def suggest_time(
    actor: User, meeting: Meeting, starts_at: datetime, now: datetime | None = None
) -> Meeting:
    """The provider suggests another time; the holder's side accepts or declines it. Raises
    DomainError when the holder has blocked the provider, or the meeting has moved on."""
    _require(actor, meeting, PROVIDER)
    meeting = _fresh(meeting)
    _refuse_if_blocked(meeting, blocks.MEETING_ANSWER_REFUSED)
    if meeting.state == MeetingState.SUGGESTED and meeting.suggested_at == starts_at:
        return meeting  # sent twice
    if meeting.state != MeetingState.REQUESTED:
        raise _wrong_state(meeting)
    check_time(starts_at, now or utcnow(), field="day")
    _free(meeting, starts_at, BUSY_SUGGESTING, field="day")
    meeting.state, meeting.suggested_at = MeetingState.SUGGESTED, starts_at
    _moved("meeting.suggested", meeting, actor)
    notify.suggested(meeting)
    return meeting


@atomic
def answer_suggestion(
    actor: User, meeting: Meeting, accept: bool, now: datetime | None = None
) -> Meeting:
    """The holder's side accepts the provider's time (the meeting is agreed) or declines it.
    Raises DomainError on accepting when the holder has blocked the provider."""
    _require(actor, meeting, HOLDER)
    meeting = _fresh(meeting)
    target = MeetingState.AGREED if accept else MeetingState.DECLINED
    if meeting.state == target:
        return meeting  # sent twice
    if meeting.state != MeetingState.SUGGESTED or meeting.suggested_at is None:
        raise _wrong_state(meeting)
    if accept:
        _refuse_if_blocked(meeting, blocks.MEETING_REFUSED)
        check_time(meeting.suggested_at, now or utcnow())
        _free(meeting, meeting.suggested_at, BUSY_NOW)
        meeting.starts_at = meeting.suggested_at
    meeting.state = target
    _moved("meeting.agreed" if accept else "meeting.declined", meeting, actor)
    if accept:
        notify.agreed(meeting, to_holder=False)
    else:
        notify.declined(meeting)
    return meeting


@atomic
def cancel(actor: User, meeting: Meeting, reason: str) -> Meeting:
    """Either side cancels a meeting not yet over; the other side is told."""
    side = side_of(actor, meeting)
    meeting = _fresh(meeting)
    if meeting.state == MeetingState.CANCELLED:
        return meeting  # sent twice
    if meeting.state not in OPEN:
        raise _wrong_state(meeting)
    _cancel(meeting, actor, reason, by_provider=side == PROVIDER)
    return meeting


def _cancel(meeting: Meeting, actor: User, reason: str, *, by_provider: bool) -> None:
    meeting.state = MeetingState.CANCELLED
    meeting.cancelled_by_id = actor.id
    meeting.cancel_reason = reason.strip()[:500]
    _moved("meeting.cancelled", meeting, actor)
    notify.cancelled(meeting, by_provider=by_provider)


def _open_between(holder_id: int, provider_id: int, now: datetime) -> Select[tuple[Meeting]]:
    """The holder's meetings with the provider still to come: asked for, with a suggested time
    waiting, or agreed for a time not yet reached."""
    return select(Meeting).where(
        Meeting.holder_id == holder_id,
        Meeting.provider_id == provider_id,
        or_(
            Meeting.state.in_((MeetingState.REQUESTED, MeetingState.SUGGESTED)),
            and_(Meeting.state == MeetingState.AGREED, Meeting.starts_at > now),
        ),
    )


def open_between(holder_id: int, provider_id: int, now: datetime | None = None) -> list[Meeting]:
    """The meetings blocking the provider would cancel now, the oldest asked for first."""
    query = _open_between(holder_id, provider_id, now or utcnow()).order_by(Meeting.id)
    return list(db.session.scalars(query))


def withdraw_on_block(actor: User, holder_id: int, provider_id: int) -> int:
    """Cancel the holder's meetings still to come with a provider they have just blocked
    (`open_between`), each in the audit log. The provider is told as of any other cancellation, and
    the reason kept is the one a withdrawn booking request shows. How many were cancelled. Each
    is read again under its lock: one agreed a moment before is cancelled too, one cancelled or
    lapsed a moment before is left as it is."""
    now = utcnow()
    ids = db.session.scalars(
        _open_between(holder_id, provider_id, now).with_only_columns(Meeting.id)
    )
    cancelled = 0
    for meeting_id in ids.all():
        meeting = locked(Meeting, meeting_id)
        if meeting is None or not _still_to_come(meeting, now):
            continue
        _cancel(meeting, actor, blocks.WITHDRAWN_ON_BLOCK, by_provider=False)
        cancelled += 1
    return cancelled


def _still_to_come(meeting: Meeting, now: datetime) -> bool:
    if meeting.state == MeetingState.AGREED:
        return meeting.starts_at is not None and meeting.starts_at > now
    return meeting.state in (MeetingState.REQUESTED, MeetingState.SUGGESTED)


def expire_due(now: datetime | None = None) -> list[Meeting]:
    """Meetings nobody can agree any more lapse: asked for at times that have all passed with
    none chosen, or with the provider's suggestion passed unanswered. Both sides are told."""
    now = now or utcnow()
    last_offered = (
        select(MeetingTime.meeting_id)
        .group_by(MeetingTime.meeting_id)
        .having(func.max(MeetingTime.starts_at) <= now)
    )
    due = db.session.scalars(
        select(Meeting.id)
        .where(
            or_(
                and_(Meeting.state == MeetingState.REQUESTED, Meeting.id.in_(last_offered)),
                and_(Meeting.state == MeetingState.SUGGESTED, Meeting.suggested_at <= now),
            )
        )
        .order_by(Meeting.id)
    ).all()
    lapsed = []
    for meeting_id in due:
        meeting = locked(Meeting, meeting_id)
        if meeting is None or meeting.state not in (MeetingState.REQUESTED, MeetingState.SUGGESTED):
            continue  # answered or cancelled a moment before
        meeting.state = MeetingState.EXPIRED
        _moved("meeting.expired", meeting, None)
        notify.expired(meeting)
        lapsed.append(meeting)
    return lapsed


def _moved(action: str, meeting: Meeting, actor: User | None) -> None:
    db.session.flush()
    audit.note(
        action, meeting, actor, tenant_id=meeting.holder.tenant_id, state=meeting.state.value
    )


# Reading.


def _holder_ids(user: User) -> list[int]:
    if user.role == Role.HOLDER:
        return [user.id]
    return [h.id for h in holders_represented_by(user)]


def meetings_query(user: User) -> Select[tuple[Meeting]]:
    """The meetings a person has a part in: their own or their holders', or their provider's."""
    if user.role == Role.PROVIDER:
        providers = select(ProviderMember.provider_id).where(ProviderMember.user_id == user.id)
        return select(Meeting).where(Meeting.provider_id.in_(providers))
    return select(Meeting).where(Meeting.holder_id.in_(_holder_ids(user)))


def agreed_between(user: User, first: datetime, last: datetime) -> list[Meeting]:
    """Agreed meetings starting between `first` and `last` (UTC), for the person's calendar."""
    return list(
        db.session.scalars(
            meetings_query(user)
            .where(
                Meeting.state == MeetingState.AGREED,
                Meeting.starts_at >= first - timedelta(minutes=30),
                Meeting.starts_at < last,
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def waiting_for(user: User) -> list[Meeting]:
    """Meetings waiting for this person's answer, oldest first: for the provider's staff, those
    asked for; for the holder's side, those with a time the provider suggested."""
    waiting = MeetingState.REQUESTED if user.role == Role.PROVIDER else MeetingState.SUGGESTED
    return list(
        db.session.scalars(
            meetings_query(user).where(Meeting.state == waiting).order_by(Meeting.id)
        )
    )


def last_agreed_with(user: User, listing_id: int, holder_id: int) -> Meeting | None:
    """The holder's latest agreed meeting about this listing, if any."""
    return db.session.scalar(
        meetings_query(user)
        .where(
            Meeting.listing_id == listing_id,
            Meeting.holder_id == holder_id,
            Meeting.state == MeetingState.AGREED,
        )
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(1)
    )


def when(at: datetime | None) -> str:
    """A meeting time as people read it, London time: Tuesday 1 December 2026 at 10:30am."""
    if at is None:
        return ""
    local = at.astimezone(LONDON)
    return f"{local:%A %-d %B %Y} at {clock(local.time())}"
