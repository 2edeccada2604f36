"""Form pieces every domain shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Generic, TypeVar

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DateField,
    Field,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation

from marketplace.errors import DomainError
from marketplace.form_messages import make_errors_plain
from marketplace.money import (
    MAX_PENCE,
    AmountTooLarge,
    MoneyError,
    format_pence,
    parse_pounds,
    pounds_text,
)
from marketplace.widgets import Checkboxes, DateInput, Radios, example_date


def drop_nul(value: Any) -> Any:
    """NUL characters are never meant and PostgreSQL refuses them in text: take them out."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def strip_whitespace(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def text_field(
    label: str,
    *,
    required: str | None = None,
    optional: bool = False,
    max_length: int | None = None,
    too_long: str | None = None,
    checks: Sequence[Any] = (),
    area: bool = False,
    **kwargs: Any,
) -> StringField:
    """A GOV.UK text input (a textarea with `area`). `required` is the message shown when it is
    left empty; `optional` lets an empty answer skip the checks; then a length limit and `checks`.
    """
    validators: list[Any] = []
    if required:
        validators.append(DataRequired(message=required))
    elif optional:
        validators.append(Optional())
    if max_length is not None:
        limit = f"{max_length:,} characters or fewer"
        too_long = too_long or f"The {_field_noun(label)} must be {limit}"
        validators.append(Length(max=max_length, message=too_long))
    validators.extend(checks)
    if area and max_length is not None:  # a long answer is told its limit before it is sent
        hint = f"Up to {max_length:,} characters."
        kwargs["description"] = f"{kwargs.get('description', '')} {hint}".strip()
    if area:
        return TextAreaField(label, widget=GovTextArea(), validators=validators, **kwargs)
    return StringField(label, widget=GovTextInput(), validators=validators, **kwargs)


def _field_noun(label: str) -> str:
    """'First reference' -> 'first reference', 'Reason (optional)' -> 'reason'; 'DBS …' stays."""
    noun = label.removesuffix("(optional)").strip()
    return noun[:1].lower() + noun[1:] if noun[1:2].islower() else noun


def words_field(label: str, what: str, most: int, **kwargs: Any) -> StringField:
    """A textarea of up to `most` characters; a longer answer is told to keep the `what` shorter."""
    too_long = f"Keep the {what} to {most:,} characters or fewer"
    return text_field(label, area=True, max_length=most, too_long=too_long, **kwargs)


def radio_field(label: str, required: str, **kwargs: Any) -> RadioField:
    """GOV.UK radios; `required` is the message shown when none is chosen."""
    return RadioField(
        label, widget=Radios(), validators=[InputRequired(message=required)], **kwargs
    )


def checkboxes_field(label: str, required: str, **kwargs: Any) -> SelectMultipleField:
    """GOV.UK checkboxes; `required` is the message shown when none is ticked."""
    return SelectMultipleField(
        label, widget=Checkboxes(), validators=[InputRequired(message=required)], **kwargs
    )


def optional_checkboxes_field(label: str, **kwargs: Any) -> SelectMultipleField:
    """GOV.UK checkboxes where ticking none is an answer too."""
    return SelectMultipleField(
        label, widget=Checkboxes(), validators=[Optional()], default=[], **kwargs
    )


def select_field(label: str, required: str, **kwargs: Any) -> SelectField:
    """A GOV.UK select; `required` is the message shown when nothing is chosen."""
    return SelectField(
        label, widget=GovSelect(), validators=[InputRequired(message=required)], **kwargs
    )


def submit_button(label: str) -> SubmitField:
    return SubmitField(label, widget=GovSubmitInput())


def parsed_by(parse: Callable[[str], Any], *refusals: type[Exception]) -> Callable[..., None]:
    """A field check: the answer must be one `parse` accepts; its refusal is the message shown."""

    def check(form: FlaskForm, field: Any) -> None:
        try:
            parse(field.data or "")
        except refusals as error:
            raise ValidationError(str(error)) from None

    return check


def error_summary(form: FlaskForm) -> dict[str, Any]:
    """GOV.UK's error summary for a form: each field's first message, linked to the box the
    answer starts in (a date's Day box, as GOV.UK's date input asks), not the field's wrapper."""
    return {
        "titleText": "There is a problem",
        "errorList": [
            {"text": field.errors[0], "href": f"#{_first_box_id(field)}"}
            for field in form
            if field.errors
        ],
    }


def _first_box_id(field: Field) -> str:
    first_box_id = getattr(field.widget, "first_box_id", None)
    return str(first_box_id(field)) if first_box_id else str(field.id)


T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """What a form's action made, once it was carried out."""

    value: T


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            """Every field of every form drops NUL characters before it is validated."""
            filters = unbound_field.kwargs.get("filters") or ()
            unbound_field.kwargs["filters"] = [drop_nul, *filters]
            return unbound_field.bind(form=form, **options)

    submit = submit_button("Continue")

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate, then put the library's own messages into plain words."""
        valid = bool(super().validate(extra_validators))
        if make_errors_plain(self):
            self._errors = None  # recompute form.errors with the plain messages
        return valid

    # A service's name for what it refuses, where the form calls that field something else.
    domain_fields: ClassVar[dict[str, str]] = {}

    def names_a_field(self, error: DomainError) -> bool:
        """Whether the refusal is about one of this form's fields (through `domain_fields`)."""
        return self.domain_fields.get(error.field or "", error.field) in self._fields

    def add_domain_error(self, error: DomainError, default_field: str | None = None) -> None:
        """Show a service's refusal against the field it names (through `domain_fields`); when
        it names none of this form's fields, against `default_field`, else the first field."""
        name = self.domain_fields.get(error.field or "", error.field)
        if name not in self._fields:
            name = default_field
        field = self._fields.get(name or "") or next(iter(self._fields.values()))
        field.errors = [*field.errors, error.message]
        if isinstance(self.errors, dict):
            self._errors = None  # recompute form.errors with the new message

    def carry_out(
        self, action: Callable[[], T], default_field: str | None = None
    ) -> Done[T] | None:
        """When the form was sent and is valid, run `action` (a service call). Its result, or None
        when the form was not sent, not valid, or the service refused (the refusal is then
        shown on the form, as `add_domain_error` shows it)."""
        if not self.validate_on_submit():
            return None
        try:
            return Done(action())
        except DomainError as error:
            self.add_domain_error(error, default_field)
            return None

    def answers(self, *names: str) -> dict[str, Any]:
        """The named answers, stripped, as keyword arguments for a service."""
        return {name: self.stripped(name) for name in names}

    def stripped(self, name: str) -> Any:
        value = self._fields[name].data
        return value.strip() if isinstance(value, str) else value


class DateInputField(DateField):
    """A date typed into GOV.UK's three boxes (day, month, year).

    The GOV.UK widget needs exactly three raw values to show the boxes again; a request that
    sends fewer or more (only a hand-made one does) gets three, and a clear message. With
    `example_ahead`, the hint is an example date a little ahead of the day the page is shown.
    """

    data: date | None

    def __init__(
        self, label: str | None = None, *, example_ahead: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("widget", DateInput())
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(label, **kwargs)
        self.example_ahead = example_ahead

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and len(valuelist) != 3:
            self.raw_data = (list(valuelist) + ["", "", ""])[:3]
            self.data = None
            raise ValueError(f"Enter the date as day, month and year, for example {example_date()}")
        if not valuelist or not any(str(v).strip() for v in valuelist):
            self.raw_data = ["", "", ""]
            self.data = None
            return
        super().process_formdata(valuelist)


class MoneyField(Field):
    """An amount typed in pounds. `data` is integer pence, or None when the box is empty.

    The box shows back exactly what the person typed, or pounds from pence the form was given
    ('16.00'), never the pence themselves. `required` is the message when the box is empty;
    without it the box may be left empty.
    """

    data: int | None
    widget = GovTextInput()

    def __init__(
        self,
        label: str | None = None,
        validators: Any = None,
        *,
        required: str | None = None,
        most_pence: int = MAX_PENCE,
        zero_allowed: bool = False,
        what: str = "amount",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "spellcheck": "false"})
        super().__init__(label, validators, **kwargs)
        self.required_message = required
        self.most_pence = most_pence
        self.zero_allowed = zero_allowed
        self.what = what  # the field's name in its messages: "Price must be £100,000 or less"

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return pounds_text(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            return
        most = format_pence(self.most_pence, show_zero_pence=False)
        too_large = f"{self.what.capitalize()} must be {most} or less"
        try:
            pence = parse_pounds(text, self.what)
        except AmountTooLarge:
            raise ValueError(too_large) from None
        except MoneyError as error:
            raise ValueError(str(error)) from None
        if pence == 0 and not self.zero_allowed:
            article = "an" if self.what[:1] in "aeiou" else "a"
            raise ValueError(f"Enter {article} {self.what} above £0")
        if pence > self.most_pence:
            raise ValueError(too_large)
        self.data = pence

    def pre_validate(self, form: Any) -> None:
        if self.data is None and not self.process_errors and self.required_message:
            raise StopValidation(self.required_message)

    @property
    def pence(self) -> int:
        """The amount, once the form has validated a required field."""
        if self.data is None:
            raise ValueError(f"{self.name} holds no amount: validate the form first")
        return self.data
