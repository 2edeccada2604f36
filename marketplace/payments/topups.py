"""Personal top-ups by card: a PaymentIntent now, the pot credited when Stripe's
payment_intent.succeeded webhook arrives, and refunds back to the card."""

from __future__ import annotations

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.money import format_pence
from marketplace.payments import ledger, services, statements, stripe_gateway
from marketplace.payments.models import AccountKind, LedgerAccount, Pot, TopUp, TopUpStatus
from marketplace.transactions import atomic


def clearing_account() -> LedgerAccount:
    """Card money between Stripe and us: goes negative as cards pay in."""
    return ledger.account(AccountKind.STRIPE_CLEARING, "stripe", None, may_go_negative=True)


@atomic
def start_top_up(payer: User, pot: Pot, amount_pence: int, request_key: str) -> TopUp:
    """A pending top-up with its Stripe PaymentIntent. The same request_key again (a
    double-click) returns the first. Raises NotFound for anyone but the holder or their
    representative, DomainError when card payments are off or Stripe refuses."""
    if payer.role == Role.COMMISSIONER or not statements.may_see_holder(payer, pot.holder):
        raise NotFound("Only the budget holder or their representative can top up by card")
    if not stripe_gateway.configured():
        raise DomainError("Card payments are not available on this service", field="amount")
    services.check_amount(amount_pence)
    earlier = db.session.scalar(select(TopUp).where(TopUp.request_key == request_key))
    if earlier is not None:
        return earlier
    top_up = TopUp(
        pot_id=pot.id, paid_by_id=payer.id, amount_pence=amount_pence, request_key=request_key
    )
    db.session.add(top_up)
    db.session.flush()
    try:
        intent = stripe_gateway.create_payment_intent(amount_pence, top_up.id)
    except stripe_gateway.GatewayError:
        raise DomainError(
            "The card payment could not be started. Try again later.", field="amount"
        ) from None
    top_up.payment_intent_id = intent.id
    return top_up


def payment_succeeded(
    payment_intent_id: str, *, status: str, currency: str, amount_received: object
) -> TopUp | None:
    """Credit the pot for a paid top-up, once, with what our own top-up row says. Only an
    intent that succeeded, in pounds, for exactly the row's amount is credited; anything else
    is recorded in the audit log for an administrator and credits nothing. None when the
    intent is not one of ours."""
    top_up = db.session.scalar(
        select(TopUp).where(TopUp.payment_intent_id == payment_intent_id).with_for_update()
    )
    if top_up is None:
        return None
    if top_up.status != TopUpStatus.PENDING:
        return top_up
    if (status, currency, amount_received) != ("succeeded", "gbp", top_up.amount_pence):
        audit.record(
            "top_up.mismatch",
            "top_up",
            top_up.id,
            actor_id=None,
            tenant_id=top_up.pot.tenant_id,
            status=status[:40],
            currency=currency[:10],
            amount_received=str(amount_received)[:20],
            expected_pence=top_up.amount_pence,
        )
        return top_up
    amount = top_up.amount_pence
    ledger.transfer(
        clearing_account(),
        services.available_account(top_up.pot),
        amount,
        code="top_up",
        reference=f"paid by card, payment {top_up.id}",
        idempotency_key=f"top_up:{top_up.id}",
    )
    top_up.amount_pence, top_up.status = amount, TopUpStatus.SUCCEEDED
    audit.record(
        "pot.topped_up", "pot", top_up.pot_id, actor_id=top_up.paid_by_id, amount_pence=amount
    )
    return top_up


@atomic
def refund_top_up(actor: User, top_up: TopUp) -> TopUp:
    """Take a top-up back out of the pot (available → clearing) and refund it to the card.

    Raises NotFound for anyone but the holder or their representative, DomainError when it was
    not paid, is already refunded, or the pot no longer has the money available.
    """
    pot = top_up.pot
    if actor.role == Role.COMMISSIONER or not statements.may_see_holder(actor, pot.holder):
        raise NotFound("Only the budget holder or their representative can refund a top-up")
    if top_up.status == TopUpStatus.REFUNDED:
        raise DomainError("This top-up has already been refunded")
    if top_up.status != TopUpStatus.SUCCEEDED or not top_up.payment_intent_id:
        raise DomainError("This top-up was not paid, so there is nothing to refund")
    try:
        ledger.transfer(
            services.available_account(pot),
            clearing_account(),
            top_up.amount_pence,
            code="top_up_refund",
            reference=f"back to the card, payment {top_up.id}",
            idempotency_key=f"top_up_refund:{top_up.id}",
        )
    except ledger.InsufficientFunds:
        raise DomainError(
            f"Only {format_pence(services.available_account(pot).balance_pence)} is available, "
            f"so the {format_pence(top_up.amount_pence)} top-up cannot be refunded now"
        ) from None
    try:
        top_up.refund_id = stripe_gateway.refund(
            top_up.payment_intent_id, top_up.amount_pence, top_up.id
        )
    except stripe_gateway.GatewayError:
        raise DomainError("The refund could not be made. Try again later.") from None
    top_up.status = TopUpStatus.REFUNDED
    audit.note("pot.top_up_refunded", pot, actor, amount_pence=top_up.amount_pence)
    return top_up
