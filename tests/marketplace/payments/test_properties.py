"""Property tests: any sequence of allocations, holds, releases, settlements, top-ups and refunds
keeps every invariant: balances never negative where they may not be, the ledger sums to zero,
each pot's total equals money in minus money out, and verify finds nothing."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments import ledger, services, topups
from marketplace.payments.models import AccountKind, Hold, HoldStatus, LedgerAccount, TopUp

amounts = st.integers(min_value=1, max_value=50_000)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("allocate"), amounts),
        st.tuples(st.just("hold"), amounts),
        st.tuples(st.just("release"), st.integers(0, 20)),
        st.tuples(st.just("settle"), st.integers(0, 20), st.floats(0, 1)),
        st.tuples(st.just("top_up"), amounts),
        st.tuples(st.just("refund"), st.integers(0, 20)),
    ),
    max_size=25,
)
_run = itertools.count()


def pick(items: list, index: int):
    return items[index % len(items)] if items else None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps)
def test_any_sequence_of_money_moves_keeps_the_ledger_whole(money, steps):
    run = next(_run)
    money.tenant.platform_fee_bps = 300
    # Examples share the fixture's pot, so count from where this example starts.
    money_in, money_out = services.balance(money.pot).total_pence, 0
    for step in steps:
        kind = step[0]
        try:
            if kind == "allocate":
                services.fund_pot(money.commissioner, money.pot, step[1], "Property test")
                money_in += step[1]
            elif kind == "hold":
                money.hold(step[1], f"r{run}-{next(_run)}")
            elif kind == "release":
                held = pick(
                    db.session.query(Hold)
                    .filter_by(status=HoldStatus.HELD)
                    .order_by(Hold.id)
                    .all(),
                    step[1],
                )
                if held:
                    services.release(held)
            elif kind == "settle":
                held = pick(
                    db.session.query(Hold)
                    .filter_by(status=HoldStatus.HELD)
                    .order_by(Hold.id)
                    .all(),
                    step[1],
                )
                if held:
                    services.settle(held, int(held.amount_pence * step[2]))
                    money_out += held.settled_pence + held.fee_pence
            elif kind == "top_up":
                made = TopUp(
                    pot_id=money.pot.id,
                    paid_by_id=money.holder.id,
                    amount_pence=step[1],
                    payment_intent_id=f"pi_{run}_{next(_run)}",
                    request_key=f"k{run}-{next(_run)}",
                )
                db.session.add(made)
                db.session.flush()
                topups.payment_succeeded(
                    made.payment_intent_id,
                    status="succeeded",
                    currency="gbp",
                    amount_received=step[1],
                )
                money_in += step[1]
            elif kind == "refund":
                paid = pick(
                    db.session.query(TopUp).filter_by(status="succeeded").order_by(TopUp.id).all(),
                    step[1],
                )
                if paid:
                    # The ledger side of a refund (the card side is Stripe's).
                    ledger.transfer(
                        services.available_account(money.pot),
                        topups.clearing_account(),
                        paid.amount_pence,
                        code="top_up_refund",
                        reference="property test",
                        idempotency_key=f"top_up_refund:{paid.id}",
                    )
                    paid.status = "refunded"
                    money_out += paid.amount_pence
        except services.SpendRefused:
            pass
        except ledger.InsufficientFunds:
            pass
        except DomainError as error:
            raise AssertionError(f"unexpected refusal: {error.message}") from error
        db.session.commit()
        balance = services.balance(money.pot)
        assert balance.available_pence >= 0 and balance.held_pence >= 0
        assert balance.total_pence == money_in - money_out
    assert ledger.verify() == [] and ledger.total_of_balances() == 0
    negative = db.session.query(LedgerAccount).filter(LedgerAccount.balance_pence < 0).all()
    assert {a.kind for a in negative} <= {AccountKind.FUNDING, AccountKind.STRIPE_CLEARING}
