"""The demo data file (data/demo/demo.toml) read into records: fictional providers, each with
one listing, and the demo people."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from marketplace.accounts.models import Role
from marketplace.directory.models import (
    AgeGroup,
    DeliveryMode,
    PriceUnit,
    ProviderKind,
    WorkerGender,
)
from marketplace.directory.services import WEEKDAYS
from marketplace.paths import PROJECT_ROOT

DEMO_FILE = PROJECT_ROOT / "data" / "demo" / "demo.toml"


@dataclass(frozen=True)
class DemoListing:
    """A demo provider's one listing, as the data file describes it."""

    title: str
    description: str
    categories: tuple[str, ...]
    price_pence: int
    price_unit: PriceUnit
    delivery_mode: DeliveryMode
    days: tuple[int, ...]  # weekday numbers, Monday 0
    starts: time
    ends: time
    languages: tuple[str, ...] = ("English",)
    worker_gender: WorkerGender | None = None
    accessibility_notes: str = ""
    travel_radius_miles: int | None = None
    age_groups: tuple[AgeGroup, ...] = ()


@dataclass(frozen=True)
class DemoProvider:
    """A fictional provider: a personal assistant, therapist, social enterprise or seller."""

    legal_name: str
    trading_name: str
    kind: ProviderKind
    description: str
    contact_email: str
    contact_phone: str
    outcode: str
    town: str
    local_authority: str
    listing: DemoListing


@dataclass(frozen=True)
class DemoPerson:
    """A demo user: `key` is their email's local part, `tenant` "council", "icb" or None, and
    `owns` the legal name of the demo provider they own, if any."""

    key: str
    role: Role
    full_name: str
    tenant: str | None = None
    owns: str | None = None


@dataclass(frozen=True)
class DemoData:
    providers: tuple[DemoProvider, ...]
    people: tuple[DemoPerson, ...]


def read_demo_file(path: Path = DEMO_FILE) -> DemoData:
    """The demo's providers, listings and people from the data file. Raises ValueError when the
    file is not marked `demo = true`, KeyError or TypeError on a missing or unknown field."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    if data.get("demo") is not True:
        raise ValueError(f"{path} is not marked as demo data (demo = true)")
    return DemoData(
        providers=tuple(_demo_provider(fields) for fields in data["providers"]),
        people=tuple(
            DemoPerson(**{**fields, "role": Role(fields["role"])}) for fields in data["people"]
        ),
    )


def _demo_provider(fields: dict[str, Any]) -> DemoProvider:
    listing: dict[str, Any] = fields["listing"]
    gender = listing.get("worker_gender")
    return DemoProvider(
        **{
            **fields,
            "kind": ProviderKind(fields["kind"]),
            "listing": DemoListing(
                **{
                    **listing,
                    "categories": tuple(listing["categories"]),
                    "price_unit": PriceUnit(listing["price_unit"]),
                    "delivery_mode": DeliveryMode(listing["delivery_mode"]),
                    "days": tuple(WEEKDAYS.index(day) for day in listing["days"]),
                    "languages": tuple(listing.get("languages", ("English",))),
                    "worker_gender": WorkerGender(gender) if gender else None,
                    "age_groups": tuple(AgeGroup(g) for g in listing.get("age_groups", ())),
                }
            ),
        }
    )
