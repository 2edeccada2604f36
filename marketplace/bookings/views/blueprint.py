"""The bookings blueprint and what its pages share."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
)
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.bookings import words
from marketplace.bookings.models import (
    Booking,
    Occurrence,
)
from marketplace.bookings.services.prices import occurrence_price
from marketplace.clock import london_today
from marketplace.extensions import db
from marketplace.web import page_number

bp = Blueprint("bookings", __name__, url_prefix="/bookings")
HOLDER_SIDE = (Role.HOLDER, Role.REPRESENTATIVE)
PAGE_SIZE = 20


def today() -> date:
    return london_today()


def holder_bookings(holder_ids: list[int]) -> Pagination:
    return db.paginate(
        select(Booking).where(Booking.holder_id.in_(holder_ids)).order_by(Booking.id.desc()),
        page=page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
    )


def side_word(role: Role) -> str:
    """The side of a booking a person of this role reads it from, for the status words."""
    if role in HOLDER_SIDE:
        return "holder"
    return "provider" if role == Role.PROVIDER else "commissioner"


@bp.app_template_global()
def booking_status(booking: Booking, role: Role) -> words.Status:
    """A booking's status in the words of the reader's side (templates pass their role)."""
    return words.booking_status(booking, side_word(role))


@bp.app_template_global()
def session_words(occurrence: Occurrence, side: str, decided_pence: int | None = None) -> str:
    return words.session_words(occurrence, side, decided_pence)


@bp.app_template_global()
def asked(booking: Booking) -> words.Asked:
    """What a request asks for, priced at the booking's price."""
    return words.asked(
        booking,
        lambda minutes: occurrence_price(booking.unit_price_pence, booking.price_unit, minutes),
    )


@bp.app_template_global()
def first_name(full_name: str) -> str:
    return words.first_name(full_name)


@bp.app_template_filter("long_day")
def long_day(iso_day: str) -> str:
    """A date stored as text (2027-03-12) as people read it: 12 March 2027."""
    return date.fromisoformat(iso_day).strftime("%-d %B %Y")
