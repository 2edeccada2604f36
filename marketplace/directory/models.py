"""The supply side: providers, their listings, the care taxonomy and weekly availability."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Tenant, User
from marketplace.extensions import db
from marketplace.models_base import TimestampMixin, UTCDateTime


class ProviderKind(enum.StrEnum):
    CARE_AGENCY = "care_agency"
    PERSONAL_ASSISTANT = "personal_assistant"
    THERAPIST = "therapist"
    SOCIAL_ENTERPRISE = "social_enterprise"
    EQUIPMENT = "equipment"
    ACTIVITY = "activity"

    @property
    def label(self) -> str:
        return PROVIDER_KIND_LABELS[self]


PROVIDER_KIND_LABELS = {
    ProviderKind.CARE_AGENCY: "Care agency",
    ProviderKind.PERSONAL_ASSISTANT: "Personal assistant (self-employed)",
    ProviderKind.THERAPIST: "Therapist",
    ProviderKind.SOCIAL_ENTERPRISE: "Social enterprise or charity",
    ProviderKind.EQUIPMENT: "Equipment and goods",
    ProviderKind.ACTIVITY: "Activities",
}


class VerificationStatus(enum.StrEnum):
    # Listed from a public register (the CQC's); nobody from it has an account here yet. Shown
    # with its public contact details, never bookable, until the provider claims it.
    NOT_JOINED = "not_joined"
    UNVERIFIED = "unverified"  # registered, checks not yet submitted
    PENDING = "pending"  # waiting for a commissioner or admin
    MORE_INFO = "more_info"  # asked for more information
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"

    @property
    def label(self) -> str:
        return {
            "not_joined": "Not on this service yet",
            "unverified": "Not yet checked",
            "pending": "Waiting for checks",
            "more_info": "More information needed",
            "verified": "Verified",
            "rejected": "Not approved",
            "suspended": "Suspended",
        }[self.value]


# The most a listing (or an offer on it) may charge for one hour, session or item: £100,000.
MAX_UNIT_PRICE_PENCE = 100_000_00


class PriceUnit(enum.StrEnum):
    HOUR = "hour"
    SESSION = "session"
    ITEM = "item"

    @property
    def label(self) -> str:
        return {"hour": "per hour", "session": "per session", "item": "each"}[self.value]


class DeliveryMode(enum.StrEnum):
    AT_HOME = "at_home"
    VENUE = "venue"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return {"at_home": "At your home", "venue": "At a venue", "online": "Online"}[self.value]


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUSPENDED = "suspended"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class WorkerGender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"

    @property
    def label(self) -> str:
        return {"female": "Woman", "male": "Man", "non_binary": "Non-binary"}[self.value]


class AgeGroup(enum.StrEnum):
    """Who a listing serves, by age. The bands meet without overlapping, so a person's age falls
    in exactly one: children 0–12, young people 13–17, adults 18–64, older people 65 and over."""

    CHILDREN = "children"
    YOUNG_PEOPLE = "young_people"
    ADULTS = "adults"
    OLDER_PEOPLE = "older_people"

    @property
    def label(self) -> str:
        return AGE_GROUP_LABELS[self]

    @property
    def minimum_age(self) -> int:
        return AGE_GROUP_RANGES[self][0]

    @property
    def maximum_age(self) -> int | None:
        """The oldest age in the group, or None for older people (no upper limit)."""
        return AGE_GROUP_RANGES[self][1]


AGE_GROUP_LABELS = {
    AgeGroup.CHILDREN: "Children (under 13)",
    AgeGroup.YOUNG_PEOPLE: "Young people (13 to 17)",
    AgeGroup.ADULTS: "Adults (18 to 64)",
    AgeGroup.OLDER_PEOPLE: "Older people (65 and over)",
}
AGE_GROUP_RANGES: dict[AgeGroup, tuple[int, int | None]] = {
    AgeGroup.CHILDREN: (0, 12),
    AgeGroup.YOUNG_PEOPLE: (13, 17),
    AgeGroup.ADULTS: (18, 64),
    AgeGroup.OLDER_PEOPLE: (65, None),
}


def age_range(groups: list[AgeGroup]) -> tuple[int, int | None] | None:
    """The youngest and oldest ages the groups cover (None for no upper limit), or None for no
    groups."""
    if not groups:
        return None
    youngest = min(group.minimum_age for group in groups)
    limits = [group.maximum_age for group in groups]
    if any(limit is None for limit in limits):
        return youngest, None
    return youngest, max(limit for limit in limits if limit is not None)


def sorted_age_groups(values: Iterable[str] | None) -> list[str]:
    """Known age group values from `values`, youngest first, each once."""
    chosen = {str(value) for value in values or ()}
    return [group.value for group in AgeGroup if group.value in chosen]


class Category(db.Model):  # type: ignore[name-defined]
    """A term of the care taxonomy, published as an Open Referral UK taxonomy term."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    oruk_term_id: Mapped[str] = mapped_column(String(36), unique=True)
    # True where a personal assistant's hourly-rate cap applies to what this category buys.
    is_personal_assistance: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


listing_categories = Table(
    "listing_categories",
    db.metadata,
    Column("listing_id", ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Provider(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProviderKind] = mapped_column(db.Enum(ProviderKind, native_enum=False, length=30))
    legal_name: Mapped[str] = mapped_column(String(200))
    trading_name: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    address_line: Mapped[str | None] = mapped_column(String(300))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    local_authority: Mapped[str | None] = mapped_column(String(100))
    cqc_location_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    cqc_provider_id: Mapped[str | None] = mapped_column(String(20))
    cqc_rating: Mapped[str | None] = mapped_column(String(40))
    cqc_service_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    cqc_specialisms: Mapped[list[str]] = mapped_column(JSON, default=list)
    verification_status: Mapped[VerificationStatus] = mapped_column(
        db.Enum(VerificationStatus, native_enum=False, length=20),
        default=VerificationStatus.UNVERIFIED,
    )
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The commissioning body whose staff check this provider.
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    tenant: Mapped[Tenant | None] = relationship()
    listings: Mapped[list[Listing]] = relationship(
        back_populates="provider",
        order_by="(Listing.title, Listing.id)",
        cascade="all, delete-orphan",
    )
    members: Mapped[list[ProviderMember]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="ProviderMember.id"
    )

    @property
    def display_name(self) -> str:
        return (self.trading_name or self.legal_name).strip()

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    @property
    def has_joined(self) -> bool:
        """False for an entry listed from the CQC register that nobody has claimed yet."""
        return self.verification_status != VerificationStatus.NOT_JOINED

    @property
    def is_personal_assistant(self) -> bool:
        """A self-employed personal assistant: the budgets' hourly PA cap applies to them,
        whatever kind of support the listing is filed under."""
        return self.kind == ProviderKind.PERSONAL_ASSISTANT


class ProviderMemberRole(enum.StrEnum):
    OWNER = "owner"
    STAFF = "staff"


class ProviderMember(db.Model):  # type: ignore[name-defined]
    """A user who may act for a provider."""

    __tablename__ = "provider_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[ProviderMemberRole] = mapped_column(
        db.Enum(ProviderMemberRole, native_enum=False, length=10)
    )

    provider: Mapped[Provider] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("provider_id", "user_id", name="uq_provider_members_pair"),)


class Listing(TimestampMixin, db.Model):  # type: ignore[name-defined]
    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    price_pence: Mapped[int] = mapped_column(Integer)
    price_unit: Mapped[PriceUnit] = mapped_column(db.Enum(PriceUnit, native_enum=False, length=10))
    delivery_mode: Mapped[DeliveryMode] = mapped_column(
        db.Enum(DeliveryMode, native_enum=False, length=10)
    )
    # Where an at-home service starts from (and how far it travels) or where the venue is.
    postcode: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    travel_radius_miles: Mapped[int | None] = mapped_column(Integer)
    venue_address: Mapped[str | None] = mapped_column(String(300))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    worker_gender: Mapped[WorkerGender | None] = mapped_column(
        db.Enum(WorkerGender, native_enum=False, length=12)
    )
    # Who the listing serves: AgeGroup values, youngest first. Empty when the provider has not said.
    age_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ListingStatus] = mapped_column(
        db.Enum(ListingStatus, native_enum=False, length=10),
        default=ListingStatus.DRAFT,
        index=True,
    )
    cancellation_notice_hours: Mapped[int] = mapped_column(Integer, default=24)
    # Share of the price charged when a holder cancels inside the notice period, in basis points.
    cancellation_charge_bps: Mapped[int] = mapped_column(Integer, default=0)
    works_bank_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    # Block price: book `block_quantity` units and pay for `block_pays_for` (10 for the price of 8).
    block_quantity: Mapped[int | None] = mapped_column(Integer)
    block_pays_for: Mapped[int | None] = mapped_column(Integer)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # The provider's own reference for the listing, set by a bulk import (a CSV "external_id" or
    # an Open Referral service id), so importing the same file again updates instead of adding.
    external_id: Mapped[str | None] = mapped_column(String(100))

    provider: Mapped[Provider] = relationship(back_populates="listings")
    categories: Mapped[list[Category]] = relationship(
        secondary=listing_categories, order_by="(Category.position, Category.id)"
    )
    availability: Mapped[list[AvailabilityRule]] = relationship(
        back_populates="listing",
        cascade="all, delete-orphan",
        order_by="(AvailabilityRule.weekday, AvailabilityRule.start_time, AvailabilityRule.id)",
    )
    exceptions: Mapped[list[AvailabilityException]] = relationship(
        back_populates="listing",
        cascade="all, delete-orphan",
        order_by="(AvailabilityException.starts_on, AvailabilityException.id)",
    )

    __table_args__ = (
        CheckConstraint("price_pence >= 0", name="price_not_negative"),
        CheckConstraint(
            "travel_radius_miles IS NULL OR travel_radius_miles BETWEEN 0 AND 200",
            name="radius_range",
        ),
        CheckConstraint("cancellation_charge_bps BETWEEN 0 AND 10000", name="charge_range"),
        CheckConstraint("cancellation_notice_hours >= 0", name="notice_not_negative"),
        CheckConstraint(
            "block_quantity IS NULL OR block_pays_for IS NULL "
            "OR (block_pays_for >= 1 AND block_pays_for < block_quantity)",
            name="block_discount",
        ),
        UniqueConstraint("provider_id", "external_id", name="uq_listings_provider_external_id"),
    )

    @property
    def served_age_groups(self) -> list[AgeGroup]:
        """The age groups the listing serves, youngest first."""
        return [AgeGroup(value) for value in sorted_age_groups(self.age_groups)]

    @property
    def age_group_labels(self) -> list[str]:
        return [group.label for group in self.served_age_groups]

    @property
    def age_range(self) -> tuple[int, int | None] | None:
        """The youngest and oldest ages served (None: no upper limit), or None when not said."""
        return age_range(self.served_age_groups)


class AvailabilityRule(db.Model):  # type: ignore[name-defined]
    """A weekly window when a listing can be booked, in Europe/London wall-clock time."""

    __tablename__ = "availability_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)  # Monday 0 … Sunday 6
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)

    listing: Mapped[Listing] = relationship(back_populates="availability")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="window_order"),
    )


class AvailabilityException(db.Model):  # type: ignore[name-defined]
    """Days a listing is not available (holidays), inclusive of both dates."""

    __tablename__ = "availability_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")

    listing: Mapped[Listing] = relationship(back_populates="exceptions")

    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="range_order"),)


class CqcLocation(db.Model):  # type: ignore[name-defined]
    """A location from the CQC care directory, imported by `flask directory import-cqc`."""

    __tablename__ = "cqc_locations"

    location_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(10))
    provider_id: Mapped[str | None] = mapped_column(String(20))
    provider_name: Mapped[str | None] = mapped_column(String(300))
    local_authority: Mapped[str | None] = mapped_column(String(100))
