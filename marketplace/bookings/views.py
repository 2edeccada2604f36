"""Bookings pages; the holder's dashboard lives here because bookings are what it shows."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from marketplace.accounts import services as accounts
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Representation, Role, User

bp = Blueprint("bookings", __name__, url_prefix="/bookings")


@bp.get("/dashboard")
@roles_required(Role.HOLDER, Role.REPRESENTATIVE)
def holder_dashboard() -> str:
    representations: list[Representation] = []
    represented: list[User] = []
    if current_user.role == Role.HOLDER:
        representations = [
            r for r in accounts.representations_for_holder(current_user) if r.is_active
        ]
    else:
        represented = accounts.holders_represented_by(current_user)
    return render_template(
        "bookings/holder_dashboard.html", representations=representations, represented=represented
    )
