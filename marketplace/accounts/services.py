"""Accounts: signing in, passwords, invitations, provider sign-up, tenants and consent.

Services flush and never commit; the view or CLI command commits once.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace import audit, clock, mail
from marketplace.accounts.access import commissions, in_own_tenant
from marketplace.accounts.models import (
    ConsentMethod,
    Invitation,
    Representation,
    Role,
    Tenant,
    TenantArea,
    TenantKind,
)
from marketplace.accounts.models import User as User
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.mail import queue_email
from marketplace.models_base import utcnow
from marketplace.transactions import atomic, locked, take_turns

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS = frozenset(
    {
        "password12",
        "password123",
        "1234567890",
        "qwertyuiop",
        "letmein123",
        "iloveyou12",
        "welcome123",
        "password1!",
        "changeme123",
        "abcdefghij",
    }
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def load_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id and the session token must both match an active user."""
    user_id, _, token = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def end_sessions(user: User) -> None:
    """Sign the person out everywhere: a new session token, so every cookie that carried the
    old one (this browser's, a copied one, another device's) no longer signs anyone in."""
    user.session_token = secrets.token_urlsafe(32)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_new_password(password: str, *, email: str | None = None) -> None:
    """Raises DomainError when a new password is too weak to accept."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            f"Password must be {MIN_PASSWORD_LENGTH} characters or more", field="password"
        )
    if len(password) > 200:
        raise DomainError("Password must be 200 characters or fewer", field="password")
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        raise DomainError("Choose a password that is harder to guess", field="password")
    if email and password.lower() == normalise_email(email):
        raise DomainError("Password must not be your email address", field="password")


def hash_password(password: str) -> str:
    """The stored form of a password, by the app's PASSWORD_HASH_METHOD (scrypt)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked when no account matches, so a wrong email takes as long as a wrong password."""
    return generate_password_hash("not-a-real-password", method=method)


def set_password(user: User, password: str) -> None:
    """Hash and store a new password and end every other session of this user."""
    check_new_password(password, email=user.email)
    user.password_hash = hash_password(password)
    user.session_token = secrets.token_urlsafe(32)


def authenticate(email: str, password: str) -> User:
    """The active user with this email and password. Raises DomainError with one message for
    every failure, so the page does not tell which accounts exist."""
    user = find_user_by_email(email)
    dummy = _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    stored = user.password_hash if user and user.password_hash else dummy
    password_ok = check_password_hash(stored, password)
    if user is None or not user.password_hash or not password_ok or not user.active:
        raise DomainError("Enter a correct email address and password", field="email")
    user.last_sign_in_at = utcnow()
    return user


@atomic
def change_password(user: User, current_password: str, new_password: str) -> None:
    db.session.refresh(user, with_for_update=True)  # two at once: the second sees the first's
    if not user.password_hash or not check_password_hash(user.password_hash, current_password):
        raise DomainError("Your current password is not correct", field="current_password")
    set_password(user, new_password)
    audit.record("password.changed", "user", user.id, actor_id=user.id, tenant_id=user.tenant_id)


# Password reset: a signed, timed token bound to the current password hash, so it works once.


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "none").encode()).hexdigest()[:16]


def request_password_reset(email: str) -> None:
    """Email a reset link if an active account has this address. Says nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    token = _reset_serializer().dumps({"id": user.id, "fp": _password_fingerprint(user)})
    link = mail.link("accounts.reset_password", token=token)
    minutes = current_app.config["PASSWORD_RESET_SECONDS"] // 60
    queue_email(
        user.email,
        "Reset your password",
        f"Hello {user.full_name},\n\nUse this link to choose a new password. It works once and "
        f"stops working after {minutes} minutes:\n\n{link}\n\nIf you did not ask for this, you "
        "can ignore this email. Your password has not changed.\n",
        template="password_reset",
    )


def user_for_reset_token(token: str) -> User:
    """Raises DomainError when the link is broken, expired or already used."""
    max_age = current_app.config["PASSWORD_RESET_SECONDS"]
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise DomainError("This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise DomainError("This link is not valid. Check you copied all of it.") from None
    # Locked and read afresh: of two uses of one link at once, the second sees it used.
    user = (
        db.session.get(User, data.get("id"), with_for_update=True, populate_existing=True)
        if isinstance(data, dict)
        else None
    )
    if user is None or not user.active or data.get("fp") != _password_fingerprint(user):
        raise DomainError("This link has already been used. Ask for a new one.")
    return user


@atomic
def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    set_password(user, new_password)
    audit.record("password.reset", "user", user.id, actor_id=user.id, tenant_id=user.tenant_id)
    return user


# Invitations: emailed, expiring links to create an account in a chosen role.


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _ensure_email_free(email: str) -> None:
    if find_user_by_email(email) is not None:
        raise DomainError("An account with this email address already exists", field="email")


def _open_invitation_to(email: str, tenant: Tenant | None) -> Invitation | None:
    """The earliest invitation to this address into the tenant that can still be accepted."""
    same_tenant = (
        Invitation.tenant_id.is_(None) if tenant is None else Invitation.tenant_id == tenant.id
    )
    return db.session.scalar(
        select(Invitation)
        .where(
            same_tenant,
            func.lower(Invitation.email) == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at, Invitation.id)
        .limit(1)
    )


def _london_day(at: datetime) -> str:
    """E.g. '6 December', with the year when it is not this year."""
    day = at.astimezone(clock.LONDON)
    return f"{day:%-d %B}" if day.year == clock.london_today().year else f"{day:%-d %B %Y}"


def _ensure_not_invited(email: str, tenant: Tenant | None, what_to_do: str) -> None:
    """Raises DomainError when the address already has an open invitation into the tenant.
    The tenant's row is locked first: of two invitations to one address sent at once, the
    second waits for the first and then finds it."""
    if tenant is not None:
        take_turns(tenant)
    earlier = _open_invitation_to(email, tenant)
    if earlier is not None:
        raise DomainError(
            f"{email} was already invited on {_london_day(earlier.created_at)}. {what_to_do}",
            field="email",
        )


# What to do about an earlier invitation: commissioners see theirs listed, with Withdraw.
WITHDRAW_FROM_LIST = "Withdraw it from the open invitations below first to send a new one."
WITHDRAW_FROM_HOME = (
    "Withdraw it from the open invitations on your commissioning home page to send a new one."
)
STILL_OPEN = "That invitation is still open: they can use the link in its email."


def _invite(
    inviter: User,
    *,
    email: str,
    full_name: str,
    role: Role,
    tenant: Tenant | None,
    holder: User | None = None,
    relationship_to_holder: str | None = None,
    if_invited: str = WITHDRAW_FROM_LIST,
) -> tuple[Invitation, str]:
    email = normalise_email(email)
    _ensure_email_free(email)
    _ensure_not_invited(email, tenant, if_invited)
    token = secrets.token_urlsafe(32)
    days = current_app.config["INVITATION_DAYS"]
    invitation = Invitation(
        token_hash=_hash_token(token),
        email=email,
        full_name=full_name.strip(),
        role=role,
        tenant_id=tenant.id if tenant else None,
        holder_id=holder.id if holder else None,
        relationship_to_holder=relationship_to_holder,
        invited_by_id=inviter.id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    link = mail.link("accounts.accept_invitation", token=token)
    who = tenant.name if tenant else "The care marketplace team"
    if holder is not None:
        who = f"{holder.full_name}"
    queue_email(
        email,
        "Set up your care marketplace account",
        f"Hello {invitation.full_name},\n\n{who} has invited you to use the care marketplace as "
        f"{role.label.lower()}.\n\nUse this link to set your password. It stops working after "
        f"{days} days:\n\n{link}\n",
        template=f"invitation_{role.value}",
    )
    audit.note("invitation.created", invitation, inviter, role=role.value)
    return invitation, token


@atomic
def invite_holder(commissioner: User, *, email: str, full_name: str) -> Invitation:
    """A commissioner invites a budget holder into their own tenant."""
    if commissioner.role != Role.COMMISSIONER or commissioner.tenant is None:
        raise NotAllowed("Only commissioner staff can invite budget holders")
    invitation, _ = _invite(
        commissioner, email=email, full_name=full_name, role=Role.HOLDER, tenant=commissioner.tenant
    )
    return invitation


@atomic
def invite_commissioner(inviter: User, tenant: Tenant, *, email: str, full_name: str) -> Invitation:
    """An admin, or commissioner staff of the same tenant, invites commissioner staff."""
    same_tenant = inviter.role == Role.COMMISSIONER and inviter.tenant_id == tenant.id
    if inviter.role != Role.ADMIN and not same_tenant:
        raise NotAllowed("You cannot invite staff to this commissioning body")
    invitation, _ = _invite(
        inviter,
        email=email,
        full_name=full_name,
        role=Role.COMMISSIONER,
        tenant=tenant,
        if_invited=WITHDRAW_FROM_LIST if same_tenant else STILL_OPEN,
    )
    return invitation


@atomic
def invite_representative(
    actor: User, holder: User, *, email: str, full_name: str, relationship_to_holder: str
) -> Invitation:
    """A holder (giving consent) or their commissioner (recording it) invites a representative."""
    _check_may_record_consent(actor, holder)
    invitation, _ = _invite(
        actor,
        email=email,
        full_name=full_name,
        role=Role.REPRESENTATIVE,
        tenant=holder.tenant,
        holder=holder,
        relationship_to_holder=relationship_to_holder.strip(),
        if_invited=WITHDRAW_FROM_HOME if commissions(actor, holder.tenant_id) else STILL_OPEN,
    )
    return invitation


def open_invitation(token: str) -> Invitation:
    """The invitation behind a link. Raises DomainError when it is unknown, used or expired."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _hash_token(token))
    )
    if invitation is None:
        raise NotFound("This invitation link is not valid. Check you copied all of it.")
    if invitation.accepted_at is not None:
        raise DomainError("This invitation has already been used. Sign in instead.")
    if invitation.revoked_at is not None:
        raise DomainError("This invitation has been withdrawn. Contact whoever invited you.")
    if invitation.expires_at <= utcnow():
        raise DomainError("This invitation has expired. Ask whoever invited you for a new one.")
    return invitation


@atomic
def accept_invitation(token: str, *, full_name: str, password: str) -> User:
    """Create the invited account (and, for a representative, the consented representation)."""
    invitation = open_invitation(token)
    _ensure_email_free(invitation.email)
    check_new_password(password, email=invitation.email)  # before anything joins the session
    user = User(
        email=invitation.email,
        full_name=full_name.strip() or invitation.full_name,
        role=invitation.role,
        tenant_id=invitation.tenant_id,
    )
    user.password_hash = None
    db.session.add(user)
    set_password(user, password)
    db.session.flush()
    invitation.accepted_at = utcnow()
    invitation.accepted_user_id = user.id
    audit.record(
        "user.created",
        "user",
        user.id,
        actor_id=invitation.invited_by_id,
        tenant_id=user.tenant_id,
        role=user.role.value,
        invitation_id=invitation.id,
    )
    if invitation.holder is not None:
        inviter = invitation.invited_by
        method = (
            ConsentMethod.HOLDER_ONLINE
            if inviter.id == invitation.holder.id
            else ConsentMethod.RECORDED_BY_COMMISSIONER
        )
        _add_representation(
            invitation.holder,
            user,
            relationship_to_holder=invitation.relationship_to_holder or "Representative",
            method=method,
            recorded_by=inviter,
        )
    return user


@atomic
def revoke_invitation(actor: User, invitation: Invitation) -> None:
    allowed = (
        actor.role == Role.ADMIN
        or actor.id == invitation.invited_by_id
        or commissions(actor, invitation.tenant_id)
    )
    if not allowed:
        raise NotAllowed("You cannot withdraw this invitation")
    locked(Invitation, invitation.id)  # of two at once, the second sees it withdrawn
    if not invitation.is_open:
        raise DomainError("This invitation is no longer open")
    invitation.revoked_at = utcnow()
    audit.note("invitation.revoked", invitation, actor)


# Consent: a representative acts for a holder only while the holder's consent stands.


def _check_may_record_consent(actor: User, holder: User) -> None:
    if holder.role != Role.HOLDER:
        raise DomainError("Representatives can only act for budget holders")
    if actor.id == holder.id:
        return
    if commissions(actor, holder.tenant_id):
        return
    raise NotAllowed("You cannot record consent for this person")


def _add_representation(
    holder: User,
    representative: User,
    *,
    relationship_to_holder: str,
    method: ConsentMethod,
    recorded_by: User,
) -> Representation:
    existing = active_representation(holder, representative)
    if existing is not None:
        raise DomainError("This person already acts for the budget holder")
    representation = Representation(
        holder_id=holder.id,
        representative_id=representative.id,
        relationship_to_holder=relationship_to_holder,
        consent_method=method,
        consent_recorded_by_id=recorded_by.id,
    )
    db.session.add(representation)
    db.session.flush()
    audit.note(
        "consent.given",
        representation,
        recorded_by,
        tenant_id=holder.tenant_id,
        method=method.value,
    )
    return representation


def active_representation(holder: User, representative: User) -> Representation | None:
    return db.session.scalar(
        select(Representation).where(
            Representation.holder_id == holder.id,
            Representation.representative_id == representative.id,
            Representation.revoked_at.is_(None),
        )
    )


def representations_for_holder(holder: User) -> list[Representation]:
    return list(
        db.session.scalars(
            select(Representation)
            .where(Representation.holder_id == holder.id)
            .order_by(Representation.consent_recorded_at.desc(), Representation.id.desc())
        )
    )


def holders_represented_by(representative: User) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Representation, Representation.holder_id == User.id)
            .where(
                Representation.representative_id == representative.id,
                Representation.revoked_at.is_(None),
            )
            .order_by(User.full_name, User.id)
        )
    )


@atomic
def revoke_consent(actor: User, representation: Representation, reason: str) -> None:
    """The holder, the representative themselves, or the holder's commissioner ends the consent."""
    holder = representation.holder
    allowed = actor.id in (holder.id, representation.representative_id) or commissions(
        actor, holder.tenant_id
    )
    if not allowed:
        raise NotFound("You cannot change this consent")
    locked(Representation, representation.id)  # of two at once, the second sees it withdrawn
    if representation.revoked_at is not None:
        raise DomainError("This consent has already been withdrawn")
    representation.revoked_at = utcnow()
    representation.revoked_by_id = actor.id
    representation.revoked_reason = reason.strip()[:500] or None
    audit.note("consent.revoked", representation, actor, tenant_id=holder.tenant_id)


def may_act_for(actor: User, holder: User) -> bool:
    """True when `actor` is the holder or a representative with consent standing."""
    if actor.id == holder.id:
        return True
    return actor.role == Role.REPRESENTATIVE and active_representation(holder, actor) is not None


# Tenants and roles (admin).


@dataclass(frozen=True)
class Area:
    gss_code: str
    name: str


@atomic
def create_tenant(admin: User, *, name: str, kind: TenantKind, areas: list[Area]) -> Tenant:
    if admin.role != Role.ADMIN:
        raise NotAllowed("Only administrators can add commissioning bodies")
    name = name.strip()
    if db.session.scalar(
        select(func.count(Tenant.id)).where(func.lower(Tenant.name) == name.lower())
    ):
        raise DomainError("A commissioning body with this name already exists", field="name")
    if not areas:
        raise DomainError("Choose at least one local authority area", field="areas")
    tenant = Tenant(name=name, kind=kind)
    tenant.areas = [TenantArea(gss_code=a.gss_code, name=a.name) for a in areas]
    db.session.add(tenant)
    db.session.flush()
    audit.note(
        "tenant.created", tenant, admin, tenant_id=tenant.id, areas=[a.gss_code for a in areas]
    )
    return tenant


def set_tenant_areas(admin: User, tenant: Tenant, areas: list[Area]) -> None:
    if admin.role != Role.ADMIN:
        raise NotAllowed("Only administrators can change commissioning bodies")
    if not areas:
        raise DomainError("Choose at least one local authority area", field="areas")
    before = sorted(a.gss_code for a in tenant.areas)
    tenant.areas = [TenantArea(gss_code=a.gss_code, name=a.name) for a in areas]
    audit.note(
        "tenant.areas_changed",
        tenant,
        admin,
        tenant_id=tenant.id,
        before=before,
        after=sorted(a.gss_code for a in areas),
    )


@atomic
def set_user_active(admin: User, user: User, active: bool) -> None:
    if admin.role != Role.ADMIN:
        raise NotAllowed("Only administrators can suspend accounts")
    if user.id == admin.id:
        raise DomainError("You cannot suspend your own account")
    locked(User, user.id)  # sent twice at once: the second finds it done
    if user.active == active:
        return
    user.active = active
    user.session_token = secrets.token_urlsafe(32)
    audit.note("user.reactivated" if active else "user.suspended", user, admin)


# Commissioners: their own tenant's people and invitations.


def holder_for_commissioner(commissioner: User, holder_id: int) -> User:
    """The holder with this id if they are in the commissioner's tenant. Raises NotFound otherwise,
    so a commissioner cannot tell whether another tenant's person exists."""
    holder = db.session.get(User, holder_id)
    if holder is not None and holder.role != Role.HOLDER:
        holder = None
    return in_own_tenant(commissioner, holder, lambda h: h.tenant_id)


def open_invitations_for_tenant(commissioner: User) -> list[Invitation]:
    """Invitations into the commissioner's tenant that can still be accepted, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.tenant_id == commissioner.tenant_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def invitation_for_commissioner(commissioner: User, invitation_id: int) -> Invitation:
    """An invitation into the commissioner's own tenant. Raises NotFound otherwise."""
    found = db.session.get(Invitation, invitation_id)
    return in_own_tenant(commissioner, found, lambda i: i.tenant_id)


def commissioners_of(tenant_id: int) -> list[User]:
    """The active commissioners of a tenant: who is told of its disputes and alerts."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role == Role.COMMISSIONER,
                User.tenant_id == tenant_id,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )
