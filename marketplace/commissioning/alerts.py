"""Alerts for a tenant's commissioners: five rules over the money and bookings, storing what
they find without duplicates, acknowledging, and the daily summary email.

`flask --app wsgi reports alerts` runs `run()` for every tenant once a day (from cron or a
systemd timer). Services flush and never commit; the command or the view commits once.

The rules and their thresholds (module constants; a Flask setting of the name in brackets, e.g.
`create_app({"ALERT_UNSPENT_WEEKS": 6})`, overrides each):

1. Unspent money (`UNSPENT_WEEKS` = 8, `ALERT_UNSPENT_WEEKS`): an active pot with an allocation
   schedule whose available balance is more than that many weeks of its allocation
   (`allocation_pence` per `allocation_every_days`, compared in whole pence without rounding).
   The likely cause comes from the booking requests paid from that pot made in the same number
   of weeks: declined, expired, never accepted (still waiting, or withdrawn before an answer),
   cancelled by the provider, or no requests at all.
2. Running out (`SPEND_RATE_WEEKS` = 4, `ALERT_SPEND_RATE_WEEKS`): the money set aside or paid
   from a pot (holds made in the last that-many weeks, held or settled, not those released)
   gives a daily rate; it fires when that rate times the days until the next scheduled
   allocation is more than the available balance.
3. Refused spend (`REFUSAL_REASONS`): any spend refused as outside the plan's categories or
   above the PA rate cap (payments' SpendRefusal), one alert per pot per week of refusals.
   Refusals for not enough money are left to rule 2.
4. Unusual payments (`PROVIDER_SHARE_PERCENT` = 50, `ALERT_PROVIDER_SHARE_PERCENT`): what one
   provider was paid from one pot in one week (settled holds, fee included: what left the pot)
   is more than that share of the pot's allocation (one period's `allocation_pence`).
5. Disputes: every session (occurrence) in the disputed state, one alert each.

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
do not clear.

Messages and figures hold amounts, dates, the support plan reference and provider names: what a
commissioner's own pages show. Nothing here writes to the log.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app, has_app_context, url_for
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.accounts import services as accounts
from marketplace.accounts.models import Role, Tenant, User
from marketplace.bookings.models import (
    Booking,
    BookingEvent,
    BookingState,
    Occurrence,
    OccurrenceState,
)
from marketplace.clock import LONDON
from marketplace.commissioning.models import Alert, AlertKind
from marketplace.directory.models import Provider
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.mail import queue_email
from marketplace.models_base import utcnow
from marketplace.money import format_pence
from marketplace.payments.models import (
    AccountKind,
    Hold,
    HoldStatus,
    LedgerAccount,
    Pot,
    RefusalReason,
    SpendRefusal,
)
from marketplace.payments.services import current_period_start
from marketplace.transactions import atomic

UNSPENT_WEEKS = 8
SPEND_RATE_WEEKS = 4
PROVIDER_SHARE_PERCENT = 50
REFUSAL_REASONS = (RefusalReason.OUTSIDE_PLAN, RefusalReason.ABOVE_CAP)
NOTE_MAX_LENGTH = 500
MESSAGE_MAX_LENGTH = 600
LISTED_REFUSALS = 20  # at most this many refusals are itemised in one alert's figures

# Conditions that stand until something changes (and so can clear), unlike events in a week.
STANDING_KINDS = frozenset({AlertKind.UNSPENT, AlertKind.RUNNING_OUT, AlertKind.DISPUTE})


@dataclass(frozen=True)
class Thresholds:
    unspent_weeks: int = UNSPENT_WEEKS
    spend_rate_weeks: int = SPEND_RATE_WEEKS
    provider_share_percent: int = PROVIDER_SHARE_PERCENT


def thresholds() -> Thresholds:
    """The thresholds in force: the constants above, or the app's ALERT_* settings."""
    if not has_app_context():
        return Thresholds()
    config = current_app.config
    return Thresholds(
        unspent_weeks=int(config.get("ALERT_UNSPENT_WEEKS", UNSPENT_WEEKS)),
        spend_rate_weeks=int(config.get("ALERT_SPEND_RATE_WEEKS", SPEND_RATE_WEEKS)),
        provider_share_percent=int(
            config.get("ALERT_PROVIDER_SHARE_PERCENT", PROVIDER_SHARE_PERCENT)
        ),
    )


@dataclass(frozen=True)
class Finding:
    """One condition a rule found, before it is stored as (or merged into) an alert."""

    kind: AlertKind
    subject: str  # e.g. "pot:12", "pot:12:provider:7", "occurrence:40"
    period: str  # a week's Monday or an allocation date (ISO), or "open"
    message: str
    figures: dict[str, Any]
    pot_id: int | None = None
    holder_id: int | None = None
    provider_id: int | None = None

    @property
    def subject_key(self) -> str:
        return f"{self.kind.value}:{self.subject}"

    @property
    def dedupe_key(self) -> str:
        return f"{self.subject_key}@{self.period}"


# Time: weeks run Monday to Sunday in Europe/London.


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _london_day(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in London, as a UTC time."""
    return datetime.combine(day, time(), tzinfo=LONDON).astimezone(UTC)


def _long(day: date) -> str:
    return f"{day:%-d %B %Y}"


def _plan(pot: Pot) -> str:
    return f"the budget for plan {pot.support_plan_reference}"


def _scheduled(pot: Pot) -> bool:
    return pot.allocation_every_days > 0 and pot.allocation_pence > 0


def _weekly(pot: Pot) -> int:
    """A week's worth of a pot's allocation, to the nearest penny (for showing only)."""
    share = Decimal(pot.allocation_pence * 7) / pot.allocation_every_days
    return int(share.to_integral_value(ROUND_HALF_UP))


def next_allocation(pot: Pot, today: date) -> date | None:
    """The first scheduled allocation after `today`, or None when the schedule has none."""
    if not _scheduled(pot):
        return None
    current = current_period_start(pot, today)
    if current is None:
        upcoming = pot.allocation_starts_on
    else:
        upcoming = current + timedelta(days=pot.allocation_every_days)
    if pot.allocation_ends_on is not None and upcoming > pot.allocation_ends_on:
        return None
    return upcoming


# What the rules read (one query each per tenant; nothing here writes).


def _pots(tenant_id: int) -> list[Pot]:
    return list(
        db.session.scalars(
            select(Pot).where(Pot.tenant_id == tenant_id, Pot.active.is_(True)).order_by(Pot.id)
        )
    )


def _available(tenant_id: int) -> dict[int, int]:
    """Each pot's available balance, read without creating ledger accounts."""
    rows = db.session.execute(
        select(Pot.id, LedgerAccount.balance_pence)
        .join(
            LedgerAccount,
            and_(
                LedgerAccount.kind == AccountKind.AVAILABLE,
                LedgerAccount.owner_type == "pot",
                LedgerAccount.owner_id == Pot.id,
            ),
        )
        .where(Pot.tenant_id == tenant_id)
    )
    return {pot_id: int(balance) for pot_id, balance in rows}


def _spend_since(tenant_id: int, since: datetime) -> dict[int, int]:
    """Per pot: money set aside or paid by holds made since `since` (released ones left out)."""
    spent = case(
        (Hold.status == HoldStatus.SETTLED, Hold.settled_pence + Hold.fee_pence),
        else_=Hold.amount_pence,
    )
    rows = db.session.execute(
        select(Hold.pot_id, func.sum(spent))
        .join(Pot, Hold.pot_id == Pot.id)
        .where(
            Pot.tenant_id == tenant_id,
            Hold.status.in_([HoldStatus.HELD, HoldStatus.SETTLED]),
            Hold.created_at > since,
        )
        .group_by(Hold.pot_id)
    )
    return {pot_id: int(total or 0) for pot_id, total in rows}


@dataclass
class RequestCounts:
    """What became of a pot's booking requests."""

    accepted: int = 0
    declined: int = 0
    expired: int = 0
    never_accepted: int = 0  # still waiting, or withdrawn before the provider answered
    cancelled_by_provider: int = 0

    @property
    def total(self) -> int:
        return (
            self.accepted
            + self.declined
            + self.expired
            + self.never_accepted
            + self.cancelled_by_provider
        )

    @property
    def failed(self) -> int:
        return self.total - self.accepted

    def add(self, state: BookingState, was_accepted: bool, count: int) -> None:
        if state == BookingState.DECLINED:
            self.declined += count
        elif state == BookingState.EXPIRED:
            self.expired += count
        elif state == BookingState.CANCELLED_BY_PROVIDER:
            self.cancelled_by_provider += count
        elif state == BookingState.REQUESTED or not was_accepted:
            self.never_accepted += count
        else:
            self.accepted += count


def _requests_since(tenant_id: int, since: datetime) -> dict[int, RequestCounts]:
    was_accepted = case((Booking.accepted_at.is_(None), 0), else_=1)
    rows = db.session.execute(
        select(Booking.pot_id, Booking.state, was_accepted, func.count(Booking.id))
        .join(Pot, Booking.pot_id == Pot.id)
        .where(Pot.tenant_id == tenant_id, Booking.created_at >= since)
        .group_by(Booking.pot_id, Booking.state, was_accepted)
    )
    counts: dict[int, RequestCounts] = defaultdict(RequestCounts)
    for pot_id, state, accepted, count in rows:
        counts[pot_id].add(BookingState(state), bool(accepted), int(count))
    return counts


# The rules. Each takes what was read and returns findings; none touches the database.


def likely_cause(counts: RequestCounts, weeks: int) -> str | None:
    """Why money may be building up, in words, from what became of the booking requests."""
    if counts.total == 0:
        return f"No booking requests were made from this budget in the last {weeks} weeks."
    if counts.failed == 0:
        return None
    parts = [
        (counts.declined, "{} declined"),
        (counts.expired, "expired with no answer"),
        (counts.never_accepted, "{} never accepted"),
        (counts.cancelled_by_provider, "{} cancelled by the provider"),
    ]
    said = [f"{n} " + words.format("was" if n == 1 else "were") for n, words in parts if n]
    listed = ", ".join(said[:-1]) + (" and " if len(said) > 1 else "") + said[-1]
    noun = "request" if counts.total == 1 else "requests"
    return f"Of {counts.total} booking {noun} in the last {weeks} weeks, {listed}."


def unspent_money(
    pots: Iterable[Pot],
    available: dict[int, int],
    requests: dict[int, RequestCounts],
    *,
    weeks: int,
    today: date,
) -> list[Finding]:
    found = []
    for pot in pots:
        balance = available.get(pot.id, 0)
        # balance > weeks × allocation × 7 / every_days, multiplied out to stay in whole pence
        if not _scheduled(pot) or (
            balance * pot.allocation_every_days <= weeks * 7 * pot.allocation_pence
        ):
            continue
        counts = requests.get(pot.id, RequestCounts())
        cause = likely_cause(counts, weeks)
        weeks_held = Decimal(balance * pot.allocation_every_days) / (7 * pot.allocation_pence)
        message = (
            f"The budget for plan {pot.support_plan_reference} has {format_pence(balance)} "
            f"unspent: {weeks_held:.1f} weeks of its allocation of "
            f"{format_pence(_weekly(pot))} a week, "
            f"more than the {weeks} weeks this alert allows. "
            + (f"Likely cause: {cause}" if cause else "Its booking requests were accepted.")
        )
        found.append(
            Finding(
                AlertKind.UNSPENT,
                f"pot:{pot.id}",
                week_start(today).isoformat(),
                message,
                {
                    "available_pence": balance,
                    "allocation_pence": pot.allocation_pence,
                    "allocation_every_days": pot.allocation_every_days,
                    "weekly_allocation_pence": _weekly(pot),
                    "weeks_of_allocation": f"{weeks_held:.1f}",
                    "threshold_weeks": weeks,
                    "likely_cause": cause,
                    "requests": {
                        "total": counts.total,
                        "accepted": counts.accepted,
                        "declined": counts.declined,
                        "expired": counts.expired,
                        "never_accepted": counts.never_accepted,
                        "cancelled_by_provider": counts.cancelled_by_provider,
                    },
                },
                pot_id=pot.id,
                holder_id=pot.holder_id,
            )
        )
    return found


def running_out(
    pots: Iterable[Pot],
    available: dict[int, int],
    spend: dict[int, int],
    *,
    weeks: int,
    today: date,
) -> list[Finding]:
    found = []
    window_days = weeks * 7
    for pot in pots:
        upcoming = next_allocation(pot, today)
        spent = spend.get(pot.id, 0)
        if upcoming is None or spent <= 0:
            continue
        balance, days_left = available.get(pot.id, 0), (upcoming - today).days
        # spent / window_days a day for days_left days is more than the balance
        if spent * days_left <= balance * window_days:
            continue
        runs_out_on = today + timedelta(days=balance * window_days // spent)
        weekly_rate = int((Decimal(spent * 7) / window_days).to_integral_value(ROUND_HALF_UP))
        message = (
            f"At the rate of the last {weeks} weeks ({format_pence(weekly_rate)} a week), "
            f"{_plan(pot)} would run out around {_long(runs_out_on)}, before its next "
            f"allocation on {_long(upcoming)}. It has {format_pence(balance)} available."
        )
        found.append(
            Finding(
                AlertKind.RUNNING_OUT,
                f"pot:{pot.id}",
                upcoming.isoformat(),
                message,
                {
                    "available_pence": balance,
                    "spent_pence": spent,
                    "spend_rate_weeks": weeks,
                    "weekly_rate_pence": weekly_rate,
                    "next_allocation_on": upcoming.isoformat(),
                    "days_to_next_allocation": days_left,
                    "runs_out_on": runs_out_on.isoformat(),
                },
                pot_id=pot.id,
                holder_id=pot.holder_id,
            )
        )
    return found


def refused_spend(refusals: Iterable[SpendRefusal]) -> list[Finding]:
    weeks: dict[tuple[int, date], list[SpendRefusal]] = defaultdict(list)
    for refusal in refusals:
        if refusal.reason in REFUSAL_REASONS:
            weeks[(refusal.pot_id, week_start(_london_day(refusal.created_at)))].append(refusal)
    found = []
    for (pot_id, monday), group in sorted(weeks.items()):
        pot = group[0].pot
        reasons = Counter(r.reason for r in group)
        total = sum(r.amount_pence for r in group)
        how = [
            f"{reasons[reason]} {words}"
            for reason, words in (
                (RefusalReason.OUTSIDE_PLAN, "outside the support plan"),
                (RefusalReason.ABOVE_CAP, "above the hourly rate cap"),
            )
            if reasons[reason]
        ]
        attempts = "attempt" if len(group) == 1 else "attempts"
        message = (
            f"{len(group)} {attempts} to spend {format_pence(total)} from {_plan(pot)} "
            f"{'was' if len(group) == 1 else 'were'} refused in the week from {_long(monday)}: "
            f"{' and '.join(how)}."
        )
        found.append(
            Finding(
                AlertKind.REFUSED_SPEND,
                f"pot:{pot_id}",
                monday.isoformat(),
                message,
                {
                    "week_starting": monday.isoformat(),
                    "outside_plan": reasons[RefusalReason.OUTSIDE_PLAN],
                    "above_cap": reasons[RefusalReason.ABOVE_CAP],
                    "total_pence": total,
                    "refusals": [
                        {
                            "at": r.created_at.isoformat(),
                            "reason": r.reason.value,
                            "category": r.category.name,
                            "provider": r.provider.display_name,
                            "amount_pence": r.amount_pence,
                        }
                        for r in sorted(group, key=lambda r: r.id)[:LISTED_REFUSALS]
                    ],
                },
                pot_id=pot_id,
                holder_id=pot.holder_id,
            )
        )
    return found


@dataclass
class _Paid:
    pence: int = 0
    payments: int = 0


def provider_share(
    pots: dict[int, Pot],
    settled: Iterable[tuple[int, int, datetime, int]],
    providers: dict[int, Provider],
    *,
    percent: int,
) -> list[Finding]:
    """`settled`: (pot id, provider id, when settled, pence that left the pot) per hold."""
    paid: dict[tuple[int, int, date], _Paid] = defaultdict(_Paid)
    for pot_id, provider_id, closed_at, pence in settled:
        week = paid[(pot_id, provider_id, week_start(_london_day(closed_at)))]
        week.pence += pence
        week.payments += 1
    found = []
    for (pot_id, provider_id, monday), week in sorted(paid.items()):
        pot = pots.get(pot_id)
        if pot is None or pot.allocation_pence <= 0:
            continue
        if week.pence * 100 <= percent * pot.allocation_pence:
            continue
        share = Decimal(week.pence * 100) / pot.allocation_pence
        name = providers[provider_id].display_name
        message = (
            f"{name} was paid {format_pence(week.pence)} from {_plan(pot)} in the week from "
            f"{_long(monday)}: {share:.0f}% of its allocation of "
            f"{format_pence(pot.allocation_pence)}, above the {percent}% this alert allows."
        )
        found.append(
            Finding(
                AlertKind.PROVIDER_SHARE,
                f"pot:{pot_id}:provider:{provider_id}",
                monday.isoformat(),
                message,
                {
                    "week_starting": monday.isoformat(),
                    "paid_pence": week.pence,
                    "payments": week.payments,
                    "allocation_pence": pot.allocation_pence,
                    "share_percent": f"{share:.1f}",
                    "threshold_percent": percent,
                },
                pot_id=pot_id,
                holder_id=pot.holder_id,
                provider_id=provider_id,
            )
        )
    return found


def disputes(
    disputed: Iterable[tuple[Occurrence, datetime | None]], now: datetime
) -> list[Finding]:
    """`disputed`: each occurrence in the disputed state and when it was disputed."""
    found = []
    for occurrence, since in disputed:
        booking = occurrence.booking
        since = since or now
        held = occurrence.hold.amount_pence if occurrence.hold else occurrence.price_pence
        message = (
            f"The session on {occurrence.starts_at.astimezone(LONDON):%-d %B %Y} with "
            f"{booking.provider.display_name} ({format_pence(held)} set aside) was disputed on "
            f"{_long(_london_day(since))} and is waiting for a decision."
        )
        found.append(
            Finding(
                AlertKind.DISPUTE,
                f"occurrence:{occurrence.id}",
                "open",
                message,
                {
                    "booking_id": booking.id,
                    "occurrence_id": occurrence.id,
                    "session_at": occurrence.starts_at.isoformat(),
                    "held_pence": held,
                    "disputed_at": since.isoformat(),
                    "days_open": (now - since).days,
                },
                pot_id=booking.pot_id,
                holder_id=booking.holder_id,
                provider_id=booking.provider_id,
            )
        )
    return found


def _refusals_since(tenant_id: int, since: datetime) -> list[SpendRefusal]:
    return list(
        db.session.scalars(
            select(SpendRefusal)
            .where(
                SpendRefusal.tenant_id == tenant_id,
                SpendRefusal.reason.in_(REFUSAL_REASONS),
                SpendRefusal.created_at >= since,
            )
            .order_by(SpendRefusal.id)
        )
    )


def _settled_since(tenant_id: int, since: datetime) -> list[tuple[int, int, datetime, int]]:
    rows = db.session.execute(
        select(Hold.pot_id, Hold.provider_id, Hold.closed_at, Hold.settled_pence + Hold.fee_pence)
        .join(Pot, Hold.pot_id == Pot.id)
        .where(
            Pot.tenant_id == tenant_id,
            Hold.status == HoldStatus.SETTLED,
            Hold.closed_at >= since,
        )
    )
    return [(p, v, at, int(pence)) for p, v, at, pence in rows if pence]


def _disputed(tenant_id: int) -> list[tuple[Occurrence, datetime | None]]:
    occurrences = list(
        db.session.scalars(
            select(Occurrence)
            .join(Booking, Occurrence.booking_id == Booking.id)
            .join(Pot, Booking.pot_id == Pot.id)
            .where(Pot.tenant_id == tenant_id, Occurrence.state == OccurrenceState.DISPUTED)
            .order_by(Occurrence.id)
        )
    )
    if not occurrences:
        return []
    rows = db.session.execute(
        select(BookingEvent.occurrence_id, func.max(BookingEvent.at))
        .where(
            BookingEvent.occurrence_id.in_([o.id for o in occurrences]),
            BookingEvent.to_state == OccurrenceState.DISPUTED.value,
        )
        .group_by(BookingEvent.occurrence_id)
    )
    since: dict[int | None, datetime] = {occurrence_id: at for occurrence_id, at in rows}
    return [(o, since.get(o.id)) for o in occurrences]


def compute(
    tenant_id: int, *, today: date, now: datetime, limits: Thresholds | None = None
) -> list[Finding]:
    """Every condition the five rules find in one tenant today. Reads only."""
    limits = limits or thresholds()
    pots = _pots(tenant_id)
    available = _available(tenant_id)
    last_week = _start_of(week_start(today) - timedelta(days=7))
    settled = _settled_since(tenant_id, last_week)
    providers = {
        p.id: p
        for p in db.session.scalars(
            select(Provider).where(Provider.id.in_({row[1] for row in settled}))
        )
    }
    return [
        *unspent_money(
            pots,
            available,
            _requests_since(tenant_id, now - timedelta(weeks=limits.unspent_weeks)),
            weeks=limits.unspent_weeks,
            today=today,
        ),
        *running_out(
            pots,
            available,
            _spend_since(tenant_id, now - timedelta(weeks=limits.spend_rate_weeks)),
            weeks=limits.spend_rate_weeks,
            today=today,
        ),
        *refused_spend(_refusals_since(tenant_id, last_week)),
        *provider_share(
            {p.id: p for p in pots}, settled, providers, percent=limits.provider_share_percent
        ),
        *disputes(_disputed(tenant_id), now),
    ]


# Storing what the rules found.


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


# The daily summary email.


def _alerts_link() -> str:
    try:
        return url_for("alerts.index", _external=True)
    except RuntimeError:  # no SERVER_NAME outside a request: the path is the best we have
        return "/commissioning/alerts/"


def queue_summaries(tenant: Tenant, new_alerts: list[Alert]) -> int:
    """One email to each active commissioner of `tenant` saying how many new alerts of each
    kind there are, with a link to the alerts page. Returns how many were queued."""
    if not new_alerts:
        return 0
    counts = Counter(a.kind for a in new_alerts)
    lines = "\n".join(f"- {kind.label}: {counts[kind]}" for kind in AlertKind if counts[kind])
    total = len(new_alerts)
    subject = f"{total} new alert{'s' if total != 1 else ''} for {tenant.name}"
    people = accounts.commissioners_of(tenant.id)
    for person in people:
        body = (
            f"Hello {person.full_name},\n\nToday's check of budgets and bookings in "
            f"{tenant.name} found {total} new alert{'s' if total != 1 else ''}:\n\n{lines}\n\n"
            f"See them and acknowledge them: {_alerts_link()}\n"
        )
        queue_email(person.email, subject, body, template="alerts_summary")
    return len(people)


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
    alert = db.session.get(Alert, alert_id)
    if (
        alert is None
        or commissioner.role != Role.COMMISSIONER
        or commissioner.tenant_id is None
        or alert.tenant_id != commissioner.tenant_id
    ):
        raise NotFound("There is no alert with this reference")
    return alert


@atomic
def acknowledge(commissioner: User, alert: Alert, note: str, now: datetime | None = None) -> Alert:
    """Close an alert with the commissioner's note (required, at most NOTE_MAX_LENGTH
    characters), recording who and when in the audit log. Raises NotFound for another
    tenant's alert and DomainError for a missing or long note or an alert already closed."""
    alert = alert_for_commissioner(commissioner, alert.id)
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
    audit.record(
        "alert.acknowledged",
        "alert",
        alert.id,
        actor_id=commissioner.id,
        tenant_id=alert.tenant_id,
        kind=alert.kind.value,
    )
    db.session.flush()
    return alert


def _pounds(figures: dict[str, Any], key: str) -> str:
    value = figures.get(key)
    return format_pence(int(value)) if isinstance(value, int) else "–"


def _day(text: Any) -> str:
    try:
        return _long(date.fromisoformat(str(text)[:10]))
    except ValueError:
        return "–"


def figure_rows(alert: Alert) -> list[tuple[str, str]]:
    """The figures that fired an alert, as (label, value) rows for its page."""
    f = alert.figures or {}
    if alert.kind == AlertKind.UNSPENT:
        asked = f.get("requests") or {}
        return [
            ("Available now", _pounds(f, "available_pence")),
            ("Allocation", f"{_pounds(f, 'allocation_pence')} every "
             f"{f.get('allocation_every_days', '–')} days "
             f"({_pounds(f, 'weekly_allocation_pence')} a week)"),
            ("Weeks of allocation unspent", f"{f.get('weeks_of_allocation', '–')} "
             f"(alert above {f.get('threshold_weeks', '–')})"),
            (f"Booking requests in the last {f.get('threshold_weeks', '–')} weeks",
             f"{asked.get('total', 0)}: {asked.get('accepted', 0)} accepted, "
             f"{asked.get('declined', 0)} declined, {asked.get('expired', 0)} expired, "
             f"{asked.get('never_accepted', 0)} never accepted, "
             f"{asked.get('cancelled_by_provider', 0)} cancelled by the provider"),
            ("Likely cause", f.get("likely_cause") or "None shown by the data"),
        ]  # fmt: skip
    if alert.kind == AlertKind.RUNNING_OUT:
        return [
            ("Available now", _pounds(f, "available_pence")),
            (f"Set aside or paid in the last {f.get('spend_rate_weeks', '–')} weeks",
             _pounds(f, "spent_pence")),
            ("Spending rate", f"{_pounds(f, 'weekly_rate_pence')} a week"),
            ("Runs out around", _day(f.get("runs_out_on"))),
            ("Next allocation", f"{_day(f.get('next_allocation_on'))} "
             f"(in {f.get('days_to_next_allocation', '–')} days)"),
        ]  # fmt: skip
    if alert.kind == AlertKind.REFUSED_SPEND:
        rows = [
            ("Week starting", _day(f.get("week_starting"))),
            ("Outside the support plan", str(f.get("outside_plan", 0))),
            ("Above the hourly rate cap", str(f.get("above_cap", 0))),
            ("Amount refused in all", _pounds(f, "total_pence")),
        ]
        for item in f.get("refusals") or []:
            reason = RefusalReason(item["reason"]).label
            rows.append(
                (
                    f"Refused {_day(item.get('at'))}",
                    f"{_pounds(item, 'amount_pence')} for {item.get('category', '–')} from "
                    f"{item.get('provider', '–')}: {reason}",
                )
            )
        return rows
    if alert.kind == AlertKind.PROVIDER_SHARE:
        return [
            ("Week starting", _day(f.get("week_starting"))),
            ("Paid to the provider from this budget", _pounds(f, "paid_pence")),
            ("Payments", str(f.get("payments", "–"))),
            ("Allocation", _pounds(f, "allocation_pence")),
            ("Share of the allocation", f"{f.get('share_percent', '–')}% "
             f"(alert above {f.get('threshold_percent', '–')}%)"),
        ]  # fmt: skip
    return [
        ("Session", _day(f.get("session_at"))),
        ("Set aside", _pounds(f, "held_pence")),
        ("Disputed on", _day(f.get("disputed_at"))),
    ]
