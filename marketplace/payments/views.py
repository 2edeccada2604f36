"""Budget accounts, statements and Stripe webhooks register their routes on this blueprint."""

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")
