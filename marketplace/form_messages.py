"""Plain messages in place of the form library's own.

WTForms answers a value it cannot read with its own words ("Not a valid integer value.",
"'x' is not a valid choice for this field.", "Invalid Choice: could not coerce."), which mean
nothing to the people using the service and repeat what they typed. Every form swaps them for a
message about the question: the field's own "required" message where it has one (written for
that question), otherwise one made from the field's label.
"""

from __future__ import annotations

import re
from typing import Any

from wtforms import DateField, DecimalField, FloatField, IntegerField
from wtforms.validators import DataRequired, InputRequired

from marketplace.widgets import example_date

_LIBRARY_MESSAGES = re.compile(
    r"^(Not a valid \w+ value\.?|Not a valid choice\.?|Invalid Choice: could not coerce\.?"
    r"|Invalid choice\(s\).*|.* is not a valid choice for this field\.?"
    r"|.* are not valid choices for this field\.?|This field is required\.?|Invalid input\.?)$",
    flags=re.DOTALL,
)


def is_library_message(message: object) -> bool:
    return isinstance(message, str) and bool(_LIBRARY_MESSAGES.match(message))


def plain_message(field: Any) -> str:
    """What to tell a person whose answer to this field could not be read."""
    label = _question(field)
    if isinstance(field, IntegerField):
        return f"Enter a whole number for ‘{label}’, like 10"
    if isinstance(field, DecimalField | FloatField):
        return f"Enter a number for ‘{label}’, like 12.50"
    if isinstance(field, DateField):
        return f"Enter a real date for ‘{label}’, for example {example_date()}"
    for validator in field.validators:
        if isinstance(validator, InputRequired | DataRequired) and validator.message:
            return str(validator.message)
    return f"Choose one of the answers shown for ‘{label}’"


def _question(field: Any) -> str:
    return str(field.label.text).removesuffix(" (optional)").rstrip("?").strip()


def make_errors_plain(fields: Any) -> bool:
    """Replace every library message on these fields with a plain one (once per field). True
    when any message changed."""
    changed = False
    for field in fields:
        if not isinstance(field.errors, list | tuple):
            continue
        plain: list[str] = []
        for message in field.errors:
            text = plain_message(field) if is_library_message(message) else message
            changed = changed or text is not message
            if text not in plain:
                plain.append(text)
        field.errors = plain
    return changed
