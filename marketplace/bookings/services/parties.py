"""Who is acting on a booking, and the settings the booking rules read."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_app_context

from marketplace.accounts.access import commissions
from marketplace.accounts.models import User
from marketplace.accounts.services import may_act_for
from marketplace.bookings.models import (
    Booking,
)
from marketplace.bookings.states import Side
from marketplace.directory.services import is_provider_staff
from marketplace.errors import DomainError, NotAllowed, NotFound

HOLD_AHEAD_DAYS = 28  # a rota's money is set aside four weeks (28 days, today included) at a time
CONFIRM_WITHIN = timedelta(days=7)


def config(name: str, default: int) -> int:
    """A whole-number setting of the app (its default outside an app)."""
    return int(current_app.config.get(name, default)) if has_app_context() else default


# Who is acting.


def side_of(user: User, booking: Booking) -> Side:
    """Which side `user` is on for this booking. Raises NotFound when they have no part in it,
    so nobody learns of a booking that is not theirs."""
    if may_act_for(user, booking.holder):
        return Side.HOLDER
    if is_provider_staff(user, booking.provider):
        return Side.PROVIDER
    if commissions(user, booking.holder.tenant_id):
        return Side.COMMISSIONER
    raise NotFound("This booking is not one you can see")


def require(user: User, booking: Booking, *sides: Side) -> Side:
    """The side `user` is on, if it is one of `sides`. Raises NotFound for a stranger to the
    booking and NotAllowed for a party on another side."""
    side = side_of(user, booking)
    if side not in sides:
        raise NotAllowed("You cannot make this change to this booking")
    return side


def reason_given(reason: str, ask: str) -> str:
    """The reason a person typed, trimmed. Raises DomainError with `ask` when there is none."""
    given = reason.strip()
    if not given:
        raise DomainError(ask, field="reason")
    return given
