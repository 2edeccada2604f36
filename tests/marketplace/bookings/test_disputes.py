"""Deciding a dispute: once, with the amount kept on the form when it is too much, shown as
paid (or not) on the booking page, audited, and said on the commissioner's alert."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.audit import AuditEvent
from marketplace.bookings import services
from marketplace.bookings.models import Occurrence, OccurrenceState
from marketplace.clock import london_today
from marketplace.commissioning import alerts
from marketplace.extensions import db
from marketplace.payments import services as payments
from marketplace.transactions import unit_of_work
from tests.threads import run_together

from .conftest import TODAY
from .test_bookings import assert_ledger_whole, balances, one_off
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


def test_a_decided_dispute_cannot_be_decided_again(app, world, disputed):
    w = world
    commissioner = signed_in(app, w.commissioner)
    url = RESOLVE.format(disputed.id)
    first = commissioner.post(url, data={"amount": "10", "note": "Two hours worked"})
    assert first.status_code == 302
    assert paid_to_provider(w) == 1000 and balances(w).available_pence == 99_000

    again = commissioner.get(url).get_data(as_text=True)
    assert "was already decided" in again and w.commissioner.full_name in again
    assert "£10.00" in again and "£50.00" in again  # paid, and returned to the budget
    assert 'name="amount"' not in again and "is set aside" not in again

    resent = commissioner.post(url, data={"amount": "5", "note": "Changed my mind"})
    html = commissioner.get(f"/bookings/{disputed.booking_id}").get_data(as_text=True)
    assert resent.status_code == 409 and "was already decided" in resent.get_data(as_text=True)
    assert "money has moved" not in html and "Changed my mind" not in html
    assert paid_to_provider(w) == 1000 and balances(w).available_pence == 99_000
    assert_ledger_whole()


def test_a_second_decision_read_before_the_first_is_refused_under_the_lock(world, disputed):
    """The second of two decisions sent at once read the session as disputed; once the first is
    committed, the service reads it again under the lock and refuses, saying what was decided."""
    w = world
    services.resolve_dispute(w.commissioner, disputed, 1000, "Two hours worked")
    db.session.commit()
    set_committed_value(disputed, "state", OccurrenceState.DISPUTED)  # as the second saw it
    with pytest.raises(services.NotDisputed, match="already decided .* paid £10.00 of £60.00"):
        services.resolve_dispute(w.commissioner, disputed, 6000, "All of it")
    db.session.commit()
    assert disputed.state == OccurrenceState.CONFIRMED
    assert paid_to_provider(w) == 1000 and balances(w).available_pence == 99_000
    assert_ledger_whole()


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="row locks need PostgreSQL (runs in make test)"
)
def test_two_decisions_at_once_pay_once(app, world, disputed):
    w = world
    commissioner_id, occurrence_id = w.commissioner.id, disputed.id
    outcomes: list[str] = []

    def decide(pence: int) -> None:
        from marketplace.accounts.models import User

        with app.app_context():
            try:
                with unit_of_work():
                    user = db.session.get(User, commissioner_id)
                    found = db.session.get(Occurrence, occurrence_id)
                    services.resolve_dispute(user, found, pence, "Decided")
                outcomes.append("decided")
            except services.NotDisputed:
                outcomes.append("already decided")
            finally:
                db.session.remove()

    run_together(decide, [1000, 2000])
    assert sorted(outcomes) == ["already decided", "decided"]
    assert paid_to_provider(w) in (1000, 2000)
    assert_ledger_whole()


@pytest.mark.parametrize(
    ("pence", "session", "history"),
    [
        (
            1000,
            "£10.00 paid of £60.00 after a dispute",
            "the provider was paid £10.00 of £60.00 and £50.00 went back to the budget",
        ),
        (
            0,
            "Not paid: the council decided after a dispute",
            "the provider was not paid and the £60.00 went back to the budget",
        ),
        (6000, "£60.00 paid in full after a dispute", "the provider was paid in full (£60.00)"),
    ],
)
def test_the_booking_page_shows_what_the_decision_paid(
    app, world, disputed, pence, session, history
):
    w = world
    services.resolve_dispute(w.commissioner, disputed, pence, "Only two hours were worked")
    db.session.commit()
    for person in (w.holder, w.provider_user, w.commissioner):
        html = signed_in(app, person).get(f"/bookings/{disputed.booking_id}").get_data(True)
        assert session in html and history in html
        assert "“Only two hours were worked”" in html
        assert "Done and paid</td>" not in html and "Cancelled</td>" not in html


def test_a_decision_is_in_the_audit_log_without_the_note(world, disputed):
    w = world
    services.resolve_dispute(w.commissioner, disputed, 1000, "Only two hours were worked")
    db.session.commit()
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "session.dispute_decided")
    ).all()
    assert (event.actor_id, event.tenant_id) == (w.commissioner.id, w.holder.tenant_id)
    assert (event.subject_type, event.subject_id) == ("occurrence", disputed.id)
    assert event.detail == {
        "booking_id": disputed.booking_id,
        "paid_pence": 1000,
        "returned_pence": 5000,
    }


def test_the_dispute_alert_says_it_was_decided_and_stays_open(world, disputed):
    w, now = world, disputed.ends_at
    [alert] = alerts.run(w.holder.tenant_id, today=london_today(now), now=now).new
    assert alert.message.endswith("is waiting for a decision.")
    services.resolve_dispute(w.commissioner, disputed, 1000, "Two hours worked")
    db.session.commit()
    decided_on = f"{london_today():%-d %B %Y}"
    assert alert.message.endswith(f"and decided on {decided_on}.") and alert.is_open
    assert ("Decided on", decided_on) in alerts.figure_rows(alert)
