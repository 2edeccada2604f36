"""The commissioner's pages: their budget holders and how each pot is used, and invitations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts import services
from marketplace.accounts.access import roles_required
from marketplace.accounts.forms import InvitePersonForm
from marketplace.accounts.models import Role
from marketplace.commissioning import services as oversight
from marketplace.commissioning.alerts.facts import disputed
from marketplace.commissioning.alerts.storage import open_alert_counts
from marketplace.commissioning.forms import HolderFilterForm
from marketplace.errors import DomainError, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.forms import BaseForm
from marketplace.payments.models import PotKind
from marketplace.sent_forms import once_per_form
from marketplace.web import page_number
from provider_onboarding import verification

bp = Blueprint("commissioning", __name__, url_prefix="/commissioning")

PAGE_SIZE = 25


def _forms() -> tuple[InvitePersonForm, InvitePersonForm]:
    """The two invitation forms on the dashboard; prefixes keep their fields apart."""
    return InvitePersonForm(prefix="holder"), InvitePersonForm(prefix="staff")


def _chosen(form: HolderFilterForm) -> oversight.HolderFilter:
    """What the filter form asks for; an invalid form (a hand-made link) filters nothing."""
    if not form.validate():
        return oversight.HolderFilter()
    pot = form.pot.data or ""
    return oversight.HolderFilter(
        text=form.q.data or "",
        pot_kind=PotKind(pot) if pot in PotKind._value2member_map_ else None,
        no_pot=pot == "none",
        status=form.status.data or "",
    )


def _dashboard(
    holder_form: InvitePersonForm,
    staff_form: InvitePersonForm,
    failed: InvitePersonForm | None = None,
) -> tuple[str, int]:
    filter_form = HolderFilterForm(formdata=request.args)
    chosen = _chosen(filter_form)
    page = db.paginate(
        oversight.holders_query(current_user, chosen),
        page=page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    html = render_template(
        "commissioning/dashboard.html",
        tenant=current_user.tenant,
        page=page,
        rows=oversight.overview(page.items),
        filter_form=filter_form,
        filtered=chosen != oversight.HolderFilter(),
        alert_counts=open_alert_counts(current_user.tenant_id) if current_user.tenant_id else {},
        to_verify=list(db.session.scalars(verification.queue_query(current_user))),
        disputes=disputed(current_user.tenant_id) if current_user.tenant_id else [],
        invitations=services.open_invitations_for_tenant(current_user),
        holder_form=holder_form,
        staff_form=staff_form,
        form=failed or (filter_form if filter_form.errors else None),
    )
    status = 400 if failed is not None or filter_form.errors else 200
    return html, status


@bp.get("/")
@roles_required(Role.COMMISSIONER)
def dashboard() -> tuple[str, int]:
    return _dashboard(*_forms())


@bp.post("/holders/invite")
@roles_required(Role.COMMISSIONER)
@once_per_form
def invite_holder() -> tuple[str, int] | Response:
    holder_form, staff_form = _forms()
    if holder_form.carry_out(
        lambda: services.invite_holder(
            current_user,
            **holder_form.answers("email", "full_name"),
        )
    ):
        flash(f"We have emailed an invitation to {holder_form.stripped('email')}.", "success")
        return redirect(url_for("commissioning.dashboard"))
    return _dashboard(holder_form, staff_form, failed=holder_form)


@bp.post("/staff/invite")
@roles_required(Role.COMMISSIONER)
@once_per_form
def invite_staff() -> tuple[str, int] | Response:
    if current_user.tenant is None:
        abort(403)
    holder_form, staff_form = _forms()
    if staff_form.carry_out(
        lambda: services.invite_commissioner(
            current_user,
            current_user.tenant,
            **staff_form.answers("email", "full_name"),
        )
    ):
        flash(f"We have emailed an invitation to {staff_form.stripped('email')}.", "success")
        return redirect(url_for("commissioning.dashboard"))
    return _dashboard(holder_form, staff_form, failed=staff_form)


@bp.post("/invitations/<int:invitation_id>/withdraw")
@roles_required(Role.COMMISSIONER)
def withdraw_invitation(invitation_id: int) -> Response:
    if not BaseForm().validate_on_submit():
        abort(400)
    try:
        invitation = services.invitation_for_commissioner(current_user, invitation_id)
        services.revoke_invitation(current_user, invitation)
    except (NotFound, NotAllowed):
        abort(404)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"The invitation to {invitation.email} has been withdrawn.", "success")
    return redirect(url_for("commissioning.dashboard"))


@bp.get("/holders/<int:holder_id>")
@roles_required(Role.COMMISSIONER)
def holder(holder_id: int) -> str:
    person = services.holder_for_commissioner(current_user, holder_id)
    bookings = db.paginate(
        oversight.holder_bookings_query(person),
        page=page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "commissioning/holder.html",
        holder=person,
        row=oversight.overview([person])[0],
        page=bookings,
        representations=services.representations_for_holder(person),
    )
