"""The verification queue: commissioners decide on their own tenant's providers, admins on all."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.directory.models import VerificationStatus
from marketplace.errors import DomainError
from marketplace.extensions import db
from provider_onboarding import documents, services, verification
from provider_onboarding.forms import DecisionForm
from provider_onboarding.verification import Decision, Move
from provider_onboarding.views.blueprint import bp
from provider_onboarding.views.common import today


@bp.get("/verification/")
@roles_required(Role.COMMISSIONER, Role.ADMIN)
def verification_queue() -> str:
    queue = list(db.session.scalars(verification.queue_query(current_user)))
    # Those asked for more information are shown apart: the next step is theirs, not the checker's.
    return render_template(
        "provider_onboarding/queue.html",
        waiting=[p for p in queue if p.verification_status != VerificationStatus.MORE_INFO],
        with_provider=[p for p in queue if p.verification_status == VerificationStatus.MORE_INFO],
    )


@bp.route("/verification/<int:provider_id>", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER, Role.ADMIN)
def verification_decision(provider_id: int) -> str | Response | tuple[str, int]:
    provider = verification.provider_to_decide(current_user, provider_id)
    form = DecisionForm()
    if form.validate_on_submit():
        decision = Decision(Move(form.move.data), form.stripped("reason") or "")
        try:
            verification.apply_move(provider, decision, current_user)
        except DomainError as error:
            form.add_domain_error(error, default_field="move")
        else:
            flash(f"Decision recorded for {provider.display_name}.", "success")
            return redirect(url_for("provider_onboarding.verification_queue"))
    status = 400 if form.errors else 200
    return render_template(
        "provider_onboarding/decide.html",
        form=form,
        provider=provider,
        checks=services.checks_of(provider),
        documents=documents.documents_of(provider),
        history=[(row, verification.describe(row)) for row in verification.history(provider)],
        warnings=services.check_warnings(services.checks_of(provider), today(), whose="Their"),
        missing=services.missing_for_submission(provider, today(), whose="their"),
    ), status
