"""Providers joining the service.

Services flush and never commit; the view or CLI command commits once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import TypeVar

from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import Role, Tenant, User
from marketplace.accounts.services import (
    check_new_password,
    find_user_by_email,
    hash_password,
    normalise_email,
)
from marketplace.bookings import services as bookings
from marketplace.directory import cqc
from marketplace.directory.models import (
    Listing,
    ListingStatus,
    Provider,
    ProviderKind,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.mail import queue_email
from marketplace.models_base import utcnow
from marketplace.transactions import atomic, locked, take_turns
from provider_onboarding.models import (
    DocumentKind,
    ProviderBankDetails,
    ProviderChecks,
    Worker,
    WorkerAvailability,
)
from provider_onboarding.verification import Decision, Move, apply_move

M = TypeVar("M")

_CQC_ID = re.compile(r"^1-\d{5,12}$")

NEXT_STEPS = {
    VerificationStatus.NOT_JOINED: "Nobody from this provider has joined the service yet.",
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
    postcode that the service's postcode data knows."""
    from provider_onboarding.details import place_of

    return place_of(text, full=True).postcode or ""


@atomic
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
        password_hash=hash_password(details.password),
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
    found = db.session.scalar(select(Provider).where(Provider.cqc_location_id == cqc_id))
    if found is not None:
        raise DomainError(
            "A provider with this CQC location ID is already registered. Contact us if this is you."
            if found.has_joined
            else f"{found.display_name} is already listed here from the CQC register. Open its "
            "page and choose ‘Claim this listing’ instead.",
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


# Checks: what a provider sends to be verified, and when it runs out.

DBS_VALID_YEARS = 3
WARN_DAYS = 30
_DBS_NUMBER = re.compile(r"^\d{12}$")
REGULATED_BY_CQC_NOTE = "CQC registration checked against the CQC register"


@dataclass(frozen=True)
class CheckDetails:
    tenant_id: int
    dbs_certificate_number: str | None
    dbs_issued_on: date | None
    insurer: str | None
    insurance_expires_on: date | None
    right_to_work_confirmed: bool
    reference_1: str | None
    reference_2: str | None


def checks_of(provider: Provider) -> ProviderChecks | None:
    return db.session.scalar(
        select(ProviderChecks).where(ProviderChecks.provider_id == provider.id)
    )


def _afresh(row: M | None) -> M | None:
    """The row as committed now (after a lock, another request's save is seen)."""
    if row is not None:
        db.session.refresh(row)
    return row


def checking_bodies() -> list[Tenant]:
    """The councils and ICBs a provider may ask to check it."""
    return list(db.session.scalars(select(Tenant).order_by(Tenant.name)))


@atomic
def save_checks(
    provider: Provider, details: CheckDetails, actor: User, today: date
) -> ProviderChecks:
    """Record the provider's checks and the body that checks it, with an audit row. Raises
    DomainError naming the field when the DBS number or dates are impossible or the body
    unknown."""
    if db.session.get(Tenant, details.tenant_id) is None:
        raise DomainError("Select who checks you", field="tenant_id")
    number = (details.dbs_certificate_number or "").replace(" ", "") or None
    if number is not None and not _DBS_NUMBER.match(number):
        raise DomainError("A DBS certificate number is 12 digits", field="dbs_certificate_number")
    if details.dbs_issued_on is not None and details.dbs_issued_on > today:
        raise DomainError("The DBS issue date must be in the past", field="dbs_issued_on")
    take_turns(provider, "tenant_id", "verification_status")  # a second save compares with
    saved = _afresh(checks_of(provider))  # what the first saved
    checks = saved or ProviderChecks(provider_id=provider.id)
    before = _checked_facts(checks, provider)
    checks.dbs_certificate_number = number
    checks.dbs_issued_on = details.dbs_issued_on
    checks.insurer = (details.insurer or "").strip() or None
    checks.insurance_expires_on = details.insurance_expires_on
    checks.right_to_work_confirmed = details.right_to_work_confirmed
    checks.reference_1 = (details.reference_1 or "").strip() or None
    checks.reference_2 = (details.reference_2 or "").strip() or None
    checks.cqc_matched = provider.cqc_location_id is not None
    provider.tenant_id = details.tenant_id
    if (
        saved is not None
        and not db.session.is_modified(saved)
        and not db.session.is_modified(provider)
    ):
        return saved  # the same answers again (a double click): nothing to record
    db.session.add(checks)
    audit.record("provider.checks.saved", "provider", provider.id, actor_id=actor.id)
    if provider.verification_status == VerificationStatus.VERIFIED and before != _checked_facts(
        checks, provider
    ):
        reason = "The provider changed its checks after it was verified"
        apply_move(provider, Decision(Move.RECHECK, reason), actor)
    db.session.flush()
    return checks


def _checked_facts(checks: ProviderChecks, provider: Provider) -> tuple[object, ...]:
    """What the checking body approved: a change to any of it sends the provider back."""
    return (
        checks.dbs_certificate_number,
        checks.dbs_issued_on,
        checks.insurer,
        checks.insurance_expires_on,
        checks.right_to_work_confirmed,
        checks.reference_1,
        checks.reference_2,
        provider.tenant_id,
    )


def missing_for_submission(provider: Provider, today: date, whose: str = "your") -> list[str]:
    """What still stops the provider sending its checks, in plain words (empty when nothing),
    spoken to the provider ("your") or about it ("their"). A CQC-registered provider needs only a
    checking body; others need DBS, insurance, right to work, two references and the DBS and
    insurance documents."""
    from provider_onboarding.documents import documents_of

    checks = checks_of(provider)
    if checks is None or provider.tenant_id is None:
        return [f"the council or NHS body that checks {_them(whose)}, on the checks page"]
    if provider.cqc_location_id:
        return []
    missing = []
    if not (checks.dbs_certificate_number and checks.dbs_issued_on):
        missing.append(f"{whose} DBS certificate number and issue date")
    if not checks.insurance_expires_on or checks.insurance_expires_on <= today:
        missing.append("public liability insurance that has not expired")
    if not checks.right_to_work_confirmed:
        missing.append(f"confirmation of {whose} right to work in the UK")
    if not (checks.reference_1 and checks.reference_2):
        missing.append("two references")
    kinds = {document.kind for document in documents_of(provider)}
    for kind in (DocumentKind.DBS, DocumentKind.INSURANCE):
        if kind not in kinds:
            missing.append(f"a copy of {whose} {kind.label.lower()}")
    return missing


@atomic
def submit_for_checks(provider: Provider, actor: User, today: date) -> None:
    """Send the provider's checks to its checking body. Raises DomainError listing what is
    missing, or when the provider's state does not allow sending."""
    missing = missing_for_submission(provider, today)
    if missing:
        raise DomainError("Before you send your checks, add " + "; ".join(missing) + ".")
    apply_move(provider, Decision(Move.SUBMIT), actor)


def dbs_renewal_due(checks: ProviderChecks) -> date | None:
    if checks.dbs_issued_on is None:
        return None
    issued = checks.dbs_issued_on
    try:
        return issued.replace(year=issued.year + DBS_VALID_YEARS)
    except ValueError:  # 29 February
        return issued.replace(year=issued.year + DBS_VALID_YEARS, day=28)


def _them(whose: str) -> str:
    return "you" if whose == "your" else "them"


def check_warnings(checks: ProviderChecks | None, today: date, whose: str = "Your") -> list[str]:
    """Checks that have run out or run out within 30 days, in plain words, spoken to the
    provider ("Your") or about it ("Their")."""
    if checks is None:
        return []
    warnings = []
    horizon = today + timedelta(days=WARN_DAYS)
    renewal = dbs_renewal_due(checks)
    if renewal is not None and renewal <= today:
        warnings.append(
            f"{whose} DBS certificate was issued on {checks.dbs_issued_on:%-d %B %Y}, "
            "more than 3 years ago."
        )
    elif renewal is not None and renewal <= horizon:
        warnings.append(f"{whose} DBS certificate will be 3 years old on {renewal:%-d %B %Y}.")
    expiry = checks.insurance_expires_on
    if expiry is not None and expiry <= today:
        warnings.append(f"{whose} public liability insurance expired on {expiry:%-d %B %Y}.")
    elif expiry is not None and expiry <= horizon:
        warnings.append(f"{whose} public liability insurance expires on {expiry:%-d %B %Y}.")
    return warnings


def expired_reasons(checks: ProviderChecks | None, today: date) -> list[str]:
    """Why the provider's checks no longer hold today (empty when they do)."""
    if checks is None or checks.cqc_matched:
        return []  # a CQC-registered provider is checked by the CQC, not by these dates
    reasons = []
    renewal = dbs_renewal_due(checks)
    if renewal is None or renewal <= today:  # no DBS date counts as expired
        reasons.append("your DBS certificate is more than 3 years old, or its date is missing")
    if checks.insurance_expires_on is None or checks.insurance_expires_on <= today:
        reasons.append("your public liability insurance has expired, or its date is missing")
    return reasons


def suspend_expired_listings(today: date) -> list[Provider]:
    """For every provider whose DBS or insurance has run out, suspend its published listings and
    email its staff why, with an audit row. Providers with nothing published are left alone, so
    running it twice tells nobody twice. Returns the providers it acted on."""
    acted = []
    for checks in db.session.scalars(select(ProviderChecks).order_by(ProviderChecks.id)):
        reasons = expired_reasons(checks, today)
        published = [
            item for item in checks.provider.listings if item.status == ListingStatus.PUBLISHED
        ]
        if not reasons or not published:
            continue
        for listing in published:
            listing.status = ListingStatus.SUSPENDED
        _tell_expired(checks.provider, reasons)
        audit.record(
            "provider.listings.suspended_on_expiry",
            "provider",
            checks.provider_id,
            actor_id=None,
            tenant_id=checks.provider.tenant_id,
            listings=[item.id for item in published],
        )
        acted.append(checks.provider)
    db.session.flush()
    return acted


def _tell_expired(provider: Provider, reasons: list[str]) -> None:
    body = (
        "We have hidden your services from the public because "
        + " and ".join(reasons)
        + ".\n\nSign in, update your checks and upload the new document, then publish again.\n"
    )
    for member in provider.members:
        queue_email(
            member.user.email, "Your services are hidden", body, template="provider_checks_expired"
        )


# Getting paid: bank details for the council's payment run.

_SORT_CODE = re.compile(r"^\d{6}$")
_ACCOUNT_NUMBER = re.compile(r"^\d{8}$")


def bank_details_of(provider: Provider) -> ProviderBankDetails | None:
    return db.session.scalar(
        select(ProviderBankDetails).where(ProviderBankDetails.provider_id == provider.id)
    )


@atomic
def save_bank_details(
    provider: Provider, actor: User, *, account_name: str, sort_code: str, account_number: str
) -> ProviderBankDetails:
    """Record where the payment run pays this provider, with an audit row that holds only the
    masked numbers, and tell every owner by email. Only an owner may. Raises NotAllowed for
    other staff, DomainError naming the field on a malformed sort code or number."""
    if member_role(actor, provider) != ProviderMemberRole.OWNER:
        raise NotAllowed("Only an owner can change where the provider is paid")
    sort_code = re.sub(r"[\s-]", "", sort_code)
    account_number = re.sub(r"\s", "", account_number)
    if not account_name.strip():
        raise DomainError("Enter the name on the account", field="account_name")
    if not _SORT_CODE.match(sort_code):
        raise DomainError("Enter a valid sort code like 309430", field="sort_code")
    if not _ACCOUNT_NUMBER.match(account_number):
        raise DomainError("Enter a valid account number like 00733445", field="account_number")
    take_turns(provider)  # of two saves at once, the second compares with the first's
    saved = _afresh(bank_details_of(provider))
    details = saved or ProviderBankDetails(provider_id=provider.id)
    details.account_name = account_name.strip()
    details.sort_code = sort_code
    details.account_number = account_number
    if saved is not None and not db.session.is_modified(saved):
        return saved  # the same details again (a double click): no change, nobody to tell
    db.session.add(details)
    audit.record(
        "provider.bank_details.changed",
        "provider",
        provider.id,
        actor_id=actor.id,
        account_number=details.masked_account_number,
    )
    for member in provider.members:
        if member.role == ProviderMemberRole.OWNER and member.user.active:
            queue_email(
                member.user.email,
                "Your bank details were changed",
                f"{actor.full_name} changed the bank account {provider.display_name} is paid "
                f"into, to an account ending {details.account_number[-4:]}.\n\nIf this was not "
                "expected, sign in and check your bank details now, and tell the council.",
                template="bank_details_changed",
            )
    db.session.flush()
    return details


# Team: staff who act for the provider.


def members_of(provider: Provider) -> list[ProviderMember]:
    return sorted(provider.members, key=lambda member: member.id)


def member_role(user: User, provider: Provider) -> ProviderMemberRole | None:
    for member in provider.members:
        if member.user_id == user.id:
            return member.role
    return None


@atomic
def add_staff(
    provider: Provider, actor: User, *, email: str, full_name: str, role: ProviderMemberRole
) -> User:
    """Give a new person a provider account acting for this provider, and email them a link to
    set their password. Only an owner may. Raises NotAllowed, or DomainError on the email field
    when the address already has an account."""
    from marketplace.accounts.services import request_password_reset

    if member_role(actor, provider) != ProviderMemberRole.OWNER:
        raise NotAllowed("Only an owner may add staff")
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError("An account with this email address already exists", field="email")
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=Role.PROVIDER,
        password_hash=hash_password(secrets.token_urlsafe(32)),
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(ProviderMember(provider_id=provider.id, user_id=user.id, role=role))
    audit.record(
        "provider.staff.added", "provider", provider.id, actor_id=actor.id, role=role.value
    )
    db.session.flush()
    request_password_reset(email)
    return user


@atomic
def remove_staff(provider: Provider, actor: User, member_id: int) -> ProviderMember:
    """Take away a person's right to act for this provider. Only an owner may; the last owner
    cannot be removed (someone must be able to manage the provider). Their account stays, acting
    for no one. Raises NotAllowed, NotFound for another provider's member, or DomainError."""
    if member_role(actor, provider) != ProviderMemberRole.OWNER:
        raise NotAllowed("Only an owner may remove staff")
    member = locked(ProviderMember, member_id)
    if member is None or member.provider_id != provider.id:
        raise NotFound("There is no such member of your team")
    owners = [m for m in provider.members if m.role == ProviderMemberRole.OWNER]
    if member.role == ProviderMemberRole.OWNER and len(owners) == 1:
        raise DomainError("You are the only owner: add another owner before you can be removed")
    db.session.delete(member)
    audit.record(
        "provider.staff.removed", "provider", provider.id, actor_id=actor.id, role=member.role.value
    )
    db.session.flush()
    db.session.expire(provider, ["members"])
    return member


# Workers: an agency's named care workers, each with their own week.


@atomic
def add_worker(provider: Provider, actor: User, *, name: str) -> Worker:
    """Add a named worker. Raises DomainError on an empty name."""
    if not name.strip():
        raise DomainError("Enter the worker's name", field="name")
    worker = Worker(provider_id=provider.id, name=name.strip()[:140], languages=[])
    db.session.add(worker)
    db.session.flush()
    audit.record("provider.worker.added", "provider", provider.id, actor_id=actor.id)
    return worker


def worker_of(provider: Provider, worker_id: int) -> Worker:
    """One of the provider's workers who has not left (NotFound otherwise)."""
    worker = db.session.get(Worker, worker_id)
    if worker is None or worker.provider_id != provider.id or worker.left_at is not None:
        raise NotFound("Worker not found")
    return worker


def workers_of(provider: Provider) -> list[Worker]:
    return bookings.workers_of(provider.id)


@atomic
def remove_worker(provider: Provider, actor: User, worker_id: int, today: date) -> Worker:
    """A worker leaves: kept for the bookings that name them, offered for nothing new.
    Raises NotFound when not this provider's, and DomainError while accepted bookings that
    name them still run (they are moved to another worker or cancelled first)."""
    locked(Worker, worker_id)  # of two at once, the second finds the worker gone
    worker = worker_of(provider, worker_id)
    running = bookings.bookings_ahead(worker.id, today)
    if running:
        them = "it" if running == 1 else "them"
        raise DomainError(
            f"{worker.name} still has {running} booking{'s' if running != 1 else ''} to do: "
            f"cancel {them} first (the people booked are then shown cover)."
        )
    worker.left_at = utcnow()
    db.session.flush()
    audit.record("provider.worker.removed", "provider", provider.id, actor_id=actor.id)
    return worker


@atomic
def add_worker_availability(worker: Worker, weekday: int, start: time, end: time) -> None:
    """Add a weekly window for one worker. Raises DomainError when the window is back to front
    or overlaps one they already have."""
    take_turns(worker, "availability")
    check_window(
        weekday, start, end, [(r.weekday, r.start_time, r.end_time) for r in worker.availability]
    )
    worker.availability.append(WorkerAvailability(weekday=weekday, start_time=start, end_time=end))
    db.session.flush()


@atomic
def remove_worker_availability(worker: Worker, window_id: int) -> None:
    """Take one weekly window off a worker. Raises NotFound when it is not this worker's."""
    window = locked(WorkerAvailability, window_id)
    if window is not None:
        window = next((w for w in worker.availability if w.id == window_id), None)
    if window is None:
        raise NotFound("That time is not in this worker's week")
    worker.availability.remove(window)
    db.session.flush()


def check_window(
    weekday: int, start: time, end: time, existing: list[tuple[int, time, time]]
) -> None:
    """Raises DomainError unless the window is a real day, ends after it starts and overlaps
    none of `existing`."""
    if not 0 <= weekday <= 6:
        raise DomainError("Select a day", field="weekday")
    if start >= end:
        raise DomainError("The end time must be after the start time", field="end_time")
    for day, other_start, other_end in existing:
        if day == weekday and start < other_end and other_start < end:
            raise DomainError("This overlaps a time already set for that day", field="start_time")
