"""Commissioner alerts: each rule fires on a crafted case and stays quiet just the other side of
its threshold (the figures worked out by hand beside each), runs do not duplicate, acknowledging
is recorded, the daily summary email, and tenant isolation on every page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role, Tenant, User
from marketplace.audit import AuditEvent
from marketplace.bookings import services as bookings
from marketplace.bookings.models import BookingKind, Occurrence
from marketplace.clock import london_today
from marketplace.commissioning import alerts
from marketplace.commissioning.models import Alert, AlertKind
from marketplace.directory.models import Category, Listing, PriceUnit, Provider, ProviderKind
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from marketplace.models_base import utcnow
from marketplace.payments import services as payments
from marketplace.payments.models import Hold, Pot
from tests.factories import add_category, set_up_pot

CAP = 2_500  # £25.00 an hour for personal assistants


@dataclass
class Council:
    """A council with a commissioner, a budget holder and a PA provider with a listing."""

    tenant: Tenant
    commissioner: User
    holder: User
    provider_user: User
    provider: Provider
    listing: Listing
    pa: Category
    therapy: Category

    def pot(self, allocation_pence: int, every_days: int, starts_on: date) -> Pot:
        made = set_up_pot(
            self.commissioner,
            self.holder,
            [self.pa],
            support_plan_reference=f"SP-{allocation_pence}-{every_days}",
            allocation_pence=allocation_pence,
            allocation_every_days=every_days,
            allocation_starts_on=starts_on,
            pa_hourly_cap_pence=CAP,
        )
        db.session.commit()
        return made

    def fund(self, pot: Pot, pence: int) -> None:
        payments.fund_pot(self.commissioner, pot, pence, "Test funding")
        db.session.commit()

    def hold(self, pot: Pot, pence: int, reference: str, **kw: object) -> Hold:
        made = payments.hold(
            pot,
            pence,
            reference,
            provider=self.provider,
            category=kw.pop("category", self.pa),  # type: ignore[arg-type]
            description="4 hours on Tue 3 Mar",
            **kw,  # type: ignore[arg-type]
        )
        db.session.commit()
        return made


@pytest.fixture()
def council(make_tenant, make_user, make_provider, make_listing) -> Council:
    tenant = make_tenant(name="Oldham Council")
    commissioner = make_user(Role.COMMISSIONER, tenant=tenant, full_name="Cara Commissioner")
    holder = make_user(Role.HOLDER, tenant=tenant, full_name="Ada Holder")
    provider_user = make_user(Role.PROVIDER)
    pa = add_category("pa-alerts", pa=True)
    therapy = add_category("therapy-alerts", "Talking therapy", term="th-alerts")
    db.session.commit()
    provider = make_provider(
        owner=provider_user, legal_name="Moorside Care Ltd", kind=ProviderKind.PERSONAL_ASSISTANT
    )
    listing = make_listing(
        provider=provider,
        categories=[pa],
        price_pence=1_500,
        price_unit=PriceUnit.HOUR,
        works_bank_holidays=True,  # so "tomorrow" can be booked on any date the suite runs
    )
    return Council(tenant, commissioner, holder, provider_user, provider, listing, pa, therapy)


def now_and_today() -> tuple[datetime, date]:
    now = utcnow()
    return now, london_today(now)


def found(council: Council, kind: AlertKind | None = None) -> list[alerts.Finding]:
    now, today = now_and_today()
    return [
        f
        for f in alerts.compute(council.tenant.id, today=today, now=now)
        if kind is None or f.kind == kind
    ]


def run(council: Council, now: datetime | None = None) -> alerts.RunResult:
    now = now or utcnow()
    result = alerts.run(council.tenant.id, today=london_today(now), now=now)
    db.session.commit()
    return result


def tomorrow_at(hour: int = 9) -> bookings.Request:
    day = london_today() + timedelta(days=1)
    return bookings.Request(BookingKind.ONE_OFF, day=day, start=time(hour), duration_minutes=60)


# Rule 1: unspent money building up beyond 8 weeks of allocation.


def test_unspent_money_fires_above_eight_weeks_of_allocation_and_not_at_it(council):
    # £100.00 a week (every 7 days): 8 weeks is £800.00. The schedule starts tomorrow, so the
    # only money in each pot is what the test pays in.
    tomorrow = london_today() + timedelta(days=1)
    over = council.pot(10_000, 7, tomorrow)
    at = council.pot(10_000, 7, tomorrow)
    council.fund(over, 80_001)
    council.fund(at, 80_000)

    [finding] = found(council)
    assert (finding.kind, finding.pot_id, finding.holder_id) == (
        AlertKind.UNSPENT,
        over.id,
        council.holder.id,
    )
    assert finding.figures["available_pence"] == 80_001
    assert finding.figures["weekly_allocation_pence"] == 10_000
    assert finding.figures["weeks_of_allocation"] == "8.0"
    assert finding.figures["likely_cause"] == (
        "No booking requests were made from this budget in the last 8 weeks."
    )
    assert "£800.01 unspent" in finding.message and "Likely cause: No booking" in finding.message


def test_unspent_money_works_in_four_weekly_allocations(council):
    # £1,000.00 every 28 days is £250.00 a week: 8 weeks is £2,000.00.
    tomorrow = london_today() + timedelta(days=1)
    over, at = council.pot(100_000, 28, tomorrow), council.pot(100_000, 28, tomorrow)
    council.fund(over, 200_001)
    council.fund(at, 200_000)
    assert [f.pot_id for f in found(council)] == [over.id]


def test_unspent_money_names_declined_expired_and_unanswered_requests_as_the_likely_cause(
    council,
):
    pot = council.pot(10_000, 7, london_today() + timedelta(days=1))
    council.fund(pot, 90_000)
    c = council
    declined = bookings.request_booking(
        c.holder, c.holder, c.listing, pot, tomorrow_at(), london_today()
    )
    bookings.decline(c.provider_user, declined, "No one free that morning")
    db.session.commit()
    expired = bookings.request_booking(
        c.holder, c.holder, c.listing, pot, tomorrow_at(), london_today()
    )
    bookings.expire_due(now=expired.expires_at + timedelta(seconds=1))
    db.session.commit()
    bookings.request_booking(c.holder, c.holder, c.listing, pot, tomorrow_at(), london_today())
    db.session.commit()

    [finding] = found(council)
    assert finding.figures["requests"] == {
        "total": 3,
        "accepted": 0,
        "declined": 1,
        "expired": 1,
        "never_accepted": 1,
        "cancelled_by_provider": 0,
    }
    assert finding.figures["likely_cause"] == (
        "Of 3 booking requests in the last 8 weeks, 1 was declined, 1 expired with no answer "
        "and 1 was never accepted."
    )  # fmt: skip


# Rule 2: projected to run out before the next allocation.


def test_a_pot_projected_to_run_out_before_its_next_allocation(council):
    # £1,000 every 28 days from 14 days ago: the next allocation is in 14 days. Each pot has
    # £560.00 set aside in the last 4 weeks (28 days): £20.00 a day, so £280.00 until then.
    today = london_today()
    short = council.pot(100_000, 28, today - timedelta(days=14))
    enough = council.pot(100_000, 28, today - timedelta(days=14))
    council.fund(short, 83_999)  # £279.99 left after the hold: runs out
    council.fund(enough, 84_000)  # £280.00 left: lasts exactly
    council.hold(short, 56_000, "short-1")
    council.hold(enough, 56_000, "enough-1")

    [finding] = found(council)
    assert (finding.kind, finding.pot_id) == (AlertKind.RUNNING_OUT, short.id)
    assert finding.period == (today + timedelta(days=14)).isoformat()
    # £279.99 lasts 27,999 × 28 / 56,000 = 13.99 days: it runs out 13 days from today.
    assert finding.figures["runs_out_on"] == (today + timedelta(days=13)).isoformat()
    assert finding.figures["weekly_rate_pence"] == 14_000  # £560 over 4 weeks
    assert finding.figures["days_to_next_allocation"] == 14


def test_released_money_is_not_spending(council):
    today = london_today()
    pot = council.pot(100_000, 28, today - timedelta(days=14))
    council.fund(pot, 83_999)
    held = council.hold(pot, 56_000, "released-1")
    payments.release(held)  # back in the pot: £839.99 available, nothing spent
    db.session.commit()
    assert found(council) == []


# Rule 3: attempted spend outside the plan or above the PA rate cap.


def test_spend_refused_outside_the_plan_or_above_the_cap_fires(council):
    tomorrow = london_today() + timedelta(days=1)
    refused, fine = council.pot(0, 0, tomorrow), council.pot(0, 0, tomorrow)
    council.fund(refused, 50_000)
    council.fund(fine, 100)
    with pytest.raises(payments.SpendRefused):
        council.hold(refused, 6_000, "therapy-1", category=council.therapy)
    with pytest.raises(payments.SpendRefused):
        council.hold(refused, 10_004, "pa-over-cap", hourly_rate_pence=CAP + 1)
    db.session.commit()
    # Just inside: exactly at the cap is allowed, and a refusal for not enough money is rule 2's.
    council.hold(fine, 100, "pa-at-cap", hourly_rate_pence=CAP)
    with pytest.raises(payments.SpendRefused):
        council.hold(fine, 10_000, "pa-no-money", hourly_rate_pence=CAP)
    db.session.commit()

    [finding] = found(council)
    assert (finding.kind, finding.pot_id) == (AlertKind.REFUSED_SPEND, refused.id)
    assert finding.figures["outside_plan"] == 1 and finding.figures["above_cap"] == 1
    assert finding.figures["total_pence"] == 16_004  # £60.00 + £100.04
    assert finding.message.startswith("2 attempts to spend £160.04 from the budget for plan")
    assert [r["reason"] for r in finding.figures["refusals"]] == ["outside_plan", "above_cap"]


# Rule 4: one provider taking more than 50% of a pot's allocation in a week.


def test_one_provider_paid_over_half_an_allocation_in_a_week(council):
    # Allocation £1,000.00: the line is £500.00 in a week to one provider.
    tomorrow = london_today() + timedelta(days=1)
    over, at = council.pot(100_000, 28, tomorrow), council.pot(100_000, 28, tomorrow)
    for pot, second in ((over, 20_001), (at, 20_000)):
        council.fund(pot, 200_000)
        payments.settle(council.hold(pot, 30_000, f"{pot.id}-a"))
        payments.settle(council.hold(pot, second, f"{pot.id}-b"))
        db.session.commit()

    [finding] = found(council)
    assert (finding.kind, finding.pot_id, finding.provider_id) == (
        AlertKind.PROVIDER_SHARE,
        over.id,
        council.provider.id,
    )
    assert finding.figures["paid_pence"] == 50_001 and finding.figures["payments"] == 2
    assert finding.figures["share_percent"] == "50.0"  # 50.001% to one decimal place
    assert finding.message.startswith("Moorside Care Ltd was paid £500.01 from the budget")


def test_settled_payments_are_counted_in_the_week_they_were_made(council):
    tomorrow = london_today() + timedelta(days=1)
    pot = council.pot(100_000, 28, tomorrow)
    council.fund(pot, 200_000)
    first = payments.settle(council.hold(pot, 30_000, "week-1"))
    payments.settle(council.hold(pot, 20_001, "week-2"))
    first.closed_at = first.closed_at - timedelta(days=7)  # a week earlier: £300 and £200.01
    db.session.commit()
    assert found(council) == []


# Rule 5: disputes.


def _delivered(council: Council, pot: Pot, hour: int = 9) -> Occurrence:
    c = council
    booking = bookings.request_booking(
        c.holder, c.holder, c.listing, pot, tomorrow_at(hour), london_today()
    )
    bookings.accept(c.provider_user, booking, london_today())
    [occurrence] = booking.occurrences
    bookings.mark_delivered(c.provider_user, occurrence, 60, now=occurrence.ends_at)
    db.session.commit()
    return occurrence


def test_a_disputed_session_fires_and_a_delivered_one_does_not(council):
    pot = council.pot(0, 0, london_today())
    council.fund(pot, 10_000)
    disputed, delivered = _delivered(council, pot, 9), _delivered(council, pot, 13)
    bookings.dispute(council.holder, disputed, "She did not come")
    db.session.commit()

    [finding] = found(council)
    assert (finding.kind, finding.subject, finding.period) == (
        AlertKind.DISPUTE,
        f"occurrence:{disputed.id}",
        "open",
    )
    assert finding.figures["held_pence"] == 1_500
    assert finding.figures["booking_id"] == disputed.booking_id
    assert delivered.id != disputed.id


def test_a_decided_dispute_clears_its_open_alert(council):
    pot = council.pot(0, 0, london_today())
    council.fund(pot, 10_000)
    occurrence = _delivered(council, pot)
    bookings.dispute(council.holder, occurrence, "Left early")
    db.session.commit()
    [alert] = run(council).new

    bookings.resolve_dispute(council.commissioner, occurrence, 1_000, "Paid for 40 minutes")
    db.session.commit()
    result = run(council)
    assert result.cleared == [alert] and result.new == []
    assert alert.cleared_at is not None and alert.is_open  # open until someone acknowledges


# Storing: no duplicates, periods, clearing.


def _unspent_pot(council: Council, pence: int = 80_001) -> Pot:
    pot = council.pot(10_000, 7, london_today() + timedelta(days=1))
    council.fund(pot, pence)
    return pot


def _alerts() -> list[Alert]:
    return list(db.session.scalars(select(Alert).order_by(Alert.id)))


def test_running_twice_in_a_day_does_not_duplicate_an_alert(council):
    _unspent_pot(council)
    now = utcnow()
    first = run(council, now)
    second = run(council, now + timedelta(hours=3))
    assert len(first.new) == 1 and second.new == [] and second.updated == first.new
    [alert] = _alerts()
    assert alert.last_seen_at == now + timedelta(hours=3) and alert.first_seen_at == now


def test_an_open_standing_alert_is_updated_next_week_rather_than_repeated(council):
    _unspent_pot(council)
    now = utcnow()
    run(council, now)
    assert run(council, now + timedelta(days=7)).new == []
    assert len(_alerts()) == 1


def test_an_acknowledged_alert_found_again_next_week_is_a_new_alert(council):
    _unspent_pot(council)
    now = utcnow()
    [alert] = run(council, now).new
    alerts.acknowledge(council.commissioner, alert, "Spoke to Ada; she is looking for a PA")
    db.session.commit()
    assert run(council, now + timedelta(hours=1)).new == []  # the same week: already told
    [again] = run(council, now + timedelta(days=7)).new
    assert again.id != alert.id and again.is_open
    assert alert.dedupe_key != again.dedupe_key
    assert alert.acknowledgement_note == "Spoke to Ada; she is looking for a PA"


def test_an_alert_whose_condition_goes_away_stays_open_marked_cleared_until_it_returns(council):
    pot = _unspent_pot(council)
    [alert] = run(council).new
    council.hold(pot, 2, "spend-a-little")  # £799.99 available: not over 8 weeks any more
    assert run(council).cleared == [alert]
    assert alert.is_open and alert.cleared_at is not None
    assert alerts.open_alert_counts(council.tenant.id)[AlertKind.UNSPENT] == 1
    council.fund(pot, 10)
    result = run(council)
    assert result.updated == [alert] and result.new == [] and alert.cleared_at is None


# Acknowledging, on the pages.


def test_acknowledging_with_a_note_records_who_and_when(council, client, sign_in):
    _unspent_pot(council)
    [alert] = run(council).new
    sign_in(council.commissioner)
    response = client.post(
        f"/commissioning/alerts/{alert.id}/acknowledge",
        data={"note": "  Called Ada's family; plan review booked.  "},
    )
    assert response.status_code == 302
    db.session.expire_all()
    alert = db.session.get(Alert, alert.id)
    assert alert.acknowledged_by_id == council.commissioner.id
    assert alert.acknowledgement_note == "Called Ada's family; plan review booked."
    assert alert.acknowledged_at is not None
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "alert.acknowledged")
    ).all()
    assert (event.actor_id, event.tenant_id, event.subject_id) == (
        council.commissioner.id,
        council.tenant.id,
        alert.id,
    )
    assert event.detail == {"kind": "unspent"}  # no note (it may name people) in the audit log
    page = client.get(f"/commissioning/alerts/{alert.id}").get_data(as_text=True)
    assert "Called Ada&#39;s family; plan review booked." in page
    assert "Cara Commissioner" in page and "Acknowledged" in page
    assert 'name="note"' not in page  # no second acknowledgement


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", "Enter a note saying what you have done or decided"),
        ("   ", "Enter a note saying what you have done or decided"),
        ("x" * 501, "Keep the note to 500 characters or fewer"),
    ],
)
def test_acknowledging_without_a_proper_note_is_refused_with_a_message(
    council, client, sign_in, note, message
):
    _unspent_pot(council)
    [alert] = run(council).new
    sign_in(council.commissioner)
    response = client.post(f"/commissioning/alerts/{alert.id}/acknowledge", data={"note": note})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).acknowledged_at is None
    assert (
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "alert.acknowledged")
        )
        == 0
    )


def test_a_note_of_exactly_500_characters_is_accepted(council):
    _unspent_pot(council)
    [alert] = run(council).new
    alerts.acknowledge(council.commissioner, alert, "x" * 500)
    with pytest.raises(DomainError, match="already been acknowledged"):
        alerts.acknowledge(council.commissioner, alert, "Again")


# The pages.


def test_the_list_shows_open_alerts_first_and_filters_by_kind_and_status(council, client, sign_in):
    first = _unspent_pot(council)
    _unspent_pot(council)
    one, two = run(council).new
    alerts.acknowledge(council.commissioner, one, "Looked into it")
    db.session.commit()
    sign_in(council.commissioner)

    page = client.get("/commissioning/alerts/").get_data(as_text=True)
    assert page.index(f'/commissioning/alerts/{two.id}"') < page.index(
        f'/commissioning/alerts/{one.id}"'
    )
    assert "Ada Holder" in page and "Open" in page and "Acknowledged" in page
    acknowledged = client.get("/commissioning/alerts/?status=acknowledged").get_data(as_text=True)
    assert f'/commissioning/alerts/{one.id}"' in acknowledged
    assert f'/commissioning/alerts/{two.id}"' not in acknowledged
    disputes = client.get("/commissioning/alerts/?kind=dispute").get_data(as_text=True)
    assert "No alerts match these choices" in disputes
    nonsense = client.get("/commissioning/alerts/?kind=nope&status=nope&page=x")
    assert nonsense.status_code == 200
    assert first.support_plan_reference in page


def test_the_list_has_an_empty_state(council, client, sign_in):
    sign_in(council.commissioner)
    page = client.get("/commissioning/alerts/").get_data(as_text=True)
    assert "There are no alerts" in page


def test_an_alert_page_shows_its_figures_and_links_to_the_holder_and_statement(
    council, client, sign_in
):
    pot = _unspent_pot(council)
    [alert] = run(council).new
    sign_in(council.commissioner)
    page = client.get(f"/commissioning/alerts/{alert.id}").get_data(as_text=True)
    assert f"/commissioning/holders/{council.holder.id}" in page
    assert f"/payments/pots/{pot.id}" in page
    assert "£800.01" in page and "8.0 (alert above 8)" in page
    assert "No booking requests were made from this budget in the last 8 weeks." in page


def test_the_dashboard_counts_open_alerts_by_kind(council, client, sign_in):
    _unspent_pot(council)
    _unspent_pot(council)
    run(council)
    counts = alerts.open_alert_counts(council.tenant.id)
    assert counts[AlertKind.UNSPENT] == 2 and sum(counts.values()) == 2
    db.session.commit()
    sign_in(council.commissioner)
    html = client.get("/commissioning/").get_data(as_text=True)
    assert "Unspent money building up: 2 open" in html
    assert "/commissioning/alerts/?kind=unspent&amp;status=open" in html


# Another tenant sees none of it.


def test_another_tenants_commissioner_sees_none_of_the_alerts(
    council, client, sign_in, make_user, make_tenant
):
    _unspent_pot(council)
    [alert] = run(council).new
    stranger = make_user(Role.COMMISSIONER, tenant=make_tenant())
    assert sum(alerts.open_alert_counts(stranger.tenant_id).values()) == 0
    sign_in(stranger)
    page = client.get("/commissioning/alerts/").get_data(as_text=True)
    assert "There are no alerts" in page and "Ada Holder" not in page
    assert client.get(f"/commissioning/alerts/{alert.id}").status_code == 404
    response = client.post(
        f"/commissioning/alerts/{alert.id}/acknowledge", data={"note": "Not mine"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).acknowledged_at is None
    assert client.get("/commissioning/alerts/999999").status_code == 404


def test_the_rules_read_only_their_own_tenant(council, make_user, make_tenant):
    _unspent_pot(council)
    other = make_tenant()
    now, today = now_and_today()
    assert alerts.compute(other.id, today=today, now=now) == []
    assert len(alerts.compute(council.tenant.id, today=today, now=now)) == 1


# The daily command and its summary email.


def test_the_command_queues_one_summary_per_commissioner_with_the_counts(
    council, app, make_user, make_tenant
):
    colleague = make_user(Role.COMMISSIONER, tenant=council.tenant)
    make_user(Role.COMMISSIONER, tenant=council.tenant, active=False)  # suspended: no email
    elsewhere = make_user(Role.COMMISSIONER, tenant=make_tenant())  # no alerts there
    _unspent_pot(council)
    _unspent_pot(council)
    pot = council.pot(0, 0, london_today())
    council.fund(pot, 10_000)
    occurrence = _delivered(council, pot)
    bookings.dispute(council.holder, occurrence, "Did not come")
    db.session.commit()
    db.session.query(OutboundEmail).delete()  # the booking emails
    db.session.commit()

    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "alerts"])
    assert result.exit_code == 0, result.output
    assert "Unspent money building up: 2 new, 2 open" in result.output
    assert "Disputed session: 1 new, 1 open" in result.output
    assert "queued 2 summary email(s)" in result.output

    db.session.expire_all()
    emails = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)).all()
    assert sorted(e.to_address for e in emails) == sorted(
        [council.commissioner.email, colleague.email]
    )
    assert elsewhere.email not in {e.to_address for e in emails}
    body = emails[0].body_text
    assert emails[0].subject == "3 new alerts for Oldham Council"
    assert "- Unspent money building up: 2\n- Disputed session: 1" in body
    assert "http://localhost/commissioning/alerts/" in body
    assert "Ada" not in body and "Moorside" not in body  # counts only, no one's details

    again = runner.invoke(args=["reports", "alerts"])
    assert "Unspent money building up: 0 new, 2 open" in again.output
    assert db.session.scalar(select(func.count(OutboundEmail.id))) == 2
    assert db.session.scalar(select(func.count(Alert.id))) == 3


def test_the_command_can_run_for_one_tenant(council, app, make_tenant):
    _unspent_pot(council)
    runner = app.test_cli_runner()
    other = make_tenant()
    result = runner.invoke(args=["reports", "alerts", "--tenant", str(other.id)])
    assert result.exit_code == 0 and "Checked 1 council(s)" in result.output
    assert db.session.scalar(select(func.count(Alert.id))) == 0
    result = runner.invoke(args=["reports", "alerts", "--tenant", str(council.tenant.id)])
    assert "Unspent money building up: 1 new, 1 open" in result.output
    missing = runner.invoke(args=["reports", "alerts", "--tenant", "999999"])
    assert missing.exit_code == 2 and "no council or NHS body 999999" in missing.output


def test_refused_spend_shows_on_the_list_before_the_daily_check_has_run(council, client, sign_in):
    pot = council.pot(0, 0, london_today() + timedelta(days=1))
    council.fund(pot, 50_000)
    with pytest.raises(payments.SpendRefused):
        council.hold(pot, 6_000, "therapy-1", category=council.therapy)
    db.session.commit()
    assert _alerts() == []  # the daily command has not run
    sign_in(council.commissioner)

    page = client.get("/commissioning/alerts/").get_data(as_text=True)

    assert "There are no alerts" not in page
    assert AlertKind.REFUSED_SPEND.label in page and pot.support_plan_reference in page
    assert [a.kind for a in _alerts()] == [AlertKind.REFUSED_SPEND]


def test_an_alert_found_when_the_list_was_opened_is_in_the_next_daily_email(
    council, app, client, sign_in
):
    """Opening the list stores what it finds and emails nobody; the daily run tells every
    commissioner of it the next morning, once."""
    pot = council.pot(0, 0, london_today() + timedelta(days=1))
    council.fund(pot, 50_000)
    with pytest.raises(payments.SpendRefused):
        council.hold(pot, 6_000, "therapy-1", category=council.therapy)
    db.session.query(OutboundEmail).delete()
    db.session.commit()
    sign_in(council.commissioner)
    assert AlertKind.REFUSED_SPEND.label in client.get("/commissioning/alerts/").get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboundEmail.id))) == 0

    runner = app.test_cli_runner()
    first = runner.invoke(args=["reports", "alerts"])
    assert f"{AlertKind.REFUSED_SPEND.label}: 0 new, 1 open" in first.output, first.output
    assert "queued 1 summary email(s)" in first.output, first.output
    [email] = db.session.scalars(select(OutboundEmail)).all()
    assert email.to_address == council.commissioner.email
    assert email.subject == "1 new alert for Oldham Council"

    again = runner.invoke(args=["reports", "alerts"])
    assert "queued 0 summary email(s)" in again.output, again.output
    assert db.session.scalar(select(func.count(OutboundEmail.id))) == 1
