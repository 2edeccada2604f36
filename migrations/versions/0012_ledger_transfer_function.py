"""ledger: on PostgreSQL, one server-side function makes a whole transfer in one round trip

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 16:10:00

The function does what marketplace/payments/ledger.py does statement by statement on SQLite:
lock both accounts in id order, take the money from the debit account unless it may not go
negative and holds too little, insert the transfer unless its idempotency key is taken, and add
the money to the credit account. It never raises for those cases; it reports them, so the
caller's transaction stays usable:

    transfer_id   debit_balance   meaning
    set           set             done
    null          null            not enough money (nothing changed)
    null          set             the key was used before (nothing changed)
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


FUNCTION = """
CREATE FUNCTION ledger_transfer(
    p_debit integer, p_credit integer, p_amount bigint, p_code varchar, p_reference varchar,
    p_key varchar, p_reverses integer, p_created_at timestamptz,
    OUT transfer_id integer, OUT debit_balance bigint, OUT credit_balance bigint
) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM ledger_accounts WHERE id IN (p_debit, p_credit) ORDER BY id FOR UPDATE;
    UPDATE ledger_accounts SET balance_pence = balance_pence - p_amount
        WHERE id = p_debit AND (may_go_negative OR balance_pence >= p_amount)
        RETURNING balance_pence INTO debit_balance;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount_pence, code,
                                  reference, idempotency_key, reverses_id, created_at)
        VALUES (p_debit, p_credit, p_amount, p_code, p_reference, p_key, p_reverses,
                p_created_at)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id INTO transfer_id;
    IF transfer_id IS NULL THEN
        UPDATE ledger_accounts SET balance_pence = balance_pence + p_amount
            WHERE id = p_debit RETURNING balance_pence INTO debit_balance;
        RETURN;
    END IF;
    UPDATE ledger_accounts SET balance_pence = balance_pence + p_amount
        WHERE id = p_credit RETURNING balance_pence INTO credit_balance;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION ledger_transfer(integer, integer, bigint, varchar, varchar, varchar,"
            " integer, timestamptz)"
        )
