"""A provider's verification as a state machine: a table of allowed moves and one function that
applies a move, writes a decision row and an audit row, and tells the provider.

Services flush and never commit; the view or CLI command commits once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Select, select

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.directory.models import Provider, ProviderMember, VerificationStatus
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.mail import queue_email
from marketplace.models_base import utcnow
from marketplace.transactions import atomic
from provider_onboarding.models import VerificationDecision

S = VerificationStatus


class Move(enum.StrEnum):
    SUBMIT = "submit"  # the provider sends its checks
    APPROVE = "approve"
    REJECT = "reject"
    ASK_MORE = "ask_more"
    SUSPEND = "suspend"
    RECHECK = "recheck"  # a verified provider changed its checks: they are checked again
    CLAIM = "claim"  # someone from a provider listed from the CQC register takes it over


# (move, from) -> to. Any move not in this table is refused.
MOVES: dict[tuple[Move, VerificationStatus], VerificationStatus] = {
    (Move.CLAIM, S.NOT_JOINED): S.UNVERIFIED,
    (Move.SUBMIT, S.UNVERIFIED): S.PENDING,
    (Move.SUBMIT, S.MORE_INFO): S.PENDING,
    (Move.SUBMIT, S.SUSPENDED): S.PENDING,
    (Move.APPROVE, S.PENDING): S.VERIFIED,
    (Move.REJECT, S.PENDING): S.REJECTED,
    (Move.ASK_MORE, S.PENDING): S.MORE_INFO,
    (Move.SUSPEND, S.VERIFIED): S.SUSPENDED,
    (Move.RECHECK, S.VERIFIED): S.PENDING,
}
STAFF_MOVES = frozenset({Move.APPROVE, Move.REJECT, Move.ASK_MORE, Move.SUSPEND})
NEEDS_REASON = frozenset({Move.REJECT, Move.ASK_MORE, Move.SUSPEND})
QUEUE_STATUSES = (S.PENDING, S.MORE_INFO)

_EMAILS = {
    Move.APPROVE: ("You have been verified", "Your checks are complete. You can now publish."),
    Move.REJECT: ("Your registration was not approved", "Your registration was not approved."),
    Move.ASK_MORE: ("We need more information", "The people checking your details need more."),
    Move.SUSPEND: ("Your account is suspended", "Your account has been suspended."),
    Move.CLAIM: (
        "You have claimed your listing",
        "You have claimed your listing. Next, tell us who checks you and send your checks: "
        "people can book you once the commissioner has checked you.",
    ),
    Move.RECHECK: (
        "What you changed will be checked again",
        "You changed details we had checked, so they will be looked at again. Your listings "
        "are hidden from search until they are approved.",
    ),
}


# What each move means, as the history on the checking page says it.
MOVE_WORDS = {
    Move.SUBMIT: "The provider sent their checks",
    Move.APPROVE: "Approved",
    Move.REJECT: "Not approved",
    Move.ASK_MORE: "Asked for more information",
    Move.SUSPEND: "Suspended",
    Move.RECHECK: "The provider changed their checks, so they are checked again",
}


@dataclass(frozen=True)
class Decision:
    move: Move
    reason: str = ""


def may_decide(user: User, provider: Provider) -> bool:
    """Admins decide on any provider; commissioners on providers their own tenant checks."""
    if user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.COMMISSIONER
        and provider.tenant_id is not None
        and provider.tenant_id == user.tenant_id
    )


@atomic
def apply_move(provider: Provider, decision: Decision, actor: User | None) -> VerificationDecision:
    """Move the provider to the state the table allows, with a decision row, an audit row and an
    email to its owners. `actor` None is the system (the expiry job). Raises NotAllowed when the
    actor may not decide, DomainError when the move is not allowed from the current state or a
    needed reason is missing."""
    _check_actor(provider, decision.move, actor)
    _lock_status(provider)
    to_status = MOVES.get((decision.move, provider.verification_status))
    if to_status is None:
        raise DomainError(
            f"You cannot do that while the provider is ‘{provider.verification_status.label}’."
        )
    reason = decision.reason.strip()
    if decision.move in NEEDS_REASON and not reason:
        raise DomainError("Enter a reason the provider will see", field="reason")
    row = VerificationDecision(
        provider_id=provider.id,
        move=decision.move.value,
        from_status=provider.verification_status.value,
        to_status=to_status.value,
        reason=reason,
        actor_id=actor.id if actor else None,
    )
    from_status = provider.verification_status
    provider.verification_status = to_status
    if to_status == S.VERIFIED:
        provider.verified_at = utcnow()
    db.session.add(row)
    audit.record(
        f"provider.verification.{decision.move.value}",
        "provider",
        provider.id,
        actor_id=actor.id if actor else None,
        tenant_id=provider.tenant_id,
        from_status=from_status.value,
        to_status=to_status.value,
    )
    _tell_owners(provider, decision.move, reason)
    db.session.flush()
    return row


def _lock_status(provider: Provider) -> None:
    """Lock the provider's row and check its status is still the one read: of two decisions
    sent at once (a double click), the second waits, then is refused instead of repeated."""
    stored = db.session.scalar(
        select(Provider.verification_status).where(Provider.id == provider.id).with_for_update()
    )
    if stored is not None and stored != provider.verification_status:
        raise DomainError(f"This has just changed: the provider is now ‘{stored.label}’.")


def _check_actor(provider: Provider, move: Move, actor: User | None) -> None:
    if actor is None:
        return
    if move in STAFF_MOVES and not may_decide(actor, provider):
        raise NotAllowed("Only the commissioners who check this provider may decide")
    if move in (Move.SUBMIT, Move.RECHECK, Move.CLAIM) and not _is_member(actor, provider):
        raise NotAllowed("Only the provider's own staff may send its checks")


def _is_member(user: User, provider: Provider) -> bool:
    return (
        db.session.scalar(
            select(ProviderMember.id).where(
                ProviderMember.provider_id == provider.id, ProviderMember.user_id == user.id
            )
        )
        is not None
    )


def _tell_owners(provider: Provider, move: Move, reason: str) -> None:
    if move not in _EMAILS:
        return
    subject, opening = _EMAILS[move]
    body = f"{opening}\n\n" + (f"Reason: {reason}\n\n" if reason else "")
    body += "Sign in to your provider dashboard to see where you stand.\n"
    for member in provider.members:
        queue_email(member.user.email, subject, body, template=f"verification_{move.value}")


def queue_query(user: User) -> Select[tuple[Provider]]:
    """Providers waiting for a decision that this person may decide on, oldest first."""
    query = select(Provider).where(Provider.verification_status.in_(QUEUE_STATUSES))
    if user.role != Role.ADMIN:
        query = query.where(Provider.tenant_id == user.tenant_id)
    return query.order_by(Provider.updated_at, Provider.id)


def provider_to_decide(user: User, provider_id: int) -> Provider:
    """The provider if this person may decide on it. Raises NotFound otherwise."""
    provider = db.session.get(Provider, provider_id)
    if provider is None or not may_decide(user, provider):
        raise NotFound("Provider not found")
    return provider


def history(provider: Provider) -> list[VerificationDecision]:
    return list(
        db.session.scalars(
            select(VerificationDecision)
            .where(VerificationDecision.provider_id == provider.id)
            .order_by(VerificationDecision.at.desc(), VerificationDecision.id.desc())
        )
    )


def describe(row: VerificationDecision) -> str:
    """One decision in plain words, for the history on the checking page."""
    return MOVE_WORDS[Move(row.move)]


def latest_reason(provider: Provider) -> str | None:
    """The reason given with the last decision, for the provider's dashboard."""
    rows = history(provider)
    return rows[0].reason if rows and rows[0].reason else None
