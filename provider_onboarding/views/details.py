"""The provider's own details: names, contacts, address and postcode."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.directory.models import ProviderKind
from marketplace.errors import DomainError
from provider_onboarding import details
from provider_onboarding.forms import ProviderDetailsForm
from provider_onboarding.views.blueprint import bp
from provider_onboarding.views.common import my_provider


@bp.route("/details", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def provider_details() -> str | Response | tuple[str, int]:
    provider = my_provider()
    form = ProviderDetailsForm(obj=provider)
    if form.validate_on_submit():
        try:
            checked = details.update_details(provider, _details(form), current_user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            flash(_saved_message(checked), "success")
            return redirect(url_for("provider_onboarding.dashboard"))
    status = 400 if form.errors else 200
    return render_template(
        "provider_onboarding/details.html",
        form=form,
        provider=provider,
        checked=_listed(list(details.CHECKED_DETAILS.values()), "or"),
    ), status


def _details(form: ProviderDetailsForm) -> details.ProviderDetails:
    return details.ProviderDetails(
        kind=ProviderKind(form.kind.data),
        legal_name=form.stripped("legal_name"),
        trading_name=form.stripped("trading_name") or None,
        contact_phone=form.stripped("contact_phone"),
        contact_email=form.stripped("contact_email") or None,
        website=form.stripped("website") or None,
        address_line=form.stripped("address_line") or None,
        town=form.stripped("town") or None,
        postcode=form.stripped("postcode"),
    )


def _saved_message(checked: list[str]) -> str:
    if checked:
        return (
            "Your details are saved. You changed your "
            + _listed(checked, "and")
            + ", so they will be checked again before people can book you."
        )
    return "Your details are saved."


def _listed(words: list[str], last: str) -> str:
    """['a', 'b', 'c'] -> 'a, b or c'."""
    return f" {last} ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else words[0]
