"""Storing what the rules found as alerts, without duplicates, and reading and acknowledging
them for the pages. Services flush and never commit; the command or the view commits once.

Periods and duplicates. Each alert's `dedupe_key` is kind, subject and period (unique per
tenant): the week (its Monday, Europe/London) for rules 1, 3 and 4 (for 3 and 4, the week of
the refusals or payments, so a daily run looks back to the start of last week and nothing on a
Sunday evening is missed), the next allocation date for rule 2, and `open` for a dispute. A run
that finds a condition again updates the open alert's figures and `last_seen_at` instead of
adding one; rules 1, 2 and 5 describe a standing condition, so they update the open alert of the
same subject even from an earlier period. Once acknowledged, an alert is not changed again; the
same condition found in a later period (next week, the next allocation period) is a new alert.

When a standing condition (rules 1, 2, 5) goes away, its open alert stays open until someone
acknowledges it, with `cleared_at` set (shown as "condition cleared"); if the condition comes
back before then, `cleared_at` is unset again. Rules 3 and 4 record things that happened; they
do not clear. A dispute's open alert is reworded as decided, with the day, when the commissioner
decides it (`dispute_decided`), without waiting for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts.access import in_own_tenant
from marketplace.accounts.models import User
from marketplace.bookings.models import Occurrence
from marketplace.commissioning.alerts.limits import Thresholds
from marketplace.commissioning.alerts.rules import Finding, compute, dispute_message
from marketplace.commissioning.models import Alert, AlertKind
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.transactions import atomic, locked

NOTE_MAX_LENGTH = 500
MESSAGE_MAX_LENGTH = 600

# Conditions that stand until something changes (and so can clear), unlike events in a week.
STANDING_KINDS = frozenset({AlertKind.UNSPENT, AlertKind.RUNNING_OUT, AlertKind.DISPUTE})


@dataclass
class RunResult:
    new: list[Alert] = field(default_factory=list)
    updated: list[Alert] = field(default_factory=list)
    cleared: list[Alert] = field(default_factory=list)


def _refresh(alert: Alert, finding: Finding, now: datetime) -> None:
    alert.message = finding.message[:MESSAGE_MAX_LENGTH]
    alert.figures = finding.figures
    alert.last_seen_at = now
    alert.cleared_at = None


def _insert(tenant_id: int, finding: Finding, now: datetime) -> Alert | None:
    """A new alert, or None when a run at the same moment stored this key first."""
    alert = Alert(
        tenant_id=tenant_id,
        kind=finding.kind,
        pot_id=finding.pot_id,
        holder_id=finding.holder_id,
        provider_id=finding.provider_id,
        message=finding.message[:MESSAGE_MAX_LENGTH],
        figures=finding.figures,
        dedupe_key=finding.dedupe_key,
        first_seen_at=now,
        last_seen_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(alert)
    except IntegrityError:
        return None
    return alert


def store(tenant_id: int, findings: list[Finding], *, now: datetime) -> RunResult:
    """Store findings as alerts: new ones added, open ones updated, acknowledged ones left alone
    until a later period; open standing alerts no longer found are marked cleared. Flushes."""
    keys = [f.dedupe_key for f in findings]
    same_key = {
        a.dedupe_key: a
        for start in range(0, len(keys), 500)
        for a in db.session.scalars(
            select(Alert).where(
                Alert.tenant_id == tenant_id, Alert.dedupe_key.in_(keys[start : start + 500])
            )
        )
    }
    standing = {
        a.subject_key: a
        for a in db.session.scalars(
            select(Alert)
            .where(
                Alert.tenant_id == tenant_id,
                Alert.acknowledged_at.is_(None),
                Alert.kind.in_(STANDING_KINDS),
            )
            .order_by(Alert.id)
        )
    }
    result = RunResult()
    for finding in findings:
        alert = same_key.get(finding.dedupe_key)
        if alert is None and finding.kind in STANDING_KINDS:
            alert = standing.get(finding.subject_key)
        if alert is None:
            made = _insert(tenant_id, finding, now)
            if made is not None:
                result.new.append(made)
        elif alert.is_open:
            _refresh(alert, finding, now)
            result.updated.append(alert)
    found = {f.subject_key for f in findings}
    for alert in standing.values():
        if alert.subject_key not in found and alert.cleared_at is None:
            alert.cleared_at = now
            result.cleared.append(alert)
    db.session.flush()
    return result


def run(
    tenant_id: int, *, today: date, now: datetime, limits: Thresholds | None = None
) -> RunResult:
    """Compute and store one tenant's alerts. Safe to run any number of times a day."""
    return store(tenant_id, compute(tenant_id, today=today, now=now, limits=limits), now=now)


def dispute_decided(tenant_id: int, occurrence: Occurrence, decided_at: datetime) -> Alert | None:
    """Say on the open alert about this session's dispute that it was decided, and when. The
    alert stays open until a commissioner acknowledges it; an acknowledged one is not changed.
    None when there is no open alert. Flushes."""
    alert = db.session.scalars(
        select(Alert).where(
            Alert.tenant_id == tenant_id,
            Alert.dedupe_key == f"{AlertKind.DISPUTE.value}:occurrence:{occurrence.id}@open",
            Alert.acknowledged_at.is_(None),
        )
    ).first()
    if alert is None:
        return None
    figures = dict(alert.figures or {})
    held = int(figures.get("held_pence") or occurrence.price_pence)
    since = figures.get("disputed_at")
    disputed_at = datetime.fromisoformat(since) if since else alert.first_seen_at
    message = dispute_message(occurrence, held, disputed_at, decided_at)
    alert.message = message[:MESSAGE_MAX_LENGTH]
    alert.figures = {**figures, "decided_at": decided_at.isoformat()}
    db.session.flush()
    return alert


# Reading and acknowledging, for the pages.


def open_alert_counts(tenant_id: int) -> dict[AlertKind, int]:
    """Open (unacknowledged) alerts of each kind in the tenant; every kind present, 0 when none."""
    rows = db.session.execute(
        select(Alert.kind, func.count(Alert.id))
        .where(Alert.tenant_id == tenant_id, Alert.acknowledged_at.is_(None))
        .group_by(Alert.kind)
    )
    found = {AlertKind(kind): int(count) for kind, count in rows}
    return {kind: found.get(kind, 0) for kind in AlertKind}


STATUSES = ("open", "acknowledged")


def alerts_query(
    commissioner: User, *, kind: AlertKind | None = None, status: str | None = None
) -> Select[tuple[Alert]]:
    """The commissioner's tenant's alerts, open ones first, most recently seen first."""
    query = select(Alert).where(Alert.tenant_id == commissioner.tenant_id)
    if kind is not None:
        query = query.where(Alert.kind == kind)
    if status == "open":
        query = query.where(Alert.acknowledged_at.is_(None))
    elif status == "acknowledged":
        query = query.where(Alert.acknowledged_at.is_not(None))
    open_first = case((Alert.acknowledged_at.is_(None), 0), else_=1)
    return query.order_by(open_first, Alert.last_seen_at.desc(), Alert.id.desc())


def alert_for_commissioner(commissioner: User, alert_id: int) -> Alert:
    """The alert if it belongs to the commissioner's tenant. Raises NotFound otherwise, so
    nobody learns another tenant's alerts exist."""
    return in_own_tenant(commissioner, db.session.get(Alert, alert_id), lambda a: a.tenant_id)


@atomic
def acknowledge(commissioner: User, alert: Alert, note: str, now: datetime | None = None) -> Alert:
    """Close an alert with the commissioner's note (required, at most NOTE_MAX_LENGTH
    characters), recording who and when in the audit log. Raises NotFound for another
    tenant's alert and DomainError for a missing or long note or an alert already closed."""
    alert = alert_for_commissioner(commissioner, alert.id)
    locked(Alert, alert.id)  # of two at once, the second sees it acknowledged
    note = (note or "").strip()
    if not note:
        raise DomainError("Enter a note saying what you have done or decided", field="note")
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(f"Keep the note to {NOTE_MAX_LENGTH} characters or fewer", field="note")
    if alert.acknowledged_at is not None:
        raise DomainError("This alert has already been acknowledged", field="note")
    alert.acknowledged_at = now or utcnow()
    alert.acknowledged_by_id = commissioner.id
    alert.acknowledgement_note = note
    audit.note("alert.acknowledged", alert, commissioner, kind=alert.kind.value)
    db.session.flush()
    return alert


def running_out_for(holder_ids: list[int], today: date) -> list[Alert]:
    """Budgets of these holders that the last daily check found would run out before their
    next allocation, and that still do (not cleared), the soonest to run out first. The
    holders' home pages read them, whatever a commissioner has done with the alert."""
    found = db.session.scalars(
        select(Alert)
        .where(
            Alert.kind == AlertKind.RUNNING_OUT,
            Alert.holder_id.in_(holder_ids),
            Alert.cleared_at.is_(None),
        )
        .order_by(Alert.last_seen_at.desc(), Alert.id.desc())
    )
    latest: dict[int | None, Alert] = {}
    for alert in found:
        if alert.figures.get("next_allocation_on", "") > today.isoformat():
            latest.setdefault(alert.pot_id, alert)
    return sorted(latest.values(), key=lambda a: a.figures.get("runs_out_on", ""))
