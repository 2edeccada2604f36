"""Open Referral UK 3.0 read API."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

bp = Blueprint("api", __name__, url_prefix="/openreferral")

# What the `/` endpoint says about this API (ORUK 3.0 "api_details").
HSDS_VERSION = "HSDS-UK-3.0"
ORUK_PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
ORUK_OPENAPI_URL = "https://docs.openreferraluk.org/en/latest/openapi30.json"


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    """ORUK compliance: feeds are open, readable by browser apps on any site (CORS)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/")
def index() -> Response:
    """The API details object: which HSDS version and profile this feed follows."""
    return jsonify(version=HSDS_VERSION, profile=ORUK_PROFILE_URL, openapi_url=ORUK_OPENAPI_URL)
