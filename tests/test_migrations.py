"""The migrations build exactly the schema the models describe, and take it all down again.

Runs on a fresh SQLite file, and on a second, fresh PostgreSQL database (next to the one the
session fixture uses) when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from marketplace.accounts.models import Tenant, TenantKind
from marketplace.extensions import db
from tests.conftest import make_app
from tests.postgres import new_database

BOOKKEEPING = {"alembic_version"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrations.sqlite3"
    elif not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL: TEST_DATABASE_URL is not set (make test sets it)")
    else:
        with new_database("migrations") as url:
            yield url


@pytest.fixture()
def fresh_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(str(tmp_path), SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_upgrade_builds_every_table_the_models_declare(fresh_app: Flask) -> None:
    assert _tables() - BOOKKEEPING == set()
    upgrade()
    assert _tables() - BOOKKEEPING == set(db.metadata.tables)


def test_the_migrated_schema_matches_the_models(fresh_app: Flask) -> None:
    upgrade()
    options = fresh_app.extensions["migrate"].configure_args
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": options.get("compare_type", True)}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "models and migrations disagree; run `flask db migrate`"


def test_downgrade_to_base_leaves_no_tables(fresh_app: Flask) -> None:
    upgrade()
    downgrade(revision="base")
    assert _tables() - BOOKKEEPING == set()


# The session database: each test starts with empty tables (on PostgreSQL as on SQLite).
# The two tests below run in this order; the second fails if the first one's rows survived.


def test_rows_written_by_one_test(app_ctx: Flask) -> None:
    db.session.add(Tenant(name="Left behind council", kind=TenantKind.COUNCIL))
    db.session.commit()
    assert db.session.scalar(select(func.count(Tenant.id))) == 1


def test_are_gone_in_the_next(app_ctx: Flask) -> None:
    assert db.session.scalar(select(func.count(Tenant.id))) == 0
