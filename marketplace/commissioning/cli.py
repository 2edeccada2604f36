"""`flask --app wsgi reports …`: alerts and market gap reports for commissioners."""

from __future__ import annotations

from flask.cli import AppGroup

reports_cli = AppGroup("reports", help="Alerts and market gap reports for commissioners.")
