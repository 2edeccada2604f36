"""Fixtures shared by every test.

The database is built by the real migrations once per session: SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set (`make test` runs the suite both ways). Each test starts with empty tables.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import delete, event
from sqlalchemy.engine import Engine
from werkzeug.serving import make_server

from marketplace import clock, create_app
from marketplace.accounts.models import Role, Tenant, TenantArea, TenantKind, User
from marketplace.directory.models import (
    Category,
    DeliveryMode,
    Listing,
    ListingStatus,
    PriceUnit,
    Provider,
    ProviderKind,
    ProviderMember,
    ProviderMemberRole,
    VerificationStatus,
)
from marketplace.extensions import db
from tests.frozen import NOW

# The suite writes nothing into the working tree: hypothesis keeps its examples in /tmp.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "care-marketplace-hypothesis")

PASSWORD = "correct horse battery"
# scrypt at a small work factor: the real method, cheap enough for thousands of sign-ins.
CHEAP_PASSWORD_HASH = "scrypt:4096:8:1"
_counter = itertools.count(1)


def database_url(tmp_dir: str) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir}/test.sqlite3"


def make_app(tmp_dir: str, **overrides: Any) -> Flask:
    config: dict[str, Any] = {
        "TESTING": True,
        "INSTANCE_PATH": tmp_dir,
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_dir),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        "PREFERRED_URL_SCHEME": "http",
        "PASSWORD_HASH_METHOD": CHEAP_PASSWORD_HASH,
    }
    config.update(overrides)
    return create_app(config)


class SeparateBrowserClient(FlaskClient):
    """A test client that behaves like its own browser even while a test holds an app context.

    A request reuses an app context the test pushed (the `app_ctx` fixture), and with it `g`,
    where Flask-Login caches the signed-in user; without clearing it, a second client would look
    signed in as whoever the first signed in as.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on a real WSGI server (werkzeug, a thread per request) on 127.0.0.1 at a free
    port, for the block: yields its base URL; stops it after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """Every test reads the same moment (tests/frozen.py), whatever day it runs on."""
    with clock.frozen(NOW):
        yield


@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(connection: Any, _record: object) -> None:
    """The tests' SQLite files need not survive a power cut: no fsync on each commit."""
    if type(connection).__module__.startswith("sqlite3"):
        connection.execute("PRAGMA synchronous = OFF")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp_dir = str(tmp_path_factory.mktemp("instance"))
    app = make_app(tmp_dir)
    app.test_client_class = SeparateBrowserClient
    with app.app_context():
        upgrade()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # close pooled connections now, not at interpreter exit


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    flask_app: Flask = request.getfixturevalue("app")
    with flask_app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(delete(table))
        db.session.commit()
        db.session.remove()


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# Factories: small functions that make one thing each, with sensible defaults.


@pytest.fixture()
def make_tenant(app_ctx: Flask) -> Callable[..., Tenant]:
    def factory(name: str | None = None, **fields: Any) -> Tenant:
        kind = fields.pop("kind", TenantKind.COUNCIL)
        tenant = Tenant(name=name or f"Council {next(_counter)}", kind=kind, **fields)
        tenant.areas = [TenantArea(gss_code="E08000004", name="Oldham")]
        db.session.add(tenant)
        db.session.commit()
        return tenant

    return factory


@pytest.fixture()
def make_user(app_ctx: Flask, make_tenant: Callable[..., Tenant]) -> Callable[..., User]:
    from werkzeug.security import generate_password_hash

    hashed = generate_password_hash(PASSWORD, method=CHEAP_PASSWORD_HASH)

    def factory(role: Role = Role.HOLDER, tenant: Tenant | None = None, **fields: Any) -> User:
        n = next(_counter)
        if tenant is None and role in (Role.HOLDER, Role.COMMISSIONER, Role.REPRESENTATIVE):
            tenant = make_tenant()
        user = User(
            email=fields.pop("email", f"person{n}@example.org"),
            full_name=fields.pop("full_name", f"Person {n}"),
            role=role,
            tenant_id=tenant.id if tenant else None,
            password_hash=hashed,
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture()
def make_provider(app_ctx: Flask) -> Callable[..., Provider]:
    def factory(owner: User | None = None, **fields: Any) -> Provider:
        provider = Provider(
            kind=fields.pop("kind", ProviderKind.CARE_AGENCY),
            legal_name=fields.pop("legal_name", f"Provider {next(_counter)} Ltd"),
            verification_status=fields.pop("verification_status", VerificationStatus.VERIFIED),
            postcode=fields.pop("postcode", "OL1 1AA"),
            **fields,
        )
        db.session.add(provider)
        db.session.flush()
        if owner is not None:
            db.session.add(
                ProviderMember(
                    provider_id=provider.id, user_id=owner.id, role=ProviderMemberRole.OWNER
                )
            )
        db.session.commit()
        return provider

    return factory


@pytest.fixture()
def make_listing(app_ctx: Flask, make_provider: Callable[..., Provider]) -> Callable[..., Listing]:
    def factory(
        provider: Provider | None = None, categories: list[Category] | None = None, **fields: Any
    ) -> Listing:
        listing = Listing(
            provider=provider or make_provider(),
            title=fields.pop("title", f"Support {next(_counter)}"),
            description=fields.pop("description", "Help at home with daily living."),
            price_pence=fields.pop("price_pence", 1850),
            price_unit=fields.pop("price_unit", PriceUnit.HOUR),
            delivery_mode=fields.pop("delivery_mode", DeliveryMode.AT_HOME),
            postcode=fields.pop("postcode", "OL1 1AA"),
            travel_radius_miles=fields.pop("travel_radius_miles", 10),
            status=fields.pop("status", ListingStatus.PUBLISHED),
            **fields,
        )
        listing.categories = categories or []
        db.session.add(listing)
        db.session.commit()
        return listing

    return factory


@pytest.fixture()
def sign_in(client: FlaskClient) -> Callable[[User], FlaskClient]:
    def do(user: User) -> FlaskClient:
        response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do


@pytest.fixture(scope="session", autouse=True)
def _record_database(record_testsuite_property: Callable[[str, object], None]) -> None:
    """Name the database and the clock's moment in the JUnit report, so .ci/run can tell the
    PostgreSQL run (with Redis beside it) and each moment's run took place."""
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite"
    record_testsuite_property("database", url.split(":", 1)[0].split("+", 1)[0])
    record_testsuite_property("clock_at", NOW.strftime("%Y-%m-%dT%H:%M"))
    record_testsuite_property("redis", "yes" if os.environ.get("REDIS_URL") else "no")
