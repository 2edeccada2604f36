"""The care taxonomy: the product's own Open Referral UK taxonomy, "Care marketplace categories".

The terms live in data/taxonomy.csv with fixed UUIDs, so an ORUK consumer sees the same term ids
on every installation. CQC service types and specialisms map onto these terms for imported
providers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select

from marketplace.directory.models import Category
from marketplace.extensions import db
from marketplace.paths import PROJECT_ROOT

TAXONOMY_FILE = PROJECT_ROOT / "data" / "taxonomy.csv"
TAXONOMY_NAME = "Care marketplace categories"
# Fixed id of the taxonomy itself in the ORUK API: uuid5(NAMESPACE_URL, TAXONOMY_NAME).
TAXONOMY_ID = "8a60a72d-d330-52f3-8af3-224fe4c930e7"

# CQC "gacServiceTypes" names and the category each maps to.
CQC_SERVICE_TYPES: dict[str, tuple[str, ...]] = {
    "Homecare agencies": ("homecare",),
    "Residential homes": ("residential-care", "respite"),
    "Nursing homes": ("nursing-care", "residential-care", "respite"),
    "Supported living": ("supported-living",),
    "Supported housing": ("supported-living",),
    "Shared lives": ("supported-living", "respite"),
    "Community services - Learning disabilities": ("day-opportunities",),
    "Community services - Mental Health": ("talking-therapies",),
    "Community services - Nursing": ("nursing-care",),
    "Extra Care housing services": ("supported-living",),
}

# CQC specialisms ("service users supported") that add a category on their own.
CQC_SPECIALISMS: dict[str, tuple[str, ...]] = {
    "Dementia": ("dementia-support",),
}


@dataclass(frozen=True)
class Term:
    slug: str
    name: str
    description: str
    oruk_term_id: str
    is_personal_assistance: bool
    position: int


@cache
def terms() -> tuple[Term, ...]:
    """Every term of the taxonomy in display order, read from data/taxonomy.csv."""
    with TAXONOMY_FILE.open(encoding="utf-8", newline="") as handle:
        rows = [
            Term(
                slug=row["slug"],
                name=row["name"],
                description=row["description"],
                oruk_term_id=row["oruk_term_id"],
                is_personal_assistance=row["is_personal_assistance"].strip().lower() == "true",
                position=int(row["position"]),
            )
            for row in csv.DictReader(handle)
        ]
    return tuple(sorted(rows, key=lambda term: term.position))


def load_taxonomy() -> tuple[int, int]:
    """Insert new terms and bring existing ones (matched by slug) up to date. Flushes, never
    commits. Returns (added, updated); running it twice adds and updates nothing the second time."""
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
    added = updated = 0
    for term in terms():
        fields = {
            "name": term.name,
            "description": term.description,
            "oruk_term_id": term.oruk_term_id,
            "is_personal_assistance": term.is_personal_assistance,
            "position": term.position,
        }
        category = existing.get(term.slug)
        if category is None:
            db.session.add(Category(slug=term.slug, **fields))
            added += 1
        elif any(getattr(category, key) != value for key, value in fields.items()):
            for key, value in fields.items():
                setattr(category, key, value)
            updated += 1
    db.session.flush()
    return added, updated


def slugs_for_cqc(service_types: Iterable[str], specialisms: Iterable[str] = ()) -> list[str]:
    """Category slugs for a CQC location's service types and specialisms, in taxonomy order,
    without repeats. Unknown CQC names are ignored."""
    wanted: set[str] = set()
    for name in service_types:
        wanted.update(CQC_SERVICE_TYPES.get(name.strip(), ()))
    for name in specialisms:
        wanted.update(CQC_SPECIALISMS.get(name.strip(), ()))
    return [term.slug for term in terms() if term.slug in wanted]


def categories_by_slug(slugs: Iterable[str]) -> list[Category]:
    """The Category rows for these slugs, in taxonomy order (missing slugs are skipped)."""
    wanted = list(slugs)
    rows = db.session.scalars(select(Category).where(Category.slug.in_(wanted))).all()
    return sorted(rows, key=lambda c: c.position)
