"""A small world for booking stories: a council, a holder with a funded pot, a PA provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import pytest

from marketplace.accounts.models import Role, User
from marketplace.directory.models import AvailabilityRule, Category, Listing, PriceUnit, Provider
from marketplace.extensions import db
from marketplace.payments import services as payments
from marketplace.payments.models import Pot
from tests.factories import add_category, set_up_pot
from tests.frozen import TODAY  # the frozen clock's date: the tests' "today"


@dataclass
class World:
    commissioner: User
    holder: User
    provider_user: User
    provider: Provider
    listing: Listing
    pot: Pot
    pa: Category
    physio: Category


@pytest.fixture()
def world(make_tenant, make_user, make_provider, make_listing) -> World:
    tenant = make_tenant()
    commissioner = make_user(Role.COMMISSIONER, tenant=tenant)
    holder = make_user(Role.HOLDER, tenant=tenant)
    provider_user = make_user(Role.PROVIDER)
    pa = add_category("pa-t", pa=True)
    physio = add_category("physio-t", "Physiotherapy", term="ph-t")
    db.session.commit()
    provider = make_provider(owner=provider_user)
    listing = make_listing(
        provider=provider,
        categories=[pa],
        price_pence=1500,
        price_unit=PriceUnit.HOUR,
        cancellation_notice_hours=48,
        cancellation_charge_bps=5000,
        works_bank_holidays=True,  # so a rota's sessions do not depend on the date (test_schedule)
    )
    # The PA's week: every day from 7am to 10pm (the demo's agencies work the same hours).
    listing.availability = [
        AvailabilityRule(weekday=d, start_time=DAY_STARTS, end_time=DAY_ENDS) for d in range(7)
    ]
    pot = set_up_pot(
        commissioner,
        holder,
        [pa],
        support_plan_reference="SP-9",
        allocation_pence=100_000,
        pa_hourly_cap_pence=1800,
    )
    db.session.flush()
    payments.allocate_due(TODAY)
    db.session.commit()
    return World(commissioner, holder, provider_user, provider, listing, pot, pa, physio)


def works_round_the_clock(listing: Listing) -> None:
    """A live-in carer's week: every hour of every day (a window to 23:59 runs to midnight)."""
    listing.availability = [
        AvailabilityRule(weekday=d, start_time=time(0, 0), end_time=time(23, 59)) for d in range(7)
    ]


NINE = time(9, 0)
DAY_STARTS, DAY_ENDS = time(7, 0), time(22, 0)
