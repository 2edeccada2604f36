"""Holds, release and settlement: what a booking does to a pot, and what the rules refuse."""

from __future__ import annotations

import pytest

from marketplace.directory.models import ProviderKind
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments import ledger, services, statements
from marketplace.payments.models import HoldStatus, RefusalReason, SpendRefusal


def assert_ledger_whole() -> None:
    assert ledger.verify() == [] and ledger.total_of_balances() == 0


def test_a_hold_sets_money_aside_and_settling_pays_the_provider(money):
    money.fund(10_000)
    held = money.hold(8_400, "booking-1")
    db.session.commit()
    assert services.balance(money.pot) == services.PotBalance(1_600, 8_400)
    services.settle(held)
    db.session.commit()
    assert services.balance(money.pot) == services.PotBalance(1_600, 0)
    assert services.payable_account(money.provider.id).balance_pence == 8_400
    assert held.status == HoldStatus.SETTLED
    assert_ledger_whole()


def test_the_tenants_platform_fee_is_kept_from_the_settlement(money):
    money.tenant.platform_fee_bps = 250  # 2.5%
    money.fund(10_000)
    held = services.settle(money.hold(8_400, "booking-1"))
    db.session.commit()
    assert (held.settled_pence, held.fee_pence) == (8_190, 210)
    assert services.payable_account(money.provider.id).balance_pence == 8_190
    assert services.platform_fee_account().balance_pence == 210
    assert_ledger_whole()


def test_a_part_settlement_returns_the_rest_to_the_pot(money):
    money.fund(10_000)
    services.settle(money.hold(8_000, "booking-1"), 2_000)  # a late-cancellation charge
    db.session.commit()
    assert services.balance(money.pot) == services.PotBalance(8_000, 0)
    assert_ledger_whole()


def test_release_returns_the_money_and_twice_changes_nothing(money):
    money.fund(10_000)
    held = money.hold(8_400, "booking-1")
    services.release(held)
    services.release(held)
    db.session.commit()
    assert services.balance(money.pot) == services.PotBalance(10_000, 0)
    with pytest.raises(DomainError, match="returned to the budget"):
        services.settle(held)
    assert_ledger_whole()


def test_the_same_reference_twice_holds_once(money):
    money.fund(10_000)
    first = money.hold(3_000, "booking-1")
    again = money.hold(3_000, "booking-1")
    db.session.commit()
    assert first.id == again.id
    assert services.balance(money.pot).held_pence == 3_000


def test_holder_cannot_book_beyond_pot_balance_and_the_refusal_is_recorded(money):
    money.fund(5_000)
    with pytest.raises(services.SpendRefused) as refused:
        money.hold(8_400, "booking-1")
    db.session.commit()
    assert refused.value.message == (
        "Your budget has £50.00 available and this needs £84.00, so it cannot be paid for"
    )
    assert services.balance(money.pot) == services.PotBalance(5_000, 0)
    assert db.session.query(SpendRefusal).one().reason == RefusalReason.NOT_ENOUGH_MONEY


def test_spend_outside_the_plan_is_refused_and_commissioners_see_the_attempt(money):
    money.fund(50_000)
    with pytest.raises(services.SpendRefused, match="not in your support plan"):
        money.hold(6_000, "booking-1", category=money.therapy)
    db.session.commit()
    seen = statements.refusals_for(money.commissioner)
    assert [(r.reason, r.category.name) for r in seen] == [
        (RefusalReason.OUTSIDE_PLAN, "Talking therapy")
    ]
    assert services.balance(money.pot).available_pence == 50_000


def test_a_personal_assistant_rate_above_the_cap_is_refused(money):
    money.provider.kind = ProviderKind.PERSONAL_ASSISTANT
    money.fund(50_000)
    with pytest.raises(services.SpendRefused, match="£30.00 an hour is above the £25.00"):
        money.hold(12_000, "booking-1", hourly_rate_pence=3_000)
    assert money.hold(10_000, "booking-2", hourly_rate_pence=2_500).amount_pence == 10_000


def test_the_cap_is_for_personal_assistants_not_for_agencies_listed_under_pa_support(money):
    assert money.provider.kind == ProviderKind.CARE_AGENCY
    money.fund(50_000)
    assert money.hold(12_000, "booking-1", hourly_rate_pence=3_000).amount_pence == 12_000


@pytest.mark.parametrize("amount", [0, -100, 10**15, 12.5, True])
def test_bad_amounts_are_refused_and_move_nothing(money, amount):
    money.fund(10_000)
    with pytest.raises(DomainError):
        money.hold(amount, "booking-x")
    assert services.balance(money.pot) == services.PotBalance(10_000, 0)


def test_statement_says_in_plain_words_where_the_money_went(money):
    money.fund(10_000)
    services.settle(money.hold(8_400, "booking-1"))
    db.session.commit()
    words = [line.words for line in statements.pot_statement(money.pot)]
    assert words == [
        "£84.00 to Moorside Care Ltd (PA) for 4 hours on Tue 3 Mar",
        "£84.00 set aside for Moorside Care Ltd (PA) for 4 hours on Tue 3 Mar",
        "Paid in by your council or NHS body: £100.00, Test funding",
    ]
    text = statements.statement_csv(statements.pot_statement(money.pot))
    assert "£84.00 to Moorside Care Ltd (PA)" in text and ",0.00,-84.00" in text
    earned = statements.provider_money(money.provider)
    assert (earned.earned_pence, earned.payable_pence, earned.paid_out_pence) == (8_400, 8_400, 0)
