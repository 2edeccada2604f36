"""The forms of saved searches: save one, rename one."""

from __future__ import annotations

from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice

from marketplace.forms import BaseForm, radio_field, submit_button, text_field
from marketplace.saved_searches.services import MAX_NAME

NAME_TOO_LONG = f"Name must be {MAX_NAME} characters or fewer"


class SaveSearchForm(BaseForm):
    search = HiddenField()
    name = text_field(
        "Name for this search",
        required="Enter a name for the search",
        max_length=MAX_NAME,
        too_long=NAME_TOO_LONG,
        description="So you can tell your saved searches apart",
    )
    alerts = radio_field(
        "Do you want an email when new support matches this search?",
        "Choose whether you want an email when new support matches",
        choices=[
            SelectChoice("yes", "Yes, email me (at most once a day)"),
            SelectChoice("no", "No, I will look myself"),
        ],
    )
    submit = submit_button("Save this search")


class RenameForm(BaseForm):
    name = text_field(
        "New name", required="Enter a name for the search", max_length=MAX_NAME,
        too_long=NAME_TOO_LONG,
    )  # fmt: skip
    submit = submit_button("Save the new name")


class ConfirmForm(BaseForm):
    submit = submit_button("Delete this saved search")
