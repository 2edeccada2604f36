"""What an audit row names: the subject's kind and id, who acted, and whose tenant it is."""

from __future__ import annotations

from marketplace import audit
from marketplace.accounts.models import Role
from marketplace.payments.models import PayoutRun


def test_a_note_names_the_subject_by_its_kind_and_belongs_to_its_tenant(make_user):
    commissioner = make_user(Role.COMMISSIONER)
    run = PayoutRun(id=7, tenant_id=commissioner.tenant_id)

    event = audit.note("payout_run.confirmed", run, commissioner, total_pence=100)

    assert (event.subject_type, event.subject_id) == ("payout_run", 7)
    assert (event.actor_id, event.tenant_id) == (commissioner.id, commissioner.tenant_id)
    assert event.detail == {"total_pence": 100}


def test_a_note_by_the_service_itself_for_another_tenant(make_user, make_tenant):
    holder = make_user(Role.HOLDER)
    other = make_tenant()

    event = audit.note("user.suspended", holder, None, tenant_id=other.id)

    assert (event.subject_type, event.actor_id, event.tenant_id) == ("user", None, other.id)
