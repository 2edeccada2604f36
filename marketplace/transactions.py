"""Units of work: one commit per request, and services that leave nothing behind when they refuse.

Every view runs inside `one_commit_per_request`'s wrapper: the request's changes are committed
once, when the view returns normally, and rolled back on any exception (as indico's request
handler does). Services and views never commit; a CLI command commits once per unit of work.

A service that may refuse (raise a DomainError) after it has written something is marked
`@atomic`: it runs in a savepoint, and a refusal undoes everything it wrote, so the view can show
the message and the request still commits cleanly. A refusal that must itself be kept (a spend
refusal, which commissioners read) is written again after the undo: the error's `kept()` says what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, request
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M")


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """Run the block in a savepoint: on a DomainError everything it wrote is undone, then the
    records the error keeps are added again, and the error goes on to the caller."""
    savepoint = db.session.begin_nested()
    try:
        yield
    except DomainError as error:
        if savepoint.is_active:
            savepoint.rollback()
        kept = error.kept()
        if kept:
            db.session.add_all(kept)
            db.session.flush()
        raise
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    if savepoint.is_active:
        savepoint.commit()


def atomic(service: Callable[P, R]) -> Callable[P, R]:
    """Mark a service that may refuse after writing: it runs `all_or_nothing`."""

    @wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with all_or_nothing():
            return service(*args, **kwargs)

    return run


def locked(model: type[M], row_id: int) -> M | None:
    """The row, locked until the commit and read afresh; None once another request deleted it.
    Of two requests changing or deleting one row at once (a double click), the second waits for
    the first and then sees its work, instead of repeating it."""
    return db.session.get(model, row_id, with_for_update=True, populate_existing=True)


def take_turns(row: Any, *reread: str) -> None:
    """Lock the row until the commit, then read its named attributes (a collection of its
    children, say) afresh: of two requests adding to it at once, the second waits and then
    checks against what the first added."""
    model = type(row)
    db.session.execute(select(model.id).where(model.id == row.id).with_for_update())
    if reread:
        db.session.expire(row, list(reread))


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One unit of work: committed when the block ends normally, rolled back on any exception.
    A request is one (see one_commit_per_request); so is each batch of work done after a
    request's commit (sending its emails, its search updates) and each step of a command."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _writes_in_turn_on_sqlite() -> None:
    """On SQLite, a request that may write takes the database's write lock before it reads
    (BEGIN IMMEDIATE), so two sent at once (a double click) take turns. Otherwise both read, and
    the second to write is refused at once with "database is locked" (SQLite's way of avoiding a
    deadlock between two readers who both want to write), a 500 for the person. PostgreSQL's row
    locks do this job there; reading pages never wait."""
    if request.method in ("GET", "HEAD", "OPTIONS") or db.engine.dialect.name != "sqlite":
        return
    connection = db.session.connection()
    driver = connection.connection.dbapi_connection
    if driver is not None and not getattr(driver, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _committing(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        with unit_of_work():
            _writes_in_turn_on_sqlite()
            return view(*args, **kwargs)

    return run


def one_commit_per_request(app: Flask) -> None:
    """Wrap every view (call after the blueprints are registered): commit when it returns
    normally, roll back on any exception. Emails and search updates leave after that commit."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static" and not getattr(view, "_commits_once", False):
            wrapped = _committing(view)
            wrapped._commits_once = True  # type: ignore[attr-defined]
            app.view_functions[endpoint] = wrapped
