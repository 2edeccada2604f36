"""A provider's team: the staff who may act for it and the workers it names."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.directory.models import Provider, ProviderMemberRole
from marketplace.errors import DomainError
from marketplace.forms import BaseForm
from marketplace.sent_forms import once_per_form
from provider_onboarding import services
from provider_onboarding.forms import AvailabilityForm, StaffForm, WorkerForm
from provider_onboarding.views.blueprint import bp
from provider_onboarding.views.common import add_weekly_time, listings_weekdays, my_provider, today


@bp.get("/team")
@roles_required(Role.PROVIDER)
def team() -> str:
    provider = my_provider()
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
    provider = my_provider()
    form = StaffForm(prefix="staff")
    if form.carry_out(
        lambda: services.add_staff(
            provider,
            current_user,
            **form.answers("email", "full_name"),
            role=ProviderMemberRole(form.role.data),
        )
    ):
        flash("We have emailed them a link to set their password.", "success")
        return redirect(url_for("provider_onboarding.team"))
    return _team_page(provider, form, WorkerForm(prefix="worker", formdata=None), failed=form)


@bp.post("/team/staff/<int:member_id>/remove")
@roles_required(Role.PROVIDER)
def remove_staff(member_id: int) -> Response:
    if not BaseForm().validate_on_submit():
        abort(400)
    provider = my_provider()
    try:
        member = services.remove_staff(provider, current_user, member_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        name = member.user.full_name
        flash(f"{name} can no longer act for {provider.display_name}.", "success")
    return redirect(url_for("provider_onboarding.team"))


@bp.post("/team/workers")
@roles_required(Role.PROVIDER)
@once_per_form
def add_worker() -> str | Response | tuple[str, int]:
    provider = my_provider()
    form = WorkerForm(prefix="worker")
    if form.validate_on_submit():
        worker = services.add_worker(provider, current_user, name=form.stripped("name"))
        return redirect(url_for("provider_onboarding.worker", worker_id=worker.id))
    return _team_page(provider, StaffForm(prefix="staff", formdata=None), form, failed=form)


@bp.route("/team/workers/<int:worker_id>", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def worker(worker_id: int) -> str | Response | tuple[str, int]:
    item = services.worker_of(my_provider(), worker_id)
    form = AvailabilityForm()
    added = add_weekly_time(
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
    provider = my_provider()
    try:
        worker = services.remove_worker(provider, current_user, worker_id, today())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("provider_onboarding.worker", worker_id=worker_id))
    flash(f"{worker.name} has been removed from your workers.", "success")
    return redirect(url_for("provider_onboarding.team"))


@bp.post("/team/workers/<int:worker_id>/times/<int:window_id>/delete")
@roles_required(Role.PROVIDER)
def remove_worker_time(worker_id: int, window_id: int) -> Response:
    if not BaseForm().validate_on_submit():
        abort(400)
    item = services.worker_of(my_provider(), worker_id)
    services.remove_worker_availability(item, window_id)
    flash("Time removed.", "success")
    return redirect(url_for("provider_onboarding.worker", worker_id=item.id))
