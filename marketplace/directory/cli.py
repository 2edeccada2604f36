"""`flask --app wsgi directory …`"""

import click
from flask.cli import AppGroup

from marketplace.directory.taxonomy import load_taxonomy
from marketplace.extensions import db

directory_cli = AppGroup("directory", help="Providers, listings and the care taxonomy.")


@directory_cli.command("load-taxonomy")
def load_taxonomy_command() -> None:
    """Add or update the care categories from data/taxonomy.csv (safe to run again)."""
    added, updated = load_taxonomy()
    db.session.commit()
    click.echo(f"Care categories: {added} added, {updated} updated.")
