"""Bulk import of listings: a provider for itself, an admin for any provider."""

from __future__ import annotations

from pathlib import Path

from flask import abort, after_this_request, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.directory.models import Provider
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.sent_forms import once_per_form
from provider_onboarding import listings, services
from provider_onboarding.forms import ImportConfirmForm, ImportForm
from provider_onboarding.importer import csv_file, plans
from provider_onboarding.views.blueprint import bp


def _import_provider(provider_id: int) -> Provider:
    """The provider whose listings this person may import: any for an admin, otherwise only
    one the person acts for (404 for anyone else's)."""
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        abort(404)
    if current_user.role != Role.ADMIN and services.member_role(current_user, provider) is None:
        abort(404)
    return provider


def _imports() -> Path:
    return Path(current_app.instance_path) / "imports"


def _kept_upload(provider: Provider, digest: str, fmt: str) -> Path:
    # digest and fmt are checked by ImportConfirmForm (64 hex digits; csv or json).
    return _imports() / f"{provider.id}-{digest}.{fmt}"


def _import_page(
    provider: Provider,
    form: ImportForm,
    plan: plans.Plan | None = None,
    failed: bool = False,
) -> tuple[str, int]:
    confirm = ImportConfirmForm(formdata=None)
    if plan is not None:
        confirm.digest.data, confirm.format.data = plan.digest, plan.format
    html = render_template(
        "provider_onboarding/import.html",
        provider=provider,
        form=form,
        plan=plan,
        confirm=confirm,
        columns=csv_file.CSV_COLUMNS,
        required=csv_file.REQUIRED_COLUMNS,
        categories=listings.all_categories(),
        is_admin=current_user.role == Role.ADMIN,
    )
    return html, 400 if failed else 200


@bp.route("/<int:provider_id>/import", methods=["GET", "POST"])
@roles_required(Role.PROVIDER, Role.ADMIN)
def import_listings(provider_id: int) -> str | tuple[str, int]:
    """Upload a file and see, without saving anything, what importing it would do."""
    provider = _import_provider(provider_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(provider, form, failed=bool(form.errors))
    upload = form.file.data
    try:
        fmt = plans.format_of(upload.filename or "")
    except DomainError as error:
        form.add_domain_error(error)
        return _import_page(provider, form, failed=True)
    data = upload.stream.read(plans.MAX_BYTES + 1)
    plan = plans.plan_import(provider, data, fmt)
    if plan.ok:
        _imports().mkdir(parents=True, exist_ok=True)
        _kept_upload(provider, plan.digest, fmt).write_bytes(data)
    return _import_page(provider, form, plan, failed=not plan.ok)


def _forget_after_commit(path: Path) -> None:
    """Delete the kept upload once the import is committed (after the view, when the response
    is not an error), so a request that fails can be sent again with the same file."""

    @after_this_request
    def forget(response: Response) -> Response:
        if response.status_code < 400:
            path.unlink(missing_ok=True)
        return response


@bp.post("/<int:provider_id>/import/apply")
@roles_required(Role.PROVIDER, Role.ADMIN)
@once_per_form
def apply_import(provider_id: int) -> Response | tuple[str, int]:
    """Import the file checked on the previous page (kept under its SHA-256), all rows or none."""
    provider = _import_provider(provider_id)
    confirm = ImportConfirmForm()
    form = ImportForm(formdata=None)
    expired = "That check has expired. Upload the file again."
    if not confirm.validate_on_submit():
        form.file.errors = [expired]
        return _import_page(provider, form, failed=True)
    path = _kept_upload(provider, confirm.digest.data or "", confirm.format.data or "")
    if not path.is_file():
        form.file.errors = [expired]
        return _import_page(provider, form, failed=True)
    data = path.read_bytes()
    plan = plans.plan_import(provider, data, confirm.format.data or "")
    if plan.digest != confirm.digest.data:
        form.file.errors = [expired]
        return _import_page(provider, form, failed=True)
    try:
        done = plans.apply_import(provider, plan, current_user)
    except DomainError as error:
        form.file.errors = [error.message]
        return _import_page(provider, form, plan, failed=True)
    _forget_after_commit(path)
    created, updated = plan.counts
    flash(
        f"Imported {len(done)} listings as drafts: {created} new, {updated} updated. "
        "Publish each one when it is ready.",
        "success",
    )
    if current_user.role == Role.ADMIN:
        return redirect(url_for("provider_onboarding.import_listings", provider_id=provider.id))
    return redirect(url_for("provider_onboarding.dashboard"))
