"""The checks a provider sends for verification, and the documents that back them."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.errors import DomainError
from marketplace.sent_forms import once_per_form
from provider_onboarding import documents, services
from provider_onboarding.forms import ChecksForm, UploadForm
from provider_onboarding.models import DocumentKind
from provider_onboarding.views.blueprint import bp
from provider_onboarding.views.common import my_provider, today


def _uploads() -> Path:
    return Path(current_app.instance_path) / "uploads"


@bp.route("/checks", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def checks() -> str | Response | tuple[str, int]:
    provider = my_provider()
    saved = services.checks_of(provider)
    form = ChecksForm(obj=saved, data=None if saved else {"tenant_id": provider.tenant_id})
    form.tenant_id.choices = [SelectChoice(t.id, t.name) for t in services.checking_bodies()]
    if request.method == "GET" and provider.tenant_id:
        form.tenant_id.data = provider.tenant_id
    if form.carry_out(
        lambda: services.save_checks(provider, _check_details(form), current_user, today())
    ):
        flash("Your checks are saved.", "success")
        return redirect(url_for("provider_onboarding.dashboard"))
    status = 400 if form.errors else 200
    return render_template("provider_onboarding/checks.html", form=form, provider=provider), status


def _check_details(form: ChecksForm) -> services.CheckDetails:
    return services.CheckDetails(
        tenant_id=form.tenant_id.data,
        dbs_certificate_number=form.stripped("dbs_certificate_number") or None,
        dbs_issued_on=form.dbs_issued_on.data,
        insurer=form.stripped("insurer") or None,
        insurance_expires_on=form.insurance_expires_on.data,
        right_to_work_confirmed=bool(form.right_to_work_confirmed.data),
        reference_1=form.stripped("reference_1") or None,
        reference_2=form.stripped("reference_2") or None,
    )


@bp.post("/checks/submit")
@roles_required(Role.PROVIDER)
def submit_checks() -> Response:
    provider = my_provider()
    try:
        services.submit_for_checks(provider, current_user, today())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Your checks have been sent.", "success")
    return redirect(url_for("provider_onboarding.dashboard"))


@bp.route("/documents", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
@once_per_form
def documents_page() -> str | Response | tuple[str, int]:
    provider = my_provider()
    form = UploadForm()
    if form.carry_out(
        lambda: documents.store_document(
            provider,
            DocumentKind(form.kind.data),
            documents.Upload(form.file.data.filename or "", form.file.data.stream),
            current_user,
            _uploads(),
        )
    ):
        flash("Your document is uploaded.", "success")
        return redirect(url_for("provider_onboarding.documents_page"))
    status = 400 if form.errors else 200
    return render_template(
        "provider_onboarding/documents.html",
        form=form,
        provider=provider,
        documents=documents.documents_of(provider),
    ), status


@bp.get("/documents/<int:document_id>")
@roles_required(Role.PROVIDER, Role.COMMISSIONER, Role.ADMIN)
def document(document_id: int) -> Response:
    item = documents.document_for(current_user, document_id)
    path = _uploads() / item.stored_name
    if not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype=item.content_type,
        as_attachment=True,
        download_name=item.original_name,
        max_age=0,
    )


@bp.post("/documents/<int:document_id>/delete")
@roles_required(Role.PROVIDER)
def delete_document(document_id: int) -> Response:
    provider = my_provider()
    documents.delete_document(provider, document_id, current_user, _uploads())
    flash("The document is removed.", "success")
    return redirect(url_for("provider_onboarding.documents_page"))
