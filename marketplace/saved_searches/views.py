"""Saving a search from the results page, and the page that lists a person's saved searches.

Only budget holders and representatives save searches; each sees only their own (another
person's is a 404, as one that does not exist).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from marketplace.accounts.access import roles_required
from marketplace.saved_searches import services
from marketplace.saved_searches.forms import ConfirmForm, RenameForm, SaveSearchForm
from marketplace.saved_searches.models import SavedSearch
from marketplace.search.query import QueryError
from marketplace.sent_forms import once_per_form
from marketplace.web import page_number

bp = Blueprint("saved_searches", __name__)
SAVERS = services.SAVERS
NO_SEARCH = "There is no search to save. Search for support first, then save the search."


def pairs(params: list[list[str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in params]


def results_url(saved: SavedSearch) -> str:
    """The address of the saved search's results page."""
    return url_for("search.search") + "?" + urlencode(pairs(saved.params))


@bp.route("/search/save", methods=["GET", "POST"])
@roles_required(*SAVERS)
@once_per_form
def save() -> ResponseReturnValue:
    form = SaveSearchForm()
    sent = request.method == "POST"
    raw = (form.search.data or "") if sent else urlencode(list(request.args.items(multi=True)))
    params = services.search_params(MultiDict(parse_qsl(raw)))
    problem = None
    query = None
    try:
        query = services.query_of(params) if params else None
    except QueryError as error:
        problem = error.message
    if query is None:
        return render_template("saved_searches/nothing.html", problem=problem or NO_SEARCH), 400
    if (kept := services.already_saved(current_user, query)) is not None:
        page = render_template(
            "saved_searches/already.html", saved=kept, results_url=results_url(kept)
        )
        return page, 409 if sent else 200
    if not sent:
        form.search.data = urlencode(pairs(params))
        form.name.data = services.free_name(current_user, services.describe(query))
        form.alerts.data = "yes"
    done = form.carry_out(
        lambda: services.save(
            current_user, params, form.stripped("name"), form.alerts.data == "yes"
        ),
        default_field="name",
    )
    if done:
        if done.value.alerts_on:
            flash("Search saved. We will email you when new support matches it.", "success")
        else:
            flash("Search saved. We will not email you about it.", "success")
        return redirect(url_for("saved_searches.index"))
    status = 400 if form.errors else 200
    return render_template(
        "saved_searches/save.html", form=form, summary=services.summary(query)
    ), status


@bp.get("/saved-searches")
@roles_required(*SAVERS)
def index() -> str:
    page = services.of(current_user, page_number())
    return render_template("saved_searches/index.html", page=page, results_url=results_url)


@bp.post("/saved-searches/<int:saved_search_id>/alerts")
@roles_required(*SAVERS)
def alerts(saved_search_id: int) -> ResponseReturnValue:
    saved = services.own(current_user, saved_search_id)
    choice = request.form.get("alerts", "")
    if choice not in ("on", "off"):
        abort(400)
    services.set_alerts(current_user, saved, choice == "on")
    if choice == "on":
        flash(f"We will email you when new support matches ‘{saved.name}’.", "success")
    else:
        flash(f"We will not email you about ‘{saved.name}’.", "success")
    return redirect(url_for("saved_searches.index"))


@bp.route("/saved-searches/<int:saved_search_id>/rename", methods=["GET", "POST"])
@roles_required(*SAVERS)
def rename(saved_search_id: int) -> ResponseReturnValue:
    saved = services.own(current_user, saved_search_id)
    form = RenameForm()
    if request.method == "GET":
        form.name.data = saved.name
    if form.carry_out(lambda: services.rename(current_user, saved, form.stripped("name"))):
        flash("The search has its new name.", "success")
        return redirect(url_for("saved_searches.index"))
    status = 400 if form.errors else 200
    return render_template("saved_searches/rename.html", form=form, saved=saved), status


@bp.route("/saved-searches/<int:saved_search_id>/delete", methods=["GET", "POST"])
@roles_required(*SAVERS)
def delete(saved_search_id: int) -> ResponseReturnValue:
    if request.method == "POST":
        if services.remove(current_user, saved_search_id):
            flash("The saved search has been deleted.", "success")
        else:
            flash("That saved search had already been deleted.", "success")
        return redirect(url_for("saved_searches.index"))
    saved = services.own(current_user, saved_search_id)
    return render_template(
        "saved_searches/delete.html", form=ConfirmForm(), saved=saved, results_url=results_url
    )
