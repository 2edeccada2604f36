"""Statements: every movement of a pot or a provider's money, in plain words.

Lines are read straight from the ledger, so a statement always agrees with the balances.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from marketplace.accounts.access import commissions
from marketplace.accounts.models import Role, User
from marketplace.accounts.services import may_act_for
from marketplace.clock import LONDON
from marketplace.directory.models import Provider, ProviderMember
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.money import format_pence
from marketplace.payments import services
from marketplace.payments.models import (
    LedgerTransfer,
    Payout,
    Pot,
    SpendRefusal,
    TopUp,
)

# What each kind of movement is called on a holder's statement; the transfer's reference follows.
PLAIN_WORDS = {
    "allocation": "Paid in by your council or NHS body",
    "hold": "Set aside",
    "release": "Returned to your budget",
    "settlement": "Paid",
    "platform_fee": "Service fee",
    "top_up": "Card top-up",
    "top_up_refund": "Card top-up refunded",
    "reversal": "Correction",
}


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    words: str
    available_change_pence: int
    held_change_pence: int


def pot_for_viewer(viewer: User, pot_id: int) -> Pot:
    """The pot if `viewer` is its holder, a representative with consent, or a commissioner of its
    tenant. Raises NotFound otherwise, so nobody learns another tenant's pots exist."""
    pot = db.session.get(Pot, pot_id)
    if pot is None or not may_see_holder(viewer, pot.holder):
        raise NotFound("There is no budget with this reference")
    return pot


def may_see_holder(viewer: User, holder: User) -> bool:
    if viewer.role == Role.COMMISSIONER:
        return commissions(viewer, holder.tenant_id)
    return may_act_for(viewer, holder)


def pots_of(holder: User) -> list[Pot]:
    return list(db.session.scalars(select(Pot).where(Pot.holder_id == holder.id).order_by(Pot.id)))


def _words(transfer: LedgerTransfer) -> str:
    """E.g. 'Paid £84.00 to Moorside Care (PA) for 4 hours on Tue 3 Mar'."""
    amount = format_pence(transfer.amount_pence)
    if transfer.code == "settlement":
        return f"{amount} to {transfer.reference}"
    if transfer.code == "hold":
        return f"{amount} set aside for {transfer.reference}"
    label = PLAIN_WORDS.get(transfer.code, transfer.code.replace("_", " ").capitalize())
    return f"{label}: {amount}, {transfer.reference}"


def pot_statement(pot: Pot) -> list[StatementLine]:
    """Every movement into, out of or within the pot, newest first (by when it happened, then
    by the order it was written)."""
    available, held = services.available_account(pot), services.held_account(pot)
    ids = (available.id, held.id)
    transfers = db.session.scalars(
        select(LedgerTransfer)
        .where(
            or_(
                LedgerTransfer.debit_account_id.in_(ids),
                LedgerTransfer.credit_account_id.in_(ids),
            )
        )
        .order_by(LedgerTransfer.created_at.desc(), LedgerTransfer.id.desc())
    )
    return [_line(t, available.id, held.id) for t in transfers]


def _line(transfer: LedgerTransfer, available_id: int, held_id: int) -> StatementLine:
    def change(account_id: int) -> int:
        if transfer.credit_account_id == account_id:
            return transfer.amount_pence
        if transfer.debit_account_id == account_id:
            return -transfer.amount_pence
        return 0

    return StatementLine(
        transfer.created_at, _words(transfer), change(available_id), change(held_id)
    )


def statement_csv(lines: Iterable[StatementLine]) -> str:
    """Date (London), what happened, and the change to available and held money in pounds."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Date", "What happened", "Available change (£)", "Set aside change (£)"])
    for line in lines:
        writer.writerow(
            [
                line.at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M"),
                _safe(line.words),
                _pounds(line.available_change_pence),
                _pounds(line.held_change_pence),
            ]
        )
    return out.getvalue()


def _pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    return f"{sign}{abs(pence) // 100}.{abs(pence) % 100:02d}"


def _safe(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: make them plain text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def refusals_for(commissioner: User, limit: int = 100) -> list[SpendRefusal]:
    """The latest refused spends in the commissioner's tenant, newest first."""
    return list(
        db.session.scalars(
            select(SpendRefusal)
            .where(SpendRefusal.tenant_id == commissioner.tenant_id)
            .order_by(SpendRefusal.created_at.desc(), SpendRefusal.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class ProviderMoney:
    earned_pence: int
    payable_pence: int
    paid_out_pence: int
    payouts: list[Payout]


def provider_of(user: User) -> Provider:
    """The provider `user` is a member of. Raises NotFound for anyone else."""
    provider = db.session.scalar(
        select(Provider)
        .join(ProviderMember, ProviderMember.provider_id == Provider.id)
        .where(ProviderMember.user_id == user.id)
        .order_by(Provider.id)
    )
    if provider is None:
        raise NotFound("You are not a member of a provider")
    return provider


def provider_money(provider: Provider) -> ProviderMoney:
    """What the provider earned (settled to them), is owed now, and what was paid out."""
    payable = services.payable_account(provider.id)
    earned = db.session.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount_pence), 0)).where(
            LedgerTransfer.credit_account_id == payable.id,
            LedgerTransfer.code == "settlement",
        )
    )
    payouts = list(
        db.session.scalars(
            select(Payout).where(Payout.provider_id == provider.id).order_by(Payout.id.desc())
        )
    )
    paid = sum(p.amount_pence for p in payouts if p.status == "paid")
    return ProviderMoney(int(earned or 0), payable.balance_pence, paid, payouts)


def top_ups_of(pot: Pot) -> list[TopUp]:
    return list(
        db.session.scalars(select(TopUp).where(TopUp.pot_id == pot.id).order_by(TopUp.id.desc()))
    )
