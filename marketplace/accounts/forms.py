from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    EmailField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from marketplace.accounts.models import TenantKind
from marketplace.forms import BaseForm, strip_whitespace

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
    return StringField(
        label,
        widget=GovTextInput(),
        validators=[
            DataRequired(message=message),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        "Create a password",
        widget=GovPasswordInput(),
        description="Use 10 characters or more. A few unrelated words make a strong password.",
        validators=[InputRequired(message="Enter a password")],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirm password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Confirm your password"),
            EqualTo("password", message="Passwords must match"),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class SignInForm(BaseForm):
    email = email_field()
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password")],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ForgotPasswordForm(BaseForm):
    email = email_field()
    submit = SubmitField("Send reset link", widget=GovSubmitInput())


class ResetPasswordForm(BaseForm):
    password, confirm = new_password_fields()
    submit = SubmitField("Save new password", widget=GovSubmitInput())


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password")],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()
    submit = SubmitField("Change password", widget=GovSubmitInput())


class AcceptInvitationForm(BaseForm):
    full_name = name_field()
    password, confirm = new_password_fields()
    submit = SubmitField("Create account", widget=GovSubmitInput())


class InvitePersonForm(BaseForm):
    full_name = name_field("Their full name", "Enter their full name")
    email = email_field("Their email address", "Enter their email address")
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class InviteRepresentativeForm(InvitePersonForm):
    relationship_to_holder = StringField(
        "How are they connected to the budget holder?",
        widget=GovTextInput(),
        description="For example, daughter, husband, friend, or broker",
        validators=[
            DataRequired(message="Enter how they are connected to the budget holder"),
            Length(max=100, message="This must be 100 characters or fewer"),
        ],
    )


class RevokeConsentForm(BaseForm):
    reason = StringField(
        "Reason (optional)",
        widget=GovTextInput(),
        validators=[Length(max=500, message="Reason must be 500 characters or fewer")],
    )
    submit = SubmitField("Withdraw consent", widget=GovSubmitInput())


class TenantForm(BaseForm):
    name = StringField(
        "Name of the council or NHS body",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter the name of the council or NHS body"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    kind = RadioField(
        "What kind of body is it?",
        widget=GovRadioInput(),
        choices=[SelectChoice(k.value, k.label) for k in TenantKind],
        validators=[InputRequired(message="Select what kind of body it is")],
    )
    areas = SelectMultipleField(
        "Local authority areas it serves",
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message="Select at least one local authority area")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())
