"""The commissioner's pages: their people, invitations, and (later) money oversight and gap reports."""

from __future__ import annotations

from flask import Blueprint, render_template

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role

bp = Blueprint("commissioning", __name__, url_prefix="/commissioning")


@bp.get("/")
@roles_required(Role.COMMISSIONER)
def dashboard() -> str:
    return render_template("commissioning/dashboard.html")


@bp.get("/holders/<int:holder_id>")
@roles_required(Role.COMMISSIONER)
def holder(holder_id: int) -> str:
    return render_template("commissioning/holder.html")
