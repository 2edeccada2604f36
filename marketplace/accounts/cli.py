"""`flask --app wsgi accounts …`"""

from flask.cli import AppGroup

accounts_cli = AppGroup("accounts", help="People and commissioning bodies.")
