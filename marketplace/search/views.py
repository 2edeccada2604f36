"""Search pages. The search capability registers its routes on this blueprint."""

from flask import Blueprint

bp = Blueprint("search", __name__)
