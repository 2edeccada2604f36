"""Form pieces every domain shares."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput
from wtforms import DateField, SubmitField

from marketplace.errors import DomainError


def drop_nul(value: Any) -> Any:
    """NUL characters are never meant and PostgreSQL refuses them in text: take them out."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def strip_whitespace(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            """Every field of every form drops NUL characters before it is validated."""
            filters = unbound_field.kwargs.get("filters") or ()
            unbound_field.kwargs["filters"] = [drop_nul, *filters]
            return unbound_field.bind(form=form, **options)

    submit = SubmitField("Continue", widget=GovSubmitInput())

    def add_domain_error(self, error: DomainError, default_field: str | None = None) -> None:
        """Show a service's refusal against the field it names, or the form's first field."""
        name = error.field or default_field or next(iter(self._fields))
        field = self._fields.get(name) or next(iter(self._fields.values()))
        field.errors = [*field.errors, error.message]
        if isinstance(self.errors, dict):
            self._errors = None  # recompute form.errors with the new message

    def stripped(self, name: str) -> Any:
        value = self._fields[name].data
        return value.strip() if isinstance(value, str) else value


class DateInputField(DateField):
    """A date typed into GOV.UK's three boxes (day, month, year).

    The GOV.UK widget needs exactly three raw values to show the boxes again; a request that
    sends fewer or more (only a hand-made one does) gets three, and a clear message.
    """

    data: date | None

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovDateInput())
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and len(valuelist) != 3:
            self.raw_data = (list(valuelist) + ["", "", ""])[:3]
            self.data = None
            raise ValueError("Enter the date as day, month and year, for example 27 11 2026")
        if not valuelist or not any(str(v).strip() for v in valuelist):
            self.raw_data = ["", "", ""]
            self.data = None
            return
        super().process_formdata(valuelist)
