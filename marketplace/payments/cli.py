"""`flask --app wsgi payments …`"""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from marketplace.cli import day_option
from marketplace.clock import london_today
from marketplace.money import format_pence
from marketplace.payments import ledger

payments_cli = AppGroup("payments", help="Budget accounts and the ledger.")


def ledger_problems() -> list[str]:
    """Every balance that differs from its transfers, and balances that do not add up to 0."""
    found = [
        f"{problem.account_key}: balance {format_pence(problem.balance_pence)}, "
        f"transfers add up to {format_pence(problem.from_transfers_pence)}"
        for problem in ledger.verify()
    ]
    total = ledger.total_of_balances()
    if total != 0:
        found.append(f"the balances add up to {total} pence, not 0")
    return found


@payments_cli.command("verify")
def verify() -> None:
    """Recompute every balance from the transfers; exit 1 on any difference."""
    problems = ledger_problems()
    for problem in problems:
        click.echo(f"MISMATCH {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("Ledger verified: every balance matches its transfers.")


@payments_cli.command("allocate")
@day_option(
    "--date", "on_date", help="Pay what is due on this date (default: today in Europe/London)."
)
def allocate(on_date: datetime | None) -> None:
    """Pay every scheduled allocation that is due. Running it again pays nothing twice."""
    from marketplace.extensions import db
    from marketplace.payments import services

    today = on_date.date() if on_date else london_today()
    made = services.allocate_due(today)
    db.session.commit()
    total = sum(a.amount_pence for a in made)
    click.echo(
        f"Paid {len(made)} allocation(s) due by {today:%-d %B %Y}, {format_pence(total)} in all."
    )


@payments_cli.command("payout-run")
def payout_run() -> None:
    """Pay providers what they are owed: Stripe transfers when STRIPE_API_KEY is set, otherwise
    a payment run per council (CSV for its finance system) that a commissioner confirms."""
    from marketplace.payments import payouts

    done = payouts.pay_providers()
    for payout_id, why in done.not_sent:
        click.echo(f"Payout {payout_id} not sent: {why}", err=True)
    click.echo(done.summary())
    for run_id in done.run_ids():
        click.echo(f"Run {run_id}: download and confirm it at /payments/payout-runs/{run_id}")
