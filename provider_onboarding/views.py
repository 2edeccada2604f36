"""Provider registration and the provider's own pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role

bp = Blueprint("provider_onboarding", __name__, url_prefix="/provider")


@bp.route("/register", methods=["GET", "POST"])
def register() -> str:
    return render_template("provider_onboarding/register.html")


@bp.get("/")
@roles_required(Role.PROVIDER)
def dashboard() -> str:
    return render_template("provider_onboarding/dashboard.html")
