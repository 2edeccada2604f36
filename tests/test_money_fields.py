"""Every amount of money a person types comes back as they typed it when the form has an error.

A box that showed pence ("1600" for "16.00") would, saved again, publish a price 100 times too
high. Every form field for money is the one `MoneyField`: this walks every form of the service.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from werkzeug.datastructures import MultiDict

import marketplace
import provider_onboarding
from marketplace.forms import BaseForm, MoneyField


def _forms_modules() -> None:
    for package in (marketplace, provider_onboarding):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.rsplit(".", 1)[-1] == "forms":
                importlib.import_module(info.name)


def _all_forms() -> list[type[BaseForm]]:
    _forms_modules()
    found, todo = [], list(BaseForm.__subclasses__())
    while todo:
        form = todo.pop()
        found.append(form)
        todo.extend(form.__subclasses__())
    return sorted(set(found), key=lambda form: form.__qualname__)


def _money_fields() -> list[tuple[type[BaseForm], str]]:
    return [
        (form, name)
        for form in _all_forms()
        for name, unbound in vars(form).items()
        if getattr(unbound, "field_class", None) is MoneyField
    ]


MONEY_FIELDS = _money_fields()
# A wrong answer in another field, for forms where leaving the rest empty is allowed.
ANOTHER_WRONG_FIELD = {"OfferForm": {"note": "x" * 2001}}


def test_the_service_has_money_fields_to_check():
    names = {f"{form.__name__}.{name}" for form, name in MONEY_FIELDS}
    assert {
        "ListingForm.price",
        "FundPotForm.amount",
        "TopUpForm.amount",
        "PotForm.allocation",
        "PotForm.pa_hourly_cap",
        "OfferForm.price",
        "ResolveForm.amount",
    } <= names


def test_every_box_asking_for_pounds_is_a_money_field(app):
    with app.test_request_context():
        for form_class in _all_forms():
            form = form_class(formdata=None)
            for field in form:
                if "pound" in str(field.label.text).lower():
                    assert isinstance(field, MoneyField), f"{form_class.__name__}.{field.name}"


@pytest.mark.parametrize("typed", ["16.00", "1,234.5", "£7"])
@pytest.mark.parametrize(
    ("form_class", "name"), MONEY_FIELDS, ids=[f"{f.__name__}.{n}" for f, n in MONEY_FIELDS]
)
def test_a_typed_amount_comes_back_as_typed_when_another_field_is_wrong(
    app, form_class, name, typed
):
    data = MultiDict({name: typed, **ANOTHER_WRONG_FIELD.get(form_class.__name__, {})})
    with app.test_request_context(method="POST", data=data):
        form = form_class()
        for field in form:
            if getattr(field, "choices", ()) is None:
                field.choices = []  # choices the view fills in from the database

        assert not form.validate()
        assert name not in form.errors
        assert f'value="{typed}"' in str(form[name]())
        assert form[name].data == int(round(float(typed.strip("£").replace(",", "")) * 100))


def test_an_amount_given_in_pence_shows_in_pounds(app):
    with app.test_request_context():
        form = _form_with_money_field(formdata=None)
        form.price.data = 160_000

        assert re.search(r'value="1600\.00"', str(form.price()))


def _form_with_money_field(**kwargs: object) -> BaseForm:
    from provider_onboarding.forms import ListingForm

    return ListingForm(**kwargs)


def test_a_wrong_amount_is_shown_back_with_the_reason(app):
    with app.test_request_context(method="POST", data=MultiDict({"price": "12.345"})):
        form = _form_with_money_field()

        assert not form.validate()
        assert form.errors["price"] == ["Price must not have more than 2 decimal places"]
        assert 'value="12.345"' in str(form.price())
