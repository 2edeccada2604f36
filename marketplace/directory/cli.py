"""`flask --app wsgi directory …`"""

from flask.cli import AppGroup

directory_cli = AppGroup("directory", help="Providers, listings and the care taxonomy.")
