"""`flask --app wsgi meetings …`: the scheduled job of first meetings."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.extensions import db
from marketplace.meetings import services

meetings_cli = AppGroup("meetings", help="First meetings.")


@meetings_cli.command("expire")
def expire() -> None:
    """Close meetings whose times all passed with none agreed, telling both sides."""
    done = services.expire_due()
    db.session.commit()
    click.echo(f"{len(done)} meeting request(s) lapsed.")
