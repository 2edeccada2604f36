"""Forms for requesting and answering bookings."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal, InvalidOperation

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.forms import BaseForm, DateInputField, strip_whitespace
from marketplace.money import MoneyError, parse_pounds

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


def _clock_check(form: BaseForm, field: StringField) -> None:
    try:
        parse_clock(field.data or "")
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _hours_check(form: BaseForm, field: StringField) -> None:
    try:
        parse_hours(field.data or "")
    except ValueError as error:
        raise ValidationError(str(error)) from None


class RequestForm(BaseForm):
    pot = RadioField(
        "Which budget will pay?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose the budget that will pay")],
    )
    kind = RadioField(
        "How often?",
        widget=GovRadioInput(),
        choices=[
            SelectChoice("one_off", "Once"),
            SelectChoice("rota", "Every week (a rota)"),
        ],
        validators=[InputRequired(message="Choose once or every week")],
    )
    day = DateInputField(
        "Date (or first date of the rota)",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="For example, 27 11 2026",
        validators=[InputRequired(message="Enter the date, for example 27 11 2026")],
    )
    weekdays = SelectMultipleField(
        "Days of the week (for a rota)",
        widget=GovCheckboxesInput(),
        choices=[SelectChoice(str(n), name) for n, name in enumerate(WEEKDAYS)],
    )
    ends_on = DateInputField(
        "Last date of the rota (optional)",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="Leave blank if it carries on",
        validators=[Optional()],
    )
    start = StringField(
        "Start time",
        widget=GovTextInput(),
        description="For example, 9:30am or 17:00",
        filters=[strip_whitespace],
        validators=[DataRequired(message="Enter the start time"), _clock_check],
    )
    hours = StringField(
        "How many hours each time?",
        widget=GovTextInput(),
        description="For example, 2 or 1.5",
        filters=[strip_whitespace],
        validators=[DataRequired(message="Enter how many hours"), _hours_check],
        render_kw={"inputmode": "decimal"},
    )
    note = TextAreaField(
        "Anything the provider should know (optional)",
        widget=GovTextArea(),
        validators=[Length(max=2000, message="Keep the note to 2,000 characters or fewer")],
    )
    submit = SubmitField("Check the price", widget=GovSubmitInput())

    def validate_weekdays(self, field: SelectMultipleField) -> None:
        if self.kind.data == "rota" and not field.data:
            raise ValidationError("Choose at least one day of the week for the rota")


class ReasonForm(BaseForm):
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter a reason"),
            Length(max=500, message="Keep the reason to 500 characters or fewer"),
        ],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


def _pounds_check(form: BaseForm, field: StringField) -> None:
    try:
        parse_pounds(field.data or "")
    except MoneyError as error:
        raise ValidationError(str(error)) from None


def _one_of_the_workers(form: BaseForm, field: RadioField) -> None:
    choices = {str(value) for value, *_ in field.choices or []}
    if field.data and field.data not in choices:
        raise ValidationError("Choose who will do these sessions from the list")


class OfferForm(BaseForm):
    worker = RadioField(
        "Who will do these sessions?",
        widget=GovRadioInput(),
        validators=[Optional(), _one_of_the_workers],
        validate_choice=False,  # a provider with no named workers has no choices to make
    )
    price = StringField(
        "Your price, in pounds",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter your price"), _pounds_check],
        render_kw={"inputmode": "decimal"},
    )
    note = TextAreaField(
        "Message to the person (optional)",
        widget=GovTextArea(),
        validators=[Length(max=2000, message="Keep the message to 2,000 characters or fewer")],
    )
    submit = SubmitField("Send offer", widget=GovSubmitInput())


class DeliveredForm(BaseForm):
    hours = StringField(
        "Hours worked",
        widget=GovTextInput(),
        filters=[strip_whitespace],
        validators=[DataRequired(message="Enter the hours worked"), _hours_check],
        render_kw={"inputmode": "decimal"},
    )
    submit = SubmitField("Mark as delivered", widget=GovSubmitInput())


class ResolveForm(BaseForm):
    amount = StringField(
        "Amount to pay the provider, in pounds",
        widget=GovTextInput(),
        description="Enter 0 to return all of it to the budget",
        validators=[DataRequired(message="Enter an amount"), _pounds_check],
        render_kw={"inputmode": "decimal"},
    )
    note = TextAreaField(
        "Decision note",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Enter a note saying why"),
            Length(max=500, message="Keep the note to 500 characters or fewer"),
        ],
    )
    submit = SubmitField("Decide", widget=GovSubmitInput())


class ReviewForm(BaseForm):
    stars = RadioField(
        "How would you rate it?",
        widget=GovRadioInput(),
        choices=[SelectChoice(str(n), f"{n} out of 5") for n in range(5, 0, -1)],
        validators=[InputRequired(message="Choose a rating")],
    )
    text = TextAreaField(
        "Your review",
        widget=GovTextArea(),
        description="Do not include anyone's private details",
        validators=[
            DataRequired(message="Write a few words"),
            Length(max=2000, message="Keep the review to 2,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Publish review", widget=GovSubmitInput())


class ReplyForm(BaseForm):
    text = TextAreaField(
        "Your reply",
        widget=GovTextArea(),
        validators=[
            DataRequired(message="Write your reply"),
            Length(max=2000, message="Keep the reply to 2,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Publish reply", widget=GovSubmitInput())
