"""The care marketplace: create_app binds settings, extensions, blueprints, CLI and error pages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from marketplace.config import ConfigError, load_settings
from marketplace.paths import PROJECT_ROOT

__all__ = ["ConfigError", "create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. `config` overrides settings (tests use it); the rest come from the
    environment, read once here. Raises ConfigError on a malformed setting."""
    overrides = dict(config or {})
    instance = overrides.pop("INSTANCE_PATH", None)
    settings = load_settings(instance_path=Path(instance) if instance else None)
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(settings.as_flask_config())
    app.config.update(overrides)
    _templates(app)
    _extensions(app)
    _blueprints(app)
    _session_hooks(app)
    from marketplace import cli, logs, web

    logs.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app


def _templates(app: Flask) -> None:
    from marketplace.forms import error_summary

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.add_template_global(error_summary)


def _extensions(app: Flask) -> None:
    from marketplace import models  # noqa: F401  (every table registered before migrations run)
    from marketplace.accounts.services import load_user
    from marketplace.extensions import (
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
        transactions_on_sqlite,
    )

    db.init_app(app)
    with app.app_context():
        transactions_on_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)


def _session_hooks(app: Flask) -> None:
    """What happens around every commit, registered once: a listing's dates kept, search
    outbox rows written with a change and sent after its commit, emails sent after it."""
    from marketplace import mail
    from marketplace.directory import services as directory
    from marketplace.search import services as search

    directory.keep_listings_dated()
    search.listen_for_changes()
    mail.listen_for_commits()
    app.after_request(search.drain_after_request)
    app.after_request(mail.deliver_after_request)


def _blueprints(app: Flask) -> None:
    from marketplace.accounts.views import admin_bp
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.api.views import bp as api_bp
    from marketplace.bookings.views import bp as bookings_bp
    from marketplace.commissioning.alerts.views import bp as alerts_bp
    from marketplace.commissioning.market.views import bp as market_bp
    from marketplace.commissioning.views import bp as commissioning_bp
    from marketplace.conversations.views import bp as conversations_bp
    from marketplace.directory.views import bp as directory_bp
    from marketplace.health import bp as health_bp
    from marketplace.meetings.views import bp as meetings_bp
    from marketplace.payments.views import bp as payments_bp
    from marketplace.saved_searches.views import bp as saved_searches_bp
    from marketplace.search.views import bp as search_bp
    from marketplace.web import bp as main_bp
    from marketplace.worker.views import bp as jobs_bp
    from provider_onboarding.views import bp as onboarding_bp

    for blueprint in (
        main_bp,
        accounts_bp,
        admin_bp,
        directory_bp,
        search_bp,
        saved_searches_bp,
        bookings_bp,
        meetings_bp,
        payments_bp,
        commissioning_bp,
        alerts_bp,
        market_bp,
        api_bp,
        onboarding_bp,
        health_bp,
        jobs_bp,
        conversations_bp,
    ):
        app.register_blueprint(blueprint)
