"""`flask --app wsgi reports …`: alerts and market gap reports for commissioners."""

from __future__ import annotations

import click
from flask.cli import AppGroup

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
    from collections import Counter

    from sqlalchemy import select

    from marketplace.accounts.models import Tenant
    from marketplace.clock import london_today
    from marketplace.commissioning import alerts
    from marketplace.commissioning.models import AlertKind
    from marketplace.extensions import db
    from marketplace.models_base import utcnow

    query = select(Tenant).order_by(Tenant.id)
    if tenant_id is not None:
        query = query.where(Tenant.id == tenant_id)
    tenants = list(db.session.scalars(query))
    if tenant_id is not None and not tenants:
        raise click.BadParameter(
            f"there is no council or NHS body {tenant_id}", param_hint="--tenant"
        )
    now = utcnow()
    new: Counter[AlertKind] = Counter()
    still_open: Counter[AlertKind] = Counter()
    emails = 0
    for tenant in tenants:
        result = alerts.run(tenant.id, today=london_today(now), now=now)
        new.update(a.kind for a in result.new)
        still_open.update(alerts.open_alert_counts(tenant.id))
        emails += alerts.queue_summaries(tenant, result.new)
    db.session.commit()
    for kind in AlertKind:
        click.echo(f"{kind.label}: {new[kind]} new, {still_open[kind]} open")
    click.echo(
        f"Checked {len(tenants)} council(s) and NHS body(ies); queued {emails} summary email(s)."
    )
