"""Stripe webhook events: each stored once by id, then dispatched by type.

A replayed event finds its id already stored and changes nothing; types we do not handle, and
objects that are not ours, are acknowledged and ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.payments import payouts, topups
from marketplace.payments.models import StripeEvent


def _payment_intent_succeeded(obj: dict[str, Any]) -> None:
    topups.payment_succeeded(
        str(obj.get("id")),
        status=str(obj.get("status")),
        currency=str(obj.get("currency")),
        # amount_received is what was taken; a server without it (localstripe) gives amount.
        amount_received=obj.get("amount_received", obj.get("amount")),
    )


def _account_updated(obj: dict[str, Any]) -> None:
    payouts.account_updated(
        str(obj["id"]), bool(obj.get("charges_enabled")), bool(obj.get("payouts_enabled"))
    )


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "payment_intent.succeeded": _payment_intent_succeeded,
    "account.updated": _account_updated,
}


def handle(event: dict[str, Any]) -> bool:
    """Record and act on one verified event. False when it was seen before (a replay)."""
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(event_id=str(event["id"]), type=str(event["type"])))
    except IntegrityError:
        return False
    handler = HANDLERS.get(str(event["type"]))
    if handler is not None:
        handler(event["data"]["object"])
    return True
