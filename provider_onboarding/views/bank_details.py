"""Getting paid: the bank details a council's payment run pays into."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from provider_onboarding import services
from provider_onboarding.forms import BankDetailsForm
from provider_onboarding.views.blueprint import bp
from provider_onboarding.views.common import my_provider


@bp.route("/bank-details", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def bank_details() -> str | Response | tuple[str, int]:
    provider = my_provider()
    form = BankDetailsForm()
    if form.carry_out(
        lambda: services.save_bank_details(
            provider,
            current_user,
            **form.answers("account_name", "sort_code", "account_number"),
        )
    ):
        flash("Your bank details are saved.", "success")
        return redirect(url_for("provider_onboarding.dashboard"))
    status = 400 if form.errors else 200
    return render_template(
        "provider_onboarding/bank_details.html",
        form=form,
        saved=services.bank_details_of(provider),
        connect_url=_stripe_connect_url(),
    ), status


def _stripe_connect_url() -> str | None:
    """STRIPE CONNECT LINK POINT: the payments gateway (marketplace/payments) fills this with its
    onboarding route once it exists; until then the page offers bank details only."""
    endpoint = "payments.provider_money"
    return url_for(endpoint) if endpoint in current_app.view_functions else None
