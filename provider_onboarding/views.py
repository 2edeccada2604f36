"""Provider registration and the provider's own pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.clock import london_today
from marketplace.directory.models import (
    DeliveryMode,
    Listing,
    PriceUnit,
    Provider,
    ProviderKind,
    ProviderMemberRole,
    WorkerGender,
)
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db, limiter
from marketplace.forms import BaseForm
from provider_onboarding import documents, importer, listings, services, verification
from provider_onboarding.forms import (
    AvailabilityForm,
    BankDetailsForm,
    ChecksForm,
    DecisionForm,
    ExceptionForm,
    ImportConfirmForm,
    ImportForm,
    ListingForm,
    RegisterProviderForm,
    StaffForm,
    UploadForm,
    WorkerForm,
)
from provider_onboarding.models import DocumentKind
from provider_onboarding.verification import Decision, Move

bp = Blueprint("provider_onboarding", __name__, url_prefix="/provider")
# Room for the form fields around a 10 MB document; a bigger body gets the 413 page.
MAX_CONTENT_LENGTH = documents.MAX_BYTES + 512 * 1024


@bp.record_once
def _limit_body_size(state: BlueprintSetupState) -> None:
    if state.app.config.get("MAX_CONTENT_LENGTH") is None:
        state.app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH


@bp.app_errorhandler(413)
def _too_large(error: Exception) -> tuple[str, int]:
    return render_template("provider_onboarding/too_large.html"), 413


def _today() -> date:
    return london_today()


def _my_provider() -> Provider:
    provider = services.provider_for_member(current_user)
    if provider is None:
        abort(404)
    return provider


def _uploads() -> Path:
    return Path(current_app.instance_path) / "uploads"


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per minute;30 per hour", methods=["POST"])
def register() -> str | Response | tuple[str, int]:
    form = RegisterProviderForm()
    if form.validate_on_submit():
        try:
            user, _ = services.register_provider(_registration(form))
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
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


@bp.get("/")
@roles_required(Role.PROVIDER)
def dashboard() -> str:
    provider = _my_provider()
    checks = services.checks_of(provider)
    return render_template(
        "provider_onboarding/dashboard.html",
        provider=provider,
        listings=services.listings_of(provider),
        next_steps=services.next_steps(provider),
        warnings=services.check_warnings(checks, _today()),
        missing=services.missing_for_submission(provider, _today()),
        reason=verification.latest_reason(provider),
        bank=services.bank_details_of(provider),
        may_submit=(Move.SUBMIT, provider.verification_status) in verification.MOVES,
    )


# Checks and documents


@bp.route("/checks", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def checks() -> str | Response | tuple[str, int]:
    provider = _my_provider()
    saved = services.checks_of(provider)
    form = ChecksForm(obj=saved, data=None if saved else {"tenant_id": provider.tenant_id})
    form.tenant_id.choices = [SelectChoice(t.id, t.name) for t in services.checking_bodies()]
    if request.method == "GET" and provider.tenant_id:
        form.tenant_id.data = provider.tenant_id
    if form.validate_on_submit():
        try:
            services.save_checks(provider, _check_details(form), current_user, _today())
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
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
    provider = _my_provider()
    try:
        services.submit_for_checks(provider, current_user, _today())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Your checks have been sent.", "success")
    return redirect(url_for("provider_onboarding.dashboard"))


@bp.route("/documents", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def documents_page() -> str | Response | tuple[str, int]:
    provider = _my_provider()
    form = UploadForm()
    if form.validate_on_submit():
        upload = documents.Upload(form.file.data.filename or "", form.file.data.stream)
        try:
            documents.store_document(
                provider, DocumentKind(form.kind.data), upload, current_user, _uploads()
            )
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
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
    try:
        item = documents.document_for(current_user, document_id)
    except NotFound:
        abort(404)
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
    provider = _my_provider()
    try:
        documents.delete_document(provider, document_id, current_user, _uploads())
    except NotFound:
        abort(404)
    db.session.commit()
    flash("The document is removed.", "success")
    return redirect(url_for("provider_onboarding.documents_page"))


# The verification queue: commissioners (their own tenant's providers) and admins (all)


@bp.get("/verification/")
@roles_required(Role.COMMISSIONER, Role.ADMIN)
def verification_queue() -> str:
    waiting = list(db.session.scalars(verification.queue_query(current_user)))
    return render_template("provider_onboarding/queue.html", waiting=waiting)


@bp.route("/verification/<int:provider_id>", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER, Role.ADMIN)
def verification_decision(provider_id: int) -> str | Response | tuple[str, int]:
    try:
        provider = verification.provider_to_decide(current_user, provider_id)
    except NotFound:
        abort(404)
    form = DecisionForm()
    if form.validate_on_submit():
        decision = Decision(Move(form.move.data), form.stripped("reason") or "")
        try:
            verification.apply_move(provider, decision, current_user)
        except NotAllowed:
            abort(403)
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error, default_field="move")
        else:
            db.session.commit()
            flash(f"Decision recorded for {provider.display_name}.", "success")
            return redirect(url_for("provider_onboarding.verification_queue"))
    status = 400 if form.errors else 200
    return render_template(
        "provider_onboarding/decide.html",
        form=form,
        provider=provider,
        checks=services.checks_of(provider),
        documents=documents.documents_of(provider),
        history=verification.history(provider),
        warnings=services.check_warnings(services.checks_of(provider), _today()),
        missing=services.missing_for_submission(provider, _today()),
    ), status


# The listing editor


def _listing_form(listing: Listing | None = None) -> ListingForm:
    form = ListingForm(obj=listing)
    form.category_ids.choices = [SelectChoice(c.id, c.name) for c in listings.all_categories()]
    if listing is not None and request.method == "GET":
        form.category_ids.data = [c.id for c in listing.categories]
        form.price.data = f"{listing.price_pence / 100:.2f}"
        form.price_unit.data = listing.price_unit.value
        form.delivery_mode.data = listing.delivery_mode.value
        form.worker_gender.data = listing.worker_gender.value if listing.worker_gender else ""
        form.languages.data = ", ".join(listing.languages)
        form.cancellation_charge_percent.data = listing.cancellation_charge_bps // 100
    return form


def _listing_details(form: ListingForm) -> listings.ListingDetails:
    gender = form.worker_gender.data or None
    return listings.ListingDetails(
        title=form.stripped("title"),
        description=form.stripped("description"),
        category_ids=list(form.category_ids.data or []),
        price_pence=int(form.price.data),
        price_unit=PriceUnit(form.price_unit.data),
        block_quantity=form.block_quantity.data,
        block_pays_for=form.block_pays_for.data,
        delivery_mode=DeliveryMode(form.delivery_mode.data),
        postcode=form.stripped("postcode") or None,
        travel_radius_miles=form.travel_radius_miles.data,
        venue_address=form.stripped("venue_address") or None,
        languages=(form.languages.data or "").split(","),
        worker_gender=WorkerGender(gender) if gender else None,
        accessibility_notes=form.stripped("accessibility_notes") or "",
        cancellation_notice_hours=form.cancellation_notice_hours.data or 0,
        cancellation_charge_bps=(form.cancellation_charge_percent.data or 0) * 100,
        works_bank_holidays=bool(form.works_bank_holidays.data),
    )


@bp.route("/listings/new", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def new_listing() -> str | Response | tuple[str, int]:
    provider = _my_provider()
    form = _listing_form()
    if form.validate_on_submit():
        try:
            item = listings.create_listing(provider, _listing_details(form), current_user)
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash("Your listing is saved as a draft.", "success")
            return redirect(url_for("provider_onboarding.availability", listing_id=item.id))
    status = 400 if form.errors else 200
    return render_template("provider_onboarding/listing_form.html", form=form, listing=None), status


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def edit_listing(listing_id: int) -> str | Response | tuple[str, int]:
    item = _my_listing(listing_id)
    form = _listing_form(item)
    if form.validate_on_submit():
        try:
            listings.update_listing(item, _listing_details(form), current_user)
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash("Your listing is saved.", "success")
            return redirect(url_for("provider_onboarding.dashboard"))
    status = 400 if form.errors else 200
    return render_template("provider_onboarding/listing_form.html", form=form, listing=item), status


def _my_listing(listing_id: int) -> Listing:
    try:
        return listings.listing_of(_my_provider(), listing_id)
    except NotFound:
        abort(404)


@bp.get("/listings/<int:listing_id>/availability")
@roles_required(Role.PROVIDER)
def availability(listing_id: int) -> str:
    item = _my_listing(listing_id)
    return _availability_page(item, AvailabilityForm(), ExceptionForm(prefix="off"))[0]


def _availability_page(
    item: Listing, rule_form: AvailabilityForm, off_form: ExceptionForm, failed: object = None
) -> tuple[str, int]:
    html = render_template(
        "provider_onboarding/availability.html",
        listing=item,
        rule_form=rule_form,
        off_form=off_form,
        form=failed,
        weekdays=listings_weekdays(),
        block_price=listings.block_price_pence(item),
    )
    return html, 400 if failed is not None else 200


def listings_weekdays() -> tuple[str, ...]:
    from marketplace.directory.services import WEEKDAYS

    return WEEKDAYS


def _time(text: str) -> time:
    return time.fromisoformat(text)


def _add_weekly_time(
    form: AvailabilityForm, add: Callable[[int, time, time], object], done_url: str
) -> Response | None:
    """Add the weekly time the form sends (to a listing or a worker) and redirect to `done_url`;
    None when the form was not sent or was refused (its errors are on the form)."""
    if not form.validate_on_submit():
        return None
    try:
        add(form.weekday.data, _time(form.start_time.data), _time(form.end_time.data))
    except DomainError as error:
        db.session.rollback()
        form.add_domain_error(error)
        return None
    db.session.commit()
    flash("Time added.", "success")
    return redirect(done_url)


@bp.post("/listings/<int:listing_id>/availability")
@roles_required(Role.PROVIDER)
def add_availability(listing_id: int) -> str | Response | tuple[str, int]:
    item = _my_listing(listing_id)
    form = AvailabilityForm()
    added = _add_weekly_time(
        form,
        lambda day, start, end: listings.add_rule(item, day, start, end),
        url_for("provider_onboarding.availability", listing_id=item.id),
    )
    if added is not None:
        return added
    return _availability_page(item, form, ExceptionForm(prefix="off", formdata=None), failed=form)


@bp.post("/listings/<int:listing_id>/availability/<int:rule_id>/delete")
@roles_required(Role.PROVIDER)
def remove_availability(listing_id: int, rule_id: int) -> Response:
    item = _my_listing(listing_id)
    try:
        listings.remove_rule(item, rule_id)
    except NotFound:
        abort(404)
    db.session.commit()
    return redirect(url_for("provider_onboarding.availability", listing_id=item.id))


@bp.post("/listings/<int:listing_id>/days-off")
@roles_required(Role.PROVIDER)
def add_days_off(listing_id: int) -> str | Response | tuple[str, int]:
    item = _my_listing(listing_id)
    form = ExceptionForm(prefix="off")
    if form.validate_on_submit():
        starts_on, ends_on = form.starts_on.data, form.ends_on.data
        assert starts_on is not None and ends_on is not None  # the form requires both
        try:
            listings.add_exception(item, starts_on, ends_on, form.reason.data or "", _today())
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash("Days off added.", "success")
            return redirect(url_for("provider_onboarding.availability", listing_id=item.id))
    return _availability_page(item, AvailabilityForm(formdata=None), form, failed=form)


@bp.post("/listings/<int:listing_id>/days-off/<int:exception_id>/delete")
@roles_required(Role.PROVIDER)
def remove_days_off(listing_id: int, exception_id: int) -> Response:
    item = _my_listing(listing_id)
    try:
        listings.remove_exception(item, exception_id)
    except NotFound:
        abort(404)
    db.session.commit()
    return redirect(url_for("provider_onboarding.availability", listing_id=item.id))


@bp.post("/listings/<int:listing_id>/publish")
@roles_required(Role.PROVIDER)
def publish_listing(listing_id: int) -> Response:
    item = _my_listing(listing_id)
    try:
        listings.publish(item, current_user, _today())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"‘{item.title}’ is published.", "success")
    return redirect(url_for("provider_onboarding.dashboard"))


@bp.post("/listings/<int:listing_id>/unpublish")
@roles_required(Role.PROVIDER)
def unpublish_listing(listing_id: int) -> Response:
    item = _my_listing(listing_id)
    listings.unpublish(item, current_user)
    db.session.commit()
    flash(f"‘{item.title}’ is hidden from the public.", "success")
    return redirect(url_for("provider_onboarding.dashboard"))


# Getting paid


@bp.route("/bank-details", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def bank_details() -> str | Response | tuple[str, int]:
    provider = _my_provider()
    form = BankDetailsForm()
    if form.validate_on_submit():
        try:
            services.save_bank_details(
                provider,
                current_user,
                account_name=form.stripped("account_name"),
                sort_code=form.stripped("sort_code"),
                account_number=form.stripped("account_number"),
            )
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
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


# Team and workers


@bp.get("/team")
@roles_required(Role.PROVIDER)
def team() -> str:
    provider = _my_provider()
    return _team_page(provider, StaffForm(prefix="staff"), WorkerForm(prefix="worker"))[0]


def _team_page(
    provider: Provider, staff_form: StaffForm, worker_form: WorkerForm, failed: object = None
) -> tuple[str, int]:
    html = render_template(
        "provider_onboarding/team.html",
        provider=provider,
        members=services.members_of(provider),
        workers=services.workers_of(provider),
        is_owner=services.member_role(current_user, provider) == ProviderMemberRole.OWNER,
        staff_form=staff_form,
        worker_form=worker_form,
        form=failed,
    )
    return html, 400 if failed is not None else 200


@bp.post("/team/staff")
@roles_required(Role.PROVIDER)
def add_staff() -> str | Response | tuple[str, int]:
    provider = _my_provider()
    form = StaffForm(prefix="staff")
    if form.validate_on_submit():
        try:
            services.add_staff(
                provider,
                current_user,
                email=form.stripped("email"),
                full_name=form.stripped("full_name"),
                role=ProviderMemberRole(form.role.data),
            )
        except NotAllowed:
            abort(403)
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash("We have emailed them a link to set their password.", "success")
            return redirect(url_for("provider_onboarding.team"))
    return _team_page(provider, form, WorkerForm(prefix="worker", formdata=None), failed=form)


@bp.post("/team/staff/<int:member_id>/remove")
@roles_required(Role.PROVIDER)
def remove_staff(member_id: int) -> Response:
    if not BaseForm().validate_on_submit():
        abort(400)
    provider = _my_provider()
    try:
        member = services.remove_staff(provider, current_user, member_id)
    except NotAllowed:
        abort(403)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        name = member.user.full_name
        db.session.commit()
        flash(f"{name} can no longer act for {provider.display_name}.", "success")
    return redirect(url_for("provider_onboarding.team"))


@bp.post("/team/workers")
@roles_required(Role.PROVIDER)
def add_worker() -> str | Response | tuple[str, int]:
    provider = _my_provider()
    form = WorkerForm(prefix="worker")
    if form.validate_on_submit():
        worker = services.add_worker(provider, current_user, name=form.stripped("name"))
        db.session.commit()
        return redirect(url_for("provider_onboarding.worker", worker_id=worker.id))
    return _team_page(provider, StaffForm(prefix="staff", formdata=None), form, failed=form)


@bp.route("/team/workers/<int:worker_id>", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def worker(worker_id: int) -> str | Response | tuple[str, int]:
    try:
        item = services.worker_of(_my_provider(), worker_id)
    except NotFound:
        abort(404)
    form = AvailabilityForm()
    added = _add_weekly_time(
        form,
        lambda day, start, end: services.add_worker_availability(item, day, start, end),
        url_for("provider_onboarding.worker", worker_id=item.id),
    )
    if added is not None:
        return added
    status = 400 if form.errors else 200
    return render_template(
        "provider_onboarding/worker.html", worker=item, form=form, weekdays=listings_weekdays()
    ), status


@bp.post("/team/workers/<int:worker_id>/remove")
@roles_required(Role.PROVIDER)
def remove_worker(worker_id: int) -> Response:
    if not BaseForm().validate_on_submit():
        abort(400)
    provider = _my_provider()
    try:
        worker = services.remove_worker(provider, current_user, worker_id, _today())
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("provider_onboarding.worker", worker_id=worker_id))
    db.session.commit()
    flash(f"{worker.name} has been removed from your workers.", "success")
    return redirect(url_for("provider_onboarding.team"))


@bp.post("/team/workers/<int:worker_id>/times/<int:window_id>/delete")
@roles_required(Role.PROVIDER)
def remove_worker_time(worker_id: int, window_id: int) -> Response:
    if not BaseForm().validate_on_submit():
        abort(400)
    try:
        item = services.worker_of(_my_provider(), worker_id)
        services.remove_worker_availability(item, window_id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash("Time removed.", "success")
    return redirect(url_for("provider_onboarding.worker", worker_id=item.id))


# Bulk import of listings: a provider for itself, an admin for any provider


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
    plan: importer.Plan | None = None,
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
        columns=importer.CSV_COLUMNS,
        required=importer.REQUIRED_COLUMNS,
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
        fmt = importer.format_of(upload.filename or "")
    except DomainError as error:
        form.add_domain_error(error)
        return _import_page(provider, form, failed=True)
    data = upload.stream.read(importer.MAX_BYTES + 1)
    plan = importer.plan_import(provider, data, fmt)
    db.session.rollback()  # planning writes nothing; make sure of it
    if plan.ok:
        _imports().mkdir(parents=True, exist_ok=True)
        _kept_upload(provider, plan.digest, fmt).write_bytes(data)
    return _import_page(provider, form, plan, failed=not plan.ok)


@bp.post("/<int:provider_id>/import/apply")
@roles_required(Role.PROVIDER, Role.ADMIN)
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
    plan = importer.plan_import(provider, data, confirm.format.data or "")
    if plan.digest != confirm.digest.data:
        form.file.errors = [expired]
        return _import_page(provider, form, failed=True)
    try:
        done = importer.apply_import(provider, plan, current_user)
    except DomainError as error:
        db.session.rollback()
        form.file.errors = [error.message]
        return _import_page(provider, form, plan, failed=True)
    db.session.commit()
    path.unlink(missing_ok=True)
    created, updated = plan.counts
    flash(
        f"Imported {len(done)} listings as drafts: {created} new, {updated} updated. "
        "Publish each one when it is ready.",
        "success",
    )
    if current_user.role == Role.ADMIN:
        return redirect(url_for("provider_onboarding.import_listings", provider_id=provider.id))
    return redirect(url_for("provider_onboarding.dashboard"))
