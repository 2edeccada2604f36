"""Factories for money tests: a council with a commissioner, a holder with a funded pot, a
provider, and care categories (one personal assistance, one not in any plan)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from marketplace.accounts.models import Role, Tenant, User
from marketplace.directory.models import Category, Provider
from marketplace.extensions import db
from marketplace.payments import services
from marketplace.payments.models import Pot
from tests.factories import add_category, set_up_pot


@dataclass
class Money:
    tenant: Tenant
    commissioner: User
    holder: User
    provider: Provider
    provider_user: User
    pa: Category
    therapy: Category
    pot: Pot

    def fund(self, pence: int) -> None:
        services.fund_pot(self.commissioner, self.pot, pence, "Test funding")
        db.session.commit()

    def hold(self, pence: int, reference: str, **kw: object) -> object:
        made = services.hold(
            self.pot,
            pence,
            reference,
            provider=kw.pop("provider", self.provider),  # type: ignore[arg-type]
            category=kw.pop("category", self.pa),  # type: ignore[arg-type]
            description=str(kw.pop("description", "4 hours on Tue 3 Mar")),
            **kw,  # type: ignore[arg-type]
        )
        return made


@pytest.fixture()
def money(make_tenant, make_user, make_provider) -> Money:
    tenant = make_tenant()
    commissioner = make_user(Role.COMMISSIONER, tenant=tenant)
    holder = make_user(Role.HOLDER, tenant=tenant, full_name="Ada Holder")
    provider_user = make_user(Role.PROVIDER)
    provider = make_provider(owner=provider_user, legal_name="Moorside Care Ltd")
    pa = add_category("pa-test", pa=True, term="t-pa")
    therapy = add_category("therapy-test", "Talking therapy", term="t-th")
    db.session.commit()
    starts_on = date(2026, 10, 1)
    pot = set_up_pot(
        commissioner,
        holder,
        [pa],
        allocation_every_days=0,
        allocation_starts_on=starts_on,
        pa_hourly_cap_pence=2_500,
    )
    db.session.commit()
    return Money(tenant, commissioner, holder, provider, provider_user, pa, therapy, pot)
