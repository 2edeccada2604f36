"""The money pages as people use them: commissioners set up and fund pots, holders and their
representatives read statements, providers see what they are owed."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from marketplace import clock
from marketplace.accounts.models import ConsentMethod, Representation, Role
from marketplace.clock import london_today
from marketplace.extensions import db
from marketplace.payments import services
from marketplace.payments.models import Allocation, Pot
from tests.frozen import NOW


def _set_up_pot(client, money, reference: str, allocation: str, starts_on: date):
    return client.post(
        f"/payments/holders/{money.holder.id}/pots/new",
        data={
            "kind": "health",
            "support_plan_reference": reference,
            "categories": [str(money.therapy.id)],
            "allocation": allocation,
            "every_days": "28",
            "starts_on": [str(starts_on.day), str(starts_on.month), str(starts_on.year)],
            "pa_hourly_cap": "",
        },
    )


def test_commissioner_sets_up_a_pot_from_the_form(money, sign_in):
    client = sign_in(money.commissioner)
    response = _set_up_pot(client, money, "PHB-77", "1,200.00", date(2027, 4, 1))
    assert response.status_code == 302, response.get_data(as_text=True)
    pot = db.session.query(Pot).filter_by(support_plan_reference="PHB-77").one()
    assert (pot.allocation_pence, [c.name for c in pot.categories]) == (
        120_000,
        ["Talking therapy"],
    )


def test_a_budget_whose_first_payment_is_today_has_the_money_at_once(money, sign_in):
    client = sign_in(money.commissioner)
    response = _set_up_pot(client, money, "PHB-78", "400.00", london_today())
    assert response.status_code == 302, response.get_data(as_text=True)
    statement = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "£400.00" in statement
    pot = db.session.query(Pot).filter_by(support_plan_reference="PHB-78").one()
    paid = db.session.query(Allocation).filter_by(pot_id=pot.id).order_by(Allocation.id)
    assert [a.amount_pence for a in paid] == [40_000]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12.345", "more than 2 decimal places"),
        ("-5", "must not be negative"),
        ("0", "above £0"),
        ("99999999", "£100,000 or less"),
        ("ten pounds", "pounds and pence"),
    ],
)
def test_bad_amounts_get_a_clear_message_and_move_no_money(money, sign_in, amount, message):
    client = sign_in(money.commissioner)
    response = client.post(
        f"/payments/pots/{money.pot.id}/fund",
        data={"amount": amount, "reason": "Review", "request_key": "k1"},
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert services.balance(money.pot).available_pence == 0


def test_a_double_clicked_payment_is_paid_once(money, sign_in):
    client = sign_in(money.commissioner)
    form = {"amount": "250", "reason": "Equipment agreed at review", "request_key": "same-key"}
    first = client.post(f"/payments/pots/{money.pot.id}/fund", data=form)
    second = client.post(f"/payments/pots/{money.pot.id}/fund", data=form)
    assert (first.status_code, second.status_code) == (302, 302)
    db.session.expire_all()
    assert services.balance(money.pot).available_pence == 25_000
    assert db.session.query(Allocation).count() == 1


def test_another_councils_commissioner_cannot_see_or_fund_the_pot(money, sign_in, make_user):
    stranger = make_user(Role.COMMISSIONER)
    client = sign_in(stranger)
    assert client.get(f"/payments/pots/{money.pot.id}").status_code == 404
    assert client.get(f"/payments/holders/{money.holder.id}").status_code == 404
    response = client.post(
        f"/payments/pots/{money.pot.id}/fund",
        data={"amount": "10", "reason": "x", "request_key": "k"},
    )
    assert response.status_code == 404
    assert services.balance(money.pot).available_pence == 0


def test_holder_statement_shows_movements_in_plain_words_and_downloads(money, sign_in):
    money.fund(10_000)
    services.settle(money.hold(8_400, "booking-1"))
    db.session.commit()
    client = sign_in(money.holder)
    page = client.get(f"/payments/pots/{money.pot.id}").get_data(as_text=True)
    assert "£84.00 to Moorside Care Ltd (PA) for 4 hours on Tue 3 Mar" in page
    assert "£16.00" in page  # available
    csv = client.get(f"/payments/pots/{money.pot.id}/statement.csv")
    assert 'filename="budget-' in csv.headers[
        "Content-Disposition"
    ] and "Moorside Care Ltd (PA)" in csv.get_data(as_text=True)


def test_a_representative_sees_the_statement_only_while_consent_stands(money, sign_in, make_user):
    rep = make_user(Role.REPRESENTATIVE, tenant=money.tenant)
    link = Representation(
        holder_id=money.holder.id,
        representative_id=rep.id,
        relationship_to_holder="Son",
        consent_method=ConsentMethod.HOLDER_ONLINE,
        consent_recorded_by_id=money.holder.id,
    )
    db.session.add(link)
    db.session.commit()
    client = sign_in(rep)
    assert client.get(f"/payments/pots/{money.pot.id}").status_code == 200
    from marketplace.models_base import utcnow

    link.revoked_at = utcnow()
    db.session.commit()
    assert client.get(f"/payments/pots/{money.pot.id}").status_code == 404


def test_commissioner_sees_refused_outside_plan_spend(money, sign_in):
    money.fund(10_000)
    with pytest.raises(services.SpendRefused):
        money.hold(5_000, "booking-9", category=money.therapy)
    db.session.commit()
    page = sign_in(money.commissioner).get("/payments/refusals").get_data(as_text=True)
    assert "Not in the support plan" in page and "Talking therapy" in page


def test_provider_sees_earnings_and_what_is_owed(money, sign_in):
    money.fund(10_000)
    services.settle(money.hold(8_400, "booking-1"))
    db.session.commit()
    page = sign_in(money.provider_user).get("/payments/provider").get_data(as_text=True)
    assert page.count("£84.00") == 2  # earned, and owed now
    assert "regular payment run" in page


def test_statement_lists_movements_newest_first_by_when_they_happened(sign_in, money):
    """A movement written later but dated earlier (a back-dated payment) takes its date's place."""
    money.fund(1_000)
    with clock.frozen(NOW + timedelta(days=3)):
        money.fund(3_000)
    with clock.frozen(NOW - timedelta(days=5)):
        money.fund(2_000)
    client = sign_in(money.commissioner)
    page = client.get(f"/payments/pots/{money.pot.id}").get_data(as_text=True)
    amounts = ["£30.00, Test funding", "£10.00, Test funding", "£20.00, Test funding"]
    assert [page.index(a) for a in amounts] == sorted(page.index(a) for a in amounts)
    text = client.get(f"/payments/pots/{money.pot.id}/statement.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [row[2] for row in rows] == ["30.00", "10.00", "20.00"]
