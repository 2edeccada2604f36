"""`flask --app wsgi demo load`: a demo tenant, real CQC providers and demo people.

Everything made here has is_demo=True and obviously demo names and emails. Loading twice changes
nothing: every row is looked up by its natural key (tenant name, email, CQC location id, demo
provider legal name, listing title) and only made when missing. Demo search events (which name
no person and have no is_demo; their tenant is the demo council, or none) name the engine
"demo" and are made only when there are none.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from marketplace import PROJECT_ROOT
from marketplace.accounts.models import (
    ConsentMethod,
    Representation,
    Role,
    Tenant,
    TenantArea,
    TenantKind,
    User,
)
from marketplace.accounts.services import set_password
from marketplace.clock import LONDON, london_today
from marketplace.commissioning import market
from marketplace.directory.models import (
    AvailabilityException,
    AvailabilityRule,
    Category,
    DeliveryMode,
    Listing,
    ListingStatus,
    PriceUnit,
    Provider,
    ProviderKind,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
    WorkerGender,
    listing_categories,
)
from marketplace.directory.taxonomy import categories_by_slug, load_taxonomy, slugs_for_cqc
from marketplace.extensions import db
from marketplace.models_base import utcnow
from marketplace.payments import services as payments
from marketplace.payments.models import Pot, PotKind
from marketplace.search.geo import locate
from marketplace.search.models import SearchEvent

demo_cli = AppGroup("demo", help="Demonstration data, clearly marked as demo.")

CQC_FILE = PROJECT_ROOT / "data" / "providers" / "cqc_api_locations_oldham_2025-08.json"
EMAIL_DOMAIN = "demo.care-marketplace.example"
COUNCIL_NAME = "Oldham Council (demo)"
ICB_NAME = "NHS Greater Manchester ICB (demo)"
COUNCIL_AREAS = {
    "E08000004": "Oldham",
    "E08000005": "Rochdale",
    "E08000008": "Tameside",
    "E08000003": "Manchester",
}
ICB_AREAS = {
    "E08000001": "Bolton",
    "E08000002": "Bury",
    "E08000003": "Manchester",
    "E08000004": "Oldham",
    "E08000005": "Rochdale",
    "E08000006": "Salford",
    "E08000007": "Stockport",
    "E08000008": "Tameside",
    "E08000009": "Trafford",
    "E08000010": "Wigan",
}
DEMO_NOTE = (
    "Demo listing: made from this provider's public CQC registration to show how the service "
    "works. The price is invented and the provider has not joined this service."
)


@dataclass
class DemoReport:
    """What a load did: accounts made now (with one-time passwords) and what already existed."""

    new_logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, password)
    existing_emails: list[str] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        if n:
            self.added[what] = self.added.get(what, 0) + n


def load_demo() -> DemoReport:
    """Make every demo row that is missing. Flushes, never commits."""
    report = DemoReport()
    added, _ = load_taxonomy()
    report.count("categories", added)
    council = _tenant(COUNCIL_NAME, TenantKind.COUNCIL, COUNCIL_AREAS, report)
    icb = _tenant(ICB_NAME, TenantKind.ICB, ICB_AREAS, report)
    _cqc_providers(council, report)
    pa_provider = _demo_providers(council, report)
    _people(council, icb, pa_provider, report)
    db.session.flush()
    _search_events(council, report)
    db.session.flush()
    return report


def _tenant(name: str, kind: TenantKind, areas: dict[str, str], report: DemoReport) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        tenant = Tenant(name=name, kind=kind, is_demo=True)
        tenant.areas = [TenantArea(gss_code=code, name=area) for code, area in areas.items()]
        db.session.add(tenant)
        db.session.flush()
        report.count("tenants")
    return tenant


# Real providers from CQC's public register (public fields only; never a person's name).


def _cqc_locations() -> list[dict[str, Any]]:
    with CQC_FILE.open(encoding="utf-8") as handle:
        locations: list[dict[str, Any]] = json.load(handle)
    return [
        loc
        for loc in locations
        if loc.get("registrationStatus") == "Registered"
        and loc.get("type") == "Social Care Org"
        and loc.get("postalCode")
        and loc.get("onspdLatitude") is not None
        and loc.get("onspdLongitude") is not None
    ]


def _cqc_providers(council: Tenant, report: DemoReport) -> None:
    known = set(db.session.scalars(select(Provider.cqc_location_id)))
    for loc in _cqc_locations():
        if loc["locationId"] in known:
            continue
        provider = _provider_from_cqc(loc, council)
        provider.listings = [_listing_from_cqc(loc, provider)]
        db.session.add(provider)
        known.add(loc["locationId"])
        report.count("CQC providers")


def _provider_from_cqc(loc: dict[str, Any], council: Tenant) -> Provider:
    address = ", ".join(
        part for part in (loc.get("postalAddressLine1"), loc.get("postalAddressLine2")) if part
    )
    return Provider(
        kind=ProviderKind.CARE_AGENCY,
        legal_name=loc["name"].strip(),
        description="Registered with the Care Quality Commission (CQC).",
        contact_phone=loc.get("mainPhoneNumber") or None,
        website=loc.get("website") or None,
        address_line=address or None,
        town=loc.get("postalAddressTownCity") or None,
        postcode=loc["postalCode"].strip().upper(),
        latitude=float(loc["onspdLatitude"]),
        longitude=float(loc["onspdLongitude"]),
        local_authority=loc.get("localAuthority"),
        cqc_location_id=loc["locationId"],
        cqc_provider_id=loc.get("providerId"),
        cqc_rating=((loc.get("currentRatings") or {}).get("overall") or {}).get("rating"),
        cqc_service_types=[t["name"] for t in loc.get("gacServiceTypes", [])],
        cqc_specialisms=[s["name"] for s in loc.get("specialisms", [])],
        verification_status=VerificationStatus.VERIFIED,
        verified_at=utcnow(),
        tenant_id=council.id,
        is_demo=True,
    )


def _demo_price(key: str, low_pence: int, high_pence: int) -> int:
    """A price that is the same on every run for the same key, rounded to 10p."""
    rng = random.Random(f"demo-price:{key}")
    return rng.randrange(low_pence // 10, high_pence // 10 + 1) * 10


def _listing_from_cqc(loc: dict[str, Any], provider: Provider) -> Listing:
    types = provider.cqc_service_types
    care_home = any(t in ("Residential homes", "Nursing homes") for t in types)
    listing = Listing(
        provider=provider,
        postcode=provider.postcode,
        latitude=provider.latitude,
        longitude=provider.longitude,
        status=ListingStatus.PUBLISHED,
        cancellation_notice_hours=48 if care_home else 24,
        cancellation_charge_bps=5000 if care_home else 10_000,
        works_bank_holidays=True,
        languages=["English"],
        is_demo=True,
    )
    if care_home:
        listing.title = "Respite stays (per night)"
        listing.description = (
            "A short stay in our care home so you, and the people who care for you, get a break. "
            f"Meals and personal care included.\n\n{DEMO_NOTE}"
        )
        listing.price_pence = _demo_price(loc["locationId"], 12_000, 22_000)
        listing.price_unit = PriceUnit.SESSION
        listing.delivery_mode = DeliveryMode.VENUE
        listing.venue_address = ", ".join(
            p for p in (provider.address_line, provider.town, provider.postcode) if p
        )
        slugs = ["respite", *slugs_for_cqc(types, provider.cqc_specialisms)]
    else:
        supported = "Homecare agencies" not in types
        listing.title = "Supported living support" if supported else "Homecare visits"
        listing.description = (
            "Care workers help with washing, dressing, meals, medicines and getting out, "
            f"at times that suit you.\n\n{DEMO_NOTE}"
        )
        listing.price_pence = _demo_price(loc["locationId"], 2_100, 3_000)
        listing.price_unit = PriceUnit.HOUR
        listing.delivery_mode = DeliveryMode.AT_HOME
        listing.travel_radius_miles = 8
        listing.availability = [
            AvailabilityRule(weekday=day, start_time=time(7), end_time=time(22)) for day in range(7)
        ]
        slugs = slugs_for_cqc(types, provider.cqc_specialisms) or ["homecare"]
    listing.categories = categories_by_slug(slugs)
    return listing


# Fictional demo providers: personal assistants, therapists, social enterprises, a seller.


@dataclass(frozen=True)
class DemoListing:
    title: str
    description: str
    categories: tuple[str, ...]
    price_pence: int
    unit: PriceUnit
    mode: DeliveryMode
    weekdays: tuple[int, ...]
    hours: tuple[time, time]
    languages: tuple[str, ...] = ("English",)
    gender: WorkerGender | None = None
    accessibility: str = ""
    radius: int | None = None


@dataclass(frozen=True)
class DemoProvider:
    legal_name: str
    trading_name: str
    kind: ProviderKind
    outcode: str
    description: str
    listing: DemoListing


_WEEKDAYS = (0, 1, 2, 3, 4)
_ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)

DEMO_PROVIDERS: tuple[DemoProvider, ...] = (
    DemoProvider(
        "Amira Demo",
        "Amira, personal assistant (demo)",
        ProviderKind.PERSONAL_ASSISTANT,
        "OL8",
        "Self-employed personal assistant with eight years' experience, including dementia care.",
        DemoListing(
            "Personal assistant: mornings",
            "Help getting up, washing, dressing, breakfast and "
            "medicines, then out to the shops or appointments.",
            ("personal-assistant", "dementia-support"),
            1550,
            PriceUnit.HOUR,
            DeliveryMode.AT_HOME,
            _WEEKDAYS,
            (time(7), time(13)),
            ("English", "Urdu", "Punjabi"),
            WorkerGender.FEMALE,
            "Trained in moving and handling, including hoists.",
            6,
        ),
    ),
    DemoProvider(
        "Tom Demo",
        "Tom, personal assistant (demo)",
        ProviderKind.PERSONAL_ASSISTANT,
        "OL4",
        "Personal assistant who supports younger adults to work, study and enjoy evenings out.",
        DemoListing(
            "Personal assistant: evenings and weekends",
            "Support at home and out and about: cooking, football, the gym, gigs.",
            ("personal-assistant", "social-activities"),
            1480,
            PriceUnit.HOUR,
            DeliveryMode.AT_HOME,
            (0, 1, 2, 3, 4, 5),
            (time(16), time(22)),
            ("English",),
            WorkerGender.MALE,
            "Full driving licence.",
            10,
        ),
    ),
    DemoProvider(
        "Grace Demo",
        "Grace, personal assistant (demo)",
        ProviderKind.PERSONAL_ASSISTANT,
        "OL9",
        "Weekend personal assistant and cover for other PAs' holidays.",
        DemoListing(
            "Personal assistant: weekend and holiday cover",
            "Personal care, meals, housework "
            "and company at weekends, or cover when your usual PA is away.",
            ("personal-assistant",),
            1600,
            PriceUnit.HOUR,
            DeliveryMode.AT_HOME,
            (5, 6),
            (time(8), time(20)),
            ("English", "Polish"),
            WorkerGender.FEMALE,
            "",
            8,
        ),
    ),
    DemoProvider(
        "Bilal Demo",
        "Bilal, personal assistant (demo)",
        ProviderKind.PERSONAL_ASSISTANT,
        "OL1",
        "Personal assistant supporting men with personal care and getting out.",
        DemoListing(
            "Personal assistant: daytime",
            "Personal care, appointments, mosque, shopping and days out.",
            ("personal-assistant",),
            1500,
            PriceUnit.HOUR,
            DeliveryMode.AT_HOME,
            _WEEKDAYS,
            (time(9), time(17)),
            ("English", "Bengali", "Urdu"),
            WorkerGender.MALE,
            "",
            5,
        ),
    ),
    DemoProvider(
        "Moving Well Physiotherapy Demo Ltd",
        "Moving Well Physiotherapy (demo)",
        ProviderKind.THERAPIST,
        "OL1",
        "Chartered physiotherapists (HCPC registered).",
        DemoListing(
            "Physiotherapy session at home",
            "A 45-minute session to build strength, balance "
            "and confidence after a fall, stroke or operation.",
            ("physiotherapy",),
            5500,
            PriceUnit.SESSION,
            DeliveryMode.AT_HOME,
            _WEEKDAYS,
            (time(9), time(17)),
            ("English",),
            None,
            "",
            12,
        ),
    ),
    DemoProvider(
        "Home Ability OT Demo Ltd",
        "Home Ability Occupational Therapy (demo)",
        ProviderKind.THERAPIST,
        "OL2",
        "Occupational therapists who assess homes and daily tasks.",
        DemoListing(
            "Occupational therapy home assessment",
            "We watch how everyday tasks go, then suggest changes, equipment and practice.",
            ("occupational-therapy", "equipment"),
            6500,
            PriceUnit.SESSION,
            DeliveryMode.AT_HOME,
            (0, 2, 4),
            (time(9), time(16)),
            ("English",),
            None,
            "",
            15,
        ),
    ),
    DemoProvider(
        "Talking Space Demo CIC",
        "Talking Space Counselling (demo)",
        ProviderKind.THERAPIST,
        "OL1",
        "Community interest company offering counselling without a waiting list.",
        DemoListing(
            "Counselling by video call",
            "Fifty-minute sessions with a BACP registered counsellor.",
            ("talking-therapies",),
            4500,
            PriceUnit.SESSION,
            DeliveryMode.ONLINE,
            (0, 1, 2, 3, 4, 5),
            (time(10), time(20)),
            ("English", "Urdu"),
            None,
            "Captions and a text chat option.",
            None,
        ),
    ),
    DemoProvider(
        "Clear Mind CBT Demo Ltd",
        "Clear Mind CBT (demo)",
        ProviderKind.THERAPIST,
        "OL4",
        "Accredited cognitive behavioural therapists (BABCP).",
        DemoListing(
            "Cognitive behavioural therapy (CBT)",
            "Structured CBT for anxiety, low mood and OCD, at our rooms in Lees.",
            ("talking-therapies",),
            6000,
            PriceUnit.SESSION,
            DeliveryMode.VENUE,
            (1, 3),
            (time(9), time(19)),
            ("English",),
            None,
            "Ground floor room, step-free entrance, accessible toilet.",
            None,
        ),
    ),
    DemoProvider(
        "Chatterbox SLT Demo Ltd",
        "Chatterbox Speech and Language Therapy (demo)",
        ProviderKind.THERAPIST,
        "OL6",
        "Speech and language therapists (HCPC registered).",
        DemoListing(
            "Speech and language therapy",
            "Help with speech, communication aids, eating and swallowing, at home.",
            ("speech-and-language-therapy",),
            7000,
            PriceUnit.SESSION,
            DeliveryMode.AT_HOME,
            (0, 1, 3),
            (time(9), time(15)),
            ("English", "BSL"),
            None,
            "Uses Makaton and British Sign Language.",
            10,
        ),
    ),
    DemoProvider(
        "Pennine Days Demo CIC",
        "Pennine Day Opportunities (demo)",
        ProviderKind.SOCIAL_ENTERPRISE,
        "OL1",
        "Social enterprise running day opportunities.",
        DemoListing(
            "Day opportunities: art, cooking and gardening",
            "A day at our centre with support staff. Lunch included.",
            ("day-opportunities", "social-activities"),
            3500,
            PriceUnit.SESSION,
            DeliveryMode.VENUE,
            _WEEKDAYS,
            (time(10), time(15, 30)),
            ("English",),
            None,
            "Step-free, changing places toilet, quiet room.",
            None,
        ),
    ),
    DemoProvider(
        "Friday Friends Demo CIO",
        "Friday Friends Social Club (demo)",
        ProviderKind.SOCIAL_ENTERPRISE,
        "OL2",
        "Charity-run social club for adults.",
        DemoListing(
            "Friday social club",
            "Games, music, a meal and good company every Friday.",
            ("social-activities",),
            800,
            PriceUnit.SESSION,
            DeliveryMode.VENUE,
            (4,),
            (time(18), time(21)),
            ("English",),
            None,
            "Step-free hall, hearing loop.",
            None,
        ),
    ),
    DemoProvider(
        "Oldham Mobility Supplies Demo Ltd",
        "Oldham Mobility Supplies (demo)",
        ProviderKind.EQUIPMENT,
        "OL9",
        "Equipment and daily living aids, delivered and fitted.",
        DemoListing(
            "Perching stool, delivered and adjusted",
            "Height-adjustable perching stool with arms and back rest, delivered and set up.",
            ("equipment",),
            4999,
            PriceUnit.ITEM,
            DeliveryMode.AT_HOME,
            _WEEKDAYS,
            (time(9), time(17)),
            ("English",),
            None,
            "",
            15,
        ),
    ),
    DemoProvider(
        "Access Travel Demo CIC",
        "Access Travel (demo)",
        ProviderKind.SOCIAL_ENTERPRISE,
        "OL8",
        "Wheelchair-accessible minibus and escorts.",
        DemoListing(
            "Accessible transport with escort",
            "A wheelchair-accessible minibus and a trained "
            "escort to appointments, work or activities.",
            ("transport",),
            2200,
            PriceUnit.HOUR,
            DeliveryMode.AT_HOME,
            _ALL_WEEK,
            (time(7), time(19)),
            ("English",),
            None,
            "Wheelchair lift and tracking.",
            20,
        ),
    ),
)


def _demo_providers(council: Tenant, report: DemoReport) -> Provider:
    """Make the fictional providers that are missing; return the first personal assistant."""
    names = [spec.legal_name for spec in DEMO_PROVIDERS]
    existing = {
        p.legal_name: p
        for p in db.session.scalars(
            select(Provider).where(Provider.is_demo.is_(True), Provider.legal_name.in_(names))
        )
    }
    for index, spec in enumerate(DEMO_PROVIDERS):
        if spec.legal_name not in existing:
            existing[spec.legal_name] = _make_demo_provider(spec, index, council)
            report.count("demo providers")
    return existing[DEMO_PROVIDERS[0].legal_name]


def _make_demo_provider(spec: DemoProvider, index: int, council: Tenant) -> Provider:
    point = locate(spec.outcode).point
    town = "Ashton-under-Lyne" if spec.outcode == "OL6" else "Oldham"
    provider = Provider(
        kind=spec.kind,
        legal_name=spec.legal_name,
        trading_name=spec.trading_name,
        description=f"{spec.description} This is a fictional demo provider.",
        contact_email=f"provider{index + 1}@{EMAIL_DOMAIN}",
        contact_phone=f"0161 496 {index:04d}",  # Ofcom's range for drama: never a real number
        town=town,
        postcode=spec.outcode,
        latitude=point.latitude,
        longitude=point.longitude,
        local_authority="Tameside" if spec.outcode == "OL6" else "Oldham",
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
    venue = spec.mode == DeliveryMode.VENUE
    listing = Listing(
        provider=provider,
        title=spec.title,
        description=f"{spec.description}\n\nThis is a demo listing. The price is not a real offer.",
        price_pence=spec.price_pence,
        price_unit=spec.unit,
        delivery_mode=spec.mode,
        postcode=provider.postcode,
        latitude=provider.latitude,
        longitude=provider.longitude,
        travel_radius_miles=spec.radius,
        venue_address=f"Demo venue, {provider.town} ({provider.postcode})" if venue else None,
        languages=list(spec.languages),
        worker_gender=spec.gender,
        accessibility_notes=spec.accessibility,
        status=ListingStatus.PUBLISHED,
        cancellation_notice_hours=24,
        cancellation_charge_bps=5000,
        is_demo=True,
    )
    listing.categories = categories_by_slug(spec.categories)
    start, end = spec.hours
    listing.availability = [
        AvailabilityRule(weekday=day, start_time=start, end_time=end) for day in spec.weekdays
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


@dataclass(frozen=True)
class DemoPerson:
    key: str
    role: Role
    full_name: str
    tenant: str | None


DEMO_PEOPLE = (
    DemoPerson("admin", Role.ADMIN, "Demo Administrator", None),
    DemoPerson("commissioner.council", Role.COMMISSIONER, "Demo Council Commissioner", "council"),
    DemoPerson("commissioner.icb", Role.COMMISSIONER, "Demo ICB Commissioner", "icb"),
    DemoPerson("holder", Role.HOLDER, "Demo Budget Holder", "council"),
    DemoPerson("representative", Role.REPRESENTATIVE, "Demo Representative", "council"),
    DemoPerson("provider", Role.PROVIDER, "Demo Provider Owner", None),
)


def demo_email(key: str) -> str:
    return f"{key}@{EMAIL_DOMAIN}"


def _people(council: Tenant, icb: Tenant, pa_provider: Provider, report: DemoReport) -> None:
    tenants = {"council": council, "icb": icb}
    users: dict[str, User] = {}
    for person in DEMO_PEOPLE:
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
    _own(pa_provider, users["provider"], report)
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
DEMO_BUDGET_CATEGORIES = ("personal-assistant", "homecare", "social-activities", "respite")


def _budget(holder: User, commissioner: User, report: DemoReport) -> None:
    """A four-weekly social care budget for the demo holder, paid for each period since it
    started ten weeks ago (so the dashboard and the alerts have money to show)."""
    exists = db.session.scalar(
        select(Pot.id).where(Pot.holder_id == holder.id, Pot.support_plan_reference == DEMO_PLAN)
    )
    if exists is not None:
        return
    pot = payments.create_pot(
        commissioner,
        holder,
        kind=PotKind.SOCIAL_CARE,
        support_plan_reference=DEMO_PLAN,
        allocation_pence=120_000,
        allocation_every_days=28,
        allocation_starts_on=london_today() - timedelta(weeks=10),
        category_ids=[c.id for c in categories_by_slug(DEMO_BUDGET_CATEGORIES)],
        pa_hourly_cap_pence=1_800,
    )
    report.count("budgets")
    report.count("allocations", len(payments.allocate_due_to(pot, london_today())))


# Searches over the last 12 weeks, so the market gap report has demand to show.

DEMO_SEARCHES = 400
DEMO_SEARCH_DAYS = 84  # the report's default period: the last 12 weeks, today included
DEMO_SEARCH_ENGINE = "demo"  # the engine named on demo search events: none answered them
DEMO_SIGNED_IN_SHARE = 0.35  # the rest were made by people not signed in
# Searches from each of the council's areas (%): Oldham, Rochdale, Tameside, Manchester.
DEMO_SEARCH_AREAS = {"E08000004": 65, "E08000005": 15, "E08000008": 12, "E08000003": 8}
DEMO_SEARCH_WEIGHTS = {  # how often each kind of support is searched for (others: 1)
    "personal-assistant": 8,
    "homecare": 8,
    "dementia-support": 4,
    "physiotherapy": 3,
    "talking-therapies": 3,
    "respite": 3,
    "social-activities": 3,
    "occupational-therapy": 2,
    "day-opportunities": 2,
    "transport": 2,
}
DEMO_SEARCH_TEXTS = ("", "", "", "", "", "", "night care", "dementia", "physio", "urdu speaking")


def _search_events(council: Tenant, report: DemoReport) -> None:
    """The same 400 searches on every machine (seeded), over the 12 weeks before the first
    load: from the districts of the council's areas (most in Oldham, where the demo providers
    are), for kinds of support from the taxonomy, with a mix of days and times asked for.
    About a third by people signed in to the demo council, the rest by people not signed in
    (counted by district). No person is in them. Results follow the demo supply of each kind,
    fewer for evenings and weekends, so scarce kinds and times show as gaps. Made once: a
    later load adds none."""
    made = select(SearchEvent.id).where(SearchEvent.engine == DEMO_SEARCH_ENGINE).limit(1)
    if db.session.scalar(made) is not None:
        return
    rng = random.Random("demo-searches")
    districts = {  # of each of the council's areas, by the report's rule
        code: market.area_outcodes(frozenset({code})) for code in DEMO_SEARCH_AREAS
    }
    slugs, supply = _supply_by_category(council)
    weights = [DEMO_SEARCH_WEIGHTS.get(slug, 1) for slug in slugs]
    now = utcnow()
    rows = []
    for _ in range(DEMO_SEARCHES):
        cats = rng.choices(slugs, weights) if rng.random() < 0.85 else []
        signed_in = rng.random() < DEMO_SIGNED_IN_SHARE
        area = rng.choices(list(DEMO_SEARCH_AREAS), list(DEMO_SEARCH_AREAS.values()))[0]
        outcode = None if signed_in and rng.random() < 0.1 else rng.choice(districts[area])
        day, at = _demo_day_and_time(rng)
        found = supply.get(cats[0], 0) if cats else sum(supply.values())
        if day is not None and (day >= 5 or (at is not None and not 8 <= at.hour < 18)):
            found = found // 4  # few work evenings and weekends
        elif day is not None:
            found = found // 2
        filters: dict[str, object] = {"categories": cats, "sort": "relevance"}
        if outcode:
            filters["radius_miles"] = 10
        if day is not None:
            filters["day"] = day
        if at is not None:
            filters["time"] = at.strftime("%H:%M")
        rows.append(
            SearchEvent(
                tenant_id=council.id if signed_in else None,
                outcode=outcode,
                categories=cats,
                filters=filters,
                text=rng.choice(DEMO_SEARCH_TEXTS),
                result_count=round(found * rng.uniform(0.2, 1.0)),
                engine=DEMO_SEARCH_ENGINE,
                created_at=_demo_moment(rng, now),
            )
        )
    db.session.add_all(rows)
    report.count("search events", len(rows))


def _supply_by_category(council: Tenant) -> tuple[list[str], dict[str, int]]:
    """Every kind of support in the taxonomy's order, and the council's published listings of
    each."""
    slugs = list(db.session.scalars(select(Category.slug).order_by(Category.position)))
    counted = db.session.execute(
        select(Category.slug, func.count(Listing.id))
        .join(listing_categories, listing_categories.c.category_id == Category.id)
        .join(Listing, Listing.id == listing_categories.c.listing_id)
        .join(Provider, Provider.id == Listing.provider_id)
        .where(Provider.tenant_id == council.id, Listing.status == ListingStatus.PUBLISHED)
        .group_by(Category.slug)
    )
    return slugs, {slug: n for slug, n in counted}


def _demo_day_and_time(rng: random.Random) -> tuple[int | None, time | None]:
    """Most searches ask for no day; of those that do, most ask for a weekday, some a time."""
    if rng.random() < 0.35:
        return None, None
    day = rng.randrange(5) if rng.random() < 0.75 else rng.randrange(5, 7)
    if rng.random() < 0.35:
        return day, None
    hour = rng.randrange(9, 17) if rng.random() < 0.6 else rng.choice([7, 18, 19, 20, 21, 22])
    return day, time(hour, rng.choice([0, 30]))


def _demo_moment(rng: random.Random, now: datetime) -> datetime:
    """A London daytime or evening moment in the 12 weeks up to now."""
    day = london_today(now) - timedelta(days=rng.randrange(DEMO_SEARCH_DAYS))
    at = datetime.combine(day, time(rng.randrange(7, 23), rng.randrange(60)), tzinfo=LONDON)
    moment = at.astimezone(UTC)
    return moment if moment <= now else now - timedelta(minutes=rng.randrange(1, 60))


@demo_cli.command("load")
def load_command() -> None:
    """Load demo data (safe to run again: it only adds what is missing)."""
    report = load_demo()
    db.session.commit()
    if report.added:
        click.echo("Added: " + ", ".join(f"{n} {what}" for what, n in report.added.items()) + ".")
    else:
        click.echo("Demo data is already loaded. Nothing changed.")
    if report.new_logins:
        click.echo("\nDemo sign-ins (passwords are shown once, now; write them down):\n")
        width = max(len(email) for _, email, _ in report.new_logins)
        click.echo(f"{'Role':<20} {'Email':<{width}} Password")
        for role, email, password in report.new_logins:
            click.echo(f"{role:<20} {email:<{width}} {password}")
    if report.existing_emails:
        click.echo(
            "\nThese demo users already exist; their passwords were shown when they were "
            "created:\n  " + "\n  ".join(report.existing_emails)
        )
