"""`flask --app wsgi search …`: drain the outbox, rebuild the index, show where it stands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.extensions import db
from marketplace.search import services
from marketplace.search.interfaces import SearchUnavailable
from marketplace.search.models import SearchOutbox

search_cli = AppGroup("search", help="The search index.")


@search_cli.command("drain")
def drain() -> None:
    """Send waiting listing changes (search_outbox) to the search engine."""
    try:
        done = services.drain_outbox()
    except SearchUnavailable as error:
        raise click.ClickException(
            f"The search engine failed; changes stay queued. {error}"
        ) from error
    click.echo(f"Sent {done} change(s) to {services.engine().name}.")


@search_cli.command("reindex")
def reindex() -> None:
    """Rebuild the index from the database and swap it in (search keeps working meanwhile)."""
    total = services.listing_total()
    try:
        with click.progressbar(length=total, label="Indexing listings") as bar:
            added = services.reindex(progress=bar.update)
    except SearchUnavailable as error:
        raise click.ClickException(
            f"The search engine failed; the old index is still live. {error}"
        ) from error
    db.session.commit()
    click.echo(f"Indexed {added} searchable listing(s) of {total} with {services.engine().name}.")


@search_cli.command("status")
def status() -> None:
    """How many documents the index holds and how many changes are waiting."""
    waiting = db.session.query(SearchOutbox).count()
    click.echo(
        f"Engine: {services.engine().name}; documents: {services.engine().count()}; "
        f"waiting changes: {waiting}"
    )


@search_cli.command("alert-saved")
def alert_saved() -> None:
    """Run every saved search and email people about listings new to them (once a day)."""
    from marketplace.saved_searches.alerts import check_all

    try:
        checked = check_all()
    except SearchUnavailable as error:
        raise click.ClickException(
            f"The search engine failed; people not yet checked will be next time. {error}"
        ) from error
    click.echo(checked.summary())
