"""Forms on the commissioner's pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from marketplace.forms import drop_nul, strip_whitespace
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
    CSRF token; a link to a filtered list can be shared with a colleague."""

    class Meta:
        csrf = False

    q = StringField(
        "Name, email address or support plan reference",
        filters=[drop_nul, strip_whitespace],
        validators=[Optional(), Length(max=100, message="Search for 100 characters or fewer")],
        widget=GovTextInput(),
    )
    pot = SelectField(
        "Budget", choices=POT_CHOICES, default="", validate_choice=True, widget=GovSelect()
    )
    status = SelectField(
        "Account", choices=STATUS_CHOICES, default="", validate_choice=True, widget=GovSelect()
    )
    submit = SubmitField("Search", widget=GovSubmitInput())
