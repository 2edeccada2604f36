"""`flask --app wsgi demo load`: load the demo, print its sign-ins, fill the search index."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.demo.services import load_demo
from marketplace.extensions import db
from marketplace.search import services as search
from marketplace.search.interfaces import SearchUnavailable

demo_cli = AppGroup("demo", help="Demonstration data, clearly marked as demo.")


@demo_cli.command("load")
def load_command() -> None:
    """Load demo data (safe to run again: it only adds what is missing), then fill the search
    index with it."""
    report = load_demo()
    db.session.commit()
    if report.added:
        click.echo("Added: " + ", ".join(f"{n} {what}" for what, n in report.added.items()) + ".")
    else:
        click.echo("Demo data is already loaded. Nothing changed.")
    if report.new_logins:
        click.echo("\nDemo sign-ins (passwords are shown once, now; write them down):\n")
        width = max(len(email) for _, email, _ in report.new_logins)
        click.echo(f"{'Role':<20} {'Email':<{width}} Password")
        for role, email, password in report.new_logins:
            click.echo(f"{role:<20} {email:<{width}} {password}")
    if report.existing_emails:
        click.echo(
            "\nThese demo users already exist; their passwords were shown when they were "
            "created:\n  " + "\n  ".join(report.existing_emails)
        )
    _fill_search_index()


def _fill_search_index() -> None:
    """Send the listing changes the load queued to the search engine, so a first search finds
    the demo's listings. If the engine fails they stay queued for `search drain`."""
    try:
        sent = search.drain_outbox()
    except SearchUnavailable as error:
        click.echo(
            "\nThe search engine failed; the demo's listings stay queued until "
            f"`flask --app wsgi search drain` sends them. {error}",
            err=True,
        )
        return
    if sent:
        engine = search.engine()
        click.echo(
            f"\nSearch index ({engine.name}): sent {sent} queued change(s); "
            f"it holds {engine.count()} listing(s)."
        )
