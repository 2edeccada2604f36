"""`flask --app wsgi reports …`: alerts and market gap reports for commissioners."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask.cli import AppGroup

from marketplace.cli import day_option

reports_cli = AppGroup("reports", help="Alerts and market gap reports for commissioners.")


@reports_cli.command("alerts")
@click.option(
    "--tenant",
    "tenant_id",
    type=int,
    default=None,
    help="Only this council or NHS body (its id). Default: every one.",
)
def alerts_command(tenant_id: int | None) -> None:
    """Check every budget and booking for alerts and email each commissioner a summary of the
    new ones. Run it daily (from cron or a systemd timer); running it again the same day adds
    no alert twice and sends no second summary."""
    from marketplace.commissioning.alerts.daily import check_every_body
    from marketplace.commissioning.models import AlertKind

    try:
        checked = check_every_body(tenant_id)
    except LookupError:
        raise click.BadParameter(
            f"there is no council or NHS body {tenant_id}", param_hint="--tenant"
        ) from None
    for kind in AlertKind:
        click.echo(f"{kind.label}: {checked.new[kind]} new, {checked.still_open[kind]} open")
    click.echo(
        f"Checked {checked.bodies} council(s) and NHS body(ies); "
        f"queued {checked.emails} summary email(s)."
    )


@reports_cli.command("market-gaps")
@click.option("--tenant", "tenant_ref", required=True, help="The council or NHS body: id or name.")
@day_option("--from", "start", help="First day of the period (default: 12 weeks before --to).")
@day_option(
    "--to", "end", help="Last day of the period, included (default: today in Europe/London)."
)
@click.option(
    "--csv",
    "folder",
    type=click.Path(file_okay=False, writable=True),
    required=True,
    help="Folder to write one CSV file per table into (made if missing).",
)
def market_gaps_command(
    tenant_ref: str, start: datetime | None, end: datetime | None, folder: str
) -> None:
    """Write every table of the market gap report, as on /commissioning/market, one CSV each."""
    from pathlib import Path

    from sqlalchemy import select

    from marketplace.accounts.models import Tenant
    from marketplace.clock import london_today
    from marketplace.commissioning.market.export import report
    from marketplace.commissioning.market.periods import ReportError, period_for
    from marketplace.commissioning.market.rules import DEFAULT_WEEKS
    from marketplace.extensions import db

    query = select(Tenant).where(
        Tenant.id == int(tenant_ref) if tenant_ref.isdigit() else Tenant.name == tenant_ref
    )
    tenant = db.session.scalar(query)
    if tenant is None:
        raise click.BadParameter(
            f"there is no council or NHS body {tenant_ref!r}", param_hint="--tenant"
        )
    today = london_today()
    if start is not None and end is None:
        end = datetime.combine(today, datetime.min.time())
    if end is not None and start is None:
        start = end - timedelta(days=DEFAULT_WEEKS * 7 - 1)
    try:
        period = period_for(start.date() if start else None, end.date() if end else None, today)
    except ReportError as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from None
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, found in report(tenant, period).items():
        path = out / f"{name}.csv"
        path.write_text(found.csv_text(), encoding="utf-8", newline="")
        click.echo(f"{path}: {len(found.rows)} row(s)")
    click.echo(
        f"Market gap report for {tenant.name}, {period.start:%-d %B %Y} to {period.end:%-d %B %Y}."
    )


@reports_cli.command("rollup")
def rollup_command() -> None:
    """Count the search events of every whole day not yet counted into the daily roll-up the
    market gap report reads (today's are read live). Run it daily; a second run adds nothing."""
    from marketplace.clock import london_today
    from marketplace.commissioning.market.rollup import rollup
    from marketplace.extensions import db

    days = rollup(london_today())
    db.session.commit()
    if days:
        click.echo(f"Rolled up {len(days)} day(s), {days[0]:%-d %B %Y} to {days[-1]:%-d %B %Y}.")
    else:
        click.echo("Nothing to roll up: every whole day is counted.")
