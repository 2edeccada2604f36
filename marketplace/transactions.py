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

from flask import Flask

from marketplace.errors import DomainError
from marketplace.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


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


def _committing(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        with unit_of_work():
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
