"""Open Referral UK 3.0 read API."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/openreferral")
