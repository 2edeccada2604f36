"""The daily alert check: every budget and booking of each council or NHS body looked at, new
alerts stored, each commissioner emailed a summary of the alerts not yet told of: the new ones,
and any found since the last summary when a commissioner opened the alerts list (which runs the
check too, but emails nobody). Running it again the same day adds no alert twice and sends no
second summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from marketplace.accounts.models import Tenant
from marketplace.clock import london_today
from marketplace.commissioning.alerts.storage import open_alert_counts, run
from marketplace.commissioning.alerts.summaries import queue_summaries
from marketplace.commissioning.models import Alert, AlertKind
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.transactions import unit_of_work


@dataclass(frozen=True)
class DailyCheck:
    new: Counter[AlertKind]
    still_open: Counter[AlertKind]
    bodies: int
    emails: int

    def summary(self) -> str:
        return (
            f"Checked {self.bodies} council(s) and NHS body(ies): "
            f"{sum(self.new.values())} new alert(s), {self.emails} summary email(s)."
        )


def not_yet_told(tenant_id: int, now: datetime) -> list[Alert]:
    """The body's open alerts no summary has told of, marked told as of `now`."""
    waiting = list(
        db.session.scalars(
            select(Alert)
            .where(
                Alert.tenant_id == tenant_id,
                Alert.emailed_at.is_(None),
                Alert.acknowledged_at.is_(None),
                Alert.cleared_at.is_(None),
            )
            .order_by(Alert.id)
            .with_for_update()
        )
    )
    for alert in waiting:
        alert.emailed_at = now
    return waiting


def check_every_body(tenant_id: int | None = None) -> DailyCheck:
    """Run the check for every body (or one); LookupError when that one does not exist."""
    query = select(Tenant).order_by(Tenant.id)
    if tenant_id is not None:
        query = query.where(Tenant.id == tenant_id)
    tenants = list(db.session.scalars(query))
    if tenant_id is not None and not tenants:
        raise LookupError(tenant_id)
    now = utcnow()
    new: Counter[AlertKind] = Counter()
    still_open: Counter[AlertKind] = Counter()
    emails = 0
    with unit_of_work():
        for tenant in tenants:
            result = run(tenant.id, today=london_today(now), now=now)
            new.update(a.kind for a in result.new)
            still_open.update(open_alert_counts(tenant.id))
            emails += queue_summaries(tenant, not_yet_told(tenant.id, now))
    return DailyCheck(new=new, still_open=still_open, bodies=len(tenants), emails=emails)
