"""Forms on the commissioner's pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovTextInput
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from marketplace.commissioning.alerts.storage import NOTE_MAX_LENGTH
from marketplace.form_messages import make_errors_plain
from marketplace.forms import BaseForm, drop_nul, strip_whitespace, submit_button, words_field
from marketplace.payments.models import PotKind

POT_CHOICES = [SelectChoice("", "Any budget"), SelectChoice("none", "No budget set up yet")] + [
    SelectChoice(kind.value, kind.label) for kind in PotKind
]
STATUS_CHOICES = [
    SelectChoice("", "Any"),
    SelectChoice("active", "Active"),
    SelectChoice("suspended", "Suspended"),
]


class HolderFilterForm(FlaskForm):
    """The search above the list of holders. Sent by GET, so it changes nothing and needs no
    CSRF token; a link to a filtered list can be shared with a colleague. A choice it does not
    know (an old or hand-made link) is ignored: the list shows everyone for that field."""

    class Meta:
        csrf = False

    q = StringField(
        "Name, email address or support plan reference",
        filters=[drop_nul, strip_whitespace],
        validators=[Optional(), Length(max=100, message="Search for 100 characters or fewer")],
        widget=GovTextInput(),
    )
    pot = SelectField(
        "Budget", choices=POT_CHOICES, default="", validate_choice=False, widget=GovSelect()
    )
    status = SelectField(
        "Account", choices=STATUS_CHOICES, default="", validate_choice=False, widget=GovSelect()
    )
    submit = submit_button("Search")

    def validate(self, extra_validators: object = None) -> bool:
        for field in (self.pot, self.status):
            if field.data not in {choice.value for choice in field.choices}:
                field.data = ""
        valid = bool(super().validate(extra_validators))
        if make_errors_plain(self):
            self._errors = None
        return valid


class AcknowledgeForm(BaseForm):
    note = words_field(
        "What have you done or decided?",
        "note",
        NOTE_MAX_LENGTH,
        description=f"This is kept with the alert. Up to {NOTE_MAX_LENGTH} characters.",
        required="Enter a note saying what you have done or decided",
    )
    submit = submit_button("Acknowledge alert")
