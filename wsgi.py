"""Entry point: `flask --app wsgi …` and WSGI servers."""

import sys

from marketplace import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"Configuration error: {error}")
