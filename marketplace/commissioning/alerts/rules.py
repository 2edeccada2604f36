"""The five alert rules over the money and bookings. Each takes what was read (`facts`) and
returns findings; none touches the database. `compute` runs them all for one tenant.

The rules and their thresholds (constants in `limits`; a Flask setting of the name in
brackets, e.g. `create_app({"ALERT_UNSPENT_WEEKS": 6})`, overrides each):

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
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from marketplace.bookings.models import Occurrence
from marketplace.clock import LONDON
from marketplace.commissioning.alerts import facts
from marketplace.commissioning.alerts.facts import RequestCounts
from marketplace.commissioning.alerts.limits import REFUSAL_REASONS, Thresholds, thresholds
from marketplace.commissioning.models import AlertKind
from marketplace.directory.models import Provider
from marketplace.extensions import db
from marketplace.money import format_pence
from marketplace.payments.models import Pot, RefusalReason, SpendRefusal
from marketplace.payments.services import current_period_start

LISTED_REFUSALS = 20  # at most this many refusals are itemised in one alert's figures


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


def long_date(day: date) -> str:
    """A day as people read it: 5 June 2026."""
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
            f"{_plan(pot)} would run out around {long_date(runs_out_on)}, before its next "
            f"allocation on {long_date(upcoming)}. It has {format_pence(balance)} available."
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
            f"{'was' if len(group) == 1 else 'were'} refused in the week from {long_date(monday)}: "
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
            f"{long_date(monday)}: {share:.0f}% of its allocation of "
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


def dispute_message(
    occurrence: Occurrence, held: int, disputed_at: datetime, decided_at: datetime | None = None
) -> str:
    """A dispute alert's words: waiting for a decision, or decided on a day."""
    outcome = (
        f"decided on {long_date(_london_day(decided_at))}"
        if decided_at is not None
        else "is waiting for a decision"
    )
    return (
        f"The session on {occurrence.starts_at.astimezone(LONDON):%-d %B %Y} with "
        f"{occurrence.booking.provider.display_name} ({format_pence(held)} set aside) was "
        f"disputed on {long_date(_london_day(disputed_at))} and {outcome}."
    )


def disputes(
    disputed: Iterable[tuple[Occurrence, datetime | None]], now: datetime
) -> list[Finding]:
    """`disputed`: each occurrence in the disputed state and when it was disputed."""
    found = []
    for occurrence, since in disputed:
        booking = occurrence.booking
        since = since or now
        held = occurrence.hold.amount_pence if occurrence.hold else occurrence.price_pence
        message = dispute_message(occurrence, held, since)
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


def compute(
    tenant_id: int, *, today: date, now: datetime, limits: Thresholds | None = None
) -> list[Finding]:
    """Every condition the five rules find in one tenant today. Reads only."""
    limits = limits or thresholds()
    pots = facts.pots(tenant_id)
    available = facts.available(tenant_id)
    last_week = _start_of(week_start(today) - timedelta(days=7))
    settled = facts.settled_since(tenant_id, last_week)
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
            facts.requests_since(tenant_id, now - timedelta(weeks=limits.unspent_weeks)),
            weeks=limits.unspent_weeks,
            today=today,
        ),
        *running_out(
            pots,
            available,
            facts.spend_since(tenant_id, now - timedelta(weeks=limits.spend_rate_weeks)),
            weeks=limits.spend_rate_weeks,
            today=today,
        ),
        *refused_spend(facts.refusals_since(tenant_id, last_week)),
        *provider_share(
            {p.id: p for p in pots}, settled, providers, percent=limits.provider_share_percent
        ),
        *disputes(facts.disputed(tenant_id), now),
    ]
