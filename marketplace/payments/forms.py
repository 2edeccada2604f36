"""Forms for pots, funding and top-ups. Amounts are typed in pounds and parsed to pence."""

from __future__ import annotations

import secrets
from typing import Any

from wtforms import (
    HiddenField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from marketplace.forms import (
    BaseForm,
    DateInputField,
    MoneyField,
    checkboxes_field,
    radio_field,
    strip_whitespace,
    submit_button,
    text_field,
)
from marketplace.payments.models import PotKind

# A single payment into a budget or a card top-up above this is almost certainly a typing slip.
LARGEST_SINGLE_PAYMENT_PENCE = 10_000_000  # £100,000


def pounds_field(label: str, *, required: bool = True, hint: str = "") -> MoneyField:
    return MoneyField(
        label,
        description=hint,
        required="Enter an amount in pounds, for example 12.50" if required else None,
        most_pence=LARGEST_SINGLE_PAYMENT_PENCE,
    )


class OnceForm(BaseForm):
    """A form whose hidden one-time key lets the service treat a double-click as one request."""

    request_key = HiddenField()

    def fresh(self) -> OnceForm:
        if not self.request_key.data:
            self.request_key.data = secrets.token_urlsafe(24)
        return self

    def validate_request_key(self, field: Any) -> None:
        if not field.data or len(field.data) > 64:
            raise ValidationError("This form has expired. Go back and try again.")


class FundPotForm(OnceForm):
    amount = pounds_field("Amount to pay in, in pounds", hint="For example, 250.00")
    reason = text_field(
        "Reason for this payment",
        filters=[strip_whitespace],
        required="Enter the reason for this payment",
        max_length=200,
        too_long="Reason must be 200 characters or fewer",
        description="For example, equipment agreed at the support plan review",
    )
    submit = submit_button("Pay into budget")


class TopUpForm(OnceForm):
    amount = pounds_field("Amount to add, in pounds", hint="For example, 50.00")
    submit = submit_button("Continue to card payment")


SCHEDULES = [
    ("28", "Every four weeks"),
    ("7", "Every week"),
    ("14", "Every two weeks"),
    ("0", "No schedule: I will pay in one-off amounts"),
]


class PotForm(BaseForm):
    kind = radio_field(
        "Kind of budget",
        "Choose the kind of budget",
        choices=[SelectChoice(k.value, k.label) for k in PotKind],
    )
    support_plan_reference = text_field(
        "Support plan reference",
        filters=[strip_whitespace],
        required="Enter the support plan reference",
        max_length=60,
        too_long="Support plan reference must be 60 characters or fewer",
    )
    categories = checkboxes_field(
        "What this budget may pay for",
        "Choose at least one kind of support",
        coerce=int,
        description="Only what the support plan allows",
    )
    allocation = MoneyField(
        "Amount paid in each period, in pounds",
        description="Leave empty for none",
        most_pence=LARGEST_SINGLE_PAYMENT_PENCE,
        zero_allowed=True,
    )
    every_days = radio_field(
        "How often",
        "Choose how often money is paid in",
        choices=[SelectChoice(value, label) for value, label in SCHEDULES],
        default="28",
    )
    starts_on = DateInputField(
        "First payment date",
        example_ahead=True,
        validators=[InputRequired(message="Enter the first payment date as a real date")],
    )
    pa_hourly_cap = pounds_field(
        "Most this budget pays a personal assistant per hour, in pounds",
        required=False,
        hint="Leave empty for no cap",
    )
    submit = submit_button("Set up budget")
