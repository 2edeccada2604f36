"""Many people booking from one pot at the same moment, on PostgreSQL's row locks."""

from __future__ import annotations

import os
import threading

import pytest

from marketplace.directory.models import Category, Provider
from marketplace.extensions import db
from marketplace.payments import ledger, services
from marketplace.payments.models import Pot, SpendRefusal
from tests.threads import run_together

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="row locks need PostgreSQL (runs in make test)"
)


def test_fifty_holds_at_once_from_a_pot_that_covers_ten_pay_exactly_ten(money, app):
    money.fund(10 * 2_500)
    # Ids only: the threads must not touch this thread's session or its objects.
    pot_id, provider_id, category_id = money.pot.id, money.provider.id, money.pa.id
    outcomes: list[str] = []
    start = threading.Barrier(50)

    def book(n: int) -> None:
        start.wait(timeout=30)  # all at once; the pool (15 connections) queues the rest
        with app.app_context():
            try:
                pot = db.session.get(Pot, pot_id)
                provider = db.session.get(Provider, provider_id)
                category = db.session.get(Category, category_id)
                services.hold(
                    pot,
                    2_500,
                    f"booking-{n}",
                    provider=provider,
                    category=category,
                    description="1 hour",
                )
                outcomes.append("held")
            except services.SpendRefused:
                outcomes.append("refused")
            finally:
                db.session.commit()  # keeps the hold, or the record of the refusal
                db.session.remove()

    run_together(book, range(50))
    db.session.expire_all()
    assert (outcomes.count("held"), outcomes.count("refused")) == (10, 40)
    assert services.balance(money.pot) == services.PotBalance(0, 25_000)
    assert db.session.query(SpendRefusal).count() == 40
    assert ledger.verify() == [] and ledger.total_of_balances() == 0
