"""Provider payouts behind one PayoutGateway interface, with two rails.

- Stripe Connect (when STRIPE_API_KEY is set): a Transfer per settled hold to the provider's
  Express account, once Stripe says charges and payouts are enabled (account.updated).
- A payment run (otherwise): settled money per tenant and provider gathered into a CSV for the
  council's finance system; paid only when a commissioner confirms the run.

Either way the ledger moves payable → paid out only when the money has actually gone.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.access import commissions, in_own_tenant
from marketplace.accounts.models import User
from marketplace.directory.models import Provider
from marketplace.errors import DomainError, NotAllowed
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.money import format_pence
from marketplace.payments import ledger, services, stripe_gateway
from marketplace.payments.models import (
    AccountKind,
    ConnectAccount,
    Hold,
    HoldStatus,
    LedgerAccount,
    Payout,
    PayoutRail,
    PayoutRun,
    PayoutStatus,
    Pot,
)
from marketplace.transactions import atomic, unit_of_work
from provider_onboarding.models import ProviderBankDetails


def paid_out_account(rail: PayoutRail) -> LedgerAccount:
    """Money that has left us for providers, by rail. Only grows."""
    return ledger.account(AccountKind.PAYOUT_RUN, rail.value, None)


def _unpaid_settlements() -> list[tuple[Hold, int]]:
    """Settled holds whose provider share is not yet in a payout, with their tenant id."""
    rows = db.session.execute(
        select(Hold, Pot.tenant_id)
        .join(Pot, Pot.id == Hold.pot_id)
        .where(Hold.status == HoldStatus.SETTLED, Hold.payout_id.is_(None), Hold.settled_pence > 0)
        .order_by(Hold.id)
        .with_for_update(of=Hold)
    ).all()
    return [(hold, tenant_id) for hold, tenant_id in rows]


def _pay(payout: Payout) -> None:
    """Record in the ledger that the payout's money has gone: provider payable → paid out."""
    ledger.transfer(
        services.payable_account(payout.provider_id),
        paid_out_account(payout.rail),
        payout.amount_pence,
        code="payout",
        reference=f"Payout {payout.id}: {payout.references}"[:200],
        idempotency_key=f"payout:{payout.id}",
    )
    payout.status, payout.paid_at = PayoutStatus.PAID, utcnow()


class PayoutGateway(Protocol):
    """One way of paying providers. The caller commits after `prepare` and after each `send`, so
    a payout row (whose id keys the Stripe call) exists before any money is asked to move."""

    rail: PayoutRail

    def prepare(self) -> list[Payout]:
        """Payout rows for every unpaid settlement (and any not yet sent). Flushes only."""
        ...

    def send(self, payout: Payout) -> None:
        """Move the money for one prepared payout, or leave it to be confirmed. Flushes only."""
        ...


class StripeConnectGateway:
    """A Stripe Transfer per settled hold, to providers whose account Stripe has enabled."""

    rail = PayoutRail.STRIPE

    def prepare(self) -> list[Payout]:
        ready = {
            a.provider_id
            for a in db.session.scalars(
                select(ConnectAccount).where(
                    ConnectAccount.charges_enabled.is_(True),
                    ConnectAccount.payouts_enabled.is_(True),
                )
            )
        }
        unsent = list(
            db.session.scalars(
                select(Payout)
                .where(Payout.rail == self.rail, Payout.status == PayoutStatus.PENDING)
                .order_by(Payout.id)
            )
        )
        for hold, tenant_id in _unpaid_settlements():
            if hold.provider_id not in ready:
                continue  # waits until Stripe enables the account
            payout = Payout(
                provider_id=hold.provider_id,
                tenant_id=tenant_id,
                rail=self.rail,
                amount_pence=hold.settled_pence,
                references=hold.reference,
            )
            db.session.add(payout)
            db.session.flush()
            hold.payout_id = payout.id
            unsent.append(payout)
        return unsent

    def send(self, payout: Payout) -> None:
        account = db.session.scalars(
            select(ConnectAccount).where(ConnectAccount.provider_id == payout.provider_id)
        ).one()
        payout.stripe_transfer_id = stripe_gateway.transfer(
            payout.amount_pence, account.stripe_account_id, payout.id, payout.references
        )
        _pay(payout)


class PaymentRunGateway:
    """One payment run per tenant: a CSV line per provider; paid when a commissioner confirms."""

    rail = PayoutRail.PAYMENT_RUN

    def prepare(self) -> list[Payout]:
        grouped: dict[tuple[int, int], list[Hold]] = defaultdict(list)
        for hold, tenant_id in _unpaid_settlements():
            grouped[(tenant_id, hold.provider_id)].append(hold)
        runs: dict[int, PayoutRun] = {}
        made = []
        for (tenant_id, provider_id), holds in sorted(grouped.items()):
            run = runs.get(tenant_id)
            if run is None:
                run = runs[tenant_id] = PayoutRun(tenant_id=tenant_id)
                db.session.add(run)
                db.session.flush()
            payout = Payout(
                provider_id=provider_id,
                tenant_id=tenant_id,
                rail=self.rail,
                amount_pence=sum(h.settled_pence for h in holds),
                references=" ".join(h.reference for h in holds),
                run_id=run.id,
            )
            db.session.add(payout)
            db.session.flush()
            for hold in holds:
                hold.payout_id = payout.id
            made.append(payout)
        for run in runs.values():
            db.session.refresh(run, ["payouts"])
            run.total_pence = sum(p.amount_pence for p in run.payouts)
            run.csv_text = run_csv(run)
        return made

    def send(self, payout: Payout) -> None:
        """Nothing to send: the council's finance system pays, and a commissioner confirms."""


def gateway() -> PayoutGateway:
    """Stripe Connect when STRIPE_API_KEY is set; otherwise council payment runs."""
    if stripe_gateway.configured():
        return StripeConnectGateway()
    return PaymentRunGateway()


@dataclass(frozen=True)
class PayoutsMade:
    """What one gathering of provider payouts did: payouts sent (or put in runs) and any not."""

    rail: PayoutRail
    made: list[Payout]
    not_sent: list[tuple[int, str]]  # payout id and why, each tried again next time

    def summary(self) -> str:
        total = format_pence(sum(p.amount_pence for p in self.made))
        if self.rail == PayoutRail.STRIPE:
            return f"Sent {len(self.made)} Stripe transfer(s), {total} in all."
        return (
            f"Made {len(self.run_ids())} payment run(s) with {len(self.made)} payment(s), {total}."
        )

    def run_ids(self) -> list[int]:
        return sorted({p.run_id for p in self.made if p.run_id is not None})


def pay_providers() -> PayoutsMade:
    """Pay providers what they are owed (`flask payments payout-run` and the weekly job).
    Commits the payout rows first (their ids key the Stripe calls, so a retry is safe), then each
    send on its own; a send Stripe refuses stays pending for the next time, with the same key."""
    chosen = gateway()
    with unit_of_work():
        prepared = chosen.prepare()
    made, not_sent = [], []
    for payout in prepared:
        try:
            with unit_of_work():
                chosen.send(payout)
        except stripe_gateway.GatewayError as error:
            not_sent.append((payout.id, str(error)))
            continue
        made.append(payout)
    return PayoutsMade(chosen.rail, made, not_sent)


RUN_COLUMNS = [
    "Payment reference",
    "Provider",
    "Account name",
    "Sort code",
    "Account number",
    "Amount (GBP)",
    "Booking references",
]


NO_BANK_DETAILS = "MISSING: no bank details given"


def run_csv(run: PayoutRun) -> str:
    """The file for the finance system: the bank details each provider gave, amount, references.
    The only place full bank details are written out."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RUN_COLUMNS)
    for payout in run.payouts:
        bank = db.session.scalar(
            select(ProviderBankDetails).where(ProviderBankDetails.provider_id == payout.provider_id)
        )
        provider = db.session.get(Provider, payout.provider_id)
        assert provider is not None
        writer.writerow(
            [
                f"CM-{run.id}-{payout.id}",
                _cell(provider.legal_name),
                _cell(bank.account_name) if bank else NO_BANK_DETAILS,
                bank.sort_code if bank else "",
                bank.account_number if bank else "",
                f"{payout.amount_pence // 100}.{payout.amount_pence % 100:02d}",
                _cell(payout.references),
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def run_for_commissioner(commissioner: User, run_id: int) -> PayoutRun:
    return in_own_tenant(commissioner, db.session.get(PayoutRun, run_id), lambda r: r.tenant_id)


def runs_for(commissioner: User) -> list[PayoutRun]:
    return list(
        db.session.scalars(
            select(PayoutRun)
            .where(PayoutRun.tenant_id == commissioner.tenant_id)
            .order_by(PayoutRun.id.desc())
        )
    )


def without_bank_details(run: PayoutRun) -> set[int]:
    """The payouts the run's file gives no bank details for, by id: the finance system paid from
    that file, so it cannot have paid these (even if the provider has given details since)."""
    lines = csv.DictReader(io.StringIO(run.csv_text))
    return {
        int(line["Payment reference"].rsplit("-", 1)[1])
        for line in lines
        if line["Account name"] == NO_BANK_DETAILS
    }


def _leave_unpaid(payout: Payout) -> None:
    """Mark the payout not paid and let its holds go, so the next run gathers them again."""
    payout.status = PayoutStatus.NOT_PAID
    for hold in db.session.scalars(select(Hold).where(Hold.payout_id == payout.id)):
        hold.payout_id = None


@atomic
def confirm_run(commissioner: User, run: PayoutRun) -> PayoutRun:
    """The commissioner says the finance system paid the run: each provider's payable is marked
    paid, except for providers the run's file has no bank details for, whose money stays owed
    and goes into the next run. Confirming twice changes nothing. Raises NotAllowed outside the
    run's tenant."""
    if not commissions(commissioner, run.tenant_id):
        raise NotAllowed("Only staff of this council or NHS body can confirm its payment run")
    run = db.session.scalars(
        select(PayoutRun)
        .where(PayoutRun.id == run.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if run.confirmed_at is not None:
        return run
    unpayable = without_bank_details(run)
    for payout in run.payouts:
        if payout.id in unpayable:
            _leave_unpaid(payout)
        else:
            _pay(payout)
    run.confirmed_at, run.confirmed_by_id = utcnow(), commissioner.id
    audit.note(
        "payout_run.confirmed",
        run,
        commissioner,
        total_pence=run.total_pence,
        paid_pence=sum(p.amount_pence for p in run.payouts if p.status == PayoutStatus.PAID),
        not_paid=len(unpayable),
    )
    return run


# Stripe Connect onboarding.


def connect_account_for(provider: Provider) -> ConnectAccount | None:
    return db.session.scalar(
        select(ConnectAccount).where(ConnectAccount.provider_id == provider.id)
    )


@atomic
def start_onboarding(provider: Provider, refresh_url: str, return_url: str) -> str:
    """Create the provider's Express account on first use and return Stripe's onboarding link.
    Raises DomainError when Stripe is not configured or refuses."""
    if not stripe_gateway.configured():
        raise DomainError("Payouts by Stripe are not available on this service")
    try:
        account = connect_account_for(provider)
        if account is None:
            account_id = stripe_gateway.create_express_account(provider.id, provider.contact_email)
            account = ConnectAccount(provider_id=provider.id, stripe_account_id=account_id)
            db.session.add(account)
            db.session.flush()
        return stripe_gateway.onboarding_link(account.stripe_account_id, refresh_url, return_url)
    except stripe_gateway.GatewayError:
        raise DomainError("Stripe could not be reached. Try again later.") from None


def account_updated(stripe_account_id: str, charges_enabled: bool, payouts_enabled: bool) -> None:
    """Stripe's account.updated: payouts wait until both charges and payouts are enabled."""
    account = db.session.scalar(
        select(ConnectAccount).where(ConnectAccount.stripe_account_id == stripe_account_id)
    )
    if account is None:
        return
    account.charges_enabled, account.payouts_enabled = charges_enabled, payouts_enabled
