"""Budget pots: set up by the holder's commissioner, funded once or on schedule, never twice."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.accounts.models import Role
from marketplace.audit import AuditEvent
from marketplace.directory.models import Category
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.payments import ledger, services
from marketplace.payments.models import Allocation, PotKind
from tests.factories import set_up_pot


@pytest.fixture()
def homecare(app_ctx):
    category = Category(slug="homecare-test", name="Homecare", description="", oruk_term_id="t-1")
    db.session.add(category)
    db.session.commit()
    return category


@pytest.fixture()
def people(make_tenant, make_user):
    tenant = make_tenant()
    return (
        make_user(Role.COMMISSIONER, tenant=tenant),
        make_user(Role.HOLDER, tenant=tenant),
        make_user(Role.COMMISSIONER),  # another council's staff
    )


def new_pot(commissioner, holder, category, **terms):
    terms = {
        "support_plan_reference": "SP-1001",
        "allocation_pence": 120_000,
        "allocation_starts_on": date(2026, 10, 1),
        **terms,
    }
    pot = set_up_pot(commissioner, holder, [category], **terms)
    db.session.commit()
    return pot


def test_a_four_weekly_schedule_pays_each_period_once(people, homecare):
    commissioner, holder, _ = people
    pot = new_pot(commissioner, holder, homecare)
    first = services.allocate_due(date(2026, 11, 22))  # 1 Oct, 29 Oct and 26 Nov are starts
    db.session.commit()
    assert [a.period_start for a in first] == [date(2026, 10, 1), date(2026, 10, 29)]
    assert services.allocate_due(date(2026, 11, 22)) == []
    later = services.allocate_due(date(2026, 11, 26))
    db.session.commit()
    assert [a.period_start for a in later] == [date(2026, 11, 26)]
    assert services.balance(pot).available_pence == 360_000
    assert ledger.verify() == [] and ledger.total_of_balances() == 0


def test_the_allocate_command_is_idempotent(people, homecare, app):
    commissioner, holder, _ = people
    pot = new_pot(commissioner, holder, homecare)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["payments", "allocate", "--date", "2026-10-01"])
    second = runner.invoke(args=["payments", "allocate", "--date", "2026-10-01"])
    assert (
        first.exit_code == 0
        and "Paid 1 allocation(s)" in first.output
        and "£1,200.00" in first.output
    )
    assert second.exit_code == 0 and "Paid 0 allocation(s)" in second.output
    db.session.expire_all()
    assert services.balance(pot).available_pence == 120_000


def test_a_schedule_stops_at_its_end_date(people, homecare):
    commissioner, holder, _ = people
    pot = new_pot(commissioner, holder, homecare, allocation_ends_on=date(2026, 10, 20))
    assert services.periods_due(pot, date(2027, 1, 1)) == [date(2026, 10, 1)]


def test_a_one_off_payment_needs_a_reason_and_is_audited(people, homecare):
    commissioner, holder, _ = people
    pot = new_pot(commissioner, holder, homecare, allocation_pence=0)
    with pytest.raises(DomainError, match="reason"):
        services.fund_pot(commissioner, pot, 5_000, "  ")
    services.fund_pot(commissioner, pot, 5_000, "Equipment agreed at review")
    db.session.commit()
    assert services.balance(pot).available_pence == 5_000
    assert db.session.query(Allocation).one().period_start is None
    event = db.session.query(AuditEvent).filter_by(action="pot.funded").one()
    assert (event.subject_type, event.subject_id) == ("pot", pot.id)
    assert (event.actor_id, event.tenant_id) == (commissioner.id, holder.tenant_id)
    assert event.detail == {"amount_pence": 5_000}


def test_only_the_holders_own_commissioner_sets_up_or_funds_a_pot(people, homecare):
    commissioner, holder, stranger = people
    with pytest.raises(NotFound):
        new_pot(stranger, holder, homecare)
    pot = new_pot(commissioner, holder, homecare)
    with pytest.raises(NotFound):
        services.fund_pot(stranger, pot, 100, "no")


def test_a_pot_must_say_what_it_may_buy(people):
    commissioner, holder, _ = people
    with pytest.raises(DomainError, match="Choose at least one"):
        set_up_pot(commissioner, holder, [], kind=PotKind.HEALTH, allocation_pence=1)
