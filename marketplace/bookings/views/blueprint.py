"""The bookings blueprint and what its pages share."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
)
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from marketplace.accounts.models import Role
from marketplace.bookings.models import (
    Booking,
)
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
