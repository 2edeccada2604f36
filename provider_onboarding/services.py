"""Providers joining the service.

Services flush and never commit; the view or CLI command commits once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.accounts.services import (
    PASSWORD_METHOD,
    check_new_password,
    find_user_by_email,
    normalise_email,
)
from marketplace.directory import cqc
from marketplace.directory.models import (
    Listing,
    Provider,
    ProviderKind,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.search.geo import PostcodeError, normalise

_FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$")
_CQC_ID = re.compile(r"^1-\d{5,12}$")

NEXT_STEPS = {
    VerificationStatus.UNVERIFIED: (
        "We have not checked your details yet. Next you will send us proof of who you are: "
        "your CQC registration if you have one, a DBS certificate and insurance. Until you are "
        "checked, people can see you but commissioners may not fund bookings with you."
    ),
    VerificationStatus.PENDING: (
        "Thank you for sending your documents. Commissioner or admin staff will check them, "
        "usually within 5 working days, and we will email you when they have."
    ),
    VerificationStatus.MORE_INFO: (
        "The people checking your details need more information. We have emailed you to say what."
    ),
    VerificationStatus.VERIFIED: (
        "You have been checked. People can book and pay you from their budgets."
    ),
    VerificationStatus.REJECTED: (
        "Your registration was not approved. The email we sent says why and how to ask for a "
        "review."
    ),
    VerificationStatus.SUSPENDED: (
        "Your account is suspended, so your services are hidden from the public. We have "
        "emailed you why."
    ),
}


@dataclass(frozen=True)
class Registration:
    full_name: str
    email: str
    password: str
    kind: ProviderKind
    legal_name: str
    trading_name: str | None
    contact_phone: str
    postcode: str
    cqc_location_id: str | None


def normalise_postcode(text: str) -> str:
    """'ol11aa' -> 'OL1 1AA'. Raises DomainError on the postcode field unless a full UK
    postcode."""
    try:
        postcode = normalise(text)
    except PostcodeError:
        postcode = ""
    if not _FULL_POSTCODE.match(postcode):
        raise DomainError("Enter a full UK postcode, like OL1 1AA", field="postcode")
    return postcode


def register_provider(details: Registration) -> tuple[User, Provider]:
    """Create the person's account (role provider), their unverified provider and their ownership of
    it, with an audit row. Raises DomainError naming the field when the email is taken, the password
    is weak, the postcode or CQC id is malformed or already registered, or the CQC register's name
    or postcode for that id differ from those given. Adds nothing on failure."""
    email = normalise_email(details.email)
    postcode = normalise_postcode(details.postcode)
    cqc_id = _check_cqc_id(details.cqc_location_id)
    if find_user_by_email(email) is not None:
        raise DomainError(
            "An account with this email address already exists. Sign in instead.", field="email"
        )
    check_new_password(details.password, email=email)
    cqc_record = None
    if cqc_id is not None:
        names = [details.legal_name, details.trading_name or ""]
        cqc_record = cqc.check_location(cqc_id, names, postcode)
    user = User(
        email=email,
        full_name=details.full_name.strip(),
        role=Role.PROVIDER,
        password_hash=generate_password_hash(details.password, method=PASSWORD_METHOD),
    )
    provider = Provider(
        kind=details.kind,
        legal_name=details.legal_name.strip(),
        trading_name=(details.trading_name or "").strip() or None,
        contact_phone=details.contact_phone.strip(),
        postcode=postcode,
        cqc_location_id=cqc_id,
        cqc_provider_id=cqc_record.provider_id if cqc_record else None,
        local_authority=cqc_record.local_authority if cqc_record else None,
        verification_status=VerificationStatus.UNVERIFIED,
    )
    db.session.add_all([user, provider])
    db.session.flush()
    db.session.add(
        ProviderMember(provider_id=provider.id, user_id=user.id, role=ProviderMemberRole.OWNER)
    )
    audit.record(
        "provider.registered", "provider", provider.id, actor_id=user.id, kind=provider.kind.value
    )
    db.session.flush()
    return user, provider


def _check_cqc_id(text: str | None) -> str | None:
    cqc_id = (text or "").strip() or None
    if cqc_id is None:
        return None
    if not _CQC_ID.match(cqc_id):
        raise DomainError(
            "Enter a CQC location ID in the correct format, like 1-123456789",
            field="cqc_location_id",
        )
    if db.session.scalar(select(Provider.id).where(Provider.cqc_location_id == cqc_id)) is not None:
        raise DomainError(
            "A provider with this CQC location ID is already registered. Contact us if this is "
            "you.",
            field="cqc_location_id",
        )
    return cqc_id


def provider_for_member(user: User) -> Provider | None:
    """The provider this person acts for (the first, if several)."""
    return db.session.scalar(
        select(Provider)
        .join(ProviderMember, ProviderMember.provider_id == Provider.id)
        .where(ProviderMember.user_id == user.id)
        .order_by(ProviderMember.id)
    )


def listings_of(provider: Provider) -> list[Listing]:
    return list(provider.listings)


def next_steps(provider: Provider) -> str:
    """What happens next with this provider's checks, in plain English."""
    return NEXT_STEPS[provider.verification_status]
