"""Small factories that tests call directly (the fixtures in conftest.py build on the same)."""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import User
from marketplace.directory.models import Category
from marketplace.extensions import db
from marketplace.payments import services as payments
from marketplace.payments.models import Pot, PotKind
from provider_onboarding.models import ProviderChecks
from tests.frozen import TODAY


def add_category(
    slug: str, name: str = "Personal assistant", *, pa: bool = False, term: str | None = None
) -> Category:
    """A care category added to the session; the caller commits."""
    category = Category(
        slug=slug, name=name, description="", oruk_term_id=term or slug, is_personal_assistance=pa
    )
    db.session.add(category)
    return category


def set_up_pot(commissioner: User, holder: User, categories: list[Category], **terms: Any) -> Pot:
    """A budget the commissioner sets up for the holder, for these categories: social care, paid
    every 28 days from today, nothing paid in, unless `terms` say otherwise. The caller commits."""
    terms = {
        "kind": PotKind.SOCIAL_CARE,
        "support_plan_reference": "SP-1",
        "allocation_pence": 0,
        "allocation_every_days": 28,
        "allocation_starts_on": TODAY,
        **terms,
    }
    category_ids = [category.id for category in categories]
    return payments.create_pot(commissioner, holder, category_ids=category_ids, **terms)


def add_checks(provider_id: int, **fields: Any) -> ProviderChecks:
    """The checks a provider gave, added to the session: the right to work confirmed and no CQC
    match, unless `fields` say otherwise. The caller commits."""
    fields = {"right_to_work_confirmed": True, "cqc_matched": False, **fields}
    checks = ProviderChecks(provider_id=provider_id, **fields)
    db.session.add(checks)
    return checks
