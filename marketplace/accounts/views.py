"""Sign in and out, passwords, invitations, consent, and the admin pages for tenants and users."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from marketplace.accounts import services
from marketplace.accounts.access import commissions, roles_required
from marketplace.accounts.areas import areas_for_codes, areas_in_service
from marketplace.accounts.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InvitePersonForm,
    InviteRepresentativeForm,
    ResetPasswordForm,
    RevokeConsentForm,
    SignInForm,
    TenantForm,
)
from marketplace.accounts.models import Invitation, Representation, Role, Tenant, TenantKind, User
from marketplace.audit import AuditEvent
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db, limiter
from marketplace.sent_forms import once_per_form
from marketplace.web import page_number

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 25


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("main.dashboard")


def _refused(response: Response) -> bool:
    """Whether a sign-in attempt failed: only failures count toward the limit, so people signing
    in from one office (one address) are not held up by each other's successful sign-ins."""
    return response.status_code != 302


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"], deduct_when=_refused)
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = SignInForm()
    if done := form.carry_out(
        lambda: services.authenticate(form.email.data or "", form.password.data or "")
    ):
        login_user(done.value)
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if form.errors else 200
    return render_template("accounts/sign_in.html", form=form), status


@bp.post("/sign-out")
def sign_out() -> Response:
    if current_user.is_authenticated:
        services.end_sessions(current_user)
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("main.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "")
        return render_template("accounts/reset_sent.html", email=form.email.data)
    status = 400 if form.errors else 200
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    try:
        services.user_for_reset_token(token)
    except DomainError as error:
        return render_template("accounts/link_problem.html", message=error.message), 400
    form = ResetPasswordForm()
    if form.carry_out(lambda: services.reset_password(token, form.password.data or ""), "password"):
        logout_user()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("accounts.sign_in"))
    status = 400 if form.errors else 200
    return render_template("accounts/reset_password.html", form=form), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> ResponseReturnValue:
    try:
        invitation = services.open_invitation(token)
    except (DomainError, NotFound) as error:  # a bad link gets its own page, not the 404 page
        return render_template(
            "accounts/link_problem.html", message=error.message
        ), 404 if isinstance(error, NotFound) else 400
    form = AcceptInvitationForm()
    if request.method == "GET":
        form.full_name.data = invitation.full_name
    if done := form.carry_out(
        lambda: services.accept_invitation(
            token, full_name=form.stripped("full_name"), password=form.password.data or ""
        ),
        "password",
    ):
        logout_user()
        login_user(done.value)
        flash("Your account is ready.", "success")
        return redirect(url_for("main.dashboard"))
    status = 400 if form.errors else 200
    return render_template(
        "accounts/accept_invitation.html", form=form, invitation=invitation
    ), status


@bp.get("/account")
@login_required
def account() -> str:
    representations: list[Representation] = []
    represented: list[User] = []
    if current_user.role == Role.HOLDER:
        representations = services.representations_for_holder(current_user)
    if current_user.role == Role.REPRESENTATIVE:
        represented = services.holders_represented_by(current_user)
    return render_template(
        "accounts/account.html", representations=representations, represented=represented
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.carry_out(
        lambda: services.change_password(
            current_user, form.current_password.data or "", form.password.data or ""
        ),
        "password",
    ):
        # The session token changed: sign this session in again. Pass the user itself, not
        # the current_user proxy, which would then resolve to itself for ever.
        login_user(current_user._get_current_object())
        flash("Your password has been changed.", "success")
        return redirect(url_for("accounts.account"))
    status = 400 if form.errors else 200
    return render_template("accounts/change_password.html", form=form), status


def _holder_for(holder_id: int | None) -> User:
    """The holder whose representatives the current user manages (self, or one in the tenant)."""
    if holder_id is None:
        if current_user.role != Role.HOLDER:
            abort(404)
        return current_user
    return services.holder_for_commissioner(current_user, holder_id)


@bp.route("/account/representatives/new", methods=["GET", "POST"])
@bp.route("/holders/<int:holder_id>/representatives/new", methods=["GET", "POST"])
@roles_required(Role.HOLDER, Role.COMMISSIONER)
@once_per_form
def invite_representative(holder_id: int | None = None) -> ResponseReturnValue:
    holder = _holder_for(holder_id)
    form = InviteRepresentativeForm()
    if form.carry_out(
        lambda: services.invite_representative(
            current_user,
            holder,
            **form.answers("email", "full_name", "relationship_to_holder"),
        )
    ):
        flash(f"We have emailed an invitation to {form.stripped('email')}.", "success")
        if holder.id == current_user.id:
            return redirect(url_for("accounts.account"))
        return redirect(url_for("commissioning.holder", holder_id=holder.id))
    status = 400 if form.errors else 200
    return render_template("accounts/invite_representative.html", form=form, holder=holder), status


@bp.route("/representations/<int:representation_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_consent(representation_id: int) -> ResponseReturnValue:
    representation = db.session.get(Representation, representation_id)
    if representation is None:
        abort(404)
    form = RevokeConsentForm()
    if form.validate_on_submit():
        try:
            services.revoke_consent(current_user, representation, form.reason.data or "")
        except DomainError as error:
            form.add_domain_error(error)
        else:
            flash(
                "Consent has been withdrawn. They can no longer act for the budget holder.",
                "success",
            )
            return redirect(url_for("main.dashboard"))
    elif not _may_see_representation(representation):
        abort(404)
    status = 400 if form.errors else 200
    return render_template(
        "accounts/revoke_consent.html", form=form, representation=representation
    ), status


def _may_see_representation(representation: Representation) -> bool:
    user = current_user
    if user.id in (representation.holder_id, representation.representative_id):
        return True
    return commissions(user, representation.holder.tenant_id)


# Admin: commissioning bodies, users and the audit log.


@admin_bp.get("/")
@roles_required(Role.ADMIN)
def dashboard() -> str:
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.name)).all()
    rows = db.session.execute(select(User.role, func.count(User.id)).group_by(User.role)).all()
    counts: dict[Role, int] = {role: count for role, count in rows}
    return render_template("admin/dashboard.html", tenants=tenants, counts=counts, Role=Role)


def _area_choices() -> list[SelectChoice]:
    return [SelectChoice(code, area.name) for code, area in areas_in_service().items()]


@admin_bp.route("/tenants/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_tenant() -> ResponseReturnValue:
    form = TenantForm()
    form.areas.choices = _area_choices()
    if done := form.carry_out(
        lambda: services.create_tenant(
            current_user,
            name=form.stripped("name"),
            kind=TenantKind(form.kind.data),
            areas=areas_for_codes(form.areas.data or []),
        )
    ):
        flash(f"{done.value.name} has been added.", "success")
        return redirect(url_for("admin.tenant", tenant_id=done.value.id))
    status = 400 if form.errors else 200
    return render_template("admin/tenant_form.html", form=form), status


@admin_bp.route("/tenants/<int:tenant_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@once_per_form
def tenant(tenant_id: int) -> ResponseReturnValue:
    tenant = db.get_or_404(Tenant, tenant_id)
    form = InvitePersonForm()
    if form.carry_out(
        lambda: services.invite_commissioner(
            current_user, tenant, **form.answers("email", "full_name")
        )
    ):
        flash(f"We have emailed an invitation to {form.stripped('email')}.", "success")
        return redirect(url_for("admin.tenant", tenant_id=tenant.id))
    staff = db.session.scalars(
        select(User)
        .where(User.tenant_id == tenant.id, User.role == Role.COMMISSIONER)
        .order_by(User.full_name, User.id)
    ).all()
    invitations = db.session.scalars(
        select(Invitation)
        .where(Invitation.tenant_id == tenant.id, Invitation.role == Role.COMMISSIONER)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()
    status = 400 if form.errors else 200
    return render_template(
        "admin/tenant.html", tenant=tenant, form=form, staff=staff, invitations=invitations
    ), status


@admin_bp.get("/users")
@roles_required(Role.ADMIN)
def users() -> str:
    page = db.paginate(
        select(User).order_by(User.full_name, User.id),
        page=page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template("admin/users.html", page=page)


@admin_bp.post("/users/<int:user_id>/active")
@roles_required(Role.ADMIN)
def set_user_active(user_id: int) -> Response:
    from marketplace.forms import BaseForm

    user = db.get_or_404(User, user_id)
    if not BaseForm().validate_on_submit():
        abort(400)
    try:
        services.set_user_active(current_user, user, request.form.get("active") == "1")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            f"{user.full_name}'s account has been {'reactivated' if user.active else 'suspended'}.",
            "success",
        )
    return redirect(url_for("admin.users"))


@admin_bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log() -> str:
    page = db.paginate(
        select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()),
        page=page_number(),
        per_page=50,
        error_out=False,
    )
    tenants = dict(db.session.execute(select(Tenant.id, Tenant.name)).tuples().all())
    return render_template("admin/audit.html", page=page, tenants=tenants)
