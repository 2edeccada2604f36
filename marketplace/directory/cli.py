"""`flask --app wsgi directory …`"""

from pathlib import Path

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


@directory_cli.command("import-cqc")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cqc_command(path: Path) -> None:
    """Import a CQC care directory CSV (CQC's public format): locations registration is checked
    against. Safe to run again: a location already held is updated."""
    from marketplace.directory.cqc import import_directory, read_directory
    from marketplace.errors import DomainError

    try:
        total = sum(1 for _ in read_directory(path))
    except DomainError as error:
        raise click.ClickException(error.message) from None
    with click.progressbar(length=total, label="CQC locations") as bar:
        count = import_directory(path, progress=bar.update)
    db.session.commit()
    click.echo(f"CQC locations imported: {count}.")
