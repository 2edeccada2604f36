"""The ledger: balances change only by transfers, never below zero, and always add up."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.models import AccountKind, LedgerAccount, LedgerTransfer
from tests.threads import run_together


@pytest.fixture()
def accounts(app_ctx):
    funding = ledger.account(AccountKind.FUNDING, "tenant", 1, may_go_negative=True)
    available = ledger.account(AccountKind.AVAILABLE, "pot", 10)
    held = ledger.account(AccountKind.HELD, "pot", 10)
    db.session.commit()
    return funding, available, held


def fund(funding, available, pence, key="allocation:1"):
    made = ledger.transfer(
        funding, available, pence, code="allocation", reference="Four-weekly", idempotency_key=key
    )
    db.session.commit()
    return made


def test_an_allocation_moves_money_from_funding_to_the_pot(accounts):
    funding, available, _ = accounts
    fund(funding, available, 120_000)
    assert available.balance_pence == 120_000
    assert funding.balance_pence == -120_000
    assert ledger.total_of_balances() == 0
    assert ledger.verify() == []


def test_a_pot_cannot_pay_more_than_it_holds(accounts):
    funding, available, held = accounts
    fund(funding, available, 5_000)
    with pytest.raises(ledger.InsufficientFunds):
        ledger.transfer(
            available, held, 5_001, code="hold", reference="b1", idempotency_key="hold:1"
        )
    db.session.rollback()
    assert db.session.get(LedgerAccount, available.id).balance_pence == 5_000
    assert (
        db.session.scalars(select(LedgerTransfer).where(LedgerTransfer.code == "hold")).all() == []
    )


def test_a_replayed_transfer_changes_nothing(accounts):
    funding, available, _ = accounts
    first = fund(funding, available, 2_500, key="allocation:42")
    again = fund(funding, available, 2_500, key="allocation:42")
    assert again.id == first.id
    assert available.balance_pence == 2_500
    assert db.session.query(LedgerTransfer).count() == 1


def test_a_key_reused_for_a_different_amount_is_refused(accounts):
    funding, available, _ = accounts
    fund(funding, available, 2_500, key="allocation:7")
    with pytest.raises(ledger.IdempotencyConflict):
        fund(funding, available, 9_999, key="allocation:7")


@pytest.mark.parametrize("amount", [0, -1, 1.5, True])
def test_transfers_are_whole_pence_above_zero(accounts, amount):
    funding, available, _ = accounts
    with pytest.raises(DomainError):
        ledger.transfer(funding, available, amount, code="x", reference="x", idempotency_key="k")


def test_a_mistake_is_corrected_by_a_reversing_transfer_once(accounts):
    funding, available, _ = accounts
    wrong = fund(funding, available, 7_000)
    undo = ledger.reverse(wrong, reason="allocated to the wrong pot")
    again = ledger.reverse(wrong, reason="clicked twice")
    db.session.commit()
    assert undo.id == again.id and undo.reverses_id == wrong.id
    assert available.balance_pence == 0 and funding.balance_pence == 0
    assert db.session.query(LedgerTransfer).count() == 2  # the original stays on record


def test_the_database_refuses_an_overdrawn_account_even_without_the_service(accounts):
    _, available, _ = accounts
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(LedgerAccount).where(LedgerAccount.id == available.id).values(balance_pence=-1)
        )
        db.session.flush()
    db.session.rollback()


def test_verify_finds_a_balance_edited_behind_the_ledgers_back(accounts, app):
    funding, available, _ = accounts
    fund(funding, available, 3_000)
    db.session.execute(
        update(LedgerAccount).where(LedgerAccount.id == available.id).values(balance_pence=3_100)
    )
    db.session.commit()
    problems = ledger.verify()
    assert [p.account_key for p in problems] == [available.key]
    assert problems[0].from_transfers_pence == 3_000
    result = app.test_cli_runner().invoke(args=["payments", "verify"])
    assert result.exit_code == 1
    assert "MISMATCH available:pot:10" in result.output


def test_verify_command_passes_on_a_whole_ledger(accounts, app):
    funding, available, _ = accounts
    fund(funding, available, 3_000)
    result = app.test_cli_runner().invoke(args=["payments", "verify"])
    assert result.exit_code == 0, result.output
    assert "Ledger verified" in result.output


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="row locks need PostgreSQL (runs in make test)"
)
def test_concurrent_spending_never_overdraws_a_pot_on_postgresql(accounts, app):
    funding, available, held = accounts
    fund(funding, available, 10_000)
    # Ids read here: the threads must not touch this thread's session or its objects.
    available_id, held_id = available.id, held.id
    outcomes: list[str] = []

    def spend(n: int) -> None:
        with app.app_context():
            source = db.session.get(LedgerAccount, available_id)
            target = db.session.get(LedgerAccount, held_id)
            try:
                ledger.transfer(
                    source,
                    target,
                    3_000,
                    code="hold",
                    reference=f"b{n}",
                    idempotency_key=f"hold:{n}",
                )
                db.session.commit()
                outcomes.append("paid")
            except ledger.InsufficientFunds:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    run_together(spend, range(8), timeout=30)
    db.session.expire_all()
    assert outcomes.count("paid") == 3 and outcomes.count("refused") == 5
    assert db.session.get(LedgerAccount, available_id).balance_pence == 1_000
    assert ledger.verify() == []
