"""Registering a provider, and the provider's dashboard."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.bookings import waiting
from marketplace.directory.models import ProviderKind
from marketplace.errors import DomainError
from marketplace.extensions import limiter
from marketplace.models_base import utcnow
from marketplace.saved_searches.demand import people_waiting_for
from provider_onboarding import claims, services, verification
from provider_onboarding.forms import ClaimForm, RegisterProviderForm
from provider_onboarding.verification import Move
from provider_onboarding.views.blueprint import bp
from provider_onboarding.views.common import my_provider, today


def _counted(response: Response) -> bool:
    """Whether a registration counts toward the limit: one made, or one refused after the form
    was filled in correctly (an email already registered). A person correcting their own typing
    is never held up."""
    return response.status_code == 302 or bool(g.get("registration_refused"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per minute;30 per hour", methods=["POST"], deduct_when=_counted)
def register() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:  # told who they are signed in as; a form sent is refused
        status = 400 if request.method == "POST" else 200
        return render_template("provider_onboarding/register.html", form=None), status
    form = RegisterProviderForm()
    if form.validate_on_submit():
        try:
            user, _ = services.register_provider(_registration(form))
        except DomainError as error:
            g.registration_refused = True
            form.add_domain_error(error)
        else:
            logout_user()
            login_user(user)
            flash("Your provider account has been created.", "success")
            return redirect(url_for("provider_onboarding.dashboard"))
    status = 400 if form.errors else 200
    return render_template("provider_onboarding/register.html", form=form), status


def _registration(form: RegisterProviderForm) -> services.Registration:
    return services.Registration(
        full_name=form.stripped("full_name"),
        email=form.stripped("email"),
        password=form.password.data or "",
        kind=ProviderKind(form.kind.data),
        legal_name=form.stripped("legal_name"),
        trading_name=form.stripped("trading_name") or None,
        contact_phone=form.stripped("contact_phone"),
        postcode=form.stripped("postcode"),
        cqc_location_id=form.stripped("cqc_location_id") or None,
    )


@bp.route("/claim/<int:unclaimed_id>", methods=["GET", "POST"])
@limiter.limit("10 per minute;30 per hour", methods=["POST"])
def claim(unclaimed_id: int) -> str | Response | tuple[str, int]:
    """Someone from a provider listed from the CQC register takes its listing over."""
    if claims.already_theirs(unclaimed_id, current_user):
        return redirect(url_for("provider_onboarding.dashboard"))
    provider = claims.claimable(unclaimed_id)
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            user = claims.claim_listing(provider, _claim(form))
        except DomainError as error:
            form.add_domain_error(error)
        else:
            logout_user()
            login_user(user)
            flash(f"You have claimed {provider.display_name}.", "success")
            return redirect(url_for("provider_onboarding.dashboard"))
    status = 400 if form.errors else 200
    return render_template("provider_onboarding/claim.html", form=form, provider=provider), status


def _claim(form: ClaimForm) -> claims.Claim:
    return claims.Claim(
        full_name=form.stripped("full_name"),
        email=form.stripped("email"),
        password=form.password.data or "",
        cqc_location_id=form.stripped("cqc_location_id"),
        cqc_provider_id=form.stripped("cqc_provider_id"),
        postcode=form.stripped("postcode"),
    )


@bp.get("/")
@roles_required(Role.PROVIDER)
def dashboard() -> str:
    provider = my_provider()
    checks = services.checks_of(provider)
    return render_template(
        "provider_onboarding/dashboard.html",
        provider=provider,
        listings=services.listings_of(provider),
        next_steps=services.next_steps(provider),
        warnings=services.check_warnings(checks, today()),
        missing=services.missing_for_submission(provider, today()),
        reason=verification.latest_reason(provider),
        bank=services.bank_details_of(provider),
        may_submit=(Move.SUBMIT, provider.verification_status) in verification.MOVES,
        requests=waiting.requests_to_answer(current_user.id),
        to_mark=waiting.sessions_to_mark_delivered(current_user.id, utcnow()),
        people_waiting=people_waiting_for(provider),
    )
