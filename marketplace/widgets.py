"""GOV.UK Frontend widgets whose question is never lost.

govuk-frontend-wtf takes a group's legend from the field's label only when a template passes no
`fieldset` of its own; a template that only sizes the legend (`{'legend': {'classes': …}}`) would
leave the radios or checkboxes with an empty legend, so a screen reader reads the options without
the question. These widgets keep the template's classes and fill in the label as the legend.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovDateInput, GovRadioInput

from marketplace.clock import london_today

# How far ahead of today an example date is: near enough to be a date someone might choose.
EXAMPLE_AHEAD = timedelta(days=10)


def example_date() -> str:
    """A date a little ahead of today, as it is typed into the three boxes: '16 12 2026'."""
    day = london_today() + EXAMPLE_AHEAD
    return f"{day.day} {day.month} {day.year}"


class _LegendFromLabel:
    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)  # type: ignore[misc]
        fieldset = params.get("fieldset")
        if isinstance(fieldset, dict):
            legend = fieldset.setdefault("legend", {})
            if not legend.get("text") and not legend.get("html"):
                legend["text"] = field.label.text
        return params


class Radios(_LegendFromLabel, GovRadioInput):
    """Radio buttons in a fieldset whose legend is the field's label."""


class Checkboxes(_LegendFromLabel, GovCheckboxesInput):
    """A group of checkboxes in a fieldset whose legend is the field's label."""


class DateInput(_LegendFromLabel, GovDateInput):
    """Day, month and year boxes in a fieldset whose legend is the field's label.

    A required date is not marked `required` on the boxes' wrapper, where the attribute is not
    allowed and means nothing: its question and its message say it is needed. A field with
    `example_ahead` set is hinted with an example date a little ahead of the day it is shown.
    """

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        params = super().map_gov_params(field, **kwargs)
        params["attributes"].pop("required", None)
        if getattr(field, "example_ahead", False):
            params["hint"] = {"text": f"For example, {example_date()}"}
        return params

    @staticmethod
    def first_box_id(field: Any) -> str:
        """The Day box's id, where the error summary takes a person to put the date right."""
        return f"{field.name}-day"
