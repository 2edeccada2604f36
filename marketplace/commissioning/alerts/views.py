"""Alerts pages for a tenant's commissioners: the list, one alert, acknowledging it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.commissioning.alerts import storage, summaries
from marketplace.commissioning.forms import AcknowledgeForm
from marketplace.commissioning.models import Alert, AlertKind
from marketplace.extensions import db
from marketplace.web import page_number

bp = Blueprint("alerts", __name__, url_prefix="/commissioning/alerts")

PAGE_SIZE = 25


def _kind_filter() -> AlertKind | None:
    """The kind asked for in the query string; anything else shows every kind."""
    try:
        return AlertKind(request.args.get("kind", ""))
    except ValueError:
        return None


def _status_filter() -> str | None:
    status = request.args.get("status", "")
    return status if status in storage.STATUSES else None


@bp.get("/")
@roles_required(Role.COMMISSIONER)
def index() -> str:
    # The check runs as the list opens, so nothing found since the daily run (a refusal a
    # minute ago) is missing from it; a run adds nothing already stored.
    storage.run(current_user.tenant_id, today=clock.london_today(), now=clock.now())
    kind, status = _kind_filter(), _status_filter()
    page = db.paginate(
        storage.alerts_query(current_user, kind=kind, status=status),
        page=page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "commissioning/alerts.html",
        page=page,
        kinds=list(AlertKind),
        kind=kind,
        status=status,
        filtered=kind is not None or status is not None,
    )


def _alert(alert_id: int) -> Alert:
    return storage.alert_for_commissioner(current_user, alert_id)


def _alert_page(found: Alert, form: AcknowledgeForm, status: int = 200) -> tuple[str, int]:
    html = render_template(
        "commissioning/alert.html",
        alert=found,
        figures=summaries.figure_rows(found),
        form=form,
    )
    return html, status


@bp.get("/<int:alert_id>")
@roles_required(Role.COMMISSIONER)
def alert(alert_id: int) -> tuple[str, int]:
    return _alert_page(_alert(alert_id), AcknowledgeForm())


@bp.post("/<int:alert_id>/acknowledge")
@roles_required(Role.COMMISSIONER)
def acknowledge(alert_id: int) -> tuple[str, int] | Response:
    found = _alert(alert_id)
    form = AcknowledgeForm()
    if form.carry_out(lambda: storage.acknowledge(current_user, found, form.stripped("note"))):
        flash("The alert is acknowledged and your note is kept with it.", "success")
        return redirect(url_for("alerts.alert", alert_id=found.id))
    return _alert_page(found, form, 400)
