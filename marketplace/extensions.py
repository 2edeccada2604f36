"""Flask extensions, created unbound and bound in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Connection, Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def transactions_on_sqlite(engine: Engine) -> None:
    """Make a savepoint on SQLite sit inside the transaction SQLAlchemy thinks it is in.

    Python's sqlite3 driver starts a transaction itself only before INSERT, UPDATE or DELETE,
    not before a SAVEPOINT: a request whose first write is in a savepoint would open SQLite's
    transaction with that SAVEPOINT and commit it when the savepoint is released, leaving a
    later failure nothing to roll back. So BEGIN is sent first when no transaction is open."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "savepoint", _begin_first):
        event.listen(engine, "savepoint", _begin_first)


def _begin_first(connection: Connection, _name: str | None) -> None:
    driver = connection.connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")
