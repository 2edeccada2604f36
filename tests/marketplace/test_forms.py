"""Form pieces every domain shares: where a refusal is shown, and how a date is asked for."""

from __future__ import annotations

from datetime import datetime

import pytest

from marketplace import clock
from marketplace.bookings.forms import RequestForm
from marketplace.clock import LONDON
from marketplace.errors import DomainError
from marketplace.forms import error_summary
from marketplace.meetings.forms import MeetingForm, SuggestForm
from marketplace.payments.forms import PotForm


@pytest.fixture()
def page(app):
    """A request being answered, for forms to be made and drawn in."""
    with app.test_request_context("/", method="POST"):
        yield


def test_a_refusal_naming_no_field_of_the_form_is_shown_on_the_field_the_view_names(page):
    form = SuggestForm(meta={"csrf": False})
    form.add_domain_error(DomainError("Choose a time in the future", field="times"), "day")
    assert form.day.errors == ["Choose a time in the future"]


def test_a_service_s_name_for_a_field_leads_to_the_form_s_own(page):
    form = RequestForm(meta={"csrf": False})
    form.add_domain_error(DomainError("The rota must start today or later", field="starts_on"))
    assert form.day.errors == ["The rota must start today or later"]
    assert not form.pot.errors


def test_the_error_summary_takes_a_person_to_a_date_s_day_box_and_other_fields_themselves(page):
    form = MeetingForm(meta={"csrf": False})
    form.add_domain_error(DomainError("Second time: choose a time in the future", "times.1"))
    form.way.errors = ["Choose how you would like to meet"]
    summary = error_summary(form)
    assert summary["errorList"] == [
        {"text": "Choose how you would like to meet", "href": "#way"},
        {"text": "Second time: choose a time in the future", "href": "#day_2-day"},
    ]
    assert 'id="day_2-day"' in str(form.day_2())


def test_a_required_date_s_boxes_are_not_wrapped_in_a_div_marked_required(page):
    drawn = str(SuggestForm(meta={"csrf": False}).day())
    assert '<div class="govuk-date-input" id="day">' in drawn
    assert "required" not in drawn


@pytest.mark.parametrize(
    ("today", "example"),
    [
        (datetime(2026, 12, 6, 9, 0, tzinfo=LONDON), "For example, 16 12 2026"),
        (datetime(2027, 2, 25, 9, 0, tzinfo=LONDON), "For example, 7 3 2027"),
    ],
)
def test_a_date_s_example_is_a_little_ahead_of_the_day_the_page_is_drawn(page, today, example):
    forms = [SuggestForm(meta={"csrf": False}), RequestForm(meta={"csrf": False})]
    with clock.frozen(today):
        drawn = [str(forms[0].day()), str(forms[1].day())]
        drawn += [str(MeetingForm(meta={"csrf": False})[f"day_{n}"]()) for n in (1, 2, 3)]
        drawn.append(str(PotForm(meta={"csrf": False}).starts_on()))
    for html in drawn:
        assert example in html
