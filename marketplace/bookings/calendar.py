"""A person's sessions by week, and as an iCalendar feed at a secret address."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, select

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import holders_represented_by
from marketplace.bookings.models import Booking, CalendarFeed, Occurrence, OccurrenceState
from marketplace.clock import LONDON
from marketplace.directory.models import ProviderMember
from marketplace.extensions import db
from marketplace.meetings.models import Meeting
from marketplace.meetings.services import agreed_between


def _booking_ids_query(user: User) -> Select[tuple[int]]:
    if user.role == Role.PROVIDER:
        providers = select(ProviderMember.provider_id).where(ProviderMember.user_id == user.id)
        return select(Booking.id).where(Booking.provider_id.in_(providers))
    holders = (
        [user.id] if user.role == Role.HOLDER else [h.id for h in holders_represented_by(user)]
    )
    return select(Booking.id).where(Booking.holder_id.in_(holders))


def occurrences_between(user: User, first: datetime, last: datetime) -> list[Occurrence]:
    """The sessions a holder (or the holders a representative acts for) or a provider has."""
    return list(
        db.session.scalars(
            select(Occurrence)
            .where(
                Occurrence.booking_id.in_(_booking_ids_query(user)),
                Occurrence.starts_at < last,
                Occurrence.ends_at > first,
                Occurrence.state != OccurrenceState.CANCELLED,
            )
            .order_by(Occurrence.starts_at, Occurrence.id)
        )
    )


def week_of(day: date) -> tuple[date, list[date]]:
    monday = day - timedelta(days=day.weekday())
    return monday, [monday + timedelta(days=n) for n in range(7)]


def week(user: User, monday: date) -> dict[date, list[Occurrence]]:
    start = datetime.combine(monday, datetime.min.time(), tzinfo=LONDON).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=LONDON)
    days: dict[date, list[Occurrence]] = {monday + timedelta(days=n): [] for n in range(7)}
    for occurrence in occurrences_between(user, start, end.astimezone(UTC)):
        day = occurrence.starts_at.astimezone(LONDON).date()
        if day in days:
            days[day].append(occurrence)
    return days


def meetings_week(user: User, monday: date) -> dict[date, list[Meeting]]:
    """The person's agreed first meetings in the week, by London day."""
    start = datetime.combine(monday, datetime.min.time(), tzinfo=LONDON)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=LONDON)
    days: dict[date, list[Meeting]] = {monday + timedelta(days=n): [] for n in range(7)}
    for meeting in agreed_between(user, start.astimezone(UTC), end.astimezone(UTC)):
        assert meeting.starts_at is not None
        day = meeting.starts_at.astimezone(LONDON).date()
        if day in days:
            days[day].append(meeting)
    return days


def feed_for(user: User, *, rotate: bool = False) -> CalendarFeed:
    """The person's feed, made on first use; `rotate` gives it a new secret (the old stops)."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32))
        db.session.add(feed)
    elif rotate:
        feed.token = secrets.token_urlsafe(32)
    db.session.flush()
    return feed


def user_for_token(token: str) -> User | None:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if feed is None:
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.active else None


def _escape(text: str) -> str:
    """TEXT as RFC 5545 writes it: backslash, semicolon and comma escaped, and every line break
    (CRLF, a bare CR or LF) as \\n, so nothing typed can end a line of the feed."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """RFC 5545 lines are at most 75 octets; longer ones continue after CRLF and a space."""
    data, parts = line.encode(), []
    while len(data) > 75:
        cut = 75
        while (data[cut] & 0xC0) == 0x80:  # do not split a UTF-8 character
            cut -= 1
        parts.append(data[:cut].decode())
        data = data[cut:]
    parts.append(data.decode())
    return "\r\n ".join(parts)


def ical(user: User, host: str, now: datetime) -> str:
    """Sessions and agreed first meetings from 30 days ago to a year ahead, as an iCalendar
    document."""
    sessions = occurrences_between(user, now - timedelta(days=30), now + timedelta(days=365))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Care marketplace//Bookings//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Care and support",
    ]
    for occurrence in sessions:
        booking = occurrence.booking
        title = f"{booking.listing.title} ({booking.provider.display_name})"
        lines += [
            "BEGIN:VEVENT",
            f"UID:occurrence-{occurrence.id}@{host}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(occurrence.starts_at)}",
            f"DTEND:{_stamp(occurrence.ends_at)}",
            f"SUMMARY:{_escape(title)}",
            "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    for meeting in agreed_between(user, now - timedelta(days=30), now + timedelta(days=365)):
        assert meeting.starts_at is not None and meeting.ends_at is not None
        title = f"First meeting: {meeting.listing.title} ({meeting.provider.display_name})"
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{meeting.id}@{host}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(meeting.starts_at)}",
            f"DTEND:{_stamp(meeting.ends_at)}",
            f"SUMMARY:{_escape(title)}",
            f"DESCRIPTION:{_escape(meeting.way.label + '. Free: nothing is paid.')}",
            "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
