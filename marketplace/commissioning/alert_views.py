"""Alerts pages for a tenant's commissioners: the list, one alert, acknowledging it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("alerts", __name__, url_prefix="/commissioning/alerts")
