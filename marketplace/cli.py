"""Registers every domain's command group with `flask --app wsgi …`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace import mail
from marketplace.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

mail_cli = AppGroup("mail", help="The email outbox.")


def day_option(flag: str, name: str, help: str) -> Callable[[F], F]:
    """A command's option for a day written like 2026-11-23: a datetime at midnight, or None."""
    return click.option(
        flag, name, type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help=help
    )


@mail_cli.command("send")
def send_mail() -> None:
    """Send emails waiting in the outbox (retries failed ones up to five times)."""
    sent = mail.send_pending(limit=1000)
    db.session.commit()
    click.echo(f"Sent {sent} email(s).")


@click.command("verify")
def verify() -> None:
    """Check the ledger and the bookings together: every balance matches its transfers, every
    live session holds its price exactly once, no money is held for nothing, finished sessions
    are settled. Exits 1 naming each difference."""
    from marketplace.bookings import integrity

    problems = integrity.everything()
    for problem in problems:
        click.echo(f"MISMATCH {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("Verified: the ledger balances, and bookings and the money held for them agree.")


def init_app(app: Flask) -> None:
    from marketplace.accounts.cli import accounts_cli
    from marketplace.bookings.cli import bookings_cli
    from marketplace.commissioning.cli import reports_cli
    from marketplace.demo.cli import demo_cli
    from marketplace.directory.cli import directory_cli
    from marketplace.meetings.cli import meetings_cli
    from marketplace.payments.cli import payments_cli
    from marketplace.search.cli import search_cli
    from marketplace.worker.cli import worker_cli
    from provider_onboarding.cli import DIRECTORY_COMMANDS

    for command in DIRECTORY_COMMANDS:
        directory_cli.add_command(command)

    for group in (
        mail_cli,
        accounts_cli,
        demo_cli,
        directory_cli,
        payments_cli,
        search_cli,
        bookings_cli,
        meetings_cli,
        reports_cli,
        worker_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(verify)
