"""The only module that knows the Stripe library. Every call carries an idempotency key made from
our own row id, a timeout and retries; amounts are integer pence, as Stripe wants for GBP.

Tests point the SDK at localstripe with STRIPE_API_BASE, and plug a stripe.HTTPClient into
`app.extensions["stripe_http_client"]` for the Connect endpoints localstripe lacks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import stripe
from flask import current_app

TIMEOUT_SECONDS = 20
RETRIES = 2


class StripeNotConfigured(RuntimeError):
    """STRIPE_API_KEY is not set, so nothing can be sent to Stripe."""


class GatewayError(RuntimeError):
    """Stripe refused or could not be reached. The message is safe to log, not to show."""


def configured() -> bool:
    return bool(current_app.config.get("STRIPE_API_KEY"))


def _client() -> stripe.StripeClient:
    key = current_app.config.get("STRIPE_API_KEY")
    if not key:
        raise StripeNotConfigured("STRIPE_API_KEY is not set")
    base = current_app.config.get("STRIPE_API_BASE")
    http = current_app.extensions.get("stripe_http_client") or stripe.RequestsClient(
        timeout=TIMEOUT_SECONDS
    )
    if base:
        addresses: Any = {"api": base, "connect": base, "files": base}
        return stripe.StripeClient(
            key, base_addresses=addresses, http_client=http, max_network_retries=RETRIES
        )
    return stripe.StripeClient(key, http_client=http, max_network_retries=RETRIES)


def _call(what: str, fn: Any) -> Any:
    try:
        return fn()
    except stripe.StripeError as error:
        raise GatewayError(f"Stripe {what} failed: {error.user_message or error}") from error


@dataclass(frozen=True)
class Intent:
    id: str
    client_secret: str


def create_payment_intent(amount_pence: int, top_up_id: int) -> Intent:
    """A card PaymentIntent for a top-up; Stripe.js confirms it in the holder's browser."""
    client = _client()
    intent = _call(
        "PaymentIntent",
        lambda: client.v1.payment_intents.create(
            params={
                "amount": amount_pence,
                "currency": "gbp",
                "metadata": {"top_up_id": str(top_up_id)},
            },
            options={"idempotency_key": f"top_up:{top_up_id}"},
        ),
    )
    return Intent(intent.id, intent.client_secret or "")


def client_secret(payment_intent_id: str) -> str:
    """The PaymentIntent's client secret, which Stripe.js needs to confirm the card payment.
    Read from Stripe when the card page is shown, never stored."""
    client = _client()
    intent = _call("PaymentIntent", lambda: client.v1.payment_intents.retrieve(payment_intent_id))
    return str(intent.client_secret or "")


def refund(payment_intent_id: str, amount_pence: int, top_up_id: int) -> str:
    """Refund a top-up to the card it came from; returns the refund id."""
    client = _client()
    made = _call(
        "refund",
        lambda: client.v1.refunds.create(
            params={"payment_intent": payment_intent_id, "amount": amount_pence},
            options={"idempotency_key": f"top_up_refund:{top_up_id}"},
        ),
    )
    return str(made.id)


def create_express_account(provider_id: int, email: str | None) -> str:
    """A Stripe Connect Express account for a provider; returns its id (acct_…)."""
    client = _client()
    params: Any = {
        "type": "express",
        "country": "GB",
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {"provider_id": str(provider_id)},
    }
    if email:
        params["email"] = email
    made = _call(
        "account",
        lambda: client.v1.accounts.create(
            params=params, options={"idempotency_key": f"connect_account:{provider_id}"}
        ),
    )
    return str(made.id)


def onboarding_link(account_id: str, refresh_url: str, return_url: str) -> str:
    """A single-use link to Stripe's onboarding for the account. Links expire, so no key."""
    client = _client()
    link = _call(
        "account link",
        lambda: client.v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        ),
    )
    return str(link.url)


def transfer(amount_pence: int, destination: str, payout_id: int, description: str) -> str:
    """Send a settled amount to a provider's connected account; returns the transfer id."""
    client = _client()
    made = _call(
        "transfer",
        lambda: client.v1.transfers.create(
            params={
                "amount": amount_pence,
                "currency": "gbp",
                "destination": destination,
                "description": description[:300],
                "metadata": {"payout_id": str(payout_id)},
            },
            options={"idempotency_key": f"payout:{payout_id}"},
        ),
    )
    return str(made.id)


def parse_webhook(payload: bytes, signature: str, secret: str) -> dict[str, Any]:
    """The event if the signature over the raw body is good and it has the shape of an event
    (an id, a type and a data object). Raises ValueError otherwise."""
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret)
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise ValueError(str(error)) from error
    data = event.get("data") if isinstance(event, dict) else None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    ):
        raise ValueError("not a Stripe event: an id, a type and a data object are needed")
    return event
