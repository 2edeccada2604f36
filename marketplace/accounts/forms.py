from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from marketplace.accounts.models import TenantKind
from marketplace.forms import (
    BaseForm,
    checkboxes_field,
    radio_field,
    strip_whitespace,
    submit_button,
    text_field,
)

EMAIL_ERRORS = {
    "required": "Enter your email address",
    "format": "Enter an email address in the correct format, like name@example.com",
}


def email_field(
    label: str = "Email address", required: str = EMAIL_ERRORS["required"]
) -> EmailField:
    return EmailField(
        label,
        widget=GovTextInput(),
        filters=[strip_whitespace],
        validators=[
            DataRequired(message=required),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(message=EMAIL_ERRORS["format"], check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def name_field(label: str = "Full name", message: str = "Enter your full name") -> StringField:
    return text_field(
        label,
        required=message,
        max_length=200,
        too_long="Name must be 200 characters or fewer",
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )


def password_field(
    label: str, required: str, autocomplete: str, *checks: Any, **kwargs: Any
) -> PasswordField:
    return PasswordField(
        label,
        widget=GovPasswordInput(),
        validators=[InputRequired(message=required), *checks],
        render_kw={"autocomplete": autocomplete},
        **kwargs,
    )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = password_field(
        "Create a password",
        "Enter a password",
        "new-password",
        description="Use 10 characters or more. A few unrelated words make a strong password.",
    )
    confirm = password_field(
        "Confirm password",
        "Confirm your password",
        "new-password",
        EqualTo("password", message="Passwords must match"),
    )
    return password, confirm


class SignInForm(BaseForm):
    email = email_field()
    password = password_field("Password", "Enter your password", "current-password")
    submit = submit_button("Sign in")


class ForgotPasswordForm(BaseForm):
    email = email_field()
    submit = submit_button("Send reset link")


class ResetPasswordForm(BaseForm):
    password, confirm = new_password_fields()
    submit = submit_button("Save new password")


class ChangePasswordForm(BaseForm):
    current_password = password_field(
        "Current password", "Enter your current password", "current-password"
    )
    password, confirm = new_password_fields()
    submit = submit_button("Change password")


class AcceptInvitationForm(BaseForm):
    full_name = name_field()
    password, confirm = new_password_fields()
    submit = submit_button("Create account")


class InvitePersonForm(BaseForm):
    full_name = name_field("Their full name", "Enter their full name")
    email = email_field("Their email address", "Enter their email address")
    submit = submit_button("Send invitation")


class InviteRepresentativeForm(InvitePersonForm):
    relationship_to_holder = text_field(
        "How are they connected to the budget holder?",
        description="For example, daughter, husband, friend, or broker",
        required="Enter how they are connected to the budget holder",
        max_length=100,
        too_long="This must be 100 characters or fewer",
    )


class RevokeConsentForm(BaseForm):
    reason = text_field(
        "Reason (optional)",
        max_length=500,
        too_long="Reason must be 500 characters or fewer",
    )
    submit = submit_button("Withdraw consent")


class TenantForm(BaseForm):
    name = text_field(
        "Name of the council or NHS body",
        required="Enter the name of the council or NHS body",
        max_length=200,
        too_long="Name must be 200 characters or fewer",
    )
    kind = radio_field(
        "What kind of body is it?",
        "Select what kind of body it is",
        choices=[SelectChoice(k.value, k.label) for k in TenantKind],
    )
    areas = checkboxes_field(
        "Local authority areas it serves", "Select at least one local authority area"
    )
    submit = submit_button("Save")
