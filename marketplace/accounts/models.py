"""People, the commissioning bodies they belong to, invitations and consent."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models_base import TimestampMixin, UTCDateTime, utcnow


class Role(enum.StrEnum):
    HOLDER = "holder"
    REPRESENTATIVE = "representative"
    PROVIDER = "provider"
    COMMISSIONER = "commissioner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.HOLDER: "Budget holder",
    Role.REPRESENTATIVE: "Representative",
    Role.PROVIDER: "Provider staff",
    Role.COMMISSIONER: "Commissioner staff",
    Role.ADMIN: "Administrator",
}


class TenantKind(enum.StrEnum):
    COUNCIL = "council"
    ICB = "icb"

    @property
    def label(self) -> str:
        return {"council": "Council", "icb": "Integrated care board (NHS)"}[self.value]


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class Tenant(TimestampMixin, db.Model):  # type: ignore[name-defined]
    """A commissioning body (a council or an ICB) that funds budgets. Each sees only its own."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[TenantKind] = mapped_column(db.Enum(TenantKind, native_enum=False, length=20))
    requires_provider_verification: Mapped[bool] = mapped_column(Boolean, default=True)
    platform_fee_bps: Mapped[int] = mapped_column(Integer, default=0)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    areas: Mapped[list[TenantArea]] = relationship(
        back_populates="tenant",
        cascade="all, delete-orphan",
        order_by="(TenantArea.name, TenantArea.id)",
    )

    __table_args__ = (
        db.CheckConstraint("platform_fee_bps >= 0 AND platform_fee_bps <= 5000", name="fee_range"),
    )


class TenantArea(db.Model):  # type: ignore[name-defined]
    """A local authority area a tenant serves, by its ONS (GSS) code."""

    __tablename__ = "tenant_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    gss_code: Mapped[str] = mapped_column(String(9))
    name: Mapped[str] = mapped_column(String(200))

    tenant: Mapped[Tenant] = relationship(back_populates="areas")

    __table_args__ = (UniqueConstraint("tenant_id", "gss_code", name="uq_tenant_areas_tenant_gss"),)


class User(UserMixin, TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=20))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Rotated on password change and sign-out everywhere, which ends every other session.
    session_token: Mapped[str] = mapped_column(String(64), default=_new_token)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tenant: Mapped[Tenant | None] = relationship()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class Invitation(db.Model):  # type: ignore[name-defined]
    """An emailed, expiring link to create an account in a role someone else chose."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=20))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    # For a representative: the holder who asked for them (their consent).
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    relationship_to_holder: Mapped[str | None] = mapped_column(String(100))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tenant: Mapped[Tenant | None] = relationship()
    holder: Mapped[User | None] = relationship(foreign_keys=[holder_id])
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()


class ConsentMethod(enum.StrEnum):
    HOLDER_ONLINE = "holder_online"
    RECORDED_BY_COMMISSIONER = "recorded_by_commissioner"

    @property
    def label(self) -> str:
        return {
            "holder_online": "Given by the budget holder on this service",
            "recorded_by_commissioner": "Recorded by commissioner staff",
        }[self.value]


class Representation(db.Model):  # type: ignore[name-defined]
    """A representative may act for a holder while the holder's consent stands."""

    __tablename__ = "representations"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    relationship_to_holder: Mapped[str] = mapped_column(String(100))
    consent_method: Mapped[ConsentMethod] = mapped_column(
        db.Enum(ConsentMethod, native_enum=False, length=30)
    )
    consent_recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    consent_recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    holder: Mapped[User] = relationship(foreign_keys=[holder_id])
    representative: Mapped[User] = relationship(foreign_keys=[representative_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
