"""The fictional providers and the demo people of the demo data file, made into rows: one person
for every role, the holder's representative and budget, the provider owner's provider."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.models import ConsentMethod, Representation, Tenant, User
from marketplace.accounts.services import set_password
from marketplace.clock import london_today
from marketplace.demo.records import DemoListing, DemoPerson, DemoProvider
from marketplace.demo.report import DemoReport
from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    DeliveryMode,
    Listing,
    ListingStatus,
    Provider,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.directory.taxonomy import categories_by_slug
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.payments import services as payments
from marketplace.payments.models import Pot, PotKind
from marketplace.search.geo import locate

EMAIL_DOMAIN = "demo.care-marketplace.example"


def add_fictional_providers(
    specs: tuple[DemoProvider, ...], council: Tenant, report: DemoReport
) -> dict[str, Provider]:
    """Make the fictional providers that are missing; return every one by legal name."""
    names = [spec.legal_name for spec in specs]
    existing = {
        p.legal_name: p
        for p in db.session.scalars(
            select(Provider).where(Provider.is_demo.is_(True), Provider.legal_name.in_(names))
        )
    }
    for index, spec in enumerate(specs):
        if spec.legal_name not in existing:
            existing[spec.legal_name] = _make_demo_provider(spec, index, council)
            report.count("demo providers")
    return existing


def _make_demo_provider(spec: DemoProvider, index: int, council: Tenant) -> Provider:
    point = locate(spec.outcode).point
    provider = Provider(
        kind=spec.kind,
        legal_name=spec.legal_name,
        trading_name=spec.trading_name,
        description=f"{spec.description} This is a fictional demo provider.",
        contact_email=spec.contact_email,
        contact_phone=spec.contact_phone,
        town=spec.town,
        postcode=spec.outcode,
        latitude=point.latitude,
        longitude=point.longitude,
        local_authority=spec.local_authority,
        verification_status=VerificationStatus.VERIFIED,
        verified_at=utcnow(),
        tenant_id=council.id,
        is_demo=True,
    )
    provider.listings = [_make_demo_listing(spec.listing, provider, index)]
    db.session.add(provider)
    db.session.flush()
    return provider


def _make_demo_listing(spec: DemoListing, provider: Provider, index: int) -> Listing:
    venue = spec.delivery_mode == DeliveryMode.VENUE
    listing = Listing(
        provider=provider,
        title=spec.title,
        description=f"{spec.description}\n\nThis is a demo listing. The price is not a real offer.",
        price_pence=spec.price_pence,
        price_unit=spec.price_unit,
        delivery_mode=spec.delivery_mode,
        postcode=provider.postcode,
        latitude=provider.latitude,
        longitude=provider.longitude,
        travel_radius_miles=spec.travel_radius_miles,
        venue_address=f"Demo venue, {provider.town} ({provider.postcode})" if venue else None,
        languages=list(spec.languages),
        worker_gender=spec.worker_gender,
        age_groups=[group.value for group in spec.age_groups],
        accessibility_notes=spec.accessibility_notes,
        status=ListingStatus.PUBLISHED,
        cancellation_notice_hours=24,
        cancellation_charge_bps=5000,
        is_demo=True,
    )
    listing.categories = categories_by_slug(spec.categories)
    listing.availability = [
        AvailabilityRule(weekday=day, start_time=spec.starts, end_time=spec.ends)
        for day in spec.days
    ]
    # A fixed holiday a few weeks from the first load, so the page shows one.
    holiday = london_today() + timedelta(days=21 + index)
    listing.exceptions = [
        AvailabilityException(
            starts_on=holiday, ends_on=holiday + timedelta(days=6), reason="Holiday"
        )
    ]
    return listing


# Demo people, one for every role.


def demo_email(key: str) -> str:
    """The email of the demo person with this key (the data file's `key`)."""
    return f"{key}@{EMAIL_DOMAIN}"


def add_people(
    people: tuple[DemoPerson, ...],
    tenants: dict[str, Tenant],
    providers: dict[str, Provider],
    report: DemoReport,
) -> None:
    """Make the demo people who are missing (in `tenants` by their tenant key), then the holder's
    representative, each owner's provider (from `providers` by legal name) and the holder's
    budget. A new person's one-time password goes in the report; flushes, never commits."""
    users: dict[str, User] = {}
    for person in people:
        email = demo_email(person.key)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, full_name=person.full_name, role=person.role, is_demo=True)
            user.tenant_id = tenants[person.tenant].id if person.tenant else None
            password = secrets.token_urlsafe(12)
            set_password(user, password)
            db.session.add(user)
            db.session.flush()
            report.new_logins.append((person.role.label, email, password))
            report.count("users")
        else:
            report.existing_emails.append(email)
        users[person.key] = user
    _represent(users["holder"], users["representative"], users["commissioner.council"], report)
    for person in people:
        if person.owns:
            _own(providers[person.owns], users[person.key], report)
    _budget(users["holder"], users["commissioner.council"], report)


def _represent(holder: User, representative: User, recorded_by: User, report: DemoReport) -> None:
    exists = db.session.scalar(
        select(Representation.id).where(
            Representation.holder_id == holder.id,
            Representation.representative_id == representative.id,
        )
    )
    if exists is None:
        db.session.add(
            Representation(
                holder_id=holder.id,
                representative_id=representative.id,
                relationship_to_holder="Daughter (demo)",
                consent_method=ConsentMethod.RECORDED_BY_COMMISSIONER,
                consent_recorded_by_id=recorded_by.id,
            )
        )
        report.count("representations")


def _own(provider: Provider, owner: User, report: DemoReport) -> None:
    exists = db.session.scalar(
        select(ProviderMember.id).where(
            ProviderMember.provider_id == provider.id, ProviderMember.user_id == owner.id
        )
    )
    if exists is None:
        db.session.add(
            ProviderMember(provider_id=provider.id, user_id=owner.id, role=ProviderMemberRole.OWNER)
        )
        report.count("provider members")


DEMO_PLAN = "DEMO-PLAN-0001"
# Four-weekly; small enough that the demo rota leaves it running low before the next payment.
DEMO_ALLOCATION_PENCE = 22_000
DEMO_BUDGET_CATEGORIES = ("personal-assistant", "homecare", "social-activities", "respite")


def _budget(holder: User, commissioner: User, report: DemoReport) -> None:
    """A four-weekly social care budget for the demo holder, set up by the council ten weeks
    ago with its first period paid then; the booking story pays the later periods as they
    come (so the dashboard, statements and alerts have money to show)."""
    exists = db.session.scalar(
        select(Pot.id).where(Pot.holder_id == holder.id, Pot.support_plan_reference == DEMO_PLAN)
    )
    if exists is not None:
        return
    started = london_today() - timedelta(weeks=10)
    with clock.frozen(datetime.combine(started, time(9), tzinfo=clock.LONDON)):
        pot = payments.create_pot(
            commissioner,
            holder,
            kind=PotKind.SOCIAL_CARE,
            support_plan_reference=DEMO_PLAN,
            allocation_pence=DEMO_ALLOCATION_PENCE,
            allocation_every_days=28,
            allocation_starts_on=started,
            category_ids=[c.id for c in categories_by_slug(DEMO_BUDGET_CATEGORIES)],
            pa_hourly_cap_pence=1_800,
        )
        report.count("budgets")
        report.count("allocations", len(payments.allocate_due_to(pot, clock.today())))
