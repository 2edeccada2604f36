"""Council payment runs as a commissioner sees them: what each provider is paid for, in bookings
and session dates, and providers without bank details named and left owed, never marked paid."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from marketplace.bookings import services as bookings
from marketplace.bookings.models import BookingKind
from marketplace.bookings.services.sessions import named_sessions
from marketplace.clock import LONDON
from marketplace.extensions import db
from marketplace.payments import ledger, services
from marketplace.payments.models import Hold, Payout, PayoutRun, PayoutStatus
from provider_onboarding.models import ProviderBankDetails
from tests.frozen import NOW, TODAY, next_weekday
from tests.marketplace.bookings.conftest import NINE, world
from tests.marketplace.payments.conftest import money

__all__ = ["money", "world"]


def give_bank_details(provider) -> None:
    db.session.add(
        ProviderBankDetails(
            provider_id=provider.id,
            account_name=provider.legal_name,
            sort_code="401122",
            account_number="12345678",
        )
    )
    db.session.commit()


def payout_run(app) -> PayoutRun:
    result = app.test_cli_runner().invoke(args=["payments", "payout-run"])
    assert result.exit_code == 0, result.output
    return db.session.scalars(select(PayoutRun).order_by(PayoutRun.id.desc())).first()


def test_a_provider_without_bank_details_is_named_and_left_owed_for_the_next_run(
    app, money, make_provider, sign_in
):
    give_bank_details(money.provider)
    unbanked = make_provider(legal_name="Elm Tree Support Ltd", trading_name="Elm Tree Support")
    money.fund(20_000)
    services.settle(money.hold(8_400, "booking-1"))
    services.settle(money.hold(4_200, "booking-2", provider=unbanked))
    db.session.commit()
    run = payout_run(app)

    client = sign_in(money.commissioner)
    page = client.get(f"/payments/payout-runs/{run.id}").get_data(as_text=True)
    assert "1 provider has not given bank details: £42.00 cannot be paid until they do." in page
    assert "No bank details" in page
    assert "Confirm the run is paid, except Elm Tree Support" in page

    client.post(f"/payments/payout-runs/{run.id}/confirm")
    db.session.expire_all()
    assert services.payable_account(money.provider.id).balance_pence == 0
    assert services.payable_account(unbanked.id).balance_pence == 4_200  # still owed
    left = db.session.scalar(select(Payout).where(Payout.provider_id == unbanked.id))
    assert left.status == PayoutStatus.NOT_PAID and left.paid_at is None
    page = client.get(f"/payments/payout-runs/{run.id}").get_data(as_text=True)
    assert "£42.00 not paid: goes into the next run" in page

    assert ledger.verify() == [] and ledger.total_of_balances() == 0

    give_bank_details(unbanked)
    later = payout_run(app)
    assert later.id != run.id and [p.provider_id for p in later.payouts] == [unbanked.id]
    assert later.total_pence == 4_200
    assert db.session.scalar(select(Hold).where(Hold.reference == "booking-2")).payout_id == (
        later.payouts[0].id
    )
    assert ledger.verify() == [] and ledger.total_of_balances() == 0


def test_a_run_whose_file_had_no_bank_details_is_not_paid_even_if_they_are_given_later(
    app, money, sign_in
):
    money.fund(20_000)
    services.settle(money.hold(8_400, "booking-1"))
    db.session.commit()
    run = payout_run(app)
    give_bank_details(money.provider)  # after the file went to the finance system
    sign_in(money.commissioner).post(f"/payments/payout-runs/{run.id}/confirm")
    db.session.expire_all()
    assert services.payable_account(money.provider.id).balance_pence == 8_400
    assert db.session.scalar(select(Payout)).status == PayoutStatus.NOT_PAID


def test_the_run_page_names_bookings_and_session_dates(app, world, sign_in):
    w = world
    give_bank_details(w.provider)
    tuesday = next_weekday(1)
    request = bookings.Request(BookingKind.ONE_OFF, day=tuesday, start=NINE, duration_minutes=60)
    booking = bookings.request_booking(w.holder, w.holder, w.listing, w.pot, request, TODAY)
    bookings.accept(w.provider_user, booking, TODAY)
    [session] = booking.occurrences
    bookings.mark_delivered(w.provider_user, session, 60, now=session.ends_at)
    bookings.confirm(w.holder, session)
    db.session.commit()
    run = payout_run(app)

    page = sign_in(w.commissioner).get(f"/payments/payout-runs/{run.id}").get_data(as_text=True)
    assert f"B{booking.id}: {tuesday:%a %-d %b}" in page
    assert "occurrence:" not in page
    csv = sign_in(w.commissioner).get(f"/payments/payout-runs/{run.id}/payments.csv")
    assert f"occurrence:{session.id}" in csv.get_data(as_text=True)  # the finance system's file


def test_references_that_are_not_known_sessions_are_kept_as_they_are(app_ctx):
    assert named_sessions("booking-1 occurrence:999999") == "booking-1 occurrence:999999"
    assert named_sessions("") == ""


def test_before_any_run_the_page_says_when_the_next_is_gathered(money, sign_in):
    page = sign_in(money.commissioner).get("/payments/payout-runs").get_data(as_text=True)
    london = NOW.astimezone(LONDON)
    early_monday = london.weekday() == 0 and london.time() < time(6, 0)
    monday = TODAY if early_monday else next_weekday(0)
    assert "No payment runs yet." in page
    assert f"The next run is gathered on {monday:%A %-d %B} at 6:00am." in page
    assert "every Monday at 06:00" in page
