"""Public pages of the directory: a listing and a provider."""

from flask import Blueprint

bp = Blueprint("directory", __name__)
