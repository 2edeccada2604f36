"""Onboarding's commands. They join `flask --app wsgi directory …` (where operators have always
run them), added there by `marketplace.cli`, so `directory` itself knows nothing of them."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from marketplace.extensions import db


@click.command("expire")
@with_appcontext
def expire_command() -> None:
    """Suspend the published listings of providers whose DBS certificate is over 3 years old or
    whose insurance has expired, and email them why. Run daily; running twice tells nobody
    twice."""

    from marketplace.clock import london_today
    from provider_onboarding.services import suspend_expired_listings

    acted = suspend_expired_listings(london_today())
    db.session.commit()
    click.echo(f"Providers whose listings were suspended: {len(acted)}.")


@click.command("import-listings")
@click.argument("provider_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", "apply_", is_flag=True, help="Save the listings (as drafts).")
@with_appcontext
def import_listings_command(provider_id: int, path: Path, apply_: bool) -> None:
    """Import listings for a provider from a CSV file or an Open Referral UK JSON file. Checks
    and prints what would change (a dry run) unless --apply; with --apply, all rows or none."""
    from marketplace.directory.models import Provider
    from marketplace.errors import DomainError
    from provider_onboarding.importer import plans

    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise click.ClickException(f"No provider {provider_id}.")
    try:
        fmt = plans.format_of(path.name)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    with path.open("rb") as handle:
        data = handle.read(plans.MAX_BYTES + 1)
    plan = plans.plan_import(provider, data, fmt)
    click.echo(plans.plan_table(plan))
    if not plan.ok:
        db.session.rollback()
        raise click.ClickException("Nothing was imported. Fix the errors and try again.")
    if not apply_:
        db.session.rollback()
        click.echo("Dry run: nothing saved. Run again with --apply to import.")
        return
    plans.apply_import(provider, plan, actor=None)
    db.session.commit()
    created, updated = plan.counts
    click.echo(f"Imported as drafts: {created} created, {updated} updated.")


# The commands `marketplace.cli` adds to the `directory` group.
DIRECTORY_COMMANDS = (expire_command, import_listings_command)
