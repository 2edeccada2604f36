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


@directory_cli.command("expire")
def expire_command() -> None:
    """Suspend the published listings of providers whose DBS certificate is over 3 years old or
    whose insurance has expired, and email them why. Run daily; running twice tells nobody
    twice."""

    from marketplace.clock import london_today
    from provider_onboarding.services import suspend_expired_listings

    acted = suspend_expired_listings(london_today())
    db.session.commit()
    click.echo(f"Providers whose listings were suspended: {len(acted)}.")


@directory_cli.command("import-listings")
@click.argument("provider_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", "apply_", is_flag=True, help="Save the listings (as drafts).")
def import_listings_command(provider_id: int, path: Path, apply_: bool) -> None:
    """Import listings for a provider from a CSV file or an Open Referral UK JSON file. Checks
    and prints what would change (a dry run) unless --apply; with --apply, all rows or none."""
    from marketplace.directory.models import Provider
    from marketplace.errors import DomainError
    from provider_onboarding import importer

    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise click.ClickException(f"No provider {provider_id}.")
    try:
        fmt = importer.format_of(path.name)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    with path.open("rb") as handle:
        data = handle.read(importer.MAX_BYTES + 1)
    plan = importer.plan_import(provider, data, fmt)
    click.echo(importer.plan_table(plan))
    if not plan.ok:
        db.session.rollback()
        raise click.ClickException("Nothing was imported. Fix the errors and try again.")
    if not apply_:
        db.session.rollback()
        click.echo("Dry run: nothing saved. Run again with --apply to import.")
        return
    importer.apply_import(provider, plan, actor=None)
    db.session.commit()
    created, updated = plan.counts
    click.echo(f"Imported as drafts: {created} created, {updated} updated.")
