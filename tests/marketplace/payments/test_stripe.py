"""Card top-ups, webhooks and payouts.

- Webhooks: signed the way Stripe signs them (HMAC-SHA256 over "timestamp.body").
- PaymentIntents, refunds and webhook delivery: a real localstripe server (PyPI) on 127.0.0.1,
  delivering signed events to the app served on 127.0.0.1.
- Stripe Connect (which localstripe lacks): the stripe SDK's pluggable HTTP client answering with
  Stripe's own example objects (data/stripe_connect_objects.json, from stripe/openapi, MIT).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe

from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.payments import ledger, payouts, services
from marketplace.payments.models import (
    ConnectAccount,
    Payout,
    PayoutRun,
    PayoutStatus,
    StripeEvent,
    TopUp,
    TopUpStatus,
)
from provider_onboarding.models import ProviderBankDetails
from tests.conftest import served

SECRET = "whsec_test_secret"
OBJECTS = json.loads((Path(__file__).parent / "data" / "stripe_connect_objects.json").read_text())


def signed(event: dict[str, Any], secret: str = SECRET) -> tuple[bytes, str]:
    body = json.dumps(event).encode()
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={mac}"


def event(kind: str, obj: dict[str, Any], event_id: str = "evt_1") -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}


def paid(intent_id: str, pence: int, **changes: Any) -> dict[str, Any]:
    """A PaymentIntent as Stripe sends it in payment_intent.succeeded."""
    return {
        "id": intent_id,
        "object": "payment_intent",
        "status": "succeeded",
        "currency": "gbp",
        "amount": pence,
        "amount_received": pence,
        **changes,
    }


@pytest.fixture()
def webhook_secret(app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)


def pending_top_up(money, intent_id: str = "pi_test_1", pence: int = 5_000) -> TopUp:
    made = TopUp(
        pot_id=money.pot.id,
        paid_by_id=money.holder.id,
        amount_pence=pence,
        payment_intent_id=intent_id,
        request_key=intent_id,
    )
    db.session.add(made)
    db.session.commit()
    return made


def post_event(client, payload: bytes, signature: str):
    return client.post(
        "/payments/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def test_a_signed_payment_succeeded_event_credits_the_pot_once_however_often_replayed(
    money, client, webhook_secret
):
    pending_top_up(money)
    body, signature = signed(event("payment_intent.succeeded", paid("pi_test_1", 5_000)))
    statuses = [post_event(client, body, signature).status_code for _ in range(10)]
    assert statuses == [200] * 10
    db.session.expire_all()
    assert services.balance(money.pot).available_pence == 5_000
    assert db.session.query(StripeEvent).count() == 1
    assert ledger.verify() == [] and ledger.total_of_balances() == 0


@pytest.mark.parametrize(
    "forge",
    [
        lambda body, sig: (body, sig.replace("v1=", "v1=0")),  # wrong signature
        lambda body, sig: (body.replace(b"5000", b"9000"), sig),  # body changed after signing
        lambda body, sig: (body, ""),  # no signature
        lambda body, sig: signed(json.loads(body), secret="whsec_someone_else"),
    ],
)
def test_a_forged_webhook_gets_400_and_moves_no_money(money, client, webhook_secret, forge):
    pending_top_up(money)
    body, signature = forge(*signed(event("payment_intent.succeeded", paid("pi_test_1", 5000))))
    assert post_event(client, body, signature).status_code == 400
    assert services.balance(money.pot).available_pence == 0
    assert db.session.query(StripeEvent).count() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_received": 9_000_000},  # more than our top-up was for
        {"amount_received": 100},
        {"currency": "usd"},
        {"status": "processing"},
        {"amount_received": "5000"},
    ],
)
def test_a_succeeded_event_that_disagrees_with_our_top_up_credits_nothing_and_is_recorded(
    money, client, webhook_secret, changes
):
    made = pending_top_up(money)
    body, signature = signed(event("payment_intent.succeeded", paid("pi_test_1", 5_000, **changes)))
    assert post_event(client, body, signature).status_code == 200
    db.session.expire_all()
    assert services.balance(money.pot).available_pence == 0
    assert db.session.get(TopUp, made.id).status == TopUpStatus.PENDING
    [noted] = db.session.query(AuditEvent).filter_by(action="top_up.mismatch").all()
    assert noted.subject_id == made.id and noted.detail["expected_pence"] == 5_000


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        json.dumps({"id": "evt_x", "type": "payment_intent.succeeded"}).encode(),
        json.dumps({"id": "evt_x", "type": "payment_intent.succeeded", "data": {}}).encode(),
        json.dumps({"id": "evt_x", "type": "x", "data": {"object": []}}).encode(),
    ],
)
def test_a_signed_body_that_is_not_an_event_gets_400(money, client, webhook_secret, body):
    stamp = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert post_event(client, body, f"t={stamp},v1={mac}").status_code == 400
    assert db.session.query(StripeEvent).count() == 0


def test_events_that_are_not_ours_are_acknowledged_and_ignored(money, client, webhook_secret):
    for n, (kind, obj) in enumerate(
        [
            ("customer.created", {"id": "cus_1"}),
            ("payment_intent.succeeded", paid("pi_someone_elses", 100)),
            ("account.updated", {"id": "acct_unknown", "charges_enabled": True}),
        ]
    ):
        assert post_event(client, *signed(event(kind, obj, f"evt_{n}"))).status_code == 200
    assert ledger.total_of_balances() == 0 and services.balance(money.pot).available_pence == 0


# localstripe: a real server speaking Stripe's API, for PaymentIntents, refunds and webhooks.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    command = shutil.which("localstripe", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("localstripe is not installed (pip install -e .[dev])")
    port = free_port()
    # It listens on every interface; we only ever talk to it on 127.0.0.1.
    process = subprocess.Popen(  # noqa: S603
        [command, "--from-scratch", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture()
def live_app(app) -> Iterator[str]:
    """The app served on 127.0.0.1 so localstripe can deliver webhooks to it."""
    with served(app) as base_url:
        yield base_url


@pytest.fixture()
def stripe_on(app, monkeypatch, localstripe, webhook_secret) -> stripe.StripeClient:
    monkeypatch.setitem(app.config, "STRIPE_API_KEY", "sk_test_localstripe")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe)
    return stripe.StripeClient("sk_test_localstripe", base_addresses={"api": localstripe})


def wait_until(check, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def test_card_top_up_through_localstripe_credits_the_pot_by_webhook_and_refunds(
    money, sign_in, stripe_on, live_app, localstripe
):
    import requests

    requests.post(
        f"{localstripe}/_config/webhooks/marketplace",
        data={"url": f"{live_app}/payments/stripe/webhook", "secret": SECRET},
        timeout=10,
    ).raise_for_status()
    client = sign_in(money.holder)
    form = {"amount": "50.00", "request_key": "click-1"}
    first = client.post(f"/payments/pots/{money.pot.id}/top-up", data=form)
    again = client.post(f"/payments/pots/{money.pot.id}/top-up", data=form)  # double-click
    assert first.status_code == again.status_code == 302
    top_up = db.session.query(TopUp).one()
    assert top_up.payment_intent_id and top_up.payment_intent_id.startswith("pi_")
    # What Stripe.js does in the holder's browser: attach a card and confirm.
    card = stripe_on.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    stripe_on.v1.payment_intents.update(
        top_up.payment_intent_id, params={"payment_method": card.id}
    )
    stripe_on.v1.payment_intents.confirm(top_up.payment_intent_id)
    wait_until(lambda: db.session.get(TopUp, top_up.id).status == TopUpStatus.SUCCEEDED)
    assert services.balance(money.pot).available_pence == 5_000

    response = client.post(f"/payments/top-ups/{top_up.id}/refund", data={})
    assert response.status_code == 302
    db.session.expire_all()
    refunded = db.session.get(TopUp, top_up.id)
    assert refunded.status == TopUpStatus.REFUNDED and refunded.refund_id.startswith("re_")
    assert services.balance(money.pot).available_pence == 0
    assert ledger.verify() == [] and ledger.total_of_balances() == 0


def test_a_top_up_already_spent_cannot_be_refunded(money, sign_in, webhook_secret, client):
    made = pending_top_up(money)
    post_event(client, *signed(event("payment_intent.succeeded", paid("pi_test_1", 5_000))))
    money.hold(4_000, "booking-1")
    db.session.commit()
    client = sign_in(money.holder)
    page = client.post(f"/payments/top-ups/{made.id}/refund", follow_redirects=True)
    assert "cannot be refunded now" in page.get_data(as_text=True)
    db.session.expire_all()
    assert services.balance(money.pot) == services.PotBalance(1_000, 4_000)


# Stripe Connect through the SDK's pluggable HTTP client.


class StripeFixtures(stripe.HTTPClient):
    """Answers Connect calls with Stripe's own example objects and records what was sent."""

    name = "fixtures"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, dict[str, list[str]], str | None]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = url.split("://", 1)[1].split("/", 1)[1]
        form = parse_qs(post_data or "")
        self.sent.append((method, "/" + path, form, (headers or {}).get("Idempotency-Key")))
        if path.startswith("v1/accounts"):
            body = OBJECTS["account"]
        elif path.startswith("v1/account_links"):
            body = OBJECTS["account_link"]
        elif path.startswith("v1/transfers"):
            body = {**OBJECTS["transfer"], "amount": int(form["amount"][0]), "currency": "gbp"}
        else:
            return json.dumps({"error": {"message": "not in fixtures"}}), 404, {}
        return json.dumps(body), 200, {"request-id": "req_fixture"}

    def close(self) -> None:
        pass


@pytest.fixture()
def connect(app, monkeypatch, webhook_secret) -> StripeFixtures:
    fixtures = StripeFixtures()
    monkeypatch.setitem(app.config, "STRIPE_API_KEY", "sk_test_fixtures")
    monkeypatch.setitem(app.extensions, "stripe_http_client", fixtures)
    return fixtures


def test_provider_onboards_with_connect_and_is_paid_by_transfer_once_enabled(
    money, sign_in, connect, app
):
    client = sign_in(money.provider_user)
    response = client.post("/payments/provider/stripe", data={})
    assert response.status_code == 302
    assert response.location == OBJECTS["account_link"]["url"]
    account = db.session.query(ConnectAccount).one()
    assert account.stripe_account_id == OBJECTS["account"]["id"] and not account.ready
    assert connect.sent[0][3] == f"connect_account:{money.provider.id}"

    money.fund(10_000)
    services.settle(money.hold(8_400, "booking-1"))
    db.session.commit()
    runner = app.test_cli_runner()
    assert "Sent 0 Stripe transfer(s)" in runner.invoke(args=["payments", "payout-run"]).output

    enabled = {**OBJECTS["account"], "charges_enabled": True, "payouts_enabled": True}
    assert post_event(client, *signed(event("account.updated", enabled))).status_code == 200
    result = runner.invoke(args=["payments", "payout-run"])
    assert "Sent 1 Stripe transfer(s), £84.00" in result.output, result.output
    payout = db.session.query(Payout).one()
    method, path, form, key = connect.sent[-1]
    assert (method, path, form["amount"], form["destination"], key) == (
        "post",
        "/v1/transfers",
        ["8400"],
        [OBJECTS["account"]["id"]],
        f"payout:{payout.id}",
    )
    assert runner.invoke(args=["payments", "payout-run"]).output.startswith("Sent 0")
    db.session.expire_all()
    assert services.payable_account(money.provider.id).balance_pence == 0
    assert payout.stripe_transfer_id == OBJECTS["transfer"]["id"]
    assert ledger.verify() == [] and ledger.total_of_balances() == 0


# Council payment runs (no Stripe).


def test_a_payment_run_pays_providers_only_when_the_commissioner_confirms(money, sign_in, app):
    db.session.add(
        ProviderBankDetails(
            provider_id=money.provider.id,
            account_name="Moorside Care Ltd",
            sort_code="401122",
            account_number="12345678",
        )
    )
    money.fund(20_000)
    services.settle(money.hold(8_400, "booking-1"))
    services.settle(money.hold(4_200, "booking-2"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["payments", "payout-run"])
    assert "Made 1 payment run(s) with 1 payment(s), £126.00" in result.output, result.output
    run = db.session.query(PayoutRun).one()
    assert services.payable_account(money.provider.id).balance_pence == 12_600  # not yet paid

    client = sign_in(money.commissioner)
    csv = client.get(f"/payments/payout-runs/{run.id}/payments.csv").get_data(as_text=True)
    assert "Moorside Care Ltd,401122,12345678,126.00,booking-1 booking-2" in csv
    page = client.get(f"/payments/payout-runs/{run.id}").get_data(as_text=True)
    assert "12345678" not in page  # full bank details only in the file
    for _ in range(2):  # a double-clicked confirm pays once
        assert client.post(f"/payments/payout-runs/{run.id}/confirm").status_code == 302
    db.session.expire_all()
    assert services.payable_account(money.provider.id).balance_pence == 0
    assert db.session.query(Payout).one().status == PayoutStatus.PAID
    assert payouts.paid_out_account(db.session.query(Payout).one().rail).balance_pence == 12_600
    assert (
        "Made 0 payment run(s)"
        in app.test_cli_runner().invoke(args=["payments", "payout-run"]).output
    )
    assert ledger.verify() == [] and ledger.total_of_balances() == 0


def test_the_webhook_is_exempt_from_csrf_but_not_from_the_signature(tmp_path):
    from tests.conftest import make_app

    app = make_app(str(tmp_path), WTF_CSRF_ENABLED=True, STRIPE_WEBHOOK_SECRET=SECRET)
    body, signature = signed(event("customer.created", {"id": "cus_1"}))
    response = post_event(app.test_client(), body, signature.replace("v1=", "v1=f"))
    assert (response.status_code, response.get_data(as_text=True)) == (400, "Bad signature")


def test_the_card_page_mounts_stripe_js_with_the_intents_secret_and_lets_only_stripe_in(
    money, sign_in, stripe_on, monkeypatch, app
):
    """The browser half (Stripe.js confirming the card) needs Stripe's own servers and is not
    exercised here; the page it runs on is, against localstripe."""
    client = sign_in(money.holder)
    response = client.post(
        f"/payments/pots/{money.pot.id}/top-up", data={"amount": "20.00", "request_key": "k"}
    )
    top_up = db.session.query(TopUp).one()
    without_key = client.get(response.headers["Location"])
    assert "card-form" not in without_key.text and "js.stripe.com" not in without_key.text
    assert "js.stripe.com" not in without_key.headers["Content-Security-Policy"]

    monkeypatch.setitem(app.config, "STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe")
    page = client.get(f"/payments/top-ups/{top_up.id}")
    secret = stripe_on.v1.payment_intents.retrieve(top_up.payment_intent_id).client_secret
    assert f'data-secret="{secret}"' in page.text and 'data-key="pk_test_localstripe"' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "https://js.stripe.com" in policy
    assert "frame-src https://js.stripe.com" in policy
    assert "js.stripe.com" not in client.get("/payments/").headers["Content-Security-Policy"]
