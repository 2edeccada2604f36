"""`flask --app wsgi accounts …`"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace import audit
from marketplace.accounts.models import Role, User
from marketplace.accounts.services import find_user_by_email, normalise_email, set_password
from marketplace.errors import DomainError
from marketplace.extensions import db

accounts_cli = AppGroup("accounts", help="People and commissioning bodies.")


def create_admin(email: str, full_name: str, password: str) -> User:
    """Make an administrator account. Raises DomainError if the email is taken or the password
    is too weak. Flushes, never commits."""
    email = normalise_email(email)
    if "@" not in email:
        raise DomainError("Enter an email address in the correct format, like name@example.com")
    if find_user_by_email(email) is not None:
        raise DomainError("An account with this email address already exists")
    if not full_name.strip():
        raise DomainError("Enter a name")
    user = User(email=email, full_name=full_name.strip(), role=Role.ADMIN)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", "user", user.id, actor_id=None, role=Role.ADMIN.value, via="cli")
    return user


@accounts_cli.command("create-admin")
@click.argument("email")
@click.argument("name")
@click.password_option("--password", prompt="Password", help="Asked for when not given.")
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator with EMAIL and full NAME (asks for the password twice)."""
    try:
        user = create_admin(email, name, password)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Administrator {user.email} created.")


@accounts_cli.command("forget-forms")
def forget_forms() -> None:
    """Forget the keys of once-only forms sent over a week ago (run daily)."""
    from marketplace import sent_forms

    gone = sent_forms.forget_old()
    db.session.commit()
    click.echo(f"Forgot {gone} sent form key(s).")
