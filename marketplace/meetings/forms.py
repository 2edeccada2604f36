"""Forms for asking for a first meeting and answering it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from wtforms import Field, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from marketplace.bookings.forms import parse_clock
from marketplace.clock import LONDON
from marketplace.forms import (
    BaseForm,
    DateInputField,
    parsed_by,
    radio_field,
    strip_whitespace,
    submit_button,
    text_field,
    words_field,
)
from marketplace.meetings.models import MeetingWay
from marketplace.meetings.services import ORDINALS
from marketplace.widgets import Radios

_clock_check = parsed_by(parse_clock, ValueError)


def at_london(day: date, clock_text: str) -> datetime:
    """A date and a typed time, in London, as an aware moment."""
    return datetime.combine(day, parse_clock(clock_text), tzinfo=LONDON)


def _day(n: int, required: bool) -> DateInputField:
    ask = "" if required else " (optional)"
    validators = [InputRequired(message=f"Enter the date of the {ORDINALS[n].lower()} time")]
    return DateInputField(
        f"{ORDINALS[n]} time: date{ask}",
        example_ahead=True,
        validators=validators if required else [Optional()],
    )


def _clock(n: int, required: bool) -> Field:
    if required:
        return text_field(
            f"{ORDINALS[n]} time: start",
            description="For example, 10:30am or 14:00",
            filters=[strip_whitespace],
            required="Enter the start time",
            checks=[_clock_check],
        )
    return text_field(
        f"{ORDINALS[n]} time: start (optional)",
        description="For example, 10:30am or 14:00",
        filters=[strip_whitespace],
        optional=True,
        checks=[_clock_check],
    )


class MeetingForm(BaseForm):
    way = radio_field(
        "How would you like to meet?",
        "Choose how you would like to meet",
        choices=[SelectChoice(w.value, w.label) for w in MeetingWay],
    )
    minutes = radio_field(
        "How long?",
        "Choose 15 or 30 minutes",
        choices=[SelectChoice("15", "15 minutes"), SelectChoice("30", "30 minutes")],
    )
    day_1 = _day(0, True)
    start_1 = _clock(0, True)
    day_2 = _day(1, False)
    start_2 = _clock(1, False)
    day_3 = _day(2, False)
    start_3 = _clock(2, False)
    note = words_field("Anything the provider should know (optional)", "note", 1000)
    submit = submit_button("Ask for the meeting")

    # The service names the times offered by their place: a refusal sits on that time's date.
    domain_fields = {
        "times": "day_1",
        **{f"times.{n}": f"day_{n + 1}" for n in range(len(ORDINALS))},
    }

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then: a second or third date goes with a start time."""
        valid = super().validate(extra_validators)
        for day, start in ((self.day_2, self.start_2), (self.day_3, self.start_3)):
            message = _unpaired(day, start)
            if message:
                start.errors = [*start.errors, message]
                self._errors = None
                valid = False
        if valid:
            self._close_gap()
        return valid

    def _close_gap(self) -> None:
        """A third time offered with no second moves up to be the second, so that the times
        are shown in the places the service counts them by ("Second time: …")."""
        if self.day_2.data is None and self.day_3.data is not None:
            self.day_2.data, self.day_2.raw_data = self.day_3.data, self.day_3.raw_data
            self.start_2.data = self.start_3.data
            self.day_3.data, self.day_3.raw_data, self.start_3.data = None, ["", "", ""], ""

    def times(self) -> tuple[datetime, ...]:
        """The times offered, once the form is valid."""
        pairs = [(self.day_1, self.start_1), (self.day_2, self.start_2), (self.day_3, self.start_3)]
        return tuple(at_london(d.data, s.data) for d, s in pairs if d.data and s.data)


def _unpaired(day: DateInputField, start: Field) -> str | None:
    if day.errors or start.errors:
        return None
    if day.data and not start.data:
        return "Enter a start time for this date, or leave both empty"
    if start.data and not day.data:
        return "Enter a date for this start time, or leave both empty"
    return None


class ChooseForm(BaseForm):
    time = RadioField(
        "Which time suits you?",
        widget=Radios(),
        validators=[InputRequired(message="Choose one of the times offered")],
    )
    submit = submit_button("Agree this time")


class SuggestForm(BaseForm):
    day = DateInputField(
        "Date",
        example_ahead=True,
        validators=[InputRequired(message="Enter the date")],
    )
    start = text_field(
        "Start time",
        description="For example, 10:30am or 14:00",
        filters=[strip_whitespace],
        required="Enter the start time",
        checks=[_clock_check],
    )
    submit = submit_button("Suggest this time")


class CancelForm(BaseForm):
    reason = words_field("Reason (optional)", "reason", 500)
    submit = submit_button("Cancel the meeting")
