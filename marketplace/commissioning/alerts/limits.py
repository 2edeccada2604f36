"""The limits the alert rules fire above (the Flask setting `ALERT_` and the constant's name
overrides each, e.g. `create_app({"ALERT_UNSPENT_WEEKS": 6})`), and the refusals that count.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_app_context

from marketplace.payments.models import RefusalReason

UNSPENT_WEEKS = 8
SPEND_RATE_WEEKS = 4
PROVIDER_SHARE_PERCENT = 50
REFUSAL_REASONS = (RefusalReason.OUTSIDE_PLAN, RefusalReason.ABOVE_CAP)


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
