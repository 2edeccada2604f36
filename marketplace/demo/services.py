"""Loading the demo: the demo council and ICB, then every room's rows, each only when missing."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import Tenant, TenantArea, TenantKind, User
from marketplace.demo.conversation import tell_conversation
from marketplace.demo.cqc import add_cqc_providers
from marketplace.demo.fictional import DEMO_PLAN, add_fictional_providers, add_people, demo_email
from marketplace.demo.meetings import tell_meetings
from marketplace.demo.records import read_demo_file
from marketplace.demo.report import DemoReport
from marketplace.demo.searches import add_saved_search, add_search_events
from marketplace.demo.story import Cast, tell
from marketplace.directory.models import Provider
from marketplace.directory.taxonomy import load_taxonomy
from marketplace.extensions import db
from marketplace.payments.models import Pot

COUNCIL_NAME = "Oldham Council (demo)"
STORY_PROVIDER = "Amira Demo"  # the provider the demo holder books, run by the demo provider
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


def load_demo() -> DemoReport:
    """Make every demo row that is missing. Flushes, never commits."""
    report = DemoReport()
    demo = read_demo_file()
    added, _ = load_taxonomy()
    report.count("categories", added)
    council = _tenant(COUNCIL_NAME, TenantKind.COUNCIL, COUNCIL_AREAS, report)
    icb = _tenant(ICB_NAME, TenantKind.ICB, ICB_AREAS, report)
    add_cqc_providers(council, report)
    providers = add_fictional_providers(demo.providers, council, report)
    add_people(demo.people, {"council": council, "icb": icb}, providers, report)
    db.session.flush()
    add_search_events(council, report)
    db.session.flush()
    cast = _cast(council, providers)
    tell(cast, report)
    add_saved_search(cast.holder, report)
    tell_conversation(cast, report)
    tell_meetings(cast, report)
    db.session.flush()
    return report


def _cast(council: Tenant, providers: dict[str, Provider]) -> Cast:
    """The people, listing and budget the demo's booking story is played by."""
    people = {
        key: db.session.scalars(select(User).where(User.email == demo_email(key))).one()
        for key in ("holder", "representative", "provider", "commissioner.council")
    }
    pot = db.session.scalars(
        select(Pot).where(
            Pot.holder_id == people["holder"].id, Pot.support_plan_reference == DEMO_PLAN
        )
    ).one()
    return Cast(
        holder=people["holder"],
        representative=people["representative"],
        provider=people["provider"],
        commissioner=people["commissioner.council"],
        listing=providers[STORY_PROVIDER].listings[0],
        pot=pot,
        council=council,
    )


def _tenant(name: str, kind: TenantKind, areas: dict[str, str], report: DemoReport) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        tenant = Tenant(name=name, kind=kind, is_demo=True)
        tenant.areas = [TenantArea(gss_code=code, name=area) for code, area in areas.items()]
        db.session.add(tenant)
        db.session.flush()
        report.count("tenants")
    return tenant
