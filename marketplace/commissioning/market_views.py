"""The market gap report pages and their CSV exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("market", __name__, url_prefix="/commissioning/market")
