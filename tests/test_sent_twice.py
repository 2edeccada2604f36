"""A unique constraint that keeps the second of two requests made at once (a double click, two
tabs) answers that request with a plain 409 page, not a 500. tests/test_double_submit_http.py
makes the races themselves on PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from marketplace import web
from marketplace.accounts.models import Role, User
from marketplace.extensions import db


def integrity_error(app: Flask, **values: object) -> IntegrityError:
    row = {"full_name": "Ann", "role": Role.HOLDER, "password_hash": "x", **values}
    with pytest.raises(IntegrityError) as raised:
        db.session.execute(insert(User).values(**row))
    db.session.rollback()
    return raised.value


def test_the_second_of_two_at_once_is_told_the_first_was_saved(app_ctx: Flask) -> None:
    db.session.execute(
        insert(User).values(
            email="ann@example.org", full_name="Ann", role=Role.HOLDER, password_hash="x"
        )
    )
    error = integrity_error(app_ctx, email="ann@example.org")

    with app_ctx.test_request_context("/"):
        page, status = web._sent_twice(error)

    assert status == 409
    assert "The first one was saved" in page


def test_other_broken_constraints_stay_server_errors(app_ctx: Flask) -> None:
    error = integrity_error(app_ctx, email=None)  # NOT NULL, not a second request

    with app_ctx.test_request_context("/"), pytest.raises(IntegrityError):
        web._sent_twice(error)
