"""`flask verify`: the ledger and the bookings checked together, each difference named."""

from __future__ import annotations

from sqlalchemy import update

from marketplace.bookings import integrity, services
from marketplace.bookings.models import Booking, BookingState, Occurrence
from marketplace.extensions import db
from marketplace.payments.models import Hold

from .conftest import TODAY
from .test_bookings import one_off, weekly_rota


def accepted_rota(w) -> Booking:
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, weekly_rota(), TODAY)
    services.accept(w.provider_user, booking, TODAY)
    db.session.commit()
    return booking


def test_bookings_made_delivered_and_confirmed_through_the_services_verify_clean(world, app):
    w = world
    booking = accepted_rota(w)
    first = booking.occurrences[0]
    services.mark_delivered(w.provider_user, first, 180, now=first.ends_at)
    services.confirm(w.holder, first)
    services.cancel_by_holder(w.holder, booking, "Moving house")
    services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    db.session.commit()

    assert integrity.problems() == []
    result = app.test_cli_runner().invoke(args=["verify"])
    assert result.exit_code == 0, result.output
    assert "Verified" in result.output


def test_a_session_whose_hold_differs_from_its_price_is_named(world, app):
    booking = accepted_rota(world)
    session = booking.occurrences[0]
    db.session.execute(
        update(Hold).where(Hold.id == session.hold_id).values(amount_pence=session.price_pence + 1)
    )
    db.session.commit()

    assert integrity.problems() == [
        f"session {session.id} (price {session.price_pence} pence) is live but its hold "
        f"{session.hold_id} is held with {session.price_pence + 1} pence"
    ]
    result = app.test_cli_runner().invoke(args=["verify"])
    assert result.exit_code == 1
    assert f"MISMATCH session {session.id}" in result.output


def test_money_held_for_a_cancelled_session_and_sessions_of_an_unagreed_booking_are_named(world):
    booking = accepted_rota(world)
    session = booking.occurrences[0]
    db.session.execute(
        update(Occurrence).where(Occurrence.id == session.id).values(state="cancelled")
    )
    db.session.execute(
        update(Booking).where(Booking.id == booking.id).values(state=BookingState.DECLINED)
    )
    db.session.commit()

    found = integrity.problems()
    assert f"session {session.id} is cancelled but its hold {session.hold_id} is held" in found
    assert any(p.startswith(f"hold {session.hold_id} (occurrence:{session.id})") for p in found)
    assert f"booking {booking.id} is declined yet has session {session.id}" in found


def test_an_offer_sent_twice_is_made_and_told_once(world):
    from marketplace.bookings.models import Offer, OfferState
    from marketplace.mail import OutboundEmail

    w = world
    booking = services.request_booking(w.holder, w.holder, w.listing, w.pot, one_off(), TODAY)
    db.session.commit()
    first = services.offer(w.provider_user, booking, 1400, "Three hours for this")
    db.session.commit()
    again = services.offer(w.provider_user, booking, 1400, "Three hours for this ")
    db.session.commit()
    other = services.offer(w.provider_user, booking, 1300, "Or this")
    db.session.commit()

    assert again.id == first.id
    states = {o.id: o.state for o in db.session.query(Offer).filter_by(booking_id=booking.id)}
    assert states == {first.id: OfferState.WITHDRAWN, other.id: OfferState.OPEN}
    offered = db.session.query(OutboundEmail).filter_by(template="booking_offer").count()
    assert offered == 2  # the first offer and the second, different one
