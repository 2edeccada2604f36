"""Claiming a listing: someone from a provider listed from the CQC register takes it over.

The entry's CQC location ID, CQC provider ID and postcode must match the CQC record the service
holds. The claim makes the person the provider's owner and starts the usual checks: the provider
is bookable only once its commissioner has verified it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.accounts.services import (
    check_new_password,
    find_user_by_email,
    hash_password,
    normalise_email,
)
from marketplace.directory import cqc
from marketplace.directory.models import (
    ListingStatus,
    Provider,
    ProviderMember,
    ProviderMemberRole,
)
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.transactions import atomic
from provider_onboarding.verification import Decision, Move, apply_move


@dataclass(frozen=True)
class Claim:
    full_name: str
    email: str
    password: str
    cqc_location_id: str
    cqc_provider_id: str
    postcode: str


def already_theirs(provider_id: int, user: object) -> bool:
    """Whether this person already acts for the provider (a claim sent twice lands here)."""
    if not isinstance(user, User):
        return False
    found = db.session.scalar(
        select(ProviderMember.id).where(
            ProviderMember.provider_id == provider_id, ProviderMember.user_id == user.id
        )
    )
    return found is not None


def claimable(provider_id: int) -> Provider:
    """A provider listed from the CQC register that nobody has claimed. Raises NotFound."""
    provider = db.session.get(Provider, provider_id)
    if provider is None or provider.has_joined or not provider.cqc_location_id:
        raise NotFound("There is no listing to claim here")
    return provider


@atomic
def claim_listing(provider: Provider, claim: Claim) -> User:
    """Make the claimant the owner of this unclaimed provider and start its checks. Its listings
    go back to drafts (their details came from the register, not from the provider). Raises
    DomainError naming the field when the CQC details or postcode do not match the CQC record,
    the email has an account or the password is weak; NotFound when already claimed."""
    # Two claims at once: the second waits for the first, then finds it claimed.
    db.session.execute(select(Provider.id).where(Provider.id == provider.id).with_for_update())
    db.session.refresh(provider)
    if provider.has_joined:
        raise NotFound("There is no listing to claim here")
    _check_against_cqc(provider, claim)
    email = normalise_email(claim.email)
    if find_user_by_email(email) is not None:
        raise DomainError(
            "An account with this email address already exists. Sign in instead.", field="email"
        )
    check_new_password(claim.password, email=email)
    user = User(
        email=email,
        full_name=claim.full_name.strip(),
        role=Role.PROVIDER,
        password_hash=hash_password(claim.password),
    )
    db.session.add(user)
    db.session.flush()
    provider.members.append(
        ProviderMember(provider_id=provider.id, user_id=user.id, role=ProviderMemberRole.OWNER)
    )
    for listing in provider.listings:
        listing.status = ListingStatus.DRAFT
    db.session.flush()
    apply_move(provider, Decision(Move.CLAIM), user)
    audit.record("provider.claimed", "provider", provider.id, actor_id=user.id)
    return user


def _compact(text: str) -> str:
    return "".join(text.split()).upper()


def _check_against_cqc(provider: Provider, claim: Claim) -> None:
    location_id = claim.cqc_location_id.strip()
    record = cqc.find_location(location_id) if location_id == provider.cqc_location_id else None
    if record is None:
        raise DomainError(
            "This is not the CQC location ID of this service. It is on your CQC registration "
            "certificate, like 1-123456789.",
            field="cqc_location_id",
        )
    if _compact(claim.cqc_provider_id) != _compact(record.provider_id or ""):
        raise DomainError(
            "This is not the CQC provider ID the CQC has for this service. It is on your CQC "
            "registration certificate, like 1-101234567.",
            field="cqc_provider_id",
        )
    if _compact(claim.postcode) != _compact(record.postcode):
        raise DomainError(
            "This is not the postcode the CQC has for this service. Use the postcode on your "
            "CQC registration.",
            field="postcode",
        )
