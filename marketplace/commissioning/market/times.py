"""Times of week: the bands the report counts demand and supply by, in London wall-clock time."""

from __future__ import annotations

import enum
from datetime import time

from sqlalchemy import ColumnElement, and_, case, literal

from marketplace.bookings.models import RotaSlot
from marketplace.commissioning.market.rules import DAYTIME_STARTS, EVENING_STARTS


class TimeBand(enum.StrEnum):
    WEEKDAY_DAYTIME = "weekday_daytime"
    WEEKDAY_EVENING = "weekday_evening"
    WEEKEND = "weekend"
    ANY = "any"  # a search that gave no day, or a weekday without a time

    @property
    def label(self) -> str:
        return {
            "weekday_daytime": "Weekday daytime (Monday to Friday, 8am to 6pm)",
            "weekday_evening": "Weekday evenings and nights (Monday to Friday, 6pm to 8am)",
            "weekend": "Weekends (Saturday and Sunday, all day)",
            "any": "No day or time given",
        }[self.value]

    @property
    def short_label(self) -> str:
        """For table cells; the page says the hours of each."""
        return {
            "weekday_daytime": "Weekday daytime",
            "weekday_evening": "Weekday evenings and nights",
            "weekend": "Weekends",
            "any": "No day or time given",
        }[self.value]


BANDS_OF_THE_WEEK = (TimeBand.WEEKDAY_DAYTIME, TimeBand.WEEKDAY_EVENING, TimeBand.WEEKEND)
BAND_ORDER = {band.value: n for n, band in enumerate(TimeBand)}


def band_of(weekday: int | None, at: time | None) -> TimeBand:
    """The time of week of a day (Monday 0) and start time, both in London wall-clock time."""
    if weekday is None:
        return TimeBand.ANY
    if weekday >= 5:
        return TimeBand.WEEKEND
    if at is None:
        return TimeBand.ANY
    if DAYTIME_STARTS <= at < EVENING_STARTS:
        return TimeBand.WEEKDAY_DAYTIME
    return TimeBand.WEEKDAY_EVENING


def window_minutes(weekday: int, start: time, end: time) -> dict[TimeBand, int]:
    """Minutes of a weekly availability window in each time of week."""

    def minutes(at: time) -> int:
        return at.hour * 60 + at.minute

    first, last = minutes(start), minutes(end)
    if last <= first:
        return {}
    if weekday >= 5:
        return {TimeBand.WEEKEND: last - first}
    day_from, day_to = minutes(DAYTIME_STARTS), minutes(EVENING_STARTS)
    daytime = max(0, min(last, day_to) - max(first, day_from))
    return {
        TimeBand.WEEKDAY_DAYTIME: daytime,
        TimeBand.WEEKDAY_EVENING: (last - first) - daytime,
    }


def slot_band_sql() -> ColumnElement[str]:
    """The time of week a rota slot starts in, in SQL (`band_of` for a slot: a weekday
    slot always has a start time)."""
    return case(
        (RotaSlot.weekday >= 5, literal(TimeBand.WEEKEND.value)),
        (
            and_(RotaSlot.start_time >= DAYTIME_STARTS, RotaSlot.start_time < EVENING_STARTS),
            literal(TimeBand.WEEKDAY_DAYTIME.value),
        ),
        else_=literal(TimeBand.WEEKDAY_EVENING.value),
    )
