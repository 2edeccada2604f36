"""`flask --app wsgi demo load`: a demo tenant, real CQC providers and demo people."""

from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demonstration data, clearly marked as demo.")
