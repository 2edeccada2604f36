"""The one blueprint of provider_onboarding's pages, with the upload size limit and the page a
too-large upload gets. The rooms beside it add their routes to it."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.blueprints import BlueprintSetupState

from provider_onboarding import documents

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
