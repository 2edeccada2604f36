"""Bookings pages; the holder's dashboard lives here because bookings are what it shows."""

from __future__ import annotations

from flask import Blueprint, render_template

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role

bp = Blueprint("bookings", __name__, url_prefix="/bookings")


@bp.get("/dashboard")
@roles_required(Role.HOLDER, Role.REPRESENTATIVE)
def holder_dashboard() -> str:
    return render_template("bookings/holder_dashboard.html")
