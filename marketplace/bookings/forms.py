"""Forms for requesting and answering bookings."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal, InvalidOperation

from wtforms import RadioField, SelectMultipleField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from marketplace.forms import (
    BaseForm,
    DateInputField,
    MoneyField,
    parsed_by,
    radio_field,
    strip_whitespace,
    submit_button,
    text_field,
    words_field,
)
from marketplace.widgets import Checkboxes, DateInput, Radios

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)?\s*(am|pm)?$", re.IGNORECASE)


def parse_clock(text: str) -> time:
    """'9', '09:30', '9.30am', '17:00' → a time. Raises ValueError with a message to show."""
    match = _TIME.match((text or "").strip())
    if not match:
        raise ValueError("Enter a time like 9:30am or 17:00")
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "")
    if half:
        if not 1 <= hour <= 12:
            raise ValueError("Enter a time like 9:30am or 17:00")
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    return time(hour, minute)


def parse_hours(text: str) -> int:
    """'3', '1.5', '0.25' hours → whole minutes (15 minutes to 24 hours)."""
    try:
        hours = Decimal((text or "").strip())
    except InvalidOperation:
        raise ValueError("Enter the number of hours, like 2 or 1.5") from None
    if not hours.is_finite() or not Decimal("0.25") <= hours <= 24:
        raise ValueError("Enter between 0.25 and 24 hours")
    minutes = hours * 60
    if minutes != minutes.to_integral_value():
        raise ValueError("Enter hours in quarters or halves, like 1.25 or 1.5")
    return int(minutes)


_clock_check = parsed_by(parse_clock, ValueError)
_hours_check = parsed_by(parse_hours, ValueError)


def hours_field(label: str, required: str, hint: str | None = None) -> StringField:
    """Hours typed as a number, like 2 or 1.5."""
    return text_field(
        label,
        description=hint,
        filters=[strip_whitespace],
        required=required,
        checks=[_hours_check],
        render_kw={"inputmode": "decimal"},
    )


class RequestForm(BaseForm):
    pot = radio_field("Which budget will pay?", "Choose the budget that will pay")
    kind = radio_field(
        "How often?",
        "Choose once or every week",
        choices=[
            SelectChoice("one_off", "Once"),
            SelectChoice("rota", "Every week (a rota)"),
        ],
    )
    day = DateInputField(
        "Date (or first date of the rota)",
        widget=DateInput(),
        format="%d %m %Y",
        example_ahead=True,
        validators=[InputRequired(message="Enter the date")],
    )
    weekdays = SelectMultipleField(
        "Days of the week (for a rota)",
        widget=Checkboxes(),
        choices=[SelectChoice(str(n), name) for n, name in enumerate(WEEKDAYS)],
    )
    ends_on = DateInputField(
        "Last date of the rota (optional)",
        widget=DateInput(),
        format="%d %m %Y",
        description="Leave blank if it carries on",
        validators=[Optional()],
    )
    start = text_field(
        "Start time",
        description="For example, 9:30am or 17:00",
        filters=[strip_whitespace],
        required="Enter the start time",
        checks=[_clock_check],
    )
    hours = hours_field(
        "How many hours each time?", "Enter how many hours", "For example, 2 or 1.5"
    )
    note = words_field("Anything the provider should know (optional)", "note", 2000)
    submit = submit_button("Check the price")

    # The service's names for the request's parts, where this form asks under another name.
    domain_fields = {"duration": "hours", "slots": "weekdays", "starts_on": "day"}

    def validate_weekdays(self, field: SelectMultipleField) -> None:
        if self.kind.data == "rota" and not field.data:
            raise ValidationError("Choose at least one day of the week for the rota")


class ReasonForm(BaseForm):
    reason = words_field("Reason", "reason", 500, required="Enter a reason")
    submit = submit_button("Continue")


def _one_of_the_workers(form: BaseForm, field: RadioField) -> None:
    choices = {str(value) for value, *_ in field.choices or []}
    if field.data and field.data not in choices:
        raise ValidationError("Choose who will do these sessions from the list")


class OfferForm(BaseForm):
    worker = RadioField(
        "Who will do these sessions?",
        widget=Radios(),
        validators=[Optional(), _one_of_the_workers],
        validate_choice=False,  # a provider with no named workers has no choices to make
    )
    # The service says why a price of nothing, or too much, cannot be offered.
    price = MoneyField("Your price, in pounds", required="Enter your price", zero_allowed=True)
    note = words_field("Message to the person (optional)", "message", 2000)
    submit = submit_button("Send offer")


class DeliveredForm(BaseForm):
    hours = hours_field("Hours worked", "Enter the hours worked")
    submit = submit_button("Mark as delivered")


class ResolveForm(BaseForm):
    amount = MoneyField(
        "Amount to pay the provider, in pounds",
        description="Enter 0 to return all of it to the budget",
        required="Enter an amount",
        zero_allowed=True,
    )
    note = words_field("Decision note", "note", 500, required="Enter a note saying why")
    submit = submit_button("Decide")


class ReviewForm(BaseForm):
    stars = radio_field(
        "How would you rate it?",
        "Choose a rating",
        choices=[SelectChoice(str(n), f"{n} out of 5") for n in range(5, 0, -1)],
    )
    text = words_field(
        "Your review",
        "review",
        2000,
        required="Write a few words",
        description="Do not include anyone's private details",
    )
    submit = submit_button("Publish review")


class ReplyForm(BaseForm):
    text = words_field("Your reply", "reply", 2000, required="Write your reply")
    submit = submit_button("Publish reply")
