"""Alerts for a tenant's commissioners: five rules over the money and bookings, storing what
they find without duplicates, acknowledging, and the daily summary email.

`flask --app wsgi reports alerts` runs `run()` for every tenant once a day (from cron or a
systemd timer). Services flush and never commit; the command or the view commits once.

Messages and figures hold amounts, dates, the support plan reference and provider names: what a
commissioner's own pages show. Nothing here writes to the log.

The rooms: `limits` (the thresholds and the settings that change them), `facts` (what the
rules read), `rules` (the five rules, described there), `storage` (alerts stored without
duplicates, read and acknowledged), `summaries` (the daily email and an alert's figures in
words) and `views` (the pages). This module only re-exports their public names.
"""

from __future__ import annotations

from marketplace.commissioning.alerts.facts import RequestCounts
from marketplace.commissioning.alerts.limits import (
    PROVIDER_SHARE_PERCENT,
    REFUSAL_REASONS,
    SPEND_RATE_WEEKS,
    UNSPENT_WEEKS,
    Thresholds,
    thresholds,
)
from marketplace.commissioning.alerts.rules import (
    LISTED_REFUSALS,
    Finding,
    compute,
    disputes,
    likely_cause,
    next_allocation,
    provider_share,
    refused_spend,
    running_out,
    unspent_money,
    week_start,
)
from marketplace.commissioning.alerts.storage import (
    MESSAGE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    STANDING_KINDS,
    STATUSES,
    RunResult,
    acknowledge,
    alert_for_commissioner,
    alerts_query,
    open_alert_counts,
    run,
    store,
)
from marketplace.commissioning.alerts.summaries import figure_rows, queue_summaries

__all__ = [
    "UNSPENT_WEEKS",
    "SPEND_RATE_WEEKS",
    "PROVIDER_SHARE_PERCENT",
    "REFUSAL_REASONS",
    "NOTE_MAX_LENGTH",
    "MESSAGE_MAX_LENGTH",
    "LISTED_REFUSALS",
    "STANDING_KINDS",
    "Thresholds",
    "thresholds",
    "Finding",
    "week_start",
    "next_allocation",
    "RequestCounts",
    "likely_cause",
    "unspent_money",
    "running_out",
    "refused_spend",
    "provider_share",
    "disputes",
    "compute",
    "RunResult",
    "store",
    "run",
    "queue_summaries",
    "open_alert_counts",
    "STATUSES",
    "alerts_query",
    "alert_for_commissioner",
    "acknowledge",
    "figure_rows",
]
