"""Deciding a dispute: once, with the amount kept on the form when it is too much, shown as
paid (or not) on the booking page, audited, and said on the commissioner's alert."""

from __future__ import annotations

import pytest

from marketplace.bookings import services
from marketplace.bookings.models import Occurrence, OccurrenceState
from marketplace.extensions import db
from marketplace.payments import services as payments

from .conftest import TODAY
from .test_bookings import balances, one_off
from .test_marks import signed_in

RESOLVE = "/bookings/sessions/{}/resolve"


@pytest.fixture()
def disputed(world) -> Occurrence:
    """A four-hour session at £15 an hour (£60.00 set aside), delivered and disputed."""
    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    [occurrence] = booking.occurrences
    services.mark_delivered(w.provider_user, occurrence, 240, now=occurrence.ends_at)
    services.dispute(w.holder, occurrence, "Left after two hours")
    db.session.commit()
    return occurrence


def paid_to_provider(w) -> int:
    db.session.expire_all()
    return payments.payable_account(w.provider.id).balance_pence


@pytest.mark.parametrize("amount", ["100", "60.01", "1,000"])
def test_an_amount_above_what_is_set_aside_stays_on_the_form(app, world, disputed, amount):
    page = signed_in(app, world.commissioner).post(
        RESOLVE.format(disputed.id), data={"amount": amount, "note": "Two hours worked"}
    )
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "There is a problem" in html and 'href="#amount"' in html
    assert html.count("Enter an amount between £0 and £60.00") == 2  # summary and field
    assert f'value="{amount}"' in html and "Two hours worked" in html
    db.session.expire_all()
    assert disputed.state == OccurrenceState.DISPUTED and balances(world).held_pence == 6000
