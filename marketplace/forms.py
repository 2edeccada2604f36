"""Form pieces every domain shares."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from marketplace.errors import DomainError


class BaseForm(FlaskForm):
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
