"""Forms for providers joining the service."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace.accounts.forms import email_field, name_field, new_password_fields
from marketplace.accounts.services import check_new_password
from marketplace.directory.models import ProviderKind
from marketplace.errors import DomainError
from marketplace.forms import BaseForm

CQC_LOCATION_ID_PATTERN = r"^\s*1-\d{5,12}\s*$"


class RegisterProviderForm(BaseForm):
    full_name = name_field("Your full name", "Enter your full name")
    email = email_field("Your email address", "Enter your email address")
    password, confirm = new_password_fields()
    kind = RadioField(
        "What kind of provider are you?",
        widget=GovRadioInput(),
        choices=[SelectChoice(kind.value, kind.label) for kind in ProviderKind],
        validators=[InputRequired(message="Select what kind of provider you are")],
    )
    legal_name = StringField(
        "Legal name",
        widget=GovTextInput(),
        description="Your company or charity's name, or your own name if you are a sole trader",
        validators=[
            DataRequired(message="Enter your legal name"),
            Length(max=200, message="Legal name must be 200 characters or fewer"),
        ],
        render_kw={"autocomplete": "organization", "spellcheck": "false"},
    )
    trading_name = StringField(
        "Trading name (optional)",
        widget=GovTextInput(),
        description="The name people know you by, if it is different",
        validators=[
            Optional(),
            Length(max=200, message="Trading name must be 200 characters or fewer"),
        ],
    )
    contact_phone = StringField(
        "Contact phone number",
        widget=GovTextInput(),
        description="For people booking with you. For example, 0161 496 0000 or 07700 900 982",
        validators=[
            DataRequired(message="Enter a contact phone number"),
            Regexp(
                r"^\s*(\+44\s?|0)[\d\s()-]{9,15}$",
                message="Enter a UK phone number, like 0161 496 0000 or 07700 900 982",
            ),
        ],
        render_kw={"autocomplete": "tel", "type": "tel"},
    )
    postcode = StringField(
        "Postcode",
        widget=GovTextInput(),
        description="Where you work from. We never show a sole trader's full postcode.",
        validators=[DataRequired(message="Enter your postcode")],
        render_kw={"autocomplete": "postal-code", "spellcheck": "false"},
    )
    cqc_location_id = StringField(
        "CQC location ID (optional)",
        widget=GovTextInput(),
        description="If the Care Quality Commission registers you. Like 1-123456789",
        validators=[
            Optional(),
            Regexp(
                CQC_LOCATION_ID_PATTERN,
                message="Enter a CQC location ID in the correct format, like 1-123456789",
            ),
        ],
        render_kw={"spellcheck": "false"},
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())

    def validate_postcode(self, field: StringField) -> None:
        from provider_onboarding.services import normalise_postcode

        try:
            field.data = normalise_postcode(field.data or "")
        except DomainError as error:
            raise ValidationError(error.message) from None

    def validate_password(self, field: StringField) -> None:
        try:
            check_new_password(field.data or "", email=self.email.data)
        except DomainError as error:
            raise ValidationError(error.message) from None
