"""`flask --app wsgi bookings …`: the scheduled jobs of bookings (run them from cron or a timer)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.bookings import services
from marketplace.clock import london_today
from marketplace.extensions import db

bookings_cli = AppGroup("bookings", help="Requests, rotas and deliveries.")


@bookings_cli.command("expire")
def expire() -> None:
    """Mark requests nobody answered in time as expired."""
    done = services.expire_due()
    db.session.commit()
    click.echo(f"{len(done)} request(s) expired.")


@bookings_cli.command("auto-confirm")
def auto_confirm() -> None:
    """Confirm (and pay) deliveries neither confirmed nor disputed within seven days."""
    done = services.auto_confirm()
    db.session.commit()
    click.echo(f"{len(done)} delivery(ies) confirmed.")


@bookings_cli.command("extend-rotas")
def extend_rotas() -> None:
    """Schedule the next weeks of every rota and set their money aside."""
    done = services.extend_rotas(london_today())
    db.session.commit()
    click.echo(f"{len(done)} shift(s) scheduled.")
