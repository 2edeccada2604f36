"""What alerts say to people: the daily summary email to a tenant's commissioners, and an
alert's figures as rows for its page.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Tenant
from marketplace.commissioning.alerts.rules import long_date
from marketplace.commissioning.models import Alert, AlertKind
from marketplace.mail import link, queue_email
from marketplace.money import format_pence
from marketplace.payments.models import RefusalReason


def _alerts_link() -> str:
    return link("alerts.index")


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


def _pounds(figures: dict[str, Any], key: str) -> str:
    value = figures.get(key)
    return format_pence(int(value)) if isinstance(value, int) else "–"


def _day(text: Any) -> str:
    try:
        return long_date(date.fromisoformat(str(text)[:10]))
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
        *([("Decided on", _day(f.get("decided_at")))] if f.get("decided_at") else []),
    ]
