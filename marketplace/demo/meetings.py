"""The demo's first meetings: before the rota, the representative met Amira by video (asked for,
a time chosen, held); this week the holder has asked Grace, a weekend personal assistant who
covers holidays, for a first meeting, and Grace has not chosen a time yet.

Played through the real service with the clock at each moment, like the booking story. Told
once: a later load finds the holder's meetings and adds none.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from marketplace import clock
from marketplace.demo.report import DemoReport
from marketplace.demo.story import Cast
from marketplace.directory.models import Listing, Provider
from marketplace.extensions import db
from marketplace.meetings import services as meetings
from marketplace.meetings.models import Meeting, MeetingWay

COVER_PROVIDER = "Grace Demo"
FIRST_NOTE = "I look after my mother and would like to meet you before we agree a rota."
COVER_NOTE = "Amira is away for a week soon. Could we talk about covering her mornings?"


def tell_meetings(cast: Cast, report: DemoReport) -> None:
    """Play the two meetings once (nothing when the holder already has meetings). Flushes only."""
    told = select(Meeting.id).where(Meeting.holder_id == cast.holder.id).limit(1)
    if db.session.scalar(told) is not None:
        return
    now = clock.now()
    today = clock.london_today(now)
    monday = today - timedelta(days=today.weekday())
    _met_amira(cast, monday - timedelta(weeks=6))
    _asked_grace(cast, now, today)
    report.count("demo meetings", 2)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.LONDON)


def _met_amira(cast: Cast, monday: date) -> None:
    """Six weeks before the load's week (before the rota was asked for): asked on Monday
    evening for Wednesday or Thursday; Amira chose Wednesday the next morning."""
    ask = meetings.Ask(
        MeetingWay.VIDEO,
        30,
        (_at(monday + timedelta(days=2), 14), _at(monday + timedelta(days=3), 15)),
        FIRST_NOTE,
    )
    with clock.frozen(_at(monday, 19)):
        meeting = meetings.request_meeting(cast.representative, cast.holder, cast.listing, ask)
    with clock.frozen(_at(monday + timedelta(days=1), 9)):
        meetings.choose_time(cast.provider, meeting, meeting.times[0].id)


def _asked_grace(cast: Cast, now: datetime, today: date) -> None:
    """Three hours before the load: a 15-minute phone call on one of the next two weekends."""
    grace = db.session.scalars(
        select(Listing)
        .join(Provider, Provider.id == Listing.provider_id)
        .where(Provider.legal_name == COVER_PROVIDER, Provider.is_demo.is_(True))
    ).first()
    if grace is None:
        return
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    times = (
        _at(saturday, 10),
        _at(saturday + timedelta(days=1), 11),
        _at(saturday + timedelta(days=7), 10),
    )
    ask = meetings.Ask(MeetingWay.PHONE, 15, times, COVER_NOTE)
    with clock.frozen(now - timedelta(hours=3)):
        meetings.request_meeting(cast.holder, cast.holder, grace, ask)
