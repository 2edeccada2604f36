"""A throwaway database on the test PostgreSQL server (TEST_DATABASE_URL, which make test sets)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url


@contextmanager
def new_database(prefix: str) -> Iterator[str]:
    """Create an empty database on the test server, yield its URL, drop it afterwards."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # name is ours: a word and hex
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
